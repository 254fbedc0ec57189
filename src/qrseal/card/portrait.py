"""Make the signed portrait from a photo in one call: :func:`make_portrait`.

Steps (each documented, none hidden):

1. **Open within bounds**: the photo is decoded by :func:`qrseal.qr.image.open_small_image`
   (pixel cap, decode-cost cap; a JPEG decoded reduced to what the crop needs).
2. **Face-centred crop** to the ISO portrait aspect 4:5 (width:height). With ``face=(x, y,
   w, h)`` (a face box from any detector, in photo pixels) the crop is centred on the face,
   1.9 face heights tall, a little above the box centre (forehead and hair in, shoulders
   out), so the face fills the small image. Without it: a centre crop, full height when the
   photo is wider than 4:5 (a passport-style photo is already centred).
3. **Greyscale** (default: the budget buys detail, not colour) or colour.
4. **Scale** to ``size`` (default 64x80 px, chosen by the measurements in docs/format.md
   §5.7) with Lanczos.
5. **Encode to the byte budget**: the highest quality whose encoding fits ``budget``
   bytes, found by bisection over the encoder's quality (JPEG quality 1-95, JPEG 2000
   compression ratio); JPEG 2000 is written as a bare codestream (no JP2 boxes: they cost
   ~85 bytes and carry nothing a portrait needs).

The measurement helpers (:func:`encode_at_budget` for JPEG, JPEG 2000, WebP and AVIF,
:func:`ssim`) are public so ``scripts/portrait_table.py`` and the tests use the same code.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ..errors import InvalidArgument, TooLarge
from ..licence.portrait import PORTRAIT_FORMATS
from ..qr.image import MAX_PIXELS

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_SIZE",
    "Portrait",
    "PortraitFormat",
    "crop_box",
    "encode_at_budget",
    "make_portrait",
    "ssim",
]

#: Default byte budget of the encoded portrait (docs/format.md §5.7: QR version ≤ 25 at ECC M).
DEFAULT_BUDGET: Final = 600
#: Default portrait size in pixels (width, height), aspect 4:5.
DEFAULT_SIZE: Final = (64, 80)
_ASPECT: Final = 4 / 5
_PHOTO_FORMATS: Final = ("JPEG", "PNG", "WEBP", "JPEG2000", "AVIF", "TIFF", "BMP")


class PortraitFormat(StrEnum):
    """Encodings measured for the portrait; the licence accepts JPEG and JPEG 2000."""

    JPEG = "JPEG"
    JPEG2000 = "JPEG2000"
    WEBP = "WEBP"
    AVIF = "AVIF"


@dataclass(frozen=True, slots=True)
class Portrait:
    """An encoded portrait ready for ``Licence(portrait=...)``: its bytes, the encoding,
    pixel size, the encoder setting that met the budget, and whether it is in colour."""

    data: bytes
    format: PortraitFormat
    size: tuple[int, int]
    setting: float
    colour: bool


def crop_box(
    width: int, height: int, face: tuple[int, int, int, int] | None = None
) -> tuple[int, int, int, int]:
    """The 4:5 crop (left, top, right, bottom) of a ``width`` x ``height`` photo: centred on
    ``face`` (x, y, w, h) when given, else on the photo; clamped inside the photo."""
    if face is None:
        crop_h = min(height, round(width / _ASPECT))
        cx, cy = width / 2, height / 2
    else:
        x, y, w, h = face
        if w <= 0 or h <= 0:
            raise InvalidArgument("face box needs a positive width and height")
        crop_h = min(height, round(1.9 * h), round(width / _ASPECT))
        cx, cy = x + w / 2, y + h / 2 - 0.1 * h
    crop_w = min(width, round(crop_h * _ASPECT))
    left = int(min(max(0, cx - crop_w / 2), width - crop_w))
    top = int(min(max(0, cy - crop_h / 2), height - crop_h))
    return left, top, left + crop_w, top + crop_h


def _encode(image: Image.Image, fmt: PortraitFormat, setting: float) -> bytes:
    out = io.BytesIO()
    if fmt is PortraitFormat.JPEG:
        image.save(out, "JPEG", quality=int(setting), optimize=True, subsampling=2)
    elif fmt is PortraitFormat.JPEG2000:
        image.save(
            out, "JPEG2000", no_jp2=True, irreversible=True, quality_mode="rates",
            quality_layers=[setting], num_resolutions=4,
        )  # fmt: skip
    elif fmt is PortraitFormat.WEBP:
        image.save(out, "WEBP", quality=int(setting), method=6)
    else:
        image.save(out, "AVIF", quality=int(setting), speed=6)
    return out.getvalue()


# Quality scale per format: (worst, best) settings; JPEG 2000's is a compression ratio,
# where a larger number is worse.
_RANGES: Final = {
    PortraitFormat.JPEG: (1.0, 95.0),
    PortraitFormat.JPEG2000: (400.0, 2.0),
    PortraitFormat.WEBP: (0.0, 100.0),
    PortraitFormat.AVIF: (0.0, 100.0),
}


def encode_at_budget(
    image: Image.Image, fmt: PortraitFormat, budget: int
) -> tuple[bytes, float] | None:
    """The best-quality encoding of ``image`` in ``fmt`` that fits ``budget`` bytes and its
    setting, by bisection over the quality scale (12 steps); None if even the worst does
    not fit."""
    worst, best = _RANGES[fmt]
    found = None
    data = _encode(image, fmt, worst)
    if len(data) > budget:
        return None
    found = (data, worst)
    low, high = worst, best
    for _ in range(12):
        mid = (low + high) / 2
        if fmt is not PortraitFormat.JPEG2000:
            mid = float(round(mid))
        data = _encode(image, fmt, mid)
        if len(data) <= budget:
            found, low = (data, mid), mid
        else:
            high = mid
        if abs(high - low) < (0.5 if fmt is PortraitFormat.JPEG2000 else 1.0):
            break
    return found


def _box_mean(plane: NDArray[np.float64], radius: int = 3) -> NDArray[np.float64]:
    """Mean over the (2r+1)^2 window around each pixel, edges replicated (summed-area table)."""
    import numpy as np

    k = 2 * radius + 1
    padded = np.pad(plane, radius + 1, mode="edge")[: plane.shape[0] + k, : plane.shape[1] + k]
    table = padded.cumsum(0).cumsum(1)
    total = table[k:, k:] - table[:-k, k:] - table[k:, :-k] + table[:-k, :-k]
    result: NDArray[np.float64] = total / (k * k)
    return result


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean structural similarity (Wang et al. 2004; 7x7 uniform window, the usual
    constants) of the luminance of two images of one size: 1.0 means identical."""
    import numpy as np

    if a.size != b.size:
        raise InvalidArgument("ssim needs two images of one size")
    x = np.asarray(a.convert("L"), dtype=np.float64)
    y = np.asarray(b.convert("L"), dtype=np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _box_mean(x), _box_mean(y)
    sxx = _box_mean(x * x) - mx * mx
    syy = _box_mean(y * y) - my * my
    sxy = _box_mean(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


def photo_width(data: bytes) -> int:
    """The width of an encoded photo from its header (nothing decoded)."""

    from ..qr.image import open_header

    with open_header(data, formats=_PHOTO_FORMATS) as opened:
        return int(opened.width)


def prepare_portrait(
    photo: bytes | str | os.PathLike[str] | Image.Image,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    colour: bool = False,
    face: tuple[int, int, int, int] | None = None,
) -> Image.Image:
    """Steps 1-4 of :func:`make_portrait`: the cropped, scaled image before encoding."""
    from PIL import Image

    from ..qr.image import open_small_image

    if not (isinstance(size, tuple) and len(size) == 2 and all(16 <= s <= 1024 for s in size)):
        raise InvalidArgument("size must be (width, height), each 16-1024 pixels")
    if isinstance(photo, Image.Image):
        image, full_width = photo, photo.width
        if image.width * image.height > MAX_PIXELS:
            raise TooLarge("photo has too many pixels", what="pixels", limit=MAX_PIXELS)
    else:
        data = photo if isinstance(photo, bytes) else Path(photo).read_bytes()
        full_width = photo_width(data)
        # A JPEG decodes reduced, to at least four times the portrait size.
        image = open_small_image(
            data,
            max_pixels=MAX_PIXELS,
            formats=_PHOTO_FORMATS,
            reduce_to=(size[0] * 4, size[1] * 4),
        )
    if face is not None and image.width != full_width:
        k = image.width / full_width  # the face box is in the photo's own pixels
        face = (round(face[0] * k), round(face[1] * k), round(face[2] * k), round(face[3] * k))
    image = image.convert("RGB" if colour else "L")
    return image.crop(crop_box(image.width, image.height, face)).resize(
        size, Image.Resampling.LANCZOS
    )


def make_portrait(
    photo: bytes | str | os.PathLike[str] | Image.Image,
    *,
    budget: int = DEFAULT_BUDGET,
    fmt: PortraitFormat = PortraitFormat.JPEG2000,
    size: tuple[int, int] = DEFAULT_SIZE,
    colour: bool = False,
    face: tuple[int, int, int, int] | None = None,
) -> Portrait:
    """A portrait for the signed licence from ``photo`` (encoded bytes, a path or a PIL
    image): crop, grey or colour, scale, encode to ``budget`` bytes (module docstring).

    ``fmt`` must be an encoding the licence accepts (JPEG or JPEG 2000, docs/format.md
    §5.7). Raises InvalidArgument (bad option, budget too small for the format),
    InvalidImage or TooLarge (the photo)."""
    fmt = PortraitFormat(fmt)
    if fmt.value not in PORTRAIT_FORMATS:
        raise InvalidArgument(f"a licence portrait must be one of {PORTRAIT_FORMATS}")
    if type(budget) is not int or not 100 <= budget <= 65_536:
        raise InvalidArgument("budget must be 100-65536 bytes")
    image = prepare_portrait(photo, size=size, colour=colour, face=face)
    found = encode_at_budget(image, fmt, budget)
    if found is None:
        raise InvalidArgument(f"no {fmt.value} encoding of {size} fits {budget} bytes")
    data, setting = found
    return Portrait(data, fmt, size, setting, colour)


def capture_date(moment: datetime) -> datetime:
    """``portrait_capture_date`` as signed: whole seconds (tag 1 holds integer seconds)."""
    return moment.replace(microsecond=0)
