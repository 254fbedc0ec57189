"""Decoding one value of a licence's wire forms: per kind of field, the decoder of the
unified JSON form (normalised text, ISO dates and times, enums by name) and of the compact
CBOR map (tag 100 dates, tag 1 times, enums by number), each chosen once from the field
table by :mod:`qrseal.licence.wire`, whose readers are the only callers. A decoder returns
the constructor argument or raises :class:`Bad` naming the problem (the reader reports it
with its path); the validator (:mod:`qrseal.licence.rules`) judges the value afterwards.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, TypeVar

import cbor2

from .fields import (
    DATE_MAX,
    DATE_MIN,
    PROFILE_VERSIONS,
    TEXT_KINDS,
    FieldKind,
    FieldSpec,
    Problem,
    Profile,
    json_values,
)
from .rules import normalise_text

__all__ = [
    "CBOR_EPOCH",
    "DAY_MAX",
    "DAY_MIN",
    "EPOCH_ORDINAL",
    "JSON_DATE",
    "JSON_DATE_FORMAT",
    "JSON_TIME",
    "JSON_TIME_FORMAT",
    "Bad",
    "Decode",
    "cbor_decoder",
    "json_decoder",
    "json_lookup",
    "suggest",
]

_K = FieldKind
#: The epoch of tag 1 (times) and tag 100 (dates) in the compact form.
CBOR_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH: Final = CBOR_EPOCH
_EPOCH_DATE: Final = _EPOCH.date()
#: The proleptic ordinal of the compact form's day 0.
EPOCH_ORDINAL: Final = _EPOCH_DATE.toordinal()
#: Tag 100 values (days since 1970) of the model's date range.
DAY_MIN: Final = DATE_MIN.toordinal() - EPOCH_ORDINAL
DAY_MAX: Final = DATE_MAX.toordinal() - EPOCH_ORDINAL
_CBORTag: Final = cbor2.CBORTag
_from_ordinal: Final = date.fromordinal


class Bad(Exception):
    """One value cannot be decoded: ``code`` and ``message`` of the problem. Internal to
    the licence readers, which always catch it."""

    def __init__(self, code: Problem, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


_T = TypeVar("_T")
Decode = Callable[[Any], Any]


def _typed(raw: object, wanted: type[_T]) -> _T:
    # Exact type: a bool is not an int here.
    if type(raw) is not wanted:
        raise Bad(Problem.WRONG_TYPE, f"must be {wanted.__name__}, not {type(raw).__name__}")
    return raw


def _parsed(parse: Callable[[Any], object], raw: object) -> Any:
    try:
        return parse(raw)
    except (ValueError, KeyError, OverflowError) as exc:  # calendar, base64, enum, range
        raise Bad(Problem.INVALID_VALUE, f"invalid value {raw!r:.40}") from exc


def _exactly(wanted: type[Any]) -> Decode:
    def decode(raw: Any) -> Any:
        if type(raw) is wanted:
            return raw
        return _typed(raw, wanted)

    return decode


def _tag(raw: object, tag: int) -> int:
    if not isinstance(raw, cbor2.CBORTag) or raw.tag != tag or type(raw.value) is not int:
        raise Bad(Problem.WRONG_TYPE, f"must be CBOR tag {tag} holding an integer")
    return raw.value


def _cbor_date(raw: Any) -> Any:
    """Tag 100 (days since 1970), or a date cbor2 already made of one."""
    if type(raw) is date:
        return raw
    if type(raw) is _CBORTag and raw.tag == 100:
        days = raw.value
        if type(days) is int and DAY_MIN <= days <= DAY_MAX:
            return _from_ordinal(EPOCH_ORDINAL + days)
    # Out of the model's range (the validator names it) or not a date at all.
    return _parsed(lambda days: _EPOCH_DATE + timedelta(days=days), _tag(raw, 100))


def _cbor_time(raw: Any) -> Any:
    """Tag 1 (integer seconds since 1970), or a datetime cbor2 already made of one."""
    if isinstance(raw, datetime):
        return raw  # the validator insists on UTC and whole seconds
    return _parsed(lambda seconds: _EPOCH + timedelta(seconds=seconds), _tag(raw, 1))


def _cbor_lookup(table: Mapping[int, Any]) -> Decode:
    """An enumeration by number."""

    def decode(raw: Any) -> Any:
        if type(raw) is int and (member := table.get(raw)) is not None:
            return member
        return _parsed(table.__getitem__, _typed(raw, int))

    return decode


def cbor_decoder(spec: FieldSpec) -> Decode:
    """Compact map: tag 100 dates, tag 1 times, enums as integers; text as signed."""
    kind = spec.kind
    if kind in TEXT_KINDS:
        return _exactly(str)
    if kind is _K.DATE:
        return _cbor_date
    if kind is _K.TIME:
        return _cbor_time
    if kind is _K.BYTES:
        return _exactly(bytes)
    if kind is _K.PROFILE:
        return _cbor_lookup(PROFILE_VERSIONS)
    if spec.enum is not None:
        return _cbor_lookup(MappingProxyType({int(m): m for m in spec.enum}))
    return _exactly(int)


#: The JSON spellings of a date and a time (full match), as the JSON Schema states them.
JSON_DATE: Final = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
JSON_TIME: Final = re.compile(
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})"
)
JSON_DATE_FORMAT: Final = "YYYY-MM-DD"
JSON_TIME_FORMAT: Final = "YYYY-MM-DDTHH:MM:SSZ (or an offset +HH:MM instead of Z)"
_SUGGEST_CUTOFF: Final = 0.75
_SUGGEST_MAX_LENGTH: Final = 64  # the longest field name has 36 characters


def suggest(name: str, names: Iterable[str]) -> str | None:
    """The known name ``name`` most likely misspells (difflib), if one is close enough;
    None for a name far longer than any field name (no work for hostile input)."""
    if len(name) > _SUGGEST_MAX_LENGTH:
        return None
    import difflib  # only for messages about bad input: not loaded by verifying

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=_SUGGEST_CUTOFF)
    return close[0] if close else None


def _allowed(values: tuple[str | int, ...]) -> str:
    import json  # only for messages about bad input: not loaded by verifying

    return ", ".join(json.dumps(v) for v in values)


def json_decoder(spec: FieldSpec, nullable: bool) -> Decode:
    """Unified JSON: normalised text, ISO dates and times, enums by name (sex by number)."""
    decode = _json_value_decoder(spec)
    if not nullable:
        return decode
    return lambda raw: None if raw is None else decode(raw)


def _json_value_decoder(spec: FieldSpec) -> Decode:
    kind = spec.kind
    if kind in TEXT_KINDS:
        return lambda raw: normalise_text(kind, _typed(raw, str))
    if kind is _K.DATE or kind is _K.TIME:
        pattern = JSON_DATE if kind is _K.DATE else JSON_TIME
        spelling = JSON_DATE_FORMAT if kind is _K.DATE else JSON_TIME_FORMAT
        what = f"must be a {'date' if kind is _K.DATE else 'time'} {spelling}"

        def when(raw: Any) -> Any:
            if type(raw) is not str:
                raise Bad(Problem.WRONG_TYPE, f"{what}, not {type(raw).__name__}")
            text = raw
            if not pattern.fullmatch(text):
                raise Bad(Problem.INVALID_VALUE, f"{what}, not {text!r:.40}")
            if kind is _K.DATE:
                return _parsed(date.fromisoformat, text)
            return _parsed(lambda t: datetime.fromisoformat(t).astimezone(UTC), text)

        return when
    if kind is _K.BYTES:
        return lambda raw: _parsed(lambda t: base64.b64decode(t, validate=True), _typed(raw, str))
    if kind is _K.PROFILE or spec.enum is not None:
        table, wanted = json_lookup(spec)
        allowed = f"allowed: {_allowed(json_values(spec))}"

        def lookup(raw: Any) -> Any:
            if type(raw) is not wanted:
                message = f"must be {wanted.__name__}, not {type(raw).__name__}; {allowed}"
                raise Bad(Problem.WRONG_TYPE, message)
            if (member := table.get(raw)) is None:
                raise Bad(Problem.INVALID_VALUE, f"invalid value {raw!r:.40}; {allowed}")
            return member

        return lookup
    return lambda raw: _typed(raw, int)


def json_lookup(spec: FieldSpec) -> tuple[dict[Any, Any], type[Any]]:
    """An enumeration's (or the profile's) table from its JSON values (the ones the schema
    lists, :func:`json_values`) to its members, and the JSON type of those values."""
    members: Iterable[Any] = Profile if spec.kind is _K.PROFILE else spec.enum or ()
    table = dict(zip(json_values(spec), members, strict=True))  # private, never handed out
    return table, type(next(iter(table)))
