"""The two wire forms of a :class:`~qrseal.licence.model.Licence`: the unified JSON object
(§4.2) and the compact integer-keyed CBOR map that is signed into the QR code (§4.5).

Internal: reached through ``Licence.from_json``/``to_json``/``from_cbor_map``/
``to_cbor_map``. One table (the licence's field specs) drives everything here.

Compact maps are read in two tiers, like the licence is checked. The quick reader
accepts the shapes the encoder writes (int keys, tag 100/1 or ``date``/``datetime``,
enums as ints, lists of small maps) and hands the values to the licence's quick check;
at the first surprise it gives up and the full reader starts again from the map, naming
every problem with its path. The quick reader never accepts a map the full reader
rejects: it passes text, numbers and bytes through untouched, and the quick check
insists on their exact types, just as the full reader does.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Final, TypeVar

import cbor2

from ..errors import InvalidArgument, InvalidLicence, LicenceProblem
from . import china as cn
from .model import (
    _DATE_MAX,
    _DATE_MIN,
    _ID_TYPES,
    _ITEMS,
    _LICENCE,
    _LIST_KINDS,
    _PROFILE_VERSIONS,
    _TEXT_KINDS,
    _TIME_END,
    _TIME_MIN,
    ALL_FIELDS,
    QR_DEFAULT_FIELDS,
    SELECTABLE_FIELDS,
    DocumentNumberType,
    DomesticPrivilege,
    DrivingPrivilege,
    Licence,
    LicenceField,
    PrivilegeCode,
    Problem,
    Profile,
    _Found,
    _invalid,
    _join,
    _Kind,
    _Named,
    _normalise_text,
    _raise_if_any,
    _Spec,
    _Struct,
)

__all__ = ["read_cbor", "read_json", "write_cbor", "write_json"]

_F = LicenceField
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = _EPOCH.date().toordinal()
_SECOND: Final = timedelta(seconds=1)
#: Required in JSON input although the compact form may leave them out.
_JSON_REQUIRED: Final = _LICENCE.required | {
    _F.ISSUING_AUTHORITY, _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER,
}  # fmt: skip
_COUNTRY, _SIGN, _FULL_NAME = (
    str(_F.ISSUING_COUNTRY), str(_F.UN_DISTINGUISHING_SIGN), str(_F.FULL_NAME_NATIONAL_CHARACTER),
)  # fmt: skip
_JURISDICTION, _FAMILY, _GIVEN = (
    str(_F.ISSUING_JURISDICTION),
    str(_F.FAMILY_NAME_NATIONAL_CHARACTER),
    str(_F.GIVEN_NAME_NATIONAL_CHARACTER),
)
#: Compact key of each field, by plain name.
_COMPACT_KEY: Final = MappingProxyType({str(n): spec.key for n, spec in _LICENCE.specs.items()})
_COUNTRY_KEY, _SIGN_KEY, _FULL_NAME_KEY = (_COMPACT_KEY[n] for n in (_COUNTRY, _SIGN, _FULL_NAME))


def _derived(jurisdiction: object, family: object, given: object) -> list[tuple[str, int, object]]:
    """(name, compact key, value) of the values the compact form leaves out because the
    decoder restores them."""
    out: list[tuple[str, int, object]] = [(_SIGN, _SIGN_KEY, cn.UN_SIGN_DEFAULT)]
    if isinstance(jurisdiction, str) and "-" in jurisdiction:
        out.append((_COUNTRY, _COUNTRY_KEY, jurisdiction.partition("-")[0]))
    if isinstance(family, str) and isinstance(given, str):
        out.append((_FULL_NAME, _FULL_NAME_KEY, family + given))
    return out


# --- entry points ------------------------------------------------------------------------


def read_json(cls: type[Licence], obj: Mapping[str, object] | str) -> Licence:
    """``Licence.from_json``: load, normalise and validate; raises only InvalidLicence."""
    if isinstance(obj, str):
        try:
            obj = json.loads(obj, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise _invalid([("$", Problem.MALFORMED_JSON, f"not JSON: {exc}")]) from exc
    found: list[_Found | LicenceProblem] = []
    values = _read(_JSON, _LICENCE, obj, "", found)
    found += _missing(values, _JSON_REQUIRED, "")
    if values is None or found:
        raise _invalid(found, ordered=True)
    values.setdefault(_F.EXPIRY_DATE, None)
    if values[_F.DOCUMENT_NUMBER_TYPE] in _ID_TYPES | {DocumentNumberType.CN_FOREIGN_PR_ID_2017}:
        values[_F.DOCUMENT_NUMBER] = re.sub("[ -]", "", values[_F.DOCUMENT_NUMBER]).upper()
    order = cn.CLASS_ORDER.index
    values[_F.DOMESTIC_PRIVILEGES] = tuple(
        sorted(values[_F.DOMESTIC_PRIVILEGES], key=lambda p: order(p.class_code))
    )
    return cls(**values)


def write_json(licence: Licence) -> dict[str, object]:
    """``Licence.to_json``."""
    return _write_json(_LICENCE, licence)


def read_cbor(cls: type[Licence], obj: object) -> Licence:
    """``Licence.from_cbor_map``: the quick reader, else the full one (which raises)."""
    values = _quick_read(obj)
    licence = None if values is None else cls._quick(values)
    return licence if licence is not None else _read_cbor_fully(cls, obj)


def write_cbor(licence: Licence, fields: frozenset[str] | None) -> dict[int, object]:
    """``Licence.to_cbor_map``; raises InvalidArgument for ``fields`` that are not a set
    of field names."""
    if fields is None:
        fields = QR_DEFAULT_FIELDS
    elif fields is not QR_DEFAULT_FIELDS and (
        not isinstance(fields, set | frozenset) or not fields <= ALL_FIELDS
    ):
        raise InvalidArgument(f"fields must be a set of LicenceField names, not {fields!r}")
    v = licence.__dict__
    out: dict[int, object] = {}
    for name, key, how, getter, selectable in _CBOR_PLAN:
        value = v[name]
        if value is None or (selectable and name not in fields):
            continue
        if how == _AS_IS:
            out[key] = value
        elif how == _DATE:
            out[key] = _CBORTag(100, value.toordinal() - _EPOCH_ORDINAL)
        elif how == _TIME:
            out[key] = _CBORTag(1, (value - _EPOCH) // _SECOND)
        elif how == _LOOKUP:
            out[key] = _PROFILE_NUMBERS[value] if type(value) is Profile else int(value)
        else:
            out[key] = [_write_positional(getter(item)) for item in value]
    for name, key, value in _derived(v[_JURISDICTION], v[_FAMILY], v[_GIVEN]):
        if v[name] == value:
            out.pop(key, None)
    return out


# --- quick compact reader and writer -------------------------------------------------------

# How a compact value becomes a model value (and back). Text, points and bytes are taken
# as they are: the quick check insists on their exact types.
_AS_IS, _DATE, _LOOKUP, _TIME, _LIST, _UNUSED = range(6)
#: Tag 100 values (days since 1970) of the model's date range.
_DAY_MIN: Final = _DATE_MIN.toordinal() - _EPOCH_ORDINAL
_DAY_MAX: Final = _DATE_MAX.toordinal() - _EPOCH_ORDINAL
#: Tag 1 values (seconds since 1970) of the model's time range.
_SECOND_MIN: Final = (_TIME_MIN - _EPOCH) // _SECOND
_SECOND_END: Final = (_TIME_END - _EPOCH) // _SECOND
_PROFILE_NUMBERS: Final = MappingProxyType({p: n for n, p in _PROFILE_VERSIONS.items()})
_CBORTag: Final = cbor2.CBORTag
_from_ordinal: Final = date.fromordinal
_Entry = tuple[str, int, Any]


def _entry(name: str, spec: _Spec) -> _Entry:
    """(plain name, how, argument) of one field of the compact map."""
    kind = spec.kind
    if kind is _Kind.DATE:
        return name, _DATE, None
    if kind is _Kind.TIME:
        return name, _TIME, None
    if kind is _Kind.PROFILE:
        return name, _LOOKUP, _PROFILE_VERSIONS
    if spec.enum is not None:
        return name, _LOOKUP, MappingProxyType({int(m): m for m in spec.enum})
    if kind is _Kind.DOMESTIC:
        return name, _LIST, DomesticPrivilege._quick
    if kind is _Kind.DRIVING:
        return name, _LIST, DrivingPrivilege._quick
    return name, _AS_IS, None


def _compact_table() -> tuple[_Entry, ...]:
    unused: _Entry = ("", _UNUSED, None)
    table = [unused] * (max(_COMPACT_KEY.values()) + 1)
    for name, spec in _LICENCE.specs.items():
        table[spec.key] = _entry(str(name), spec)
    return tuple(table)


#: Indexed by compact key.
_COMPACT: Final = _compact_table()
_COMPACT_SIZE: Final = len(_COMPACT)
#: Every field None, in field order: the fields a compact map leaves out.
_UNSET: Final = MappingProxyType(dict.fromkeys(map(str, _LICENCE.specs)))
#: (plain name, key, how, item getter of a list, selectable) in field order, for the writer.
_CBOR_PLAN: Final[tuple[tuple[str, int, int, Any, bool], ...]] = tuple(
    (
        str(name),
        spec.key,
        _entry(str(name), spec)[1],
        attrgetter(*_ITEMS[spec.kind][1].specs) if spec.kind in _LIST_KINDS else None,
        name in SELECTABLE_FIELDS,
    )
    for name, spec in _LICENCE.specs.items()
)


def _quick_read(obj: object) -> dict[str, Any] | None:
    """Constructor arguments from a compact map in the encoder's shape, or None at the
    first surprise (then the full reader decides). An absent key reads as None, which
    the quick check refuses for a required field."""
    if type(obj) is not dict:
        return None
    values = _UNSET.copy()
    for key, raw in obj.items():
        # type(): True must not pass for key 1. A null is never a valid compact value.
        if type(key) is not int or raw is None or not 0 <= key < _COMPACT_SIZE:
            return None
        name, how, arg = _COMPACT[key]
        if how:  # not taken as it is
            if how == _DATE:
                if type(raw) is not date:
                    # Tag 100 (days since 1970) in the model's range; inline, as this runs
                    # for most fields a verifier reads.
                    if type(raw) is not _CBORTag or raw.tag != 100:
                        return None
                    if type(days := raw.value) is not int or not _DAY_MIN <= days <= _DAY_MAX:
                        return None
                    raw = _from_ordinal(_EPOCH_ORDINAL + days)
            elif how == _LOOKUP:
                raw = arg.get(raw) if type(raw) is int else None
            elif how == _TIME:
                if type(raw) is not datetime:
                    raw = _tagged_time(raw)
            elif how == _LIST:
                raw = _quick_privileges(arg, raw)
            else:
                return None  # a key the model does not use
            if raw is None:
                return None
        values[name] = raw
    # Restore what the encoder left out: _derived, spelled out (a verifier runs this).
    if _SIGN_KEY not in obj:
        values[_SIGN] = cn.UN_SIGN_DEFAULT
    if _COUNTRY_KEY not in obj and type(area := values[_JURISDICTION]) is str and "-" in area:
        values[_COUNTRY] = area.partition("-")[0]
    if _FULL_NAME_KEY not in obj:
        family, given = values[_FAMILY], values[_GIVEN]
        if type(family) is str and type(given) is str:
            values[_FULL_NAME] = family + given
    return values


def _tagged_date(raw: object) -> date | None:
    if type(raw) is _CBORTag and raw.tag == 100:
        days = raw.value
        if type(days) is int and _DAY_MIN <= days <= _DAY_MAX:
            return _from_ordinal(_EPOCH_ORDINAL + days)
    return None


def _tagged_time(raw: object) -> datetime | None:
    if type(raw) is _CBORTag and raw.tag == 1:
        seconds = raw.value
        if type(seconds) is int and _SECOND_MIN <= seconds < _SECOND_END:
            return _EPOCH + timedelta(0, seconds)
    return None


def _quick_privileges(build: Callable[..., Any], raw: object) -> tuple[Any, ...] | None:
    """Privileges from a list of maps {1: code, 2: date, 3: date, 4: [codes]}, or None."""
    if type(raw) is not list and type(raw) is not tuple:
        return None
    items = []
    for item in raw:
        if type(item) is not dict:
            return None
        code = issued = other = None
        codes: tuple[PrivilegeCode, ...] | None = ()
        for key, value in item.items():
            if type(key) is not int or value is None:
                return None
            if key == 1:
                code = value
            elif key == 4:
                if (codes := _quick_codes(value)) is None:
                    return None
            elif key == 2 or key == 3:
                if type(value) is not date:  # inline, as in _quick_read
                    if type(value) is not _CBORTag or value.tag != 100:
                        return None
                    if type(days := value.value) is not int or not _DAY_MIN <= days <= _DAY_MAX:
                        return None
                    value = _from_ordinal(_EPOCH_ORDINAL + days)
                if key == 2:
                    issued = value
                else:
                    other = value
            else:
                return None
        if (privilege := build(code, issued, other, codes)) is None:
            return None  # also when the code is missing: it is required
        items.append(privilege)
    return tuple(items)


def _quick_codes(raw: object) -> tuple[PrivilegeCode, ...] | None:
    """Codes from a non-empty list of maps {1: code, 2: sign, 3: value}, or None."""
    if (type(raw) is not list and type(raw) is not tuple) or not raw:
        return None
    codes = []
    for item in raw:
        if type(item) is not dict:
            return None
        code = sign = value = None
        for key, part in item.items():
            if type(key) is not int or part is None:
                return None
            if key == 1:
                code = part
            elif key == 2:
                sign = part
            elif key == 3:
                value = part
            else:
                return None
        if (made := PrivilegeCode._quick(code, sign, value)) is None:
            return None  # also when the code is missing: it is required
        codes.append(made)
    return tuple(codes)


def _write_positional(values: tuple[Any, ...]) -> dict[int, object]:
    """A privilege as a positional map: dates tagged, None and empty codes left out."""
    code, issued, other, codes = values
    out: dict[int, object] = {1: code}
    if issued is not None:
        out[2] = _CBORTag(100, issued.toordinal() - _EPOCH_ORDINAL)
    if other is not None:
        out[3] = _CBORTag(100, other.toordinal() - _EPOCH_ORDINAL)
    if codes:  # absent, never an empty array (CDDL [+ code])
        out[4] = [
            {k: v for k, v in enumerate((c.code, c.sign, c.value), 1) if v is not None}
            for c in codes
        ]
    return out


# --- the full readers ----------------------------------------------------------------------


def _read_cbor_fully(cls: type[Licence], obj: object) -> Licence:
    """Decode a compact map reporting every problem; the constructor checks the rest."""
    found: list[_Found | LicenceProblem] = []
    values = _read(_CBOR, _LICENCE, obj, "", found)
    if values is None:
        raise _invalid(found)
    family, given = values.get(_FAMILY), values.get(_GIVEN)
    for name, _, value in _derived(values.get(_JURISDICTION), family, given):
        values.setdefault(name, value)
    values.setdefault(_F.EXPIRY_DATE, None)
    found += _missing(values, _LICENCE.required, "")
    _raise_if_any(found, ordered=True)
    return cls(**values)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    if len(out := dict(pairs)) != len(pairs):
        raise ValueError("duplicate key in JSON object")
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _missing(
    values: Mapping[str, object] | None, required: Iterable[str], path: str
) -> list[_Found]:
    if values is None:
        return []  # already reported: not a mapping
    return [
        (_join(path, name), Problem.REQUIRED, "is required")
        for name in required
        if name not in values
    ]


class _Bad(Exception):
    """Internal: one value cannot be decoded. Always caught inside this module."""

    def __init__(self, code: Problem, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


_T = TypeVar("_T")
_JSON_DATE: Final = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
_JSON_TIME: Final = re.compile(
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})"
)


def _typed(raw: object, wanted: type[_T]) -> _T:
    # Exact type: a bool is not an int here.
    if type(raw) is not wanted:
        raise _Bad(Problem.WRONG_TYPE, f"must be {wanted.__name__}, not {type(raw).__name__}")
    return raw


def _parsed(parse: Callable[[Any], object], raw: object) -> Any:
    try:
        return parse(raw)
    except (ValueError, KeyError, OverflowError) as exc:  # calendar, base64, enum, range
        raise _Bad(Problem.INVALID_VALUE, f"invalid value {raw!r:.40}") from exc


class _JsonForm:
    """Unified JSON: string keys (``_`` keys are comments), names for enums."""

    label = "a JSON object"

    @staticmethod
    def name(key: object, struct: _Struct) -> str | None:
        return key if isinstance(key, str) and key in struct.specs else None

    @staticmethod
    def read(spec: _Spec, raw: object) -> object:
        kind = spec.kind
        if kind in _TEXT_KINDS:
            return _normalise_text(kind, _typed(raw, str))
        if kind is _Kind.DATE or kind is _Kind.TIME:
            text = _typed(raw, str)
            if not (_JSON_DATE if kind is _Kind.DATE else _JSON_TIME).fullmatch(text):
                raise _Bad(Problem.INVALID_VALUE, "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            if kind is _Kind.DATE:
                return _parsed(date.fromisoformat, text)
            return _parsed(lambda t: datetime.fromisoformat(t).astimezone(UTC), text)
        if kind is _Kind.BYTES:
            return _parsed(lambda t: base64.b64decode(t, validate=True), _typed(raw, str))
        if kind is _Kind.PROFILE:
            return _parsed(Profile, _typed(raw, str))
        if spec.enum is not None and issubclass(spec.enum, _Named):
            names = {member.json_name: member for member in spec.enum}
            return _parsed(names.__getitem__, _typed(raw, str))
        number = _typed(raw, int)
        return number if spec.enum is None else _parsed(spec.enum, number)

    @staticmethod
    def write(value: object) -> object:
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        if isinstance(value, _Named):
            return value.json_name
        if isinstance(value, IntEnum):
            return int(value)  # sex: the ISO/IEC 5218 number
        return str(value) if isinstance(value, str) else value  # StrEnum -> plain str


class _CborForm:
    """Compact map: integer keys, tag 100 dates, tag 1 times, enums as integers."""

    label = "a map"

    @staticmethod
    def name(key: object, struct: _Struct) -> str | None:
        # type() rather than isinstance(): True must not pass for key 1.
        return struct.by_key.get(key) if type(key) is int else None

    @staticmethod
    def read(spec: _Spec, raw: object) -> object:
        kind = spec.kind
        if kind in _TEXT_KINDS:
            return _typed(raw, str)
        # cbor2 already turns tags 100 and 1 into date/datetime; other decoders may not.
        if kind is _Kind.DATE:
            if type(raw) is date:
                return raw
            return _parsed(lambda days: _EPOCH.date() + timedelta(days=days), _tag(raw, 100))
        if kind is _Kind.TIME:
            if isinstance(raw, datetime):
                return raw  # the constructor insists on UTC and whole seconds
            return _parsed(lambda seconds: _EPOCH + timedelta(seconds=seconds), _tag(raw, 1))
        if kind is _Kind.BYTES:
            return _typed(raw, bytes)
        number = _typed(raw, int)
        if kind is _Kind.PROFILE:
            return _parsed(_PROFILE_VERSIONS.__getitem__, number)
        return number if spec.enum is None else _parsed(spec.enum, number)


def _tag(raw: object, tag: int) -> int:
    if not isinstance(raw, cbor2.CBORTag) or raw.tag != tag or type(raw.value) is not int:
        raise _Bad(Problem.WRONG_TYPE, f"must be CBOR tag {tag} holding an integer")
    return raw.value


_JSON: Final = _JsonForm()
_CBOR: Final = _CborForm()
_Form = _JsonForm | _CborForm
_Problems = list[_Found | LicenceProblem]


def _read(
    form: _Form, struct: _Struct, obj: object, path: str, found: _Problems
) -> dict[str, Any] | None:
    """Decode one structure into constructor arguments (None if ``obj`` is no mapping);
    problems carry absolute paths."""
    if not isinstance(obj, Mapping):
        found.append((path or "$", Problem.WRONG_TYPE, f"must be {form.label}"))
        return None
    values: dict[str, Any] = {}
    for key, raw in obj.items():
        name = form.name(key, struct)
        if name is None:
            if not (form is _JSON and isinstance(key, str) and key.startswith("_")):
                label = key if isinstance(key, str | int) else f"{key!r:.40}"
                found.append((_join(path, str(label)), Problem.UNKNOWN_FIELD, "unknown field"))
            continue
        spec, where = struct.specs[name], _join(path, name)
        try:
            if raw is None and form is _JSON and name in struct.json_nullable:
                values[name] = None
            elif spec.kind in _LIST_KINDS:
                values[name] = _read_list(form, spec.kind, raw, where, found)
            else:
                values[name] = form.read(spec, raw)
        except _Bad as bad:
            found.append((where, bad.code, bad.message))
    return values


def _read_list(
    form: _Form, kind: _Kind, raw: object, path: str, found: _Problems
) -> tuple[Any, ...]:
    if not isinstance(raw, list | tuple):
        raise _Bad(Problem.WRONG_TYPE, "must be an array")
    if kind is _Kind.CODES and not raw:
        raise _Bad(Problem.EMPTY, "omit codes rather than send an empty array")
    item_type, struct = _ITEMS[kind]
    items = []
    for i, item in enumerate(raw):
        where, before = f"{path}[{i}]", len(found)
        values = _read(form, struct, item, where, found)
        found += _missing(values, struct.required, where)
        if values is not None and len(found) == before:
            try:
                items.append(item_type(**values))
            except InvalidLicence as exc:
                found += (
                    LicenceProblem(_join(where, p.field), p.code, p.message) for p in exc.problems
                )
    return tuple(items)


def _write_json(struct: _Struct, obj: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, spec in struct.specs.items():
        value = getattr(obj, name)
        if value is None and name not in struct.json_nullable:
            continue
        if spec.kind is _Kind.CODES and not value:
            continue  # absent, never an empty array (CDDL [+ code])
        if spec.kind in _LIST_KINDS:
            sub = _ITEMS[spec.kind][1]
            out[name] = [_write_json(sub, item) for item in value]
        else:
            out[name] = None if value is None else _JsonForm.write(value)
    return out
