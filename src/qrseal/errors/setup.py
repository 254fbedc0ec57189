"""The caller's own set-up is at fault, not the input (:class:`~qrseal.errors.SetupError`)."""

from __future__ import annotations

from .base import Reason, SetupError

__all__ = [
    "BatchMismatch",
    "InvalidArgument",
    "InvalidKey",
    "StorageFailed",
    "TokenFailed",
    "TokenKeyNotFound",
    "TokenLoginFailed",
    "TokenUnavailable",
]


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


class TokenUnavailable(SetupError):
    """The PKCS#11 module cannot be loaded, or no token (or more than one) has the label."""

    reason = Reason.TOKEN_UNAVAILABLE

    def __init__(self, message: str, *, token: str | None = None) -> None:
        super().__init__(message)
        self.token = token


class TokenLoginFailed(SetupError):
    """The token refused the PIN: wrong, locked, expired or of a length it does not take."""

    reason = Reason.TOKEN_LOGIN_FAILED

    def __init__(self, message: str, *, token: str | None = None) -> None:
        super().__init__(message)
        self.token = token


class TokenKeyNotFound(SetupError):
    """No key pair (or more than one) with the label or id is on the token."""

    reason = Reason.TOKEN_KEY_NOT_FOUND

    def __init__(
        self, message: str, *, label: str | None = None, key_id: bytes | None = None
    ) -> None:
        super().__init__(message)
        self.label = label
        self.key_id = key_id


class TokenFailed(SetupError):
    """The token failed an operation it should do (sign, generate, read a public key)."""

    reason = Reason.TOKEN_FAILED


class BatchMismatch(SetupError):
    """A batch cannot resume: its journal belongs to another input or other settings."""

    reason = Reason.BATCH_MISMATCH

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
