"""The licence's data elements as one table: names, compact keys, kinds, which are required
and which travel in the QR view, and the enumerations their values take. Everything else
(validation, the wire forms, the model) is driven by these tables. Section numbers (§)
refer to ``licence-model.md`` (the project's research notes, not shipped); docs/format.md
§5 and §5.4 are the published form of these tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum, IntEnum, StrEnum, auto
from types import MappingProxyType
from typing import Final, NamedTuple

from . import text as licence_text

__all__ = [
    "ALLOW",
    "ALL_FIELDS",
    "CODE",
    "DATE_MAX",
    "DATE_MIN",
    "DOMESTIC",
    "DRIVING",
    "FIELD_ORDER",
    "JSON_REQUIRED",
    "JSON_VIEW_REQUIRED",
    "LICENCE",
    "LIST_KINDS",
    "MODEL_OPTIONAL",
    "PROFILE_VERSIONS",
    "QR_DEFAULT_FIELDS",
    "QR_OMITTED_BY_DEFAULT",
    "SELECTABLE_FIELDS",
    "TEXT_KINDS",
    "TIME_END",
    "TIME_MIN",
    "DocumentNumberType",
    "FieldKind",
    "FieldSpec",
    "JsonView",
    "LicenceField",
    "NamedIntEnum",
    "PointsScheme",
    "Problem",
    "Profile",
    "Sex",
    "Struct",
    "ValidityTerm",
    "json_values",
]

# --- enumerations ------------------------------------------------------------------------


class Profile(StrEnum):
    """The licence profile: it decides required fields and vocabularies (§4.1)."""

    CN = "CN"


#: Compact-form key 0 per profile: unified model v1 read with the current status table.
#: Another status table or layout would get a new number.
PROFILE_VERSIONS: Final[Mapping[int, Profile]] = MappingProxyType({1: Profile.CN})


class Sex(IntEnum):
    """ISO/IEC 5218 (= GB/T 2261.1) sex codes; JSON and CBOR carry the number."""

    NOT_KNOWN = 0
    MALE = 1
    FEMALE = 2
    NOT_APPLICABLE = 9


class NamedIntEnum(IntEnum):
    """An integer enum (compact form) whose JSON form is a name."""

    @property
    def json_name(self) -> str:
        return self.name.lower()


class DocumentNumberType(NamedIntEnum):
    """What ``document_number`` is (§2.3); JSON names are the lower-case member names."""

    OTHER = 0
    CN_RESIDENT_ID = 1
    CN_FOREIGN_PR_ID_2023 = 2
    CN_FOREIGN_PR_ID_2017 = 3
    PASSPORT = 4
    CN_HMT_RESIDENCE_PERMIT = 5
    HK_MACAU_TRAVEL_PERMIT = 6
    TW_TRAVEL_PERMIT = 7


class ValidityTerm(NamedIntEnum):
    """有效期限 type; JSON names ``other``, ``6y``, ``10y``, ``long_term``."""

    OTHER = 0
    SIX_YEARS = 1
    TEN_YEARS = 2
    LONG_TERM = 3

    @property
    def json_name(self) -> str:
        return {1: "6y", 2: "10y"}.get(self.value, self.name.lower())


class PointsScheme(NamedIntEnum):
    """How ``points`` count. The model names ``cn_accumulating_12`` only; the numbers are
    this library's assignment."""

    OTHER = 0
    CN_ACCUMULATING_12 = 1


class JsonView(StrEnum):
    """Which licence JSON an input is: ``record``, what an issuer writes (every field the
    issuer's records hold), or ``qr``, the QR view a verifier reads back (the JSON of a
    verified credential: what travelled, with the derivable fields restored)."""

    RECORD = "record"
    QR = "qr"


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
    # issue 11: warnings before signing something a verifier will refuse to honour
    DOCUMENT_EXPIRED = "document_expired"
    DRIVE_NOT_PERMITTED = "drive_not_permitted"
    DRIVE_CHECK = "drive_check"
    EXPIRES_BEFORE_CREDENTIAL = "expires_before_credential"


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
        return LICENCE.specs[self].key


# --- one table per structure drives type checks, JSON and CBOR ---------------------------


class FieldKind(Enum):
    """What a field holds; it decides the field's checks and its form on each wire."""

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
ALLOW: Final[Mapping[FieldKind, licence_text.AllowList]] = MappingProxyType(
    {
        FieldKind.LATIN_NAME: licence_text.ALLOW_LISTS["latin_name"],
        FieldKind.LATIN_TEXT: licence_text.ALLOW_LISTS["latin_text"],
        FieldKind.LATIN_ID: licence_text.ALLOW_LISTS["latin_id"],
        FieldKind.CODE: licence_text.ALLOW_LISTS["code"],
        FieldKind.NATIONAL: licence_text.ALLOW_LISTS["han_text"],
        FieldKind.NAME: licence_text.ALLOW_LISTS["han_name"],
    }
)
TEXT_KINDS: Final = frozenset(ALLOW)
LIST_KINDS: Final = frozenset({FieldKind.DOMESTIC, FieldKind.DRIVING, FieldKind.CODES})


class FieldSpec(NamedTuple):
    """One field: its compact-map key, its kind and, for an enumeration, its enum."""

    key: int
    kind: FieldKind
    enum: type[IntEnum] | None = None


class Struct(NamedTuple):
    """One structure (the licence, a privilege, a restriction code): its fields in output
    order, by compact key, the required ones and those JSON may give as null."""

    specs: Mapping[str, FieldSpec]  # in output order
    by_key: Mapping[int, str]
    required: frozenset[str]  # must be present and not None in the model
    json_nullable: frozenset[str] = frozenset()


def _struct(
    specs: Mapping[str, FieldSpec], required: Iterable[str], nullable: Iterable[str] = ()
) -> Struct:
    by_key = MappingProxyType({spec.key: name for name, spec in specs.items()})
    return Struct(MappingProxyType(dict(specs)), by_key, frozenset(required), frozenset(nullable))


def _positional(*items: tuple[str, FieldKind]) -> Struct:
    """A sub-structure: keys 1, 2, ... in order; the first member is required."""
    return _struct(
        {name: FieldSpec(i, kind) for i, (name, kind) in enumerate(items, 1)}, items[0][:1]
    )


_K, _F = FieldKind, LicenceField
CODE: Final = _positional(("code", _K.LATIN_ID), ("sign", _K.LATIN_ID), ("value", _K.LATIN_ID))
DOMESTIC: Final = _positional(
    ("class_code", _K.CODE), ("issue_date", _K.DATE), ("probation_end_date", _K.DATE),
    ("codes", _K.CODES),
)  # fmt: skip
DRIVING: Final = _positional(
    ("vehicle_category_code", _K.CODE), ("issue_date", _K.DATE), ("expiry_date", _K.DATE),
    ("codes", _K.CODES),
)  # fmt: skip
_SPECS: Final[Mapping[str, FieldSpec]] = MappingProxyType({
    _F.PROFILE: FieldSpec(0, _K.PROFILE),
    _F.FAMILY_NAME: FieldSpec(1, _K.LATIN_NAME),
    _F.GIVEN_NAME: FieldSpec(2, _K.LATIN_NAME),
    _F.FAMILY_NAME_NATIONAL_CHARACTER: FieldSpec(15, _K.NAME),
    _F.GIVEN_NAME_NATIONAL_CHARACTER: FieldSpec(16, _K.NAME),
    _F.FULL_NAME_NATIONAL_CHARACTER: FieldSpec(29, _K.NAME),
    _F.BIRTH_DATE: FieldSpec(3, _K.DATE),
    _F.SEX: FieldSpec(13, _K.ENUM, Sex),
    _F.NATIONALITY: FieldSpec(14, _K.CODE),
    _F.BIRTH_PLACE: FieldSpec(33, _K.LATIN_TEXT),
    _F.RESIDENT_ADDRESS: FieldSpec(18, _K.LATIN_TEXT),
    _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER: FieldSpec(31, _K.NATIONAL),
    _F.PORTRAIT: FieldSpec(9, _K.BYTES),
    _F.PORTRAIT_CAPTURE_DATE: FieldSpec(32, _K.TIME),
    _F.ISSUING_COUNTRY: FieldSpec(6, _K.CODE),
    _F.ISSUING_JURISDICTION: FieldSpec(17, _K.CODE),
    _F.ISSUING_AUTHORITY: FieldSpec(7, _K.LATIN_TEXT),
    _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER: FieldSpec(30, _K.NATIONAL),
    _F.UN_DISTINGUISHING_SIGN: FieldSpec(11, _K.CODE),
    _F.DOCUMENT_NUMBER: FieldSpec(8, _K.LATIN_ID),
    _F.DOCUMENT_NUMBER_TYPE: FieldSpec(28, _K.ENUM, DocumentNumberType),
    _F.ADMINISTRATIVE_NUMBER: FieldSpec(12, _K.LATIN_ID),
    _F.FIRST_ISSUE_DATE: FieldSpec(19, _K.DATE),
    _F.ISSUE_DATE: FieldSpec(4, _K.DATE),
    _F.EXPIRY_DATE: FieldSpec(5, _K.DATE),
    _F.VALIDITY_TERM: FieldSpec(24, _K.ENUM, ValidityTerm),
    _F.DOMESTIC_PRIVILEGES: FieldSpec(20, _K.DOMESTIC),
    _F.DRIVING_PRIVILEGES: FieldSpec(10, _K.DRIVING),
    _F.POINTS: FieldSpec(21, _K.UINT),
    _F.POINTS_SCHEME: FieldSpec(35, _K.ENUM, PointsScheme),
    _F.POINTS_AS_OF: FieldSpec(23, _K.TIME),
    _F.SCORING_CYCLE_END: FieldSpec(25, _K.DATE),
    _F.STATUS: FieldSpec(22, _K.CODE),
    _F.SUSPENSION_END_DATE: FieldSpec(27, _K.DATE),
    _F.REVIEW_VALID_UNTIL: FieldSpec(26, _K.DATE),
    _F.PHYSICAL_EXAM_DUE: FieldSpec(36, _K.DATE),
})  # fmt: skip
FIELD_ORDER: Final = MappingProxyType({name: i for i, name in enumerate(_SPECS)})

#: Fields the model allows to be None (besides ``expiry_date``, None when long-term).
MODEL_OPTIONAL: Final = frozenset({
    _F.FULL_NAME_NATIONAL_CHARACTER, _F.BIRTH_PLACE, _F.RESIDENT_ADDRESS,
    _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER, _F.PORTRAIT, _F.PORTRAIT_CAPTURE_DATE,
    _F.ISSUING_AUTHORITY, _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER, _F.POINTS_SCHEME,
    _F.POINTS_AS_OF, _F.SCORING_CYCLE_END, _F.SUSPENSION_END_DATE, _F.REVIEW_VALID_UNTIL,
    _F.PHYSICAL_EXAM_DUE,
})  # fmt: skip
LICENCE: Final = _struct(_SPECS, set(_SPECS) - MODEL_OPTIONAL - {_F.EXPIRY_DATE}, {_F.EXPIRY_DATE})
#: Every licence data element.
ALL_FIELDS: Final = frozenset(LicenceField)
#: Elements an issuer may leave out of the compact map (``to_cbor_map(fields=...)``);
#: every other element travels whenever it has a value.
SELECTABLE_FIELDS: Final = MODEL_OPTIONAL - {_F.FULL_NAME_NATIONAL_CHARACTER}
#: Left out of the QR by default: bulky and not needed to decide whether someone may
#: drive (the trust list names the authority; a portrait thumbnail is opt-in, §4.5).
QR_OMITTED_BY_DEFAULT: Final = frozenset({
    _F.RESIDENT_ADDRESS, _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER, _F.ISSUING_AUTHORITY,
    _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER, _F.PORTRAIT,
})  # fmt: skip
#: The default ``fields`` of :meth:`Licence.to_cbor_map`.
QR_DEFAULT_FIELDS: Final = ALL_FIELDS - QR_OMITTED_BY_DEFAULT
#: Required in JSON input although the compact form may leave them out.
JSON_REQUIRED: Final = LICENCE.required | {
    _F.ISSUING_AUTHORITY, _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER,
}  # fmt: skip

#: The fields each JSON view requires (present, and not null except ``expiry_date``).
JSON_VIEW_REQUIRED: Final[Mapping[JsonView, frozenset[str]]] = MappingProxyType(
    {JsonView.RECORD: JSON_REQUIRED, JsonView.QR: LICENCE.required}
)


def json_values(spec: FieldSpec) -> tuple[str | int, ...]:
    """The values an enumerated field (or the profile) takes in JSON, in code order: names
    for a :class:`NamedIntEnum`, numbers for ``sex``, the profile's code. ``()`` for a
    field that is no enumeration. The JSON Schema and the reader's messages use this."""
    if spec.kind is FieldKind.PROFILE:
        return tuple(str(p) for p in Profile)
    if spec.enum is None:
        return ()
    if issubclass(spec.enum, NamedIntEnum):
        return tuple(member.json_name for member in spec.enum)
    return tuple(int(member) for member in spec.enum)


#: The model's date range (a sanity cap, so that date arithmetic on a valid licence cannot
#: overflow) and the matching time range (end exclusive: the day after DATE_MAX).
DATE_MIN: Final = date(1900, 1, 1)
DATE_MAX: Final = date(2999, 12, 31)
TIME_MIN: Final = datetime(1900, 1, 1, tzinfo=UTC)
TIME_END: Final = datetime(3000, 1, 1, tzinfo=UTC)
