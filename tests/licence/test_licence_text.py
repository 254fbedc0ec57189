"""Display safety of licence text fields (issue 9 item 16): every text field takes only
the characters of its allow-list, derived from Unicode properties, and refuses the full
default-ignorable set, the named invisible classes and Unicode's confusables."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from importlib import resources
from typing import Any, NamedTuple

import pytest
import regex  # dev extra: Unicode properties (Script, Default_Ignorable_Code_Point, ...)

from qrseal.errors import InvalidLicence
from qrseal.licence import fields as licence_fields
from qrseal.licence.model import (
    DocumentNumberType,
    DomesticPrivilege,
    DrivingPrivilege,
    Licence,
    LicenceField,
    PrivilegeCode,
    Problem,
)
from qrseal.licence.rules import normalise_text, text_problem
from qrseal.testing import sample_licence, sample_licence_json

_F = LicenceField
#: A valid value for each text field the samples leave empty.
_FILLERS: dict[str, str] = {
    _F.BIRTH_PLACE: "CHENGDU",
    _F.RESIDENT_ADDRESS: "88 Test Road, Wuhou, Chengdu",
}


class TextField(NamedTuple):
    """One text field of the model: where it lives, its spec and a valid value."""

    struct: str  # "licence", "code", "domestic" or "driving"
    name: str
    spec: Any
    valid: str


def _text_fields() -> Iterator[TextField]:
    """Every text field of the licence and of its sub-structures."""
    base = sample_licence(0)
    for name, spec in licence_fields.LICENCE.specs.items():
        if spec.kind in licence_fields.TEXT_KINDS:
            yield TextField("licence", name, spec, getattr(base, name) or _FILLERS[name])
    subs = (("code", licence_fields.CODE), ("domestic", licence_fields.DOMESTIC))
    for struct, table in (*subs, ("driving", licence_fields.DRIVING)):
        valid = {"code": "78", "sign": "<", "value": "3500", "class_code": "C1"}
        valid["vehicle_category_code"] = "B"
        for name, spec in table.specs.items():
            if spec.kind in licence_fields.TEXT_KINDS:
                yield TextField(struct, name, spec, valid[name])


TEXT_FIELDS = tuple(_text_fields())
_BY_NAME = {f.name: f for f in TEXT_FIELDS}
_BASE_VALUES = {f.name: getattr(sample_licence(0), f.name) for f in dataclasses.fields(Licence)}


def _quick_accepts(field: TextField, text: str) -> bool:
    """Whether the validator (the path a verifier takes) accepts ``text`` in ``field``."""
    try:
        if field.struct == "licence":
            Licence(**{**_BASE_VALUES, field.name: text})
        elif field.struct == "code":
            values: dict[str, Any] = {"code": "78", "sign": None, "value": None, field.name: text}
            PrivilegeCode(**values)
        elif field.struct == "domestic":
            DomesticPrivilege(text)
        else:
            DrivingPrivilege(text)
    except InvalidLicence:
        return False
    return True


def _refusal(field: TextField, text: str) -> str | None:
    """The problem code the text rules of the field's kind give ``text`` (None: accepted),
    after checking that the validator never accepts what the text rules refuse."""
    found = text_problem(field.spec.kind, text)
    if _quick_accepts(field, text):
        assert found is None, (field.name, text, found)
    return None if found is None else str(found[0])


def _inside(field: TextField, char: str) -> str:
    """The field's valid value with ``char`` in its middle."""
    middle = len(field.valid) // 2 or 1
    return field.valid[:middle] + char + field.valid[middle:]


def _all_code_points() -> str:
    return "".join(map(chr, (*range(0xD800), *range(0xE000, 0x110000))))


@functools.cache
def _with_property(name: str) -> str:
    """Every code point with the binary Unicode property ``name`` (regex's database)."""
    return "".join(regex.findall(rf"\p{{{name}}}", _all_code_points()))


def _name(char: str) -> str:
    return f"U+{ord(char):04X}"


# --- the full default-ignorable set ----------------------------------------------------------


@pytest.mark.parametrize("field", TEXT_FIELDS, ids=lambda f: f"{f.struct}.{f.name}")
def test_every_default_ignorable_code_point_is_refused(field: TextField) -> None:
    """Every Default_Ignorable_Code_Point (4174) inside a valid value is forbidden_character."""
    ignorable = _with_property("Default_Ignorable_Code_Point")
    assert len(ignorable) >= 4174
    wrong = {
        _name(c): code
        for c in ignorable
        if (code := _refusal(field, _inside(field, c))) != Problem.FORBIDDEN_CHARACTER
    }
    assert wrong == {}


# --- the classes the issue names -------------------------------------------------------------

NAMED_CLASSES = {
    "soft hyphen": "\u00ad",
    "Hangul fillers": "\u115f\u1160\u3164\uffa0",
    "combining grapheme joiner": "\u034f",
    "variation selectors": "\ufe00\ufe0f\U000e0100\U000e01ef\u180b",
    "tag characters": "\U000e0001\U000e0041\U000e007f",
    "invisible operators": "\u2061\u2062\u2063\u2064",
    "Mongolian vowel separator": "\u180e",
    "Braille pattern blank": "\u2800",
    "private use": "\ue000\uf8ff\U000f0000\U0010fffd",
    "combining marks": "\u0301\u0308\u20dd",
    "Kangxi radicals": "\u2f08\u2f00\u2e85\u2eab",
    "bidi and zero-width controls": "\u202e\u2066\u200b\u200d\ufeff\u061c",
    "unassigned and noncharacters": "\u0378\ufdd0\uffff\U0003fffe",
}
#: One field of each allow-list, as the public constructor sees it.
_NAMED_FIELDS = (
    _F.GIVEN_NAME,
    _F.GIVEN_NAME_NATIONAL_CHARACTER,
    _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER,
    _F.ISSUING_AUTHORITY,
    _F.DOCUMENT_NUMBER,
)


@pytest.mark.parametrize("label", NAMED_CLASSES)
def test_named_invisible_and_look_alike_classes_are_refused(label: str) -> None:
    """Each named class, once or twice inside a valid value, is forbidden_character."""
    # document_number is tested as a passport number: opaque text, not a checked ID.
    for field in _NAMED_FIELDS:
        base = sample_licence(0)
        if field is _F.DOCUMENT_NUMBER:
            base = dataclasses.replace(
                base, document_number="E12345678", document_number_type=DocumentNumberType.PASSPORT
            )
        valid = getattr(base, field)
        for char in NAMED_CLASSES[label]:
            for text in (valid[:1] + char + valid[1:], valid[:1] + char * 2 + valid[1:]):
                with pytest.raises(InvalidLicence) as info:
                    dataclasses.replace(base, **{field: text})
                codes = {(p.field, p.code) for p in info.value.problems}
                assert codes == {(field, Problem.FORBIDDEN_CHARACTER)}, (_name(char), field)


def test_stacked_combining_marks_are_refused_in_every_field() -> None:
    """One, two or three combining marks after a valid value are refused in every field."""
    # Latin letters are precomposed (NFKC) and national text needs no marks.
    for field in TEXT_FIELDS:
        for marks in ("\u0301", "\u0301\u0301", "\u0308\u0323\u0301", "\u20e3"):
            text = field.valid + marks
            assert _refusal(field, text) == Problem.FORBIDDEN_CHARACTER, (field.name, marks)


# --- confusables -------------------------------------------------------------------------


@functools.cache
def _confusables() -> dict[str, tuple[str, ...]]:
    """Unicode's confusables.txt as pairs in both directions (confusable_homoglyphs' data)."""
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    table: dict[str, list[dict[str, str]]] = json.loads(data)
    return {k: tuple(e["c"].replace("\u200e", "") for e in v) for k, v in table.items()}


#: Look-alike pairs that are both genuine characters of a field's own script: refusing
#: either would refuse real names (Latin I/l and 0/O, ligature Æ; Han variants such as
#: 土/士 or 戶/戸 are listed by confusables.txt as well and checked by script below).
_REVIEWED_LATIN = {
    ("I", "l"), ("l", "I"), ("m", "rn"), ("Æ", "AE"), ("æ", "ae"), ("0", "O"), ("O", "0"),
    ("1", "l"), ("l", "1"), ("'", "`"), ("`", "'"), ('"', "''"), ("l", "|"), ("|", "l"),
}  # fmt: skip


def _is_han(text: str) -> bool:
    return all(regex.match(r"\p{Unified_Ideograph}", c) for c in text)


@pytest.mark.parametrize(
    "name", [f.name for f in TEXT_FIELDS if f.struct == "licence" and f.spec.kind.name != "CODE"]
)
def test_confusables_of_allowed_text_are_refused(name: str) -> None:
    """A confusables.txt look-alike of accepted text is refused unless both are genuine script."""
    field = _BY_NAME[name]
    accepted = functools.cache(lambda text: _refusal(field, _inside(field, text)) is None)
    admitted = []
    for source, targets in _confusables().items():
        if len(source) != 1:
            continue
        for target in targets:
            if target == source or not accepted(target) or not accepted(source):
                continue
            if (source, target) not in _REVIEWED_LATIN and not (_is_han(source + target)):
                admitted.append((_name(source), target))
    assert admitted == []


def test_cyrillic_letter_in_a_latin_name_is_refused() -> None:
    """Cyrillic а (U+0430) in a Latin name is not Latin-1; Greek ο likewise."""
    for char in ("\u0430", "\u03bf"):
        with pytest.raises(InvalidLicence) as info:
            dataclasses.replace(sample_licence(4), given_name=f"{char}NNA")
        assert info.value.problems[0].code == Problem.NOT_LATIN1


def test_kangxi_radical_in_a_han_name_is_refused() -> None:
    """⼈ (Kangxi radical, U+2F08) is refused in a Han name; the JSON loader maps it to 人."""
    with pytest.raises(InvalidLicence) as info:
        dataclasses.replace(sample_licence(0), given_name_national_character="\u2f08子")
    assert info.value.problems[0].code == Problem.FORBIDDEN_CHARACTER
    source = sample_licence_json(0) | {"given_name_national_character": "\u2f08子"}
    assert Licence.from_json(source).given_name_national_character == "人子"


# --- genuine text ------------------------------------------------------------------------

GENUINE: dict[str, tuple[str, ...]] = {
    _F.FAMILY_NAME: ("MÜLLER", "O'NEILL", "GARCÍA LÓPEZ", "ST. JOHN", "Gal·la", "ßÿÐÞ"),
    _F.GIVEN_NAME: ("JEAN-PIERRE", "ZIHAN", "Åsa", "Marcel·lí"),
    _F.GIVEN_NAME_NATIONAL_CHARACTER: ("子涵", "𠮷子", "\U0002a6d6", "\U00030000", "\u3400"),
    _F.FULL_NAME_NATIONAL_CHARACTER: ("安娜·穆勒", "买买提·艾力", "阿依古丽·买买提"),
    _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER: (
        "上海市浦东新区示范路500弄8号1202室",
        "北京市朝阳区样例路1号院2号楼3单元401室",
        "广州市天河区测试路12-3号A座1#楼(东门)",
        "新疆维吾尔自治区乌鲁木齐市样例路1号、2号",
    ),
    _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER: ("四川省成都市公安局交通管理局",),
    _F.RESIDENT_ADDRESS: ("Flat 2/F, 88 Test Road (East), Chengdu", "Rue de l'Église 5; Genève"),
    _F.BIRTH_PLACE: ("SAINT-DENIS", "MÜNCHEN", "A CORUÑA"),
    _F.ISSUING_AUTHORITY: ("Chengdu PSB Traffic Management Bureau", "Police & Traffic: Dept. 3"),
}


@pytest.mark.parametrize("name", GENUINE)
def test_genuine_text_is_accepted(name: str) -> None:
    """Real names, minority names with ·, accented Latin-1 and addresses pass the quick path."""
    base = sample_licence(0)
    for text in GENUINE[name]:
        changes: dict[str, Any] = {name: text}
        licence = dataclasses.replace(base, **changes)
        assert getattr(licence, name) == text
        assert _quick_accepts(_BY_NAME[name], text), text


def test_full_width_and_ideographic_forms_load_as_their_plain_forms() -> None:
    """The JSON loader folds full-width forms and U+3000 in national text (NFKC), as in Latin."""
    source = sample_licence_json(0) | {
        "resident_address_national_character": "示例路８８号（东门）\u3000Ａ座",
    }
    licence = Licence.from_json(source)
    assert licence.resident_address_national_character == "示例路88号(东门) A座"


def test_the_samples_stay_valid() -> None:
    """The five synthetic sample licences still load and pass the validator unchanged."""
    for index in range(5):
        licence = sample_licence(index)
        assert dataclasses.replace(licence) == licence


# --- the allow-lists themselves ------------------------------------------------------------


def _ranges_of(chars: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for code in map(ord, chars):
        if out and out[-1][1] == code - 1:
            out[-1] = (out[-1][0], code)
        else:
            out.append((code, code))
    return out


def test_tables_match_the_unicode_properties() -> None:
    """The static tables equal the Unicode properties they name (ideographs: Unicode 14.0)."""
    from qrseal.licence import text as text

    assert _ranges_of(_with_property("Default_Ignorable_Code_Point")) == list(
        text.DEFAULT_IGNORABLE
    )
    assert _ranges_of(_with_property("Radical")) == list(text.RADICALS)
    ideographs = _with_property("Unified_Ideograph")
    table = "".join(chr(c) for lo, hi in text.UNIFIED_IDEOGRAPHS for c in range(lo, hi + 1))
    assert set(table) <= set(ideographs)
    if unicodedata.unidata_version != text.UNICODE_VERSION:
        pytest.skip(f"the table is pinned to Unicode {text.UNICODE_VERSION}")
    assigned = "".join(c for c in ideographs if unicodedata.category(c) != "Cn")
    assert table == assigned


def test_allowed_characters_are_visible_and_stable() -> None:
    """Every allowed character is visible, no mark, radical or ignorable, and NFKC-stable."""
    # What lets the validator settle text with one pattern match (rules._text_check).
    from qrseal.licence import text as text

    never = set(_with_property("Default_Ignorable_Code_Point")) | set(_with_property("Radical"))
    allowed, everything = {" "}, _all_code_points()
    for allow_list in text.ALLOW_LISTS.values():
        chars = re.findall(f"[{allow_list.chars}]", everything)
        assert chars
        allowed.update(chars)
    assert not allowed & never and "\u2800" not in allowed
    bad = [
        _name(char)
        for char in allowed
        if not (unicodedata.category(char)[0] in "LNPS" or char == " ")
        or unicodedata.normalize("NFKC", char) != char
        or unicodedata.combining(char)
    ]
    assert bad == []


def test_normalise_text_leaves_allowed_characters_and_printable_ascii_alone() -> None:
    """normalise_text changes no character its kind's allow-list admits, nor printable ASCII
    without a double space: the compiled JSON reader takes such text as it is (allowed
    characters are no marks, so no two of them compose; test above)."""
    everything = _all_code_points()
    ascii_text = "".join(map(chr, range(0x20, 0x7F)))
    for kind in licence_fields.TEXT_KINDS:
        allow_list = licence_fields.ALLOW[kind]
        chars = re.findall(f"[{allow_list.chars}]", everything)
        changed = [_name(c) for c in chars if normalise_text(kind, c) != c]
        assert changed == [], kind
        assert normalise_text(kind, ascii_text) == ascii_text
        assert normalise_text(kind, "A B-C") == "A B-C"
        assert normalise_text(kind, "A  B") != "A  B"


def test_format_doc_lists_each_text_field_with_its_allow_list() -> None:
    """format.md §5.3 names each text field once, in a row whose fields share an allow-list."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "format.md").read_text(encoding="utf-8")
    section = doc.split("### 5.3 ", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    seen: list[str] = []
    for row in rows:
        names = [n for n in regex.findall(r"`([a-z_]+)`", row) if n in _BY_NAME]
        assert len({_BY_NAME[n].spec.kind for n in names}) == 1, row
        seen += names
    assert sorted(seen) == sorted(_BY_NAME)
