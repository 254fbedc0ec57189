"""A genuine credential outside its time rules (:class:`~qrseal.errors.ValidityError`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .base import Reason, ValidityError

__all__ = ["DataTooOld", "Expired", "IssuedInFuture", "NotYetValid", "ValidityTooLong"]


class Expired(ValidityError):
    """The credential's own validity (CWT ``exp``) has passed."""

    reason = Reason.EXPIRED

    def __init__(self, message: str, *, expired_at: datetime, now: datetime) -> None:
        super().__init__(message)
        self.expired_at = expired_at
        self.now = now


class NotYetValid(ValidityError):
    """The credential's ``nbf`` is in the future."""

    reason = Reason.NOT_YET_VALID

    def __init__(self, message: str, *, not_before: datetime, now: datetime) -> None:
        super().__init__(message)
        self.not_before = not_before
        self.now = now


class IssuedInFuture(ValidityError):
    """The credential's ``iat`` is later than now plus the allowed clock skew."""

    reason = Reason.ISSUED_IN_FUTURE

    def __init__(self, message: str, *, issued_at: datetime, now: datetime) -> None:
        super().__init__(message)
        self.issued_at = issued_at
        self.now = now


class ValidityTooLong(ValidityError):
    """The credential's lifetime (``exp`` minus ``iat``) is longer than the verifier's policy
    allows (``Policy.max_validity``): a key signing just before its retirement must not make
    a credential that is accepted for years."""

    reason = Reason.VALIDITY_TOO_LONG

    def __init__(
        self,
        message: str,
        *,
        issued_at: datetime,
        expires_at: datetime,
        lifetime: timedelta,
        limit: timedelta,
    ) -> None:
        super().__init__(message)
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.lifetime = lifetime
        self.limit = limit


class DataTooOld(ValidityError):
    """The licence data (points/status as of a time) is older than the policy allows."""

    reason = Reason.DATA_TOO_OLD

    def __init__(self, message: str, *, as_of: datetime, now: datetime) -> None:
        super().__init__(message)
        self.as_of = as_of
        self.now = now
