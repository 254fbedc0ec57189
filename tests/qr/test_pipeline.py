"""Tests for the scanning pipeline: degraded photos and screenshots, the time budget,
debug reports, missing decoders. Images are rendered here from a real credential."""

from __future__ import annotations

import functools
import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zxingcpp
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from qrseal import Algorithm, qr
from qrseal.errors import InvalidArgument, InvalidImage, NoQrFound, TooLarge
from qrseal.qr import Decoder, Variant
from qrseal.qr import pipeline as scanpipeline
from qrseal.testing import FIXED_NOW, make_issuer, sample_licence
from tests.support import Cli

from .samples import png_header_only

Degrade = Callable[[np.random.Generator], Image.Image]


@functools.cache
def credential() -> str:
    """A real credential text (version 12 at ECC M); EdDSA signs deterministically, so
    every run renders the same code."""
    return make_issuer(Algorithm.EDDSA).issue(sample_licence(0), now=FIXED_NOW)


def code(module: float) -> Image.Image:
    """The credential's code at ``module`` pixels per module (area-resampled), "L"."""
    base = qr.render_image(credential(), scale=8).convert("L")
    side = round(base.width / 8 * module)
    return base.resize((side, side), Image.Resampling.BOX)


def scene(
    module: float = 4.0, size: tuple[int, int] = (640, 480), at: tuple[int, int] = (150, 60)
) -> Image.Image:
    """The code on a light app-like background."""
    canvas = Image.new("L", size, 236)
    ImageDraw.Draw(canvas).rectangle((0, 0, size[0], 30), fill=40)
    canvas.paste(code(module), at)
    return canvas


def array(image: Image.Image) -> NDArray[np.float64]:
    return np.asarray(image.convert("L"), dtype=np.float64)


def image(a: NDArray[np.float64]) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8))


def jpeg(picture: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def homography(
    src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]
) -> list[float]:
    """PERSPECTIVE coefficients mapping output points ``dst`` to input points ``src``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs))]


def keystone(picture: Image.Image, amount: float, fill: int = 236) -> Image.Image:
    """Seen obliquely: the top edge shorter than the bottom by ``amount`` of the width."""
    w, h = picture.size
    pad = w // 4
    src = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    inset = amount * w / 2
    dst = [(pad + inset, pad), (pad + w - inset, pad), (pad + w, pad + h), (pad, pad + h)]
    size = (w + 2 * pad, h + 2 * pad)
    coeffs = homography(src, dst)
    return picture.transform(
        size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=fill
    )


def glare(a: NDArray[np.float64], centre: tuple[float, float], radius: float, gain: float) -> Any:
    ys, xs = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    return a + gain * 255 * np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / radius**2)


def moire(a: NDArray[np.float64], amplitude: float) -> Any:
    ys, xs = np.mgrid[0 : a.shape[0], 0 : a.shape[1]].astype(np.float64)
    fringes = 0.5 + 0.5 * np.sin((xs * math.cos(0.6) + ys * math.sin(0.6)) * 2 * math.pi / 23)
    return a * (1 - amplitude * fringes) * (1 - 0.25 * amplitude * ((xs % 3) == 2))


# --------------------------------------------------------------------------- mild classes


def _rotation(rng: np.random.Generator) -> Image.Image:
    turned = code(4).rotate(12, Image.Resampling.BICUBIC, expand=True, fillcolor=236)
    canvas = scene()
    canvas.paste(turned, (120, 40))
    return canvas


def _perspective(rng: np.random.Generator) -> Image.Image:
    canvas = Image.new("L", (640, 480), 236)
    canvas.paste(keystone(code(4), 0.12), (80, 0))
    return canvas


def _blur(rng: np.random.Generator) -> Image.Image:
    return scene(5).filter(ImageFilter.GaussianBlur(0.35 * 5))


def _noise(rng: np.random.Generator) -> Image.Image:
    a = array(scene())
    return image(a + rng.normal(0, 30, a.shape))


def _jpeg(rng: np.random.Generator) -> Image.Image:
    return jpeg(scene(3), 30)


def _downscale(rng: np.random.Generator) -> Image.Image:
    big = scene(6, (1280, 960), (300, 120))
    return jpeg(big.resize((471, 353), Image.Resampling.BILINEAR), 85)  # 2.2 px per module


def _low_contrast(rng: np.random.Generator) -> Image.Image:
    return image(100 + 50 * array(scene()) / 255 + rng.normal(0, 1.5, (480, 640)))


def _glare(rng: np.random.Generator) -> Image.Image:
    return image(glare(array(scene()) * 0.85, (380, 150), 60, 0.8))


def _moire_gamma(rng: np.random.Generator) -> Image.Image:
    return image(moire(255 * (array(scene()) / 255) ** 1.8, 0.25))


def _photo_of_screen(rng: np.random.Generator) -> Image.Image:
    phone = Image.new("L", (code(4).width + 60, code(4).height + 160), 15)
    phone.paste(Image.new("L", (code(4).width + 20, code(4).height + 100), 250), (20, 30))
    phone.paste(code(4), (30, 70))
    phone = keystone(phone, 0.06, fill=90).rotate(
        8, Image.Resampling.BICUBIC, expand=True, fillcolor=90
    )
    desk = Image.new("L", (800, 640), 90)
    desk.paste(phone, ((800 - phone.width) // 2, (640 - phone.height) // 2))
    a = array(desk.filter(ImageFilter.GaussianBlur(1.0)))
    a = moire(glare(a, (300, 250), 80, 0.4), 0.12) + rng.normal(0, 6, a.shape)
    return jpeg(image(a), 85)


MILD: dict[str, Degrade] = {
    "rotation": _rotation,
    "perspective": _perspective,
    "blur": _blur,
    "noise": _noise,
    "jpeg": _jpeg,
    "downscale": _downscale,
    "low_contrast": _low_contrast,
    "glare": _glare,
    "moire_gamma": _moire_gamma,
    "photo_of_screen": _photo_of_screen,
}


def frozen_clock() -> float:
    """A clock that never moves: the budget never runs out, so every stage may run."""
    return 0.0


class SteppingClock:
    """A fake clock that advances by ``step`` seconds at every reading."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("name", list(MILD))
def test_mild_degradation_of_each_class_scans(name: str) -> None:
    """A mildly degraded photo or screenshot of each class reads back the exact credential."""
    picture = MILD[name](np.random.default_rng(6))
    (result,) = qr.scan(picture, clock=frozen_clock)
    assert result.text == credential()


@pytest.mark.parametrize(
    "degrade",
    [
        lambda rng: scene(5).filter(ImageFilter.GaussianBlur(0.55 * 5)),
        lambda rng: image(array(scene()) + rng.normal(0, 75, (480, 640))),
        lambda rng: image(moire(255 * (array(scene()) / 255) ** (1 / 3), 0.65)),
    ],
    ids=["severe-blur", "severe-noise", "severe-moire"],
)
def test_severe_degradation_needs_and_gets_a_variant(
    degrade: Callable[[np.random.Generator], Image.Image],
) -> None:
    """Codes neither decoder reads as they are are read from a preprocessed variant."""
    picture = degrade(np.random.default_rng(7))
    with pytest.raises(NoQrFound):
        qr.scan(picture, budget_s=0)
    (result,) = qr.scan(picture, clock=frozen_clock)
    assert result.text == credential()
    assert result.variant is not Variant.ORIGINAL


def test_position_maps_back_from_a_scaled_variant() -> None:
    """A code read from a resized variant is located in input pixels."""
    picture = scene(5, at=(150, 60)).filter(ImageFilter.GaussianBlur(0.55 * 5))
    report = qr.scan_report(picture, clock=frozen_clock)
    (result,) = report.results
    assert result.position is not None
    quiet = 4 * 5
    left, top, width, height = result.position
    side = code(5).width - 2 * quiet
    assert abs(left - (150 + quiet)) <= 8 and abs(top - (60 + quiet)) <= 8
    assert abs(width - side) <= 12 and abs(height - side) <= 12


def test_dark_mode_code_scans() -> None:
    """Light modules on a dark screen (inverted) are read."""
    inverted = Image.eval(scene(), lambda v: 255 - v)
    assert qr.scan_one(inverted) == credential()


def test_clean_code_reads_from_the_original_with_the_first_decoder() -> None:
    """A clean code is read at once: first decoder, original image, one attempt."""
    report = qr.scan_report(scene())
    assert [r.text for r in report.results] == [credential()]
    assert [(a.variant, a.decoder) for a in report.attempts] == [
        (Variant.ORIGINAL, qr.DEFAULT_DECODERS[0])
    ]


# --------------------------------------------------------------------------- budget


BLANK = Image.new("L", (320, 240), 255)


def test_zero_budget_stops_after_the_first_stage() -> None:
    """With budget_s=0 only the image as it is is tried, by each decoder once."""
    report = qr.scan_report(BLANK, budget_s=0)
    assert report.results == ()
    assert [(a.variant, a.decoder) for a in report.attempts] == [
        (Variant.ORIGINAL, d) for d in qr.available_decoders()
    ]
    assert report.budget_exhausted


def test_unlimited_budget_tries_every_stage() -> None:
    """With a clock that never moves, every stage is tried once on a blank image."""
    report = qr.scan_report(BLANK, clock=frozen_clock)
    available = qr.available_decoders()
    expected = [(Variant.ORIGINAL, d) for d in available]
    for stage in scanpipeline.STAGES:
        decoders = [d for d in stage.decoders if d in available] or list(available)
        expected += [(stage.variant, d) for d in decoders if (stage.variant, d) not in expected]
    assert [(a.variant, a.decoder) for a in report.attempts] == expected
    assert not report.budget_exhausted


def test_budget_is_respected_on_the_injected_clock() -> None:
    """A slow (fake) clock stops the search within the budget, after the first stage."""
    clock = SteppingClock(0.01)
    report = qr.scan_report(BLANK, budget_s=0.1, clock=clock)
    later = [a for a in report.attempts if a.variant is not Variant.ORIGINAL]
    assert report.budget_exhausted
    assert later  # some steps fitted ...
    assert len(report.attempts) < len(qr.scan_report(BLANK, clock=frozen_clock).attempts)
    assert report.seconds <= 0.1 * 1.1  # ... and none was started that would overrun


def test_step_predicted_to_overrun_is_not_started() -> None:
    """Each step is predicted from the slowest rate so far and skipped if it cannot fit."""
    clock = SteppingClock(0.05)  # every decoder run "takes" 0.05 s
    report = qr.scan_report(BLANK, budget_s=0.2, clock=clock)
    assert report.seconds <= 0.2 + 0.05


@pytest.mark.parametrize("budget", [-0.1, math.nan, math.inf, True, "0.1", 61.0])
def test_bad_budgets_are_invalid_arguments(budget: object) -> None:
    """The budget must be a number of seconds in 0..MAX_BUDGET_S."""
    with pytest.raises(InvalidArgument):
        qr.scan(BLANK, budget_s=budget)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- inputs and decoders


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (b"GIF89a not really", InvalidImage),
        (b"%PDF-1.7\n", InvalidImage),
        (png_header_only(9000, 9000), TooLarge),
        (Image.new("1", (8000, 6000)), TooLarge),
    ],
    ids=["gif-garbage", "pdf", "huge-png-header", "huge-pil"],
)
def test_non_images_and_huge_images_raise_typed_errors(
    source: qr.ImageSource, error: type[Exception]
) -> None:
    """Non-images raise InvalidImage and oversized images TooLarge, before any decoding."""
    with pytest.raises(error):
        qr.scan_report(source)


@pytest.mark.parametrize("decoder", qr.available_decoders())
def test_a_single_decoder_runs_every_stage_itself(decoder: Decoder) -> None:
    """Restricted to one decoder, each stage uses it (never a decoder not asked for)."""
    report = qr.scan_report(BLANK, decoders=(decoder,), clock=frozen_clock)
    assert {a.decoder for a in report.attempts} == {decoder}
    assert len({a.variant for a in report.attempts}) == len(report.attempts)  # no repeats
    assert {a.variant for a in report.attempts} == {s.variant for s in scanpipeline.STAGES} | {
        Variant.ORIGINAL
    }


def test_kept_images_are_the_variants_tried() -> None:
    """keep_images keeps each variant image (half size for HALF); by default none are kept."""
    kept = qr.scan_report(BLANK, clock=frozen_clock, keep_images=True)
    sizes = {a.variant: a.image.size for a in kept.attempts if a.image is not None}
    assert sizes[Variant.ORIGINAL] == (320, 240)
    assert sizes[Variant.HALF] == (160, 120)
    assert sizes[Variant.DOUBLE] == (640, 480)
    assert all(a.image is None for a in qr.scan_report(BLANK, budget_s=0).attempts)


def test_micro_qr_false_positive_regression() -> None:
    """Micro QR symbols are not read: one (M1, error detection only) was once "found" in
    thresholded photo noise and returned as text. Only QR Code model 2 counts."""
    micro = zxingcpp.create_barcode("964775", zxingcpp.BarcodeFormat.MicroQRCode)
    picture = Image.fromarray(np.asarray(micro.to_image(scale=6)))
    assert [b.text for b in zxingcpp.read_barcodes(picture)] == ["964775"]  # it is readable
    with pytest.raises(NoQrFound):
        qr.scan(picture, clock=frozen_clock)


# --------------------------------------------------------------------------- CLI


def test_cli_scan_debug_writes_variants_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: Cli
) -> None:
    """`qrseal scan --debug DIR` prints the text and writes the variants tried and a report."""
    picture = tmp_path / "blurred.png"
    scene(5).filter(ImageFilter.GaussianBlur(0.55 * 5)).save(picture)
    code, out = cli("scan", picture, "--debug", tmp_path / "dbg")
    assert code == 0
    assert out.strip() == credential()
    report = json.loads((tmp_path / "dbg" / "report.json").read_text())
    assert report["results"][0]["variant"] != "original"
    for attempt in report["attempts"]:
        assert (tmp_path / "dbg" / attempt["image"]).is_file()
    assert "written to" in capsys.readouterr().err


def test_cli_scan_debug_on_a_blank_image_still_writes_and_exits_1(tmp_path: Path, cli: Cli) -> None:
    """When nothing decodes, the debug output is written and the exit code is 1."""
    picture = tmp_path / "blank.png"
    BLANK.save(picture)
    assert cli("scan", picture, "--debug", tmp_path / "dbg")[0] == 1
    names = sorted(p.name for p in (tmp_path / "dbg").iterdir())
    assert "report.json" in names and "00-original.png" in names
