"""The verifier's store of verified status lists, and what a status value means.

:class:`StatusSnapshots` is immutable: ``with_list`` returns a new store, and never replaces a
list with an older one. ``lookup`` turns a credential's
:class:`~qrseal.status_ref.StatusReference` into a :class:`StatusResult`, or raises
``StatusUnavailable`` when no fresh list is held (or flags the result ``stale``, if the caller
asks for that). Time is an argument; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from .errors import InvalidArgument, Revoked, StatusListInvalid, StatusUnavailable, Suspended
from .status_ref import StatusReference
from .status_token import VerifiedStatusList

__all__ = [
    "DEFAULT_MEANINGS",
    "StatusMeaning",
    "StatusResult",
    "StatusSnapshots",
    "WhenUnavailable",
]

_ZERO: Final = timedelta(0)


class StatusMeaning(StrEnum):
    """What a status value means to a verifier. ``UNKNOWN``: a value with no meaning
    configured, or no usable list (then ``status`` is None)."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"


#: The draft's registered values; application-specific values map to UNKNOWN unless configured.
DEFAULT_MEANINGS: Final[Mapping[int, StatusMeaning]] = MappingProxyType(
    {0: StatusMeaning.VALID, 1: StatusMeaning.REVOKED, 2: StatusMeaning.SUSPENDED}
)


_UNKNOWN: Final = StatusMeaning.UNKNOWN


class WhenUnavailable(Enum):
    """What ``lookup`` does when no list is held for the URI, or it is expired or older than
    ``max_age``: raise ``StatusUnavailable`` (fail closed) or return a result with
    ``stale=True`` (the value of an old list, or ``status=None`` when none is held)."""

    RAISE = "raise"
    FLAG = "flag"


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
        if self.meaning is StatusMeaning.VALID:
            return
        if self.meaning is StatusMeaning.REVOKED:
            raise Revoked("credential is revoked", uri=self.uri, idx=self.idx, status=self.status)
        if self.meaning is StatusMeaning.SUSPENDED:
            raise Suspended(
                "credential is suspended", uri=self.uri, idx=self.idx, status=self.status
            )
        raise StatusUnavailable(
            f"status value {self.status} has no configured meaning",
            uri=self.uri,
            age=self.snapshot_age,
            status=self.status,
        )


class StatusSnapshots:
    """An immutable store of verified status lists by URI. ``with_list`` returns a new store;
    it never replaces a list with an older one (``iat``), so a replayed old list cannot undo
    a revocation.

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
            checked[value] = meaning
        if not isinstance(expiry_grace, timedelta) or expiry_grace < _ZERO:
            raise InvalidArgument("expiry_grace must be a non-negative timedelta")
        # Plain dicts, private and never changed after construction: lookup is hot.
        self._meanings: dict[int, StatusMeaning] = checked
        self._expiry_grace = expiry_grace
        held: dict[str, VerifiedStatusList] = {}
        for verified in lists:
            if not isinstance(verified, VerifiedStatusList):
                raise InvalidArgument("StatusSnapshots holds VerifiedStatusList values")
            current = held.get(verified.uri)
            if current is None or verified.issued_at > current.issued_at:
                held[verified.uri] = verified
        self._lists: dict[str, VerifiedStatusList] = held
        # What lookup (the verifier's hot path) needs per URI, computed once: iat, exp + grace
        # and the list's bound get.
        self._entries: dict[str, tuple[datetime, datetime | None, Callable[[int], int]]] = {
            uri: (
                v.issued_at,
                None if v.expires_at is None else v.expires_at + expiry_grace,
                v.status_list.get,
            )
            for uri, v in held.items()
        }

    def with_list(self, verified: VerifiedStatusList) -> StatusSnapshots:
        """A store that also holds ``verified`` (replacing an older list for its URI)."""
        return StatusSnapshots(
            (*self._lists.values(), verified),
            meanings=self._meanings,
            expiry_grace=self._expiry_grace,
        )

    def get(self, uri: str) -> VerifiedStatusList | None:
        """The list held for ``uri``, if any."""
        return self._lists.get(uri)

    @property
    def uris(self) -> tuple[str, ...]:
        """The URIs of the lists held, sorted."""
        return tuple(sorted(self._lists))

    def __len__(self) -> int:
        return len(self._lists)

    def __contains__(self, uri: object) -> bool:
        return uri in self._lists

    def lookup(
        self,
        ref: StatusReference,
        *,
        now: datetime,
        max_age: timedelta | None,
        when_unavailable: WhenUnavailable = WhenUnavailable.RAISE,
    ) -> StatusResult:
        """The status of the credential that carries ``ref``.

        A list is stale when ``now - iat > max_age`` (``max_age=None``: no age limit) or
        when ``now >= exp + expiry_grace``. A missing or stale list raises
        ``StatusUnavailable`` or, with ``WhenUnavailable.FLAG``, gives ``stale=True``. An
        index outside the list raises ``StatusListInvalid`` whatever the policy (the draft:
        no statement can be made; reject).
        """
        if now.tzinfo is None:
            raise InvalidArgument("now must be a timezone-aware datetime")
        entry = self._entries.get(ref.uri)
        if entry is None:
            if when_unavailable is WhenUnavailable.RAISE:
                raise StatusUnavailable("no status list held for this URI", uri=ref.uri)
            return StatusResult(ref.uri, ref.idx, None, StatusMeaning.UNKNOWN, None, True)
        issued_at, fresh_until, get = entry
        age = now - issued_at
        stale = (max_age is not None and age > max_age) or (
            fresh_until is not None and now >= fresh_until
        )
        if stale and when_unavailable is WhenUnavailable.RAISE:
            raise StatusUnavailable(
                "the status list held for this URI is expired or too old", uri=ref.uri, age=age
            )
        idx = ref.idx
        try:
            status = get(idx)
        except InvalidArgument as exc:  # StatusReference guarantees idx >= 0: past the end
            raise StatusListInvalid(f"index {idx} is outside the status list") from exc
        return StatusResult(ref.uri, idx, status, self._meanings.get(status, _UNKNOWN), age, stale)
