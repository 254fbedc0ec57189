"""One issuer key in a trust list: :class:`TrustListEntry`, its :class:`KeyState`, the rules
an entry obeys, and the checks a verifier applies to what the key signed (docs/format.md
§14.2, §14.4).

Every entry, whether built by an issuer or decoded from a list, goes through one builder
(:func:`fill_entry`) that holds the entry's rules, so a rule is written once; the
decoder in :mod:`qrseal.trust.codec` checks only the CBOR types before handing it the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Final, cast

from ..errors import (
    AlgorithmNotAllowed,
    InvalidArgument,
    KeyNotAuthorised,
    KeyNotValidAtTime,
    KeyRevoked,
)
from ..wire.cose import Algorithm, PublicKey
from ..wire.cwt import require_utc
from ..wire.keys import key_identity
from .keyform import load_spki, spki_of

__all__ = [
    "DRIVING_LICENCE",
    "MAX_KID",
    "MAX_SCOPE",
    "MAX_TEXT",
    "KeyState",
    "TrustListEntry",
    "check_entry",
    "check_entry_scope",
    "check_entry_state",
    "check_scope",
    "fill_entry",
]

#: The credential type of the static driving licence (``DL1:`` texts).
DRIVING_LICENCE: Final = "DL"
#: Longest issuer, jurisdiction, list id and scope item, in characters.
MAX_TEXT: Final = 256
#: Longest ``kid``, in bytes.
MAX_KID: Final = 32
#: Most credential types or licence classes one entry may list.
MAX_SCOPE: Final = 64
ANY: Final[frozenset[str]] = frozenset()


class KeyState(IntEnum):
    """An entry's state. Retired keys verify only what they signed before ``retired_at``."""

    ACTIVE = 0
    RETIRED = 1
    REVOKED = 2


def check_scope(items: frozenset[str], name: str) -> frozenset[str]:
    """Return ``items`` when they are at most :data:`MAX_SCOPE` texts of 1 to
    :data:`MAX_TEXT` characters, else raise ``InvalidArgument``."""
    if len(items) > MAX_SCOPE or any(
        not isinstance(i, str) or not 0 < len(i) <= MAX_TEXT for i in items
    ):
        raise InvalidArgument(f"{name} must be at most {MAX_SCOPE} non-empty strings")
    return items


@dataclass(frozen=True, slots=True, init=False)
class TrustListEntry:
    """One issuer key in a trust list. ``kid`` defaults to :func:`qrseal.wire.keys.kid_for`,
    ``algorithm`` to the key's one algorithm. Empty ``credential_types``/``classes`` mean
    "any". Times are whole seconds in UTC once encoded. Raises ``InvalidArgument``.

    ``spki`` is the key's DER SubjectPublicKeyInfo as cryptography writes it (one encoding
    per key, so equal bytes mean equal keys): what is encoded and compared. An entry decoded
    from a list builds :attr:`public_key` from it on first use: loading a 10,000-entry list
    parses no key.
    """

    issuer: str
    jurisdiction: str
    not_before: datetime
    not_after: datetime
    kid: bytes
    algorithm: Algorithm
    credential_types: frozenset[str]
    classes: frozenset[str]
    state: KeyState
    retired_at: datetime | None
    revoked_at: datetime | None
    compromised: bool
    spki: bytes = field(repr=False)
    _key: PublicKey | None = field(default=None, repr=False, compare=False)

    def __init__(
        self,
        public_key: PublicKey,
        issuer: str,
        jurisdiction: str,
        not_before: datetime,
        not_after: datetime,
        kid: bytes = b"",
        algorithm: Algorithm | None = None,
        credential_types: Iterable[str] = ANY,
        classes: Iterable[str] = ANY,
        state: KeyState = KeyState.ACTIVE,
        retired_at: datetime | None = None,
        revoked_at: datetime | None = None,
        compromised: bool = False,
    ) -> None:
        try:
            alg, kid = key_identity(public_key, algorithm, kid)
        except AlgorithmNotAllowed as exc:
            raise InvalidArgument(exc.message) from exc
        fill_entry(
            self,
            public_key,
            spki_of(public_key),
            issuer,
            jurisdiction,
            require_utc(not_before, "not_before"),
            require_utc(not_after, "not_after"),
            kid,
            alg,
            check_scope(frozenset(credential_types), "credential_types"),
            check_scope(frozenset(classes), "classes"),
            KeyState(state),
            None if retired_at is None else require_utc(retired_at, "retired_at"),
            None if revoked_at is None else require_utc(revoked_at, "revoked_at"),
            compromised,
        )

    @property
    def public_key(self) -> PublicKey:
        """The key, parsed from :attr:`spki` on first use and kept."""
        key = self._key
        if key is None:
            # The decoder accepted these bytes (keyform.canonical_form): this does not fail
            # unless OpenSSL disagrees with that check.
            key = load_spki(self.spki, self.algorithm)
            object.__setattr__(self, "_key", key)
        return key

    @property
    def key_parsed(self) -> bool:
        """Whether :attr:`public_key` has been built (for tests and benchmarks)."""
        return self._key is not None

    @property
    def signing_cutoff(self) -> datetime | None:
        """The first moment the key may no longer sign (retirement or revocation)."""
        retired_at, revoked_at = self.retired_at, self.revoked_at
        if retired_at is None or revoked_at is None:
            return revoked_at if retired_at is None else retired_at
        return min(retired_at, revoked_at)

    def evolve(self, **changes: object) -> TrustListEntry:
        """A copy with ``changes`` (field names of the constructor except ``public_key``,
        ``kid`` and ``algorithm``), checked like a new entry; the key is not parsed."""
        values: dict[str, object] = {
            name: getattr(self, name)
            for name in (
                "issuer",
                "jurisdiction",
                "not_before",
                "not_after",
                "credential_types",
                "classes",
                "state",
                "retired_at",
                "revoked_at",
                "compromised",
            )
        }
        unknown = set(changes) - set(values)
        if unknown:
            raise InvalidArgument(f"cannot change {', '.join(sorted(unknown))} of an entry")
        values.update(changes)
        new: TrustListEntry = object.__new__(TrustListEntry)
        times = {
            n: None if values[n] is None else require_utc(cast(datetime, values[n]), n)
            for n in ("not_before", "not_after", "retired_at", "revoked_at")
        }
        fill_entry(
            new,
            self._key,
            self.spki,
            cast(str, values["issuer"]),
            cast(str, values["jurisdiction"]),
            cast(datetime, times["not_before"]),
            cast(datetime, times["not_after"]),
            self.kid,
            self.algorithm,
            check_scope(frozenset(cast(Iterable[str], values["credential_types"])), "types"),
            check_scope(frozenset(cast(Iterable[str], values["classes"])), "classes"),
            KeyState(cast(int, values["state"])),
            times["retired_at"],
            times["revoked_at"],
            cast(bool, values["compromised"]),
        )
        return new


_ACTIVE, _RETIRED, _REVOKED = tuple(KeyState)


def _slot_setter(name: str) -> Callable[[TrustListEntry, object], None]:
    # The slot's own descriptor: sets one field of a frozen entry being built.
    return cast(Callable[[TrustListEntry, object], None], getattr(TrustListEntry, name).__set__)


(
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
    _set_key,
) = (
    _slot_setter(name)
    for name in (
        "issuer",
        "jurisdiction",
        "not_before",
        "not_after",
        "kid",
        "algorithm",
        "credential_types",
        "classes",
        "state",
        "retired_at",
        "revoked_at",
        "compromised",
        "spki",
        "_key",
    )
)


def fill_entry(
    entry: TrustListEntry,
    key: PublicKey | None,
    spki: bytes,
    issuer: str,
    jurisdiction: str,
    not_before: datetime,
    not_after: datetime,
    kid: bytes,
    algorithm: Algorithm,
    credential_types: frozenset[str],
    classes: frozenset[str],
    state: KeyState,
    retired_at: datetime | None,
    revoked_at: datetime | None,
    compromised: bool,
) -> None:
    """Check the rules of one entry and set the values on ``entry``, an instance made by
    ``object.__new__``: the one way an entry is built, whether by its constructor, by
    :meth:`TrustListEntry.evolve` or by the decoder. The caller has made the times UTC, the
    scope sets checked (:func:`check_scope`, once per distinct array when decoding) and
    ``spki`` the canonical form of ``key`` (``key`` None: parsed from ``spki`` on first
    use). Raises ``InvalidArgument``."""
    # The rules (docs/format.md §14.2), on the hot path of loading a list.
    if not 0 < len(kid) <= MAX_KID:
        raise InvalidArgument(f"kid must be 1 to {MAX_KID} bytes")
    if not isinstance(issuer, str) or not 0 < len(issuer) <= MAX_TEXT:
        raise InvalidArgument(f"issuer must be non-empty text of at most {MAX_TEXT}")
    if not isinstance(jurisdiction, str) or not 0 < len(jurisdiction) <= MAX_TEXT:
        raise InvalidArgument(f"jurisdiction must be non-empty text of at most {MAX_TEXT}")
    if not_after < not_before:
        raise InvalidArgument("not_after is before not_before")
    # A revoked key may keep the retirement time it had before it was revoked.
    if (state is _RETIRED and retired_at is None) or (state is _ACTIVE and retired_at is not None):
        raise InvalidArgument("retired_at is required for a retired key, refused for an active one")
    if (state is _REVOKED) != (revoked_at is not None):
        raise InvalidArgument("revoked_at is required for, and only for, a revoked key")
    if compromised and state is not _REVOKED:
        raise InvalidArgument("only a revoked key can be flagged compromised")
    _set_issuer(entry, issuer)
    _set_jurisdiction(entry, jurisdiction)
    _set_not_before(entry, not_before)
    _set_not_after(entry, not_after)
    _set_kid(entry, kid)
    _set_algorithm(entry, algorithm)
    _set_credential_types(entry, credential_types)
    _set_classes(entry, classes)
    _set_state(entry, state)
    _set_retired_at(entry, retired_at)
    _set_revoked_at(entry, revoked_at)
    _set_compromised(entry, compromised)
    _set_spki(entry, spki)
    _set_key(entry, key)


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
