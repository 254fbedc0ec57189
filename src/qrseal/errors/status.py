"""Credential status (Token Status List, docs/format.md §15) refusing a credential or unknown
(:class:`~qrseal.errors.StatusError`)."""

from __future__ import annotations

from datetime import timedelta

from .base import Reason, StatusError

__all__ = ["Revoked", "StatusUnavailable", "Suspended"]


class Revoked(StatusError):
    """The credential's status list entry is INVALID (1): revoked, irreversibly."""

    reason = Reason.REVOKED

    def __init__(self, message: str, *, uri: str, idx: int, status: int) -> None:
        super().__init__(message)
        self.uri = uri
        self.idx = idx
        self.status = status


class Suspended(StatusError):
    """The credential's status list entry is SUSPENDED (2): temporarily invalid, reversible."""

    reason = Reason.SUSPENDED

    def __init__(self, message: str, *, uri: str, idx: int, status: int) -> None:
        super().__init__(message)
        self.uri = uri
        self.idx = idx
        self.status = status


class StatusUnavailable(StatusError):
    """No statement about a credential's status can be made: no verified list for its URI, the
    list is expired or older than the policy allows (``age``), or the status value has no
    meaning configured (``status``)."""

    reason = Reason.STATUS_UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        uri: str,
        age: timedelta | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.uri = uri
        self.age = age
        self.status = status
