"""Signed trust lists: the issuer keys a verifier app carries offline (docs/format.md §14).

A trust list is a COSE_Sign1 (protected ``typ`` = :data:`TRUST_LIST_TYPE`) over a CBOR map
with integer keys, signed by a root key that the verifier app pins. Each entry names one
issuer key, what it may sign (jurisdiction, credential types, licence classes), when, and its
state (active, retired = verify-only, revoked, optionally compromised).

Verifier side: :func:`verify_trust_list`, :class:`TrustListStore` (rollback-proof, atomically
persisted) and :meth:`TrustList.to_trust_store`, whose keys carry their entries so that the
:class:`~qrseal.verifier.Verifier` enforces them (:func:`check_entry_state` right after the
signature, :func:`check_entry_scope` once the licence is decoded; :func:`check_entry` does
both). Issuer side:
:func:`new_trust_list`, the :class:`TrustList` edit methods, :func:`sign_trust_list`.
Time is always an argument; nothing here reads the clock.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

from ..errors import (
    AlgorithmNotAllowed,
    InvalidArgument,
    KeyNotAuthorised,
    KeyNotValidAtTime,
    KeyRevoked,
    MalformedCbor,
    MalformedTrustList,
    SignatureInvalid,
    StorageFailed,
    TooLarge,
    TrustListMismatch,
    TrustListMissing,
    TrustListRollback,
    TrustListSequenceJump,
    UnknownKey,
)
from ..wire.cose import (
    Algorithm,
    HeaderLabel,
    PublicKey,
    check_key_algorithm,
    decode_sign1,
    dumps_in_order,
    encode_sign1,
    parse_algorithm,
    strict_loads,
    verify_sign1,
)
from ..wire.cwt import MAX_NUMERIC_DATE, require_utc, to_numeric_date
from ..wire.keys import (
    LocalSigner,
    PrivateKey,
    Signer,
    generate_private_key,
    key_identity,
)
from .store import ListValidity, PinnedRoot, TrustedKey, TrustStore

__all__ = [
    "DRIVING_LICENCE",
    "MAX_SEQUENCE_JUMP",
    "MAX_TRUST_LIST_BYTES",
    "MAX_TRUST_LIST_ENTRIES",
    "TRUST_LIST_ALGORITHMS",
    "TRUST_LIST_TYPE",
    "EntryKey",
    "Freshness",
    "KeyState",
    "ListKey",
    "PinnedRoot",
    "TrustList",
    "TrustListEntry",
    "TrustListStore",
    "check_entry",
    "check_entry_scope",
    "check_entry_state",
    "decode_trust_list",
    "encode_trust_list",
    "generate_issuer_key",
    "generate_root_key",
    "load_trust_list",
    "new_trust_list",
    "read_regular_file",
    "sign_trust_list",
    "verify_trust_list",
    "write_atomic",
]

#: Protected ``typ`` (COSE label 16) of a signed trust list.
TRUST_LIST_TYPE: Final = "application/qrseal-trustlist+cbor"
#: The credential type of the static driving licence (``DL1:`` texts).
DRIVING_LICENCE: Final = "DL"
FORMAT_VERSION: Final = 1
#: Cap on a signed trust list (10,000 P-256 entries take about 1.5 MB).
MAX_TRUST_LIST_BYTES: Final = 16 * 1024 * 1024
MAX_TRUST_LIST_ENTRIES: Final = 100_000
#: Default cap on how far one update may raise the held sequence number (a publisher adds 1
#: per version: a million versions is one a minute for two years of an app offline). Without
#: a cap, one list numbered 2**63 - 1 would lock out every later list of its root.
MAX_SEQUENCE_JUMP: Final = 1 << 20
_MAX_TEXT: Final = 256
_MAX_KID: Final = 32
_MAX_SPKI: Final = 1024
_MAX_SCOPE: Final = 64
#: Algorithms a root may sign a trust list with.
TRUST_LIST_ALGORITHMS: Final = frozenset({Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA})
_ANY: Final[frozenset[str]] = frozenset()


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


class KeyState(IntEnum):
    """An entry's state. Retired keys verify only what they signed before ``retired_at``."""

    ACTIVE = 0
    RETIRED = 1
    REVOKED = 2


class Freshness(StrEnum):
    """How current a trust list is at a given time."""

    FRESH = "fresh"  # before next_update
    STALE = "stale"  # past next_update: fetch a new one when online; still usable
    EXPIRED = "expired"  # past expires_at: refused unless a grace period is allowed


_PUBLIC_TYPES: Final = (ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


@dataclass(frozen=True, slots=True)
class TrustListEntry:
    """One issuer key in a trust list. ``kid`` defaults to :func:`qrseal.wire.keys.kid_for`,
    ``algorithm`` to the key's one algorithm. Empty ``credential_types``/``classes`` mean
    "any". Times are whole seconds in UTC once encoded. Raises ``InvalidArgument``.

    An entry decoded from a list holds its key as checked DER (see :func:`_spki_form`) and
    builds ``public_key`` on first use: loading a 10,000-entry list parses no key.
    """

    public_key: PublicKey
    issuer: str
    jurisdiction: str
    not_before: datetime
    not_after: datetime
    kid: bytes = b""
    algorithm: Algorithm = None  # type: ignore[assignment]  # filled in __post_init__
    credential_types: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    state: KeyState = KeyState.ACTIVE
    retired_at: datetime | None = None
    revoked_at: datetime | None = None
    compromised: bool = False
    # The key's DER SubjectPublicKeyInfo as cryptography writes it (one encoding per key,
    # so equal bytes mean equal keys): what is encoded, and what public_key is built from.
    _spki: bytes = field(init=False, repr=False, compare=False)

    if not TYPE_CHECKING:  # typed as the field public_key; mypy must not see a __getattr__

        def __getattr__(self, name: str) -> object:
            # Runs only for an unset slot: public_key of an entry decoded from a list.
            if name != "public_key":
                raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")
            key = _load_spki(self._spki, self.algorithm)
            object.__setattr__(self, "public_key", key)
            return key

    def __post_init__(self) -> None:
        try:
            alg, kid = key_identity(self.public_key, self.algorithm, self.kid)
        except AlgorithmNotAllowed as exc:
            raise InvalidArgument(exc.message) from exc
        object.__setattr__(self, "algorithm", alg)
        object.__setattr__(self, "kid", kid)
        object.__setattr__(self, "_spki", _spki(self.public_key))
        if len(self.kid) > _MAX_KID:
            raise InvalidArgument(f"kid longer than {_MAX_KID} bytes")
        for name in ("issuer", "jurisdiction"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
                raise InvalidArgument(f"{name} must be non-empty text")
        for name in ("credential_types", "classes"):
            items = frozenset(getattr(self, name))
            if len(items) > _MAX_SCOPE or any(not isinstance(i, str) or not i for i in items):
                raise InvalidArgument(f"{name} must be at most {_MAX_SCOPE} non-empty strings")
            object.__setattr__(self, name, items)
        for name in ("not_before", "not_after", "retired_at", "revoked_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, name))
        if self.not_after < self.not_before:
            raise InvalidArgument("not_after is before not_before")
        state = KeyState(self.state)
        object.__setattr__(self, "state", state)
        # A revoked key may keep the retirement time it had before it was revoked.
        if (state is KeyState.RETIRED and self.retired_at is None) or (
            state is KeyState.ACTIVE and self.retired_at is not None
        ):
            raise InvalidArgument(
                "retired_at is required for a retired key, refused for an active one"
            )
        if (state is KeyState.REVOKED) != (self.revoked_at is not None):
            raise InvalidArgument("revoked_at is required for, and only for, a revoked key")
        if self.compromised and state is not KeyState.REVOKED:
            raise InvalidArgument("only a revoked key can be flagged compromised")

    @property
    def signing_cutoff(self) -> datetime | None:
        """The first moment the key may no longer sign (retirement or revocation)."""
        retired_at, revoked_at = self.retired_at, self.revoked_at
        if retired_at is None or revoked_at is None:
            return revoked_at if retired_at is None else retired_at
        return min(retired_at, revoked_at)

    def to_trusted_key(self) -> TrustedKey:
        """The entry as a :class:`qrseal.trust.store.TrustedKey` that carries it (``entry``), so
        that the verifier applies :func:`check_entry` to what the key signed
        (:meth:`TrustedKey.for_entry <qrseal.trust.store.TrustedKey.for_entry>`)."""
        return TrustedKey.for_entry(self)


def _covers(allowed: str, jurisdiction: str | None) -> bool:
    # "CN" (a country) covers "CN" and every "CN-xx"; "CN-SC" covers only itself.
    if jurisdiction is None:
        return "-" not in allowed
    return jurisdiction == allowed or (
        "-" not in allowed
        and jurisdiction.startswith(allowed)
        and jurisdiction[len(allowed)] == "-"
    )


def check_entry_state(entry: TrustListEntry, *, signed_at: datetime | None) -> None:
    """Check that ``entry``'s key could sign at ``signed_at`` (the credential's ``iat``).

    Returns None or raises, in this order: ``KeyRevoked`` (compromised: always; revoked:
    signed at or after ``revoked_at``), ``KeyNotValidAtTime`` (outside the window, or at or
    after retirement). ``signed_at`` None checks only what needs no time (compromised): a
    verifier does that before it decodes the payload.
    """
    if signed_at is not None and signed_at.tzinfo is not UTC:
        signed_at = require_utc(signed_at, "signed_at")
    if entry.compromised or (
        signed_at is not None and entry.revoked_at is not None and signed_at >= entry.revoked_at
    ):
        raise KeyRevoked(
            f"key {entry.kid.hex()} was revoked" + (" (compromised)" if entry.compromised else ""),
            kid=entry.kid,
            revoked_at=entry.revoked_at,
            compromised=entry.compromised,
            signed_at=signed_at,
        )
    if signed_at is None:
        return
    if not entry.not_before <= signed_at <= entry.not_after or (
        entry.retired_at is not None and signed_at >= entry.retired_at
    ):
        raise KeyNotValidAtTime(
            f"key {entry.kid.hex()} may not sign at {signed_at.isoformat()}",
            kid=entry.kid,
            at=signed_at,
        )


def check_entry_scope(
    entry: TrustListEntry,
    *,
    jurisdiction: str | None,
    credential_type: str,
    classes: Iterable[str],
) -> None:
    """Check that ``entry``'s key may sign this credential: raises ``KeyNotAuthorised`` when
    the jurisdiction is not covered, or the credential type or a licence class is not listed.
    ``jurisdiction`` None (not stated) is covered only by a country-level entry."""
    kid = entry.kid
    if not _covers(entry.jurisdiction, jurisdiction):
        raise KeyNotAuthorised(
            f"key {kid.hex()} may sign for {entry.jurisdiction}, not {jurisdiction}",
            kid=kid,
            scope="jurisdiction",
            value=jurisdiction,
        )
    if entry.credential_types and credential_type not in entry.credential_types:
        raise KeyNotAuthorised(
            f"key {kid.hex()} may not sign {credential_type!r} credentials",
            kid=kid,
            scope="credential_type",
            value=credential_type,
        )
    if entry.classes:
        for code in classes:
            if code not in entry.classes:
                raise KeyNotAuthorised(
                    f"key {kid.hex()} may not sign licence class {code}",
                    kid=kid,
                    scope="class",
                    value=code,
                )


def check_entry(
    entry: TrustListEntry,
    *,
    signed_at: datetime,
    jurisdiction: str | None,
    credential_type: str,
    classes: Iterable[str],
) -> None:
    """Check that ``entry``'s key could sign this credential at ``signed_at`` (its ``iat``):
    :func:`check_entry_state`, then :func:`check_entry_scope` (docs/format.md §14.4).

    Returns None or raises, in this order: ``KeyRevoked`` (compromised: always; revoked:
    signed at or after ``revoked_at``), ``KeyNotValidAtTime`` (outside the window, or at or
    after retirement), ``KeyNotAuthorised`` (jurisdiction not covered, credential type or a
    licence class not listed). ``jurisdiction`` None (not stated) is covered only by a
    country-level entry. The :class:`~qrseal.verifier.Verifier` runs both halves itself for
    keys that carry an entry.
    """
    check_entry_state(entry, signed_at=signed_at)
    check_entry_scope(
        entry, jurisdiction=jurisdiction, credential_type=credential_type, classes=classes
    )


@dataclass(frozen=True, slots=True)
class TrustList:
    """One version of a trust list (immutable). Edit methods return a new list with the same
    sequence number; :meth:`next_version` makes the version to publish."""

    list_id: str
    sequence: int
    issued_at: datetime
    next_update: datetime
    expires_at: datetime
    entries: tuple[TrustListEntry, ...] = ()
    _by_kid: Mapping[bytes, tuple[TrustListEntry, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.list_id or len(self.list_id) > _MAX_TEXT:
            raise InvalidArgument("list_id must be non-empty text")
        if isinstance(self.sequence, bool) or not 0 <= self.sequence <= 2**63 - 1:
            raise InvalidArgument("sequence must be a non-negative integer")
        for name in ("issued_at", "next_update", "expires_at"):
            object.__setattr__(self, name, require_utc(getattr(self, name), name))
        if not self.issued_at <= self.next_update <= self.expires_at:
            raise InvalidArgument("times must satisfy issued_at <= next_update <= expires_at")
        entries = tuple(self.entries)
        if len(entries) > MAX_TRUST_LIST_ENTRIES:
            raise InvalidArgument(f"more than {MAX_TRUST_LIST_ENTRIES} entries")
        by_kid: dict[bytes, tuple[TrustListEntry, ...]] = {}
        for entry in entries:
            if not isinstance(entry, TrustListEntry):
                raise InvalidArgument("entries must be TrustListEntry values")
            kid = entry.kid
            same = by_kid.get(kid)
            if same is None:
                by_kid[kid] = (entry,)
                continue
            # Equal SPKI bytes <=> equal keys (one encoding per key), with no key parsed.
            if any(other._spki == entry._spki for other in same):
                raise InvalidArgument(f"key {kid.hex()} is listed twice")
            by_kid[kid] = (*same, entry)
        object.__setattr__(self, "entries", entries)
        object.__setattr__(self, "_by_kid", MappingProxyType(by_kid))

    def entries_for(self, kid: bytes) -> tuple[TrustListEntry, ...]:
        """Every entry with this ``kid`` (several keys may share one)."""
        return self._by_kid.get(kid, ())

    def entry_for(self, key: TrustedKey) -> TrustListEntry:
        """The entry a :class:`TrustedKey` from :meth:`to_trust_store` came from."""
        for entry in self._by_kid.get(key.kid, ()):
            # The identity test spares parsing the keys of a key made from this list.
            if entry is key.entry or (
                entry.issuer == key.issuer and entry.public_key == key.public_key
            ):
                return entry
        raise UnknownKey(f"no entry for key {key.kid.hex()}", kid=key.kid)

    def freshness(self, now: datetime) -> Freshness:
        """FRESH before ``next_update``, STALE until ``expires_at``, then EXPIRED."""
        now = require_utc(now)
        if now >= self.expires_at:
            return Freshness.EXPIRED
        return Freshness.STALE if now >= self.next_update else Freshness.FRESH

    def validity(
        self, *, grace: timedelta = timedelta(0), root: PinnedRoot | None = None
    ) -> ListValidity:
        """When the list may be used: until ``expires_at + grace``, and while ``root`` (the
        pinned root that signed it, when known) is valid."""
        return ListValidity(self.list_id, self.sequence, self.expires_at, grace, root)

    def check_current(self, *, now: datetime, grace: timedelta = timedelta(0)) -> None:
        """Raise ``TrustListExpired`` when ``now >= expires_at + grace``."""
        self.validity(grace=grace).check(now)

    def to_trust_store(
        self, *, grace: timedelta = timedelta(0), root: PinnedRoot | None = None
    ) -> TrustStore:
        """Every key of the list, each carrying its entry (see
        :meth:`TrustListEntry.to_trusted_key`), as a :class:`TrustStore` that carries the
        list's :meth:`validity`: a :class:`~qrseal.verifier.Verifier` refuses everything
        (``trust_list_expired``) from ``expires_at + grace`` on, and, with ``root``, once
        that root's window ended (``key_not_valid_at_time``). Revoked and compromised keys
        stay in, so that the verifier refuses what they signed with ``key_revoked`` rather
        than ``unknown_key``."""
        return TrustStore(
            (e.to_trusted_key() for e in self.entries),
            validity=self.validity(grace=grace, root=root),
        )

    # --- issuer side: edits ------------------------------------------------------------

    def with_entries(self, *entries: TrustListEntry) -> TrustList:
        """A copy with ``entries`` added."""
        return replace(self, entries=(*self.entries, *entries))

    def _replace_one(
        self, kid: bytes, public_key: PublicKey | None, change: dict[str, object]
    ) -> TrustList:
        matches = [
            e for e in self.entries_for(kid) if public_key is None or e.public_key == public_key
        ]
        if not matches:
            raise UnknownKey(f"no entry with kid {kid.hex()}", kid=kid)
        if len(matches) > 1:
            raise InvalidArgument(f"kid {kid.hex()} is shared: name the public key")
        new = replace(matches[0], **change)  # type: ignore[arg-type]
        return replace(self, entries=tuple(new if e is matches[0] else e for e in self.entries))

    def retire(self, kid: bytes, *, at: datetime, public_key: PublicKey | None = None) -> TrustList:
        """Retire a key at ``at``: it keeps verifying what it signed before."""
        return self._replace_one(kid, public_key, {"state": KeyState.RETIRED, "retired_at": at})

    def revoke(
        self,
        kid: bytes,
        *,
        at: datetime,
        compromised: bool = False,
        public_key: PublicKey | None = None,
    ) -> TrustList:
        """Revoke a key from ``at`` on; ``compromised`` refuses everything it ever signed."""
        change: dict[str, object] = {
            "state": KeyState.REVOKED,
            "revoked_at": at,
            "compromised": compromised,
        }
        return self._replace_one(kid, public_key, change)

    def rotate(self, old_kid: bytes, new: TrustListEntry, *, at: datetime) -> TrustList:
        """Retire ``old_kid`` at ``at`` and add ``new`` (which should be active from ``at``)."""
        return self.retire(old_kid, at=at).with_entries(new)

    def prune_retired(self, *, before: datetime) -> TrustList:
        """Drop keys retired before ``before`` (pass ``now`` minus the longest credential
        validity: nothing they signed can still be valid)."""
        before = require_utc(before, "before")
        keep = tuple(
            e
            for e in self.entries
            if not (e.state is KeyState.RETIRED and e.retired_at and e.retired_at < before)
        )
        return replace(self, entries=keep)

    def next_version(
        self,
        *,
        now: datetime,
        next_update_in: timedelta = timedelta(days=1),
        valid_for: timedelta = timedelta(days=7),
    ) -> TrustList:
        """The version to publish: sequence + 1, issued at ``now``."""
        now = require_utc(now)
        return replace(
            self,
            sequence=self.sequence + 1,
            issued_at=now,
            next_update=now + next_update_in,
            expires_at=now + valid_for,
        )


def new_trust_list(
    list_id: str,
    *,
    now: datetime,
    entries: Iterable[TrustListEntry] = (),
    next_update_in: timedelta = timedelta(days=1),
    valid_for: timedelta = timedelta(days=7),
) -> TrustList:
    """A first trust list (sequence 1)."""
    now = require_utc(now)
    return TrustList(list_id, 1, now, now + next_update_in, now + valid_for, tuple(entries))


def generate_root_key(alg: Algorithm = Algorithm.ES256) -> PrivateKey:
    """A new root key; verifier apps pin its public half."""
    return generate_private_key(alg)


def generate_issuer_key(alg: Algorithm = Algorithm.ES256) -> PrivateKey:
    """A new issuing (document-signer) key."""
    return generate_private_key(alg)


# --- encoding ---------------------------------------------------------------------------


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _entry_map(e: TrustListEntry) -> dict[int, object]:
    # Built in ascending key order so that dumps_in_order is deterministic (RFC 8949 §4.2.1).
    out: dict[int, object] = {
        1: e.kid,
        2: e._spki,
        3: int(e.algorithm),
        4: e.issuer,
        5: e.jurisdiction,
        6: sorted(e.credential_types, key=_text_order),
        7: sorted(e.classes, key=_text_order),
        8: to_numeric_date(e.not_before),
        9: to_numeric_date(e.not_after),
        10: int(e.state),
    }
    if e.retired_at is not None:
        out[11] = to_numeric_date(e.retired_at)
    if e.revoked_at is not None:
        out[12] = to_numeric_date(e.revoked_at)
    if e.compromised:
        out[13] = True
    return out


def _text_order(text: str) -> tuple[int, bytes]:
    raw = text.encode("utf-8")
    return (len(raw), raw)


def encode_trust_list(tl: TrustList) -> bytes:
    """The deterministic CBOR payload of ``tl`` (what the root signs)."""
    return dumps_in_order(
        {
            1: FORMAT_VERSION,
            2: tl.list_id,
            3: tl.sequence,
            4: to_numeric_date(tl.issued_at),
            5: to_numeric_date(tl.next_update),
            6: to_numeric_date(tl.expires_at),
            7: [_entry_map(e) for e in tl.entries],
        }
    )


def sign_trust_list(tl: TrustList, root: Signer | PrivateKey) -> bytes:
    """The signed trust list (tagged COSE_Sign1) as published."""
    signer = root if isinstance(root, Signer) else LocalSigner(root)
    return encode_sign1(
        encode_trust_list(tl),
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        protected_extra={int(HeaderLabel.TYP): TRUST_LIST_TYPE},
    )


# --- decoding and verification ------------------------------------------------------------


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
    if type(value) is not str or not 0 < len(value) <= _MAX_TEXT:
        raise MalformedTrustList(f"{_where(index)}{name} is not text of 1 to {_MAX_TEXT} chars")
    return value


def _bytes(value: object, name: str, limit: int, index: int) -> bytes:
    if type(value) is not bytes or not 0 < len(value) <= limit:
        raise MalformedTrustList(f"{_where(index)}{name} is not a byte string of 1 to {limit}")
    return value


def _texts(value: object, name: str, index: int) -> frozenset[str]:
    if value == []:  # the common "any" case
        return _ANY
    if not isinstance(value, list | tuple) or len(value) > _MAX_SCOPE:
        raise MalformedTrustList(f"{_where(index)}{name} is not an array of at most {_MAX_SCOPE}")
    # Types first: frozenset() would raise TypeError on an unhashable item.
    if any(type(v) is not str or not 0 < len(v) <= _MAX_TEXT for v in value) or len(
        frozenset(value)
    ) != len(value):
        raise MalformedTrustList(f"{_where(index)}{name} must list distinct non-empty texts")
    items = frozenset(value)
    return items


def _public_key(spki: bytes, alg: Algorithm, index: int) -> PublicKey:
    try:
        key = serialization.load_der_public_key(spki)
        # Ensures the key is an EC key on alg's curve or an EdDSA key: a PublicKey.
        check_key_algorithm(alg, key)
    except (ValueError, TypeError, UnsupportedAlgorithm, AlgorithmNotAllowed) as exc:
        raise MalformedTrustList(f"{_where(index)}key does not fit {alg.name}: {exc}") from exc
    return cast(PublicKey, key)


def _load_spki(spki: bytes, alg: Algorithm) -> PublicKey:
    # An entry's key on first use; _spki_form (or _public_key) accepted these bytes at load,
    # so this does not fail unless OpenSSL disagrees with _spki_form.
    return _public_key(spki, alg, -1)


# SubjectPublicKeyInfo (RFC 5480 §2, RFC 8410 §4) in the one DER form cryptography writes:
# SEQUENCE { SEQUENCE { algorithm OID, curve OID }, BIT STRING { 0 unused bits, key } },
# with EC points uncompressed (0x04 || X || Y). Per COSE algorithm value: (header up to
# the key bytes, total length, for EC the field prime p and curve coefficient b (a = -3)).
_SpkiForm = tuple[bytes, int, int, int]
_P256: Final = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P384: Final = 2**384 - 2**128 - 2**96 + 2**32 - 1
_P521: Final = 2**521 - 1
_SPKI_FORMS: Final[Mapping[int, tuple[_SpkiForm, ...]]] = MappingProxyType(
    {
        Algorithm.ES256.value: (
            (
                bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004"),
                91,
                _P256,
                int("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16),
            ),
        ),
        Algorithm.ES384.value: (
            (
                bytes.fromhex("3076301006072a8648ce3d020106052b8104002203620004"),
                120,
                _P384,
                int(
                    "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a"
                    "c656398d8a2ed19d2a85c8edd3ec2aef",
                    16,
                ),
            ),
        ),
        Algorithm.ES512.value: (
            (
                bytes.fromhex("30819b301006072a8648ce3d020106052b810400230381860004"),
                158,
                _P521,
                int(
                    "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef1"
                    "09e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
                    16,
                ),
            ),
        ),
        # Ed25519 and Ed448: OpenSSL takes any 32 / 57 key bytes, as this does.
        Algorithm.EDDSA.value: (
            (bytes.fromhex("302a300506032b6570032100"), 44, 0, 0),
            (bytes.fromhex("3043300506032b6571033a00"), 69, 0, 0),
        ),
    }
)
_ALGORITHMS: Final[Mapping[int, Algorithm]] = MappingProxyType({a.value: a for a in Algorithm})


def _spki_form(spki: bytes, forms: tuple[_SpkiForm, ...]) -> bool:
    """Whether ``spki`` is a key ``alg`` accepts, in the DER form cryptography writes,
    checked without OpenSSL: exact algorithm and curve OIDs, BIT STRING and key length,
    and for EC an affine point with coordinates below p that lies on the curve (what
    OpenSSL checks when it loads the key; P-256/384/521 have cofactor 1, so nothing more).
    False means "not in that form": the caller then parses the key in full."""
    for prefix, size, p, b in forms:
        if len(spki) != size or not spki.startswith(prefix):
            continue
        if not p:
            return True
        half = (size - len(prefix)) // 2
        x = int.from_bytes(spki[len(prefix) : len(prefix) + half])
        y = int.from_bytes(spki[len(prefix) + half :])
        return x < p and y < p and (y * y - (x * x - 3) * x - b) % p == 0
    return False


_ENTRY_KEYS: Final = frozenset(int(k) for k in EntryKey)
_REQUIRED_ENTRY_KEYS: Final = frozenset(range(1, 11))
_LIST_KEYS: Final = frozenset(int(k) for k in ListKey)
_STATES: Final = tuple(KeyState)
_ACTIVE, _RETIRED, _REVOKED = _STATES
# Field order of TrustListEntry (a test checks that decoding round-trips every field).
_ENTRY_FIELDS: Final = tuple(f.name for f in fields(TrustListEntry))


def _slot_setter(name: str) -> Callable[[TrustListEntry, object], None]:
    # The slot's own descriptor: sets one field of a frozen entry being built.
    return cast(Callable[[TrustListEntry, object], None], getattr(TrustListEntry, name).__set__)


(
    _set_public_key,
    _set_issuer,
    _set_jurisdiction,
    _set_not_before,
    _set_not_after,
    _set_kid,
    _set_algorithm,
    _set_credential_types,
    _set_classes,
    _set_state,
    _set_retired_at,
    _set_revoked_at,
    _set_compromised,
    _set_spki,
) = (_slot_setter(name) for name in _ENTRY_FIELDS)


class _Decoding:
    """Per-list caches: entries of one list share most times and scope arrays, so each
    distinct value is checked and built once (datetimes and frozensets are immutable)."""

    __slots__ = ("dates", "texts")

    def __init__(self) -> None:
        self.dates: dict[object, datetime] = {}
        self.texts: dict[tuple[object, ...], frozenset[str]] = {(): _ANY}

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
        if type(value) is list and len(value) <= _MAX_SCOPE:
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
    # Hot path of loading a list: checks are written out inline, and the key is only
    # checked structurally (_spki_form); messages are formatted only on failure.
    if type(item) is not dict and not isinstance(item, Mapping):
        raise MalformedTrustList(f"entry {index} is not a map")
    if not _REQUIRED_ENTRY_KEYS <= item.keys() <= _ENTRY_KEYS:
        raise MalformedTrustList(f"entry {index} has unknown or missing keys")
    raw_alg = item[3]
    alg = _ALGORITHMS.get(raw_alg) if type(raw_alg) is int else None
    if alg is None:
        try:
            alg = parse_algorithm(raw_alg)
        except AlgorithmNotAllowed as exc:
            raise MalformedTrustList(f"entry {index}: {exc.message}") from exc
    spki = item[2]
    if type(spki) is not bytes or not 0 < len(spki) <= _MAX_SPKI:
        spki = _bytes(spki, "key", _MAX_SPKI, index)
    key: PublicKey | None = None
    if not _spki_form(spki, _SPKI_FORMS[alg.value]):
        # Another valid form (a compressed point, say) or a bad key: OpenSSL decides, and
        # the entry keeps the key in cryptography's form.
        key = _public_key(spki, alg, index)
        spki = _spki(key)
    raw_state = item[10]
    if type(raw_state) is not int or not 0 <= raw_state < len(_STATES):
        raw_state = _int(raw_state, "state", 0, len(_STATES) - 1, index)
    state = _STATES[raw_state]
    not_before = cache.date(item[8], "not_before", index)
    not_after = cache.date(item[9], "not_after", index)
    retired_at = cache.date(item[11], "retired_at", index) if 11 in item else None
    revoked_at = cache.date(item[12], "revoked_at", index) if 12 in item else None
    compromised = item.get(13, False)
    if (
        not_after < not_before
        or (compromised is not False and (compromised is not True or revoked_at is None))
        or (state is _ACTIVE and retired_at is not None)
        or (state is _RETIRED and retired_at is None)
        or ((state is _REVOKED) != (revoked_at is not None))
    ):
        raise MalformedTrustList(f"entry {index} has inconsistent times, state or flags")
    issuer = item[4]
    if type(issuer) is not str or not 0 < len(issuer) <= _MAX_TEXT:
        issuer = _text(issuer, "issuer", index)
    jurisdiction = item[5]
    if type(jurisdiction) is not str or not 0 < len(jurisdiction) <= _MAX_TEXT:
        jurisdiction = _text(jurisdiction, "jurisdiction", index)
    kid = item[1]
    if type(kid) is not bytes or not 0 < len(kid) <= _MAX_KID:
        kid = _bytes(kid, "kid", _MAX_KID, index)
    credential_types = cache.scope(item[6], "credential types", index)
    classes = cache.scope(item[7], "classes", index)
    # Every field is checked above, so the entry is built without __post_init__ (which
    # would cost as much again on a 10,000-entry list). public_key stays unset when the
    # key passed _spki_form: TrustListEntry.__getattr__ builds it on first use.
    entry: TrustListEntry = object.__new__(TrustListEntry)
    if key is not None:
        _set_public_key(entry, key)
    _set_issuer(entry, issuer)
    _set_jurisdiction(entry, jurisdiction)
    _set_not_before(entry, not_before)
    _set_not_after(entry, not_after)
    _set_kid(entry, kid)
    _set_algorithm(entry, alg)
    _set_credential_types(entry, credential_types)
    _set_classes(entry, classes)
    _set_state(entry, state)
    _set_retired_at(entry, retired_at)
    _set_revoked_at(entry, revoked_at)
    _set_compromised(entry, compromised)
    _set_spki(entry, spki)
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
    if item[1] != FORMAT_VERSION or isinstance(item[1], bool):
        raise MalformedTrustList(f"unsupported trust-list format version {item[1]!r}")
    raw_entries = item[7]
    if not isinstance(raw_entries, list | tuple) or len(raw_entries) > MAX_TRUST_LIST_ENTRIES:
        raise MalformedTrustList(f"entries is not an array of at most {MAX_TRUST_LIST_ENTRIES}")
    cache = _Decoding()
    entries = tuple(_decode_entry(e, i, cache) for i, e in enumerate(raw_entries))
    try:
        return TrustList(
            list_id=_text(item[2], "list id"),
            sequence=_int(item[3], "sequence"),
            issued_at=_date(item[4], "issued_at"),
            next_update=_date(item[5], "next_update"),
            expires_at=_date(item[6], "expires_at"),
            entries=entries,
        )
    except InvalidArgument as exc:
        raise MalformedTrustList(exc.message) from exc


#: Pinned root key(s): a bare key is a root without a window (docs/format.md §14.7).
Roots = PublicKey | PinnedRoot | Sequence[PublicKey | PinnedRoot]


def _roots(root: Roots) -> tuple[PinnedRoot, ...]:
    try:
        items = (root,) if isinstance(root, (*_PUBLIC_TYPES, PinnedRoot)) else tuple(root)
    except TypeError as exc:
        raise InvalidArgument("pin a root public key, a PinnedRoot or a sequence of them") from exc
    if not items:
        raise InvalidArgument("pin at least one root key")
    roots = tuple(r if isinstance(r, PinnedRoot) else PinnedRoot(r) for r in items)
    if len({_spki(r.public_key) for r in roots}) != len(roots):
        # Two windows for one key would make its lists both older and newer than themselves.
        raise InvalidArgument("a root key is pinned twice")
    return roots


def _load(
    data: bytes, roots: tuple[PinnedRoot, ...], max_bytes: int
) -> tuple[TrustList, PinnedRoot]:
    """The verified, decoded list and the pinned root whose signature verified."""
    if not isinstance(data, bytes):
        raise InvalidArgument("a signed trust list is bytes")
    msg = decode_sign1(data, max_bytes=max_bytes)
    if msg.protected.get(int(HeaderLabel.TYP)) != TRUST_LIST_TYPE:
        raise MalformedTrustList(f"protected typ is not {TRUST_LIST_TYPE!r}")
    kid = msg.protected.get(int(HeaderLabel.KID))
    matching = [r for r in roots if r.kid == kid]
    if not matching:
        raise UnknownKey("trust list is not signed by a pinned root key", kid=msg.kid)
    # Equal kids of two pinned roots are astronomically unlikely; try each all the same.
    signer: PinnedRoot | None = None
    for candidate in matching[:-1]:
        try:
            verify_sign1(msg, candidate.public_key, allowed=TRUST_LIST_ALGORITHMS)
        except (AlgorithmNotAllowed, SignatureInvalid):
            continue
        signer = candidate
        break
    if signer is None:
        signer = matching[-1]
        verify_sign1(msg, signer.public_key, allowed=TRUST_LIST_ALGORITHMS)
    tl = decode_trust_list(msg.payload, max_bytes=max_bytes)
    signer.check_at(tl.issued_at)  # a root signs only inside its window
    return tl, signer


def load_trust_list(
    data: bytes, root: Roots, *, max_bytes: int = MAX_TRUST_LIST_BYTES
) -> TrustList:
    """Verify a signed trust list against the pinned root(s) and decode it, without looking
    at the time (see :func:`verify_trust_list`); its ``issued_at`` must lie in the window of
    the root that signed it.

    Raises ``TooLarge``, ``MalformedCbor``/``MalformedCose``, ``MalformedTrustList`` (wrong
    ``typ`` or payload), ``UnknownKey`` (not signed by a pinned root),
    ``AlgorithmNotAllowed``, ``SignatureInvalid`` or ``KeyNotValidAtTime`` (issued outside
    the root's window).
    """
    return _load(data, _roots(root), max_bytes)[0]


def _verify(
    data: bytes, roots: tuple[PinnedRoot, ...], now: datetime, grace: timedelta, max_bytes: int
) -> tuple[TrustList, PinnedRoot]:
    tl, signer = _load(data, roots, max_bytes)
    tl.validity(grace=grace, root=signer).check(now)
    return tl, signer


def verify_trust_list(
    data: bytes,
    root: Roots,
    *,
    now: datetime,
    grace: timedelta = timedelta(0),
    max_bytes: int = MAX_TRUST_LIST_BYTES,
) -> TrustList:
    """:func:`load_trust_list`, then refuse the list when the root that signed it is not
    valid at ``now`` (``KeyNotValidAtTime``) or ``now`` is past ``expires_at + grace``
    (``TrustListExpired``). A list issued after ``now`` is accepted (clocks drift)."""
    return _verify(data, _roots(root), now, grace, max_bytes)[0]


# --- persistence ------------------------------------------------------------------------

_READ_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a symlink is refused (ELOOP), not followed
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO or a device cannot block
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_CHUNK: Final = 1 << 20


def read_regular_file(path: str | os.PathLike[str], *, max_bytes: int) -> bytes | None:
    """The bytes of the regular file at ``path``, None when there is none.

    The file is opened without following a symlink and without blocking, and checked to be
    a regular file of at most ``max_bytes`` before a byte is read: a symlink, a FIFO, a
    device or a huge sparse file costs neither time nor memory. Raises ``StorageFailed``
    (not a regular file, or an I/O error) or ``TooLarge``.
    """
    name = os.fspath(path)
    try:
        fd = os.open(name, _READ_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP for a symlink
        raise StorageFailed(f"cannot open {name}: {exc.strerror}", path=name) from exc
    except ValueError as exc:  # a NUL in the path
        raise StorageFailed(f"cannot open {name!r}: {exc}", path=name) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StorageFailed(f"{name} is not a regular file", path=name)
        if info.st_size > max_bytes:
            raise TooLarge(
                f"{name} holds {info.st_size} bytes, more than {max_bytes}",
                what="file",
                limit=max_bytes,
                actual=info.st_size,
            )
        # The size is a hint (a file may grow, or lie about its size): the reads are capped.
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise StorageFailed(f"cannot read {name}: {exc.strerror}", path=name) from exc
    finally:
        os.close(fd)
    raise TooLarge(f"{name} holds more than {max_bytes} bytes", what="file", limit=max_bytes)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file:
    temp file in the same directory, flush + fsync, ``os.replace``, fsync the directory.
    Raises ``StorageFailed`` (the old file is then untouched)."""
    target = Path(path)
    directory = target.parent
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
        if os.name == "posix":  # directories cannot be opened for fsync on Windows
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        raise StorageFailed(f"cannot write {target}: {exc}", path=str(target)) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@dataclass(frozen=True, slots=True)
class _Held:
    """A verified list with the root that signed it and its exact bytes."""

    tl: TrustList
    root: PinnedRoot
    raw: bytes

    def order(self) -> tuple[datetime, int]:
        # Later roots first, then sequence numbers (docs/format.md §14.7).
        return (self.root.generation, self.tl.sequence)


class TrustListStore:
    """The verifier app's current trust list, kept in one file.

    :meth:`load` at start (signature checked, time not: an old list is still better than
    none, and :meth:`trust_store` applies the expiry policy); :meth:`update` when online.
    The file is the rollback floor: :meth:`update` reads it again, so a list older than the
    stored one is refused whether or not :meth:`load` ran first (docs/format.md §14.3).

    ``root_public_key``: the pinned root key(s), bare or as :class:`PinnedRoot` with a
    validity window (root rotation, docs/format.md §14.7). ``max_bytes`` caps the stored file
    and every token; ``max_sequence_jump`` caps how far one update may raise the sequence
    number. Raises ``InvalidArgument``.
    """

    __slots__ = ("_held", "_max_bytes", "_max_jump", "_path", "_roots")

    def __init__(
        self,
        path: str | os.PathLike[str],
        root_public_key: Roots,
        *,
        max_bytes: int = MAX_TRUST_LIST_BYTES,
        max_sequence_jump: int = MAX_SEQUENCE_JUMP,
    ) -> None:
        for name, value in (("max_bytes", max_bytes), ("max_sequence_jump", max_sequence_jump)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgument(f"{name} must be a positive integer")
        self._path = Path(path)
        self._roots = _roots(root_public_key)
        self._max_bytes = max_bytes
        self._max_jump = max_sequence_jump
        self._held: _Held | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def current(self) -> TrustList | None:
        """The list held now (None before the first load or update)."""
        return None if self._held is None else self._held.tl

    @property
    def root(self) -> PinnedRoot | None:
        """The pinned root that signed the held list (None when none is held)."""
        return None if self._held is None else self._held.root

    def _read(self) -> _Held | None:
        raw = read_regular_file(self._path, max_bytes=self._max_bytes)
        if raw is None:
            return None
        held = self._held
        if held is not None and raw == held.raw:
            return held
        tl, root = _load(raw, self._roots, self._max_bytes)
        return _Held(tl, root, raw)

    def load(self) -> TrustList | None:
        """Read and verify the stored list; None when there is none yet. The file must be a
        regular file (not a symlink, FIFO or device) of at most ``max_bytes``. Raises
        ``StorageFailed``, ``TooLarge`` or the errors of :func:`load_trust_list`."""
        stored = self._read()
        if stored is None:
            return None
        self._held = stored
        return stored.tl

    def _floor(self) -> _Held | None:
        # The higher of the file and what this store holds: the file is what a restart
        # loads, so it counts whether or not load() ran (and whoever wrote it since).
        stored, held = self._read(), self._held
        if stored is None or stored is held:
            return held
        if held is not None:
            if stored.tl.list_id != held.tl.list_id:
                raise TrustListMismatch(
                    f"the stored list {stored.tl.list_id!r} is not the held {held.tl.list_id!r}",
                    list_id=stored.tl.list_id,
                    held=held.tl.list_id,
                )
            if stored.order() <= held.order():
                return held
        self._held = stored
        return stored

    def _check_supersedes(self, new: _Held, floor: _Held) -> None:
        tl, held = new.tl, floor.tl
        if tl.list_id != held.list_id:
            raise TrustListMismatch(
                f"list {tl.list_id!r} is not the held list {held.list_id!r}",
                list_id=tl.list_id,
                held=held.list_id,
            )
        if new.root.generation != floor.root.generation:
            if new.root.generation < floor.root.generation:
                raise TrustListRollback(
                    f"list #{tl.sequence} is signed by a root older than the held list's",
                    sequence=tl.sequence,
                    held=held.sequence,
                )
            return  # a later root: its sequence numbers start afresh
        if tl.sequence <= held.sequence:
            raise TrustListRollback(
                f"sequence {tl.sequence} is not above the held {held.sequence}",
                sequence=tl.sequence,
                held=held.sequence,
            )
        if tl.sequence - held.sequence > self._max_jump:
            raise TrustListSequenceJump(
                f"sequence {tl.sequence} jumps more than {self._max_jump} above {held.sequence}",
                sequence=tl.sequence,
                held=held.sequence,
                max_jump=self._max_jump,
            )

    def update(self, token: bytes, *, now: datetime, grace: timedelta = timedelta(0)) -> TrustList:
        """Verify ``token`` and, if it supersedes the stored list, persist it atomically and
        make it current. The same bytes again are a no-op.

        The floor is the stored file (read again now) or the held list, whichever is newer.
        A list supersedes it if it has the same list id and either its root is later (a
        greater ``not_before``) or, with a root of the same generation, its sequence is above
        the held one by at most ``max_sequence_jump``.

        Raises the errors of :func:`verify_trust_list`, ``TrustListMismatch`` (another
        list id), ``TrustListRollback`` (sequence not above the held one, or an earlier
        root), ``TrustListSequenceJump``, and ``StorageFailed``/``TooLarge`` or the errors of
        :func:`load_trust_list` for a stored file that cannot serve as the floor. On any
        error nothing is written; the held list is then the newer of the stored one and the
        one held before.
        """
        tl, root = _verify(token, self._roots, now, grace, self._max_bytes)
        new = _Held(tl, root, token)
        floor = self._floor()
        if floor is not None:
            if token == floor.raw:
                return floor.tl
            self._check_supersedes(new, floor)
        write_atomic(self._path, token)
        self._held = new
        return tl

    def trust_store(self, *, now: datetime, grace: timedelta = timedelta(0)) -> TrustStore:
        """The current list as a :class:`TrustStore` that carries its validity (the list's
        expiry + ``grace``, its root's window): refused now, and by a
        :class:`~qrseal.verifier.Verifier` built from it at any later ``now``, once that
        no longer holds. Raises ``TrustListMissing``, ``TrustListExpired`` or
        ``KeyNotValidAtTime`` (the list's root)."""
        held = self._held
        if held is None:
            raise TrustListMissing(f"no trust list loaded from {self._path}")
        held.tl.validity(grace=grace, root=held.root).check(now)
        return held.tl.to_trust_store(grace=grace, root=held.root)
