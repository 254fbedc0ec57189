"""An oracle for the photo-of-screen class: what any decoder could read with perfect geometry.

    .venv/bin/python benchmarks/scan_oracle.py [--seed N] [--per-cell N] [--portrait BYTES]
                                               [--severity S] [--budget S]

For each ``photo_of_screen`` sample the corpus also returns the exact map from the
rendered code to the degraded image (``scan_corpus.photo_of_screen``). The oracle
samples every module centre through it (a small mean over the module's inner third),
optionally equalises the grid (value + alpha x (value - 3x3 module mean): cancels the
blur's spill from neighbouring modules), and binarises with the best of (a) the global
threshold and (b) the local-mean threshold (7x7 or 9x9 modules) with the best offset, alpha
and threshold both chosen knowing the truth (fewest module errors), and counts

* module errors over the symbol,
* codeword errors per Reed-Solomon block (placement and interleaving of ISO/IEC
  18004 §7.7/§7.6) against what the block's EC codewords correct (half of them),
* whether zxing-cpp reads the sampled matrix re-rendered clean (``is_pure``).

A sample is "correctable" when every block has at most ec/2 codeword errors: that
bounds what a decoder that finds the code perfectly could read. It also runs the real
pipeline (``qr.scan``) on the same sample so the gap is visible. Not a test.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import qrcode.base
import qrcode.util
import zxingcpp
from numpy.typing import NDArray
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_corpus

from qrseal import qr
from qrseal.errors import NoQrFound

Bool = NDArray[np.bool_]
Float = NDArray[np.float64]
BORDER = 4


def function_mask(version: int) -> Bool:
    """True where a module belongs to a function pattern or format/version information."""
    n = 17 + 4 * version
    mask = np.zeros((n, n), dtype=bool)
    mask[:9, :9] = mask[:9, n - 8 :] = mask[n - 8 :, :9] = True  # finders, separators, format
    mask[6, :] = mask[:, 6] = True  # timing
    centres = qrcode.util.pattern_position(version)
    for r in centres:
        for c in centres:
            if (r < 9 and (c < 9 or c > n - 9)) or (r > n - 9 and c < 9):
                continue  # overlaps a finder (those on the timing lines are patterns)
            mask[r - 2 : r + 3, c - 2 : c + 3] = True
    if version >= 7:
        mask[:6, n - 11 : n - 8] = mask[n - 11 : n - 8, :6] = True
    return mask


def codeword_of_module(version: int) -> NDArray[np.int64]:
    """Index of the codeword (in transmitted order) each module carries, -1 for none."""
    n = 17 + 4 * version
    func = function_mask(version)
    index = np.full((n, n), -1, dtype=np.int64)
    bit = 0
    col = n - 1
    upward = True
    while col > 0:
        if col == 6:
            col -= 1
        rows = range(n - 1, -1, -1) if upward else range(n)
        for r in rows:
            for c in (col, col - 1):
                if not func[r, c]:
                    index[r, c] = bit // 8
                    bit += 1
        upward = not upward
        col -= 2
    return index


def block_of_codeword(version: int) -> tuple[NDArray[np.int64], list[int]]:
    """The RS block each transmitted codeword belongs to, and each block's EC count."""
    blocks = qrcode.base.rs_blocks(version, 0)  # qrcode's ERROR_CORRECT_M is 0
    data = [b.data_count for b in blocks]
    ec = [b.total_count - b.data_count for b in blocks]
    order: list[int] = []
    for i in range(max(data)):
        order += [k for k, d in enumerate(data) if i < d]
    for i in range(max(ec)):
        order += [k for k, e in enumerate(ec) if i < e]
    return np.array(order, dtype=np.int64), ec


def box_mean(values: Float, size: int) -> Float:
    """The mean over a ``size`` x ``size`` window (odd), edges repeated."""
    r = size // 2
    padded = np.pad(values, r, mode="edge")
    sums = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    h, w = values.shape
    total = (
        sums[size : size + h, size : size + w]
        - sums[:h, size : size + w]
        - sums[size : size + h, :w]
        + sums[:h, :w]
    )
    return np.asarray(total / (size * size), dtype=np.float64)


def bilinear(grey: Float, px: Float, py: Float) -> Float:
    """``grey`` at the (pixel-centre) coordinates, bilinearly, clamped to the image."""
    h, w = grey.shape
    px, py = np.clip(px, 0, w - 1.001), np.clip(py, 0, h - 1.001)
    x0, y0 = px.astype(np.int64), py.astype(np.int64)
    fx, fy = px - x0, py - y0
    top = grey[y0, x0] * (1 - fx) + grey[y0, x0 + 1] * fx
    bottom = grey[y0 + 1, x0] * (1 - fx) + grey[y0 + 1, x0 + 1] * fx
    return np.asarray(top * (1 - fy) + bottom * fy, dtype=np.float64)


def sample_modules(grey: Float, geometry: Float, modules: int) -> Float:
    """The mean grey of each module's inner third, through the known geometry."""
    step = 1.0
    offsets = (np.arange(3) - 1) / 3 * 0.5  # -1/6, 0, +1/6 of a module
    total = np.zeros((modules, modules))
    for dy in offsets:
        for dx in offsets:
            cy, cx = np.mgrid[0:modules, 0:modules].astype(np.float64)
            x = (cx + 0.5 + dx) * step
            y = (cy + 0.5 + dy) * step
            pts = geometry @ np.stack([x.ravel(), y.ravel(), np.ones(x.size)])
            px, py = pts[0] / pts[2] - 0.5, pts[1] / pts[2] - 0.5
            values = bilinear(grey, px, py)
            total += values.reshape(modules, modules)
    return total / 9


def best_binarisation(values: Float, truth: Bool) -> Bool:
    """Dark modules by the truth-chosen best of a global and a local-mean threshold."""
    candidates = []
    # a linear equaliser on the module grid undoes the blur's spill from the 8 neighbours
    for alpha in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0):
        around = box_mean(values, 3)
        sharp = values + alpha * 9 / 8 * (values - around)
        for t in np.linspace(sharp.min(), sharp.max(), 64):
            candidates.append(sharp < t)
        for window in (7, 9):
            local = sharp - box_mean(sharp, window)
            for t in np.linspace(-60, 60, 61):
                candidates.append(local < t)
    return min(candidates, key=lambda dark: int(np.count_nonzero(dark != truth)))


def pure_read(dark: Bool, truth: Bool, version: int) -> bool | str:
    """What zxing-cpp reads from the matrix re-rendered clean (4 px/module, quiet zone),
    with the function patterns and format/version information taken from the truth (a
    decoder that knows the version and mask can restore them: BCH-coded, twice)."""
    func = function_mask(version)
    padded = np.pad(np.where(func, truth, dark), BORDER, constant_values=False)
    pixels = np.where(padded, 0, 255).astype(np.uint8).repeat(4, 0).repeat(4, 1)
    found = zxingcpp.read_barcodes(pixels, is_pure=True)
    return found[0].text if found else False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--per-cell", type=int, default=12)
    parser.add_argument("--portrait", type=int, default=600, help="0: no portrait")
    parser.add_argument("--severity", default="severe")
    parser.add_argument("--budget", type=float, default=qr.DEFAULT_BUDGET_S)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    tally: Counter[str] = Counter()
    for index in range(args.per_cell):
        s, geometry, code = scan_corpus.photo_of_screen_sample(
            args.seed, args.severity, index, portrait=args.portrait
        )
        truth_q = np.asarray(code) < 128
        truth = truth_q[BORDER:-BORDER, BORDER:-BORDER]
        n = truth.shape[0]
        version = (n - 17) // 4
        with Image.open(io.BytesIO(s.encoded())) as received:
            grey = np.asarray(received.convert("L"), dtype=np.float64)
        values = sample_modules(grey, geometry, truth_q.shape[0])[BORDER:-BORDER, BORDER:-BORDER]
        dark = best_binarisation(values, truth)
        wrong = dark != truth
        cw = codeword_of_module(version)
        blocks, ec = block_of_codeword(version)
        bad_cw = np.unique(cw[wrong & (cw >= 0)])
        bad_cw = bad_cw[bad_cw < len(blocks)]
        per_block = Counter(blocks[bad_cw].tolist())
        worst = max((per_block[k] / (ec[k] // 2) for k in range(len(ec))), default=0.0)
        correctable = worst <= 1.0
        pure = pure_read(dark, truth, version) == s.text
        try:
            scanned = s.text in [r.text for r in qr.scan(s.encoded(), budget_s=args.budget)]
        except NoQrFound:
            scanned = False
        centre = geometry @ np.array([truth_q.shape[0] / 2, truth_q.shape[0] / 2, 1.0])
        scale = (
            float(
                np.sqrt(
                    abs(
                        np.linalg.det(
                            geometry[:2, :2] - np.outer(centre[:2] / centre[2], geometry[2, :2])
                        )
                    )
                )
            )
            / centre[2]
        )
        tally["n"] += 1
        tally["correctable"] += correctable
        tally["pure"] += pure
        tally["pipeline"] += scanned
        if args.verbose or not scanned:
            print(
                f"  {s.name} v{version} {scale:.2f} px/module: module errors "
                f"{100 * wrong.mean():5.1f} %, worst block {max(per_block.values(), default=0)}"
                f"/{ec[0] // 2} codeword errors ({worst:.2f} of capacity), "
                f"correctable {correctable}, pure zxing {pure}, pipeline {scanned}"
            )
    n = tally["n"]
    print(
        f"== oracle, photo_of_screen/{args.severity}, seed {args.seed}, portrait "
        f"{args.portrait or 'none'}, n={n} =="
    )
    print(f"  correctable with perfect geometry: {tally['correctable']}/{n}")
    print(f"  zxing reads the oracle's matrix:   {tally['pure']}/{n}")
    print(f"  pipeline (budget {args.budget} s):      {tally['pipeline']}/{n}")


if __name__ == "__main__":
    main()
