"""Strict CBOR (RFC 8949): the one strict decoder configuration and deterministic encoding.

Every CBOR item qrseal reads goes through :func:`strict_loads`: one ``cbor2.CBORDecoder``
set up with ``allow_indefinite=False``, ``allow_duplicate_keys=False``, a depth cap and no
bignums. Deterministic encoding (RFC 8949 §4.2.1) is written by :func:`deterministic_dumps`
and checked by ``strict_loads(..., deterministic=True)``: the rule the issuer encodes with is
the rule the verifier checks.

Lower-level API. Most users want :class:`qrseal.Issuer` and :class:`qrseal.Verifier`.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final, cast

import cbor2

from ..errors import InvalidArgument, MalformedCbor, TooLarge

__all__ = [
    "DETERMINISTIC_RULE",
    "MAX_CBOR_BYTES",
    "MAX_CBOR_DEPTH",
    "bstr",
    "deterministic_dumps",
    "deterministic_order",
    "dumps_in_order",
    "head",
    "is_deterministic",
    "sort_key",
    "strict_loads",
]

#: Default cap on the bytes of one CBOR item (a version 40 QR code holds at most 2,953 bytes).
MAX_CBOR_BYTES: Final = 4096
#: Deepest container nesting accepted anywhere (a licence needs 6 levels).
MAX_CBOR_DEPTH: Final = 16

# Every tag cbor2 would otherwise turn into a Python object (datetime, Decimal, shared
# references, string references, ...) is kept as a plain CBORTag instead, so hostile input
# cannot build cyclic graphs or trigger converter code; layers above decide what a tag means.
_BUILTIN_TAGS: Final = (
    0, 1, 4, 5, 21, 22, 23, 24, 25, 28, 29, 30, 32, 33, 34, 35, 36, 37, 38,
    100, 256, 258, 259, 260, 261, 262, 263, 270, 1004, 55799,
)  # fmt: skip
#: Bignums (RFC 8949 §3.4.3): every integer qrseal reads fits the 64-bit range of major
#: types 0 and 1, and an integer of thousands of digits breaks code that formats it.
_BIGNUM_TAGS: Final = (2, 3)


def _raw_tag(tag: int) -> Callable[[object, bool], cbor2.CBORTag]:
    def keep(value: object, immutable: bool) -> cbor2.CBORTag:
        return cbor2.CBORTag(tag, value)

    return keep


def _refuse_bignum(value: object, immutable: bool) -> object:
    raise ValueError("bignums (tags 2 and 3) are not accepted: integers are at most 64 bits")


_NO_BIGNUMS: Final = MappingProxyType(dict.fromkeys(_BIGNUM_TAGS, _refuse_bignum))
_RAW_TAGS: Final = MappingProxyType(
    {**{tag: _raw_tag(tag) for tag in _BUILTIN_TAGS}, **_NO_BIGNUMS}
)
# How cbor2 writes a float (RFC 8949 §3.3): a double, or a half for NaN and the infinities.
# In data that re-encodes to itself (checked first) with no such bytes anywhere, the
# decoded item holds no float (and no time that was a float in tag 1).
_FLOAT_HEAD: Final = re.compile(b"\xfb|\xf9[\x7c\x7e\xfc]\x00")
# How cbor2 writes an integer beyond 64 bits: tag 2 or 3 over at least 9 bytes. In data that
# re-encodes to itself with no such bytes anywhere, no bignum (tags 2 and 3) occurs: a tag
# 2 or 3 over anything else re-encodes differently.
_BIGNUM_ITEM: Final = re.compile(b"[\xc2\xc3][\x49-\x59]")
#: The message of every ``MalformedCbor`` for an encoding that is not deterministic.
DETERMINISTIC_RULE: Final = (
    "not deterministically encoded (RFC 8949 §4.2.1: shortest heads, sorted keys, "
    "no floats; dates as tag 100 and times as tag 1)"
)


class _OutOfOrder(ValueError):
    """A map whose keys are not in deterministic order (raised inside the decoder)."""


def _unknown_tag(tag: cbor2.CBORTag, immutable: bool) -> cbor2.CBORTag:
    return tag


def _check_map(mapping: Mapping[object, object], immutable: bool) -> Mapping[object, object]:
    # cbor2's object_hook: called by the C decoder for every map, right after decoding it.
    keys: list[Any] = [*mapping]
    try:  # the usual map first: unsigned int keys ascending
        if keys == sorted(keys) and set(map(type, keys)) <= _INT_ONLY and keys[:1] >= [0]:
            return mapping
    except TypeError:  # keys of types that do not compare (int and text): the general rule
        pass
    if not _keys_in_order(keys):
        raise _OutOfOrder("map keys are not in deterministic order")
    return mapping


def strict_loads(
    data: bytes,
    *,
    max_depth: int = MAX_CBOR_DEPTH,
    max_bytes: int = MAX_CBOR_BYTES,
    raw_tags: bool = True,
    deterministic: bool = False,
) -> object:
    """Decode exactly one CBOR data item, strictly.

    Rejects (``MalformedCbor``): indefinite lengths, duplicate map keys, nesting deeper
    than ``max_depth``, truncation, trailing bytes and bignums (tags 2 and 3: every integer
    must fit the 64-bit range of CBOR major types 0 and 1). Raises ``TooLarge`` when
    ``len(data) > max_bytes`` (checked first).

    With ``deterministic`` the bytes must also be exactly what :func:`deterministic_dumps`
    writes for the decoded item (RFC 8949 §4.2.1: shortest heads, map keys in bytewise order
    of their encodings, no floating-point values), else ``MalformedCbor``: the rule the
    issuer encodes with is the rule the verifier checks, in one function.

    With ``raw_tags`` (the default, for anything not yet authenticated) every tag is
    returned as a :class:`cbor2.CBORTag` without interpretation. ``raw_tags=False`` lets
    cbor2 convert the tags it knows (1 -> datetime, 100 -> date, ...; bignums still
    refused): about twice as fast, and meant only for payloads whose signature has been
    verified. With ``deterministic``, a date must then have been tag 100 and a time an
    integer tag 1 (tags 1004 and 0 re-encode differently).
    """
    if len(data) > max_bytes:
        raise TooLarge(
            f"CBOR item of {len(data)} bytes exceeds the cap",
            what="cbor",
            limit=max_bytes,
            actual=len(data),
        )
    try:
        if deterministic and not raw_tags and type(data) is bytes and not _may_hold_bignum(data):
            # One C call, no stream and no semantic decoders: the data must re-encode to
            # itself (checked below), so it holds no bignum (see _BIGNUM_ITEM), and trailing
            # bytes are refused there too.
            value = cbor2.loads(
                data,
                object_hook=_check_map,
                max_depth=max_depth,
                allow_indefinite=False,
                allow_duplicate_keys=False,
            )
        else:
            value = _decode_stream(data, max_depth, raw_tags, deterministic)
    except (cbor2.CBORDecodeError, RecursionError, MemoryError, ValueError, OverflowError) as exc:
        if isinstance(exc, _OutOfOrder) or isinstance(exc.__cause__, _OutOfOrder):
            raise MalformedCbor(DETERMINISTIC_RULE) from exc
        raise MalformedCbor(f"not strictly valid CBOR: {exc}") from exc
    # The map order was checked during the decode (object_hook); the rest of the rule here.
    if deterministic and not (_same_encoding(value, data) and _no_float(value, data)):
        raise MalformedCbor(DETERMINISTIC_RULE)
    return value


def _decode_stream(data: bytes, max_depth: int, raw_tags: bool, deterministic: bool) -> object:
    """The general decode: tags kept raw or bignums refused by semantic decoders, and
    trailing bytes found by the stream position."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream,
        tag_hook=_unknown_tag if raw_tags else None,
        object_hook=_check_map if deterministic else None,
        semantic_decoders=_RAW_TAGS if raw_tags else _NO_BIGNUMS,
        max_depth=max_depth,
        allow_indefinite=False,
        allow_duplicate_keys=False,
    )
    value = decoder.decode()
    if stream.tell() != len(data):
        raise MalformedCbor(f"{len(data) - stream.tell()} trailing bytes after the CBOR item")
    return value


def is_deterministic(value: object, data: bytes) -> bool:
    """Whether ``data`` is what :func:`deterministic_dumps` writes for ``value``, its
    decoding: the same bytes when re-encoded in the decoded key order (so every head was
    shortest, and a converted date or time was tag 100 or an integer tag 1), and every
    map's keys in :func:`sort_key` order with no float anywhere. Checked this way rather
    than by re-encoding a sorted copy: half the cost, the same rule."""
    return _same_encoding(value, data) and _in_order(value)


def _encode_datetime(encoder: cbor2.CBOREncoder, value: object) -> None:
    seconds = cast(datetime, value).timestamp()
    encoder.encode_semantic(1, int(seconds) if seconds.is_integer() else seconds)


def _encode_date(encoder: cbor2.CBOREncoder, value: object) -> None:
    encoder.encode_semantic(100, cast(date, value).toordinal() - _EPOCH_ORDINAL)


_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# What ``datetime_as_timestamp=True`` writes, by hand: cbor2's own date encoders sit in a
# table whose first use imports email, uuid, decimal, fractions and ipaddress (tens of
# milliseconds of start-up for a one-shot ``qrseal verify``).
_TIME_ENCODERS: Final[Mapping[type, Callable[[cbor2.CBOREncoder, object], None]]] = (
    MappingProxyType({datetime: _encode_datetime, date: _encode_date})
)


def _same_encoding(value: object, data: bytes) -> bool:
    try:
        # Tags kept raw re-encode as written; with raw_tags=False, date -> tag 100 and
        # datetime -> tag 1 (an integer when the decoded time has whole seconds).
        return cbor2.dumps(value, encoders=_TIME_ENCODERS) == data
    except (cbor2.CBOREncodeError, TypeError, ValueError, RecursionError):
        return False  # e.g. a cyclic graph built from shared references


def _no_float(value: object, data: bytes) -> bool:
    # Encoded as ``data`` (checked first), every float starts with one of the float heads:
    # the Python walk runs only when such a byte occurs in the data at all.
    if type(data) is bytes and b"\xfb" not in data and b"\xf9" not in data:
        return True  # bytes.__contains__: one C scan each, cheaper than the pattern's search
    return _FLOAT_HEAD.search(data) is None or not _holds_float(value)


def _may_hold_bignum(data: bytes) -> bool:
    """Whether bytes as cbor2 writes a bignum occur in ``data`` (see _BIGNUM_ITEM)."""
    return (b"\xc2" in data or b"\xc3" in data) and _BIGNUM_ITEM.search(data) is not None


def _holds_float(value: object) -> bool:
    """Whether a float, or a time that was a float in tag 1, occurs anywhere in ``value``:
    a walk over the containers only, leaves checked a container at a time."""
    if type(value) not in _CONTAINERS:
        return _is_floatish(value)
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        values: list[object]
        if kind is dict or kind is cbor2.frozendict:
            values = list(cast(Mapping[object, object], item).values())
        elif kind is cbor2.CBORTag:
            values = [cast(cbor2.CBORTag, item).value]
        else:
            values = list(cast(Iterable[object], item))
        kinds = set(map(type, values))
        if float in kinds or (datetime in kinds and any(map(_is_floatish, values))):
            return True
        if not kinds.isdisjoint(_CONTAINERS):
            stack.extend(v for v in values if type(v) in _CONTAINERS)
    return False


def _is_floatish(value: object) -> bool:
    kind = type(value)
    return kind is float or (kind is datetime and cast(datetime, value).microsecond != 0)


_CONTAINERS: Final = frozenset((dict, cbor2.frozendict, list, tuple, cbor2.CBORTag))
_INT_ONLY: Final = frozenset((int,))


def _keys_in_order(keys: list[object]) -> bool:
    if set(map(type, keys)) <= _INT_ONLY:
        # Bytewise order of int encodings: unsigned ascending, then negatives descending.
        ascending = sorted(cast(list[int], keys))
        negatives = bisect.bisect_left(ascending, 0)
        if negatives:
            return keys == ascending[negatives:] + ascending[negatives - 1 :: -1]
        return keys == ascending
    try:
        return keys == sorted(keys, key=sort_key)
    except InvalidArgument:  # a key that is no int, byte or text string
        return False


def _in_order(obj: object) -> bool:
    kind = type(obj)
    values: Iterable[object]
    if kind is dict or kind is cbor2.frozendict:
        mapping = cast(Mapping[object, object], obj)
        if not _keys_in_order(list(mapping)):
            return False
        values = mapping.values()
    elif kind is list or kind is tuple:
        values = cast(Iterable[object], obj)
    elif kind is cbor2.CBORTag:
        values = (cast(cbor2.CBORTag, obj).value,)
    else:
        return kind is not float and not (kind is datetime and cast(datetime, obj).microsecond)
    for item in values:
        sub = type(item)
        if sub in _CONTAINERS:
            if not _in_order(item):
                return False
        elif sub is float or (sub is datetime and cast(datetime, item).microsecond):
            return False  # a float, or a time that was a float in tag 1
    return True


def sort_key(key: object) -> tuple[int, int, bytes]:
    """The RFC 8949 §4.2.1 sort key of a map key: the bytewise order of the encodings. For
    the key types qrseal accepts (ints, byte and text strings) that is: unsigned ints
    ascending, then negative ints by magnitude, then byte strings, then text, each by
    length and then bytes. Raises ``InvalidArgument`` for any other key type."""
    if isinstance(key, str):
        raw = key.encode("utf-8")
        return (3, len(raw), raw)
    if isinstance(key, bytes):
        return (2, len(key), key)
    if isinstance(key, bool) or not isinstance(key, int):
        raise InvalidArgument(f"unsupported map key type {type(key).__name__}")
    return (0, key, b"") if key >= 0 else (1, -1 - key, b"")


def deterministic_order(obj: object) -> object:
    """A copy of ``obj`` whose maps (at every depth) iterate in RFC 8949 §4.2.1 key order.
    Raises ``InvalidArgument`` for a float (qrseal's formats use none) or a map key that is
    not an int, a byte string or a text string."""
    if isinstance(obj, Mapping):
        return {k: deterministic_order(obj[k]) for k in sorted(obj, key=sort_key)}
    if isinstance(obj, list | tuple):
        return [deterministic_order(item) for item in obj]
    if isinstance(obj, cbor2.CBORTag):
        return cbor2.CBORTag(obj.tag, deterministic_order(obj.value))
    if isinstance(obj, float):
        raise InvalidArgument("floating-point values are not used")
    return obj


def head(major: int, argument: int) -> bytes:
    """The head of a CBOR data item (RFC 8949 §3) in preferred serialisation: major type
    ``major`` (0-7) with the unsigned ``argument`` (a length, a tag number, an integer)."""
    top = major << 5
    if argument < 24:
        return bytes((top | argument,))
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes((top | extra,)) + argument.to_bytes(size, "big")
    raise InvalidArgument("a CBOR head argument must be below 2**64")


def bstr(data: bytes) -> bytes:
    """``data`` encoded as a CBOR byte string (its head, then the bytes)."""
    size = len(data)
    if size < 24:
        return bytes((0x40 | size,)) + data
    return (bytes((0x58, size)) if size < 256 else head(2, size)) + data


def dumps_in_order(obj: object) -> bytes:
    """Encode ``obj`` keeping each map's iteration order (ints and lengths are always in
    preferred serialisation). Deterministic when the maps were built in key order."""
    try:
        return cbor2.dumps(obj)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as exc:
        raise InvalidArgument(f"cannot encode as CBOR: {exc}") from exc


def deterministic_dumps(obj: object) -> bytes:
    """Encode with RFC 8949 §4.2.1 core deterministic encoding (for ints, text, bytes,
    bools, null, arrays, maps and tags: preferred serialisation, bytewise-sorted keys)."""
    return dumps_in_order(deterministic_order(obj))
