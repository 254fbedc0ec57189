"""The scan entry: find every QR code in an image and return its text.

:func:`scan` checks the options, opens and normalises the input with
:mod:`qrseal.qr.image` (format allow-list, pixel and decode-memory caps, EXIF
orientation, transparency, 16-bit and palette images, numpy arrays) and hands the
upright greyscale image, at most ``SCAN_MAX_SIDE`` pixels a side, to
:mod:`qrseal.qr.pipeline`, which tries zxing-cpp and zbar (through ``pyzbar``) on the
image and then on preprocessed variants within a time budget. zbar is optional at run
time: without its shared library it is skipped. Every error leaving this module is a
:class:`~qrseal.errors.QrsealError`.

(Named ``scanning``, not ``scan``: a submodule ``qrseal.qr.scan`` would be shadowed by,
or shadow, the function :func:`qrseal.qr.scan`.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Final

from ..errors import InvalidArgument
from ._checks import check_int
from .image import MAX_PIXELS, ImageSource, prepare
from .pipeline import (
    DEFAULT_BUDGET_S,
    MAX_BUDGET_S,
    Clock,
    Decoder,
    ScanReport,
    ScanResult,
    available_decoders,
    run_pipeline,
)

__all__ = ["DEFAULT_DECODERS", "scan", "scan_one", "scan_report"]

#: Decoders ``scan`` tries by default, fastest first (zxing-cpp ~3 ms on a 1280x720
#: frame, zbar ~12 ms); a code either reads is returned with the one that read it.
DEFAULT_DECODERS: Final = (Decoder.ZXING, Decoder.ZBAR)


def _check_options(decoders: Sequence[str], max_pixels: int, budget_s: float) -> list[Decoder]:
    if isinstance(decoders, str):
        raise InvalidArgument("decoders must be a sequence of names, not one str")
    try:
        chosen = list(dict.fromkeys(Decoder(d) for d in decoders))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"unknown decoder in {decoders!r}") from exc
    if not any(d in available_decoders() for d in chosen):
        raise InvalidArgument(f"none of the decoders {decoders!r} is available")
    check_int("max_pixels", max_pixels, 1, 2**62)
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
