"""The driving-licence value (ISO/IEC 18013-5 names + China profile): an immutable
:class:`Licence`, its warnings and derived values, and its two wire forms behind
``from_*``/``to_*`` (read by :mod:`qrseal.licence.wire`, written by :mod:`qrseal.licence.writers`). Section numbers (§)
refer to ``licence-model.md`` (the project's research notes, not shipped); the licence JSON
this class reads and writes is specified in docs/format.md §5.4, its JSON Schema printed by
``qrseal schema``.

A :class:`Licence` is valid by construction: the constructor runs the validator of
:mod:`qrseal.licence.rules` (every time-independent error rule of §3, compiled once from
the field table of :mod:`qrseal.licence.fields`) and raises :class:`InvalidLicence`
listing all problems. Both wire forms construct through it, so a licence loaded from JSON
and one decoded from a QR meet exactly the same rules. The constructor never normalises:
input normalisation (NFKC and single spaces in text fields, middle dots in national
text, ID upper-casing) happens only in :meth:`Licence.from_json`, so a decoded credential
is checked exactly as signed and never rewritten. Which characters each text field may
hold: :mod:`qrseal.licence.text`. Warnings are returned by :meth:`Licence.warnings`;
checks that depend on the date take it as an argument.

Optional in the model, required elsewhere:

- ``issuing_authority`` and ``issuing_authority_national_character`` are required in
  JSON input but left out of the QR by default (the trust list names the issuer), so a
  licence decoded from a QR usually lacks them.
- ``issuing_country``, ``un_distinguishing_sign`` and ``full_name_national_character``
  are left out of the compact map whenever they equal the value derivable from
  ``issuing_jurisdiction`` / ``"CHN"`` / family + given name, and the decoder restores
  them. A licence whose JSON omitted the optional full name therefore comes back from
  the compact form with the concatenation filled in: the two mean the same.
- ``expiry_date`` is ``None`` for a long-term (长期) licence. ``to_json`` writes it as
  an explicit ``null`` (as the §5 samples do); ``from_json`` also accepts the key
  missing, and the compact map omits key 5. A missing expiry date never slips through
  unnoticed: it must agree with ``validity_term = long_term``.

Time: methods about a calendar day take a ``datetime.date`` named ``on``;
:meth:`Licence.check_at` takes ``now`` (a date or an aware datetime).
"""

from __future__ import annotations

import re
import warnings as _warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from ..errors import InvalidArgument, LicenceProblem
from . import china as cn
from .china import DrivePermitted, StatusTable
from .fields import (
    ALL_FIELDS,
    LICENCE,
    QR_DEFAULT_FIELDS,
    QR_OMITTED_BY_DEFAULT,
    SELECTABLE_FIELDS,
    DocumentNumberType,
    FieldKind,
    JsonView,
    LicenceField,
    PointsScheme,
    Problem,
    Profile,
    Sex,
    ValidityTerm,
)
from .privileges import DomesticPrivilege, DrivingPrivilege, PrivilegeCode
from .relations import licence_cross_problems
from .rules import SIGNS, Found, StructChecker, invalid, require_date
from .text import ALLOW_LISTS
from .wire import read_cbor, read_json
from .writers import write_cbor, write_json

__all__ = [
    "ALL_FIELDS",
    "QR_DEFAULT_FIELDS",
    "QR_OMITTED_BY_DEFAULT",
    "SELECTABLE_FIELDS",
    "DocumentNumberType",
    "DomesticPrivilege",
    "DrivePermitted",
    "DrivingPrivilege",
    "JsonView",
    "Licence",
    "LicenceField",
    "PointsScheme",
    "PrivilegeCode",
    "Problem",
    "Profile",
    "Sex",
    "StatusTable",
    "ValidityTerm",
]

_MAX_NATIONAL_NAME: Final = ALLOW_LISTS["han_name"].max_length
_LONG_NATIONAL_NAME: Final = 15
_CJK_COMPATIBILITY: Final = ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
#: One search for a character of those ranges (a loop over the characters costs 100 µs a
#: licence, and every issued and verified licence is asked for its warnings).
_CJK_COMPATIBILITY_SEARCH: Final = re.compile(
    "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_COMPATIBILITY) + "]"
).search
_NATIONAL_KINDS: Final = (FieldKind.NAME, FieldKind.NATIONAL)
#: The fields the text warnings read (national-character ones), and whether each is a name:
#: the other fields can warn of nothing, so issuing does not walk them.
_NATIONAL_FIELDS: Final = tuple(
    (name, spec.kind is FieldKind.NAME)
    for name, spec in LICENCE.specs.items()
    if spec.kind in _NATIONAL_KINDS
)
#: Years of each fixed validity term (the others have no computed expiry).
_TERM_YEARS: Final[Mapping[ValidityTerm, int]] = {
    ValidityTerm.SIX_YEARS: 6,
    ValidityTerm.TEN_YEARS: 10,
}
_DAY: Final = timedelta(days=1)
# check_at runs for every credential verified: plain str names and the code as constants
# (attribute access on an Enum class is slow).
_BIRTH, _FIRST, _ISSUED, _DOMESTIC, _DRIVING, _CAPTURED, _AS_OF = map(
    str,
    (
        LicenceField.BIRTH_DATE,
        LicenceField.FIRST_ISSUE_DATE,
        LicenceField.ISSUE_DATE,
        LicenceField.DOMESTIC_PRIVILEGES,
        LicenceField.DRIVING_PRIVILEGES,
        LicenceField.PORTRAIT_CAPTURE_DATE,
        LicenceField.POINTS_AS_OF,
    ),
)
_IN_FUTURE: Final = Problem.IN_FUTURE


def _deprecated(old: str, new: str) -> None:
    _warnings.warn(f"{old}= is deprecated, use {new}=", DeprecationWarning, stacklevel=3)


@dataclass(frozen=True, kw_only=True, slots=True)
class Licence:
    """A driving licence in the unified model (§4.2). Field names are the JSON names.

    Construction raises :class:`InvalidLicence` (``field`` = first offending field as a
    dotted path such as ``domestic_privileges[0].class_code``; ``problems`` = all of
    them) when a time-independent error rule of §3 fails, including text that is not in
    its normalised form. Privileges are validated when they are constructed.
    """

    profile: Profile = Profile.CN
    family_name: str
    given_name: str
    family_name_national_character: str
    given_name_national_character: str
    full_name_national_character: str | None = None
    birth_date: date
    sex: Sex
    nationality: str
    birth_place: str | None = None
    resident_address: str | None = None
    resident_address_national_character: str | None = None
    portrait: bytes | None = field(default=None, repr=False)
    portrait_capture_date: datetime | None = None
    issuing_country: str
    issuing_jurisdiction: str
    issuing_authority: str | None = None
    issuing_authority_national_character: str | None = None
    un_distinguishing_sign: str
    document_number: str
    document_number_type: DocumentNumberType
    administrative_number: str
    first_issue_date: date
    issue_date: date
    expiry_date: date | None
    validity_term: ValidityTerm
    domestic_privileges: tuple[DomesticPrivilege, ...]
    driving_privileges: tuple[DrivingPrivilege, ...] = ()
    points: int
    points_scheme: PointsScheme | None = None
    points_as_of: datetime | None = None
    scoring_cycle_end: date | None = None
    status: str
    suspension_end_date: date | None = None
    review_valid_until: date | None = None
    physical_exam_due: date | None = None

    def __post_init__(self) -> None:
        if found := _CHECK.problems(self):
            raise invalid(found, ordered=True)

    # -- warnings --

    def warnings(
        self, on: date | None = None, *, today: date | None = None
    ) -> tuple[LicenceProblem, ...]:
        """Non-fatal findings (§3 "warning" rules). With ``on``, also the date-dependent
        ones (professional classes at 63+). Raises ``InvalidArgument`` for a non-date.
        ``today=`` is the deprecated name of ``on``."""
        if today is not None:
            _deprecated("today", "on")
            on = today
        if on is not None:
            require_date(on, "on")
        return tuple(LicenceProblem(*w) for w in (*self._text_warnings(), *self._rule_warnings(on)))

    def _text_warnings(self) -> Iterator[Found]:
        F, P = LicenceField, Problem
        for name, is_name in _NATIONAL_FIELDS:
            text = getattr(self, name)
            if not text:
                continue
            if is_name and len(text) > _LONG_NATIONAL_NAME:
                yield name, P.NAME_LONG, f"longer than {_LONG_NATIONAL_NAME} code points"
            if _CJK_COMPATIBILITY_SEARCH(text):
                yield name, P.CJK_COMPATIBILITY, "CJK compatibility ideograph (NFC may alter it)"
        full, family, given = self.full_name_national_character, *self._name_parts()
        # Dotted (transliterated) names are written given·family, Han names family+given.
        if full is not None and full != (f"{given}·{family}" if "·" in full else family + given):
            yield F.FULL_NAME_NATIONAL_CHARACTER, P.FULL_NAME_MISMATCH, "differs from name parts"

    def _rule_warnings(self, on: date | None) -> Iterator[Found]:
        # Locations ("domestic_privileges[0]...") are spelt only for a finding: most
        # licences have none, and this runs on every issue.
        F, P = LicenceField, Problem
        issued, expiry = self.issue_date, self.expiry_date
        years = _TERM_YEARS.get(self.validity_term)
        if years and expiry and expiry != cn.add_years(issued, years):
            yield F.EXPIRY_DATE, P.VALIDITY_TERM_DATES, f"not issue_date + {years} years"
        admin_province = cn.PROVINCE_JURISDICTION.get(self.administrative_number[:2])
        if admin_province != self.issuing_jurisdiction:
            yield F.ADMINISTRATIVE_NUMBER, P.ADMIN_NUMBER_PROVINCE, "other province (transferred?)"
        domestic, driving = self.domestic_privileges, self.driving_privileges
        classes = self._classes()
        if len(classes) > 1 and list(classes) != sorted(classes, key=cn.CLASS_ORDER.index):
            yield F.DOMESTIC_PRIVILEGES, P.CLASS_ORDER, "not in canonical order"
        for i, p in enumerate(domestic):
            class_code, granted = p.class_code, p.issue_date or self.first_issue_date
            others = classes[:i] + classes[i + 1 :]
            if others and class_code in cn.permitted_closure(others, issued):
                yield (
                    _at(F.DOMESTIC_PRIVILEGES, i, "class_code"),
                    P.REDUNDANT_CLASS,
                    ("implied by another listed class"),
                )
            if class_code == "C6" and granted < cn.REGULATION_2022:
                yield (
                    _at(F.DOMESTIC_PRIVILEGES, i, "class_code"),
                    P.C6_BEFORE_2022,
                    ("C6 exists since 2022-04-01"),
                )
            if cn.full_years(self.birth_date, granted) < cn.CLASS_MIN_AGE.get(class_code, 0):
                yield (
                    _at(F.DOMESTIC_PRIVILEGES, i, "class_code"),
                    P.CLASS_AGE,
                    ("holder below the class's minimum age when granted"),
                )
            professional = class_code in cn.PROFESSIONAL_CLASSES
            if on and professional and self.age_on(on) >= cn.PROFESSIONAL_MAX_AGE:
                yield (
                    _at(F.DOMESTIC_PRIVILEGES, i, "class_code"),
                    P.AGE_LIMIT,
                    (f"holder is {cn.PROFESSIONAL_MAX_AGE} or older: downgrade"),
                )
            probation_end = p.probation_end_date
            end = p.issue_date and cn.add_years(p.issue_date, 1) - _DAY
            if probation_end and end and probation_end != end:
                yield (
                    _at(F.DOMESTIC_PRIVILEGES, i, "probation_end_date"),
                    P.PROBATION_END,
                    ("not issue + 12 months - 1"),
                )
        if expiry:
            for i, q in enumerate(driving):
                if q.expiry_date and q.expiry_date > expiry:
                    yield (
                        _at(F.DRIVING_PRIVILEGES, i, "expiry_date"),
                        P.PRIVILEGE_EXPIRY,
                        "after the document expiry",
                    )
        groups: tuple[tuple[str, tuple[DomesticPrivilege | DrivingPrivilege, ...]], ...] = (
            (F.DOMESTIC_PRIVILEGES, domestic),
            (F.DRIVING_PRIVILEGES, driving),
        )
        for group, privileges in groups:
            for i, privilege in enumerate(privileges):
                for j, c in enumerate(privilege.codes):
                    if c.sign is not None and c.sign not in SIGNS:
                        yield _at(group, i, f"codes[{j}].sign"), P.UNKNOWN_SIGN, "not = < > <= >="
        if self.scoring_cycle_end and self.points_as_of:
            as_of = self.points_as_of.astimezone(cn.CN_UTC_OFFSET).date()
            if self.scoring_cycle_end != cn.scoring_cycle_end(self.first_issue_date, as_of):
                yield F.SCORING_CYCLE_END, P.SCORING_CYCLE_END, "not the end of the current cycle"
        if self.points > 36:
            yield F.POINTS, P.POINTS_UNUSUAL, "more than 36 points"
        if self.points >= 12 and self.status == "A":
            yield F.STATUS, P.POINTS_STATUS, "12 or more points but status A"
        if len(self.status) > 1 and list(self.status) != sorted(self.status):
            yield F.STATUS, P.STATUS_ORDER, "letters not in alphabetical order"
        if self.suspension_end_date and "D" not in self.status:
            yield F.SUSPENSION_END_DATE, P.SUSPENSION_WITHOUT_D, "status has no D"
        if self.review_valid_until and not cn.PROFESSIONAL_CLASSES.intersection(classes):
            yield F.REVIEW_VALID_UNTIL, P.REVIEW_NOT_RELEVANT, "no A/B class"

    # -- derived values (§4.3) --

    def _classes(self) -> tuple[str, ...]:
        return tuple(p.class_code for p in self.domestic_privileges)

    def _name_parts(self) -> tuple[str, str]:
        return self.family_name_national_character, self.given_name_national_character

    def permitted_classes(self, *, include_c5: bool = False) -> tuple[str, ...]:
        """Every class the holder may drive, in canonical order: the granted classes and
        their closure under the implication table in force on ``issue_date``. The
        conditional C5 implication (disabled-family vehicles, [V]) needs ``include_c5``."""
        closure = cn.permitted_closure(self._classes(), self.issue_date, include_c5=include_c5)
        return tuple(code for code in cn.CLASS_ORDER if code in closure)

    def in_probation(self, on: date) -> bool:
        """Whether any class is in its 实习期 on ``on`` (end date inclusive)."""
        on = require_date(on, "on")
        return any(
            p.probation_end_date and p.probation_end_date >= on for p in self.domestic_privileges
        )

    def is_expired(self, on: date) -> bool:
        """Whether ``on`` is after ``expiry_date``; a long-term licence never expires."""
        on = require_date(on, "on")
        return self.expiry_date is not None and self.expiry_date < on

    def drive_permitted(
        self, on: date, *, status_table: StatusTable = StatusTable.CURRENT
    ) -> DrivePermitted:
        """``no`` when expired on ``on``, else the §2.9 verdict of the status letters
        (``status_table`` picks the K/R wording [V]). The credential's own validity
        window is the verifier's business."""
        if self.is_expired(on):
            return DrivePermitted.NO
        return cn.status_verdict(self.status, status_table)

    def signing_warnings(
        self, on: date, *, until: date | None = None
    ) -> tuple[LicenceProblem, ...]:
        """What makes a credential of this licence signed on ``on`` (and valid until
        ``until``) less useful than it looks: :meth:`warnings` (e.g. 12 or more points with
        status ``A``) and what :meth:`drive_permitted`, the rule verifiers show, says on
        ``on``: an expired document (``document_expired``), status letters that forbid
        driving (``drive_not_permitted``) or need a look-up (``drive_check``), and a
        document that expires before ``until`` (``expires_before_credential``).
        Raises ``InvalidArgument`` for a non-date."""
        found = list(self.warnings(on))
        F, P = LicenceField, Problem
        verdict, expiry = self.drive_permitted(on), self.expiry_date
        if expiry is not None and self.is_expired(on):
            message = f"expired on {expiry}: verifiers will show drive permitted: no"
            found.append(LicenceProblem(F.EXPIRY_DATE, P.DOCUMENT_EXPIRED, message))
        elif verdict is not DrivePermitted.YES:
            letters = "".join(x for x, v in cn.letter_verdicts(self.status) if v is verdict)
            what = "forbid driving" if verdict is DrivePermitted.NO else "mean: look it up"
            code = P.DRIVE_NOT_PERMITTED if verdict is DrivePermitted.NO else P.DRIVE_CHECK
            message = f"letters {letters} {what}: verifiers will show drive permitted: {verdict}"
            found.append(LicenceProblem(F.STATUS, code, message))
        later = until is not None and self.is_expired(require_date(until, "until"))
        if later and expiry is not None and not self.is_expired(on):
            message = f"expires on {expiry}, before the credential does ({until})"
            found.append(LicenceProblem(F.EXPIRY_DATE, P.EXPIRES_BEFORE_CREDENTIAL, message))
        return tuple(found)

    def age_on(self, on: date) -> int:
        """The holder's age in whole years on ``on``."""
        return cn.full_years(self.birth_date, require_date(on, "on"))

    def driving_experience_years(self, on: date) -> int:
        """Whole years since ``first_issue_date`` (驾龄); 0 before it."""
        return max(0, cn.full_years(self.first_issue_date, require_date(on, "on")))

    def check_at(
        self, now: date | datetime | None = None, *, at: date | datetime | None = None
    ) -> None:
        """Raise :class:`InvalidLicence` (code ``in_future``) if a date or time of the
        licence lies after ``now``, typically the signing time.

        ``now`` is a local date, or an aware datetime: then licence dates are compared with
        its China-local date (UTC+8; licence dates are local) and times with the instant.
        Raises ``InvalidArgument`` for a naive datetime or another type. ``at=`` is the
        deprecated name of ``now``."""
        if at is not None:
            _deprecated("at", "now")
            now = at
        found = _future_problems(lambda name: getattr(self, name), now)
        if found:
            raise invalid(found)

    # -- wire forms (qrseal.licence.wire) --

    @classmethod
    def from_json(
        cls, obj: Mapping[str, object] | str, *, view: JsonView = JsonView.RECORD
    ) -> Licence:
        """Load, normalise and validate a unified-JSON licence (a mapping or JSON text).

        ``view`` decides which fields are required (docs/format.md §5.4): ``record`` (the
        default) is what an issuer writes; ``qr`` also accepts the JSON of a verified
        QR-view licence (``VerifiedLicence.to_json()["licence"]``), which lacks what the
        QR leaves out. Keys starting with ``_`` are comments and ignored. Normalises text
        (NFKC and single spaces in Latin fields; NFC and U+00B7 middle dots in
        national-character names; ID numbers without spaces or hyphens, upper-cased) and
        sorts classes into canonical order. Raises only :class:`InvalidLicence`, listing
        every problem of the input (unknown fields with the nearest known name, enums
        with their allowed values)."""
        return cls(**read_json(obj, view=view, check=_CHECK))

    def to_json(self) -> dict[str, object]:
        """The unified JSON object (§4.2 names): None fields omitted except ``expiry_date``
        (explicit null = long-term); dates ``YYYY-MM-DD``, times ``YYYY-MM-DDTHH:MM:SSZ``,
        enums by name (``sex`` by number), ``portrait`` in standard base64."""
        return write_json(self)

    def to_cbor_map(self, fields: frozenset[str] | None = None) -> dict[int, object]:
        """The compact integer-keyed map to sign (§4.5), as plain values for
        ``cbor2.dumps(..., canonical=True)``: dates as tag 100, times as tag 1 (integer
        seconds), enums as integers, key 0 = profile version.

        ``fields`` names the :data:`SELECTABLE_FIELDS` to include (default
        :data:`QR_DEFAULT_FIELDS`); other fields always travel, except values the decoder
        can restore. Raises ``InvalidArgument`` for anything but a set of field names."""
        return write_cbor(self, fields)

    @classmethod
    def from_cbor_map(cls, obj: object) -> Licence:
        """Strictly decode a compact map as returned by ``cbor2.loads`` (tags 100 and 1
        may arrive as ``CBORTag`` or already as ``date``/``datetime``) and restore the
        derivable fields. Text is taken exactly as signed. Raises only
        :class:`InvalidLicence`; an unknown key is named by its number."""
        return cls(**read_cbor(obj))


#: The validator of a licence, compiled once from the field table.
_CHECK: Final = StructChecker(
    LICENCE,
    {FieldKind.DOMESTIC: DomesticPrivilege, FieldKind.DRIVING: DrivingPrivilege},
    licence_cross_problems,
)


def _future_problems(get: Callable[[str], Any], now: date | datetime | None) -> list[Found]:
    """The ``in_future`` findings of :meth:`Licence.check_at`, on the fields ``get`` gives
    (None for a field a partial view does not show)."""
    instant = now if isinstance(now, datetime) else None
    if instant is None:
        today = require_date(now, "now")
    elif instant.utcoffset() is None:
        raise InvalidArgument("check_at needs a timezone-aware datetime")
    else:
        try:
            today = instant.astimezone(cn.CN_UTC_OFFSET).date()
        except OverflowError as exc:
            raise InvalidArgument("check_at time is out of range") from exc
    found: list[Found] = []
    for name in (_BIRTH, _FIRST, _ISSUED):
        day = get(name)
        if day is not None and day > today:
            found.append((name, _IN_FUTURE, f"after {today}"))
    for group in (_DOMESTIC, _DRIVING):
        for i, privilege in enumerate(get(group) or ()):
            if privilege.issue_date is not None and privilege.issue_date > today:
                found.append((f"{group}[{i}].issue_date", _IN_FUTURE, f"after {today}"))
    for name in (_CAPTURED, _AS_OF):
        moment = get(name)
        if moment is None:
            continue
        if moment > instant if instant else moment.astimezone(cn.CN_UTC_OFFSET).date() > today:
            found.append((name, _IN_FUTURE, f"after {now}"))
    return found


def check_fields_at(values: Mapping[str, object], now: datetime) -> None:
    """:meth:`Licence.check_at` on the fields of a partial view (those it shows): raises
    :class:`InvalidLicence` (``in_future``) for a date or time after ``now``."""
    if found := _future_problems(values.get, now):
        raise invalid(found)


def check_fields(values: Mapping[str, object]) -> None:
    """Validate the fields of a partial view (constructor arguments by name, as
    :func:`~qrseal.licence.wire.read_cbor_fields` returns them) with each field's own rule
    (§5.3 text allow-lists, formats, vocabularies); the rules relating fields need the
    whole licence and do not run. Raises :class:`InvalidLicence`."""
    if found := _CHECK.field_problems(values):
        raise invalid(found, ordered=True)


def _at(group: str, index: int, name: str) -> str:
    """Where a finding about item ``index`` of ``group`` is: ``group[index].name``."""
    return f"{group}[{index}].{name}"
