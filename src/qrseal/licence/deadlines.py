"""What a licence holder must do next, and by when: :func:`upcoming_deadlines`.

Pure calendar logic over a :class:`~qrseal.licence.model.Licence` and a date (``today``,
China-local: licence dates are local dates). No clock, no images.

The rules are data: :class:`DeadlineRules` holds every number a rule uses and the source
it comes from, under a version name (:data:`RULES_VERSION`). Facts that
``licence-model.md`` marks [V] (sources conflict or are thin) are fields a caller can
change with :func:`dataclasses.replace`; the defaults follow the model. Section numbers
(§) refer to ``licence-model.md``; "162号令" is 《机动车驾驶证申领和使用规定》
(公安部令第162号, in force 2022-04-01).

Signed facts beat derived ones: a licence that carries ``review_valid_until`` or
``physical_exam_due`` gets that date as the deadline; only without it is the date derived
from the scoring cycle.

>>> from datetime import date
>>> from qrseal.testing import sample_licence
>>> [d.kind.value for d in upcoming_deadlines(sample_licence(0), date(2026, 11, 25))]
['probation_end', 'scoring_cycle_end', 'renewal']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from ..errors import InvalidArgument
from . import china as cn
from .model import Licence
from .rules import require_date

__all__ = [
    "DEFAULT_RULES",
    "RULES_VERSION",
    "Deadline",
    "DeadlineKind",
    "DeadlineRules",
    "DeadlineState",
    "RuleSource",
    "upcoming_deadlines",
]

#: The version of :data:`DEFAULT_RULES`: the regulation it follows and a revision number.
RULES_VERSION: Final = "cn-162-2022.1"


class DeadlineKind(StrEnum):
    """What falls due."""

    RENEWAL = "renewal"  # 换证
    PHYSICAL_EXAM = "physical_exam"  # 提交身体条件证明 (体检)
    REVIEW = "review"  # 审验
    PROBATION_END = "probation_end"  # 实习期满
    SCORING_CYCLE_END = "scoring_cycle_end"  # 记分周期满


class DeadlineState(StrEnum):
    """Where ``today`` lies: before the window opens, inside it, or past the due date."""

    UPCOMING = "upcoming"
    OPEN = "open"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class RuleSource:
    """Where a rule comes from: the instrument, the model section and the model's confidence
    marker ([S] source read, [K] domain knowledge, [V] conflicting or thin)."""

    text: str
    section: str
    confidence: str


#: The source of each rule of :data:`DEFAULT_RULES`.
_SOURCES: Final[Mapping[DeadlineKind, RuleSource]] = MappingProxyType({
    DeadlineKind.RENEWAL: RuleSource(
        "162号令: apply for renewal within 90 days before expiry; overdue < 1 year M "
        "逾期未换证, 1-3 years 注销可恢复, >= 3 years 注销", "§2.7", "[K]; overdue steps [S]"
    ),
    DeadlineKind.PHYSICAL_EXAM: RuleSource(
        "162号令: holders of A1 A2 A3 B1 B2 and holders aged 70 or over submit a "
        "physical-condition certificate every year, within 30 days after each scoring "
        "cycle", "§2.7", "[K]"
    ),
    DeadlineKind.REVIEW: RuleSource(
        "162号令: A1 A2 A3 B1 B2 holders complete 审验 within 30 days after a scoring "
        "cycle in which they received points; a cycle without points is exempt (2022)",
        "§2.7", "[K, V]"
    ),
    DeadlineKind.PROBATION_END: RuleSource(
        "162号令: 实习期 is the 12 months after the first licence and after each added "
        "class; the licence carries its last day per class", "§2.8", "[K]"
    ),
    DeadlineKind.SCORING_CYCLE_END: RuleSource(
        "163号令: a 12-month scoring cycle from 初次领证日期; 12 points (满分) detain the "
        "licence", "§2.6", "[S]"
    ),
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeadlineRules:
    """The numbers the deadline rules use, versioned, with their sources.

    Change a [V] fact with :func:`dataclasses.replace`, e.g.
    ``replace(DEFAULT_RULES, review_exempt_without_points=False)``; give the result a new
    ``version`` so what a reminder was computed with stays traceable.
    """

    version: str = RULES_VERSION
    renewal_window_days: int = 90
    #: Overdue renewal: the status the record takes, by whole years overdue (§2.7 [S]):
    #: M 逾期未换证 first, R 注销可恢复 (current GA 581.5 wording) from 1 year, G 注销 from 3.
    renewal_overdue_steps: tuple[tuple[int, str], ...] = ((0, "M"), (1, "R"), (3, "G"))
    #: Duties after a scoring cycle fall due this many days after its last day [K, V].
    after_cycle_days: int = 30
    physical_exam_age: int = 70
    physical_exam_classes: frozenset[str] = cn.PROFESSIONAL_CLASSES
    review_classes: frozenset[str] = cn.PROFESSIONAL_CLASSES
    #: 2022 rules: no 审验 after a cycle without points [K, V].
    review_exempt_without_points: bool = True
    #: The status letter of an overdue 审验 (S 逾期未审验).
    review_overdue_status: str = "S"
    full_score: int = 12
    sources: Mapping[DeadlineKind, RuleSource] = field(
        default_factory=lambda: _SOURCES, compare=False
    )

    def __post_init__(self) -> None:
        numbers = (self.renewal_window_days, self.after_cycle_days, self.physical_exam_age)
        if any(type(n) is not int or n < 1 for n in (*numbers, self.full_score)):
            raise InvalidArgument("deadline rule numbers must be positive integers")
        steps = self.renewal_overdue_steps
        if not steps or steps[0][0] != 0 or [y for y, _ in steps] != sorted({y for y, _ in steps}):
            raise InvalidArgument("renewal_overdue_steps must start at 0 years and increase")


#: The rules of 162号令 as ``licence-model.md`` records them.
DEFAULT_RULES: Final = DeadlineRules()


@dataclass(frozen=True, slots=True)
class Deadline:
    """One thing that falls due: ``due`` is the last day (inclusive), ``opens`` the first
    day of its window (None: no window, e.g. the end of probation). ``state`` is relative
    to the ``today`` it was computed for. ``subject`` names the class for per-class
    deadlines. ``overdue_status`` is the status letter the record takes once overdue;
    ``points_remaining`` (scoring cycle only) is 12 minus the accumulated points when the
    licence's points belong to this cycle. ``note`` says when a deadline is conditional."""

    kind: DeadlineKind
    due: date
    opens: date | None
    state: DeadlineState
    source: RuleSource
    subject: str | None = None
    overdue_status: str | None = None
    points_remaining: int | None = None
    note: str | None = None

    def days_left(self, today: date) -> int:
        """Days from ``today`` to ``due`` (0 on the due day, negative once overdue)."""
        return (self.due - require_date(today, "today")).days


def _state(today: date, opens: date | None, due: date) -> DeadlineState:
    if today > due:
        return DeadlineState.OVERDUE
    if opens is None or today >= opens:
        return DeadlineState.OPEN
    return DeadlineState.UPCOMING


def _renewal(lic: Licence, today: date, rules: DeadlineRules) -> Iterator[Deadline]:
    if lic.expiry_date is None:  # 长期: nothing to renew
        return
    due = lic.expiry_date
    opens = due - timedelta(days=rules.renewal_window_days - 1)
    state = _state(today, opens, due)
    status = None
    if state is DeadlineState.OVERDUE:
        # Whole years overdue, counted from the day after expiry.
        years = cn.full_years(due + timedelta(days=1), today)
        status = [letter for after, letter in rules.renewal_overdue_steps if years >= after][-1]
    else:
        status = rules.renewal_overdue_steps[0][1]
    yield Deadline(
        DeadlineKind.RENEWAL, due, opens, state, rules.sources[DeadlineKind.RENEWAL],
        overdue_status=status,
    )  # fmt: skip


def _cycle_points(lic: Licence, cycle_end: date, today: date) -> int | None:
    """The licence's points if they were read in the cycle ending ``cycle_end``."""
    as_of = lic.points_as_of.astimezone(cn.CN_UTC_OFFSET).date() if lic.points_as_of else today
    return lic.points if cn.scoring_cycle_end(lic.first_issue_date, as_of) == cycle_end else None


def _after_cycle(lic: Licence, today: date, rules: DeadlineRules) -> Iterator[Deadline]:
    """体检 and 审验: due ``after_cycle_days`` after a scoring cycle; the pending cycle is the
    one that ended within that many days, else the current one."""
    days = rules.after_cycle_days
    current = cn.scoring_cycle_end(lic.first_issue_date, today)
    previous = cn.scoring_cycle_end(lic.first_issue_date, today - timedelta(days=days))
    cycle_end = previous if previous < today else current
    window = (cycle_end + timedelta(days=1), cycle_end + timedelta(days=days))
    classes = {p.class_code for p in lic.domestic_privileges}

    exam_classes = sorted(classes & rules.physical_exam_classes, key=cn.CLASS_ORDER.index)
    aged = lic.age_on(cycle_end) >= rules.physical_exam_age
    if lic.physical_exam_due is not None or exam_classes or aged:
        due = lic.physical_exam_due or window[1]
        opens = due - timedelta(days=days - 1)
        yield Deadline(
            DeadlineKind.PHYSICAL_EXAM, due, opens, _state(today, opens, due),
            rules.sources[DeadlineKind.PHYSICAL_EXAM],
            subject="".join(exam_classes) or None,
            note=None if exam_classes else f"aged {rules.physical_exam_age} or over",
        )  # fmt: skip

    review_classes = sorted(classes & rules.review_classes, key=cn.CLASS_ORDER.index)
    if not review_classes:
        return
    note = None
    if lic.review_valid_until is not None:
        due = lic.review_valid_until
    else:
        points = _cycle_points(lic, cycle_end, today)
        if points == 0 and rules.review_exempt_without_points:
            return
        if points is None and rules.review_exempt_without_points:
            note = "only if points were recorded in the cycle"
        due = window[1]
    opens = due - timedelta(days=days - 1)
    yield Deadline(
        DeadlineKind.REVIEW, due, opens, _state(today, opens, due),
        rules.sources[DeadlineKind.REVIEW], subject="".join(review_classes),
        overdue_status=rules.review_overdue_status, note=note,
    )  # fmt: skip


def _probation(lic: Licence, today: date, rules: DeadlineRules) -> Iterator[Deadline]:
    source = rules.sources[DeadlineKind.PROBATION_END]
    for p in lic.domestic_privileges:
        end = p.probation_end_date
        if end is not None and end >= today:
            yield Deadline(
                DeadlineKind.PROBATION_END, end, None, DeadlineState.OPEN, source, p.class_code
            )


def _cycle(lic: Licence, today: date, rules: DeadlineRules) -> Iterator[Deadline]:
    end = cn.scoring_cycle_end(lic.first_issue_date, today)
    points = _cycle_points(lic, end, today)
    yield Deadline(
        DeadlineKind.SCORING_CYCLE_END, end, None, DeadlineState.OPEN,
        rules.sources[DeadlineKind.SCORING_CYCLE_END],
        points_remaining=None if points is None else max(0, rules.full_score - points),
    )  # fmt: skip


_RULES: Final = (_renewal, _after_cycle, _probation, _cycle)


def upcoming_deadlines(
    licence: Licence, today: date, *, rules: DeadlineRules = DEFAULT_RULES
) -> tuple[Deadline, ...]:
    """The holder's deadlines as of ``today`` (a China-local date), soonest first: renewal
    (also when overdue), the yearly 体检 and 审验 after the pending scoring cycle when they
    apply, each class's end of probation, and the end of the current scoring cycle with
    the points remaining.

    Raises ``InvalidArgument`` when ``licence`` is not a Licence or ``today`` not a date."""
    if not isinstance(licence, Licence):
        raise InvalidArgument("upcoming_deadlines needs a Licence")
    today = require_date(today, "today")
    if not isinstance(rules, DeadlineRules):
        raise InvalidArgument("rules must be DeadlineRules")
    found = [d for rule in _RULES for d in rule(licence, today, rules)]
    return tuple(sorted(found, key=lambda d: (d.due, list(DeadlineKind).index(d.kind))))
