"""Scanning pipeline: run QR decoders over cheap-first image variants within a time budget.

This is the layer below :func:`qrseal.qr.scan`. It takes an upright greyscale image
(see ``qr.scan`` for how inputs are opened and normalised) and tries, in order:

1. the image as it is, with every chosen decoder (always done, whatever the budget);
2. preprocessed variants — global thresholding, half and double size, adaptive
   (local-mean) thresholding, smoothing and sharpening — each with the decoders that
   measured best on it (``benchmarks/scan_bench.py``),

3. once per scan, when zxing located a QR symbol but could not decode it: the symbol's
   modules sampled through its refined corners and redrawn clean (``qr.resample``) —
   at once for a dense symbol (at most ``DENSE_MODULE_PX`` pixels a module, a
   portrait's v24 off a phone screen), after the other stages for a coarser one,

and stops at the first attempt that decodes a code. Before each further step it
estimates the step's cost from the per-pixel speed measured so far and skips what
would overrun ``budget_s``. Time comes from an injectable ``clock``.

Inversion and right-angle rotations need no variant: zxing-cpp tries them itself
(``try_invert``, ``try_rotate``), and both decoders find finder patterns at any angle.
Only Pillow is used, and numpy (loaded then) only by the resampling step.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypeVar

from PIL import Image, ImageChops, ImageFilter

from .decoders import Quad, decode, missing_reason
from .decoders import available_decoders as available_decoders
from .resample import available as can_resample
from .resample import is_dense, redraw
from .results import Attempt as Attempt
from .results import Decoder as Decoder
from .results import ScanReport as ScanReport
from .results import ScanResult as ScanResult
from .results import Variant as Variant

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


# What resampling a located symbol costs per pixel of its bounding box, in the units of
# _PREPARE_COST (measured 23-39 on the scan corpus's photo_of_screen class, v24-v25 at
# ~3 px/module, numpy already loaded): priced at the "prepare" rate until seen.
_RESAMPLE_COST: Final = 40.0

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

    def fits(self, kind: str, work: float, like: str | None = None) -> bool:
        """Whether ``work`` units (pixels times a relative cost) of ``kind`` should
        still finish within budget (priced as ``like`` until ``kind`` has been seen)."""
        fallback = self._rates.get(like, 0.0) if like else 0.0
        rate = self._rates.get(kind, fallback or max(self._rates.values(), default=0.0))
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


def _in_grey(quad: Quad, scale: float) -> Quad:
    return tuple((x / scale, y / scale) for x, y in quad)


def _bounds(quad: Quad, factor: float) -> tuple[int, int, int, int]:
    """(left, top, width, height) of ``quad`` scaled by ``factor``."""
    xs, ys = [x * factor for x, _ in quad], [y * factor for _, y in quad]
    left, top = round(min(xs)), round(min(ys))
    return (left, top, round(max(xs)) - left, round(max(ys)) - top)


def _resample(
    grey: Image.Image,
    quad: Quad,
    *,
    factor: float,
    budget: _Budget,
    attempts: list[Attempt],
    keep_images: bool,
) -> list[ScanResult]:
    """Read the symbol zxing located at ``quad`` (``grey`` pixels) by resampling it, if
    the budget allows; what it read (positions: the located corners' bounds)."""
    _, _, width, height = _bounds(quad, 1.0)
    work = max(1, width * height) * _RESAMPLE_COST
    if budget.spent() or not budget.fits("resample", work, like="prepare"):
        return []
    drawings, _ = budget.run("resample", work, functools.partial(redraw, grey, quad))
    for image in drawings:
        pixels = image.width * image.height
        if budget.spent() or not budget.fits(Decoder.ZXING.value, pixels):
            break
        attempt = functools.partial(decode, Decoder.ZXING, image, Variant.RESAMPLED, 1.0)
        decoded, seconds = budget.run(Decoder.ZXING.value, pixels, attempt)
        kept = image if keep_images else None
        attempts.append(
            Attempt(Variant.RESAMPLED, Decoder.ZXING, len(decoded.found), seconds, kept, None)
        )
        if decoded.found:
            box = _bounds(quad, factor)
            return [dataclasses.replace(r, position=box) for r in decoded.found]
    return []


def _report(
    found: list[ScanResult],
    attempts: list[Attempt],
    skipped: tuple[tuple[Decoder, str], ...],
    budget: _Budget,
) -> ScanReport:
    """The report of a scan that read ``found`` (deduplicated by text)."""
    unique: dict[str, ScanResult] = {}
    for result in found:
        unique.setdefault(result.text, result)
    return ScanReport(tuple(unique.values()), tuple(attempts), skipped, False, budget.elapsed())


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
    skipped = tuple((d, why) for d in decoders if (why := missing_reason(d)) is not None)
    chosen = [d for d in decoders if missing_reason(d) is None]
    budget = _Budget(clock, start, budget_s)
    variants = _Variants(grey)
    attempts: list[Attempt] = []
    # at most once per scan; needs zxing (which locates) and numpy. A dense symbol is
    # resampled when first located, a coarser one after the other stages (``pending``).
    resampled = Decoder.ZXING not in chosen or not can_resample()
    pending: Quad | None = None
    resample = functools.partial(
        _resample, grey, factor=factor, budget=budget, attempts=attempts, keep_images=keep_images
    )
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
            attempt = functools.partial(decode, decoder, image, variant, factor / scale)
            (found, error, located), seconds = budget.run(decoder.value, pixels, attempt)
            kept = image if keep_images else None
            attempts.append(Attempt(variant, decoder, len(found), seconds, kept, error))
            if not found and located and not resampled and pending is None:
                quad = _in_grey(located[0], scale)
                # a few milliseconds, not learnt as a rate (work 0): always made
                if budget.run("dense", 0, functools.partial(is_dense, grey, quad))[0]:
                    resampled = True
                    found = resample(quad)
                else:
                    pending = quad
            if found:
                return _report(found, attempts, skipped, budget)
    if pending is not None and not resampled and (found := resample(pending)):
        return _report(found, attempts, skipped, budget)
    return ScanReport((), tuple(attempts), skipped, budget.exhausted, budget.elapsed())
