"""The verifier's store of verified status lists, and what a status value means.

:class:`StatusSnapshots` is immutable: ``with_list`` returns a new store. It holds one list per
URI *and signer* (the issuer of the trusted key that verified it), and never replaces a list
with an older one or with another signer's. ``lookup`` turns a credential's
:class:`~qrseal.status.reference.StatusReference` into a :class:`StatusResult`, or raises
``StatusUnavailable`` when no fresh list is held (or flags the result ``stale``, if the caller
asks for that). Time is an argument; nothing here reads the clock.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple, NoReturn

from ..errors import InvalidArgument, Revoked, StatusListInvalid, StatusUnavailable, Suspended
from ..wire.cwt import require_leeway
from .lists import StatusType
from .reference import StatusReference
from .token import VerifiedStatusList, add_clamped, check_status_signer

__all__ = [
    "DEFAULT_MEANINGS",
    "StatusMeaning",
    "StatusResult",
    "StatusSnapshots",
    "WhenUnavailable",
    "no_usable_list",
    "raise_for_status",
    "signer_issuer",
]

_ZERO: Final = timedelta(0)
# A held list: iat, exp + grace (None: the list has no exp) and the list's bound get.
_Entry = tuple[datetime, datetime | None, Callable[[int], int]]


class StatusMeaning(StrEnum):
    """What a status value means to a verifier. ``UNKNOWN``: a value with no meaning
    configured, or no usable list (then ``status`` is None)."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"


#: The draft's registered values; application-specific values map to UNKNOWN unless configured.
DEFAULT_MEANINGS: Final[Mapping[int, StatusMeaning]] = MappingProxyType(
    {
        StatusType.VALID: StatusMeaning.VALID,
        StatusType.INVALID: StatusMeaning.REVOKED,
        StatusType.SUSPENDED: StatusMeaning.SUSPENDED,
    }
)


_UNKNOWN: Final = StatusMeaning.UNKNOWN


class WhenUnavailable(StrEnum):
    """What a verifier does with a credential when no fresh status list covers it: no list
    is held for its URI, or the list is expired or older than ``max_age``.

    ``REJECT`` (``"reject"``, the default): raise ``StatusUnavailable`` (fail closed).
    ``WARN`` (``"warn"``): accept, with a result flagged ``stale=True`` (the value of an old
    list, or ``status=None`` when none is held) and a ``status_unavailable`` warning. The
    values are the CLI's ``--status-unavailable reject|warn``.

    ``RAISE`` and ``FLAG`` (and the values ``"raise"`` and ``"flag"``) are deprecated aliases
    of ``REJECT`` and ``WARN``, kept for one release.
    """

    REJECT = "reject"
    WARN = "warn"
    # Deprecated aliases (an alias member is the same object; it cannot warn on access).
    RAISE = "reject"
    FLAG = "warn"

    @classmethod
    def _missing_(cls, value: object) -> WhenUnavailable | None:
        member = _OLD_VALUES.get(value) if isinstance(value, str) else None
        if member is None:
            return None
        warnings.warn(
            f"WhenUnavailable({value!r}) is deprecated: use WhenUnavailable({member.value!r})",
            DeprecationWarning,
            stacklevel=2,
        )
        return member


_OLD_VALUES: Final = MappingProxyType(
    {"raise": WhenUnavailable.REJECT, "flag": WhenUnavailable.WARN}
)


class StatusResult(NamedTuple):
    """The status of one credential as a snapshot states it. ``snapshot_age`` is ``now -
    iat`` of the list (None when no list is held). A named tuple: immutable and cheap to
    build, since a verifier makes one per credential checked."""

    uri: str
    idx: int
    status: int | None
    meaning: StatusMeaning
    snapshot_age: timedelta | None
    stale: bool

    def require_valid(self) -> None:
        """Return if the status is VALID from a fresh list; otherwise raise ``Revoked``,
        ``Suspended`` or ``StatusUnavailable`` (stale, missing, or a value with no
        configured meaning)."""
        if self.stale or self.status is None:
            raise StatusUnavailable(
                "no fresh status list for this credential", uri=self.uri, age=self.snapshot_age
            )
        if self.meaning is not StatusMeaning.VALID:
            raise_for_status(self)


def raise_for_status(result: StatusResult) -> NoReturn:
    """Raise for a status that is not VALID: ``Revoked``, ``Suspended``, or
    ``StatusUnavailable`` for a value with no configured meaning (or no value at all).

    The one place a status meaning becomes an exception: :meth:`StatusResult.require_valid`
    and the verifier's status step (:mod:`qrseal.status.check`) both end here."""
    status = result.status
    if status is None:  # nothing stated: no list was consulted
        raise StatusUnavailable("no status list for this credential", uri=result.uri)
    if result.meaning is StatusMeaning.REVOKED:
        raise Revoked("the credential is revoked", uri=result.uri, idx=result.idx, status=status)
    if result.meaning is StatusMeaning.SUSPENDED:
        raise Suspended(
            "the credential is suspended", uri=result.uri, idx=result.idx, status=status
        )
    raise StatusUnavailable(
        f"status value {status} has no configured meaning",
        uri=result.uri,
        age=result.snapshot_age,
        status=status,
    )


def no_usable_list(
    ref: StatusReference, when_unavailable: WhenUnavailable, message: str
) -> StatusResult:
    """The outcome for a credential no held list may speak for: ``StatusUnavailable`` under
    ``REJECT``; under ``WARN`` a stale result with no value (``status=None``, meaning
    ``UNKNOWN``)."""
    if when_unavailable is WhenUnavailable.REJECT:
        raise StatusUnavailable(message, uri=ref.uri)
    return StatusResult(ref.uri, ref.idx, None, StatusMeaning.UNKNOWN, None, True)


def signer_issuer(verified: VerifiedStatusList) -> str | None:
    """The issuer a verified list may speak for: that of the trusted key whose signature
    verified it; None for a list verified with bare public keys (it speaks for no issuer in
    a verifier)."""
    signer = verified.signer
    return None if signer is None else signer.issuer


class StatusSnapshots:
    """An immutable store of verified status lists by URI and signer. ``with_list`` returns a
    new store.

    A list is held under its URI and its signer's issuer (:func:`signer_issuer`), so a list
    another issuer signed for the same URI never replaces, shadows or counts for this
    issuer's. For one URI and signer the newest (``iat``) is kept: a replayed old list cannot
    undo a revocation. A list whose signing key could not sign status lists at its ``iat``
    (:func:`~qrseal.status.token.check_status_signer`) is refused when stored.

    ``meanings`` maps status values to :class:`StatusMeaning` (default: the draft's 0, 1, 2);
    ``expiry_grace`` is how long after its ``exp`` a list still counts as fresh.
    """

    __slots__ = ("_entries", "_expiry_grace", "_lists", "_meanings")

    def __init__(
        self,
        lists: Iterable[VerifiedStatusList] = (),
        *,
        meanings: Mapping[int, StatusMeaning] = DEFAULT_MEANINGS,
        expiry_grace: timedelta = _ZERO,
    ) -> None:
        checked: dict[int, StatusMeaning] = {}
        for value, meaning in meanings.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
                raise InvalidArgument(f"status value {value!r} is not in 0..255")
            if not isinstance(meaning, StatusMeaning):
                raise InvalidArgument(f"meaning of {value} is not a StatusMeaning")
            checked[int(value)] = meaning  # plain ints: lookup is hot
        require_leeway(expiry_grace, "expiry_grace")
        # Plain dicts, private and never changed after construction: lookup is hot.
        self._meanings: dict[int, StatusMeaning] = checked
        self._expiry_grace = expiry_grace
        held: dict[tuple[str, str | None], VerifiedStatusList] = {}
        for verified in lists:
            if not isinstance(verified, VerifiedStatusList):
                raise InvalidArgument("StatusSnapshots holds VerifiedStatusList values")
            if verified.signer is not None:
                check_status_signer(verified.signer, signed_at=verified.issued_at)
            slot = (verified.uri, signer_issuer(verified))
            current = held.get(slot)
            if current is None or verified.issued_at > current.issued_at:
                held[slot] = verified
        self._lists: dict[tuple[str, str | None], VerifiedStatusList] = held
        # What lookup (the verifier's hot path) needs per list, computed once.
        self._entries: dict[tuple[str, str | None], _Entry] = {
            slot: (
                v.issued_at,
                None if v.expires_at is None else add_clamped(v.expires_at, expiry_grace),
                v.status_list.get,
            )
            for slot, v in held.items()
        }

    def with_list(self, verified: VerifiedStatusList) -> StatusSnapshots:
        """A store that also holds ``verified`` (replacing an older list for its URI from the
        same signer). Raises ``KeyRevoked`` or ``KeyNotValidAtTime`` for a list its key could
        not sign."""
        return StatusSnapshots(
            (*self._lists.values(), verified),
            meanings=self._meanings,
            expiry_grace=self._expiry_grace,
        )

    def get(self, uri: str, issuer: str | None = None) -> VerifiedStatusList | None:
        """The list held for ``uri`` signed by a key of ``issuer`` (None: a list verified
        with bare public keys), if any."""
        return self._lists.get((uri, issuer))

    @property
    def lists(self) -> tuple[VerifiedStatusList, ...]:
        """Every list held, by URI, then signer."""
        return tuple(v for _, v in sorted(self._lists.items(), key=lambda kv: _sort_key(kv[0])))

    @property
    def uris(self) -> tuple[str, ...]:
        """The URIs of the lists held, sorted."""
        return tuple(sorted({uri for uri, _ in self._lists}))

    def __len__(self) -> int:
        return len(self._lists)

    def __contains__(self, uri: object) -> bool:
        return any(held == uri for held, _ in self._lists)

    def lookup(
        self,
        ref: StatusReference,
        *,
        now: datetime,
        max_age: timedelta | None,
        when_unavailable: WhenUnavailable = WhenUnavailable.REJECT,
        issuer: str | None = None,
    ) -> StatusResult:
        """The status of the credential that carries ``ref``, from the list signed for
        ``issuer`` (the credential's issuer; None: the list verified with bare public keys).
        A list another issuer signed is never consulted.

        A list is stale when ``now - iat > max_age`` (``max_age=None``: no age limit) or
        when ``now >= exp + expiry_grace``; a list without ``exp`` is fresh only within
        ``max_age`` of its ``iat``, so never when ``max_age`` is None. A missing or stale list
        raises ``StatusUnavailable`` or, with ``WhenUnavailable.WARN``, gives ``stale=True``.
        An index outside the list raises ``StatusListInvalid`` whatever the policy (the
        draft: no statement can be made; reject).
        """
        if now.tzinfo is None:
            raise InvalidArgument("now must be a timezone-aware datetime")
        entry = self._entries.get((ref.uri, issuer))
        if entry is None:
            return no_usable_list(ref, when_unavailable, "no status list held for this URI")
        issued_at, fresh_until, get = entry
        age = now - issued_at
        if fresh_until is None:  # no exp: only the verifier's max_age bounds the list
            stale = max_age is None or age > max_age
        else:
            stale = (max_age is not None and age > max_age) or now >= fresh_until
        if stale and when_unavailable is WhenUnavailable.REJECT:
            raise StatusUnavailable(
                "the status list held for this URI is expired or too old", uri=ref.uri, age=age
            )
        idx = ref.idx
        try:
            status = get(idx)
        except InvalidArgument as exc:  # StatusReference guarantees idx >= 0: past the end
            raise StatusListInvalid(f"index {idx} is outside the status list") from exc
        return StatusResult(ref.uri, idx, status, self._meanings.get(status, _UNKNOWN), age, stale)


def _sort_key(slot: tuple[str, str | None]) -> tuple[str, bool, str]:
    uri, issuer = slot
    return uri, issuer is not None, issuer or ""
