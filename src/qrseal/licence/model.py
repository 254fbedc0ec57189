"""The driving-licence data model (ISO/IEC 18013-5 names + China profile): fields,
validation and derived values. Its two wire forms, the unified JSON object and the
compact integer-keyed CBOR map that is signed into the QR code, are read and written by
:mod:`qrseal.licence.wire` behind the ``from_*``/``to_*`` methods. Section numbers (§)
refer to ``licence-model.md``.

A :class:`Licence` is immutable and valid by construction: the constructor checks every
time-independent error rule of §3 and raises :class:`InvalidLicence` listing all
problems. It never normalises: input normalisation (NFKC and single spaces in text
fields, middle dots in national text, ID upper-casing) happens only in
:meth:`Licence.from_json`, so a decoded credential is checked exactly as signed and never
rewritten. Which characters each text field may hold: :mod:`qrseal.licence.text`. Warnings are returned by
:meth:`Licence.warnings`; checks that depend on the date take it as an argument.

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

Validation has two tiers. A quick check (straight-line code, one regex per text class,
exact types) accepts a valid licence without building anything; only when it does not
accept does the full check run, collecting every problem with its field path. The quick
check is a sufficient condition for the full one: it may pass a valid licence on to the
full check, but never accepts one the full check would reject.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum, IntEnum, StrEnum, auto
from types import MappingProxyType
from typing import Any, Final, NamedTuple, TypeVar

from ..errors import InvalidArgument, InvalidLicence, LicenceProblem
from . import china as cn
from . import text as licence_text
from .china import DrivePermitted, StatusTable

__all__ = [
    "ALL_FIELDS",
    "QR_DEFAULT_FIELDS",
    "QR_OMITTED_BY_DEFAULT",
    "SELECTABLE_FIELDS",
    "DocumentNumberType",
    "DomesticPrivilege",
    "DrivePermitted",
    "DrivingPrivilege",
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

# --- enumerations ------------------------------------------------------------------------


class Profile(StrEnum):
    """The licence profile: it decides required fields and vocabularies (§4.1)."""

    CN = "CN"


#: Compact-form key 0 per profile: unified model v1 read with the current status table.
#: Another status table or layout would get a new number.
_PROFILE_VERSIONS: Final[Mapping[int, Profile]] = MappingProxyType({1: Profile.CN})


class Sex(IntEnum):
    """ISO/IEC 5218 (= GB/T 2261.1) sex codes; JSON and CBOR carry the number."""

    NOT_KNOWN = 0
    MALE = 1
    FEMALE = 2
    NOT_APPLICABLE = 9


class _Named(IntEnum):
    """An integer enum (compact form) whose JSON form is a name."""

    @property
    def json_name(self) -> str:
        return self.name.lower()


class DocumentNumberType(_Named):
    """What ``document_number`` is (§2.3); JSON names are the lower-case member names."""

    OTHER = 0
    CN_RESIDENT_ID = 1
    CN_FOREIGN_PR_ID_2023 = 2
    CN_FOREIGN_PR_ID_2017 = 3
    PASSPORT = 4
    CN_HMT_RESIDENCE_PERMIT = 5
    HK_MACAU_TRAVEL_PERMIT = 6
    TW_TRAVEL_PERMIT = 7


class ValidityTerm(_Named):
    """有效期限 type; JSON names ``other``, ``6y``, ``10y``, ``long_term``."""

    OTHER = 0
    SIX_YEARS = 1
    TEN_YEARS = 2
    LONG_TERM = 3

    @property
    def json_name(self) -> str:
        return {1: "6y", 2: "10y"}.get(self.value, self.name.lower())


class PointsScheme(_Named):
    """How ``points`` count. The model names ``cn_accumulating_12`` only; the numbers are
    this library's assignment."""

    OTHER = 0
    CN_ACCUMULATING_12 = 1


class Problem(StrEnum):
    """Stable ``LicenceProblem.code`` values. Never change one once released."""

    # structure and types (loaders and constructor)
    REQUIRED = "required"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_VALUE = "invalid_value"
    MALFORMED_JSON = "malformed_json"
    # text (§3.6)
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_LATIN1 = "not_latin1"
    FORBIDDEN_CHARACTER = "forbidden_character"
    WHITESPACE = "whitespace"
    NOT_NORMALISED = "not_normalised"
    # identifiers (§3.1, §3.2)
    INVALID_FORMAT = "invalid_format"
    ID_CHECKSUM = "id_checksum"
    ID_BIRTH_DATE = "id_birth_date_mismatch"
    ID_SEX = "id_sex_mismatch"
    UNKNOWN_REGION = "unknown_region"
    JURISDICTION_MISMATCH = "jurisdiction_mismatch"
    UN_SIGN_RC = "un_sign_rc"
    PORTRAIT_FORMAT = "portrait_format"
    # dates and times (§3.3)
    DATE_RANGE = "date_range"
    DATE_ORDER = "date_order"
    UNDERAGE = "underage"
    LONG_TERM_EXPIRY = "long_term_expiry"
    NOT_UTC = "not_utc"
    IN_FUTURE = "in_future"
    # privileges, points, status (§3.4, §3.5)
    UNKNOWN_CLASS = "unknown_class"
    UNKNOWN_CATEGORY = "unknown_category"
    CATEGORY_NOT_DERIVABLE = "category_not_derivable"
    DUPLICATE = "duplicate"
    POINTS_RANGE = "points_range"
    UNKNOWN_STATUS = "unknown_status"
    STATUS_A_NOT_ALONE = "status_a_not_alone"
    # warnings
    NAME_LONG = "name_long"
    CJK_COMPATIBILITY = "cjk_compatibility"
    FULL_NAME_MISMATCH = "full_name_mismatch"
    VALIDITY_TERM_DATES = "validity_term_dates"
    ADMIN_NUMBER_PROVINCE = "admin_number_province"
    CLASS_ORDER = "class_order"
    REDUNDANT_CLASS = "redundant_class"
    C6_BEFORE_2022 = "c6_before_2022"
    PROBATION_END = "probation_end_mismatch"
    CLASS_AGE = "class_age"
    AGE_LIMIT = "age_limit"
    PRIVILEGE_EXPIRY = "privilege_after_expiry"
    UNKNOWN_SIGN = "unknown_sign"
    SCORING_CYCLE_END = "scoring_cycle_end_mismatch"
    POINTS_UNUSUAL = "points_unusual"
    POINTS_STATUS = "points_status"
    STATUS_ORDER = "status_order"
    SUSPENSION_WITHOUT_D = "suspension_without_d"
    REVIEW_NOT_RELEVANT = "review_not_relevant"


class LicenceField(StrEnum):
    """Licence data elements: the value is the JSON name (§4.2), ``.key`` the compact key."""

    PROFILE = "profile"
    FAMILY_NAME = "family_name"
    GIVEN_NAME = "given_name"
    FAMILY_NAME_NATIONAL_CHARACTER = "family_name_national_character"
    GIVEN_NAME_NATIONAL_CHARACTER = "given_name_national_character"
    FULL_NAME_NATIONAL_CHARACTER = "full_name_national_character"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    NATIONALITY = "nationality"
    BIRTH_PLACE = "birth_place"
    RESIDENT_ADDRESS = "resident_address"
    RESIDENT_ADDRESS_NATIONAL_CHARACTER = "resident_address_national_character"
    PORTRAIT = "portrait"
    PORTRAIT_CAPTURE_DATE = "portrait_capture_date"
    ISSUING_COUNTRY = "issuing_country"
    ISSUING_JURISDICTION = "issuing_jurisdiction"
    ISSUING_AUTHORITY = "issuing_authority"
    ISSUING_AUTHORITY_NATIONAL_CHARACTER = "issuing_authority_national_character"
    UN_DISTINGUISHING_SIGN = "un_distinguishing_sign"
    DOCUMENT_NUMBER = "document_number"
    DOCUMENT_NUMBER_TYPE = "document_number_type"
    ADMINISTRATIVE_NUMBER = "administrative_number"
    FIRST_ISSUE_DATE = "first_issue_date"
    ISSUE_DATE = "issue_date"
    EXPIRY_DATE = "expiry_date"
    VALIDITY_TERM = "validity_term"
    DOMESTIC_PRIVILEGES = "domestic_privileges"
    DRIVING_PRIVILEGES = "driving_privileges"
    POINTS = "points"
    POINTS_SCHEME = "points_scheme"
    POINTS_AS_OF = "points_as_of"
    SCORING_CYCLE_END = "scoring_cycle_end"
    STATUS = "status"
    SUSPENSION_END_DATE = "suspension_end_date"
    REVIEW_VALID_UNTIL = "review_valid_until"
    PHYSICAL_EXAM_DUE = "physical_exam_due"

    @property
    def key(self) -> int:
        """The integer key of this element in the compact CBOR map."""
        return _LICENCE.specs[self].key


# --- one table per structure drives type checks, JSON and CBOR ---------------------------


class _Kind(Enum):
    # Text: NFKC + single spaces on input; the characters of each kind: licence_text.
    LATIN_NAME = auto()  # ISO Latin-1 name: Latin-1 letters and name punctuation
    LATIN_TEXT = auto()  # ISO Latin-1 place, address or authority
    LATIN_ID = auto()  # ISO Latin-1 identifier or privilege code: printable ASCII
    CODE = auto()  # short code checked by a pattern or vocabulary
    NATIONAL = auto()  # national-character text (middle dots U+00B7 on input)
    NAME = auto()  # national-character name: ideographs and U+00B7, no spaces
    DATE = auto()
    TIME = auto()
    UINT = auto()
    BYTES = auto()
    ENUM = auto()
    PROFILE = auto()
    DOMESTIC = auto()
    DRIVING = auto()
    CODES = auto()


#: The allow-list of each kind of text field (docs/format.md §5.3).
_ALLOW: Final[Mapping[_Kind, licence_text.AllowList]] = MappingProxyType(
    {
        _Kind.LATIN_NAME: licence_text.ALLOW_LISTS["latin_name"],
        _Kind.LATIN_TEXT: licence_text.ALLOW_LISTS["latin_text"],
        _Kind.LATIN_ID: licence_text.ALLOW_LISTS["latin_id"],
        _Kind.CODE: licence_text.ALLOW_LISTS["code"],
        _Kind.NATIONAL: licence_text.ALLOW_LISTS["han_text"],
        _Kind.NAME: licence_text.ALLOW_LISTS["han_name"],
    }
)
_TEXT_KINDS: Final = frozenset(_ALLOW)
_LIST_KINDS: Final = frozenset({_Kind.DOMESTIC, _Kind.DRIVING, _Kind.CODES})


class _Spec(NamedTuple):
    key: int
    kind: _Kind
    enum: type[IntEnum] | None = None


class _Struct(NamedTuple):
    specs: Mapping[str, _Spec]  # in output order
    by_key: Mapping[int, str]
    required: frozenset[str]  # must be present and not None in the model
    json_nullable: frozenset[str] = frozenset()


def _struct(
    specs: Mapping[str, _Spec], required: Iterable[str], nullable: Iterable[str] = ()
) -> _Struct:
    by_key = MappingProxyType({spec.key: name for name, spec in specs.items()})
    return _Struct(MappingProxyType(dict(specs)), by_key, frozenset(required), frozenset(nullable))


def _positional(*items: tuple[str, _Kind]) -> _Struct:
    """A sub-structure: keys 1, 2, ... in order; the first member is required."""
    return _struct({name: _Spec(i, kind) for i, (name, kind) in enumerate(items, 1)}, items[0][:1])


_K, _F = _Kind, LicenceField
_CODE: Final = _positional(("code", _K.LATIN_ID), ("sign", _K.LATIN_ID), ("value", _K.LATIN_ID))
_DOMESTIC: Final = _positional(
    ("class_code", _K.CODE), ("issue_date", _K.DATE), ("probation_end_date", _K.DATE),
    ("codes", _K.CODES),
)  # fmt: skip
_DRIVING: Final = _positional(
    ("vehicle_category_code", _K.CODE), ("issue_date", _K.DATE), ("expiry_date", _K.DATE),
    ("codes", _K.CODES),
)  # fmt: skip
_SPECS: Final[Mapping[str, _Spec]] = MappingProxyType({
    _F.PROFILE: _Spec(0, _K.PROFILE),
    _F.FAMILY_NAME: _Spec(1, _K.LATIN_NAME),
    _F.GIVEN_NAME: _Spec(2, _K.LATIN_NAME),
    _F.FAMILY_NAME_NATIONAL_CHARACTER: _Spec(15, _K.NAME),
    _F.GIVEN_NAME_NATIONAL_CHARACTER: _Spec(16, _K.NAME),
    _F.FULL_NAME_NATIONAL_CHARACTER: _Spec(29, _K.NAME),
    _F.BIRTH_DATE: _Spec(3, _K.DATE),
    _F.SEX: _Spec(13, _K.ENUM, Sex),
    _F.NATIONALITY: _Spec(14, _K.CODE),
    _F.BIRTH_PLACE: _Spec(33, _K.LATIN_TEXT),
    _F.RESIDENT_ADDRESS: _Spec(18, _K.LATIN_TEXT),
    _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER: _Spec(31, _K.NATIONAL),
    _F.PORTRAIT: _Spec(9, _K.BYTES),
    _F.PORTRAIT_CAPTURE_DATE: _Spec(32, _K.TIME),
    _F.ISSUING_COUNTRY: _Spec(6, _K.CODE),
    _F.ISSUING_JURISDICTION: _Spec(17, _K.CODE),
    _F.ISSUING_AUTHORITY: _Spec(7, _K.LATIN_TEXT),
    _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER: _Spec(30, _K.NATIONAL),
    _F.UN_DISTINGUISHING_SIGN: _Spec(11, _K.CODE),
    _F.DOCUMENT_NUMBER: _Spec(8, _K.LATIN_ID),
    _F.DOCUMENT_NUMBER_TYPE: _Spec(28, _K.ENUM, DocumentNumberType),
    _F.ADMINISTRATIVE_NUMBER: _Spec(12, _K.LATIN_ID),
    _F.FIRST_ISSUE_DATE: _Spec(19, _K.DATE),
    _F.ISSUE_DATE: _Spec(4, _K.DATE),
    _F.EXPIRY_DATE: _Spec(5, _K.DATE),
    _F.VALIDITY_TERM: _Spec(24, _K.ENUM, ValidityTerm),
    _F.DOMESTIC_PRIVILEGES: _Spec(20, _K.DOMESTIC),
    _F.DRIVING_PRIVILEGES: _Spec(10, _K.DRIVING),
    _F.POINTS: _Spec(21, _K.UINT),
    _F.POINTS_SCHEME: _Spec(35, _K.ENUM, PointsScheme),
    _F.POINTS_AS_OF: _Spec(23, _K.TIME),
    _F.SCORING_CYCLE_END: _Spec(25, _K.DATE),
    _F.STATUS: _Spec(22, _K.CODE),
    _F.SUSPENSION_END_DATE: _Spec(27, _K.DATE),
    _F.REVIEW_VALID_UNTIL: _Spec(26, _K.DATE),
    _F.PHYSICAL_EXAM_DUE: _Spec(36, _K.DATE),
})  # fmt: skip
_FIELD_ORDER: Final = MappingProxyType({name: i for i, name in enumerate(_SPECS)})

#: Fields the model allows to be None (besides ``expiry_date``, None when long-term).
_MODEL_OPTIONAL: Final = frozenset({
    _F.FULL_NAME_NATIONAL_CHARACTER, _F.BIRTH_PLACE, _F.RESIDENT_ADDRESS,
    _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER, _F.PORTRAIT, _F.PORTRAIT_CAPTURE_DATE,
    _F.ISSUING_AUTHORITY, _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER, _F.POINTS_SCHEME,
    _F.POINTS_AS_OF, _F.SCORING_CYCLE_END, _F.SUSPENSION_END_DATE, _F.REVIEW_VALID_UNTIL,
    _F.PHYSICAL_EXAM_DUE,
})  # fmt: skip
_LICENCE: Final = _struct(
    _SPECS, set(_SPECS) - _MODEL_OPTIONAL - {_F.EXPIRY_DATE}, {_F.EXPIRY_DATE}
)
#: Every licence data element.
ALL_FIELDS: Final = frozenset(LicenceField)
#: Elements an issuer may leave out of the compact map (``to_cbor_map(fields=...)``);
#: every other element travels whenever it has a value.
SELECTABLE_FIELDS: Final = _MODEL_OPTIONAL - {_F.FULL_NAME_NATIONAL_CHARACTER}
#: Left out of the QR by default: bulky and not needed to decide whether someone may
#: drive (the trust list names the authority; a portrait thumbnail is opt-in, §4.5).
QR_OMITTED_BY_DEFAULT: Final = frozenset({
    _F.RESIDENT_ADDRESS, _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER, _F.ISSUING_AUTHORITY,
    _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER, _F.PORTRAIT,
})  # fmt: skip
#: The default ``fields`` of :meth:`Licence.to_cbor_map`.
QR_DEFAULT_FIELDS: Final = ALL_FIELDS - QR_OMITTED_BY_DEFAULT

# --- per-value rules ---------------------------------------------------------------------

_Found = tuple[str, Problem, str]  # (field path, code, message) before it becomes a problem

_MAX_NATIONAL_NAME: Final = licence_text.ALLOW_LISTS["han_name"].max_length
_LONG_NATIONAL_NAME: Final = 15
_OTHER_DOTS: Final = "\u2022\u2027\u30fb\u22c5"  # bullets and dots that mean U+00B7
_MIDDLE_DOTS: Final = str.maketrans(dict.fromkeys(_OTHER_DOTS, "\u00b7"))
_SPACES: Final = re.compile(r"\s+")
_CJK_COMPATIBILITY: Final = ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
_DATE_MIN: Final = date(1900, 1, 1)
#: A sanity cap, so that date arithmetic on a validated licence cannot overflow.
_DATE_MAX: Final = date(2999, 12, 31)
_TIME_MIN: Final = datetime(1900, 1, 1, tzinfo=UTC)
_TIME_END: Final = datetime(3000, 1, 1, tzinfo=UTC)  # exclusive: the day after _DATE_MAX


def _normalise_text(kind: _Kind, text: str) -> str:
    """The input normalisation of a text field; stored text must be its fixed point. NFKC
    folds full-width forms, compatibility ideographs and radicals into the characters the
    allow-lists hold; national text also writes every middle dot as U+00B7."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text))
    return text.translate(_MIDDLE_DOTS) if kind is _Kind.NAME or kind is _Kind.NATIONAL else text


def _text_problem(kind: _Kind, text: str) -> tuple[Problem, str] | None:
    """The first text rule ``text`` breaks as a field of ``kind`` (§5.3), if any."""
    allow = _ALLOW[kind]
    if not text:
        return Problem.EMPTY, "must not be empty"
    # A never-allowed character is outside every allow-list: only look for one then.
    outside = allow.first_outside(text)
    if outside is not None and (char := licence_text.first_never_allowed(text)) is not None:
        return Problem.FORBIDDEN_CHARACTER, f"U+{ord(char):04X} is not allowed"
    if text != text.strip():
        return Problem.WHITESPACE, "leading or trailing whitespace"
    if _normalise_text(kind, text) != text:
        return Problem.NOT_NORMALISED, "not normalised (NFKC, single spaces, U+00B7 dots)"
    if not allow.spaces and any(c.isspace() for c in text):
        return Problem.WHITESPACE, "a national-character name has no spaces"
    if outside is not None:
        if allow.latin1 and outside > "\xff":
            return Problem.NOT_LATIN1, "only printable Latin-1 characters are allowed"
        return Problem.FORBIDDEN_CHARACTER, f"U+{ord(outside):04X} is not allowed in {allow.what}"
    if len(text) > allow.max_length:
        return Problem.TOO_LONG, f"longer than {allow.max_length} code points"
    return None


# Quick checks: True only if _kind_problem finds nothing; False decides nothing. A full
# match of the allow-list pattern is enough: every character it admits is its own NFKC
# form and no combining mark, and the pattern admits single inner spaces only, so the text
# is also normalised (tests/test_licence_text.py checks both premises).
_LATIN_NAME_MATCH: Final = licence_text.ALLOW_LISTS["latin_name"].quick.fullmatch
_LATIN_TEXT_MATCH: Final = licence_text.ALLOW_LISTS["latin_text"].quick.fullmatch
_LATIN_ID_MATCH: Final = licence_text.ALLOW_LISTS["latin_id"].quick.fullmatch
_NATIONAL_MATCH: Final = licence_text.ALLOW_LISTS["han_text"].quick.fullmatch
_NAME_MATCH: Final = licence_text.ALLOW_LISTS["han_name"].quick.fullmatch


def _latin_name_ok(text: object) -> bool:
    return type(text) is str and _LATIN_NAME_MATCH(text) is not None


def _latin_text_ok(text: object) -> bool:
    return type(text) is str and _LATIN_TEXT_MATCH(text) is not None


def _latin_id_ok(text: object) -> bool:
    return type(text) is str and _LATIN_ID_MATCH(text) is not None


def _national_ok(text: object) -> bool:
    return type(text) is str and _NATIONAL_MATCH(text) is not None


def _name_ok(text: object) -> bool:
    return type(text) is str and _NAME_MATCH(text) is not None


def _date_ok(value: object) -> bool:
    return type(value) is date and _DATE_MIN <= value <= _DATE_MAX


def _time_ok(value: object) -> bool:
    # Whole seconds in UTC proper; another zero-offset tzinfo is left to the full check.
    return (
        type(value) is datetime
        and value.tzinfo is UTC
        and not value.microsecond
        and _TIME_MIN <= value < _TIME_END
    )


def _kind_problem(spec: _Spec, value: object) -> tuple[Problem, str] | None:
    """Type and per-kind check of one non-None value."""
    kind = spec.kind
    if kind in _TEXT_KINDS:
        if type(value) is not str:
            return Problem.WRONG_TYPE, "not a str"
        return _text_problem(kind, value)
    if kind is _Kind.TIME and isinstance(value, datetime):
        # Whole UTC seconds: exactly what the compact form (tag 1, integer) can carry.
        if value.utcoffset() != timedelta(0) or value.microsecond:
            return Problem.NOT_UTC, "must be timezone-aware UTC, whole seconds"
        value = value.date()
    elif kind is _Kind.DATE and type(value) is date:
        pass
    elif kind in (_Kind.DATE, _Kind.TIME):
        return Problem.WRONG_TYPE, f"not a {'date' if kind is _Kind.DATE else 'datetime'}"
    if kind in (_Kind.DATE, _Kind.TIME) and isinstance(value, date):
        ok = _DATE_MIN <= value <= _DATE_MAX
        return None if ok else (Problem.DATE_RANGE, "outside 1900-01-01..2999-12-31")
    if kind in _LIST_KINDS:
        item = _ITEMS[kind][0]
        if type(value) is tuple and all(isinstance(v, item) for v in value):
            return None
        return Problem.WRONG_TYPE, f"not a tuple of {item.__name__}"
    if kind is _Kind.UINT:
        # Exact type: a bool or an IntEnum member is not a number of points.
        return None if type(value) is int else (Problem.WRONG_TYPE, "not an int")
    wanted = {_Kind.BYTES: bytes, _Kind.PROFILE: Profile}.get(kind) or spec.enum or type(None)
    return None if isinstance(value, wanted) else (Problem.WRONG_TYPE, f"not {wanted.__name__}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_struct(obj: object, struct: _Struct, found: list[_Found]) -> frozenset[str]:
    """Presence, type and per-kind checks; returns the fields that passed (and are not
    None): the only ones later rules may look at."""
    ok: set[str] = set()
    for name, spec in struct.specs.items():
        value = getattr(obj, name)
        problem = _kind_problem(spec, value) if value is not None else None
        if value is None and name in struct.required:
            problem = Problem.REQUIRED, "is required"
        if problem:
            found.append((name, *problem))
        elif value is not None:
            ok.add(name)
    return frozenset(ok)


def _raise_if_any(found: Iterable[_Found | LicenceProblem], ordered: bool = False) -> None:
    if found := list(found):
        raise _invalid(found, ordered)


def _invalid(found: Iterable[_Found | LicenceProblem], ordered: bool = False) -> InvalidLicence:
    """The error for a non-empty list of findings; ``field`` names the first one."""
    problems = [p if isinstance(p, LicenceProblem) else LicenceProblem(*p) for p in found]
    if ordered:
        # Sorted by field order, so "the first offending field" does not depend on which
        # rule happened to run first.
        def position(problem: LicenceProblem) -> int:
            top = re.split(r"[.\[]", problem.field, maxsplit=1)[0]
            return _FIELD_ORDER.get(top, len(_FIELD_ORDER))

        problems.sort(key=position)
    first, more = problems[0], f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    message = f"{first.field}: {first.message}{more}"
    return InvalidLicence(message, field=first.field, problems=tuple(problems))


def _require_date(value: object, name: str) -> date:
    # datetime is a subclass of date, and comparing one with a date raises TypeError.
    if type(value) is not date:
        raise InvalidArgument(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value


# --- privileges --------------------------------------------------------------------------


# Privileges and codes, like the licence, are frozen dataclasses without slots: readers
# make checked ones in one step through __dict__ (see _made).


@dataclass(frozen=True)
class PrivilegeCode:
    """A restriction or condition code (ISO/IEC 18013-2 Annex A shape), e.g. ``02``."""

    code: str
    sign: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        if not _code_ok(self.code, self.sign, self.value):
            _raise_if_any(self._problems())

    def _problems(self) -> list[_Found]:
        found: list[_Found] = []
        _check_struct(self, _CODE, found)
        return found

    @classmethod
    def _quick(cls, code: object, sign: object, value: object) -> PrivilegeCode | None:
        """The code holding these values if the quick check accepts them, else None."""
        if not _code_ok(code, sign, value):
            return None
        return _made(cls, {"code": code, "sign": sign, "value": value})


@dataclass(frozen=True)
class DomesticPrivilege:
    """One granted 准驾车型 class (§2.5) with its 增驾 date and inclusive 实习期 end."""

    class_code: str
    issue_date: date | None = None
    probation_end_date: date | None = None
    codes: tuple[PrivilegeCode, ...] = ()

    def __post_init__(self) -> None:
        if not _domestic_ok(self.class_code, self.issue_date, self.probation_end_date, self.codes):
            _raise_if_any(self._problems())

    def _problems(self) -> list[_Found]:
        found: list[_Found] = []
        ok = _check_struct(self, _DOMESTIC, found)
        if "class_code" in ok and self.class_code not in cn.CLASS_CODES:
            found.append(("class_code", Problem.UNKNOWN_CLASS, "not a 2022 class code"))
        return found

    @classmethod
    def _quick(
        cls, class_code: object, issue_date: object, probation_end_date: object, codes: object
    ) -> DomesticPrivilege | None:
        """The privilege holding these values if the quick check accepts them, else None."""
        if not _domestic_ok(class_code, issue_date, probation_end_date, codes):
            return None
        return _made(cls, {
            "class_code": class_code, "issue_date": issue_date,
            "probation_end_date": probation_end_date, "codes": codes,
        })  # fmt: skip


@dataclass(frozen=True)
class DrivingPrivilege:
    """One ISO/IEC 18013-1 Annex B vehicle category (never a Chinese class code)."""

    vehicle_category_code: str
    issue_date: date | None = None
    expiry_date: date | None = None
    codes: tuple[PrivilegeCode, ...] = ()

    def __post_init__(self) -> None:
        if not _driving_ok(
            self.vehicle_category_code, self.issue_date, self.expiry_date, self.codes
        ):
            _raise_if_any(self._problems())

    def _problems(self) -> list[_Found]:
        found: list[_Found] = []
        ok = _check_struct(self, _DRIVING, found)
        if "vehicle_category_code" in ok and self.vehicle_category_code not in cn.ISO_CATEGORIES:
            found.append(("vehicle_category_code", Problem.UNKNOWN_CATEGORY, "not in Annex B"))
        issued, expires = self.issue_date, self.expiry_date
        if {"issue_date", "expiry_date"} <= ok and issued and expires and issued > expires:
            found.append(("expiry_date", Problem.DATE_ORDER, "before issue_date"))
        return found

    @classmethod
    def _quick(
        cls, vehicle_category_code: object, issue_date: object, expiry_date: object, codes: object
    ) -> DrivingPrivilege | None:
        """The privilege holding these values if the quick check accepts them, else None."""
        if not _driving_ok(vehicle_category_code, issue_date, expiry_date, codes):
            return None
        return _made(cls, {
            "vehicle_category_code": vehicle_category_code, "issue_date": issue_date,
            "expiry_date": expiry_date, "codes": codes,
        })  # fmt: skip


# Quick checks of privileges (True only if __post_init__ would find nothing). Vocabulary
# codes are clean ASCII, so membership also settles the text rules. Exact types for codes:
# a PrivilegeCode checked itself when it was made.


def _code_ok(code: object, sign: object, value: object) -> bool:
    return (
        _latin_id_ok(code)
        and (sign is None or _latin_id_ok(sign))
        and (value is None or _latin_id_ok(value))
    )


_NO_CODES: Final[tuple[()]] = ()  # the empty tuple: CPython has only one


def _codes_ok(codes: object) -> bool:
    if type(codes) is not tuple:
        return False
    for code in codes:  # noqa: SIM110 - all() over a generator costs more, for every privilege
        if type(code) is not PrivilegeCode:
            return False
    return True


# The date checks are spelled out: these run for every privilege a verifier reads.


def _domestic_ok(class_code: object, issued: object, end: object, codes: object) -> bool:
    return (
        type(class_code) is str
        and class_code in cn.CLASS_CODES
        and (issued is None or (type(issued) is date and _DATE_MIN <= issued <= _DATE_MAX))
        and (end is None or (type(end) is date and _DATE_MIN <= end <= _DATE_MAX))
        and (codes is _NO_CODES or _codes_ok(codes))
    )


def _driving_ok(category: object, issued: object, expires: object, codes: object) -> bool:
    if not (
        type(category) is str
        and category in cn.ISO_CATEGORIES
        and (codes is _NO_CODES or _codes_ok(codes))
    ):
        return False
    if issued is None or expires is None:
        return (issued is None or _date_ok(issued)) and (expires is None or _date_ok(expires))
    return (
        type(issued) is date
        and type(expires) is date
        and _DATE_MIN <= issued <= expires <= _DATE_MAX
    )


_Made = TypeVar("_Made")


def _made(cls: type[_Made], fields: dict[str, Any]) -> _Made:
    """An instance of a frozen dataclass holding ``fields`` (every field by name, in field
    order: what __init__ would have built) without running __init__. Only for values
    the quick check accepted, so that __post_init__ would have had nothing to say."""
    made = object.__new__(cls)
    object.__setattr__(made, "__dict__", fields)
    return made


_ITEMS: Final[Mapping[_Kind, tuple[type[Any], _Struct]]] = MappingProxyType({
    _Kind.DOMESTIC: (DomesticPrivilege, _DOMESTIC),
    _Kind.DRIVING: (DrivingPrivilege, _DRIVING),
    _Kind.CODES: (PrivilegeCode, _CODE),
})  # fmt: skip
_Privilege = TypeVar("_Privilege", DomesticPrivilege, DrivingPrivilege)

# --- identifier patterns -----------------------------------------------------------------

_ALPHA2: Final = re.compile("[A-Z]{2}")
_SUBDIVISION: Final = re.compile("[A-Z]{2}-[A-Z0-9]{1,3}")
_UN_SIGN: Final = re.compile("[A-Z]{1,3}")
_ADMIN_NUMBER: Final = re.compile("[0-9]{12}")
#: Format rules: (field, pattern, what it must be). Each pattern admits only clean ASCII,
#: so a match also satisfies the text rules.
_FORMATS: Final = (
    (_F.NATIONALITY, _ALPHA2, "an ISO 3166-1 alpha-2 code"),
    (_F.ISSUING_COUNTRY, _ALPHA2, "an ISO 3166-1 alpha-2 code"),
    (_F.ISSUING_JURISDICTION, _SUBDIVISION, "an ISO 3166-2 code"),
    (_F.UN_DISTINGUISHING_SIGN, _UN_SIGN, "1-3 capital letters"),
    (_F.ADMINISTRATIVE_NUMBER, _ADMIN_NUMBER, "12 digits"),
)
#: A valid status other than "A": known letters, A excluded (it stands alone).
_STATUS_NOT_A: Final = re.compile(f"[{''.join(sorted(cn.STATUS_LETTERS - {'A'}))}]+")
_ID18: Final = re.compile("[0-9]{17}[0-9X]")
_PR2017: Final = re.compile("[A-Z]{3}[0-9]{12}")
_ID_TYPES: Final = frozenset({
    DocumentNumberType.CN_RESIDENT_ID, DocumentNumberType.CN_HMT_RESIDENCE_PERMIT,
    DocumentNumberType.CN_FOREIGN_PR_ID_2023,
})  # fmt: skip
_PORTRAIT_MAGIC: Final = (b"\xff\xd8\xff", b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")
_SIGNS: Final = frozenset({"=", "<", ">", "<=", ">="})


def _id_problems(
    number: str, kind: DocumentNumberType, born: date | None, sex: Sex | None
) -> Iterator[tuple[Problem, str]]:
    """§3.1 rules for an 18-character ID number; ``born``/``sex`` are None when unusable."""
    if not _ID18.fullmatch(number):
        yield Problem.INVALID_FORMAT, "must be 17 digits and a check digit or X"
        return
    if cn.id_check_character(number[:17]) != number[17]:
        yield Problem.ID_CHECKSUM, "MOD 11-2 check character does not match"
    pr_card = kind is DocumentNumberType.CN_FOREIGN_PR_ID_2023
    if pr_card and number[0] != "9":
        yield Problem.UNKNOWN_REGION, "a 2023 permanent-residence number starts with 9"
    elif not pr_card and number[:2] not in cn.PROVINCE_CODES:
        yield Problem.UNKNOWN_REGION, "unknown province code"
    elif (
        kind is DocumentNumberType.CN_HMT_RESIDENCE_PERMIT
        and number[:6] not in cn.HMT_ADDRESS_CODES
    ):
        yield Problem.UNKNOWN_REGION, "address code must be 810000, 820000 or 830000"
    try:
        digits_date: date | None = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        digits_date = None
    if digits_date is None or (born is not None and digits_date != born):
        yield Problem.ID_BIRTH_DATE, "digits 7-14 do not match birth_date"
    # Sequence parity encodes sex on citizen IDs; on the 2023 PR card it is unconfirmed [V].
    parity_sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    if not pr_card and sex in (Sex.MALE, Sex.FEMALE) and sex is not parity_sex:
        yield Problem.ID_SEX, "digit 17 parity does not match sex"


# --- the quick check of a licence --------------------------------------------------------

# Enum members as module constants: class attribute access on an Enum is slow.
_MALE, _FEMALE, _LONG_TERM = Sex.MALE, Sex.FEMALE, ValidityTerm.LONG_TERM
_PR_2017 = DocumentNumberType.CN_FOREIGN_PR_ID_2017
_PR_2023 = DocumentNumberType.CN_FOREIGN_PR_ID_2023
_HMT = DocumentNumberType.CN_HMT_RESIDENCE_PERMIT


def _licence_ok(v: Mapping[str, Any]) -> bool:
    """The quick check of a licence, given every field by name: True only if the full
    check (``Licence._problems``) would find nothing, so a True lets construction skip
    it. False decides nothing; the full check then runs and names the problems.

    Straight-line code, for speed: a verifier runs it on every credential. Types must be
    exact (``type(x) is str``, never a subclass): the compact reader hands text, numbers
    and bytes over as they arrived and relies on that. Keep it in step with the full
    check; the tests compare the two on mutated licences."""
    born, first, issued, expiry = (
        v["birth_date"], v["first_issue_date"], v["issue_date"], v["expiry_date"],
    )  # fmt: skip
    term = v["validity_term"]
    if not (
        type(born) is date
        and type(first) is date
        and type(issued) is date
        # 1900-01-01 <= born < first <= issued <= expiry <= 2999-12-31: all in range
        and born >= _DATE_MIN
        and first <= issued <= _DATE_MAX
        and cn.full_years(born, first) >= 18
        and (
            term is _LONG_TERM
            if expiry is None
            else type(expiry) is date
            and issued <= expiry <= _DATE_MAX
            and type(term) is ValidityTerm
            and term is not _LONG_TERM
        )
    ):
        return False
    sex, kind, points = v["sex"], v["document_number_type"], v["points"]
    country, jurisdiction = v["issuing_country"], v["issuing_jurisdiction"]
    sign, admin, portrait = v["un_distinguishing_sign"], v["administrative_number"], v["portrait"]
    if not (
        type(v["profile"]) is Profile
        and type(sex) is Sex
        and type(kind) is DocumentNumberType
        and (v["points_scheme"] is None or type(v["points_scheme"]) is PointsScheme)
        and _latin_name_ok(v["family_name"])
        and _latin_name_ok(v["given_name"])
        and _name_ok(v["family_name_national_character"])
        and _name_ok(v["given_name_national_character"])
        # The formats admit only clean ASCII: a match also satisfies the text rules.
        and type(v["nationality"]) is str
        and _ALPHA2.fullmatch(v["nationality"]) is not None
        and type(country) is str
        and type(jurisdiction) is str
        and (
            jurisdiction in cn.JURISDICTIONS  # each a well-formed code starting "CN-"
            if country == "CN"
            else _ALPHA2.fullmatch(country) is not None
            and _SUBDIVISION.fullmatch(jurisdiction) is not None
            and jurisdiction.startswith(country + "-")
        )
        and type(sign) is str
        and (
            sign == cn.UN_SIGN_DEFAULT
            or (_UN_SIGN.fullmatch(sign) is not None and sign != cn.UN_SIGN_FORBIDDEN)
        )
        and type(admin) is str
        and _ADMIN_NUMBER.fullmatch(admin) is not None
        and admin[:2] in cn.PROVINCE_CODES
        and _document_ok(v["document_number"], kind, born, sex)
        and type(points) is int
        and 0 <= points <= 255
        and _status_ok(v["status"])
        and (portrait is None or (type(portrait) is bytes and portrait.startswith(_PORTRAIT_MAGIC)))
    ):
        return False
    # Optional fields (usually absent): spelled out, a loop would cost more than the checks.
    if (
        ((text := v["full_name_national_character"]) is not None and not _name_ok(text))
        or ((text := v["birth_place"]) is not None and not _latin_text_ok(text))
        or ((text := v["resident_address"]) is not None and not _latin_text_ok(text))
        or (
            (text := v["resident_address_national_character"]) is not None
            and not _national_ok(text)
        )
        or ((moment := v["portrait_capture_date"]) is not None and not _time_ok(moment))
        or ((text := v["issuing_authority"]) is not None and not _latin_text_ok(text))
        or (
            (text := v["issuing_authority_national_character"]) is not None
            and not _national_ok(text)
        )
        or ((moment := v["points_as_of"]) is not None and not _time_ok(moment))
        or ((day := v["scoring_cycle_end"]) is not None and not _date_ok(day))
        or ((day := v["suspension_end_date"]) is not None and not _date_ok(day))
        or ((day := v["review_valid_until"]) is not None and not _date_ok(day))
        or ((day := v["physical_exam_due"]) is not None and not _date_ok(day))
    ):
        return False
    domestic, driving = v["domestic_privileges"], v["driving_privileges"]
    if type(domestic) is not tuple or type(driving) is not tuple:
        return False
    classes = []
    for privilege in domestic:
        if type(privilege) is not DomesticPrivilege:  # exact: it checked itself when made
            return False
        classes.append(privilege.class_code)
    if len(set(classes)) != len(classes):
        return False
    if not driving:
        return True
    categories = []
    for other in driving:
        if type(other) is not DrivingPrivilege:
            return False
        categories.append(other.vehicle_category_code)
    return len(set(categories)) == len(categories) and cn.derivable_iso_categories(
        classes, issued
    ).issuperset(categories)


def _document_ok(number: object, kind: DocumentNumberType, born: date, sex: Sex) -> bool:
    """Quick form of the document number rules (with _id_problems for ID numbers), for a
    valid ``born`` and ``sex``: True only if they find nothing."""
    if type(number) is not str:
        return False
    if kind is _PR_2017:
        return _PR2017.fullmatch(number) is not None
    if kind not in _ID_TYPES:
        return _latin_id_ok(number)  # opaque identifier
    # The ID pattern implies the text rules.
    if _ID18.fullmatch(number) is None or cn.id_check_character(number[:17]) != number[17]:
        return False
    # A valid date equal to born exactly when the eight digits spell it.
    if int(number[6:14]) != born.year * 10000 + born.month * 100 + born.day:
        return False
    if kind is _PR_2023:
        return number[0] == "9"
    if number[:2] not in cn.PROVINCE_CODES:
        return False
    if kind is _HMT and number[:6] not in cn.HMT_ADDRESS_CODES:
        return False
    # Sequence parity encodes sex on citizen IDs (odd: male).
    return (sex is not _MALE and sex is not _FEMALE) or (number[16] in "13579") == (sex is _MALE)


def _status_ok(status: object) -> bool:
    return type(status) is str and (
        status == "A"
        or (_STATUS_NOT_A.fullmatch(status) is not None and len(set(status)) == len(status))
    )


# --- the licence -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
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
        if not _licence_ok(self.__dict__):
            _raise_if_any(self._problems(), ordered=True)

    @classmethod
    def _quick(cls, values: dict[str, Any]) -> Licence | None:
        """The licence holding ``values`` (every field by name, in field order) if the
        quick check accepts them, made without a pass through ``__init__``; None when only
        the full check can decide, or for a subclass (its own fields and checks need
        ``__init__``)."""
        return _made(cls, values) if cls is Licence and _licence_ok(values) else None

    # -- error rules (time-independent) --

    def _problems(self) -> list[_Found]:
        """The full check: every error, each rule run only on fields that passed theirs."""
        found: list[_Found] = []
        ok = _check_struct(self, _LICENCE, found)
        found += self._field_errors(ok)
        found += self._cross_errors(ok - {name for name, _, _ in found})
        return found

    def _field_errors(self, ok: frozenset[str]) -> Iterator[_Found]:
        """Rules on one field each (identifier formats, points, status, portrait)."""
        F, P = LicenceField, Problem
        for name, pattern, what in _FORMATS:
            if name in ok and not pattern.fullmatch(getattr(self, name)):
                ok -= {name}  # one finding per field is enough
                yield name, P.INVALID_FORMAT, f"must be {what}"
        if F.UN_DISTINGUISHING_SIGN in ok and self.un_distinguishing_sign == cn.UN_SIGN_FORBIDDEN:
            yield F.UN_DISTINGUISHING_SIGN, P.UN_SIGN_RC, "RC is Taiwan; the PRC uses CHN"
        admin = self.administrative_number
        if F.ADMINISTRATIVE_NUMBER in ok and admin[:2] not in cn.PROVINCE_CODES:
            yield F.ADMINISTRATIVE_NUMBER, P.UNKNOWN_REGION, "unknown province prefix"
        if F.POINTS in ok and not 0 <= self.points <= 255:
            yield F.POINTS, P.POINTS_RANGE, "must be 0..255"
        if F.STATUS in ok:
            status = self.status
            if unknown := "".join(sorted(set(status) - cn.STATUS_LETTERS)):
                yield F.STATUS, P.UNKNOWN_STATUS, f"unknown letters {unknown}"
            if len(set(status)) != len(status):
                yield F.STATUS, P.DUPLICATE, "a letter appears twice"
            if "A" in status and len(status) > 1:
                yield F.STATUS, P.STATUS_A_NOT_ALONE, "A (normal) must stand alone"
        if F.PORTRAIT in ok and not (self.portrait or b"").startswith(_PORTRAIT_MAGIC):
            yield F.PORTRAIT, P.PORTRAIT_FORMAT, "must be JPEG or JPEG 2000"

    def _cross_errors(self, ok: frozenset[str]) -> Iterator[_Found]:
        """Rules relating fields; each runs only when its fields passed their own checks."""
        F, P = LicenceField, Problem
        if {F.ISSUING_JURISDICTION, F.ISSUING_COUNTRY} <= ok:
            jurisdiction = self.issuing_jurisdiction
            if not jurisdiction.startswith(self.issuing_country + "-"):
                yield F.ISSUING_JURISDICTION, P.JURISDICTION_MISMATCH, "not in issuing_country"
            elif self.issuing_country == "CN" and jurisdiction not in cn.JURISDICTIONS:
                yield F.ISSUING_JURISDICTION, P.UNKNOWN_REGION, "not an ISO 3166-2:CN code"
        if {F.DOCUMENT_NUMBER, F.DOCUMENT_NUMBER_TYPE} <= ok:
            number, kind = self.document_number, self.document_number_type
            if kind is DocumentNumberType.CN_FOREIGN_PR_ID_2017 and not _PR2017.fullmatch(number):
                yield F.DOCUMENT_NUMBER, P.INVALID_FORMAT, "must be 3 capital letters + 12 digits"
            elif kind in _ID_TYPES:  # other document types are opaque Latin-1 text
                born = self.birth_date if F.BIRTH_DATE in ok else None
                sex = self.sex if F.SEX in ok else None
                yield from ((F.DOCUMENT_NUMBER, *p) for p in _id_problems(number, kind, born, sex))
        both = {F.BIRTH_DATE, F.FIRST_ISSUE_DATE} <= ok
        if both and cn.full_years(self.birth_date, self.first_issue_date) < 18:
            yield F.FIRST_ISSUE_DATE, P.UNDERAGE, "holder younger than 18 at first issue"
        if {F.FIRST_ISSUE_DATE, F.ISSUE_DATE} <= ok and self.first_issue_date > self.issue_date:
            yield F.FIRST_ISSUE_DATE, P.DATE_ORDER, "after issue_date"
        expiry = self.expiry_date if F.EXPIRY_DATE in ok else None
        if expiry and F.ISSUE_DATE in ok and self.issue_date > expiry:
            yield F.EXPIRY_DATE, P.DATE_ORDER, "before issue_date"
        known = F.VALIDITY_TERM in ok and (F.EXPIRY_DATE in ok or self.expiry_date is None)
        if known and (self.validity_term is ValidityTerm.LONG_TERM) != (self.expiry_date is None):
            yield F.EXPIRY_DATE, P.LONG_TERM_EXPIRY, "null exactly when validity_term is long_term"
        if F.DOMESTIC_PRIVILEGES in ok:
            yield from _duplicates(F.DOMESTIC_PRIVILEGES, self._classes())
        if F.DRIVING_PRIVILEGES in ok:
            categories = tuple(p.vehicle_category_code for p in self.driving_privileges)
            yield from _duplicates(F.DRIVING_PRIVILEGES, categories)
            if {F.DOMESTIC_PRIVILEGES, F.ISSUE_DATE} <= ok:
                # Catches a Chinese C1 (car) copied as ISO C1 (medium truck): §2.12, §3.4.
                allowed = cn.derivable_iso_categories(self._classes(), self.issue_date)
                for i, category in enumerate(categories):
                    if category not in allowed:
                        where = f"{F.DRIVING_PRIVILEGES}[{i}].vehicle_category_code"
                        yield where, P.CATEGORY_NOT_DERIVABLE, "not derivable from the CN classes"

    # -- warnings --

    def warnings(self, today: date | None = None) -> tuple[LicenceProblem, ...]:
        """Non-fatal findings (§3 "warning" rules). With ``today``, also the date-dependent
        ones (professional classes at 63+). Raises ``InvalidArgument`` for a non-date."""
        if today is not None:
            _require_date(today, "today")
        return tuple(
            LicenceProblem(*w) for w in (*self._text_warnings(), *self._rule_warnings(today))
        )

    def _text_warnings(self) -> Iterator[_Found]:
        F, P = LicenceField, Problem
        for name, spec in _SPECS.items():
            text = getattr(self, name)
            if spec.kind is _Kind.NAME and text and len(text) > _LONG_NATIONAL_NAME:
                yield name, P.NAME_LONG, f"longer than {_LONG_NATIONAL_NAME} code points"
            national = spec.kind in (_Kind.NAME, _Kind.NATIONAL) and text
            if national and any(lo <= ord(c) <= hi for c in text for lo, hi in _CJK_COMPATIBILITY):
                yield name, P.CJK_COMPATIBILITY, "CJK compatibility ideograph (NFC may alter it)"
        full, family, given = self.full_name_national_character, *self._name_parts()
        # Dotted (transliterated) names are written given·family, Han names family+given.
        if full is not None and full != (f"{given}·{family}" if "·" in full else family + given):
            yield F.FULL_NAME_NATIONAL_CHARACTER, P.FULL_NAME_MISMATCH, "differs from name parts"

    def _rule_warnings(self, today: date | None) -> Iterator[_Found]:
        F, P = LicenceField, Problem
        years = {ValidityTerm.SIX_YEARS: 6, ValidityTerm.TEN_YEARS: 10}.get(self.validity_term)
        if years and self.expiry_date and self.expiry_date != cn.add_years(self.issue_date, years):
            yield F.EXPIRY_DATE, P.VALIDITY_TERM_DATES, f"not issue_date + {years} years"
        admin_province = cn.PROVINCE_JURISDICTION.get(self.administrative_number[:2])
        if admin_province != self.issuing_jurisdiction:
            yield F.ADMINISTRATIVE_NUMBER, P.ADMIN_NUMBER_PROVINCE, "other province (transferred?)"
        classes = self._classes()
        if list(classes) != sorted(classes, key=cn.CLASS_ORDER.index):
            yield F.DOMESTIC_PRIVILEGES, P.CLASS_ORDER, "not in canonical order"
        for i, (where, p) in enumerate(_indexed(F.DOMESTIC_PRIVILEGES, self.domestic_privileges)):
            code, granted = f"{where}.class_code", p.issue_date or self.first_issue_date
            others = classes[:i] + classes[i + 1 :]
            if p.class_code in cn.permitted_closure(others, self.issue_date):
                yield code, P.REDUNDANT_CLASS, "implied by another listed class"
            if p.class_code == "C6" and granted < cn.REGULATION_2022:
                yield code, P.C6_BEFORE_2022, "C6 exists since 2022-04-01"
            if cn.full_years(self.birth_date, granted) < cn.CLASS_MIN_AGE.get(p.class_code, 0):
                yield code, P.CLASS_AGE, "holder below the class's minimum age when granted"
            professional = p.class_code in cn.PROFESSIONAL_CLASSES
            if today and professional and self.age_on(today) >= cn.PROFESSIONAL_MAX_AGE:
                yield code, P.AGE_LIMIT, f"holder is {cn.PROFESSIONAL_MAX_AGE} or older: downgrade"
            end = p.issue_date and cn.add_years(p.issue_date, 1) - timedelta(days=1)
            if p.probation_end_date and end and p.probation_end_date != end:
                yield f"{where}.probation_end_date", P.PROBATION_END, "not issue + 12 months - 1"
        for where, q in _indexed(F.DRIVING_PRIVILEGES, self.driving_privileges):
            if q.expiry_date and self.expiry_date and q.expiry_date > self.expiry_date:
                yield f"{where}.expiry_date", P.PRIVILEGE_EXPIRY, "after the document expiry"
        for group in (F.DOMESTIC_PRIVILEGES, F.DRIVING_PRIVILEGES):
            for where, privilege in _indexed(group, getattr(self, group)):
                for j, c in enumerate(privilege.codes):
                    if c.sign is not None and c.sign not in _SIGNS:
                        yield f"{where}.codes[{j}].sign", P.UNKNOWN_SIGN, "not = < > <= >="
        if self.scoring_cycle_end and self.points_as_of:
            as_of = self.points_as_of.astimezone(cn.CN_UTC_OFFSET).date()
            if self.scoring_cycle_end != cn.scoring_cycle_end(self.first_issue_date, as_of):
                yield F.SCORING_CYCLE_END, P.SCORING_CYCLE_END, "not the end of the current cycle"
        if self.points > 36:
            yield F.POINTS, P.POINTS_UNUSUAL, "more than 36 points"
        if self.points >= 12 and self.status == "A":
            yield F.STATUS, P.POINTS_STATUS, "12 or more points but status A"
        if list(self.status) != sorted(self.status):
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
        on = _require_date(on, "on")
        return any(
            p.probation_end_date and p.probation_end_date >= on for p in self.domestic_privileges
        )

    def is_expired(self, on: date) -> bool:
        """Whether ``on`` is after ``expiry_date``; a long-term licence never expires."""
        on = _require_date(on, "on")
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

    def age_on(self, on: date) -> int:
        """The holder's age in whole years on ``on``."""
        return cn.full_years(self.birth_date, _require_date(on, "on"))

    def driving_experience_years(self, on: date) -> int:
        """Whole years since ``first_issue_date`` (驾龄); 0 before it."""
        return max(0, cn.full_years(self.first_issue_date, _require_date(on, "on")))

    def check_at(self, at: date | datetime) -> None:
        """Raise :class:`InvalidLicence` (code ``in_future``) if a date or time of the
        licence lies after ``at``, typically the signing time.

        ``at`` is a local date, or an aware datetime: then licence dates are compared with
        its China-local date (UTC+8; licence dates are local) and times with the instant.
        Raises ``InvalidArgument`` for a naive datetime or another type."""
        instant = at if isinstance(at, datetime) else None
        if instant is None:
            today = _require_date(at, "at")
        elif instant.utcoffset() is None:
            raise InvalidArgument("check_at needs a timezone-aware datetime")
        else:
            try:
                today = instant.astimezone(cn.CN_UTC_OFFSET).date()
            except OverflowError as exc:
                raise InvalidArgument("check_at time is out of range") from exc
        if self._nothing_after(today, instant):
            return
        F = LicenceField
        dated: list[tuple[str, date | None]] = [
            (F.BIRTH_DATE, self.birth_date),
            (F.FIRST_ISSUE_DATE, self.first_issue_date),
            (F.ISSUE_DATE, self.issue_date),
        ]
        for group in (F.DOMESTIC_PRIVILEGES, F.DRIVING_PRIVILEGES):
            privileges = _indexed(group, getattr(self, group))
            dated += ((f"{where}.issue_date", p.issue_date) for where, p in privileges)
        found = [
            (name, Problem.IN_FUTURE, f"after {today}") for name, d in dated if d and d > today
        ]
        for name in (F.PORTRAIT_CAPTURE_DATE, F.POINTS_AS_OF):
            moment: datetime | None = getattr(self, name)
            if moment is None:
                continue
            if moment > instant if instant else moment.astimezone(cn.CN_UTC_OFFSET).date() > today:
                found.append((name, Problem.IN_FUTURE, f"after {at}"))
        _raise_if_any(found)

    def _nothing_after(self, today: date, instant: datetime | None) -> bool:
        """The quick form of check_at: True only if it would find nothing."""
        if self.birth_date > today or self.first_issue_date > today or self.issue_date > today:
            return False
        for privileges in (self.domestic_privileges, self.driving_privileges):
            for privilege in privileges:
                if privilege.issue_date is not None and privilege.issue_date > today:
                    return False
        for moment in (self.portrait_capture_date, self.points_as_of):
            if moment is not None and (
                moment > instant if instant else moment.astimezone(cn.CN_UTC_OFFSET).date() > today
            ):
                return False
        return True

    # -- wire forms (qrseal.licence.wire) --

    @classmethod
    def from_json(cls, obj: Mapping[str, object] | str) -> Licence:
        """Load, normalise and validate a unified-JSON licence (a mapping or JSON text).

        Keys starting with ``_`` are comments and ignored. Normalises text (NFKC and single
        spaces in Latin fields; NFC and U+00B7 middle dots in national-character names; ID
        numbers without spaces or hyphens, upper-cased) and sorts classes into canonical
        order. Raises only :class:`InvalidLicence`."""
        return _wire.read_json(cls, obj)

    def to_json(self) -> dict[str, object]:
        """The unified JSON object (§4.2 names): None fields omitted except ``expiry_date``
        (explicit null = long-term); dates ``YYYY-MM-DD``, times ``YYYY-MM-DDTHH:MM:SSZ``,
        enums by name (``sex`` by number), ``portrait`` in standard base64."""
        return _wire.write_json(self)

    def to_cbor_map(self, fields: frozenset[str] | None = None) -> dict[int, object]:
        """The compact integer-keyed map to sign (§4.5), as plain values for
        ``cbor2.dumps(..., canonical=True)``: dates as tag 100, times as tag 1 (integer
        seconds), enums as integers, key 0 = profile version.

        ``fields`` names the :data:`SELECTABLE_FIELDS` to include (default
        :data:`QR_DEFAULT_FIELDS`); other fields always travel, except values the decoder
        can restore. Raises ``InvalidArgument`` for anything but a set of field names."""
        return _wire.write_cbor(self, fields)

    @classmethod
    def from_cbor_map(cls, obj: object) -> Licence:
        """Strictly decode a compact map as returned by ``cbor2.loads`` (tags 100 and 1
        may arrive as ``CBORTag`` or already as ``date``/``datetime``) and restore the
        derivable fields. Text is taken exactly as signed. Raises only
        :class:`InvalidLicence`; an unknown key is named by its number."""
        return _wire.read_cbor(cls, obj)


def _duplicates(group: str, codes: tuple[str, ...]) -> Iterator[_Found]:
    for i, code in enumerate(codes):
        if code in codes[:i]:
            yield f"{group}[{i}]", Problem.DUPLICATE, f"{code} listed twice"


def _indexed(group: str, items: tuple[_Privilege, ...]) -> Iterator[tuple[str, _Privilege]]:
    return ((f"{group}[{i}]", item) for i, item in enumerate(items))


# The wire forms need the model above; importing them last keeps the cycle harmless.
from . import wire as _wire  # noqa: E402
