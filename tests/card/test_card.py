"""The licence card (card/): golden images with a tolerance, what each view shows, the
colour rule of §2.9, masking, SVG, and that a portrait is decoded only within bounds."""

from __future__ import annotations

import dataclasses
import io
import runpy
from pathlib import Path
from typing import Any

import pytest

from qrseal.card import (
    CodeColour,
    FontStack,
    card_png,
    card_svg,
    code_colour,
    mask_number,
    render_card,
    save_card,
)
from qrseal.card.draw import draw_image
from qrseal.card.layout import ImageOp, QrOp, TextOp, layout
from qrseal.errors import InvalidArgument, QrsealError, Reason, StorageFailed
from qrseal.testing import FIXED_NOW, make_issuer, make_verifier, sample_licence
from qrseal.verifier import VerifiedLicence

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("skimage", reason="the README cards use scikit-image's bundled photo")


@pytest.fixture(scope="module")
def fonts() -> FontStack:
    try:
        return FontStack()
    except StorageFailed as exc:  # pragma: no cover - ./dev setup installs the fonts
        pytest.skip(f"card fonts not installed: {exc.message}")


@pytest.fixture(scope="module")
def script() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "scripts" / "render_cards.py"), run_name="render_cards")


def _verified(index: int = 0) -> VerifiedLicence:
    text = make_issuer().issue(sample_licence(index), now=FIXED_NOW)
    return make_verifier().verify(text, now=FIXED_NOW)


def _texts(ops: list[Any]) -> str:
    return "\n".join(op.text for op in ops if isinstance(op, TextOp))


def test_golden_cards_match_within_tolerance(fonts: FontStack, script: dict[str, Any]) -> None:
    """The README cards rendered now equal docs/card-*.png within a tolerance (mean
    absolute difference < 2 levels, < 1 % of pixels off by more than 64): font hinting may
    differ across FreeType builds, the layout may not."""
    from PIL import Image, ImageChops

    cards = script["sample_cards"](fonts)
    assert set(cards) == {p.name for p in (ROOT / "docs").glob("card-*.png")}
    for name, image in cards.items():
        golden = Image.open(ROOT / "docs" / name).convert("RGB")
        assert image.size == golden.size, name
        diff = ImageChops.difference(image.convert("RGB"), golden).convert("L")
        histogram = diff.histogram()
        pixels = image.width * image.height
        mean = sum(level * count for level, count in enumerate(histogram)) / pixels
        far = sum(histogram[65:]) / pixels
        assert mean < 2.0 and far < 0.01, (name, mean, far)


def test_golden_comparison_can_fail(fonts: FontStack, script: dict[str, Any]) -> None:
    """A card with other data is outside the tolerance of the golden image."""
    from PIL import Image, ImageChops

    other = render_card(_verified(3), fonts=fonts)  # no portrait, other person
    golden = Image.open(ROOT / "docs" / "card-verifier-zh.png").convert("RGB")
    diff = ImageChops.difference(other, golden).convert("L").histogram()
    assert sum(diff[65:]) / (other.width * other.height) > 0.01


def test_verifier_view_shows_the_licence_and_the_verdict() -> None:
    """The verifier view lists names, number, classes with ISO categories, validity,
    status meaning, points n/12 with their time, deadlines, the verdict and the times."""
    ops = layout(_verified(0), lang="en")
    text = _texts(ops)
    for expected in (
        "李子涵", "LI ZIHAN", "510107200503151422", "C1", "ISO B", "2032-05-20",
        "A normal", "3/12", "probation ends 2027-05-19", "VALID", "static code",
        "Generated: 2026-11-25 17:00:00", "Now: 2026-11-25 17:00:00",
    ):  # fmt: skip
        assert expected in text, expected
    assert not any(isinstance(op, QrOp) for op in ops)


def test_long_term_and_chinese_labels() -> None:
    """A long-term licence shows 长期 in the Chinese card."""
    text = _texts(layout(_verified(1), lang="zh"))
    assert "至 长期" in text and "姓名" in text and "王建国" in text


def test_holder_view_draws_the_code_in_status_colour() -> None:
    """The holder view draws the given code; black for a normal licence, red for status
    BD with 15 points."""
    normal = [
        op for op in layout(_verified(0), view="holder", code="DL1:1") if isinstance(op, QrOp)
    ]
    red = [op for op in layout(_verified(2), view="holder", code="DL1:1") if isinstance(op, QrOp)]
    assert normal[0].colour == CodeColour.BLACK and red[0].colour == CodeColour.RED
    with pytest.raises(InvalidArgument):
        layout(_verified(0), view="holder")


def test_holder_view_draws_a_portrait_code_at_four_pixels_a_module(
    fonts: FontStack, script: dict[str, Any]
) -> None:
    """The holder card draws a portrait credential's dense code (v23+) at >= 4 px per
    module (the card grows to hold it), and the drawn card scans back to the credential."""
    from qrseal import qr

    code = script["portrait_credential"](0)
    verified = make_verifier().verify(code, now=FIXED_NOW)
    ops = layout(verified, view="holder", code=code)
    (op,) = [op for op in ops if isinstance(op, QrOp)]
    modules = len(qr.qr_matrix(code))
    assert qr.qr_version(code) >= 23
    assert op.side // modules >= 4
    card = draw_image(ops, fonts)
    assert card.width >= op.xy[0] + op.side and card.height >= op.xy[1] + op.side
    assert qr.scan_one(card) == code


@pytest.mark.parametrize(
    ("changes", "colour"),
    [
        ({}, CodeColour.BLACK),
        ({"status": "H"}, CodeColour.BLACK),  # unresolved violation: may drive
        ({"status": "S"}, CodeColour.RED),  # 逾期未审验
        ({"status": "M"}, CodeColour.RED),  # 逾期未换证
        ({"status": "F"}, CodeColour.RED),  # 吊销
        ({"points": 12, "status": "B"}, CodeColour.RED),  # 满12分
        ({"points": 11}, CodeColour.BLACK),
    ],
)
def test_code_colour_rule(changes: dict[str, Any], colour: CodeColour) -> None:
    """Red exactly when the status does not permit driving, or at 12 points (§2.9)."""
    licence = dataclasses.replace(sample_licence(0), **changes)
    assert code_colour(licence, FIXED_NOW) is colour


def test_expired_licence_is_red() -> None:
    """The day after expiry the code turns red."""
    licence = sample_licence(0)
    assert code_colour(licence, FIXED_NOW.replace(year=2032, month=5, day=20)) is CodeColour.BLACK
    assert code_colour(licence, FIXED_NOW.replace(year=2032, month=5, day=21)) is CodeColour.RED


def test_mask_hides_the_middle_of_the_number() -> None:
    """--mask keeps four characters at each end and never shows the full number."""
    assert mask_number("510107200503151422") == "5101**********1422"
    text = _texts(layout(_verified(0), mask=True))
    assert "510107200503151422" not in text and "5101**********1422" in text
    assert mask_number("1234") == "****"


def test_rejection_card_shows_reason_and_no_licence_data(fonts: FontStack) -> None:
    """A rejected credential's card names the reason and shows nothing from the licence."""
    with pytest.raises(QrsealError) as info:
        make_verifier().verify("DL1:0000", now=FIXED_NOW)
    ops = layout(info.value, lang="en", now=FIXED_NOW)
    text = _texts(ops)
    assert info.value.reason.value in text and "REJECTED" in text
    assert not any(isinstance(op, ImageOp | QrOp) for op in ops)
    with pytest.raises(InvalidArgument):
        layout(info.value)  # a rejection needs now=


def test_png_svg_and_save(fonts: FontStack, tmp_path: Path) -> None:
    """PNG bytes decode to the card size; the SVG holds the texts; save_card picks by suffix."""
    from PIL import Image

    verified = _verified(0)
    assert Image.open(io.BytesIO(card_png(verified, fonts=fonts))).size == (1100, 660)
    svg = card_svg(verified, view="holder", code="DL1:123", fonts=fonts)
    assert svg.startswith("<svg") and "李子涵" in svg and "WenQuanYi Micro Hei" in svg
    save_card(verified, tmp_path / "c.svg", fonts=fonts)
    save_card(verified, tmp_path / "c.png", fonts=fonts)
    assert (tmp_path / "c.svg").read_text().startswith("<svg")
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(InvalidArgument):
        save_card(verified, tmp_path / "c.gif", fonts=fonts)


def test_undecodable_portrait_draws_a_crossed_box(fonts: FontStack) -> None:
    """A portrait over the pixel cap (a valid JPEG 2000 header claiming 2000x2000) is not
    decoded: the card draws a red crossed box instead of the face."""
    from PIL import Image

    big = io.BytesIO()
    Image.new("L", (2000, 2000), 128).save(big, "JPEG2000", no_jp2=True, quality_layers=[200])
    card = draw_image([ImageOp((0, 0, 200, 250), big.getvalue())], fonts)
    pixel = card.getpixel((100, 125))
    assert isinstance(pixel, tuple) and pixel[0] > 150  # the red cross passes the centre


def test_bad_arguments() -> None:
    """An unknown language or a non-result is an InvalidArgument."""
    with pytest.raises(InvalidArgument) as info:
        layout(_verified(0), lang="fr")
    assert info.value.reason is Reason.INVALID_ARGUMENT
    with pytest.raises(InvalidArgument):
        layout("not a result")  # type: ignore[arg-type]
