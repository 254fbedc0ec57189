"""Image input for scanning: open, check and normalise an image within bounded memory.

The layer below :func:`qrseal.qr.scan`: it turns encoded bytes, a path, a PIL image or
a numpy array into an upright greyscale "L" image of at most ``SCAN_MAX_SIDE`` pixels a
side (plus the factor back to input pixels) for :mod:`qrseal.qr.pipeline`. Before any
pixel is decoded it refuses what exceeds the pixel cap or :data:`MAX_DECODE_BYTES` (the
full-size working set of the image's mode and format, see
:func:`full_size_bytes_per_pixel`), and PNGs with too many compressed metadata chunks;
then it decodes (JPEG reduced and straight to grey), converts to one byte per pixel or
downscales first, whichever holds less, and applies the EXIF orientation to the small
image. The published bound over the worst formats and modes is
:data:`IMAGE_RSS_BOUND` and :data:`IMAGE_TIME_BOUND_S` (``benchmarks/image_bounds_bench.py``).
Every error leaving this module is a :class:`~qrseal.errors.QrsealError`.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import struct
from collections.abc import Iterator
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, Final, TypeAlias, cast

from PIL import Image

from ..errors import InvalidArgument, InvalidImage, QrsealError, TooLarge

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "ALLOWED_FORMATS",
    "IMAGE_RSS_BOUND",
    "IMAGE_TIME_BOUND_S",
    "MAX_DECODE_BYTES",
    "MAX_PIXELS",
    "SCAN_MAX_SIDE",
    "ImageSource",
    "full_size_bytes_per_pixel",
    "max_pixels_for",
    "open_header",
    "open_small_image",
    "prepare",
]

#: Default pixel cap for scanning, checked against the image header before decoding.
MAX_PIXELS: Final = 40_000_000
#: Images with a longer side are downscaled to this before decoding.
SCAN_MAX_SIDE: Final = 2000
#: Most bytes turning one image into the scan image may hold at full size: the decoded
#: pixels, the working planes of their mode and the decoder's own buffers
#: (``full_size_bytes_per_pixel``: 2 for grey, 3 for palette, 6 for RGB or RGBA, 13 more
#: for WebP, 4 more for TIFF; DCT coefficients for progressive JPEG). Checked from the
#: header, after JPEG's reduced decoding is chosen, before any pixel is decoded; it caps
#: e.g. grey PNG at 16.7, palette at 11.1, RGB(A) at 5.5 and WebP at 1.7 megapixels
#: (``max_pixels_for``). Everything after works on at most ``SCAN_MAX_SIDE`` squared
#: one-byte pixels.
MAX_DECODE_BYTES: Final = 32 * 2**20
#: Published bound, measured by ``benchmarks/image_bounds_bench.py`` on the worst formats
#: and modes at the caps: extra peak resident memory of one scan or ``verify_image``.
IMAGE_RSS_BOUND: Final = 64 * 2**20
#: Published bound on the wall time of one scan at the caps (same benchmark; the
#: reference machine, default budget).
IMAGE_TIME_BOUND_S: Final = 1.0
#: Image formats ``scan`` opens from bytes or paths; others are rejected unread.
ALLOWED_FORMATS: Final = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
# What Pillow raises on hostile input, per its own fuzzing tests (Tests/oss-fuzz),
# plus EOFError and struct.error seen from truncated headers, and TypeError from a TIFF
# whose strip offset tag holds text (Pillow seeks to it). MemoryError is left alone:
# the caps are checked before any pixel buffer is allocated.
_PIL_ERRORS: Final = (
    TypeError,
    OSError,
    SyntaxError,
    ValueError,
    NotImplementedError,
    OverflowError,
    EOFError,
    struct.error,
)

# Elements per block when scaling a non-uint8 array to 0..255.
_ARRAY_BLOCK: Final = 1 << 18  # a few MiB of float64 temporaries

ImageSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | Image.Image | NDArray[Any]"


@contextlib.contextmanager
def _pillow_errors(max_pixels: int) -> Iterator[None]:
    """Translate what Pillow raises on hostile input into QrsealError."""
    try:
        yield
    except QrsealError:
        raise
    except Image.DecompressionBombError as exc:
        raise TooLarge(
            "image exceeds Pillow's pixel limit", what="pixels", limit=max_pixels
        ) from exc
    except _PIL_ERRORS as exc:
        raise InvalidImage(f"cannot decode image ({type(exc).__name__})") from exc


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise InvalidImage("image has no pixels")
    if width * height > max_pixels:
        raise TooLarge(
            f"image has {width}x{height} pixels",
            what="pixels",
            limit=max_pixels,
            actual=width * height,
        )


def _stretch(wide: Image.Image) -> Image.Image:
    """A small "I" or "F" image as "L", contrast-stretched (convert("L") would clip)."""
    wide = wide.convert("F")
    low, high = cast(tuple[float, float], wide.getextrema())  # one band: (min, max)
    if not high > low:  # flat, or NaN
        return Image.new("L", wide.size, 255)
    gain = 255.0 / (high - low)
    offset = -low * gain
    return wide.point(lambda v: v * gain + offset).convert("L")


def _on_white(image: Image.Image) -> Image.Image:
    """A small image with transparency as "L", composited onto white."""
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", image.size, "white"), rgba).convert("L")


def _shrink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` resized to ``size`` (a no-op at its own size), in its own mode. Pillow
    resamples in two passes: the first holds up to one more full-size plane of the mode."""
    if image.size == size:
        return image
    if image.mode == "I;16":  # Pillow resamples 16-bit images with BOX only
        return image.resize(size, Image.Resampling.BOX)
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


# What a format's decoder holds besides Pillow's pixel buffer, per pixel (measured with
# benchmarks/image_bounds_bench.py: libwebp decodes into its own frame buffers; libtiff
# reads a whole strip or tile, which a file may make as large as the image).
_DECODER_BYTES_PER_PIXEL: Final = MappingProxyType({"WEBP": 13, "TIFF": 4})


def full_size_bytes_per_pixel(mode: str, image_format: str | None = None) -> int:
    """Bytes per input pixel that turning an image of Pillow ``mode`` into the small
    greyscale scan image holds at its peak: the decoded pixels (Pillow stores 1 byte for
    modes "1", "L" and "P", 2 for "I;16", 4 for every other mode, RGB included), the
    full-size planes :func:`_grey_scan_image` makes, and one resampling pass (see
    :func:`_shrink`). WebP adds what libwebp holds while decoding (measured: 13 bytes),
    TIFF one raw strip or tile as large as the decoded image (4 bytes). JPEG's
    coefficient buffers are counted separately (``_jpeg_coefficient_bytes``)."""
    if mode == "L":
        per_pixel = 2  # + resampling pass
    elif mode in ("1", "P"):
        per_pixel = 3  # + "L" plane + resampling pass
    elif mode == "I;16":
        per_pixel = 4  # + resampling pass at 2 bytes
    elif mode in ("I", "F"):
        per_pixel = 8  # + resampling pass at 4 bytes
    elif mode.startswith("I;16") or mode == "La":
        per_pixel = 10  # + a 4-byte copy + resampling pass at 4 bytes
    else:
        # RGB, CMYK, YCbCr, RGBA, LA, PA, ...: + a 1-byte plane (alpha, then grey,
        # never both at full size) + resampling pass at 1 byte
        per_pixel = 6
    return per_pixel + _DECODER_BYTES_PER_PIXEL.get(image_format or "", 0)


def _grey_scan_image(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Loaded ``image`` as greyscale "L" of ``size``: transparency composited onto white,
    wide modes contrast-stretched. Converts to one byte per pixel before resampling, or
    resamples first where that is cheaper, so at full size it holds at most
    :func:`full_size_bytes_per_pixel` bytes per pixel."""
    mode = image.mode
    if mode == "L":
        return _shrink(image, size)
    if mode == "1":
        return _shrink(image.convert("L"), size)
    if mode == "P":
        # One "L" plane through a lookup table: the palette (with its transparency)
        # composited onto white, computed on a 256-pixel strip with the same palette.
        strip = image.crop((0, 0, 1, 1)).resize((256, 1))
        strip.putdata(range(256))
        return _shrink(image.point(list(_on_white(strip).tobytes()), "L"), size)
    if mode.startswith("I;16") or mode in ("I", "F"):
        wide = image if mode in ("I;16", "I", "F") else image.convert("I")
        return _stretch(_shrink(wide, size))
    if mode == "La":
        image = image.convert("RGBA")
    bands = image.getbands()
    if "A" not in bands:
        return _shrink(image.convert("L"), size)
    alpha = _shrink(image.getchannel("A"), size)
    grey = _shrink(image.convert("L"), size)
    return Image.composite(grey, Image.new("L", size, 255), alpha)


# EXIF orientation -> the transposition that makes the image upright (as ImageOps does).
_EXIF_UPRIGHT: Final = MappingProxyType(
    {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }
)


def max_pixels_for(
    mode: str, image_format: str | None = None, *, max_pixels: int = MAX_PIXELS
) -> int:
    """The most pixels ``scan`` accepts for an image Pillow decodes in ``mode`` from
    ``image_format``: ``max_pixels``, or fewer where the full-size working set
    (:func:`full_size_bytes_per_pixel`) would pass :data:`MAX_DECODE_BYTES`. Not for
    JPEG, whose cost depends on its component sampling (see ``_jpeg_coefficient_bytes``)."""
    return min(max_pixels, MAX_DECODE_BYTES // full_size_bytes_per_pixel(mode, image_format))


# Markers and fill bytes read before the first SOS at most (real files have a few dozen).
_JPEG_MAX_MARKERS: Final = 4096


def _jpeg_single_scan(image: Image.Image) -> bool:
    """Whether libjpeg decodes this JPEG in one pass: not progressive and its first scan
    holds every component (libjpeg's own test, jdinput.c; a later scan is then an error).
    Reads the markers up to the first SOS; anything unexpected counts as multi-scan."""
    fp = getattr(image, "fp", None)
    layers = getattr(image, "layer", None)
    if image.info.get("progressive") or fp is None or not isinstance(layers, list):
        return False
    fp.seek(2)  # after SOI
    for _ in range(_JPEG_MAX_MARKERS):
        head = fp.read(4)
        if len(head) < 4 or head[0] != 0xFF:
            return False
        if head[1] == 0xFF:  # fill byte before a marker
            fp.seek(-3, os.SEEK_CUR)
            continue
        if head[1] == 0xDA:  # SOS: number of components in this scan
            count = fp.read(1)
            return len(count) == 1 and count[0] >= len(layers)
        length = int.from_bytes(head[2:], "big")
        if length < 2:
            return False
        fp.seek(length - 2, os.SEEK_CUR)
    return False


def _jpeg_coefficient_bytes(image: Image.Image) -> int:
    """What libjpeg holds for a JPEG besides its (reduced) output: nothing much for a
    single-scan file; every DCT coefficient of the full-size image (2 bytes each, per
    component at its sampling) for a progressive or multi-scan one."""
    if _jpeg_single_scan(image):
        return 0
    layers = getattr(image, "layer", None)
    if not isinstance(layers, list) or not layers:
        return image.width * image.height * 2 * 4  # unknown: the most components
    h_max = max(max(1, int(layer[1])) for layer in layers)
    v_max = max(max(1, int(layer[2])) for layer in layers)
    share = sum(max(1, int(layer[1])) * max(1, int(layer[2])) for layer in layers)
    return image.width * image.height * 2 * share // (h_max * v_max)


# Compressed PNG chunks Pillow inflates into memory (text and ICC profile, each up to
# its 1 MiB text-chunk cap): at most this many, so metadata costs at most a few MiB.
_PNG_MAX_INFLATED_CHUNKS: Final = 8
_PNG_INFLATED: Final = frozenset({b"zTXt", b"iTXt", b"iCCP"})
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
# Chunks walked at most (a real PNG has one per 8-64 KiB of pixel data, and a few more).
_PNG_MAX_CHUNKS: Final = 100_000


def _check_png_chunks(fp: IO[bytes]) -> None:
    """If ``fp`` is a PNG, refuse it when it has more than _PNG_MAX_INFLATED_CHUNKS
    compressed metadata chunks, each of which Pillow may inflate to 1 MiB (up to 64 MiB
    in all) as it opens the file: walks the chunk headers, skipping their data."""
    if fp.read(8) != _PNG_SIGNATURE:
        return
    inflated = 0
    for _ in range(_PNG_MAX_CHUNKS):
        head = fp.read(8)
        if len(head) < 8 or head[4:] == b"IEND":
            return
        inflated += head[4:] in _PNG_INFLATED
        if inflated > _PNG_MAX_INFLATED_CHUNKS:
            raise TooLarge(
                "the PNG holds too many compressed metadata chunks",
                what="png compressed chunks",
                limit=_PNG_MAX_INFLATED_CHUNKS,
                actual=inflated,
            )
        fp.seek(int.from_bytes(head[:4], "big") + 4, os.SEEK_CUR)  # data and CRC
    raise TooLarge("the PNG has too many chunks", what="png chunks", limit=_PNG_MAX_CHUNKS)


def _check_decode_cost(
    image: Image.Image | tuple[int, int, str], *, copies: int = 0, fixed: int = 0
) -> None:
    """Refuse what would hold more than :data:`MAX_DECODE_BYTES` at full size (``copies``
    more bytes per pixel for a caller's array converted first; ``fixed`` bytes the
    decoder holds besides the pixels). The pixel cap is :func:`_check_size`."""
    if isinstance(image, Image.Image):
        (width, height), mode, image_format = image.size, image.mode, image.format
    else:
        width, height, mode = image
        image_format = None
    cost = fixed + width * height * (full_size_bytes_per_pixel(mode, image_format) + copies)
    if cost > MAX_DECODE_BYTES:
        raise TooLarge(
            f"a {width}x{height} {mode} image needs {cost} bytes to decode and convert",
            what="decode bytes",
            limit=MAX_DECODE_BYTES,
            actual=cost,
        )


def _normalise(image: Image.Image, max_pixels: int, *, owned: bool) -> tuple[Image.Image, float]:
    """Upright, greyscale, at most SCAN_MAX_SIDE; plus the factor back to input pixels.

    Refuses from the header, before decoding, what would exceed ``max_pixels`` or
    :data:`MAX_DECODE_BYTES`; converts only after downscaling.
    """
    width, height = image.size
    _check_size(width, height, max_pixels)
    longest = max(width, height)
    k = min(1.0, SCAN_MAX_SIDE / longest)
    with _pillow_errors(max_pixels):
        coefficients = 0
        if owned and image.format == "JPEG":
            coefficients = _jpeg_coefficient_bytes(image)
            # libjpeg decodes straight to grey, at 1/2, 1/4 or 1/8 scale when large.
            image.draft("L", (math.ceil(width * k), math.ceil(height * k)))
        _check_decode_cost(image, fixed=coefficients)
        image.load()
        _check_decode_cost(image, fixed=coefficients)  # load may change the mode
        orientation = image.getexif().get(0x0112)
        size = (max(1, round(width * k)), max(1, round(height * k)))
        grey = _grey_scan_image(image, size)
        upright = _EXIF_UPRIGHT.get(orientation) if isinstance(orientation, int) else None
        if upright is not None:
            grey = grey.transpose(upright)
    return grey, longest / max(grey.size)


def _from_array(array: Any, max_pixels: int) -> Image.Image:
    try:
        import numpy as np  # optional: only callers holding arrays need it
    except ImportError as exc:
        raise InvalidImage("numpy is needed to scan array input") from exc
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise InvalidImage(f"array of shape {a.shape} is not HxW, HxWx3 or HxWx4")
    width, height = int(a.shape[1]), int(a.shape[0])
    _check_size(width, height, max_pixels)
    # Checked as the Pillow image it becomes plus the uint8 copy made below.
    mode = "L" if a.ndim == 2 else "RGB" if a.shape[2] == 3 else "RGBA"
    channels = 1 if a.ndim == 2 else int(a.shape[2])
    _check_decode_cost((width, height, mode), copies=channels)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise InvalidImage(f"array dtype {a.dtype} is not numeric")
        if np.issubdtype(a.dtype, np.floating) and not np.isfinite(a).all():
            raise InvalidImage("array holds NaN or infinite values")
        low, high = float(a.min()), float(a.max())
        gain = 255.0 / (high - low) if high > low else 0.0
        out = np.full(a.shape, 255, dtype=np.uint8)
        if gain:
            # In blocks of rows, so the float copy stays small whatever the input size.
            rows = max(1, _ARRAY_BLOCK // max(1, a[0].size))
            for top in range(0, a.shape[0], rows):
                block = a[top : top + rows].astype(np.float64)
                out[top : top + rows] = np.rint((block - low) * gain)
        a = out
    return Image.fromarray(np.ascontiguousarray(a))


def prepare(image: ImageSource, max_pixels: int) -> tuple[Image.Image, float]:
    """``image`` as the upright greyscale scan image and the factor from its pixels back to
    the input's. Raises InvalidArgument (input type), InvalidImage or TooLarge."""
    if isinstance(image, Image.Image):
        return _normalise(image, max_pixels, owned=False)
    if isinstance(image, bytes | bytearray | str | os.PathLike):
        if isinstance(image, bytes | bytearray) and not image:
            raise InvalidImage("empty input")
        with contextlib.ExitStack() as stack:
            stack.enter_context(_pillow_errors(max_pixels))
            source = (
                io.BytesIO(image)
                if isinstance(image, bytes | bytearray)
                else stack.enter_context(open(os.fspath(image), "rb"))
            )
            _check_png_chunks(source)  # before Pillow inflates any of them
            source.seek(0)
            opened = stack.enter_context(Image.open(source, formats=ALLOWED_FORMATS))
            return _normalise(opened, max_pixels, owned=True)
    if hasattr(image, "__array_interface__"):
        return _normalise(_from_array(image, max_pixels), max_pixels, owned=False)
    raise InvalidArgument(f"cannot scan a {type(image).__name__}")


def open_small_image(
    data: bytes,
    *,
    max_pixels: int,
    formats: tuple[str, ...],
    reduce_to: tuple[int, int] | None = None,
) -> Image.Image:
    """Decode an encoded image in its own colours (a portrait from a verified credential,
    or the photo a portrait is made from) within the same bounds as a scan: the pixel cap
    ``max_pixels`` and :data:`MAX_DECODE_BYTES` are checked from the header before any
    pixel is decoded, and only ``formats`` (Pillow format names) are opened. A JPEG is
    decoded reduced (1/2 to 1/8) when ``reduce_to`` is still covered, so a phone photo
    fits the decode budget. Returns an "L" or "RGB" image. Raises InvalidImage or TooLarge."""
    if not isinstance(data, bytes) or not data:
        raise InvalidImage("empty or not bytes")
    with _pillow_errors(max_pixels), Image.open(io.BytesIO(data), formats=formats) as opened:
        _check_size(*opened.size, max_pixels)
        if reduce_to is not None and opened.format == "JPEG":
            coefficients = _jpeg_coefficient_bytes(opened)
            opened.draft(opened.mode if opened.mode in ("L", "RGB") else "RGB", reduce_to)
            _check_decode_cost(opened, fixed=coefficients)
        else:
            _check_decode_cost(opened)
        opened.load()
        _check_decode_cost(opened)  # load may change the mode
        return opened.convert("RGB") if opened.mode not in ("L", "RGB") else opened.copy()


@contextlib.contextmanager
def open_header(data: bytes, *, formats: tuple[str, ...]) -> Iterator[Image.Image]:
    """The opened (not decoded) image of ``data``, for its size and format; Pillow's errors
    become InvalidImage. Raises InvalidImage."""
    if not isinstance(data, bytes) or not data:
        raise InvalidImage("empty or not bytes")
    with _pillow_errors(MAX_PIXELS), Image.open(io.BytesIO(data), formats=formats) as opened:
        yield opened
