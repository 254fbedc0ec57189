"""QR layer: render text as a QR code image and scan QR codes back to text.

This module knows nothing about credentials: it turns ASCII text into a QR symbol
(PIL image, PNG bytes or SVG) and finds every QR symbol in an image.

Rendering uses ``qrcode`` with mode segmenting, so ``DL1:`` followed by a long
run of digits is stored in numeric mode and Base45 text in alphanumeric mode.

Scanning opens and normalises the input with :mod:`qrseal.qr.image` (format
allow-list, pixel and decode-memory caps, EXIF orientation, transparency, 16-bit and
palette images, numpy arrays) and hands the upright greyscale image, at most
``SCAN_MAX_SIDE`` pixels a side, to :mod:`qrseal.qr.pipeline`, which tries zxing-cpp
and zbar (through ``pyzbar``) on the image and then on preprocessed variants within a
time budget. zbar is optional at run time: without its shared library it is
skipped. Every error leaving this module is a :class:`~qrseal.errors.QrsealError`.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Final

import qrcode
import qrcode.constants
import qrcode.exceptions
from PIL import Image

from ..errors import InvalidArgument, TooLarge
from .image import (
    ALLOWED_FORMATS,
    IMAGE_RSS_BOUND,
    IMAGE_TIME_BOUND_S,
    MAX_DECODE_BYTES,
    MAX_PIXELS,
    SCAN_MAX_SIDE,
    ImageSource,
    full_size_bytes_per_pixel,
    max_pixels_for,
    prepare,
)
from .pipeline import (
    DEFAULT_BUDGET_S,
    MAX_BUDGET_S,
    Attempt,
    Clock,
    Decoder,
    ScanReport,
    ScanResult,
    Variant,
    available_decoders,
    run_pipeline,
)

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_BORDER",
    "DEFAULT_BUDGET_S",
    "DEFAULT_DECODERS",
    "DEFAULT_SCALE",
    "IMAGE_RSS_BOUND",
    "IMAGE_TIME_BOUND_S",
    "MAX_BORDER",
    "MAX_BUDGET_S",
    "MAX_DECODE_BYTES",
    "MAX_PIXELS",
    "MAX_SCALE",
    "MAX_TEXT_CHARS",
    "SCAN_MAX_SIDE",
    "Attempt",
    "Clock",
    "Decoder",
    "Ecc",
    "ImageSource",
    "ScanReport",
    "ScanResult",
    "Variant",
    "available_decoders",
    "full_size_bytes_per_pixel",
    "max_pixels_for",
    "qr_version",
    "render_image",
    "render_png",
    "render_svg",
    "scan",
    "scan_one",
    "scan_report",
]

#: Pixels per module: a version 13 code (69 modules + 2 x 4 quiet zone) is 616 px wide.
DEFAULT_SCALE: Final = 8
#: Quiet zone in modules; ISO/IEC 18004 asks for at least 4.
DEFAULT_BORDER: Final = 4
MAX_SCALE: Final = 64
MAX_BORDER: Final = 20
#: Longest text any QR code can hold (version 40-L, numeric mode).
MAX_TEXT_CHARS: Final = 7089
#: Decoders ``scan`` tries by default, fastest first (zxing-cpp ~3 ms on a 1280x720
#: frame, zbar ~12 ms); a code either reads is returned with the one that read it.
DEFAULT_DECODERS: Final = (Decoder.ZXING, Decoder.ZBAR)
# A run of digits (or alphanumerics inside byte text) at least this long gets its own
# segment. 20 puts "DL1:" + digits into numeric mode; smaller values fragment Base45
# text into many short segments whose headers cost more than they save (measured).
_SEGMENT_MIN_RUN: Final = 20


class Ecc(StrEnum):
    """QR error-correction level: recovers about 7 / 15 / 25 / 30 % of the symbol."""

    L = "L"
    M = "M"
    Q = "Q"
    H = "H"


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


# --------------------------------------------------------------------------- scanning


def _check_options(decoders: Sequence[str], max_pixels: int, budget_s: float) -> list[Decoder]:
    if isinstance(decoders, str):
        raise InvalidArgument("decoders must be a sequence of names, not one str")
    try:
        chosen = list(dict.fromkeys(Decoder(d) for d in decoders))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"unknown decoder in {decoders!r}") from exc
    if not any(d in available_decoders() for d in chosen):
        raise InvalidArgument(f"none of the decoders {decoders!r} is available")
    _check_int("max_pixels", max_pixels, 1, 2**62)
    if (
        isinstance(budget_s, bool)
        or not isinstance(budget_s, int | float)
        or not 0 <= budget_s <= MAX_BUDGET_S  # also rejects NaN
    ):
        raise InvalidArgument(f"budget_s must be a number in 0..{MAX_BUDGET_S}, got {budget_s!r}")
    return chosen


def scan_report(
    image: ImageSource,
    *,
    decoders: Sequence[str] = DEFAULT_DECODERS,
    max_pixels: int = MAX_PIXELS,
    budget_s: float = DEFAULT_BUDGET_S,
    clock: Clock = time.perf_counter,
    keep_images: bool = False,
) -> ScanReport:
    """Scan as :func:`scan` does, but return what was tried, even when nothing decodes.

    The report lists every attempt (variant, decoder, codes found, seconds, and the
    variant image itself when ``keep_images`` is true), the requested decoders that were
    skipped as unavailable, and whether the budget stopped the search. For field
    debugging (``qrseal scan --debug DIR``). Raises as :func:`scan` does, except NoQrFound.
    """
    start = clock()
    chosen = _check_options(decoders, max_pixels, budget_s)
    grey, factor = prepare(image, max_pixels)
    return run_pipeline(
        grey,
        factor=factor,
        decoders=chosen,
        budget_s=float(budget_s),
        clock=clock,
        start=start,
        keep_images=keep_images,
    )


def scan(
    image: ImageSource,
    *,
    decoders: Sequence[str] = DEFAULT_DECODERS,
    max_pixels: int = MAX_PIXELS,
    budget_s: float = DEFAULT_BUDGET_S,
    clock: Clock = time.perf_counter,
) -> tuple[ScanResult, ...]:
    """Every QR code found in ``image``, deduplicated by text.

    ``image`` is encoded image bytes, a file path, a PIL image or a numpy array
    (HxW grey or HxWx3/4 colour; non-uint8 values are scaled to 0..255). The image
    as it is goes to each decoder in ``decoders`` order; if none reads a code,
    preprocessed variants follow (see :mod:`qrseal.qr.pipeline`) while ``budget_s``
    seconds of ``clock`` (counted from this call) predictably allow. The first attempt
    that reads anything wins: all the codes it read are returned, each with the
    decoder and :class:`Variant` that read it. With ``budget_s=0`` only the image as it
    is is tried. Unavailable decoders (zbar without libzbar) are skipped. Only symbols
    whose bytes are UTF-8 count.

    Raises InvalidArgument (bad options, no requested decoder available, unsupported
    input type), InvalidImage (not a readable image), TooLarge (more than
    ``max_pixels``, or more than :data:`MAX_DECODE_BYTES` to decode and convert, or
    more than 8 compressed PNG metadata chunks: all checked before decoding),
    NoQrFound, or StructuredAppend (a symbol is one part of a sequence). Memory and
    time stay within :data:`IMAGE_RSS_BOUND` and :data:`IMAGE_TIME_BOUND_S` (measured).
    """
    report = scan_report(
        image, decoders=decoders, max_pixels=max_pixels, budget_s=budget_s, clock=clock
    )
    return report.require_results()


def scan_one(
    image: ImageSource,
    *,
    decoders: Sequence[str] = DEFAULT_DECODERS,
    max_pixels: int = MAX_PIXELS,
    budget_s: float = DEFAULT_BUDGET_S,
    clock: Clock = time.perf_counter,
) -> str:
    """The text of the first QR code :func:`scan` finds; raises as :func:`scan` does."""
    found = scan(image, decoders=decoders, max_pixels=max_pixels, budget_s=budget_s, clock=clock)
    return found[0].text
