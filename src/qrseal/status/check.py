"""The verifier's status step (docs/format.md §15.9): which held status lists speak for which
issuer, the lookup of one credential under the verifier's policy, and how the outcome is
reported.

:class:`StatusChecker` is built once per :class:`~qrseal.verifier.Verifier` from its
:class:`~qrseal.status.snapshots.StatusSnapshots`, its trust store and the policy's status
settings, and consulted for each credential that passed every other check. Nothing here
reads the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from ..errors import (
    InvalidArgument,
    KeyNotValidAtTime,
    KeyRevoked,
    LicenceProblem,
    StatusUnavailable,
)
from ..trust.store import TrustStore
from ..wire.cwt import Claims
from .lists import StatusClaimKey
from .reference import decode_status_claim
from .snapshots import (
    StatusMeaning,
    StatusResult,
    StatusSnapshots,
    WhenUnavailable,
    no_usable_list,
    raise_for_status,
    signer_issuer,
)
from .token import VerifiedStatusList, check_status_signer

__all__ = ["StatusChecker", "status_json", "status_warning"]

_STATUS: Final = int(StatusClaimKey.STATUS)
_VALID: Final = StatusMeaning.VALID


class StatusChecker:
    """Status snapshots bound to a trust store and a status policy.

    A held list counts for a credential only if the one key that verified it (its
    ``signer``, not every key with its kid) is a key of the credential's issuer that *this*
    trust store holds and that could sign status lists at the list's ``iat``
    (:func:`~qrseal.status.token.check_status_signer`: for a trust-list key, not revoked,
    inside its window, not retired before). The store keeps lists apart by signer, so another
    trusted issuer's list for the same URI never displaces the issuer's own; and a list whose
    key this trust store no longer lets sign speaks for nobody.

    ``max_age``, ``when_unavailable`` and ``require`` are the verifier policy's
    ``max_status_age``, ``status_unavailable`` and ``require_status``.
    """

    __slots__ = ("_max_age", "_require", "_store", "_usable", "_when_unavailable")

    def __init__(
        self,
        store: StatusSnapshots,
        trust: TrustStore,
        *,
        max_age: timedelta | None,
        when_unavailable: WhenUnavailable,
        require: bool,
    ) -> None:
        if not isinstance(store, StatusSnapshots):
            raise InvalidArgument("status must be a StatusSnapshots")
        self._store = store
        self._usable = _usable_lists(store, trust)
        self._max_age = max_age
        self._when_unavailable = when_unavailable
        self._require = require

    @property
    def store(self) -> StatusSnapshots:
        return self._store

    def check(self, claims: Claims, now: datetime) -> StatusResult | None:
        """The status of a credential that passed every other check, or None when it
        carries no status reference (and the policy does not require one).

        Raises ``MalformedClaims`` (a malformed status claim), ``Revoked``, ``Suspended``
        (also when a stale list says so: the newest knowledge held), ``StatusListInvalid``
        (index outside the list) or ``StatusUnavailable`` (no reference while required; no
        usable fresh list under ``WhenUnavailable.REJECT``; a value without a meaning).
        """
        raw = claims.extra.get(_STATUS)
        if raw is None:
            if self._require:
                raise StatusUnavailable(
                    "the credential carries no status reference and the policy requires one",
                    uri="",
                )
            return None
        ref = decode_status_claim(raw)
        issuer = claims.issuer
        if (ref.uri, issuer) not in self._usable:
            return no_usable_list(
                ref,
                self._when_unavailable,
                f"no usable status list: no list for {ref.uri} signed by a key of {issuer}",
            )
        result = self._store.lookup(
            ref,
            now=now,
            max_age=self._max_age,
            when_unavailable=self._when_unavailable,
            issuer=issuer,
        )
        value = result.status
        if result.meaning is _VALID or value is None:
            # Fresh and valid; or, under WhenUnavailable.WARN, stale and valid, or no list.
            return result
        raise_for_status(result)


def _usable_lists(store: StatusSnapshots, trust: TrustStore) -> frozenset[tuple[str, str]]:
    """The ``(uri, issuer)`` of every held list that may speak for that issuer here."""
    return frozenset(
        (held.uri, issuer)
        for held in store.lists
        if (issuer := signer_issuer(held)) is not None and _signer_trusted_here(held, trust)
    )


def _signer_trusted_here(held: VerifiedStatusList, trust: TrustStore) -> bool:
    """Whether this trust store holds the key that verified ``held`` (same key, kid, issuer
    and algorithm) and, by its own entry, lets it sign status lists at the list's iat."""
    signer = held.signer
    if signer is None:
        return False
    same = [
        key
        for key in trust.candidates(signer.kid)
        if key is signer
        or (
            key.issuer == signer.issuer
            and key.algorithm is signer.algorithm
            and key.public_key == signer.public_key
        )
    ]
    if not same:
        return False
    try:
        for key in same:
            check_status_signer(key, signed_at=held.issued_at)
    except (KeyRevoked, KeyNotValidAtTime):
        return False
    return True


def _seconds(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds())


def status_json(result: StatusResult) -> dict[str, Any]:
    """A JSON-ready view of a status result (part of ``VerifiedLicence.to_json()``)."""
    return {
        "uri": result.uri,
        "idx": result.idx,
        "value": result.status,
        "meaning": result.meaning.value,
        "snapshot_age_seconds": _seconds(result.snapshot_age),
        "stale": result.stale,
    }


def status_warning(result: StatusResult) -> LicenceProblem:
    """The warning for a credential accepted without a fresh status snapshot."""
    if result.status is None:
        message = f"no usable status list for {result.uri}: status not checked, accepted by policy"
    else:
        message = (
            f"the status list for {result.uri} is stale ({_seconds(result.snapshot_age)} s "
            f"old) and says {result.meaning.value}: accepted by policy"
        )
    return LicenceProblem("credential_status", "status_unavailable", message)
