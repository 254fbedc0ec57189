"""Scanning pipeline: run QR decoders over cheap-first image variants within a time budget.

This is the layer below :func:`qrseal.qr.scan`. It takes an upright greyscale image
(see ``qr.scan`` for how inputs are opened and normalised) and tries, in order:

1. the image as it is, with every chosen decoder (always done, whatever the budget);
2. preprocessed variants — global thresholding, half and double size, adaptive
   (local-mean) thresholding, smoothing and sharpening — each with the decoders that
   measured best on it (``benchmarks/scan_bench.py``),

and stops at the first attempt that decodes a code. Before each further step it
estimates the step's cost from the per-pixel speed measured so far and skips what
would overrun ``budget_s``. Time comes from an injectable ``clock``.

Inversion and right-angle rotations need no variant: zxing-cpp tries them itself
(``try_invert``, ``try_rotate``), and both decoders find finder patterns at any angle.
Only Pillow is used: numpy is not needed at run time.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType, ModuleType
from typing import Final, TypeVar

import zxingcpp
from PIL import Image, ImageChops, ImageFilter

from ..errors import NoQrFound, StructuredAppend

__all__ = [
    "DEFAULT_BUDGET_S",
    "MAX_BUDGET_S",
    "MAX_VARIANT_PIXELS",
    "STAGES",
    "Attempt",
    "Clock",
    "Decoder",
    "ScanReport",
    "ScanResult",
    "Stage",
    "Variant",
    "available_decoders",
    "run_pipeline",
]

#: Default time budget of one scan, in seconds (the first stage always runs in full).
DEFAULT_BUDGET_S: Final = 0.25
#: Largest budget accepted.
MAX_BUDGET_S: Final = 60.0
#: Variants that would be larger than this (upscaling a big image) are skipped.
MAX_VARIANT_PIXELS: Final = 4_200_000

Clock = Callable[[], float]
_T = TypeVar("_T")


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
class Stage:
    """One pipeline step: a variant and the decoders tried on it, in order."""

    variant: Variant
    decoders: tuple[Decoder, ...]


_BOTH: Final = (Decoder.ZXING, Decoder.ZBAR)
_ZXING: Final = (Decoder.ZXING,)
#: The escalation order after the original image, chosen greedily by decodes gained per
#: millisecond on the failures of ``benchmarks/scan_corpus.py`` (seed 6) and checked
#: on seeds 7-9; a step that rescued nothing there was dropped. Stages whose decoders
#: were all excluded by the caller use the caller's decoders instead.
STAGES: Final = (
    Stage(Variant.HALF, _ZXING),
    Stage(Variant.GLOBAL, _ZXING),
    Stage(Variant.HALF_ADAPTIVE, _ZXING),
    Stage(Variant.ADAPTIVE, _ZXING),
    Stage(Variant.SMOOTH_ADAPTIVE, _ZXING),
    Stage(Variant.SMOOTH_ADAPTIVE_FINE, _ZXING),
    Stage(Variant.ADAPTIVE_FINE, _ZXING),
    Stage(Variant.DOUBLE, _ZXING),
    Stage(Variant.DOUBLE_ADAPTIVE, _ZXING),
    Stage(Variant.DEBLUR, _BOTH),
)


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
    return tuple(d for d in (Decoder.ZXING, Decoder.ZBAR) if _missing_reason(d) is None)


def _missing_reason(decoder: Decoder) -> str | None:
    if decoder is Decoder.ZBAR and _load_pyzbar() is None:
        return "pyzbar or the zbar shared library (libzbar0) is not installed"
    return None


def _result(
    data: bytes,
    decoder: Decoder,
    variant: Variant,
    xs: Sequence[float],
    ys: Sequence[float],
    factor: float,
    *,
    structured: bool = False,
) -> list[ScanResult]:
    """One result with its bounding box scaled back to input pixels; none if not UTF-8
    (unless part of a Structured Append sequence, which is always reported)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if not structured:
            return []
        text = data.decode("utf-8", "replace")
    left, top, right, bottom = (round(v * factor) for v in (min(xs), min(ys), max(xs), max(ys)))
    box = (left, top, right - left, bottom - top)
    return [ScanResult(text, decoder, box, variant, structured_append=structured)]


class _DecoderFailed(Exception):
    """A decoder's binding raised on one image: translated here, recorded in the report."""

    def __init__(self, decoder: Decoder, cause: BaseException) -> None:
        super().__init__(f"{decoder.value}: {type(cause).__name__}")
        self.error = type(cause).__name__


# zbar's four-character code for 8-bit greyscale pixels ("Y800").
_ZBAR_Y800: Final = 0x30303859
# What the ctypes calls into libzbar can raise besides crashing: bad arguments, an
# allocation failure reported as a null pointer, a failed library symbol lookup.
_ZBAR_ERRORS: Final = (ctypes.ArgumentError, ValueError, OSError, AttributeError)


@functools.cache
def _zbar_components() -> Callable[[object], object] | None:
    """libzbar's ``zbar_symbol_get_components`` (non-null for a symbol assembled from a
    Structured Append sequence), bound through ``pyzbar.wrapper``; None if unavailable."""
    try:
        wrapper = importlib.import_module("pyzbar.wrapper")
        function: Callable[[object], object] = wrapper.zbar_function(
            "zbar_symbol_get_components", ctypes.c_void_p, ctypes.POINTER(wrapper.zbar_symbol)
        )
    except (ImportError, *_ZBAR_ERRORS):
        return None
    return function


def _zbar_symbols(image: Image.Image) -> list[tuple[bytes, list[int], list[int], bool]]:
    """(data, xs, ys, structured append) of each QR symbol zbar finds in ``image`` ("L").

    Calls libzbar through ``pyzbar.wrapper`` instead of ``pyzbar.decode``, which raises
    ``ValueError`` on the orientation zbar reports for Structured Append symbols (-1).
    """
    w = importlib.import_module("pyzbar.wrapper")  # loaded with pyzbar.pyzbar
    components = _zbar_components()
    pixels = image.tobytes()
    found = []
    scanner = w.zbar_image_scanner_create()
    if not scanner:
        raise OSError("zbar could not allocate a scanner")
    try:
        w.zbar_image_scanner_set_config(scanner, 0, w.ZBarConfig.CFG_ENABLE, 0)  # 0: all
        w.zbar_image_scanner_set_config(scanner, w.ZBarSymbol.QRCODE, w.ZBarConfig.CFG_ENABLE, 1)
        zimage = w.zbar_image_create()
        if not zimage:
            raise OSError("zbar could not allocate an image")
        try:
            w.zbar_image_set_format(zimage, _ZBAR_Y800)
            w.zbar_image_set_size(zimage, image.width, image.height)
            w.zbar_image_set_data(zimage, pixels, len(pixels), None)  # pixels outlive the scan
            if w.zbar_scan_image(scanner, zimage) < 0:
                raise OSError("zbar refused the image format")
            symbol = w.zbar_image_first_symbol(zimage)
            while symbol:
                data = ctypes.string_at(
                    w.zbar_symbol_get_data(symbol), w.zbar_symbol_get_data_length(symbol)
                )
                points = range(w.zbar_symbol_get_loc_size(symbol))
                xs = [w.zbar_symbol_get_loc_x(symbol, i) for i in points]
                ys = [w.zbar_symbol_get_loc_y(symbol, i) for i in points]
                structured = components is not None and bool(components(symbol))
                found.append((data, xs or [0], ys or [0], structured))
                symbol = w.zbar_symbol_next(symbol)
        finally:
            w.zbar_image_destroy(zimage)
    finally:
        w.zbar_image_scanner_destroy(scanner)
    return found


def _scan_zbar(image: Image.Image, variant: Variant, factor: float) -> list[ScanResult]:
    if _load_pyzbar() is None:
        return []
    try:
        symbols = _zbar_symbols(image)
    except _ZBAR_ERRORS as exc:
        # zbar could not run on this image (allocation, binding): no result, so the next
        # attempt gets its turn; the report names the error.
        raise _DecoderFailed(Decoder.ZBAR, exc) from exc
    found = []
    for data, xs, ys, structured in symbols:
        found += _result(data, Decoder.ZBAR, variant, xs, ys, factor, structured=structured)
    return found


# Only QR Code model 2, what qrcode renders and zbar reads. zxing's "QRCode" is the whole
# family: with Micro QR included it read a 6-digit Micro QR (M1: error detection only)
# out of thresholded photo noise on the corpus.
_ZXING_QR: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2)
# Variants read with zxing's global-histogram binariser instead of its default local
# average: on the corpus it reads many codes the default misses, for about 1 ms.
_ZXING_GLOBAL: Final = frozenset({Variant.GLOBAL, Variant.HALF, Variant.DOUBLE})


def _scan_zxing(image: Image.Image, variant: Variant, factor: float) -> list[ScanResult]:
    view = memoryview(image.tobytes()).cast("B", (image.height, image.width))
    binarizer = (
        zxingcpp.Binarizer.GlobalHistogram
        if variant in _ZXING_GLOBAL
        else zxingcpp.Binarizer.LocalAverage
    )
    try:
        barcodes = zxingcpp.read_barcodes(view, formats=_ZXING_QR, binarizer=binarizer)
    except (ValueError, RuntimeError, TypeError) as exc:  # what its bindings raise
        raise _DecoderFailed(Decoder.ZXING, exc) from exc
    found = []
    for barcode in barcodes:
        p = barcode.position
        corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        xs, ys = [c.x for c in corners], [c.y for c in corners]
        found += _result(barcode.bytes, Decoder.ZXING, variant, xs, ys, factor)
    return found


_DECODE: Final = MappingProxyType({Decoder.ZBAR: _scan_zbar, Decoder.ZXING: _scan_zxing})


def _decode(
    decoder: Decoder, image: Image.Image, variant: Variant, factor: float
) -> tuple[list[ScanResult], str | None]:
    """What ``decoder`` reads in ``image``, and the error its binding raised (then nothing
    is read and the next attempt gets its turn)."""
    try:
        return _DECODE[decoder](image, variant, factor), None
    except _DecoderFailed as failed:
        return [], failed.error


# --------------------------------------------------------------------------- variants

# Lookup table: values at or above 128 become white. Applied to (pixel - local mean + 128).
_THRESHOLD: Final = (0,) * 128 + (255,) * 128


def _adaptive(grey: Image.Image, radius: int) -> Image.Image:
    """Binarise against the local mean of a (2 radius + 1)^2 box: immune to slow changes
    of brightness (glare, vignetting, moiré fringes) and to low global contrast."""
    mean = grey.filter(ImageFilter.BoxBlur(radius))
    return ImageChops.subtract(grey, mean, 1.0, 128).point(_THRESHOLD)


def _scale(variant: Variant) -> float:
    """Size of ``variant`` relative to the original image."""
    if variant in (Variant.HALF, Variant.HALF_ADAPTIVE):
        return 0.5
    if variant in (Variant.DOUBLE, Variant.DOUBLE_ADAPTIVE):
        return 2.0
    return 1.0


# Variants others are built from: the only ones kept after use, so a scan holds the
# original, these and the variant being decoded, never every variant at once.
_BASES: Final = frozenset({Variant.ORIGINAL, Variant.HALF, Variant.DOUBLE})


class _Variants:
    """The variants of one image; the bases others build on are built at most once."""

    def __init__(self, original: Image.Image) -> None:
        self._made: dict[Variant | str, Image.Image] = {Variant.ORIGINAL: original}

    def get(self, variant: Variant) -> Image.Image:
        made = self._made.get(variant)
        if made is None:
            made = self._make(variant)
            if variant in _BASES:
                self._made[variant] = made
        return made

    def _smoothed(self) -> Image.Image:
        smooth = self._made.get("smooth")
        if smooth is None:
            smooth = self._made["smooth"] = self.get(Variant.ORIGINAL).filter(
                ImageFilter.BoxBlur(1)
            )
        return smooth

    def _make(self, variant: Variant) -> Image.Image:
        original = self.get(Variant.ORIGINAL)
        match variant:
            case Variant.HALF:
                return original.reduce(2)
            case Variant.HALF_ADAPTIVE:
                return _adaptive(self.get(Variant.HALF), 4)
            case Variant.ADAPTIVE:
                return _adaptive(original, 6)
            case Variant.ADAPTIVE_FINE:
                return _adaptive(original, 4)
            case Variant.SMOOTH_ADAPTIVE:
                return _adaptive(self._smoothed(), 6)
            case Variant.SMOOTH_ADAPTIVE_FINE:
                return _adaptive(self._smoothed(), 4)
            case Variant.DOUBLE:
                size = (original.width * 2, original.height * 2)
                return original.resize(size, Image.Resampling.BICUBIC)
            case Variant.DOUBLE_ADAPTIVE:
                return _adaptive(self.get(Variant.DOUBLE), 12)
            case Variant.DEBLUR:
                # Unsharp masking twice undoes much of a defocus blur; smoothing first
                # keeps it from amplifying sensor noise.
                sharpen = ImageFilter.UnsharpMask(3, 300, 0)
                return self._smoothed().filter(sharpen).filter(sharpen)
            case _:  # ORIGINAL and GLOBAL: the image itself
                return original


# What making each variant costs, relative to one box-blur threshold pass over the
# variant's pixels (measured on 1920x1080; the variants each builds on come earlier in
# STAGES and are cached). The budget predicts a step as rate x pixels x this.
_PREPARE_COST: Final = MappingProxyType(
    {
        Variant.ORIGINAL: 0.0,
        Variant.GLOBAL: 0.0,
        Variant.HALF: 0.3,
        Variant.HALF_ADAPTIVE: 1.0,
        Variant.ADAPTIVE: 1.0,
        Variant.ADAPTIVE_FINE: 1.0,
        Variant.SMOOTH_ADAPTIVE: 2.0,
        Variant.SMOOTH_ADAPTIVE_FINE: 1.0,
        Variant.DOUBLE: 1.0,
        Variant.DOUBLE_ADAPTIVE: 1.5,
        Variant.DEBLUR: 5.0,
    }
)


# --------------------------------------------------------------------------- pipeline


# Predictions are padded: a step can run slower than the slowest rate seen so far
# (another process taking the core, a cold cache).
_SAFETY: Final = 1.25


class _Budget:
    """Times each step with one clock reading and predicts the next step's cost from
    the slowest per-pixel rate seen so far (of its kind, else of any kind)."""

    def __init__(self, clock: Clock, start: float, budget_s: float) -> None:
        self._clock = clock
        self._start = start
        self._budget = budget_s
        self._rates: dict[str, float] = {}
        self._last = clock()
        self.exhausted = False

    def spent(self) -> bool:
        """Whether no time is left; then the search stops."""
        if self._last - self._start >= self._budget:
            self.exhausted = True
        return self.exhausted

    def fits(self, kind: str, work: float) -> bool:
        """Whether ``work`` units (pixels times a relative cost) of ``kind`` should
        still finish within budget."""
        rate = self._rates.get(kind, max(self._rates.values(), default=0.0))
        if _SAFETY * rate * work < self._budget - (self._last - self._start):
            return True
        self.exhausted = True
        return False

    def run(self, kind: str, work: float, step: Callable[[], _T]) -> tuple[_T, float]:
        """``step()`` and the seconds it took, which also teach the rate of ``kind``."""
        before = self._last
        value = step()
        self._last = self._clock()
        seconds = self._last - before
        if work > 0:  # nothing to learn from a step predicted to be free
            rate = max(seconds, 0.0) / work
            self._rates[kind] = max(self._rates.get(kind, 0.0), rate)
        return value, seconds

    def elapsed(self) -> float:
        return self._last - self._start


def _stages(chosen: Sequence[Decoder]) -> list[tuple[Variant, tuple[Decoder, ...]]]:
    """The (variant, decoders) steps for the caller's decoders, without repeats."""
    steps = [(Variant.ORIGINAL, tuple(chosen))]
    done = {(Variant.ORIGINAL, d) for d in chosen}
    for stage in STAGES:
        wanted = tuple(d for d in stage.decoders if d in chosen) or tuple(chosen)
        fresh = tuple(d for d in wanted if (stage.variant, d) not in done)
        done.update((stage.variant, d) for d in fresh)
        if fresh:
            steps.append((stage.variant, fresh))
    return steps


def run_pipeline(
    grey: Image.Image,
    *,
    factor: float,
    decoders: Sequence[Decoder],
    budget_s: float,
    clock: Clock,
    start: float,
    keep_images: bool = False,
) -> ScanReport:
    """Try the stages on ``grey`` (mode "L") until one decodes; never raises NoQrFound.

    ``factor`` maps ``grey`` pixels to input pixels; ``start`` is the ``clock()`` value
    the budget counts from. The first stage (the image as it is, every decoder in
    ``decoders``) always runs; later steps run only while the budget predicts they fit.
    Decoders in ``decoders`` that are unavailable are skipped and reported.
    """
    skipped = tuple((d, why) for d in decoders if (why := _missing_reason(d)) is not None)
    chosen = [d for d in decoders if _missing_reason(d) is None]
    budget = _Budget(clock, start, budget_s)
    variants = _Variants(grey)
    attempts: list[Attempt] = []
    for index, (variant, stage_decoders) in enumerate(_stages(chosen)):
        scale = _scale(variant)
        pixels = round(grey.width * scale) * round(grey.height * scale)
        prepare = pixels * _PREPARE_COST[variant]
        if index == 0:
            image = grey
        elif budget.spent():
            break
        elif pixels > MAX_VARIANT_PIXELS or not budget.fits("prepare", prepare):
            continue
        else:
            image, _ = budget.run("prepare", prepare, functools.partial(variants.get, variant))
        for decoder in stage_decoders:
            if index > 0 and (budget.spent() or not budget.fits(decoder.value, pixels)):
                continue
            decode = functools.partial(_decode, decoder, image, variant, factor / scale)
            (found, error), seconds = budget.run(decoder.value, pixels, decode)
            kept = image if keep_images else None
            attempts.append(Attempt(variant, decoder, len(found), seconds, kept, error))
            if found:
                unique: dict[str, ScanResult] = {}
                for result in found:
                    unique.setdefault(result.text, result)
                return ScanReport(
                    tuple(unique.values()), tuple(attempts), skipped, False, budget.elapsed()
                )
    return ScanReport((), tuple(attempts), skipped, budget.exhausted, budget.elapsed())
