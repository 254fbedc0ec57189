"""Reading a located but undecodable code by sampling its modules ourselves (issue #12).

A dense code (a portrait's v23-v25) photographed off a phone screen ends at about three
pixels a module, blurred over its neighbours, noisy and JPEG'd. zxing-cpp often still
*finds* it (a binarised variant shows the finder patterns) but its own sampler, one
pixel per module after a global grid fit, reads too many wrong modules for ECC level M.
Given the four corners zxing located, this module

1. picks the version whose known patterns (finders, separators, timing, alignment)
   agree best with the image through those corners,
2. refines each corner to an eighth of a pixel by maximising that agreement (the corners
   zxing reports for an undecoded symbol are off by one to several pixels, and one
   pixel at three pixels a module doubles the module errors),
3. samples each module as the mean of its inner third, cancels part of the blur's spill
   from the eight neighbours (a linear equaliser on the module grid), thresholds against
   the 9x9-module local mean, restores the known patterns, and
4. redraws the modules clean, for zxing to decode (Reed-Solomon still decides).

``benchmarks/scan_oracle.py`` measured the idea with the true geometry first. numpy is
imported only when a code is resampled: text verification never loads it.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from PIL import Image

from .decoders import Quad

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Floats = NDArray[np.float64]
    Bools = NDArray[np.bool_]

__all__ = ["DENSE_MODULE_PX", "MAX_CANDIDATES", "Quad", "available", "is_dense", "redraw"]

#: Versions tried per located code (best agreement with the known patterns first).
MAX_CANDIDATES: Final = 1
#: Equaliser strengths tried (0: none) and the local-mean window (modules) the equalised
#: samples are thresholded against; chosen on seed 6 of the scan corpus (photo_of_screen,
#: severe, 600-byte portrait: 4 of the 5 located symbols read, against 2 with (1.0, 7)).
_ALPHAS: Final = (2.0, 1.0, 3.0)
_WINDOW: Final = 9
#: Pixels a module in the redrawn image, and its quiet zone in modules.
_REDRAW_PX: Final = 3
_QUIET: Final = 4
#: Corner refinement: step sizes in pixels, hill-climbing rounds per step, moves.
_STEPS: Final = (4.0, 2.0, 1.0, 0.5, 0.25, 0.125)
_CLIMBS: Final = 3
_MOVES: Final = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy)
#: A located symbol with modules at most this many pixels is resampled at once; a
#: coarser one only after the other variants (they read blurred coarse codes better).
DENSE_MODULE_PX: Final = 3.6
#: Module sizes (pixels) a located code may plausibly have.
_MODULE_PX: Final = (1.5, 10.0)


def _np() -> Any:
    return importlib.import_module("numpy")


@functools.cache
def available() -> bool:
    """Whether numpy is installed (a dependency; without it the pipeline skips this step)."""
    try:
        _np()
    except ImportError:
        return False
    return True


def _in_finder(r: int, c: int, n: int) -> bool:
    """Whether module (r, c) of an n-module symbol is in a finder pattern's corner."""
    return (r < 9 and (c < 9 or c > n - 9)) or (r > n - 9 and c < 9)


@functools.cache
def _known(version: int) -> tuple[Bools, Bools]:
    """(mask, dark) of the modules every symbol of ``version`` has: finder patterns with
    their separators, timing patterns and alignment patterns (ISO/IEC 18004 §6.3)."""
    np = _np()
    util = importlib.import_module("qrcode.util")
    n = 17 + 4 * version
    mask = np.zeros((n, n), dtype=bool)
    dark = np.zeros((n, n), dtype=bool)
    finder = np.ones((7, 7), dtype=bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
        dark[r : r + 7, c : c + 7] = finder
    mask[:8, :8] = mask[:8, n - 8 :] = mask[n - 8 :, :8] = True
    even = np.arange(8, n - 8) % 2 == 0
    mask[6, 8 : n - 8] = mask[8 : n - 8, 6] = True
    dark[6, 8 : n - 8] = dark[8 : n - 8, 6] = even
    alignment = np.ones((5, 5), dtype=bool)
    alignment[1:4, 1:4] = False
    alignment[2, 2] = True
    centres: list[int] = util.pattern_position(version)
    for r in centres:
        for c in centres:
            if not _in_finder(r, c, n):  # those on the timing lines are patterns too
                mask[r - 2 : r + 3, c - 2 : c + 3] = True
                dark[r - 2 : r + 3, c - 2 : c + 3] = alignment
    return mask, dark


def _homographies(n: int, quads: Floats) -> Floats | None:
    """The 3x3 maps from module coordinates (0..n) to image pixels through each of a stack
    of quads (k x 4 x 2); None if any quad is degenerate."""
    np = _np()
    k = quads.shape[0]
    a = np.zeros((k, 8, 8))
    for i, (x, y) in enumerate(((0, 0), (n, 0), (n, n), (0, n))):
        u, v = quads[:, i, 0], quads[:, i, 1]
        a[:, 2 * i, 0:3] = (x, y, 1)
        a[:, 2 * i, 6], a[:, 2 * i, 7] = -u * x, -u * y
        a[:, 2 * i + 1, 3:6] = (x, y, 1)
        a[:, 2 * i + 1, 6], a[:, 2 * i + 1, 7] = -v * x, -v * y
    try:
        coeffs = np.linalg.solve(a, quads.reshape(k, 8, 1))[..., 0]
    except np.linalg.LinAlgError:
        return None
    maps: Floats = np.concatenate([coeffs, np.ones((k, 1))], axis=1).reshape(k, 3, 3)
    return maps


def _at(grey: Floats, p: Floats) -> Floats:
    """``grey`` bilinearly at homogeneous pixel points ``p`` (``[..., 3, m]``), clamped to
    the image (points outside read its border)."""
    np = _np()
    w = np.where(np.abs(p[..., 2, :]) < 1e-9, 1e-9, p[..., 2, :])
    height, width = grey.shape
    px = np.clip(p[..., 0, :] / w - 0.5, 0, width - 1.001)
    py = np.clip(p[..., 1, :] / w - 0.5, 0, height - 1.001)
    x0, y0 = px.astype(np.int64), py.astype(np.int64)
    fx, fy = px - x0, py - y0
    top = grey[y0, x0] * (1 - fx) + grey[y0, x0 + 1] * fx
    bottom = grey[y0 + 1, x0] * (1 - fx) + grey[y0 + 1, x0 + 1] * fx
    result: Floats = top * (1 - fy) + bottom * fy
    return result


def _bilinear(grey: Floats, h: Floats, xs: Floats, ys: Floats) -> Floats:
    """``grey`` at module coordinates (xs, ys) through ``h``."""
    np = _np()
    return _at(grey, h @ np.stack([xs, ys, np.ones(xs.shape)]))


@functools.cache
def _known_points(version: int) -> tuple[Floats, Floats, Floats]:
    """Centres (x, y) of the known modules of ``version`` and -1 for dark, +1 for light."""
    np = _np()
    mask, dark = _known(version)
    ys, xs = np.nonzero(mask)
    return xs + 0.5, ys + 0.5, np.where(dark[ys, xs], -1.0, 1.0)


def _agreement(grey: Floats, quad: Sequence[tuple[float, float]], version: int) -> float:
    """Correlation (-1..1) of the image's known-pattern modules with their known colours."""
    np = _np()
    return float(_agreements(grey, np.array(quad, dtype=float)[None], version)[0])


def _agreements(grey: Floats, quads: Floats, version: int) -> Floats:
    """Correlation (-1..1) of the image's known-pattern modules with their known colours
    through each of a stack of quads (k x 4 x 2), in one numpy pass."""
    np = _np()
    xs, ys, sign = _known_points(version)
    h = _homographies(17 + 4 * version, quads)
    if h is None:  # a degenerate quad among them: no agreement at all
        failed: Floats = np.full(quads.shape[0], -1.0)
        return failed
    values = _at(grey, h @ np.stack([xs, ys, np.ones(xs.shape)]))
    spread = values.std(axis=1)
    centred = values - values.mean(axis=1, keepdims=True)
    scores: Floats = np.where(
        spread > 0, centred @ sign / (np.maximum(spread, 1e-9) * len(sign)), -1.0
    )
    return scores


def _refine(grey: Floats, quad: Quad, version: int) -> Quad:
    """``quad`` with each corner moved to maximise agreement: a hill climb in steps of
    4 down to 1/8 pixel (zxing's corners of an undecoded symbol can be several pixels
    off); the eight moves of a corner are scored together."""
    np = _np()
    best_quad = np.array(quad, dtype=float)
    best = float(_agreements(grey, best_quad[None], version)[0])
    moves = np.array(_MOVES, dtype=float)
    for step in _STEPS:
        for _ in range(_CLIMBS):
            improved = False
            for corner in range(4):
                trials = np.repeat(best_quad[None], len(moves), axis=0)
                trials[:, corner] += moves * step
                scores = _agreements(grey, trials, version)
                top = int(np.argmax(scores))
                if scores[top] > best:
                    best, best_quad, improved = float(scores[top]), trials[top], True
            if not improved:
                break
    return tuple((float(x), float(y)) for x, y in best_quad)


def _box_mean(values: Floats, size: int) -> Floats:
    """Mean over a ``size`` x ``size`` window (odd), edges repeated."""
    np = _np()
    r = size // 2
    sums = np.pad(np.pad(values, r, mode="edge").cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    h, w = values.shape
    total = (
        sums[size : size + h, size : size + w]
        - sums[:h, size : size + w]
        - sums[size : size + h, :w]
        + sums[:h, :w]
    )
    result: Floats = total / (size * size)
    return result


def _sample(grey: Floats, quad: Quad, n: int) -> Floats | None:
    """Each module's mean grey over its inner third (3 x 3 points); None for a
    degenerate quad."""
    np = _np()
    maps = _homographies(n, np.array(quad, dtype=float)[None])
    if maps is None:
        return None
    h = maps[0]
    centres = np.arange(n) + 0.5
    total = np.zeros((n, n))
    for dy in (-1 / 6, 0.0, 1 / 6):
        for dx in (-1 / 6, 0.0, 1 / 6):
            xs, ys = np.meshgrid(centres + dx, centres + dy)
            total += _bilinear(grey, h, xs.ravel(), ys.ravel()).reshape(n, n)
    result: Floats = total / 9
    return result


def _side(quad: Quad) -> float:
    return sum(math.dist(quad[i], quad[(i + 1) % 4]) for i in range(4)) / 4


def _ranked(pixels: Floats, quad: Quad) -> list[int]:
    """Versions whose module size fits ``quad``, best agreement first."""
    side = _side(quad)
    versions = [v for v in range(1, 41) if _MODULE_PX[0] <= side / (17 + 4 * v) <= _MODULE_PX[1]]
    return sorted(versions, key=lambda v: -_agreement(pixels, quad, v))


def is_dense(grey: Image.Image, quad: Quad) -> bool:
    """Whether the best-fitting version puts at most :data:`DENSE_MODULE_PX` pixels in a
    module of the symbol at ``quad`` (a few milliseconds)."""
    np = _np()
    ranked = _ranked(np.asarray(grey, dtype=np.float64), quad)
    return bool(ranked) and _side(quad) / (17 + 4 * ranked[0]) <= DENSE_MODULE_PX


def redraw(grey: Image.Image, quad: Quad) -> list[Image.Image]:
    """Clean redrawings (mode "L") of the code whose corners ``quad`` are in ``grey``,
    best guess first: up to :data:`MAX_CANDIDATES` versions x the equaliser strengths.
    Empty when no version fits the corners."""
    np = _np()
    pixels: Floats = np.asarray(grey, dtype=np.float64)
    images = []
    for version in _ranked(pixels, quad)[:MAX_CANDIDATES]:
        n = 17 + 4 * version
        mask, dark = _known(version)
        values = _sample(pixels, _refine(pixels, quad, version), n)
        if values is None:
            continue
        for alpha in _ALPHAS:
            sharp = values + alpha * 9 / 8 * (values - _box_mean(values, 3))
            modules = np.where(mask, dark, sharp < _box_mean(sharp, _WINDOW))
            drawn = np.where(np.pad(modules, _QUIET), 0, 255).astype(np.uint8)
            drawn = drawn.repeat(_REDRAW_PX, 0).repeat(_REDRAW_PX, 1)
            images.append(Image.fromarray(drawn, "L"))
    return images
