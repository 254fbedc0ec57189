"""Which characters a licence text field may hold: one allow-list per kind of field
(docs/format.md §5.3).

A verifier shows the signed names, addresses and authorities to a person, who must never
see two different signed texts that look the same. A deny-list of bad characters cannot
keep up with Unicode (soft hyphens, Hangul fillers, variation selectors, tag characters,
Kangxi radicals, private use, stacked marks, ...), so each kind of field admits only the
scripts and punctuation such a text really contains, and everything else is refused:

- Latin fields (ISO/IEC 18013-5 Latin-1 elements) admit Latin-1 letters that are their own
  NFKC form, and per field a few punctuation marks (and digits for places and addresses);
  identifiers and codes admit printable ASCII.
- National-character fields admit the CJK unified ideographs (Unicode property
  ``Unified_Ideograph``) and the middle dot U+00B7 of transliterated names; addresses and
  authorities also digits, ASCII letters and a little punctuation.

No allow-list holds a combining mark, a default-ignorable, control, format, private-use or
unassigned code point, a radical or a compatibility character, so allowed text is in NFC
and NFKC by construction and cannot stack marks. The sets come from Unicode properties:
Latin-1 letters from this Python's database at import, the ideographs from the static table
below (pinned to Unicode 14.0, the database of Python 3.11, so the same characters pass on
every supported Python: a text the issuer signs is never refused by a newer or older
verifier). The tests re-derive every table from the properties it names (the ``regex``
package knows them; the standard library does not) and check each allow-list against the
full default-ignorable set and Unicode's confusables.

Everything is compiled once into one ``re`` pattern per allow-list (``re`` with explicit
ranges measured about twice as fast as ``regex`` with ``\\p{...}``, and costs no import).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "ALLOW_LISTS",
    "DEFAULT_IGNORABLE",
    "LATIN1_LETTERS",
    "RADICALS",
    "UNICODE_VERSION",
    "UNIFIED_IDEOGRAPHS",
    "AllowList",
    "first_never_allowed",
]

#: The Unicode version of the static tables (Python 3.11's ``unicodedata``).
UNICODE_VERSION: Final = "14.0.0"

#: ``Unified_Ideograph`` code points assigned in Unicode 14.0: the URO, extensions A-G and
#: the twelve unified ideographs among the FAxx compatibility block.
UNIFIED_IDEOGRAPHS: Final = (
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFA0E, 0xFA0F), (0xFA11, 0xFA11),
    (0xFA13, 0xFA14), (0xFA1F, 0xFA1F), (0xFA21, 0xFA21), (0xFA23, 0xFA24),
    (0xFA27, 0xFA29), (0x20000, 0x2A6DF), (0x2A700, 0x2B738), (0x2B740, 0x2B81D),
    (0x2B820, 0x2CEA1), (0x2CEB0, 0x2EBE0), (0x30000, 0x3134A),
)  # fmt: skip

#: ``Default_Ignorable_Code_Point``: characters a renderer may show as nothing (soft hyphen,
#: CGJ, Hangul fillers, variation selectors, zero-width and bidi controls, invisible
#: operators, the Mongolian vowel separator, tags). Stable since Unicode 6.3 except for
#: reassignments inside the ranges, which stay default-ignorable.
DEFAULT_IGNORABLE: Final = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip

#: ``Radical``: CJK radicals supplement and Kangxi radicals, look-alikes of ideographs.
RADICALS: Final = ((0x2E80, 0x2E99), (0x2E9B, 0x2EF3), (0x2F00, 0x2FD5))

#: Latin-1 letters that are their own NFKC form (not ª, º, µ): A-Z, a-z, À-Ö, Ø-ö, ø-ÿ.
LATIN1_LETTERS: Final = "".join(
    c
    for c in map(chr, range(0x100))
    if unicodedata.category(c)[0] == "L" and unicodedata.normalize("NFKC", c) == c
)


def _ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """A character-class body for inclusive code point ranges."""
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


def _chars(chars: str) -> str:
    """A character-class body for the characters of ``chars``."""
    return "".join(re.escape(c) for c in chars)


_DIGITS: Final = "0123456789"
_ASCII_LETTERS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_IDEOGRAPHS: Final = _ranges(UNIFIED_IDEOGRAPHS)


@dataclass(frozen=True)
class AllowList:
    """The characters one kind of text field may hold, and the text shape around them."""

    what: str  # for messages: "a Latin name", ...
    chars: str  # body of a regex character class, the space excluded
    max_length: int  # in code points
    spaces: bool  # words separated by single spaces (never leading or trailing)
    latin1: bool  # an ISO Latin-1 element: other visible characters are "not Latin-1"
    quick: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # fullmatch: allowed characters only, 1..max_length long, and with spaces only
        # single and inside (no leading, trailing or double space). The class is written
        # once: compiling the ideograph ranges is most of this module's import time.
        spaces = "(?! )(?!.*  )(?!.* \\Z)" if self.spaces else ""
        chars = f"{self.chars} " if self.spaces else self.chars
        quick = re.compile(f"(?=.{{1,{self.max_length}}}\\Z){spaces}[{chars}]+", re.DOTALL)
        object.__setattr__(self, "quick", quick)

    @functools.cached_property
    def outside(self) -> re.Pattern[str]:
        """Search: a character outside the allow-list. Compiled on first use (only invalid
        text needs it; the ideograph classes take milliseconds to compile)."""
        return re.compile(f"[^{self.chars}{' ' if self.spaces else ''}]")

    def first_outside(self, text: str) -> str | None:
        """The first character of ``text`` this allow-list does not hold, if any."""
        match = self.outside.search(text)
        return None if match is None else match.group()


_NAME_PUNCTUATION: Final = "-'.·"  # JEAN-PIERRE, O'NEILL, ST. JOHN, Gal·la (Catalan)
_TEXT_PUNCTUATION: Final = "-'.,/()&#:;·"
_HAN_TEXT_PUNCTUATION: Final = "-#(),.·、"  # full-width forms load as these (NFKC); no "/": 丿

#: The allow-lists by name (the licence model maps each text field to one).
ALLOW_LISTS: Final = {
    "latin_name": AllowList(
        "a Latin name", _chars(LATIN1_LETTERS + _NAME_PUNCTUATION), 150, True, True
    ),
    "latin_text": AllowList(
        "Latin text", _chars(LATIN1_LETTERS + _DIGITS + _TEXT_PUNCTUATION), 150, True, True
    ),
    "latin_id": AllowList("an identifier", "!-~", 150, True, True),
    "code": AllowList("a code", "!-~", 150, True, False),
    "han_name": AllowList("a national-character name", _IDEOGRAPHS + _chars("·"), 30, False, False),
    "han_text": AllowList(
        "national-character text",
        _IDEOGRAPHS + _chars(_DIGITS + _ASCII_LETTERS + _HAN_TEXT_PUNCTUATION),
        150,
        True,
        False,
    ),
}

# Never allowed anywhere, reported first as forbidden_character whatever else is wrong
# with the text: invisible (default-ignorable, controls, format characters, separators),
# unassigned, private-use, combining marks, radicals and the blank Braille pattern.
_NEVER_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Mc", "Me"})
_NEVER: Final = re.compile(f"[{_ranges((*DEFAULT_IGNORABLE, *RADICALS))}\u2800]")


def first_never_allowed(text: str) -> str | None:
    """The first character of ``text`` that no text field allows and that is invisible,
    unassigned, private, combining or a radical (the reason ``forbidden_character`` takes
    precedence for these over whitespace or normalisation findings), if any."""
    for char in text:
        if unicodedata.category(char) in _NEVER_CATEGORIES or _NEVER.match(char):
            return char
    return None
