"""One version of a trust list: :class:`TrustList` (immutable), its lookups, its freshness
and validity, the issuer's edits and the next version to publish (docs/format.md §14.1).

Encoding is :mod:`qrseal.trust.codec`, signing and verifying :mod:`qrseal.trust.signed`.
Time is always an argument; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from ..errors import InvalidArgument, UnknownKey
from ..wire.cose import PublicKey
from ..wire.cwt import require_utc
from .entries import MAX_TEXT, KeyState, TrustListEntry
from .keyform import spki_of
from .store import ListValidity, PinnedRoot, TrustedKey, TrustStore

__all__ = ["MAX_TRUST_LIST_ENTRIES", "Freshness", "TrustList", "new_trust_list"]

#: Most entries one list may hold.
MAX_TRUST_LIST_ENTRIES: Final = 100_000


class Freshness(StrEnum):
    """How current a trust list is at a given time."""

    FRESH = "fresh"  # before next_update
    STALE = "stale"  # past next_update: fetch a new one when online; still usable
    EXPIRED = "expired"  # past expires_at: refused unless a grace period is allowed


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
        if not isinstance(self.list_id, str) or not 0 < len(self.list_id) <= MAX_TEXT:
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
            if any(other.spki == entry.spki for other in same):
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
            if entry is key.entry or (entry.issuer == key.issuer and entry.spki == key.spki):
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
        :meth:`TrustedKey.for_entry <qrseal.trust.store.TrustedKey.for_entry>`), as a :class:`TrustStore` that carries the
        list's :meth:`validity`: a :class:`~qrseal.verifier.Verifier` refuses everything
        (``trust_list_expired``) from ``expires_at + grace`` on, and, with ``root``, once
        that root's window ended (``key_not_valid_at_time``). Revoked and compromised keys
        stay in, so that the verifier refuses what they signed with ``key_revoked`` rather
        than ``unknown_key``."""
        return TrustStore(
            (TrustedKey.for_entry(e) for e in self.entries),
            validity=self.validity(grace=grace, root=root),
        )

    # --- issuer side: edits ------------------------------------------------------------

    def with_entries(self, *entries: TrustListEntry) -> TrustList:
        """A copy with ``entries`` added."""
        return replace(self, entries=(*self.entries, *entries))

    def _replace_one(
        self, kid: bytes, public_key: PublicKey | None, change: dict[str, object]
    ) -> TrustList:
        spki = None if public_key is None else spki_of(public_key)
        matches = [e for e in self.entries_for(kid) if spki is None or e.spki == spki]
        if not matches:
            raise UnknownKey(f"no entry with kid {kid.hex()}", kid=kid)
        if len(matches) > 1:
            raise InvalidArgument(f"kid {kid.hex()} is shared: name the public key")
        new = matches[0].evolve(**change)
        return replace(self, entries=tuple(new if e is matches[0] else e for e in self.entries))

    def retire(self, kid: bytes, *, at: datetime, public_key: PublicKey | None = None) -> TrustList:
        """Retire a key at ``at``: it keeps verifying what it signed before.

        ``at`` (like ``revoke``'s and ``rotate``'s) is when the event takes effect, which
        may differ from the time the list is edited or signed; hence not ``now``."""
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
        validity: nothing they signed can still be valid). ``before`` is a cut-off, not the
        current time; hence not ``now``."""
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
