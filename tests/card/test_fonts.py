"""Card fonts (card/fonts): every character the national-name rules allow is drawn with a
real glyph (not the font's missing-glyph box), or, where no installed font has one, as a
hex-code box; the stack's first font must exist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qrseal.card import FontFile, FontStack
from qrseal.card.draw import draw_image
from qrseal.card.layout import Op, RectOp, TextOp
from qrseal.errors import Reason, StorageFailed
from qrseal.licence.text import ALLOW_LISTS, UNIFIED_IDEOGRAPHS

#: CJK unified ideographs extension G (Unicode 13): the only block no Debian font covers.
_EXT_G = range(0x30000, 0x3134B)


def _name_characters() -> Iterator[str]:
    """Every character the national-character name allow-list admits."""
    for lo, hi in UNIFIED_IDEOGRAPHS:
        yield from map(chr, range(lo, hi + 1))
    yield "·"


@pytest.fixture(scope="module")
def fonts() -> FontStack:
    try:
        return FontStack()
    except StorageFailed as exc:  # pragma: no cover - ./dev setup installs the fonts
        pytest.skip(f"card fonts not installed: {exc.message}")


def test_name_characters_are_all_allowed() -> None:
    """The characters checked below are exactly what the han_name rule admits."""
    rule = ALLOW_LISTS["han_name"]
    chars = list(_name_characters())
    assert all(rule.quick.fullmatch(c) for c in chars[:: max(1, len(chars) // 2000)])
    assert rule.first_outside("".join(chars[::97])) is None


def test_every_allowed_character_has_a_real_glyph_or_a_hex_box(fonts: FontStack) -> None:
    """Each allowed character maps to a font that holds it; its rendering is not that font's
    missing-glyph (.notdef) drawing and not blank (rendered for every BMP character and
    every third supplementary-plane one, to stay within the test budget); only extension
    G ideographs may lack a font, and those are drawn as hex boxes."""
    notdef: dict[int, bytes] = {}
    missing: list[int] = []
    checked = 0
    for char in _name_characters():
        index = fonts.font_for(char)
        if index is None:
            missing.append(ord(char))
            continue
        if ord(char) > 0xFFFF and ord(char) % 3:
            continue  # held by the font's map (font_for); rendered for a third of them
        font = fonts.sized(index, 12)
        if index not in notdef:
            absent = "\U0010fffd"  # private use: in no font's map
            assert fonts.font_for(absent) is None
            notdef[index] = bytes(font.getmask(absent))
        mask = font.getmask(char)
        assert mask.getbbox() is not None, f"U+{ord(char):04X} is blank"
        assert bytes(mask) != notdef[index], f"U+{ord(char):04X} draws .notdef"
        checked += 1
    assert checked > 45_000
    assert all(code in _EXT_G for code in missing)


def test_uncovered_character_draws_a_hex_box_not_notdef(fonts: FontStack) -> None:
    """A name with a character no font holds draws a framed hex box there, which differs
    from the first font's .notdef drawing of the same character."""
    uncovered = next(c for c in map(chr, _EXT_G) if fonts.font_for(c) is None)
    ops: list[Op] = [
        RectOp((0, 0, 1100, 660), "#ffffff"),
        TextOp((10, 10), uncovered, 40, "#000000"),
    ]
    drawn = draw_image(ops, fonts).crop((10, 10, 80, 60))
    from PIL import Image, ImageDraw

    tofu = Image.new("RGB", (1100, 660), "#ffffff")
    ImageDraw.Draw(tofu).text((10, 10), uncovered, font=fonts.sized(0, 40), fill="#000000")
    assert drawn.tobytes() != tofu.crop((10, 10, 80, 60)).tobytes()
    darkest = drawn.convert("L").getextrema()[0]
    assert isinstance(darkest, int) and darkest < 128  # something dark was drawn


def test_missing_first_font_is_storage_failed(tmp_path: object) -> None:
    """A stack whose label font is not installed raises storage_failed naming the package."""
    with pytest.raises(StorageFailed) as info:
        FontStack((FontFile("/nonexistent/font.ttf", 0, "fonts-example"),))
    assert info.value.reason is Reason.STORAGE_FAILED
