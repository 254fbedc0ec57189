"""What a verifier trusts: :class:`TrustedKey` and the immutable :class:`TrustStore`.

A trusted key is an issuer public key, the issuer name credentials signed with it must carry,
its algorithm and ``kid``, and an optional signing-time window. A key that comes from a signed
trust list (docs/format.md §14) also carries its :class:`~qrseal.trustlist.TrustListEntry`:
state, retirement and revocation times, the compromised flag, and the jurisdiction,
credential types and licence classes it may sign. The verifier then enforces the entry
(``key_revoked``, ``key_not_valid_at_time``, ``key_not_authorised``); a key without an entry
is checked against its window only.

:meth:`TrustStore.status_key_resolver` gives the keys Status List Tokens are verified with
(docs/format.md §15.8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from .cose import Algorithm, PublicKey
from .cwt import require_utc
from .errors import AlgorithmNotAllowed, InvalidArgument, InvalidKey
from .keys import key_identity

if TYPE_CHECKING:
    from .trustlist import TrustListEntry

__all__ = ["TrustStore", "TrustedKey"]

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One issuer key a verifier trusts.

    ``kid`` defaults to :func:`qrseal.keys.kid_for` and ``algorithm`` to the key's one
    algorithm. ``not_before``/``not_after`` bound the signing time (the credential's
    ``iat``) the key may be used for.

    ``entry`` (set by :meth:`qrseal.trustlist.TrustList.to_trust_store`) is the trust-list
    entry the key came from; it must name the same key, kid, issuer and algorithm. With an
    entry the verifier applies the entry's rules (:func:`qrseal.trustlist.check_entry`)
    instead of ``not_before``/``not_after``.
    """

    public_key: PublicKey
    issuer: str
    algorithm: Algorithm = None  # type: ignore[assignment]  # filled in __post_init__
    kid: bytes = b""
    not_before: datetime | None = None
    not_after: datetime | None = None
    entry: TrustListEntry | None = None

    if not TYPE_CHECKING:  # typed as the field public_key; mypy must not see a __getattr__

        def __getattr__(self, name: str) -> object:
            # Runs only for an unset slot: public_key of a key made by for_entry, taken
            # from its entry (which parses it on first use) and kept.
            if name != "public_key":
                raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")
            key = self.entry.public_key
            object.__setattr__(self, "public_key", key)
            return key

    def __post_init__(self) -> None:
        try:
            alg, kid = key_identity(self.public_key, self.algorithm, self.kid)
        except AlgorithmNotAllowed as exc:
            raise InvalidKey(exc.message) from exc
        object.__setattr__(self, "algorithm", alg)
        object.__setattr__(self, "kid", kid)
        if not self.issuer:
            raise InvalidArgument("a trusted key needs an issuer name")
        for name in ("not_before", "not_after"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, name))
        if self.entry is not None:
            self._check_entry(self.entry)

    @classmethod
    def for_entry(cls, entry: TrustListEntry) -> TrustedKey:
        """The key of a trust-list entry, carrying it. Its own window ends one second before
        the entry's retirement or revocation (what :meth:`valid_at` reports); the verifier
        applies the entry itself.

        The entry's fields were checked when it was made, so they are not checked again:
        a verifier app builds 10,000 of these from a list at start. ``public_key`` is taken
        from the entry on first use, so that no key is parsed before a credential needs it.
        """
        from .trustlist import TrustListEntry  # trustlist imports this module

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
        return key

    def _check_entry(self, entry: TrustListEntry) -> None:
        from .trustlist import TrustListEntry  # trustlist imports this module

        if not isinstance(entry, TrustListEntry):
            raise InvalidArgument("entry must be a TrustListEntry")
        if (
            entry.kid != self.kid
            or entry.issuer != self.issuer
            or entry.algorithm is not self.algorithm
            or entry.public_key != self.public_key
        ):
            raise InvalidArgument("the entry names another key, kid, issuer or algorithm")

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
    share a ``kid``; the verifier tries each of them."""

    __slots__ = ("_by_kid", "_keys")

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
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
        from .keys import load_public_key_pem

        keys: list[TrustedKey] = []
        for issuer, value in pems.items():
            for pem in [value] if isinstance(value, bytes) else value:
                keys.append(TrustedKey(load_public_key_pem(pem), issuer))
        return cls(keys)

    def candidates(self, kid: bytes) -> tuple[TrustedKey, ...]:
        """Every trusted key with this ``kid`` (empty when none)."""
        return self._by_kid.get(kid, ())

    def with_keys(self, *keys: TrustedKey) -> TrustStore:
        """A new store with ``keys`` added."""
        return TrustStore((*self._keys, *keys))

    def status_key_resolver(self) -> Callable[[bytes | None], tuple[TrustedKey, ...]]:
        """A key resolver for :func:`qrseal.status_token.verify_status_list`: the trusted keys
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
