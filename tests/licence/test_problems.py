"""Every problem of a licence record at once, with the way out: the nearest field name for
an unknown field, the allowed values of an enumeration, the spelling of a date."""

from __future__ import annotations

from typing import Any

import pytest

from qrseal.errors import InvalidArgument, InvalidLicence, LicenceProblem, Reason
from qrseal.licence.fields import JsonView, Problem
from qrseal.licence.model import Licence
from qrseal.licence.rules import MESSAGE_PROBLEMS
from qrseal.licence.wire import suggest
from qrseal.testing import sample_licence_json


def _problems(record: dict[str, Any]) -> tuple[LicenceProblem, ...]:
    with pytest.raises(InvalidLicence) as caught:
        Licence.from_json(record)
    assert caught.value.reason is Reason.INVALID_LICENCE
    return caught.value.problems


def _codes(record: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in _problems(record)}


def test_misspelt_field_shows_both_problems_and_the_nearest_name() -> None:
    """A misspelt field gives "required" for the real name and "unknown" for the typo, and
    the unknown one names the field it resembles; the message lists both."""
    record = sample_licence_json(0)
    record["family_nmae"] = record.pop("family_name")
    with pytest.raises(InvalidLicence) as caught:
        Licence.from_json(record)
    exc = caught.value
    assert {(p.field, p.code) for p in exc.problems} == {
        ("family_name", Problem.REQUIRED),
        ("family_nmae", Problem.UNKNOWN_FIELD),
    }
    unknown = next(p for p in exc.problems if p.code == Problem.UNKNOWN_FIELD)
    assert "family_name" in unknown.message
    assert "family_nmae" in exc.message and "family_name" in exc.message
    assert "more)" not in exc.message


def test_unrelated_unknown_field_gets_no_suggestion() -> None:
    """A name close to no field is only "unknown field"."""
    assert suggest("nickname", ["family_name", "given_name", "status"]) is None
    assert suggest("issue_dat", ["issue_date", "expiry_date"]) == "issue_date"


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("sex", 3, ["0", "1", "2", "9"]),
        ("sex", "female", ["0", "1", "2", "9"]),
        ("validity_term", "6 years", ['"6y"', '"10y"', '"long_term"']),
        ("document_number_type", "resident_id", ['"cn_resident_id"', '"passport"']),
        ("profile", "EU", ['"CN"']),
    ],
)
def test_enum_problem_lists_the_allowed_values(
    field: str, value: object, allowed: list[str]
) -> None:
    """A bad enumeration value names every allowed JSON value."""
    problem = next(
        p for p in _problems(sample_licence_json(0) | {field: value}) if p.field == field
    )
    assert problem.code in (Problem.INVALID_VALUE, Problem.WRONG_TYPE)
    for word in allowed:
        assert word in problem.message


def test_every_problem_is_reported_with_readable_fields_checked() -> None:
    """Unreadable, missing, unknown and invalid-but-readable fields all appear in one error;
    an unreadable field is not also called missing."""
    record = sample_licence_json(0) | {
        "birth_date": "15/03/2005",
        "sex": 3,
        "document_number": "510107200503151423",  # wrong check character
        "nickname": "Xiao Li",
    }
    del record["status"]
    codes = _codes(record)
    assert codes == {
        ("birth_date", Problem.INVALID_VALUE),
        ("sex", Problem.INVALID_VALUE),
        ("document_number", Problem.ID_CHECKSUM),
        ("status", Problem.REQUIRED),
        ("nickname", Problem.UNKNOWN_FIELD),
    }


def test_broken_privilege_reports_its_other_fields_and_hides_no_cross_rule() -> None:
    """A privilege with an unreadable date still has its class checked, and the list that
    lost it does not trigger the category-derivation rule."""
    record = sample_licence_json(0)
    record["domestic_privileges"] = [{"class_code": "c1", "issue_date": "2026/05/20"}]
    problems = _problems(record)
    assert {(p.field, p.code) for p in problems} == {
        ("domestic_privileges[0].issue_date", Problem.INVALID_VALUE),
        ("domestic_privileges[0].class_code", Problem.UNKNOWN_CLASS),
    }
    assert any("did you mean C1?" in p.message for p in problems)


def test_unknown_class_and_status_list_what_is_allowed() -> None:
    """Class codes, ISO categories and status letters name their vocabularies."""
    record = sample_licence_json(0) | {"status": "Q"}
    record["domestic_privileges"] = [{"class_code": "C7"}]
    record["driving_privileges"] = [{"vehicle_category_code": "X"}]
    problems = {p.field: p.message for p in _problems(record)}
    assert "C6" in problems["domestic_privileges[0].class_code"]
    assert "D1E" in problems["driving_privileges[0].vehicle_category_code"]
    assert "allowed" in problems["status"] and "Z" in problems["status"]


def test_date_problem_states_the_spelling() -> None:
    """A date in another spelling is told the JSON spelling."""
    problem = _problems(sample_licence_json(0) | {"issue_date": "20.05.2026"})[0]
    assert (problem.field, problem.code) == ("issue_date", Problem.INVALID_VALUE)
    assert "YYYY-MM-DD" in problem.message


def test_one_problem_keeps_the_one_line_message() -> None:
    """A single problem reads "field: message"; the first problem's field is ``field``."""
    with pytest.raises(InvalidLicence) as caught:
        Licence.from_json(sample_licence_json(0) | {"points": -1})
    assert caught.value.field == "points"
    assert "\n" not in caught.value.message and caught.value.message.startswith("points: ")


def test_unknown_view_is_an_invalid_argument() -> None:
    """A view other than record or qr is refused as the caller's mistake."""
    with pytest.raises(InvalidArgument):
        Licence.from_json(sample_licence_json(0), view="draft")  # type: ignore[arg-type]


def test_qr_view_still_requires_what_the_qr_carries() -> None:
    """The QR view does not relax the fields every credential carries."""
    record = sample_licence_json(0)
    del record["status"]
    with pytest.raises(InvalidLicence) as caught:
        Licence.from_json(record, view=JsonView.QR)
    assert {(p.field, p.code) for p in caught.value.problems} == {("status", Problem.REQUIRED)}


def test_message_of_many_problems_is_bounded_but_problems_are_all_there() -> None:
    """Hundreds of unknown fields: the message spells out MESSAGE_PROBLEMS of them, the
    error's problems hold every one."""
    record = sample_licence_json(0) | {f"extra_{i}": i for i in range(MESSAGE_PROBLEMS + 20)}
    with pytest.raises(InvalidLicence) as caught:
        Licence.from_json(record)
    assert len(caught.value.problems) == MESSAGE_PROBLEMS + 20
    assert caught.value.message.count("\n") == MESSAGE_PROBLEMS + 1
    assert suggest("x" * 1000 + "status", ["status"]) is None
