"""Reading the two wire forms of a licence: the unified JSON object (§4.2) and the compact
integer-keyed CBOR map that is signed into the QR code (§4.5).

One reader turns either form into constructor arguments (privileges already built, so
already checked) and reports every decoding problem with its path; the validator
(:mod:`qrseal.licence.rules`) runs when the licence is constructed, the same for both
forms. One table (the field specs of :mod:`qrseal.licence.fields`) drives it: each
field's decoder (:mod:`qrseal.licence.decoders`) is chosen once, at import, from its
kind, and the shapes the encoder writes are taken inline. The JSON form is also read by
a reader compiled from the same table, which settles the common shapes inline and hands
anything else to the general reader (see "the JSON reader, compiled" below). Writing:
:mod:`qrseal.licence.writers`. Reached through ``Licence.from_json``/``from_cbor_map``.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from enum import IntEnum
from types import MappingProxyType
from typing import Any, Final, NamedTuple, cast

import cbor2

from ..errors import InvalidArgument, InvalidLicence, LicenceProblem
from . import china as cn
from .decoders import (
    CBOR_EPOCH,
    DAY_MAX,
    DAY_MIN,
    EPOCH_ORDINAL,
    JSON_DATE,
    JSON_DATE_FORMAT,
    JSON_TIME,
    JSON_TIME_FORMAT,
    Bad,
    Decode,
    cbor_decoder,
    json_decoder,
    json_lookup,
    suggest,
)
from .fields import (
    ALLOW,
    CODE,
    DOMESTIC,
    DRIVING,
    JSON_VIEW_REQUIRED,
    LICENCE,
    LIST_KINDS,
    PROFILE_VERSIONS,
    TEXT_KINDS,
    DocumentNumberType,
    FieldKind,
    FieldSpec,
    JsonView,
    LicenceField,
    Problem,
    Struct,
)
from .privileges import ITEM_CHECKS, DomesticPrivilege, DrivingPrivilege, PrivilegeCode
from .relations import ID_TYPES
from .rules import Found, StructChecker, invalid, join

__all__ = [
    "CBOR_EPOCH",
    "JSON_DATE",
    "JSON_DATE_FORMAT",
    "JSON_TIME",
    "JSON_TIME_FORMAT",
    "derived",
    "read_cbor",
    "read_cbor_fields",
    "read_json",
    "suggest",
]

_F, _K = LicenceField, FieldKind
_CBORTag: Final = cbor2.CBORTag
_from_ordinal: Final = date.fromordinal
_date: Final = date
_Problems = list[Found | LicenceProblem]

# The fields the compact form leaves out when the decoder can restore them.
_COUNTRY, _SIGN, _FULL_NAME = (
    sys.intern(str(f))
    for f in (_F.ISSUING_COUNTRY, _F.UN_DISTINGUISHING_SIGN, _F.FULL_NAME_NATIONAL_CHARACTER)
)
_JURISDICTION, _FAMILY, _GIVEN = (
    str(_F.ISSUING_JURISDICTION),
    str(_F.FAMILY_NAME_NATIONAL_CHARACTER),
    str(_F.GIVEN_NAME_NATIONAL_CHARACTER),
)
_EXPIRY: Final = sys.intern(str(_F.EXPIRY_DATE))
#: Required names as plain str (hashing a StrEnum member runs Python code).
_REQUIRED: Final = tuple(map(str, LICENCE.required))
_REQUIRED_SET: Final = frozenset(_REQUIRED)
_COUNTRY_KEY, _SIGN_KEY, _FULL_NAME_KEY = (
    LICENCE.specs[n].key for n in (_COUNTRY, _SIGN, _FULL_NAME)
)


def derived(values: Mapping[str, Any]) -> list[tuple[str, int, object]]:
    """(name, compact key, value) of the values the compact form leaves out because the
    decoder restores them: computed from ``values`` by name."""
    out: list[tuple[str, int, object]] = [(_SIGN, _SIGN_KEY, cn.UN_SIGN_DEFAULT)]
    jurisdiction = values.get(_JURISDICTION)
    if type(jurisdiction) is str and "-" in jurisdiction:
        out.append((_COUNTRY, _COUNTRY_KEY, jurisdiction.partition("-")[0]))
    family, given = values.get(_FAMILY), values.get(_GIVEN)
    if type(family) is str and type(given) is str:
        out.append((_FULL_NAME, _FULL_NAME_KEY, family + given))
    return out


# --- one structure -----------------------------------------------------------------------


class _List(NamedTuple):
    """How to read an array field: its item type and the form's table of one item."""

    item: type[Any]
    table: _Table
    codes: bool  # an array of restriction codes: never empty


# How the reader takes a value: inline for the common shapes of the compact form, else
# through the field's decoder (which also names the problem of a value it refuses).
_EXACT, _DATE, _LOOKUP, _CALL, _LIST = range(5)
_Entry = tuple[str, int, Any, Decode | None, "_List | None"]


class _Table(NamedTuple):
    """One structure in one form: key -> (name, how, inline argument, decoder, list)."""

    entries: dict[object, _Entry]  # private, never handed out
    struct: Struct
    json: bool
    label: str


_ITEMS: Final[Mapping[FieldKind, tuple[type[Any], Struct]]] = MappingProxyType({
    _K.CODES: (PrivilegeCode, CODE),
    _K.DOMESTIC: (DomesticPrivilege, DOMESTIC),
    _K.DRIVING: (DrivingPrivilege, DRIVING),
})  # fmt: skip


def _table(struct: Struct, *, json: bool) -> _Table:
    entries: dict[object, _Entry] = {}
    for name, spec in struct.specs.items():
        # Interned: a constructor called with ``**values`` matches interned keyword names
        # by identity; any other str is compared character by character with every name.
        name = sys.intern(str(name))
        key: object = name if json else spec.key
        kind = spec.kind
        if kind in LIST_KINDS:
            item, sub = _ITEMS[kind]
            listed = _List(item, _table(sub, json=json), kind is _K.CODES)
            entries[key] = (name, _LIST, None, None, listed)
        elif json:
            decode = json_decoder(spec, name in struct.json_nullable)
            entries[key] = (name, _CALL, None, decode, None)
        else:
            decode = cbor_decoder(spec)
            if kind in TEXT_KINDS or kind is _K.BYTES or kind is _K.UINT:
                exact = bytes if kind is _K.BYTES else int if kind is _K.UINT else str
                entries[key] = (name, _EXACT, exact, decode, None)
            elif kind is _K.DATE:
                entries[key] = (name, _DATE, None, decode, None)
            elif kind is _K.PROFILE or spec.enum is not None:
                members = dict(PROFILE_VERSIONS) if kind is _K.PROFILE else _members(spec.enum)
                entries[key] = (name, _LOOKUP, members, decode, None)
            else:
                entries[key] = (name, _CALL, None, decode, None)
    label = "a JSON object" if json else "a map"
    return _Table(entries, struct, json, label)  # a dict: get() is faster than on a proxy


def _members(enum: type[IntEnum] | None) -> dict[int, IntEnum]:
    return {int(m): m for m in enum or ()}  # private, never handed out


_JSON: Final = _table(LICENCE, json=True)
#: Required names in licence field order, per view (so "is required" lists read in order).
_VIEW_REQUIRED: Final = MappingProxyType({
    view: tuple(str(name) for name in LICENCE.specs if name in required)
    for view, required in JSON_VIEW_REQUIRED.items()
})  # fmt: skip
_VIEW_REQUIRED_SET: Final = MappingProxyType({
    view: frozenset(required) for view, required in _VIEW_REQUIRED.items()
})  # fmt: skip
_CBOR: Final = _table(LICENCE, json=False)
_ABSENT: Final = object()
_NATIONAL_TEXT: Final = frozenset({_K.NAME, _K.NATIONAL})
_DOCUMENT_NUMBER, _DOCUMENT_NUMBER_TYPE, _DOMESTIC = (
    str(_F.DOCUMENT_NUMBER),
    str(_F.DOCUMENT_NUMBER_TYPE),
    str(_F.DOMESTIC_PRIVILEGES),
)
#: Document types whose number loses its spaces and hyphens and is upper-cased on input.
_CLEANED_NUMBERS: Final = ID_TYPES | {DocumentNumberType.CN_FOREIGN_PR_ID_2017}


def _read(table: _Table, obj: object, path: str, found: _Problems) -> dict[str, Any] | None:
    """Decode one structure into constructor arguments (None if ``obj`` is no mapping);
    problems carry absolute paths."""
    # type() first: an ABC isinstance check costs more than the rest of a small map.
    if type(obj) is not dict and not isinstance(obj, Mapping):
        found.append((path or "$", Problem.WRONG_TYPE, f"must be {table.label}"))
        return None
    values: dict[str, Any] = {}
    entries, is_json = table.entries, table.json
    for key, raw in obj.items():
        # type() for CBOR: True must not pass for key 1.
        known = isinstance(key, str) if is_json else type(key) is int
        entry = entries.get(key) if known else None
        if entry is None:
            if not (is_json and isinstance(key, str) and key.startswith("_")):  # a comment
                label = key if isinstance(key, str | int) else f"{key!r:.40}"
                message = "unknown field"
                if is_json and isinstance(key, str) and (near := suggest(key, map(str, entries))):
                    message = f"unknown field; did you mean {near}?"
                found.append((join(path, str(label)), Problem.UNKNOWN_FIELD, message))
            continue
        name, how, arg, decode, listed = entry
        # Inline, as this runs for every field a verifier reads: the shapes the encoder writes.
        if how == _EXACT:
            if type(raw) is arg:
                values[name] = raw
                continue
        elif how == _DATE:
            if type(raw) is _date:  # cbor2 made it of tag 100 (the validator checks the range)
                values[name] = raw
                continue
            if type(raw) is _CBORTag and raw.tag == 100:
                days = raw.value
                if type(days) is int and DAY_MIN <= days <= DAY_MAX:
                    values[name] = _from_ordinal(EPOCH_ORDINAL + days)
                    continue
        elif how == _LOOKUP and type(raw) is int and (member := arg.get(raw)) is not None:
            values[name] = member
            continue
        try:
            if decode is not None:
                values[name] = decode(raw)
            elif listed is not None:
                values[name] = _read_list(listed, raw, join(path, name), found)
        except Bad as bad:
            found.append((join(path, name), bad.code, bad.message))
    return values


def _read_list(listed: _List, raw: object, path: str, found: _Problems) -> tuple[Any, ...]:
    if type(raw) is not list and not isinstance(raw, list | tuple):
        raise Bad(Problem.WRONG_TYPE, "must be an array")
    if listed.codes and not raw:
        raise Bad(Problem.EMPTY, "omit codes rather than send an empty array")
    items = []
    required = listed.table.struct.required
    for i, item in enumerate(raw):
        where, before = f"{path}[{i}]", len(found)
        values = _read(listed.table, item, where, found)
        if values is None or not required <= values.keys():
            found += _missing(values, required, where, found)
        if values is not None and len(found) == before:
            try:
                items.append(listed.item(**values))
            except InvalidLicence as exc:
                found += (
                    LicenceProblem(join(where, p.field), p.code, p.message) for p in exc.problems
                )
        elif values is not None:  # what could be read still meets its rules: report all
            usable = _usable(values, found[before:], where)
            partial = ITEM_CHECKS[listed.item].partial_problems(usable)
            found += ((join(where, name), code, message) for name, code, message in partial)
    return tuple(items)


def _missing(
    values: Mapping[str, object] | None, required: Iterable[str], path: str, found: _Problems
) -> list[Found]:
    """Required fields absent from ``values``, except those present but unreadable (their
    problem is reported already: "is required" would mislead)."""
    if values is None:
        return []  # already reported: not a mapping
    return [
        (where, Problem.REQUIRED, "is required")
        for name in required
        if name not in values and (where := join(path, name)) not in _reported(found, path)
    ]


def _field_of(problem: Found | LicenceProblem) -> str:
    return problem.field if isinstance(problem, LicenceProblem) else problem[0]


def _reported(found: _Problems, path: str) -> frozenset[str]:
    """The fields directly inside ``path`` that a problem in ``found`` is about."""
    prefix = f"{path}." if path else ""
    return frozenset(
        join(path, re.split(r"[.\[]", field[len(prefix) :], maxsplit=1)[0])
        for problem in found
        if (field := _field_of(problem)).startswith(prefix)
    )


def _usable(values: Mapping[str, Any], found: _Problems, path: str) -> dict[str, Any]:
    """``values`` without the fields a problem was found in (a list that lost an item
    would mislead the rules relating fields)."""
    reported = _reported(found, path)
    return {name: value for name, value in values.items() if join(path, name) not in reported}


# --- the JSON reader, compiled -----------------------------------------------------------
#
# Issuing reads a record per credential, so the JSON form of each structure is also read by
# one straight-line function compiled (on first use) from the same table: per field, a
# test that settles the common shape inline (text already normalised, a date in its one
# spelling, an enum's JSON value) and the field's own decoder for anything else. It never
# judges: whatever is not settled (a decoder's refusal, a missing or unknown field, a
# list item its rules refuse, another mapping type) hands the whole input over to the
# general reader above, which finds and reports every problem exactly as before.


class _Unsettled(Exception):
    """Internal: the compiled reader leaves this input to the general reader."""


#: What hands an input over: the reader's own signal, a decoder's refusal, and the
#: calendar and range errors of a parse inlined below (InvalidLicence of a list item's
#: rules is a ValueError).
_HAND_OVER: Final = (_Unsettled, Bad, ValueError, OverflowError)
_Reader = Callable[[object], dict[str, Any]]


def _inline(spec: FieldSpec) -> tuple[str, str, dict[str, object]] | None:
    """(test, value, names): Python expressions over the raw JSON value ``x`` (names from
    ``names`` in braces) such that when ``test`` holds, the field's decoder returns
    ``value``; None for a kind that always goes through its decoder."""
    kind = spec.kind
    names: dict[str, object]
    if kind in _NATIONAL_TEXT:
        # A full match of the allow-list pattern: normalise_text leaves the text as it is
        # (each allowed character is its own NFKC form and no mark; no other middle dot or
        # whitespace than U+00B7 and single inner spaces: tests/licence/test_licence_text.py).
        names = {"match": ALLOW[kind].quick.fullmatch}
        return "type(x) is str and {match}(x) is not None", "x", names
    if kind in TEXT_KINDS:
        # Printable ASCII without a double space (ASCII is its own NFKC form and has no
        # middle dot; printable: no whitespace but the space), else as above.
        names = {"match": ALLOW[kind].quick.fullmatch}
        ascii_text = 'x.isascii() and x.isprintable() and "  " not in x'
        return f"type(x) is str and ({ascii_text} or {{match}}(x) is not None)", "x", names
    if kind is _K.DATE:
        names = {"match": JSON_DATE.fullmatch, "parse": date.fromisoformat}
        return "type(x) is str and {match}(x) is not None", "{parse}(x)", names
    if kind is _K.TIME:
        names = {"match": JSON_TIME.fullmatch, "parse": datetime.fromisoformat, "UTC": UTC}
        return "type(x) is str and {match}(x) is not None", "{parse}(x).astimezone({UTC})", names
    if kind is _K.PROFILE or spec.enum is not None:
        table, wanted = json_lookup(spec)
        names = {"table": table, "wanted": wanted}
        return "type(x) is {wanted} and (y := {table}.get(x)) is not None", "y", names
    if kind is _K.UINT:
        return "type(x) is int", "x", {}
    return None


def _list_reader(listed: _List) -> Callable[[object], tuple[Any, ...]]:
    """An array of one structure, each item read by its compiled reader and constructed
    (so checked by its rules); anything else is handed over."""
    read, item, codes = (
        _compile_json(listed.table, listed.table.struct.required),
        listed.item,
        listed.codes,
    )

    def read_list(raw: object) -> tuple[Any, ...]:
        if type(raw) is not list or (codes and not raw):
            raise _Unsettled
        if len(raw) == 1:  # the common case, without a list built first
            return (item(**read(raw[0])),)
        return tuple([item(**read(value)) for value in raw])

    return read_list


def _comments_only(obj: dict[Any, Any], entries: dict[object, _Entry]) -> None:
    """Hands over unless every key that is no field is a comment (``_`` first)."""
    for key in obj.keys() - entries.keys():
        if not (type(key) is str and key.startswith("_")):
            raise _Unsettled


def _compile_json(table: _Table, required: frozenset[str]) -> _Reader:
    """The compiled reader of ``table`` (a JSON table) with the fields ``required`` must
    hold: constructor arguments, or :class:`_Unsettled` (or a decoder's refusal) raised."""
    env: dict[str, object] = {
        "_absent": _ABSENT, "_unsettled": _Unsettled, "_comments_only": _comments_only,
        "_entries": table.entries, "dict": dict, "str": str, "int": int, "type": type,
    }  # fmt: skip
    lines = ["def read(obj):", "    if type(obj) is not dict: raise _unsettled", "    get = obj.get",
             "    values = {}"]  # fmt: skip
    for i, (key, (name, _, _, decode, listed)) in enumerate(table.entries.items()):
        lines.append(f"    x = get({key!r}, _absent)")
        if name in required:
            lines += ["    if x is _absent: raise _unsettled", "    if True:"]
        else:
            lines.append("    if x is not _absent:")
        if listed is not None:
            env[f"_{i}_list"] = _list_reader(listed)
            lines.append(f"        values[{name!r}] = _{i}_list(x)")
            continue
        env[f"_{i}_decode"] = decode
        inline = _inline(table.struct.specs[name])
        if inline is None:
            lines.append(f"        values[{name!r}] = _{i}_decode(x)")
            continue
        test, value, names = inline
        env.update({f"_{i}_{n}": v for n, v in names.items()})
        formats = {n: f"_{i}_{n}" for n in names}
        test, value = test.format(**formats), value.format(**formats)
        lines.append(f"        values[{name!r}] = {value} if {test} else _{i}_decode(x)")
    lines += ["    if len(values) != len(obj): _comments_only(obj, _entries)", "    return values"]
    # Source built here from the field table, never from input.
    exec("\n".join(lines), env)  # noqa: S102
    return cast(_Reader, env["read"])


@functools.cache
def _json_reader(required: frozenset[str]) -> _Reader:
    """The compiled reader of a licence whose JSON view requires ``required``."""
    return _compile_json(_JSON, required)


# --- entry points ------------------------------------------------------------------------


def read_json(
    obj: Mapping[str, object] | str,
    *,
    view: JsonView = JsonView.RECORD,
    check: StructChecker | None = None,
) -> dict[str, Any]:
    """Constructor arguments from a unified-JSON licence (a mapping or JSON text), text
    normalised, ID numbers without spaces or hyphens and upper-cased, classes in
    canonical order; raises InvalidLicence listing every problem: with ``check`` (the
    licence validator), also those of the fields that could be read when others could
    not. ``view`` decides the required fields (InvalidArgument for another value)."""
    if isinstance(obj, str):
        import json  # JSON input is not on the verify path; json costs start-up

        try:
            obj = json.loads(obj, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise invalid([("$", Problem.MALFORMED_JSON, f"not JSON: {exc}")]) from exc
    # Before reading (the readers raise nothing else): the view picks the required fields.
    if view not in _VIEW_REQUIRED:
        raise InvalidArgument(f"view must be one of {', '.join(_VIEW_REQUIRED)}, not {view!r:.40}")
    try:
        values = _json_reader(_VIEW_REQUIRED_SET[view])(obj)
    except _HAND_OVER:
        values = _read_json_all(obj, view, check)
    values.setdefault(_EXPIRY, None)
    if values[_DOCUMENT_NUMBER_TYPE] in _CLEANED_NUMBERS:
        values[_DOCUMENT_NUMBER] = (
            values[_DOCUMENT_NUMBER].replace(" ", "").replace("-", "").upper()
        )
    if len(privileges := values[_DOMESTIC]) > 1:
        order = cn.CLASS_ORDER.index
        values[_DOMESTIC] = tuple(sorted(privileges, key=lambda p: order(p.class_code)))
    return values


def _read_json_all(obj: object, view: JsonView, check: StructChecker | None) -> dict[str, Any]:
    """The general reader of a JSON licence: constructor arguments, or InvalidLicence
    listing every problem found."""
    found: _Problems = []
    values = _read(_JSON, obj, "", found)
    found += _missing(values, _VIEW_REQUIRED[view], "", found)
    if values is None or found:
        if values is not None and check is not None:
            found += check.partial_problems(_usable(values, found, ""))
        raise invalid(found, ordered=True)
    return values


def read_cbor(obj: object) -> dict[str, Any]:
    """Constructor arguments from a compact map as ``cbor2.loads`` returns it (tags 100
    and 1 as ``CBORTag`` or already ``date``/``datetime``), the derivable fields restored;
    text exactly as signed. Raises only InvalidLicence."""
    found: _Problems = []
    values = _read(_CBOR, obj, "", found)
    if values is None:
        raise invalid(found)
    for name, _, value in derived(values):
        values.setdefault(name, value)
    values.setdefault(_EXPIRY, None)
    if not values.keys() >= _REQUIRED_SET:
        found += _missing(values, _REQUIRED, "", found)
    if found:
        raise invalid(found, ordered=True)
    return values


def read_cbor_fields(obj: object) -> dict[str, Any]:
    """Constructor arguments by name from the compact map of a partial view (§17): every
    field decoded as :func:`read_cbor` decodes it, the derivable ones restored when what
    they derive from is there, nothing required. Raises only InvalidLicence."""
    found: _Problems = []
    values = _read(_CBOR, obj, "", found)
    if values is None or found:
        raise invalid(found, ordered=True)
    for name, _, value in derived(values):
        if name != _SIGN or values:  # the UN sign is the profile's: shown with any field
            values.setdefault(name, value)
    return values


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    if len(out := dict(pairs)) != len(pairs):
        raise ValueError("duplicate key in JSON object")
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
