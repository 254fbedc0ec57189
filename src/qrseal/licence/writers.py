"""Writing the two wire forms of a licence: the unified JSON object (§4.2) and the compact
integer-keyed CBOR map that is signed into the QR code (§4.5), from any value with the
licence's fields, driven by the field table. Reading them: :mod:`qrseal.licence.wire`.
Reached through ``Licence.to_json``/``to_cbor_map``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import IntEnum
from types import MappingProxyType, SimpleNamespace
from typing import Any, Final

import cbor2

from ..errors import InvalidArgument
from .fields import (
    ALL_FIELDS,
    CODE,
    DOMESTIC,
    DRIVING,
    LICENCE,
    LIST_KINDS,
    PROFILE_VERSIONS,
    QR_DEFAULT_FIELDS,
    SELECTABLE_FIELDS,
    FieldKind,
    NamedIntEnum,
    Struct,
)
from .privileges import DomesticPrivilege, DrivingPrivilege
from .wire import CBOR_EPOCH, derived

__all__ = ["write_cbor", "write_json", "write_json_fields"]

_K = FieldKind
_EPOCH: Final = CBOR_EPOCH
_EPOCH_ORDINAL: Final = CBOR_EPOCH.date().toordinal()
_SECOND: Final = timedelta(seconds=1)
_CBORTag: Final = cbor2.CBORTag
_PROFILE_NUMBERS: Final = MappingProxyType({p: n for n, p in PROFILE_VERSIONS.items()})
_SUBSTRUCTS: Final[dict[FieldKind, Struct]] = {
    _K.CODES: CODE,
    _K.DOMESTIC: DOMESTIC,
    _K.DRIVING: DRIVING,
}


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, NamedIntEnum):
        return value.json_name
    if isinstance(value, IntEnum):
        return int(value)  # sex: the ISO/IEC 5218 number
    return str(value) if isinstance(value, str) else value  # StrEnum -> plain str


def _write_json(struct: Struct, obj: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, spec in struct.specs.items():
        value = getattr(obj, name)
        if value is None and name not in struct.json_nullable:
            continue
        if spec.kind is _K.CODES and not value:
            continue  # absent, never an empty array (CDDL [+ code])
        if spec.kind in LIST_KINDS:
            sub = _SUBSTRUCTS[spec.kind]
            out[name] = [_write_json(sub, item) for item in value]
        else:
            out[name] = None if value is None else _json_value(value)
    return out


def write_json(licence: object) -> dict[str, object]:
    """``Licence.to_json``: None fields omitted except ``expiry_date``."""
    return _write_json(LICENCE, licence)


def write_json_fields(values: Mapping[str, object]) -> dict[str, object]:
    """The unified JSON of some fields (a partial view, §17), by name, in field order;
    other names (age elements) are copied as they are."""
    whole = SimpleNamespace(**{str(name): values.get(name) for name in LICENCE.specs})
    out = {name: value for name, value in _write_json(LICENCE, whole).items() if name in values}
    out.update({name: value for name, value in values.items() if name not in LICENCE.specs})
    return out


def _cbor_date_tag(day: date) -> cbor2.CBORTag:
    return _CBORTag(100, day.toordinal() - _EPOCH_ORDINAL)


def _cbor_value(kind: FieldKind) -> Callable[[Any], object] | None:
    """How a value of ``kind`` is written into the compact map; None: as it is."""
    if kind is _K.DATE:
        return _cbor_date_tag
    if kind is _K.TIME:
        return lambda moment: _CBORTag(1, (moment - _EPOCH) // _SECOND)
    if kind is _K.PROFILE:
        return _PROFILE_NUMBERS.__getitem__
    if kind is _K.ENUM:
        return int
    if kind in LIST_KINDS:
        return lambda items: [_write_positional(item) for item in items]
    return None


def _write_positional(privilege: DomesticPrivilege | DrivingPrivilege) -> dict[int, object]:
    """A privilege as a positional map: dates tagged, None and empty codes left out."""
    if isinstance(privilege, DomesticPrivilege):
        code, other = privilege.class_code, privilege.probation_end_date
    else:
        code, other = privilege.vehicle_category_code, privilege.expiry_date
    issued, codes = privilege.issue_date, privilege.codes
    out: dict[int, object] = {1: code}
    if issued is not None:
        out[2] = _cbor_date_tag(issued)
    if other is not None:
        out[3] = _cbor_date_tag(other)
    if codes:  # absent, never an empty array (CDDL [+ code])
        out[4] = [
            {k: v for k, v in enumerate((c.code, c.sign, c.value), 1) if v is not None}
            for c in codes
        ]
    return out


#: (name, compact key, value writer, selectable) in compact-key order, so that the map is
#: written in deterministic key order (its keys are unsigned ints: numeric order is bytewise).
_CBOR_PLAN: Final = tuple(
    sorted(
        (
            (str(name), spec.key, _cbor_value(spec.kind), name in SELECTABLE_FIELDS)
            for name, spec in LICENCE.specs.items()
        ),
        key=lambda step: step[1],
    )
)


def write_cbor(licence: object, fields: frozenset[str] | None) -> dict[int, object]:
    """``Licence.to_cbor_map``, keys in ascending (deterministic) order; raises
    InvalidArgument for ``fields`` that are not a set of field names."""
    if fields is None:
        fields = QR_DEFAULT_FIELDS
    elif fields is not QR_DEFAULT_FIELDS and (
        not isinstance(fields, set | frozenset) or not fields <= ALL_FIELDS
    ):
        raise InvalidArgument(f"fields must be a set of LicenceField names, not {fields!r}")
    out: dict[int, object] = {}
    values: dict[str, Any] = {}
    for name, key, write, selectable in _CBOR_PLAN:
        value = values[name] = getattr(licence, name)
        if value is None or (selectable and name not in fields):
            continue
        out[key] = value if write is None else write(value)
    for name, key, value in derived(values):
        if values[name] == value:
            out.pop(key, None)
    return out
