"""Licence model: the §5 samples and expected results, §3 validation rules, the unified
JSON form and the compact CBOR map (``licence-model.md`` is the oracle throughout)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrseal.errors import InvalidArgument, InvalidLicence, QrsealError
from qrseal.licence import china as cnprofile
from qrseal.licence.fields import LICENCE
from qrseal.licence.model import (
    ALL_FIELDS,
    QR_DEFAULT_FIELDS,
    QR_OMITTED_BY_DEFAULT,
    SELECTABLE_FIELDS,
    DocumentNumberType,
    DomesticPrivilege,
    DrivePermitted,
    DrivingPrivilege,
    Licence,
    LicenceField,
    PrivilegeCode,
    Problem,
    Sex,
    StatusTable,
    ValidityTerm,
)
from qrseal.licence.rules import normalise_text
from qrseal.wire.cose import deterministic_dumps, strict_loads
from tests.vectors import SHARED

AS_OF = date(2026, 11, 25)  # every §5 statement is "as of" this date
MODEL = SHARED / "licence-model.md"
SAMPLES: list[dict[str, Any]] = json.loads(
    resources.files("qrseal").joinpath("data/samples.json").read_text(encoding="utf-8")
)
DROP = object()  # marks a key to delete in _sample()

# §5 "Expected results when checked on 2026-11-25", transcribed (the external oracle):
# (drive_permitted, in_probation, implied classes).
EXPECTED = (
    ("yes", True, "C1 C2 C3 C4"),
    ("yes", False, "C1 C2 C3 C4"),
    ("no", False, "C1 C2 C3 C4"),
    ("yes", False, "A1 A2 A3 B1 B2 C1 C2 C3 C4 C6 M"),
    ("yes", False, "C2"),
)


def _sample(index: int, **changes: object) -> dict[str, Any]:
    """A deep copy of sample ``index`` with top-level ``changes`` (DROP deletes a key)."""
    sample: dict[str, Any] = json.loads(json.dumps(SAMPLES[index]))
    for key, value in changes.items():
        if value is DROP:
            del sample[key]
        else:
            sample[key] = value
    return sample


def _licence(index: int) -> Licence:
    return Licence.from_json(SAMPLES[index])


def _rejected(obj: object) -> InvalidLicence:
    """The InvalidLicence raised by from_json (a mapping) or from_cbor_map (int keys)."""
    is_json = isinstance(obj, dict) and all(isinstance(k, str) for k in obj)
    decode: Any = Licence.from_json if is_json else Licence.from_cbor_map
    with pytest.raises(InvalidLicence) as info:
        decode(obj)
    assert info.value.field == info.value.problems[0].field
    return info.value


def _codes(exc: InvalidLicence) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in exc.problems}


def _replace(licence: Licence, **changes: Any) -> Licence:
    return dataclasses.replace(licence, **changes)


def _compact(licence: Licence, fields: frozenset[str] | None = None) -> bytes:
    return cbor2.dumps(licence.to_cbor_map(fields), canonical=True)


# --- the five samples ---------------------------------------------------------------------


@pytest.mark.parametrize("index", range(5))
def test_sample_round_trips_through_json(index: int) -> None:
    """Each §5 sample loads unchanged and to_json() gives it back without `_` comments."""
    expected = {k: v for k, v in SAMPLES[index].items() if not k.startswith("_")}
    licence = _licence(index)
    assert licence.to_json() == expected
    assert Licence.from_json(json.dumps(expected)) == licence


@pytest.mark.parametrize("index", range(5))
def test_sample_round_trips_through_compact_cbor(index: int) -> None:
    """All fields survive canonical CBOR encoding and strict decoding exactly."""
    licence = _licence(index)
    assert Licence.from_cbor_map(cbor2.loads(_compact(licence, ALL_FIELDS))) == licence
    assert Licence.from_cbor_map(licence.to_cbor_map(ALL_FIELDS)) == licence  # raw CBORTag form


@pytest.mark.parametrize("index", range(5))
def test_qr_default_view_drops_only_the_bulky_fields(index: int) -> None:
    """The default QR view decodes to the licence minus the QR_OMITTED_BY_DEFAULT fields."""
    licence = _licence(index)
    decoded = Licence.from_cbor_map(cbor2.loads(_compact(licence)))
    assert decoded == _replace(licence, **dict.fromkeys(QR_OMITTED_BY_DEFAULT))


@pytest.mark.parametrize("index", range(5))
def test_qr_default_view_is_compact(index: int) -> None:
    """A sample's QR payload is roughly 150-220 bytes, far below the all-fields map."""
    licence = _licence(index)
    size = len(_compact(licence))
    assert 120 <= size <= 230
    assert size < len(_compact(licence, ALL_FIELDS)) - 80


def test_compact_map_omits_values_the_decoder_restores() -> None:
    """issuing_country, un_distinguishing_sign and a Han full name are derivable, so absent."""
    keys = _licence(0).to_cbor_map(ALL_FIELDS)
    for field in (
        LicenceField.ISSUING_COUNTRY,
        LicenceField.UN_DISTINGUISHING_SIGN,
        LicenceField.FULL_NAME_NATIONAL_CHARACTER,
    ):
        assert field.key not in keys
    # 安娜·穆勒 is given·family, not the family+given concatenation: it must travel.
    assert _licence(4).to_cbor_map()[LicenceField.FULL_NAME_NATIONAL_CHARACTER.key] == "安娜·穆勒"


def test_compact_map_uses_integer_keys_and_epoch_tags() -> None:
    """Dates are tag 100 (days), times tag 1 (seconds), enums integers, key 0 the version."""
    compact = _licence(1).to_cbor_map()
    assert compact[0] == 1
    assert compact[LicenceField.BIRTH_DATE.key] == cbor2.CBORTag(
        100, (date(1968, 9, 2) - date(1970, 1, 1)).days
    )
    as_of = datetime(2026, 11, 25, 8, tzinfo=UTC).timestamp()
    assert compact[LicenceField.POINTS_AS_OF.key] == cbor2.CBORTag(1, int(as_of))
    assert compact[LicenceField.VALIDITY_TERM.key] == ValidityTerm.LONG_TERM.value
    assert LicenceField.EXPIRY_DATE.key not in compact  # long-term: no expiry
    assert compact[LicenceField.DOMESTIC_PRIVILEGES.key] == [{1: "C1", 4: [{1: "02"}]}]
    assert all(type(key) is int for key in compact)


def test_selected_fields_are_validated() -> None:
    """to_cbor_map accepts only a set of known field names."""
    licence = _licence(0)
    with pytest.raises(InvalidArgument):
        licence.to_cbor_map(frozenset({"no_such_field"}))
    with pytest.raises(InvalidArgument):
        licence.to_cbor_map(["family_name"])  # type: ignore[arg-type]
    minimal = licence.to_cbor_map(ALL_FIELDS - SELECTABLE_FIELDS)
    assert LicenceField.POINTS_AS_OF.key not in minimal
    assert LicenceField.STATUS.key in minimal
    assert QR_DEFAULT_FIELDS == ALL_FIELDS - QR_OMITTED_BY_DEFAULT


@pytest.mark.parametrize("index", range(5))
def test_sample_matches_expected_results_table(index: int) -> None:
    """§5 expected results on 2026-11-25: no errors or warnings, permitted, probation, closure."""
    permitted, probation, implied = EXPECTED[index]
    licence = _licence(index)
    licence.check_at(AS_OF)
    assert licence.warnings(AS_OF) == ()
    assert licence.drive_permitted(AS_OF) is DrivePermitted(permitted)
    assert licence.in_probation(AS_OF) is probation
    assert licence.permitted_classes() == tuple(implied.split())


def test_expected_results_table_is_transcribed_from_the_model() -> None:
    """EXPECTED above equals the §5 table in ../shared/licence-model.md."""
    if not MODEL.exists():
        pytest.skip(f"model document not available: {MODEL} is missing (../shared)")
    rows = re.findall(r"^\| ([1-5]) \|(.*)\|\s*$", MODEL.read_text(encoding="utf-8"), re.MULTILINE)
    table = []
    for _, row in rows:
        cells = [cell.replace("*", "").strip() for cell in row.split("|")]
        assert cells[1:3] == ["none", "none"]  # errors, warnings
        table.append((cells[3], cells[4].split()[0] == "yes", cells[5]))
    assert tuple(table) == EXPECTED


def test_packaged_samples_equal_the_model_document() -> None:
    """data/samples.json is the JSON block of §5, comments included."""
    if not MODEL.exists():
        pytest.skip(f"model document not available: {MODEL} is missing (../shared)")
    section = MODEL.read_text(encoding="utf-8").split("## 5.", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == SAMPLES


# --- §5 negative fixtures -----------------------------------------------------------------


def test_flipped_check_digit_is_a_checksum_error() -> None:
    """…1423 instead of …1422 fails MOD 11-2 and names document_number."""
    exc = _rejected(_sample(0, document_number="510107200503151423"))
    assert _codes(exc) == {("document_number", Problem.ID_CHECKSUM)}


def test_birth_date_must_match_the_id_number() -> None:
    """Sample 1 with birth_date 2005-03-16 contradicts ID digits 7-14."""
    exc = _rejected(_sample(0, birth_date="2005-03-16"))
    assert ("document_number", Problem.ID_BIRTH_DATE) in _codes(exc)


def test_sex_must_match_the_id_parity() -> None:
    """Sample 1 has an even sequence digit (female); sex 1 is a parity error."""
    exc = _rejected(_sample(0, sex=1))
    assert _codes(exc) == {("document_number", Problem.ID_SEX)}


def test_chinese_c1_written_as_iso_c1_is_rejected() -> None:
    """ISO C1 (medium truck) cannot be derived from a Chinese C1 (car) class."""
    privileges = [{"vehicle_category_code": "C1", "issue_date": "2026-05-20"}]
    exc = _rejected(_sample(0, driving_privileges=privileges))
    assert exc.field == "driving_privileges[0].vehicle_category_code"
    assert exc.problems[0].code == Problem.CATEGORY_NOT_DERIVABLE


def test_status_a_must_stand_alone() -> None:
    """Status "AB" mixes normal with 超分."""
    exc = _rejected(_sample(0, status="AB"))
    assert _codes(exc) == {("status", Problem.STATUS_A_NOT_ALONE)}


def test_long_term_licence_cannot_have_an_expiry_date() -> None:
    """Sample 2 (长期) with expiry 2034-04-10 is inconsistent."""
    exc = _rejected(_sample(1, expiry_date="2034-04-10"))
    assert _codes(exc) == {("expiry_date", Problem.LONG_TERM_EXPIRY)}


def test_long_term_expiry_may_be_null_or_absent_in_json() -> None:
    """A missing expiry_date reads as null; to_json always writes the explicit null."""
    licence = Licence.from_json(_sample(1, expiry_date=DROP))
    assert licence == _licence(1)
    assert licence.to_json()["expiry_date"] is None


def test_bullet_in_name_is_normalised_to_middle_dot_on_input() -> None:
    """安娜•穆勒 (U+2022) loads as 安娜·穆勒 (U+00B7); the constructor refuses the bullet."""
    licence = Licence.from_json(_sample(4, full_name_national_character="安娜\u2022穆勒"))
    assert licence == _licence(4)
    with pytest.raises(InvalidLicence) as info:
        _replace(licence, full_name_national_character="安娜\u2022穆勒")
    assert info.value.problems[0].code == Problem.NOT_NORMALISED


def test_full_width_latin_name_is_nfkc_normalised_on_input() -> None:
    """ＭÜＬＬＥＲ becomes MÜLLER in the loader; the constructor refuses the raw form."""
    licence = Licence.from_json(_sample(4, family_name="ＭÜＬＬＥＲ"))
    assert licence.family_name == "MÜLLER"
    with pytest.raises(InvalidLicence) as info:
        _replace(licence, family_name="ＭÜＬＬＥＲ")
    assert _codes(info.value) == {("family_name", Problem.NOT_NORMALISED)}


def test_rc_is_not_the_prc_distinguishing_sign() -> None:
    """RC is Taiwan's UN sign; the CN profile rejects it."""
    exc = _rejected(_sample(0, un_distinguishing_sign="RC"))
    assert _codes(exc) == {("un_distinguishing_sign", Problem.UN_SIGN_RC)}


# --- §3.1 citizen ID numbers --------------------------------------------------------------

# (number, S, r, check) from §3.1, including the GB 11643 standard's own example.
ID_CASES = (
    ("11010519491231002X", 167, 2, "X"),
    ("510107200503151422", 186, 10, "2"),
    ("32050519760508205X", 266, 2, "X"),
    ("931276199007140021", 352, 0, "1"),
)


@pytest.mark.parametrize(("number", "total", "remainder", "check"), ID_CASES)
def test_id_check_character_matches_worked_examples(
    number: str, total: int, remainder: int, check: str
) -> None:
    """The MOD 11-2 check character of §3.1's worked examples, and the ISO 7064 identity."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # as printed in §3.1
    assert sum(int(d) * w for d, w in zip(number[:17], weights, strict=True)) == total
    assert total % 11 == remainder
    assert cnprofile.id_check_character(number[:17]) == check
    assert number[17] == check
    # ISO form: sum of a_i * 2^(i-1), counted from the right with X = 10, is 1 mod 11.
    values = [10 if c == "X" else int(c) for c in reversed(number)]
    assert sum(a * 2**i for i, a in enumerate(values)) % 11 == 1


def test_weights_are_powers_of_two_mod_11() -> None:
    """W_i = 2^(18-i) mod 11, as §3.1 states."""
    assert tuple(2 ** (18 - i) % 11 for i in range(1, 18)) == cnprofile.ID_WEIGHTS


def test_gb11643_example_number_is_a_valid_licence_number() -> None:
    """11010519491231002X: Beijing Chaoyang, born 1949-12-31, female; lower-case x is fixed."""
    sample = _sample(1, document_number="110105 19491231 002x", birth_date="1949-12-31", sex=2)
    licence = Licence.from_json(sample)
    assert licence.document_number == "11010519491231002X"
    assert licence.sex is Sex.FEMALE
    assert licence.age_on(AS_OF) == 76


def test_hmt_permit_needs_its_address_code() -> None:
    """A Hong Kong/Macau/Taiwan residence permit starts 810000, 820000 or 830000."""
    number = "510107200503151422"  # a valid citizen ID, but not a residence permit
    sample = _sample(0, document_number=number, document_number_type="cn_hmt_residence_permit")
    exc = _rejected(sample)
    assert _codes(exc) == {("document_number", Problem.UNKNOWN_REGION)}


def test_2023_permanent_residence_number_starts_with_9() -> None:
    """A 2023 PR-card number must start with 9 even when its checksum holds."""
    exc = _rejected(_sample(4, document_number="510107200503151422", birth_date="2005-03-15"))
    assert ("document_number", Problem.UNKNOWN_REGION) in _codes(exc)


# --- other §3 error rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"nationality": "cn"}, "nationality", Problem.INVALID_FORMAT),
        ({"issuing_jurisdiction": "DE-BY"}, "issuing_jurisdiction", Problem.JURISDICTION_MISMATCH),
        ({"issuing_jurisdiction": "CN-ZZ"}, "issuing_jurisdiction", Problem.UNKNOWN_REGION),
        ({"administrative_number": "51012603187"}, "administrative_number", Problem.INVALID_FORMAT),
        (
            {"administrative_number": "990126031875"},
            "administrative_number",
            Problem.UNKNOWN_REGION,
        ),
        ({"sex": 3}, "sex", Problem.INVALID_VALUE),
        ({"points": 256}, "points", Problem.POINTS_RANGE),
        ({"points": -1}, "points", Problem.POINTS_RANGE),
        ({"status": "HH"}, "status", Problem.DUPLICATE),
        ({"status": "AQ"}, "status", Problem.UNKNOWN_STATUS),
        ({"birth_date": "1899-12-31"}, "birth_date", Problem.DATE_RANGE),
        ({"first_issue_date": "2022-05-20"}, "first_issue_date", Problem.UNDERAGE),
        ({"first_issue_date": "2026-05-21"}, "first_issue_date", Problem.DATE_ORDER),
        ({"expiry_date": "2026-05-19"}, "expiry_date", Problem.DATE_ORDER),
        ({"expiry_date": None}, "expiry_date", Problem.LONG_TERM_EXPIRY),
        ({"birth_date": "2023-02-29"}, "birth_date", Problem.INVALID_VALUE),
        ({"family_name": "李"}, "family_name", Problem.NOT_LATIN1),
        ({"family_name": "L" * 151}, "family_name", Problem.TOO_LONG),
        ({"family_name": " LI"}, "family_name", Problem.WHITESPACE),
        ({"given_name": "ZI\u200bHAN"}, "given_name", Problem.FORBIDDEN_CHARACTER),
        (
            {"given_name_national_character": "子\u202e涵"},
            "given_name_national_character",
            Problem.FORBIDDEN_CHARACTER,
        ),
        (
            {"given_name_national_character": "子 涵"},
            "given_name_national_character",
            Problem.WHITESPACE,
        ),
        ({"family_name_national_character": ""}, "family_name_national_character", Problem.EMPTY),
        ({"points_as_of": "2026-11-25T08:00:00.5Z"}, "points_as_of", Problem.INVALID_VALUE),
        ({"validity_term": "5y"}, "validity_term", Problem.INVALID_VALUE),
        ({"profile": "EU"}, "profile", Problem.INVALID_VALUE),
        ({"issuing_authority": DROP}, "issuing_authority", Problem.REQUIRED),
        ({"expiry_date": DROP}, "expiry_date", Problem.LONG_TERM_EXPIRY),
        ({"points": True}, "points", Problem.WRONG_TYPE),
        ({"points": "3"}, "points", Problem.WRONG_TYPE),
        ({"domestic_privileges": {}}, "domestic_privileges", Problem.WRONG_TYPE),
        ({"nickname": "Xiao Li"}, "nickname", Problem.UNKNOWN_FIELD),
    ],
)
def test_json_error_rules(changes: dict[str, object], field: str, code: Problem) -> None:
    """Each broken field of sample 1 is rejected with its code, naming the field."""
    exc = _rejected(_sample(0, **changes))
    assert (field, code) in _codes(exc)
    assert exc.field == field


@pytest.mark.parametrize(
    ("privilege", "field", "code"),
    [
        ({"class_code": "C7"}, "domestic_privileges[1].class_code", Problem.UNKNOWN_CLASS),
        ({"class_code": "C1"}, "domestic_privileges[1]", Problem.DUPLICATE),
        ({"issue_date": "2026-05-20"}, "domestic_privileges[1].class_code", Problem.REQUIRED),
        ({"class_code": "C2", "codes": []}, "domestic_privileges[1].codes", Problem.EMPTY),
        (
            {"class_code": "C2", "codes": [{"code": ""}]},
            "domestic_privileges[1].codes[0].code",
            Problem.EMPTY,
        ),
        ({"class_code": "C2", "x": 1}, "domestic_privileges[1].x", Problem.UNKNOWN_FIELD),
    ],
)
def test_privilege_problems_name_a_dotted_path(
    privilege: dict[str, object], field: str, code: Problem
) -> None:
    """A problem inside a list names its field as a dotted path with indexes."""
    classes = [{"class_code": "C1", "issue_date": "2026-05-20", "probation_end_date": "2027-05-19"}]
    exc = _rejected(_sample(0, domestic_privileges=[*classes, privilege]))
    assert (field, code) in _codes(exc)


def test_all_problems_are_listed_in_field_order() -> None:
    """Several errors are reported together; `field` is the earliest field in model order."""
    exc = _rejected(_sample(0, status="X", points=999, family_name="李"))
    assert [p.field for p in exc.problems] == ["family_name", "points", "status"]
    assert exc.field == "family_name"


def test_constructor_checks_types_and_utc_times() -> None:
    """Direct construction rejects wrong types, naive or fractional times and bad tuples."""
    licence = _licence(0)
    cases = {
        "points_as_of": datetime(2026, 11, 25, 8),
        "sex": 2,
        "birth_date": datetime(2005, 3, 15, tzinfo=UTC),
        "domestic_privileges": [DomesticPrivilege("C1")],
    }
    for name, value in cases.items():
        with pytest.raises(InvalidLicence) as info:
            _replace(licence, **{name: value})
        assert info.value.field == name
    with pytest.raises(InvalidLicence) as info:
        _replace(licence, points_as_of=datetime(2026, 11, 25, 8, 0, 0, 5, tzinfo=UTC))
    assert info.value.problems[0].code == Problem.NOT_UTC


def test_privileges_validate_themselves() -> None:
    """Privilege values check their own vocabulary and dates."""
    with pytest.raises(InvalidLicence) as info:
        DrivingPrivilege("B", issue_date=date(2030, 1, 1), expiry_date=date(2029, 1, 1))
    assert _codes(info.value) == {("expiry_date", Problem.DATE_ORDER)}
    with pytest.raises(InvalidLicence) as info:
        DrivingPrivilege("M")  # a Chinese-only code is not an ISO category
    assert info.value.problems[0].code == Problem.UNKNOWN_CATEGORY
    with pytest.raises(InvalidLicence):
        PrivilegeCode("")


def test_json_text_input_is_parsed_strictly() -> None:
    """JSON text loads; duplicate keys, NaN and non-objects are InvalidLicence, never ValueError."""
    text = json.dumps(SAMPLES[2])
    assert Licence.from_json(text) == _licence(2)
    for bad in ('{"points": 1, "points": 2}', '{"points": NaN}', "[1, 2]", "{", "[" * 100_000):
        with pytest.raises(InvalidLicence):
            Licence.from_json(bad)


def test_loader_normalises_classes_and_documents_number() -> None:
    """The JSON loader sorts classes canonically and strips spaces/hyphens from ID numbers."""
    sample = _sample(3, document_number="320505-19760508-205x")
    sample["domestic_privileges"].reverse()
    licence = Licence.from_json(sample)
    assert licence == _licence(3)


# --- compact decoding ---------------------------------------------------------------------


def test_compact_decoding_is_strict() -> None:
    """Unknown keys, wrong types, bad versions and bool keys are named problems."""
    good = _licence(0).to_cbor_map()
    cases: list[tuple[dict[Any, Any], str, Problem]] = [
        ({**good, 99: "x"}, "99", Problem.UNKNOWN_FIELD),
        ({**good, 0: 2}, "profile", Problem.INVALID_VALUE),
        ({**good, 3: "2005-03-15"}, "birth_date", Problem.WRONG_TYPE),
        ({**good, 3: cbor2.CBORTag(100, 10**30)}, "birth_date", Problem.INVALID_VALUE),
        ({**good, 23: cbor2.CBORTag(1, 1.5)}, "points_as_of", Problem.WRONG_TYPE),
        ({**good, 13: True}, "sex", Problem.WRONG_TYPE),
        ({**good, 20: [{1: "C1", 9: 1}]}, "domestic_privileges[0].9", Problem.UNKNOWN_FIELD),
        ({k: v for k, v in good.items() if k != 22}, "status", Problem.REQUIRED),
        ({k: v for k, v in good.items() if k != 1} | {True: "LI"}, "True", Problem.UNKNOWN_FIELD),
        ({**good, 1: "li\u00a0"}, "family_name", Problem.WHITESPACE),  # never re-normalised
    ]
    for obj, field, code in cases:
        assert (field, code) in _codes(_rejected(obj)), (field, code)
    assert _codes(_rejected([good])) == {("$", Problem.WRONG_TYPE)}


def test_compact_decoding_accepts_cbor2_decoded_dates_and_times() -> None:
    """cbor2 turns tags 100 and 1 into date/datetime; both forms decode to the same licence."""
    licence = _licence(0)
    decoded = cbor2.loads(_compact(licence))
    assert type(decoded[LicenceField.BIRTH_DATE.key]) is date
    assert Licence.from_cbor_map(decoded) == Licence.from_cbor_map(licence.to_cbor_map())


# --- warnings and derived values ----------------------------------------------------------


def test_warnings_are_returned_not_raised() -> None:
    """Redundant or unordered classes, odd signs and unusual points are warnings only."""
    sample = _licence(3)  # A1 A2, 0 points, status A
    c1 = DomesticPrivilege("C1", codes=(PrivilegeCode("78", sign="~"),))
    licence = _replace(sample, domestic_privileges=(c1, *sample.domestic_privileges), points=40)
    assert {(w.field, w.code) for w in licence.warnings()} == {
        ("domestic_privileges", Problem.CLASS_ORDER),
        ("domestic_privileges[0].class_code", Problem.REDUNDANT_CLASS),
        ("domestic_privileges[0].codes[0].sign", Problem.UNKNOWN_SIGN),
        ("points", Problem.POINTS_UNUSUAL),
        ("status", Problem.POINTS_STATUS),
    }


def test_date_dependent_warnings_need_today() -> None:
    """Professional classes at 63+ warn only when a date is given."""
    licence = _licence(3)  # born 1976-05-08, A1A2
    assert licence.warnings(date(2039, 5, 7)) == ()
    found = {w.code for w in licence.warnings(date(2039, 5, 8))}
    assert found == {Problem.AGE_LIMIT}
    with pytest.raises(InvalidArgument):
        licence.warnings(datetime(2039, 5, 8, tzinfo=UTC))


def test_mismatched_derived_dates_are_warnings() -> None:
    """probation_end_date, scoring_cycle_end and the 6y term are checked as warnings."""
    licence = _replace(
        _licence(0),
        domestic_privileges=(DomesticPrivilege("C1", date(2026, 5, 20), date(2027, 5, 20)),),
        scoring_cycle_end=date(2027, 5, 20),
        expiry_date=date(2032, 5, 21),
    )
    assert {(w.field, w.code) for w in licence.warnings()} == {
        ("domestic_privileges[0].probation_end_date", Problem.PROBATION_END),
        ("scoring_cycle_end", Problem.SCORING_CYCLE_END),
        ("expiry_date", Problem.VALIDITY_TERM_DATES),
    }


def test_c5_implication_is_off_by_default() -> None:
    """The conditional C5 implication [V] is added only on request."""
    licence = _licence(0)
    assert "C5" not in licence.permitted_classes()
    assert "C5" in licence.permitted_classes(include_c5=True)


def test_pre_2022_a2_does_not_imply_c6() -> None:
    """The implication table follows issue_date: before 2022-04-01 A2 did not include C6."""
    licence = _replace(_licence(3), issue_date=date(2014, 3, 1), expiry_date=date(2024, 3, 1))
    assert "C6" not in licence.permitted_classes()
    assert "C6" in _licence(3).permitted_classes()


def test_status_table_version_changes_k() -> None:
    """K is 扣押 (no) in the current table, 协查 (check) in GA 581.5-2005 [V]."""
    licence = _replace(_licence(0), status="K")
    assert licence.drive_permitted(AS_OF) is DrivePermitted.NO
    verdict = licence.drive_permitted(AS_OF, status_table=StatusTable.GA581_5_2005)
    assert verdict is DrivePermitted.CHECK


def test_status_h_permits_and_expiry_forbids() -> None:
    """H (unresolved violation) still permits driving; an expired licence does not."""
    licence = _replace(_licence(0), status="HS")
    assert licence.drive_permitted(AS_OF) is DrivePermitted.NO  # S: review overdue
    assert _replace(licence, status="H").drive_permitted(AS_OF) is DrivePermitted.YES
    assert _licence(0).drive_permitted(date(2032, 5, 20)) is DrivePermitted.YES
    assert _licence(0).drive_permitted(date(2032, 5, 21)) is DrivePermitted.NO
    assert not _licence(1).is_expired(date(2999, 1, 1))  # 长期


def test_age_and_experience() -> None:
    """Whole years of age and of driving experience (驾龄)."""
    licence = _licence(3)
    assert licence.age_on(date(2026, 5, 7)) == 49
    assert licence.age_on(date(2026, 5, 8)) == 50
    assert licence.driving_experience_years(AS_OF) == 28
    assert licence.driving_experience_years(date(1990, 1, 1)) == 0
    with pytest.raises(InvalidArgument):
        licence.age_on(datetime(2026, 5, 8, tzinfo=UTC))


def test_check_at_rejects_future_data() -> None:
    """Dates after the checking date are in_future; an aware datetime uses the CN date."""
    licence = _licence(0)  # issued 2026-05-20 (local)
    with pytest.raises(InvalidLicence) as info:
        licence.check_at(date(2026, 5, 19))
    assert {p.code for p in info.value.problems} == {Problem.IN_FUTURE}
    assert info.value.field == "first_issue_date"
    # 2026-05-19T20:00Z is already 2026-05-20 in China: the licence may be signed then,
    # but points_as_of (2026-11-25T08:00Z) is still in the future.
    with pytest.raises(InvalidLicence) as info:
        licence.check_at(datetime(2026, 5, 19, 20, tzinfo=UTC))
    assert _codes(info.value) == {("points_as_of", Problem.IN_FUTURE)}
    licence.check_at(datetime(2026, 11, 25, 8, tzinfo=UTC))
    licence.check_at(datetime(2026, 11, 25, 16, tzinfo=timezone(timedelta(hours=8))))
    with pytest.raises(InvalidArgument):
        licence.check_at(datetime(2026, 11, 25, 8))


def test_enum_json_names() -> None:
    """Enums carry the §4.2 numbers and JSON names."""
    assert DocumentNumberType.CN_FOREIGN_PR_ID_2023.value == 2
    assert DocumentNumberType.CN_HMT_RESIDENCE_PERMIT.json_name == "cn_hmt_residence_permit"
    assert [t.json_name for t in ValidityTerm] == ["other", "6y", "10y", "long_term"]
    assert [t.value for t in ValidityTerm] == [0, 1, 2, 3]
    assert LicenceField.PROFILE.key == 0
    assert LicenceField.PHYSICAL_EXAM_DUE.key == 36


# --- robustness ---------------------------------------------------------------------------

_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.binary(max_size=12),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=8))])),
    st.builds(
        cbor2.CBORTag,
        st.sampled_from([0, 1, 100, 1004, 18]),
        st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=5) | st.floats(),
    ),
    st.sampled_from([cbor2.undefined, cbor2.CBORSimpleValue(99)]),
)
_KEYS = st.integers(min_value=-3, max_value=40) | st.text(max_size=4) | st.booleans()
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=12,
)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return [_copy(v) for v in value] if isinstance(value, list) else value


def _mutate(data: st.DataObject, value: Any, keys: st.SearchStrategy[Any]) -> Any:
    """Replace, drop, add or descend into entries of ``value``, as hypothesis chooses."""
    if not isinstance(value, dict | list) or not value or data.draw(st.integers(0, 4)) == 0:
        return data.draw(_VALUES)
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["replace", "drop", "add", "descend"]))
        if action == "add" or not value:
            new = data.draw(_VALUES)
            if isinstance(value, dict):
                value[data.draw(keys)] = new
            else:
                value.append(new)
            continue
        indexes = sorted(value, key=repr) if isinstance(value, dict) else range(len(value))
        index = data.draw(st.sampled_from(indexes))
        if action == "replace":
            value[index] = data.draw(_VALUES)
        elif action == "drop":
            del value[index]
        else:
            value[index] = _mutate(data, value[index], keys)
    return value


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_compact_map_raises_only_qrseal_errors(data: st.DataObject) -> None:
    """Random mutation of a compact map gives a Licence or a QrsealError, nothing else."""
    compact = _copy(_licence(data.draw(st.integers(0, 4))).to_cbor_map(ALL_FIELDS))
    mutated = _mutate(data, compact, _KEYS)
    candidates = [mutated]
    # Also the forms cbor2 decodes to; what cbor2 cannot round-trip never reaches us.
    with contextlib.suppress(cbor2.CBORError, ValueError, TypeError, OverflowError):
        candidates.append(cbor2.loads(cbor2.dumps(mutated)))
    for candidate in candidates:
        with contextlib.suppress(QrsealError):
            Licence.from_cbor_map(candidate)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_json_raises_only_invalid_licence(data: st.DataObject) -> None:
    """Random mutation of a JSON sample gives a Licence or InvalidLicence, nothing else."""
    sample = _copy(SAMPLES[data.draw(st.integers(0, 4))])
    mutated = _mutate(data, sample, st.text(max_size=30) | st.sampled_from(sorted(ALL_FIELDS)))
    with contextlib.suppress(InvalidLicence):
        Licence.from_json(mutated)


_TEXTS = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -ÜüＡ１\u00a0\u3000·•子涵", max_size=20),
    st.dates(min_value=date(1890, 1, 1), max_value=date(3100, 1, 1)).map(date.isoformat),
    st.sampled_from(["CN", "CN-SC", "CHN", "RC", "A", "BD", "C1", "cn_resident_id", "6y"]),
)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_accepted_licences_are_stable(data: st.DataObject) -> None:
    """An accepted licence survives JSON and CBOR round trips unchanged; warnings never raise."""
    sample = _sample(data.draw(st.integers(0, 4)))
    for key in data.draw(st.lists(st.sampled_from(sorted(sample)), min_size=1, max_size=3)):
        old = sample[key]
        if isinstance(old, str):
            sample[key] = data.draw(_TEXTS)
        elif isinstance(old, int):
            sample[key] = data.draw(st.integers(-2, 300))
    try:
        licence = Licence.from_json(sample)
    except InvalidLicence:
        return
    assert Licence.from_json(licence.to_json()) == licence
    assert Licence.from_cbor_map(cbor2.loads(_compact(licence, ALL_FIELDS))) == licence
    licence.warnings(AS_OF)
    licence.drive_permitted(AS_OF)
    licence.permitted_classes(include_c5=True)


# --- one validator for every input ----------------------------------------------------------
# Construction runs the one validator; both wire forms construct through it. These tests
# make sure the samples decode from every form of their QR map, and that the two forms
# meet the same rules with the same problems.


def _qr_views(licence: Licence) -> list[Any]:
    """The QR map as to_cbor_map gives it, as cbor2.loads gives it, and as the verifier
    gets it (strict_loads keeps tags as CBORTag)."""
    compact = licence.to_cbor_map()
    return [compact, cbor2.loads(_compact(licence)), strict_loads(deterministic_dumps(compact))]


@pytest.mark.parametrize("index", range(5))
def test_samples_decode_from_every_qr_view(index: int) -> None:
    """Each sample decodes from each form of its QR map to the licence without the
    fields the QR leaves out."""
    licence = _licence(index)
    expected = _replace(licence, **dict.fromkeys(QR_OMITTED_BY_DEFAULT))
    for view in _qr_views(licence):
        decoded = Licence.from_cbor_map(view)
        assert decoded == expected
        assert dataclasses.astuple(decoded) == dataclasses.astuple(expected)


def test_licence_and_privileges_have_slots() -> None:
    """Licence values are frozen and slotted: no instance __dict__ to write behind __init__."""
    licence = _licence(3)
    for value in (licence, licence.domestic_privileges[0], licence.driving_privileges[0]):
        assert not hasattr(value, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.issue_date = None  # type: ignore[misc]  # the point: frozen


def test_astral_name_characters_are_accepted() -> None:
    """A CJK extension B character (𠮷) is a valid name character; an unassigned astral
    code point is refused with its number."""
    licence = _replace(_licence(0), given_name_national_character="𠮷子")
    assert Licence.from_cbor_map(cbor2.loads(_compact(licence, ALL_FIELDS))) == licence
    with pytest.raises(InvalidLicence) as info:
        _replace(licence, given_name_national_character="\U0003fffe子")
    assert info.value.problems[0].code == Problem.FORBIDDEN_CHARACTER
    assert info.value.problems[0].message == "U+3FFFE is not allowed"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id_check_character_shortcut_matches_the_weights(body: str) -> None:
    """The base-13 shortcut gives the MOD 11-2 character of the §3.1 weighted sum."""
    total = sum(int(d) * w for d, w in zip(body, cnprofile.ID_WEIGHTS, strict=True))
    assert cnprofile.id_check_character(body) == cnprofile.ID_CHECK_CHARACTERS[total % 11]


def test_subclass_decodes_through_its_own_init() -> None:
    """from_cbor_map on a subclass runs its __init__: its own fields get their defaults."""

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Annotated(Licence):
        note: str = "none"

    decoded = Annotated.from_cbor_map(_licence(0).to_cbor_map())
    assert type(decoded) is Annotated and decoded.note == "none"


def test_every_cn_jurisdiction_is_accepted() -> None:
    """Each ISO 3166-2:CN code of the profile table is a valid issuing jurisdiction."""
    licence = _licence(0)
    for code in sorted(cnprofile.JURISDICTIONS):
        assert _replace(licence, issuing_jurisdiction=code).issuing_jurisdiction == code
    assert _codes(_rejected_replace(licence, issuing_jurisdiction="CN-ZZ")) == {
        ("issuing_jurisdiction", "unknown_region")
    }


def _rejected_replace(licence: Licence, **changes: Any) -> InvalidLicence:
    with pytest.raises(InvalidLicence) as info:
        _replace(licence, **changes)
    return info.value


@pytest.mark.parametrize(
    "module", ["fields", "rules", "relations", "privileges", "wire", "writers", "model"]
)
def test_each_licence_module_imports_first(module: str) -> None:
    """Each module of qrseal.licence imports first in a fresh interpreter (no cycle)."""
    code = f"import qrseal.licence.{module}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr


_LATIN_EDGE = st.one_of(
    st.text(alphabet="AZaz09 -.'·&|\xa0\xa8\xad\xb2\xbd\xd7\xdc\xff\x7f\tĀﬁＡа\u0301", max_size=8),
    st.sampled_from(["", " ", "A  B", "A B", " A", "x" * 150, "x" * 151, "Ü", "ÿ"]),
)
_NATIONAL_EDGE = st.one_of(
    st.text(
        alphabet="李子涵安娜穆勒·•‧・ 𠮷\U0003fffe\u3000\u200b\u202e\u0301\uf900\ufffdA1#/、⼈\u3164\u2800",
        max_size=5,
    ),
    st.sampled_from(["李" * 30, "李" * 31, "李" * 150, "李" * 151, "安娜·穆勒", "e\u0301"]),
)
_CODE_EDGE = st.sampled_from([
    "", " ", "CN", "DE", "cn", "C N", "CHN", "RC", "D", "ABCD", "CN-SC", "CN-ZZ", "CN-HK", "DE-BY",
    "CN-SC ", "A", "HS", "SH", "AB", "HH", "Z", "AQ", "C1", "C6", "B", "CE", "M", "Ａ",
])  # fmt: skip
_NUMBER_EDGE = st.sampled_from([
    "510126031875", "990126031875", "51012603187", "510107200503151422", "510107200503151423",
    "11010519491231002X", "11010519491231002x", "931276199007140021", "810107200503151429",
    "ABC123456789012", "E12345678", "",
])  # fmt: skip
_EDGE_DATES = st.one_of(
    st.dates(min_value=date(1890, 1, 1), max_value=date(3010, 1, 1)),
    st.sampled_from([date(1899, 12, 31), date(1900, 1, 1), date(2999, 12, 31), date(3000, 1, 1)]),
    st.sampled_from([date(2005, 3, 15), date(2023, 5, 20), date(2026, 5, 20), date(2032, 5, 20)]),
)
_EDGE_TIMES = st.datetimes(
    min_value=datetime(1899, 12, 31),
    max_value=datetime(3000, 1, 2),
    timezones=st.sampled_from([None, UTC, timezone(timedelta(0)), timezone(timedelta(hours=8))]),
).map(lambda t: t.replace(microsecond=0) if t.microsecond % 2 else t) | st.sampled_from(
    [datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)]
)
_EDGE_CODES = st.lists(st.builds(PrivilegeCode, st.sampled_from(["01", "02"])), max_size=2)
_EDGE_PRIVILEGES = st.lists(
    st.builds(DomesticPrivilege, st.sampled_from(sorted(cnprofile.CLASS_CODES)))
    | st.builds(DrivingPrivilege, st.sampled_from(sorted(cnprofile.ISO_CATEGORIES))),
    max_size=3,
)
#: Mostly plausible values per kind of field (many pass), and some of the wrong kind.
_EDGE_BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "LATIN_NAME": _LATIN_EDGE,
    "LATIN_TEXT": _LATIN_EDGE,
    "LATIN_ID": _LATIN_EDGE | _NUMBER_EDGE,
    "NAME": _NATIONAL_EDGE,
    "NATIONAL": _NATIONAL_EDGE,
    "CODE": _CODE_EDGE,
    "DATE": _EDGE_DATES,
    "TIME": _EDGE_TIMES,
    "UINT": st.integers(-1, 256) | st.booleans(),
    "BYTES": st.sampled_from([b"", b"\xff\xd8\xff", b"\xff\x4f\xff\x51x", b"GIF89a"]),
    "DOMESTIC": _EDGE_PRIVILEGES.map(tuple),
    "DRIVING": _EDGE_PRIVILEGES.map(tuple),
}
_WRONG_KIND = st.one_of(
    st.none(), _EDGE_PRIVILEGES, _EDGE_CODES.map(tuple), _EDGE_DATES, st.integers(0, 9)
)


def _edge_value(data: st.DataObject, name: str) -> Any:
    """Mostly a plausible value for field ``name`` (many pass), sometimes another kind."""
    spec = LICENCE.specs[name]
    plausible = st.sampled_from([*spec.enum, 1]) if spec.enum else _EDGE_BY_KIND.get(spec.kind.name)
    if plausible is None or data.draw(st.integers(0, 4)) == 0:
        return data.draw(_WRONG_KIND)
    return data.draw(plausible)


def _fields_of(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_edge_values_are_accepted_whole_or_refused_cleanly(data: st.DataObject) -> None:
    """Fields of a sample replaced by edge values: the constructors either accept (and the
    licence survives the compact form) or raise InvalidLicence naming the first problem."""
    fields = _fields_of(_licence(data.draw(st.integers(0, 4))))
    for name in data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3)):
        fields[name] = _edge_value(data, name)
    outcome = _outcome(lambda values: Licence(**values), fields)
    if isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[1], list):
        assert outcome[1] and outcome[0] == outcome[1][0][0]
    else:
        licence = Licence(**fields)
        again = Licence.from_cbor_map(licence.to_cbor_map(ALL_FIELDS))
        assert again.to_cbor_map(ALL_FIELDS) == licence.to_cbor_map(ALL_FIELDS)
    code = data.draw(_CODE_EDGE | _EDGE_DATES)
    dates = data.draw(_EDGE_DATES | st.none()), data.draw(_EDGE_DATES | st.none())
    codes = data.draw(_EDGE_CODES.map(tuple) | _EDGE_CODES | _EDGE_PRIVILEGES.map(tuple))
    for cls in (DomesticPrivilege, DrivingPrivilege, PrivilegeCode):
        if cls is PrivilegeCode:
            values: tuple[Any, ...] = tuple(data.draw(_LATIN_EDGE | st.none()) for _ in range(3))
        else:
            values = (code, *dates, codes)
        with contextlib.suppress(InvalidLicence):
            cls(*values)


def _outcome(decode: Any, obj: object) -> object:
    """A decoded licence as its fields in order, or the error as its field and problems."""
    try:
        return dataclasses.astuple(decode(obj))
    except InvalidLicence as exc:
        return exc.field, [(p.field, p.code, p.message) for p in exc.problems]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_decoding_a_mutated_qr_map_is_stable(data: st.DataObject) -> None:
    """Mutated QR maps in every form decode to a licence that re-encodes to itself, or to
    problems whose first names the field; decoding twice gives the same outcome."""
    views = _qr_views(_licence(data.draw(st.integers(0, 4))))
    view = _copy(views[data.draw(st.integers(0, 2))])
    mutated = _mutate(data, view, _KEYS) if data.draw(st.booleans()) else view
    outcome = _outcome(Licence.from_cbor_map, _copy(mutated))
    assert _outcome(Licence.from_cbor_map, _copy(mutated)) == outcome
    if isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[1], list):
        assert outcome[1] and outcome[0] == outcome[1][0][0]
    else:
        licence = Licence.from_cbor_map(_copy(mutated))
        assert Licence.from_cbor_map(licence.to_cbor_map(ALL_FIELDS)) == licence


#: Scalar fields whose JSON and compact forms carry the same value (text, numbers, dates).
_SAME_IN_BOTH = {
    name: spec
    for name, spec in LICENCE.specs.items()
    if spec.kind.name in {"LATIN_NAME", "LATIN_TEXT", "LATIN_ID", "CODE", "NAME", "NATIONAL",
                          "DATE", "UINT"}
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_json_and_compact_inputs_meet_the_same_rules(data: st.DataObject) -> None:
    """The same licence data from JSON and from a compact map gives the same licence or the
    same problems (codes, paths and messages): both run the one validator."""
    licence = _licence(data.draw(st.integers(0, 4)))
    source, compact = licence.to_json(), licence.to_cbor_map(ALL_FIELDS)
    family, given = licence.family_name_national_character, licence.given_name_national_character
    explicit = {  # the fields the compact form may leave to the decoder: sent in both
        LicenceField.ISSUING_COUNTRY: licence.issuing_country,
        LicenceField.UN_DISTINGUISHING_SIGN: licence.un_distinguishing_sign,
        LicenceField.FULL_NAME_NATIONAL_CHARACTER: licence.full_name_national_character
        or family + given,
    }
    for field, value in explicit.items():
        source[field], compact[field.key] = value, value
    for name in data.draw(st.lists(st.sampled_from(sorted(_SAME_IN_BOTH)), min_size=1, max_size=3)):
        spec = _SAME_IN_BOTH[name]
        value = _edge_value(data, name)
        if spec.kind.name == "DATE":
            if type(value) is not date:
                continue
            source[name], compact[spec.key] = value.isoformat(), value
        elif spec.kind.name == "UINT":
            if type(value) is not int:
                continue
            source[name] = compact[spec.key] = value
        else:
            if type(value) is not str or normalise_text(spec.kind, value) != value:
                continue  # JSON input is normalised first
            if name == "document_number" and value != re.sub("[ -]", "", value).upper():
                continue  # so are ID numbers
            source[name] = compact[spec.key] = value
    assert _outcome(Licence.from_json, source) == _outcome(Licence.from_cbor_map, compact)


def test_date_in_non_date_field_is_invalid_licence_not_type_error() -> None:
    """A date given for a number or text field is an InvalidLicence naming the field (regression)."""
    import dataclasses
    from datetime import date as _date

    from qrseal.errors import InvalidLicence
    from qrseal.testing import sample_licence

    for field in ("points", "sex", "family_name"):
        with pytest.raises(InvalidLicence) as info:
            dataclasses.replace(sample_licence(0), **{field: _date(2020, 1, 1)})  # type: ignore[arg-type]
        assert info.value.field == field
