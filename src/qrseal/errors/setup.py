"""The caller's own set-up is at fault, not the input (:class:`~qrseal.errors.SetupError`)."""

from __future__ import annotations

from .base import Reason, SetupError

__all__ = ["InvalidArgument", "InvalidKey", "StorageFailed"]


class InvalidArgument(SetupError, ValueError):
    """A caller passed an argument the API cannot use (naive datetime, bad option)."""

    reason = Reason.INVALID_ARGUMENT


class InvalidKey(SetupError):
    """A key could not be loaded or does not fit the requested algorithm."""

    reason = Reason.INVALID_KEY


class StorageFailed(SetupError):
    """Reading or atomically writing a stored file failed; the previous file is intact."""

    reason = Reason.STORAGE_FAILED

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
