"""Licence rules at their limits: each bound tried exactly at the limit and one step past
it, through both wire forms (JSON and the compact map), and the deprecated time keywords."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cbor2
import pytest

from qrseal.errors import InvalidLicence
from qrseal.licence.model import ALL_FIELDS, Licence, LicenceField, Problem
from qrseal.testing import sample_licence, sample_licence_json

_F = LicenceField


def _from_both(**changes: Any) -> list[Licence | set[tuple[str, str]]]:
    """Sample 1 with ``changes`` (JSON values) loaded from JSON and, when JSON accepts it,
    from its compact map too; a refusal as its set of (field, code)."""
    outcomes: list[Licence | set[tuple[str, str]]] = []
    try:
        licence = Licence.from_json(sample_licence_json(0) | changes)
    except InvalidLicence as exc:
        return [{(p.field, p.code) for p in exc.problems}]
    outcomes.append(licence)
    compact = cbor2.loads(cbor2.dumps(licence.to_cbor_map(ALL_FIELDS), canonical=True))
    outcomes.append(Licence.from_cbor_map(compact))
    return outcomes


def _refused(**changes: Any) -> set[tuple[str, str]]:
    [outcome] = _from_both(**changes)
    assert isinstance(outcome, set), outcome
    return outcome


def _accepted(**changes: Any) -> Licence:
    json_licence, compact_licence = _from_both(**changes)
    assert isinstance(json_licence, Licence)
    assert isinstance(compact_licence, Licence)
    assert compact_licence == json_licence
    return json_licence


def _compact_refusal(licence: Licence, key: int, value: object) -> set[tuple[str, str]]:
    """The problems of ``licence``'s compact map with ``key`` set to ``value``."""
    compact = licence.to_cbor_map(ALL_FIELDS) | {key: value}
    with pytest.raises(InvalidLicence) as info:
        Licence.from_cbor_map(compact)
    return {(p.field, p.code) for p in info.value.problems}


# --- text lengths --------------------------------------------------------------------------


def test_latin_name_of_exactly_150_code_points_is_accepted_151_refused() -> None:
    """A Latin name is at most 150 code points, from JSON and from the compact map."""
    assert _accepted(family_name="L" * 150).family_name == "L" * 150
    assert _refused(family_name="L" * 151) == {("family_name", Problem.TOO_LONG)}
    licence = sample_licence(0)
    assert _compact_refusal(licence, _F.FAMILY_NAME.key, "L" * 151) == {
        ("family_name", Problem.TOO_LONG)
    }


def test_national_name_of_exactly_30_code_points_is_accepted_31_refused() -> None:
    """A national-character name is at most 30 code points (over 15 is only a warning)."""
    given, full = "涵" * 29, "李" + "涵" * 29  # the full name: exactly 30
    licence = _accepted(given_name_national_character=given, full_name_national_character=full)
    assert licence.full_name_national_character == full
    assert (_F.FULL_NAME_NATIONAL_CHARACTER, Problem.NAME_LONG) in {
        (w.field, w.code) for w in licence.warnings()
    }
    assert _refused(given_name_national_character="涵" * 31, full_name_national_character=full) == {
        ("given_name_national_character", Problem.TOO_LONG)
    }
    assert _refused(full_name_national_character=full + "涵") == {
        ("full_name_national_character", Problem.TOO_LONG)
    }


def test_long_name_warning_starts_at_16_code_points() -> None:
    """NAME_LONG warns above 15 code points: 15 is quiet, 16 warns."""

    def long_names(given: str) -> set[str]:
        licence = _accepted(given_name_national_character=given, full_name_national_character="李")
        return {w.field for w in licence.warnings() if w.code == Problem.NAME_LONG}

    assert long_names("涵" * 15) == set()
    assert long_names("涵" * 16) == {_F.GIVEN_NAME_NATIONAL_CHARACTER}


def test_national_text_of_exactly_150_code_points_is_accepted_151_refused() -> None:
    """National-character text (an address) is at most 150 code points."""
    address = "示" * 150
    assert _accepted(resident_address_national_character=address)
    assert _refused(resident_address_national_character=address + "示") == {
        ("resident_address_national_character", Problem.TOO_LONG)
    }


# --- points ----------------------------------------------------------------------------------


def test_points_range_is_0_to_255_inclusive() -> None:
    """0 and 255 points are accepted; -1 and 256 are points_range, in both forms."""
    assert _accepted(points=0).points == 0
    assert _accepted(points=255, status="B").points == 255
    assert _refused(points=256) == {("points", Problem.POINTS_RANGE)}
    assert _refused(points=-1) == {("points", Problem.POINTS_RANGE)}
    assert _compact_refusal(sample_licence(0), _F.POINTS.key, 256) == {
        ("points", Problem.POINTS_RANGE)
    }


def test_exactly_12_points_with_status_a_is_a_warning_11_is_not() -> None:
    """12 or more points with status A warns (points_status); 11 does not."""

    def codes(points: int) -> set[str]:
        return {w.code for w in _accepted(points=points).warnings()}

    assert Problem.POINTS_STATUS not in codes(11)
    assert Problem.POINTS_STATUS in codes(12)


def test_more_than_36_points_is_unusual_36_is_not() -> None:
    """points_unusual warns above 36 points."""
    assert Problem.POINTS_UNUSUAL not in {w.code for w in _accepted(points=36).warnings()}
    assert Problem.POINTS_UNUSUAL in {w.code for w in _accepted(points=37).warnings()}


# --- dates and times -------------------------------------------------------------------------


def test_dates_are_accepted_from_1900_01_01_to_2999_12_31() -> None:
    """A date field takes 1900-01-01 and 2999-12-31; the day before and after is date_range."""
    assert _accepted(physical_exam_due="1900-01-01").physical_exam_due == date(1900, 1, 1)
    assert _accepted(physical_exam_due="2999-12-31").physical_exam_due == date(2999, 12, 31)
    assert _refused(physical_exam_due="1899-12-31") == {("physical_exam_due", Problem.DATE_RANGE)}
    assert _refused(physical_exam_due="3000-01-01") == {("physical_exam_due", Problem.DATE_RANGE)}
    licence = sample_licence(0)
    day_after = cbor2.CBORTag(100, (date(3000, 1, 1) - date(1970, 1, 1)).days)
    assert _compact_refusal(licence, _F.PHYSICAL_EXAM_DUE.key, day_after) == {
        ("physical_exam_due", Problem.DATE_RANGE)
    }


def test_times_are_accepted_up_to_the_last_second_of_2999() -> None:
    """A time field takes 2999-12-31T23:59:59Z; 3000-01-01T00:00:00Z is date_range."""
    last = _accepted(points_as_of="2999-12-31T23:59:59Z").points_as_of
    assert last == datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert _refused(points_as_of="3000-01-01T00:00:00Z") == {("points_as_of", Problem.DATE_RANGE)}
    seconds = int(
        (datetime(3000, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    )
    assert _compact_refusal(sample_licence(0), _F.POINTS_AS_OF.key, cbor2.CBORTag(1, seconds)) == {
        ("points_as_of", Problem.DATE_RANGE)
    }


def test_first_issue_on_the_18th_birthday_is_accepted_the_day_before_refused() -> None:
    """The holder must be 18 at first issue: on the birthday is enough (born 2005-03-15)."""
    assert _accepted(first_issue_date="2023-03-15").first_issue_date == date(2023, 3, 15)
    assert _refused(first_issue_date="2023-03-14") == {("first_issue_date", Problem.UNDERAGE)}


def test_expiry_on_the_issue_date_is_accepted_the_day_before_refused() -> None:
    """expiry_date may equal issue_date (2026-05-20), not precede it."""
    assert _accepted(expiry_date="2026-05-20").expiry_date == date(2026, 5, 20)
    assert _refused(expiry_date="2026-05-19") == {("expiry_date", Problem.DATE_ORDER)}


def test_check_at_accepts_data_dated_exactly_now() -> None:
    """check_at: a date on the day of ``now`` and a time equal to it pass; a day or a second
    earlier fails (sample 1: issued 2026-05-20, points as of 2026-11-25T08:00:00Z)."""
    licence = sample_licence(0)
    as_of = datetime(2026, 11, 25, 8, tzinfo=UTC)
    licence.check_at(as_of)
    with pytest.raises(InvalidLicence) as info:
        licence.check_at(as_of - timedelta(seconds=1))
    assert {(p.field, p.code) for p in info.value.problems} == {("points_as_of", "in_future")}
    early = dataclasses.replace(licence, points_as_of=None)
    early.check_at(date(2026, 5, 20))
    with pytest.raises(InvalidLicence) as info:
        early.check_at(date(2026, 5, 19))
    assert ("issue_date", "in_future") in {(p.field, p.code) for p in info.value.problems}


# --- deprecated time keywords ----------------------------------------------------------------


def test_warnings_today_keyword_is_deprecated_for_on() -> None:
    """warnings(today=...) still works, warns, and equals warnings(on=...)."""
    licence = sample_licence(3)
    with pytest.warns(DeprecationWarning, match="today= is deprecated, use on="):
        old = licence.warnings(today=date(2039, 5, 8))
    assert old == licence.warnings(on=date(2039, 5, 8)) == licence.warnings(date(2039, 5, 8))


def test_check_at_at_keyword_is_deprecated_for_now() -> None:
    """check_at(at=...) still works and warns; check_at(now=...) is the name."""
    licence = sample_licence(0)
    moment = datetime(2026, 11, 25, 8, tzinfo=UTC)
    with pytest.warns(DeprecationWarning, match="at= is deprecated, use now="):
        licence.check_at(at=moment)
    licence.check_at(now=moment)
    with pytest.warns(DeprecationWarning, match="at="), pytest.raises(InvalidLicence):
        licence.check_at(at=moment - timedelta(seconds=1))
