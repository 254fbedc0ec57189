"""Deadlines (licence/deadlines): each rule of the table at its boundaries, the signed
facts that override derived dates, the configurable [V] facts, and bad arguments."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from qrseal.errors import InvalidArgument, Reason
from qrseal.licence import china as cn
from qrseal.licence.deadlines import (
    DEFAULT_RULES,
    RULES_VERSION,
    Deadline,
    DeadlineKind,
    DeadlineRules,
    DeadlineState,
    upcoming_deadlines,
)
from qrseal.licence.model import DomesticPrivilege, Licence
from qrseal.testing import sample_licence

_DAY = timedelta(days=1)


def _replace(licence: Licence, **changes: Any) -> Licence:
    return dataclasses.replace(licence, **changes)


def _of(licence: Licence, today: date, kind: DeadlineKind, **kw: Any) -> list[Deadline]:
    return [d for d in upcoming_deadlines(licence, today, **kw) if d.kind is kind]


def _one(licence: Licence, today: date, kind: DeadlineKind, **kw: Any) -> Deadline:
    (found,) = _of(licence, today, kind, **kw)
    return found


# --- renewal 换证 ------------------------------------------------------------------------


def test_renewal_window_opens_90_days_before_expiry() -> None:
    """The renewal window is the 90 days up to and including the expiry date."""
    lic = sample_licence(0)  # expires 2032-05-20
    expiry = date(2032, 5, 20)
    assert expiry == lic.expiry_date
    first = expiry - timedelta(days=89)
    assert _one(lic, first - _DAY, DeadlineKind.RENEWAL).state is DeadlineState.UPCOMING
    opened = _one(lic, first, DeadlineKind.RENEWAL)
    assert (opened.state, opened.opens, opened.due) == (DeadlineState.OPEN, first, expiry)
    on_due = _one(lic, expiry, DeadlineKind.RENEWAL)
    assert on_due.state is DeadlineState.OPEN and on_due.days_left(expiry) == 0


def test_renewal_overdue_steps_m_then_r_then_g() -> None:
    """Overdue renewal: M (逾期未换证) the day after expiry, R (注销可恢复) from one year, G
    (注销) from three years overdue (§2.7)."""
    lic = sample_licence(0)
    expiry = date(2032, 5, 20)
    steps = [
        (expiry + _DAY, "M"),
        (cn.add_years(expiry, 1), "M"),
        (cn.add_years(expiry, 1) + _DAY, "R"),
        (cn.add_years(expiry, 3), "R"),
        (cn.add_years(expiry, 3) + _DAY, "G"),
    ]
    for today, letter in steps:
        found = _one(lic, today, DeadlineKind.RENEWAL)
        assert found.state is DeadlineState.OVERDUE, today
        assert found.overdue_status == letter, today
        assert found.days_left(today) < 0


def test_long_term_licence_has_no_renewal() -> None:
    """A long-term (长期) licence never falls due for renewal."""
    assert _of(sample_licence(1), date(2060, 1, 1), DeadlineKind.RENEWAL) == []


def test_renewal_window_is_configurable() -> None:
    """The window length is data: a 30-day window opens 29 days before expiry."""
    rules = dataclasses.replace(DEFAULT_RULES, renewal_window_days=30, version="test")
    found = _one(sample_licence(0), date(2032, 4, 1), DeadlineKind.RENEWAL, rules=rules)
    assert found.opens == date(2032, 5, 20) - timedelta(days=29)


# --- after the scoring cycle: 体检 and 审验 ----------------------------------------------


def test_physical_exam_for_professional_classes_after_the_cycle() -> None:
    """A1/A2 holders report within 30 days after the scoring cycle ends (derived when the
    licence carries no date of its own)."""
    lic = _replace(sample_licence(3), physical_exam_due=None)  # cycle ends 2027-02-28
    end = date(2027, 2, 28)
    found = _one(lic, date(2026, 12, 1), DeadlineKind.PHYSICAL_EXAM)
    assert (found.opens, found.due, found.subject) == (end + _DAY, end + timedelta(days=30), "A1A2")
    assert found.state is DeadlineState.UPCOMING
    assert _one(lic, end + _DAY, DeadlineKind.PHYSICAL_EXAM).state is DeadlineState.OPEN
    # The last day of the window still belongs to the ended cycle.
    last = _one(lic, end + timedelta(days=30), DeadlineKind.PHYSICAL_EXAM)
    assert last.due == end + timedelta(days=30) and last.state is DeadlineState.OPEN
    # The day after, the next cycle's duty is the pending one.
    nxt = _one(lic, end + timedelta(days=31), DeadlineKind.PHYSICAL_EXAM)
    assert nxt.due == date(2028, 2, 29) + timedelta(days=30)


def test_physical_exam_from_age_70() -> None:
    """A C1 holder reports yearly once aged 70 on the last day of the cycle, not at 69."""
    base = sample_licence(1)  # C1, born 1968-09-02: 70 on 2038-09-02
    # First licence on 09-02: cycles end on 09-01, the day before the 70th birthday.
    young = _replace(base, first_issue_date=date(1992, 9, 2))
    end = date(2038, 9, 1)
    assert young.age_on(end) == 69
    assert _of(young, end - _DAY, DeadlineKind.PHYSICAL_EXAM) == []
    # First licence on 09-03: that cycle ends on the birthday itself.
    old = _replace(base, first_issue_date=date(1992, 9, 3))
    end = date(2038, 9, 2)
    assert old.age_on(end) == 70
    found = _one(old, end - _DAY, DeadlineKind.PHYSICAL_EXAM)
    assert found.due == end + timedelta(days=30) and found.subject is None
    assert found.note is not None


def test_signed_physical_exam_date_wins_and_can_be_overdue() -> None:
    """A licence's own physical_exam_due is the deadline; past it the deadline is overdue."""
    lic = _replace(sample_licence(3), physical_exam_due=date(2027, 1, 15))
    found = _one(lic, date(2027, 1, 15), DeadlineKind.PHYSICAL_EXAM)
    assert found.due == date(2027, 1, 15) and found.state is DeadlineState.OPEN
    late = _one(lic, date(2027, 1, 16), DeadlineKind.PHYSICAL_EXAM)
    assert late.state is DeadlineState.OVERDUE


def test_review_only_after_a_cycle_with_points() -> None:
    """审验 is due for A/B classes after a cycle with points (one point is enough); a cycle
    without points is exempt (2022 rules), unless the [V] exemption is switched off."""
    as_of = datetime(2026, 11, 25, 8, tzinfo=UTC)
    base = _replace(sample_licence(3), review_valid_until=None, points_as_of=as_of)
    today = date(2026, 11, 25)
    assert _of(base, today, DeadlineKind.REVIEW) == []  # 0 points
    with_point = _replace(base, points=1)
    found = _one(with_point, today, DeadlineKind.REVIEW)
    assert found.due == date(2027, 2, 28) + timedelta(days=30)
    assert (found.subject, found.overdue_status, found.note) == ("A1A2", "S", None)
    strict = dataclasses.replace(DEFAULT_RULES, review_exempt_without_points=False)
    assert _one(base, today, DeadlineKind.REVIEW, rules=strict).due == found.due


def test_review_not_for_car_classes() -> None:
    """A C1 holder with points has no 审验 deadline."""
    lic = _replace(sample_licence(0), points=6)
    assert _of(lic, date(2026, 11, 25), DeadlineKind.REVIEW) == []


def test_review_with_points_of_another_cycle_is_conditional() -> None:
    """Points read in an earlier cycle say nothing about the pending one: the review is
    listed with a note saying it applies only if points were recorded."""
    lic = _replace(sample_licence(3), review_valid_until=None, points=3)
    later = date(2028, 1, 10)  # points_as_of 2026-11-25 lies in the cycle ending 2027-02-28
    found = _one(lic, later, DeadlineKind.REVIEW)
    assert found.due == date(2028, 2, 29) + timedelta(days=30) and found.note is not None


def test_signed_review_date_overdue_gives_s() -> None:
    """Past the licence's review_valid_until the review is overdue (S 逾期未审验)."""
    lic = sample_licence(3)  # review_valid_until 2027-03-30
    assert _one(lic, date(2027, 3, 30), DeadlineKind.REVIEW).state is DeadlineState.OPEN
    late = _one(lic, date(2027, 3, 31), DeadlineKind.REVIEW)
    assert late.state is DeadlineState.OVERDUE and late.overdue_status == "S"


# --- probation 实习期 and the scoring cycle ----------------------------------------------


def test_probation_end_listed_up_to_its_last_day() -> None:
    """Each class in probation has a deadline on its last day of 实习期, gone the day after."""
    lic = sample_licence(0)  # C1 probation until 2027-05-19
    end = date(2027, 5, 19)
    found = _one(lic, end, DeadlineKind.PROBATION_END)
    assert (found.due, found.subject, found.state) == (end, "C1", DeadlineState.OPEN)
    assert _of(lic, end + _DAY, DeadlineKind.PROBATION_END) == []


def test_probation_per_class() -> None:
    """Two classes in probation give two deadlines, each naming its class."""
    lic = _replace(
        sample_licence(0),
        domestic_privileges=(
            DomesticPrivilege("C1", date(2026, 5, 20), date(2027, 5, 19)),
            DomesticPrivilege("D", date(2026, 6, 1), date(2027, 5, 31)),
        ),
    )
    found = _of(lic, date(2026, 11, 25), DeadlineKind.PROBATION_END)
    assert [(d.subject, d.due) for d in found] == [
        ("C1", date(2027, 5, 19)),
        ("D", date(2027, 5, 31)),
    ]


def test_scoring_cycle_end_and_points_remaining() -> None:
    """The current cycle ends the day before the anniversary of 初次领证日期; points
    remaining are 12 minus the points read in this cycle, never negative, and unknown once
    the points belong to an earlier cycle."""
    lic = sample_licence(0)  # first issue 2026-05-20, 3 points as of 2026-11-25
    on_end = _one(lic, date(2027, 5, 19), DeadlineKind.SCORING_CYCLE_END)
    assert (on_end.due, on_end.points_remaining) == (date(2027, 5, 19), 9)
    nxt = _one(lic, date(2027, 5, 20), DeadlineKind.SCORING_CYCLE_END)
    assert (nxt.due, nxt.points_remaining) == (date(2028, 5, 19), None)
    over = _one(sample_licence(2), date(2026, 11, 25), DeadlineKind.SCORING_CYCLE_END)
    assert over.points_remaining == 0  # 15 points


def test_deadlines_sorted_and_carry_sources() -> None:
    """Deadlines come soonest first and each names its rule's source and the model section."""
    found = upcoming_deadlines(sample_licence(3), date(2026, 11, 25))
    assert [d.due for d in found] == sorted(d.due for d in found)
    assert {d.kind for d in found} >= {DeadlineKind.REVIEW, DeadlineKind.PHYSICAL_EXAM}
    for d in found:
        assert d.source.section.startswith("§2.") and d.source.confidence.startswith("[")
    assert DEFAULT_RULES.version == RULES_VERSION


@pytest.mark.parametrize(
    "bad", [{"renewal_window_days": 0}, {"after_cycle_days": -1}, {"renewal_overdue_steps": ()}]
)
def test_rules_refuse_nonsense(bad: dict[str, Any]) -> None:
    """A rule table with a non-positive number or no overdue steps is refused."""
    with pytest.raises(InvalidArgument) as info:
        DeadlineRules(**bad)
    assert info.value.reason is Reason.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "args",
    [("not a licence", date(2026, 1, 1)), (None, date(2026, 1, 1)), ("L", datetime(2026, 1, 1))],
)
def test_bad_arguments_are_typed_errors(args: tuple[Any, Any]) -> None:
    """A non-licence or a datetime instead of a date raises InvalidArgument."""
    licence = sample_licence(0) if args[0] == "L" else args[0]
    with pytest.raises(InvalidArgument):
        upcoming_deadlines(licence, args[1])
