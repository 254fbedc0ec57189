"""QR layer: render text as a QR code image and scan QR codes back to text.

This module knows nothing about credentials: it turns ASCII text into a QR symbol
(PIL image, PNG bytes or SVG) and finds every QR symbol in an image.

Rendering uses ``qrcode`` with mode segmenting, so ``DL1:`` followed by a long
run of digits is stored in numeric mode and Base45 text in alphanumeric mode.

Scanning tries the decoders in order (by default zbar through ``pyzbar``, then
``zxing-cpp``) and stops at the first that finds something. zbar is optional at
run time: when its shared library is missing it is skipped. Every error leaving
this module is a :class:`~qrseal.errors.QrsealError`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import itertools
import math
import os
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import qrcode
import qrcode.constants
import qrcode.exceptions
import zxingcpp
from PIL import Image, ImageOps

from .errors import InvalidArgument, InvalidImage, NoQrFound, QrsealError, TooLarge

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_BORDER",
    "DEFAULT_SCALE",
    "MAX_BORDER",
    "MAX_PIXELS",
    "MAX_SCALE",
    "MAX_TEXT_CHARS",
    "SCAN_MAX_SIDE",
    "Decoder",
    "Ecc",
    "ImageSource",
    "ScanResult",
    "available_decoders",
    "qr_version",
    "render_image",
    "render_png",
    "render_svg",
    "scan",
    "scan_one",
]

#: Pixels per module: a version 13 code (69 modules + 2 x 4 quiet zone) is 616 px wide.
DEFAULT_SCALE: Final = 8
#: Quiet zone in modules; ISO/IEC 18004 asks for at least 4.
DEFAULT_BORDER: Final = 4
MAX_SCALE: Final = 64
MAX_BORDER: Final = 20
#: Longest text any QR code can hold (version 40-L, numeric mode).
MAX_TEXT_CHARS: Final = 7089
#: Default pixel cap for scanning, checked against the image header before decoding.
MAX_PIXELS: Final = 40_000_000
#: Images with a longer side are downscaled to this before decoding.
SCAN_MAX_SIDE: Final = 2000
#: Image formats ``scan`` opens from bytes or paths; others are rejected unread.
ALLOWED_FORMATS: Final = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
# A run of digits (or alphanumerics inside byte text) at least this long gets its own
# segment. 20 puts "DL1:" + digits into numeric mode; smaller values fragment Base45
# text into many short segments whose headers cost more than they save (measured).
_SEGMENT_MIN_RUN: Final = 20
# What Pillow raises on hostile input, per its own fuzzing tests (Tests/oss-fuzz),
# plus EOFError and struct.error seen from truncated headers. MemoryError is left
# alone: the pixel cap is checked before any pixel buffer is allocated.
_PIL_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    NotImplementedError,
    OverflowError,
    EOFError,
    struct.error,
)

ImageSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | Image.Image | NDArray[Any]"


class Ecc(StrEnum):
    """QR error-correction level: recovers about 7 / 15 / 25 / 30 % of the symbol."""

    L = "L"
    M = "M"
    Q = "Q"
    H = "H"


class Decoder(StrEnum):
    """QR decoders ``scan`` can use."""

    ZBAR = "zbar"
    ZXING = "zxing"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One QR code found in an image.

    ``position`` is ``(left, top, width, height)`` in pixels of the upright
    (EXIF-rotated) input image, or ``None`` when the decoder gives none.
    """

    text: str
    decoder: Decoder
    position: tuple[int, int, int, int] | None


# --------------------------------------------------------------------------- rendering


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be an int in {low}..{high}, got {value!r}")
    return value


def _build(text: str, ecc: Ecc | str, border: int) -> Any:
    """A fitted ``qrcode.QRCode`` (version chosen, matrix not built yet)."""
    if not isinstance(text, str) or not text:
        raise InvalidArgument("text must be a non-empty str")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(
            "text is longer than any QR code holds",
            what="text characters",
            limit=MAX_TEXT_CHARS,
            actual=len(text),
        )
    # zbar guesses a charset for non-ASCII bytes without an ECI header (and can get
    # UTF-8 wrong), so only ASCII is guaranteed to scan back exactly.
    if not text.isascii():
        raise InvalidArgument("text must be ASCII")
    try:
        level = Ecc(ecc)
    except ValueError as exc:
        raise InvalidArgument(f"unknown error-correction level {ecc!r}") from exc
    _check_int("border", border, 0, MAX_BORDER)
    constant = getattr(qrcode.constants, f"ERROR_CORRECT_{level.value}")
    qr = qrcode.QRCode(error_correction=constant, box_size=1, border=border)
    qr.add_data(text, optimize=_SEGMENT_MIN_RUN)
    try:
        qr.best_fit()
    # qrcode 8.2 raises ValueError("Invalid version (was 41...)") before its own
    # DataOverflowError check; nothing else in best_fit raises ValueError for str input.
    except (qrcode.exceptions.DataOverflowError, ValueError) as exc:
        raise TooLarge(
            "text does not fit in a version 40 QR code", what="qr version", limit=40
        ) from exc
    return qr


def _matrix(text: str, ecc: Ecc | str, border: int) -> list[list[bool]]:
    qr = _build(text, ecc, border)
    qr.make(fit=False)
    matrix: list[list[bool]] = qr.get_matrix()
    return matrix


def qr_version(text: str, ecc: Ecc | str = Ecc.M) -> int:
    """Smallest QR version (1..40) holding ``text`` with the segmenting used for rendering.

    Raises InvalidArgument (empty, non-ASCII, bad ``ecc``) or TooLarge (does not fit).
    """
    version: int = _build(text, ecc, 0).version
    return version


def render_image(
    text: str,
    *,
    ecc: Ecc | str = Ecc.M,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
) -> Image.Image:
    """Render ``text`` as a black-on-white mode "1" image, ``scale`` pixels per module.

    ``border`` is the quiet zone in modules. Raises InvalidArgument or TooLarge.
    """
    _check_int("scale", scale, 1, MAX_SCALE)
    matrix = _matrix(text, ecc, border)
    size = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (size, size), pixels)
    if scale > 1:
        image = image.resize((size * scale, size * scale), Image.Resampling.NEAREST)
    return image.convert("1", dither=Image.Dither.NONE)


def render_png(
    text: str,
    *,
    ecc: Ecc | str = Ecc.M,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
) -> bytes:
    """Render ``text`` as 1-bit PNG bytes (see :func:`render_image`)."""
    buffer = io.BytesIO()
    render_image(text, ecc=ecc, scale=scale, border=border).save(buffer, format="PNG")
    return buffer.getvalue()


def render_svg(
    text: str,
    *,
    ecc: Ecc | str = Ecc.M,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
) -> str:
    """Render ``text`` as a standalone SVG: one ``<path>`` on white, ``scale`` px per module."""
    _check_int("scale", scale, 1, MAX_SCALE)
    matrix = _matrix(text, ecc, border)
    size = len(matrix)
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        for dark, group in itertools.groupby(row):
            length = sum(1 for _ in group)
            if dark:
                runs.append(f"M{x} {y}h{length}v1h-{length}z")
            x += length
    pixels = size * scale
    # The white rect keeps the quiet zone when the SVG is shown on a dark page.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


# --------------------------------------------------------------------------- decoders


@functools.cache
def _load_pyzbar() -> ModuleType | None:
    """``pyzbar.pyzbar``, or None without libzbar (cached: a failed import shells out)."""
    try:
        return importlib.import_module("pyzbar.pyzbar")
    except (ImportError, OSError):
        return None


def available_decoders() -> tuple[Decoder, ...]:
    """The decoders usable on this machine, in default order."""
    return tuple(d for d in Decoder if d is Decoder.ZXING or _load_pyzbar() is not None)


def _result(
    data: bytes, decoder: Decoder, xs: Sequence[int], ys: Sequence[int], factor: float
) -> list[ScanResult]:
    """One result with its bounding box scaled back to input pixels; none if not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return []
    left, top, right, bottom = (round(v * factor) for v in (min(xs), min(ys), max(xs), max(ys)))
    return [ScanResult(text, decoder, (left, top, right - left, bottom - top))]


def _scan_zbar(grey: Image.Image, factor: float) -> list[ScanResult]:
    pyzbar = _load_pyzbar()
    if pyzbar is None:
        return []
    try:
        symbols = pyzbar.decode(grey, symbols=[pyzbar.ZBarSymbol.QRCODE])
    except pyzbar.PyZbarError:
        # Raised only when zbar cannot allocate its image or scanner: treat as no result
        # so the next decoder gets its turn.
        return []
    found = []
    for symbol in symbols:
        r = symbol.rect
        xs, ys = (r.left, r.left + r.width), (r.top, r.top + r.height)
        found += _result(symbol.data, Decoder.ZBAR, xs, ys, factor)
    return found


_ZXING_QR: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _scan_zxing(grey: Image.Image, factor: float) -> list[ScanResult]:
    view = memoryview(grey.tobytes()).cast("B", (grey.height, grey.width))
    try:
        barcodes = zxingcpp.read_barcodes(view, formats=_ZXING_QR)
    except (ValueError, RuntimeError):  # what its bindings raise for unusable buffers
        return []
    found = []
    for barcode in barcodes:
        p = barcode.position
        corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        xs, ys = [c.x for c in corners], [c.y for c in corners]
        found += _result(barcode.bytes, Decoder.ZXING, xs, ys, factor)
    return found


# --------------------------------------------------------------------------- image input


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


def _to_grey(image: Image.Image) -> Image.Image:
    """Greyscale "L": transparency composited onto white, wide modes contrast-stretched."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # Plain convert("L") clips 16-bit and float values instead of scaling them.
        wide = image.convert("F")
        low, high = cast(tuple[float, float], wide.getextrema())  # one band: (min, max)
        if not high > low:  # flat, or NaN
            return Image.new("L", image.size, 255)
        gain = 255.0 / (high - low)
        offset = -low * gain
        return wide.point(lambda v: v * gain + offset).convert("L")
    if image.mode == "P" or "A" in image.getbands() or "a" in image.getbands():
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), rgba)
    return image.convert("L")


def _normalise(image: Image.Image, max_pixels: int, *, owned: bool) -> tuple[Image.Image, float]:
    """Upright, greyscale, at most SCAN_MAX_SIDE; plus the factor back to input pixels."""
    width, height = image.size
    _check_size(width, height, max_pixels)
    longest = max(width, height)
    with _pillow_errors(max_pixels):
        if owned and image.format == "JPEG" and longest > SCAN_MAX_SIDE:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: faster and smaller.
            k = SCAN_MAX_SIDE / longest
            image.draft("L", (math.ceil(width * k), math.ceil(height * k)))
        image.load()
        upright = ImageOps.exif_transpose(image)
        grey = _to_grey(image if upright is None else upright)
        if max(grey.size) > SCAN_MAX_SIDE:
            k = SCAN_MAX_SIDE / max(grey.size)
            target = (max(1, round(grey.width * k)), max(1, round(grey.height * k)))
            grey = grey.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
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
    _check_size(int(a.shape[1]), int(a.shape[0]), max_pixels)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise InvalidImage(f"array dtype {a.dtype} is not numeric")
        f = a.astype(np.float64)
        if not np.isfinite(f).all():
            raise InvalidImage("array holds NaN or infinite values")
        low, high = float(f.min()), float(f.max())
        f = (f - low) * (255.0 / (high - low)) if high > low else np.full_like(f, 255.0)
        a = np.rint(f).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(a))


def _prepare(image: ImageSource, max_pixels: int) -> tuple[Image.Image, float]:
    if isinstance(image, Image.Image):
        return _normalise(image, max_pixels, owned=False)
    if isinstance(image, bytes | bytearray | str | os.PathLike):
        if isinstance(image, bytes | bytearray):
            if not image:
                raise InvalidImage("empty input")
            source: Any = io.BytesIO(image)
        else:
            source = os.fspath(image)
        with _pillow_errors(max_pixels), Image.open(source, formats=ALLOWED_FORMATS) as opened:
            return _normalise(opened, max_pixels, owned=True)
    if hasattr(image, "__array_interface__"):
        return _normalise(_from_array(image, max_pixels), max_pixels, owned=False)
    raise InvalidArgument(f"cannot scan a {type(image).__name__}")


# --------------------------------------------------------------------------- scanning


def scan(
    image: ImageSource,
    *,
    decoders: Sequence[str] = (Decoder.ZBAR, Decoder.ZXING),
    max_pixels: int = MAX_PIXELS,
) -> tuple[ScanResult, ...]:
    """Every QR code in ``image``, deduplicated by text, in decoder order.

    ``image`` is encoded image bytes, a file path, a PIL image or a numpy array
    (HxW grey or HxWx3/4 colour; non-uint8 values are scaled to 0..255). Decoders
    are tried in order; the first that finds a code wins. Unavailable decoders
    (zbar without libzbar) are skipped. Only symbols whose bytes are UTF-8 count.

    Raises InvalidArgument (bad options, no requested decoder available, unsupported
    input type), InvalidImage (not a readable image), TooLarge (more than
    ``max_pixels``, checked from the header before decoding) or NoQrFound.
    """
    if isinstance(decoders, str):
        raise InvalidArgument("decoders must be a sequence of names, not one str")
    try:
        chosen = [Decoder(d) for d in decoders]
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"unknown decoder in {decoders!r}") from exc
    runnable = [d for d in dict.fromkeys(chosen) if d in available_decoders()]
    if not runnable:
        raise InvalidArgument(f"none of the decoders {decoders!r} is available")
    _check_int("max_pixels", max_pixels, 1, 2**62)
    grey, factor = _prepare(image, max_pixels)
    for decoder in runnable:
        found: dict[str, ScanResult] = {}
        run = _scan_zbar if decoder is Decoder.ZBAR else _scan_zxing
        for result in run(grey, factor):
            found.setdefault(result.text, result)
        if found:
            return tuple(found.values())
    raise NoQrFound("no QR code found in the image")


def scan_one(
    image: ImageSource,
    *,
    decoders: Sequence[str] = (Decoder.ZBAR, Decoder.ZXING),
    max_pixels: int = MAX_PIXELS,
) -> str:
    """The text of the first QR code :func:`scan` finds; raises as :func:`scan` does."""
    return scan(image, decoders=decoders, max_pixels=max_pixels)[0].text
