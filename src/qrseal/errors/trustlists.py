"""The trust list held or offered cannot be used (:class:`~qrseal.errors.TrustListError`)."""

from __future__ import annotations

from datetime import datetime

from .base import Reason, TrustListError

__all__ = [
    "TrustListExpired",
    "TrustListMismatch",
    "TrustListMissing",
    "TrustListRollback",
    "TrustListSequenceJump",
]


class TrustListRollback(TrustListError):
    """A trust list whose sequence number is not above the one already held."""

    reason = Reason.TRUST_LIST_ROLLBACK

    def __init__(self, message: str, *, sequence: int, held: int) -> None:
        super().__init__(message)
        self.sequence = sequence
        self.held = held


class TrustListExpired(TrustListError):
    """The trust list is past its expiry (plus any grace period the caller allows)."""

    reason = Reason.TRUST_LIST_EXPIRED

    def __init__(self, message: str, *, expired_at: datetime, now: datetime) -> None:
        super().__init__(message)
        self.expired_at = expired_at
        self.now = now


class TrustListMismatch(TrustListError):
    """An update carries a different list id than the list already held."""

    reason = Reason.TRUST_LIST_MISMATCH

    def __init__(self, message: str, *, list_id: str, held: str) -> None:
        super().__init__(message)
        self.list_id = list_id
        self.held = held


class TrustListMissing(TrustListError):
    """No trust list has been loaded or stored yet, so nothing can be verified."""

    reason = Reason.TRUST_LIST_MISSING


class TrustListSequenceJump(TrustListError):
    """A trust list's sequence number jumps further above the held one than the store allows
    (``max_jump``): one list numbered near 2**63 would otherwise lock out every later one."""

    reason = Reason.TRUST_LIST_SEQUENCE_JUMP

    def __init__(self, message: str, *, sequence: int, held: int, max_jump: int) -> None:
        super().__init__(message)
        self.sequence = sequence
        self.held = held
        self.max_jump = max_jump
