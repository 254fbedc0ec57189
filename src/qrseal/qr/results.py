"""What a scan returns: the decoders, the image variants, each code found, and the report
of every attempt. Plain values (frozen dataclasses and enums), light to import."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ..errors import NoQrFound, StructuredAppend

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["Attempt", "Decoder", "ScanReport", "ScanResult", "Variant"]


class Decoder(StrEnum):
    """QR decoders ``scan`` can use."""

    ZBAR = "zbar"
    ZXING = "zxing"


class Variant(StrEnum):
    """The image a decoder was given. Values are stable: debug output and results use them."""

    #: the upright greyscale input (each decoder binarises it its own way)
    ORIGINAL = "original"
    #: the input, binarised with one global threshold (zxing's histogram binariser)
    GLOBAL = "global"
    #: halved (2x2 box average: less noise, moiré and JPEG ringing), global threshold
    HALF = "half"
    #: halved, then adaptive threshold against a 9x9 local mean
    HALF_ADAPTIVE = "half-adaptive"
    #: adaptive threshold against a 13x13 local mean (glare, uneven light, low contrast)
    ADAPTIVE = "adaptive"
    #: adaptive threshold against a 9x9 local mean (finer modules)
    ADAPTIVE_FINE = "adaptive-fine"
    #: smoothed by a 3x3 mean (sensor noise), then adaptive threshold (13x13)
    SMOOTH_ADAPTIVE = "smooth-adaptive"
    #: smoothed by a 3x3 mean, then adaptive threshold against a 9x9 local mean
    SMOOTH_ADAPTIVE_FINE = "smooth-adaptive-fine"
    #: doubled (bicubic) for small modules, global threshold
    DOUBLE = "double"
    #: doubled, then adaptive threshold against a 25x25 local mean
    DOUBLE_ADAPTIVE = "double-adaptive"
    #: smoothed by a 3x3 mean, then sharpened twice (defocus blur)
    DEBLUR = "deblur"
    #: a symbol zxing located but could not decode, its modules sampled through refined
    #: corners and redrawn clean (qr.resample; issue 12: dense codes off a phone screen)
    RESAMPLED = "resampled"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One QR code found in an image.

    ``position`` is ``(left, top, width, height)`` in pixels of the upright
    (EXIF-rotated) input image, or ``None`` when the decoder gives none. ``variant``
    names the preprocessed image the code was read from. zbar detects Structured Append
    symbols; zxing-cpp's Python binding does not say (it returns the part's text).
    """

    text: str
    decoder: Decoder
    position: tuple[int, int, int, int] | None
    variant: Variant = Variant.ORIGINAL
    #: one symbol of a Structured Append sequence (ISO/IEC 18004 mode 0011): ``text`` is
    #: not a whole message, and :meth:`ScanReport.require_results` refuses it
    structured_append: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    """One decoder run on one variant, for debugging. ``image`` is kept only on request."""

    variant: Variant
    decoder: Decoder
    found: int
    seconds: float
    image: Image.Image | None = None
    #: the exception type the decoder's binding raised (then ``found`` is 0), else None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ScanReport:
    """What a scan did: the codes found (possibly none), every attempt in order, the
    decoders skipped and why, and whether the budget cut the search short."""

    results: tuple[ScanResult, ...]
    attempts: tuple[Attempt, ...]
    skipped_decoders: tuple[tuple[Decoder, str], ...]
    budget_exhausted: bool
    seconds: float

    def require_results(self) -> tuple[ScanResult, ...]:
        """The codes found. Raises NoQrFound when there are none, StructuredAppend when
        one is a symbol of a Structured Append sequence (part of a message)."""
        if not self.results:
            raise NoQrFound("no QR code found in the image")
        if any(r.structured_append for r in self.results):
            raise StructuredAppend("a QR symbol in the image is one part of a sequence")
        return self.results
