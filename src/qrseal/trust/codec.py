"""The payload of a trust list: deterministic CBOR with integer keys (docs/format.md §14.1,
§14.2), :func:`encode_trust_list` and :func:`decode_trust_list`, the one entry decoder.

The decoder checks the CBOR types and builds each entry through
:func:`qrseal.trust.entries.fill_entry`, the builder every entry goes through, so that an
entry's rules live in one place. Decoding never reads the clock and parses no key in the
canonical form (:mod:`qrseal.trust.keyform`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from ..errors import AlgorithmNotAllowed, InvalidArgument, MalformedCbor, MalformedTrustList
from ..wire.cose import Algorithm, PublicKey, dumps_in_order, parse_algorithm, strict_loads
from ..wire.cwt import MAX_NUMERIC_DATE, to_numeric_date
from .entries import (
    ANY,
    MAX_KID,
    MAX_SCOPE,
    MAX_TEXT,
    KeyState,
    TrustListEntry,
    check_scope,
    fill_entry,
)
from .keyform import canonical_form, load_spki, spki_of
from .model import MAX_TRUST_LIST_ENTRIES, TrustList

__all__ = [
    "FORMAT_VERSION",
    "MAX_TRUST_LIST_BYTES",
    "EntryKey",
    "ListKey",
    "decode_trust_list",
    "encode_trust_list",
]

FORMAT_VERSION: Final = 1
#: Cap on a signed trust list (10,000 P-256 entries take about 1.5 MB).
MAX_TRUST_LIST_BYTES: Final = 16 * 1024 * 1024
_MAX_SPKI: Final = 2048  # an ML-DSA-44 SPKI is 1,334 bytes; the EC keys are under 160


class ListKey(IntEnum):
    """Keys of the trust-list map."""

    VERSION = 1
    LIST_ID = 2
    SEQUENCE = 3
    ISSUED_AT = 4
    NEXT_UPDATE = 5
    EXPIRES_AT = 6
    ENTRIES = 7


class EntryKey(IntEnum):
    """Keys of one entry map."""

    KID = 1
    SPKI = 2
    ALG = 3
    ISSUER = 4
    JURISDICTION = 5
    CREDENTIAL_TYPES = 6
    CLASSES = 7
    NOT_BEFORE = 8
    NOT_AFTER = 9
    STATE = 10
    RETIRED_AT = 11
    REVOKED_AT = 12
    COMPROMISED = 13


_ALGORITHMS: Final[Mapping[int, Algorithm]] = MappingProxyType({a.value: a for a in Algorithm})

_ENTRY_KEYS: Final = frozenset(int(k) for k in EntryKey)
_REQUIRED_ENTRY_KEYS: Final = frozenset(int(k) for k in EntryKey if k <= EntryKey.STATE)
_LIST_KEYS: Final = frozenset(int(k) for k in ListKey)
_STATES: Final = tuple(KeyState)
# The entry keys as plain ints: looked up 13 times per entry on the hot path.
_KID, _SPKI, _ALG, _ISSUER, _JURISDICTION, _TYPES, _CLASSES = (int(k) for k in tuple(EntryKey)[:7])
_NOT_BEFORE, _NOT_AFTER, _STATE, _RETIRED_AT, _REVOKED_AT, _COMPROMISED = (
    int(k) for k in tuple(EntryKey)[7:]
)


# --- encoding ---


def _entry_map(e: TrustListEntry) -> dict[int, object]:
    # Built in ascending key order so that dumps_in_order is deterministic (RFC 8949 §4.2.1).
    out: dict[int, object] = {
        _KID: e.kid,
        _SPKI: e.spki,
        _ALG: int(e.algorithm),
        _ISSUER: e.issuer,
        _JURISDICTION: e.jurisdiction,
        _TYPES: sorted(e.credential_types, key=_text_order),
        _CLASSES: sorted(e.classes, key=_text_order),
        _NOT_BEFORE: to_numeric_date(e.not_before),
        _NOT_AFTER: to_numeric_date(e.not_after),
        _STATE: int(e.state),
    }
    if e.retired_at is not None:
        out[_RETIRED_AT] = to_numeric_date(e.retired_at)
    if e.revoked_at is not None:
        out[_REVOKED_AT] = to_numeric_date(e.revoked_at)
    if e.compromised:
        out[_COMPROMISED] = True
    return out


def _text_order(text: str) -> tuple[int, bytes]:
    raw = text.encode("utf-8")
    return (len(raw), raw)


def encode_trust_list(tl: TrustList) -> bytes:
    """The deterministic CBOR payload of ``tl`` (what the root signs)."""
    return dumps_in_order(
        {
            int(ListKey.VERSION): FORMAT_VERSION,
            int(ListKey.LIST_ID): tl.list_id,
            int(ListKey.SEQUENCE): tl.sequence,
            int(ListKey.ISSUED_AT): to_numeric_date(tl.issued_at),
            int(ListKey.NEXT_UPDATE): to_numeric_date(tl.next_update),
            int(ListKey.EXPIRES_AT): to_numeric_date(tl.expires_at),
            int(ListKey.ENTRIES): [_entry_map(e) for e in tl.entries],
        }
    )


# --- decoding ---


def _int(value: object, name: str, low: int = 0, high: int = 2**63 - 1, index: int = -1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedTrustList(f"{_where(index)}{name} is not an integer in [{low}, {high}]")
    return value


def _where(index: int) -> str:
    # Messages are formatted only on failure: decoding 10,000 entries must stay cheap.
    return f"entry {index}: " if index >= 0 else ""


def _date(value: object, name: str, index: int = -1) -> datetime:
    return datetime.fromtimestamp(_int(value, name, 0, MAX_NUMERIC_DATE, index), UTC)


def _text(value: object, name: str, index: int = -1) -> str:
    if type(value) is not str or not 0 < len(value) <= MAX_TEXT:
        raise MalformedTrustList(f"{_where(index)}{name} is not text of 1 to {MAX_TEXT} chars")
    return value


def _bytes(value: object, name: str, limit: int, index: int) -> bytes:
    if type(value) is not bytes or not 0 < len(value) <= limit:
        raise MalformedTrustList(f"{_where(index)}{name} is not a byte string of 1 to {limit}")
    return value


def _texts(value: object, name: str, index: int) -> frozenset[str]:
    if value == []:  # the common "any" case
        return ANY
    if not isinstance(value, list | tuple):
        raise MalformedTrustList(f"{_where(index)}{name} is not an array")
    # Types first: frozenset() would raise TypeError on an unhashable item.
    if any(type(v) is not str for v in value) or len(frozenset(value)) != len(value):
        raise MalformedTrustList(f"{_where(index)}{name} must list distinct texts")
    try:
        return check_scope(frozenset(value), name)
    except InvalidArgument as exc:
        raise MalformedTrustList(f"{_where(index)}{exc.message}") from exc


class _Decoding:
    """Per-list caches: entries of one list share most times and scope arrays, so each
    distinct value is checked and built once (datetimes and frozensets are immutable)."""

    __slots__ = ("dates", "texts")

    def __init__(self) -> None:
        self.dates: dict[object, datetime] = {}
        self.texts: dict[tuple[object, ...], frozenset[str]] = {(): ANY}

    def date(self, value: object, name: str, index: int) -> datetime:
        # Only ints reach the cache: True == 1 and 1.0 == 1 must not hit a cached 1.
        if type(value) is int:
            cached = self.dates.get(value)
            if cached is not None:
                return cached
            made = self.dates[value] = _date(value, name, index)
            return made
        return _date(value, name, index)  # raises

    def scope(self, value: object, name: str, index: int) -> frozenset[str]:
        if type(value) is list and len(value) <= MAX_SCOPE:
            try:
                cached = self.texts.get(tuple(value))
            except TypeError:  # an unhashable item: _texts refuses it
                cached = None
            # A hit equals a checked array of exact strs, item for item.
            if cached is not None:
                return cached
            made = self.texts[tuple(value)] = _texts(value, name, index)
            return made
        return _texts(value, name, index)


def _decode_entry(item: object, index: int, cache: _Decoding) -> TrustListEntry:
    # Hot path of loading a list: only the CBOR types are checked here (messages formatted
    # only on failure) and the key only structurally (keyform.canonical_form); the rules of
    # an entry are fill_entry's, as for an entry an issuer builds.
    if type(item) is not dict and not isinstance(item, Mapping):
        raise MalformedTrustList(f"entry {index} is not a map")
    if not _REQUIRED_ENTRY_KEYS <= item.keys() <= _ENTRY_KEYS:
        raise MalformedTrustList(f"entry {index} has unknown or missing keys")
    raw_alg = item[_ALG]
    alg = _ALGORITHMS.get(raw_alg) if type(raw_alg) is int else None
    if alg is None:
        try:
            alg = parse_algorithm(raw_alg)
        except AlgorithmNotAllowed as exc:
            raise MalformedTrustList(f"entry {index}: {exc.message}") from exc
    spki = item[_SPKI]
    if type(spki) is not bytes or not 0 < len(spki) <= _MAX_SPKI:
        spki = _bytes(spki, "key", _MAX_SPKI, index)
    key: PublicKey | None = None
    if not canonical_form(spki, alg):
        # Another valid form (a compressed point, say) or a bad key: OpenSSL decides, and
        # the entry keeps the key in cryptography's form.
        key = load_spki(spki, alg, _where(index))
        spki = spki_of(key)
    raw_state = item[_STATE]
    if type(raw_state) is not int or not 0 <= raw_state < len(_STATES):
        raw_state = _int(raw_state, "state", 0, len(_STATES) - 1, index)
    issuer = item[_ISSUER]
    if type(issuer) is not str:
        issuer = _text(issuer, "issuer", index)
    jurisdiction = item[_JURISDICTION]
    if type(jurisdiction) is not str:
        jurisdiction = _text(jurisdiction, "jurisdiction", index)
    kid = item[_KID]
    if type(kid) is not bytes:
        kid = _bytes(kid, "kid", MAX_KID, index)
    compromised = item.get(_COMPROMISED, False)
    if compromised is not False and compromised is not True:
        raise MalformedTrustList(f"entry {index}: compromised is not a boolean")
    entry: TrustListEntry = object.__new__(TrustListEntry)
    try:
        fill_entry(
            entry,
            key,
            spki,
            issuer,
            jurisdiction,
            cache.date(item[_NOT_BEFORE], "not_before", index),
            cache.date(item[_NOT_AFTER], "not_after", index),
            kid,
            alg,
            cache.scope(item[_TYPES], "credential types", index),
            cache.scope(item[_CLASSES], "classes", index),
            _STATES[raw_state],
            cache.date(item[_RETIRED_AT], "retired_at", index) if _RETIRED_AT in item else None,
            cache.date(item[_REVOKED_AT], "revoked_at", index) if _REVOKED_AT in item else None,
            compromised,
        )
    except InvalidArgument as exc:
        raise MalformedTrustList(f"entry {index}: {exc.message}") from exc
    return entry


def decode_trust_list(payload: bytes, *, max_bytes: int = MAX_TRUST_LIST_BYTES) -> TrustList:
    """Decode a trust-list payload (call only on verified bytes, or on your own drafts).
    Raises ``MalformedTrustList`` or ``TooLarge``."""
    try:
        item = strict_loads(payload, max_bytes=max_bytes, max_depth=4)
    except MalformedCbor as exc:
        raise MalformedTrustList(f"payload is not strict CBOR: {exc.message}") from exc
    if not isinstance(item, Mapping) or set(item) != _LIST_KEYS:
        raise MalformedTrustList("trust list is not a map with exactly the keys 1 to 7")
    version = item[ListKey.VERSION]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise MalformedTrustList(f"unsupported trust-list format version {version!r}")
    raw_entries = item[ListKey.ENTRIES]
    if not isinstance(raw_entries, list | tuple) or len(raw_entries) > MAX_TRUST_LIST_ENTRIES:
        raise MalformedTrustList(f"entries is not an array of at most {MAX_TRUST_LIST_ENTRIES}")
    cache = _Decoding()
    entries = tuple(_decode_entry(e, i, cache) for i, e in enumerate(raw_entries))
    try:
        return TrustList(
            list_id=_text(item[ListKey.LIST_ID], "list id"),
            sequence=_int(item[ListKey.SEQUENCE], "sequence"),
            issued_at=_date(item[ListKey.ISSUED_AT], "issued_at"),
            next_update=_date(item[ListKey.NEXT_UPDATE], "next_update"),
            expires_at=_date(item[ListKey.EXPIRES_AT], "expires_at"),
            entries=entries,
        )
    except InvalidArgument as exc:
        raise MalformedTrustList(exc.message) from exc
