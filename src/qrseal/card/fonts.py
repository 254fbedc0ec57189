"""Fonts for the licence card: an ordered stack of installed fonts, each character drawn
with the first font whose character map holds it.

Why a stack: the national-character name rules (:mod:`qrseal.licence.text`) admit every
CJK unified ideograph of Unicode 14 (92,865 of them, URO and extensions A-G), and an
OpenType font holds at most 65,535 glyphs, so no single font can draw them all. The stack
below is installed from Debian by ``./dev setup`` (README, "Licence card"); measured with
``tests/card/test_fonts.py`` over the allowed characters:

=====================  ==========  ==============================  ==================
font (Debian package)  download    allowed characters it draws     role
=====================  ==========  ==============================  ==================
WenQuanYi Micro Hei    1.6 MB      20,947 (GBK, Big5, ...)         labels, Latin, names
HanaMinA + HanaMinB    22 MB       +66,936 (URO, ext. A-F)          rare-name fallback
BabelStone Han         11 MB       +3,089 (ext. G, latest URO)      rare-name fallback
=====================  ==========  ==============================  ==================

Together: 90,972 of the 92,866 allowed characters; the 1,894 left are extension G
ideographs (Unicode 13) no Debian font has yet. Such a character is never drawn as the
font's missing-glyph box (which would make two different names look alike): the card
draws its code point in a framed hex box (``U+3xxxx``) instead. Shipping an OFL subset in
the wheel was rejected: the needed coverage is ~90,000 glyphs (tens of megabytes), and a
GB 2312 subset (2-3 MB) would still need the same fallbacks for rare names.

Character maps are read with fontTools when a font is first needed (lazily: the common
font's map takes ~0.1 s, the large fallbacks ~0.5 s each, and only names with rare
characters reach them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ..errors import StorageFailed

if TYPE_CHECKING:
    from PIL import ImageFont

__all__ = ["DEFAULT_FONTS", "FontFile", "FontStack", "Run"]


@dataclass(frozen=True, slots=True)
class FontFile:
    """One font file (``index`` selects a face of a collection) and its Debian package."""

    path: str
    index: int = 0
    package: str = ""


#: The default stack, first match wins (see the module docstring for the measurements).
DEFAULT_FONTS: Final = (
    FontFile("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "fonts-wqy-microhei"),
    FontFile("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", 0, "fonts-hanazono"),
    FontFile("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", 0, "fonts-hanazono"),
    FontFile("/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf", 0, "fonts-babelstone-han"),
)


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of text drawn with one font of the stack (``font`` None: a hex box per
    character, for characters no font holds)."""

    text: str
    font: int | None


@dataclass
class FontStack:
    """The fonts a card is drawn with. Missing files are skipped; the first font must be
    installed (it draws labels), else :class:`~qrseal.errors.StorageFailed` names the
    package to install.

    A stack caches what it loaded (character maps, sized fonts): make one per process or
    per card batch and pass it to :func:`~qrseal.card.render_card`.
    """

    files: Sequence[FontFile] = DEFAULT_FONTS
    _installed: list[FontFile] = field(init=False, repr=False)
    _cmaps: dict[int, frozenset[int]] = field(init=False, repr=False, default_factory=dict)
    _sized: dict[tuple[int, int], ImageFont.FreeTypeFont] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        files = list(self.files)
        if not files or not os.path.isfile(files[0].path):
            first = files[0] if files else DEFAULT_FONTS[0]
            raise StorageFailed(
                f"font {first.path} is not installed (Debian package {first.package or '?'}; "
                "run ./dev setup)",
                path=first.path,
            )
        self._installed = [f for f in files if os.path.isfile(f.path)]

    @property
    def installed(self) -> tuple[FontFile, ...]:
        """The fonts of the stack that exist on this machine, in order."""
        return tuple(self._installed)

    def cmap(self, index: int) -> frozenset[int]:
        """The code points font ``index`` of :attr:`installed` maps to a glyph."""
        found = self._cmaps.get(index)
        if found is None:
            from fontTools.ttLib import TTFont

            spec = self._installed[index]
            with TTFont(spec.path, fontNumber=spec.index, lazy=True) as font:
                found = frozenset(font.getBestCmap() or {})
            self._cmaps[index] = found
        return found

    def font_for(self, char: str) -> int | None:
        """The first installed font that holds ``char``, or None."""
        code = ord(char)
        for index in range(len(self._installed)):
            if code in self.cmap(index):
                return index
        return None

    def runs(self, text: str) -> Iterator[Run]:
        """``text`` split into runs of one font each (None: no font has the character)."""
        current: list[str] = []
        font: int | None = -1
        for char in text:
            chosen = 0 if char == " " else self.font_for(char)
            if chosen != font and current:
                yield Run("".join(current), font)
                current = []
            font = chosen
            current.append(char)
        if current:
            yield Run("".join(current), font)

    def sized(self, index: int, size: int) -> ImageFont.FreeTypeFont:
        """Font ``index`` at ``size`` pixels (cached)."""
        key = (index, size)
        font = self._sized.get(key)
        if font is None:
            from PIL import ImageFont

            spec = self._installed[index]
            # Basic layout: CJK and Latin need no shaping, and it is ~10x faster than raqm.
            font = ImageFont.truetype(
                spec.path, size, index=spec.index, layout_engine=ImageFont.Layout.BASIC
            )
            self._sized[key] = font
        return font

    def family_names(self) -> tuple[str, ...]:
        """Font family names for an SVG ``font-family`` list (from the file names)."""
        names = {
            "wqy-microhei": "WenQuanYi Micro Hei",
            "HanaMinA": "HanaMinA",
            "HanaMinB": "HanaMinB",
            "BabelStoneHan": "BabelStone Han",
        }
        return tuple(names.get(Path(f.path).stem, Path(f.path).stem) for f in self._installed)
