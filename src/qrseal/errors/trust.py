"""The signer is not trusted for this credential (:class:`~qrseal.errors.TrustError`), including
the trust-list entry checks and X.509 document signers (docs/format.md §14)."""

from __future__ import annotations

from datetime import datetime

from .base import Reason, TrustError

__all__ = [
    "AlgorithmNotAllowed",
    "CertificateInvalid",
    "CertificateUntrusted",
    "IssuerMismatch",
    "KeyNotAuthorised",
    "KeyNotValidAtTime",
    "KeyRevoked",
    "SignatureInvalid",
    "UnknownKey",
]


class UnknownKey(TrustError):
    """No trusted key has the credential's ``kid``."""

    reason = Reason.UNKNOWN_KEY

    def __init__(self, message: str, *, kid: bytes | None) -> None:
        super().__init__(message)
        self.kid = kid


class AlgorithmNotAllowed(TrustError):
    """The algorithm is not allowed by policy, or not the one registered for the key."""

    reason = Reason.ALGORITHM_NOT_ALLOWED

    def __init__(self, message: str, *, alg: object, kid: bytes | None = None) -> None:
        super().__init__(message)
        self.alg = alg
        self.kid = kid


class SignatureInvalid(TrustError):
    """The signature does not verify under any trusted key with that ``kid``."""

    reason = Reason.SIGNATURE_INVALID

    def __init__(self, message: str, *, kid: bytes | None = None) -> None:
        super().__init__(message)
        self.kid = kid


class KeyNotValidAtTime(TrustError):
    """The signing key's validity window does not cover the credential's signing time."""

    reason = Reason.KEY_NOT_VALID_AT_TIME

    def __init__(self, message: str, *, kid: bytes | None, at: datetime | None) -> None:
        super().__init__(message)
        self.kid = kid
        self.at = at


class IssuerMismatch(TrustError):
    """The credential's ``iss`` claim is not the issuer the trust store names for its key
    (a key of one issuer signing in the name of another)."""

    reason = Reason.ISSUER_MISMATCH

    def __init__(self, message: str, *, kid: bytes | None, claimed: str, trusted: str) -> None:
        super().__init__(message)
        self.kid = kid
        self.claimed = claimed
        self.trusted = trusted


class KeyRevoked(TrustError):
    """The signing key was revoked before the credential was signed, or is flagged as
    compromised (then every credential it signed is refused)."""

    reason = Reason.KEY_REVOKED

    def __init__(
        self,
        message: str,
        *,
        kid: bytes | None,
        revoked_at: datetime | None,
        compromised: bool,
        signed_at: datetime | None,
    ) -> None:
        super().__init__(message)
        self.kid = kid
        self.revoked_at = revoked_at
        self.compromised = compromised
        self.signed_at = signed_at


class KeyNotAuthorised(TrustError):
    """The signing key may not sign for this jurisdiction, credential type or licence class.
    ``scope`` is ``"jurisdiction"``, ``"credential_type"`` or ``"class"``."""

    reason = Reason.KEY_NOT_AUTHORISED

    def __init__(self, message: str, *, kid: bytes | None, scope: str, value: str | None) -> None:
        super().__init__(message)
        self.kid = kid
        self.scope = scope
        self.value = value


class CertificateInvalid(TrustError):
    """An X.509 certificate is unusable for its role (key usage, basic constraints, key type)."""

    reason = Reason.CERTIFICATE_INVALID

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject


class CertificateUntrusted(TrustError):
    """An X.509 document-signer certificate does not chain to a trusted issuing authority."""

    reason = Reason.CERTIFICATE_UNTRUSTED

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject
