"""What a verifier trusts: :class:`TrustedKey` and the immutable :class:`TrustStore`.

A trusted key is an issuer public key, the issuer name credentials signed with it must carry,
its algorithm and ``kid``, and an optional signing-time window. A key that comes from a signed
trust list (docs/format.md §14) also carries its :class:`~qrseal.trust.entries.TrustListEntry`:
state, retirement and revocation times, the compromised flag, and the jurisdiction,
credential types and licence classes it may sign. The verifier then enforces the entry
(``key_revoked``, ``key_not_valid_at_time``, ``key_not_authorised``); a key without an entry
is checked against its window only.

:meth:`TrustStore.status_key_resolver` gives the keys Status List Tokens are verified with
(docs/format.md §15.8).

A store built from a signed trust list carries the list's :class:`ListValidity` (its expiry
plus the app's grace, and the window of the :class:`PinnedRoot` that signed it), and the
verifier refuses everything once it no longer holds (docs/format.md §14.3, §14.7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Final

from ..errors import (
    AlgorithmNotAllowed,
    InvalidArgument,
    InvalidKey,
    KeyNotValidAtTime,
    TrustListExpired,
)
from ..wire.algorithms import PUBLIC_KEY_TYPES, verifying_function
from ..wire.cose import Algorithm, PublicKey
from ..wire.cwt import require_utc
from ..wire.keys import key_identity, kid_for, load_public_key_pem
from .entries import TrustListEntry
from .keyform import spki_of

__all__ = ["ListValidity", "PinnedRoot", "TrustStore", "TrustedKey"]

_SECOND = timedelta(seconds=1)
_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
_PUBLIC_TYPES: Final = PUBLIC_KEY_TYPES


@dataclass(frozen=True, slots=True)
class PinnedRoot:
    """A trust-list root key a verifier app pins, valid from ``not_before`` to ``not_after``
    inclusive (None: unbounded) (docs/format.md §14.7).

    A list signed by the root is accepted only if its ``issued_at`` and, when it is taken or
    used, ``now`` lie in the window (``key_not_valid_at_time``). ``not_before`` also orders
    the roots: a list signed by a root with a later ``not_before`` supersedes the lists of
    earlier roots whatever their sequence numbers (a rotation starts afresh), and a list of an
    earlier root is then a rollback. Raises ``InvalidArgument``.
    """

    public_key: PublicKey
    not_before: datetime | None = None
    not_after: datetime | None = None
    kid: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, _PUBLIC_TYPES):
            raise InvalidArgument(
                "a pinned root is an EC, Ed25519, Ed448, SM2 or ML-DSA-44 public key"
            )
        for name in ("not_before", "not_after"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, name))
        if (
            self.not_before is not None
            and self.not_after is not None
            and self.not_after < self.not_before
        ):
            raise InvalidArgument("a pinned root's not_after is before its not_before")
        object.__setattr__(self, "kid", kid_for(self.public_key))

    @property
    def generation(self) -> datetime:
        """What orders roots in a rotation: ``not_before``, the earliest time when None."""
        return _EARLIEST if self.not_before is None else self.not_before

    def check_at(self, moment: datetime) -> None:
        """Raise ``KeyNotValidAtTime`` (``kid`` = the root's) when ``moment`` is outside the
        root's window."""
        moment = require_utc(moment, "moment")
        if (self.not_before is not None and moment < self.not_before) or (
            self.not_after is not None and moment > self.not_after
        ):
            raise KeyNotValidAtTime(
                f"trust-list root {self.kid.hex()} is not valid at {moment.isoformat()}",
                kid=self.kid,
                at=moment,
            )


@dataclass(frozen=True, slots=True)
class ListValidity:
    """How long a trust store built from a signed trust list may be used: until the list's
    ``expires_at`` plus ``grace`` (``trust_list_expired``), and only while ``root``, the
    pinned root that signed it (when known), is valid (``key_not_valid_at_time``).
    Raises ``InvalidArgument``."""

    list_id: str
    sequence: int
    expires_at: datetime
    grace: timedelta = timedelta(0)
    root: PinnedRoot | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "expires_at", require_utc(self.expires_at, "expires_at"))
        if not isinstance(self.grace, timedelta) or self.grace < timedelta(0):
            raise InvalidArgument("grace must not be negative")
        if self.root is not None and not isinstance(self.root, PinnedRoot):
            raise InvalidArgument("root must be a PinnedRoot")

    def check(self, now: datetime) -> None:
        """Return None, or raise ``KeyNotValidAtTime`` (the root's window) or
        ``TrustListExpired`` (``now >= expires_at + grace``)."""
        now = require_utc(now)
        if self.root is not None:
            self.root.check_at(now)
        if now >= self.expires_at + self.grace:
            raise TrustListExpired(
                f"trust list {self.list_id} #{self.sequence} expired",
                expired_at=self.expires_at,
                now=now,
            )


@dataclass(frozen=True, slots=True, init=False)
class TrustedKey:
    """One issuer key a verifier trusts.

    ``kid`` defaults to :func:`qrseal.wire.keys.kid_for` and ``algorithm`` to the key's one
    algorithm. ``not_before``/``not_after`` bound the signing time (the credential's
    ``iat``) the key may be used for.

    ``entry`` (set by :meth:`qrseal.trust.lists.TrustList.to_trust_store`) is the trust-list
    entry the key came from; it must name the same key, kid, issuer and algorithm. With an
    entry the verifier applies the entry's rules (:func:`qrseal.trust.entries.check_entry`)
    instead of ``not_before``/``not_after``. Raises ``InvalidKey`` or ``InvalidArgument``.
    """

    issuer: str
    algorithm: Algorithm
    kid: bytes
    not_before: datetime | None
    not_after: datetime | None
    entry: TrustListEntry | None
    spki: bytes = field(repr=False)
    # The key itself, or the entry that builds it on first use (a key from for_entry).
    _source: PublicKey | TrustListEntry = field(repr=False, compare=False)
    # The verifying function for ``algorithm``, made on first use (verify_with_candidates).
    _verify: Callable[[bytes, bytes], None] | None = field(repr=False, compare=False)

    def __init__(
        self,
        public_key: PublicKey,
        issuer: str,
        algorithm: Algorithm | None = None,
        kid: bytes = b"",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        entry: TrustListEntry | None = None,
    ) -> None:
        try:
            alg, kid = key_identity(public_key, algorithm, kid)
        except AlgorithmNotAllowed as exc:
            raise InvalidKey(exc.message) from exc
        if not issuer:
            raise InvalidArgument("a trusted key needs an issuer name")
        spki = spki_of(public_key)
        if entry is not None:
            if not isinstance(entry, TrustListEntry):
                raise InvalidArgument("entry must be a TrustListEntry")
            if (
                entry.kid != kid
                or entry.issuer != issuer
                or entry.algorithm is not alg
                or entry.spki != spki
            ):
                raise InvalidArgument("the entry names another key, kid, issuer or algorithm")
        setattr_ = object.__setattr__
        setattr_(self, "issuer", issuer)
        setattr_(self, "algorithm", alg)
        setattr_(self, "kid", kid)
        setattr_(
            self,
            "not_before",
            None if not_before is None else require_utc(not_before, "not_before"),
        )
        setattr_(
            self, "not_after", None if not_after is None else require_utc(not_after, "not_after")
        )
        setattr_(self, "entry", entry)
        setattr_(self, "spki", spki)
        setattr_(self, "_source", public_key)
        setattr_(self, "_verify", None)

    @property
    def public_key(self) -> PublicKey:
        """The key (for a key made by :meth:`for_entry`, its entry's, parsed on first use)."""
        source = self._source
        return source.public_key if isinstance(source, TrustListEntry) else source

    @property
    def key_parsed(self) -> bool:
        """Whether :attr:`public_key` has been built (for tests and benchmarks)."""
        source = self._source
        return source.key_parsed if isinstance(source, TrustListEntry) else True

    @classmethod
    def for_entry(cls, entry: TrustListEntry) -> TrustedKey:
        """The key of a trust-list entry, carrying it. Its own window ends one second before
        the entry's retirement or revocation (what :meth:`valid_at` reports); the verifier
        applies the entry itself.

        The entry's fields were checked when it was made, so they are not checked again:
        a verifier app builds 10,000 of these from a list at start. ``public_key`` is taken
        from the entry on first use, so that no key is parsed before a credential needs it.
        """
        if not isinstance(entry, TrustListEntry):
            raise InvalidArgument("entry must be a TrustListEntry")
        cutoff = entry.signing_cutoff
        not_after = entry.not_after if cutoff is None else min(entry.not_after, cutoff - _SECOND)
        key = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(key, "issuer", entry.issuer)
        setattr_(key, "algorithm", entry.algorithm)
        setattr_(key, "kid", entry.kid)
        setattr_(key, "not_before", entry.not_before)
        setattr_(key, "not_after", not_after)
        setattr_(key, "entry", entry)
        setattr_(key, "spki", entry.spki)
        setattr_(key, "_source", entry)
        setattr_(key, "_verify", None)
        return key

    def verifying_function(self, alg: Algorithm) -> Callable[[bytes, bytes], None]:
        """:func:`qrseal.wire.algorithms.verifying_function` of this key for ``alg``; the
        one for the key's own :attr:`algorithm` is made once and kept (its key parsed and
        its fit checked once, not for every credential). Raises ``AlgorithmNotAllowed``."""
        if alg is not self.algorithm:
            return verifying_function(alg, self.public_key)
        verify = self._verify
        if verify is None:
            verify = verifying_function(alg, self.public_key)
            object.__setattr__(self, "_verify", verify)
        return verify

    def valid_at(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside the key's validity window."""
        if self.not_before is not None and moment < self.not_before:
            return False
        return self.not_after is None or moment <= self.not_after

    @property
    def may_sign_status_lists(self) -> bool:
        """Whether Status List Tokens signed by this key are considered at all: not when
        its trust-list entry revokes it (a revoked key signs nothing new; a compromised one
        nothing at all)."""
        return self.entry is None or self.entry.revoked_at is None


class TrustStore:
    """An immutable set of :class:`TrustedKey`, looked up by ``kid``. Several keys may
    share a ``kid``; the verifier tries each of them.

    ``validity`` (set for a store built from a signed trust list) bounds when the store may
    be used at all: the :class:`~qrseal.verifier.Verifier` calls :meth:`check_usable` with
    its ``now`` before anything else."""

    __slots__ = ("_by_kid", "_keys", "_validity")

    def __init__(self, keys: Iterable[TrustedKey], *, validity: ListValidity | None = None) -> None:
        if validity is not None and not isinstance(validity, ListValidity):
            raise InvalidArgument("validity must be a ListValidity")
        self._validity = validity
        self._keys = tuple(keys)
        by_kid: dict[bytes, tuple[TrustedKey, ...]] = {}
        for key in self._keys:
            if not isinstance(key, TrustedKey):
                raise InvalidArgument("a TrustStore holds TrustedKey values")
            by_kid[key.kid] = (*by_kid.get(key.kid, ()), key)
        self._by_kid: Mapping[bytes, tuple[TrustedKey, ...]] = MappingProxyType(by_kid)

    @classmethod
    def from_pem(cls, pems: Mapping[str, bytes | Iterable[bytes]]) -> TrustStore:
        """Build a store from ``{issuer name: PEM public key(s)}``."""
        keys: list[TrustedKey] = []
        for issuer, value in pems.items():
            for pem in [value] if isinstance(value, bytes) else value:
                keys.append(TrustedKey(load_public_key_pem(pem), issuer))
        return cls(keys)

    @property
    def validity(self) -> ListValidity | None:
        """The validity of the trust list this store was built from (None: unbounded)."""
        return self._validity

    def check_usable(self, now: datetime) -> None:
        """Raise ``TrustListExpired`` or ``KeyNotValidAtTime`` (the list's root) when the
        store's :attr:`validity` does not hold at ``now``; a store without one always holds."""
        if self._validity is not None:
            self._validity.check(now)

    def candidates(self, kid: bytes) -> tuple[TrustedKey, ...]:
        """Every trusted key with this ``kid`` (empty when none)."""
        return self._by_kid.get(kid, ())

    def with_keys(self, *keys: TrustedKey) -> TrustStore:
        """A new store with ``keys`` added; it keeps this store's :attr:`validity`."""
        return TrustStore((*self._keys, *keys), validity=self._validity)

    def status_key_resolver(self) -> Callable[[bytes | None], tuple[TrustedKey, ...]]:
        """A key resolver for :func:`qrseal.status.token.verify_status_list`: the trusted keys
        with the token's ``kid`` (none for a token without one), leaving out keys their
        trust-list entry revokes. The one whose signature verifies becomes the list's
        ``signer``: the list then speaks only for that key's issuer (docs/format.md §15.9)."""
        by_kid = self._by_kid

        def resolve(kid: bytes | None) -> tuple[TrustedKey, ...]:
            if kid is None:
                return ()
            return tuple(k for k in by_kid.get(kid, ()) if k.may_sign_status_lists)

        return resolve

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def __repr__(self) -> str:
        return f"TrustStore({len(self._keys)} keys)"
