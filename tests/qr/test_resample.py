"""Issue 12: a dense code that zxing locates but cannot decode is read by resampling its
modules through refined corners (qr.resample), within the pipeline's rules."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageFilter

from qrseal import qr
from qrseal.qr import Decoder, Variant
from qrseal.qr import resample as qr_resample

from .samples import b45encode

_RNG = random.Random(12)
#: version 31 at ECC M: denser than a portrait credential (v23-v25)
DENSE = "DL1:" + b45encode(bytes(_RNG.randrange(256) for _ in range(1350)))


def frozen_clock() -> float:
    """A clock that never moves: every stage may run."""
    return 0.0


def blurred_photo(seed: int, blur: float = 0.49, module: float = 3.0) -> bytes:
    """The dense code at ``module`` px a module, turned 9 degrees, blurred (sigma ``blur``
    modules), with sensor noise (sigma 14) and saved as JPEG quality 55: the look of a
    code photographed off a phone screen. main's pipeline (before resampling) read 1 of
    8 seeds at blur 0.49 even with an unlimited budget; seed 1 was one it missed."""
    base = qr.render_image(DENSE, scale=8).convert("L")
    side = round(base.width / 8 * module)
    canvas = Image.new("L", (side + 160, side + 160), 240)
    canvas.paste(base.resize((side, side), Image.Resampling.BOX), (80, 80))
    canvas = canvas.rotate(9.0, Image.Resampling.BICUBIC, fillcolor=240)
    canvas = canvas.filter(ImageFilter.GaussianBlur(blur * module))
    noise = np.random.default_rng(seed).normal(0, 14, (canvas.height, canvas.width))
    pixels = np.clip(np.rint(np.asarray(canvas, dtype=np.float64) + noise), 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "JPEG", quality=55)
    return buffer.getvalue()


@pytest.mark.parametrize("seed", [1, 4])
def test_blurred_dense_code_is_read_by_resampling(seed: int) -> None:
    """A blurred, noisy, JPEG'd dense code that no plain variant reads is read from the
    resampled modules, and its position is the located symbol's bounds in input pixels."""
    report = qr.scan_report(blurred_photo(seed), clock=frozen_clock)
    (result,) = report.results
    assert result.text == DENSE
    assert result.variant is Variant.RESAMPLED and result.decoder is Decoder.ZXING
    assert result.position is not None
    left, top, width, height = result.position
    # the 423-px symbol turned 9 degrees spans 423 (cos 9 + sin 9) = 484 px, centred
    assert abs(left - 62) <= 8 and abs(top - 62) <= 8
    assert abs(width - 484) <= 16 and abs(height - 484) <= 16


def test_resampling_runs_at_most_once_per_scan() -> None:
    """An unreadable located symbol is resampled once, not at every later variant."""
    report = qr.scan_report(blurred_photo(0, blur=0.6), clock=frozen_clock)
    assert not report.results
    redrawn = [a for a in report.attempts if a.variant is Variant.RESAMPLED]
    assert len(redrawn) <= len(qr_resample._ALPHAS) * qr_resample.MAX_CANDIDATES


def test_resampling_needs_zxing() -> None:
    """Restricted to zbar, no resampling attempt is made (zxing locates and decodes it)."""
    if Decoder.ZBAR not in qr.available_decoders():
        pytest.skip("libzbar0 (zbar shared library) missing")
    report = qr.scan_report(blurred_photo(1), decoders=("zbar",), clock=frozen_clock)
    assert all(a.variant is not Variant.RESAMPLED for a in report.attempts)


def test_without_numpy_the_step_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numpy the pipeline makes no resampling attempt (and raises nothing)."""
    monkeypatch.setattr("qrseal.qr.pipeline.can_resample", lambda: False)
    report = qr.scan_report(blurred_photo(1), clock=frozen_clock)
    assert all(a.variant is not Variant.RESAMPLED for a in report.attempts)


@pytest.mark.parametrize(
    "quad",
    [
        ((5.0, 5.0),) * 4,  # degenerate: every corner the same point
        ((0.0, 0.0), (1e9, 0.0), (1e9, 1e9), (0.0, 1e9)),  # far outside the image
        ((10.0, 10.0), (20.0, 10.0), (20.0, 20.0), (10.0, 20.0)),  # too small for any version
    ],
    ids=["degenerate", "outside", "tiny"],
)
def test_hostile_corners_give_no_drawing_or_a_harmless_one(
    quad: tuple[tuple[float, float], ...],
) -> None:
    """Corners that are degenerate, outside the image or too small raise nothing: at most
    a few bounded drawings come back."""
    grey = Image.new("L", (64, 48), 200)
    drawings = qr_resample.redraw(grey, quad)
    assert len(drawings) <= len(qr_resample._ALPHAS) * qr_resample.MAX_CANDIDATES
    assert all(d.width * d.height <= (177 + 8) ** 2 * 9 for d in drawings)


def test_redraw_of_a_clean_code_reads_back() -> None:
    """Through exact corners, a clean code's redrawing decodes to its text."""
    module = 4
    code = qr.render_image(DENSE, scale=module).convert("L")
    n = code.width // module - 8
    lo, hi = 4.0 * module, (4.0 + n) * module
    quad = ((lo, lo), (hi, lo), (hi, hi), (lo, hi))
    (first, *_) = qr_resample.redraw(code, quad)
    assert qr.scan_one(first, budget_s=0) == DENSE
