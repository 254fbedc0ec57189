"""Errors: one base class, typed leaves, stable machine-readable reason codes.

Every exception that leaves the public API is a :class:`QrsealError`. Each leaf
class has a fixed :class:`Reason` (a string that never changes once released)
and carries its evidence as attributes (``kid``, ``expired_at``, ``now``, ...).
Applications branch on ``err.reason`` (or the class), never on message text.

Errors raised by dependencies (``cbor2``, ``zlib``, ``cryptography``, ``PIL``)
are translated at the layer that calls the dependency and chained as
``__cause__``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "AlgorithmNotAllowed",
    "DataTooOld",
    "Expired",
    "InvalidArgument",
    "InvalidImage",
    "InvalidKey",
    "InvalidLicence",
    "IssuedInFuture",
    "IssuerMismatch",
    "KeyNotValidAtTime",
    "LicenceProblem",
    "Malformed",
    "MalformedCbor",
    "MalformedClaims",
    "MalformedCompression",
    "MalformedCose",
    "MalformedText",
    "NoQrFound",
    "NotYetValid",
    "QrsealError",
    "Reason",
    "SignatureInvalid",
    "TooLarge",
    "UnknownCriticalHeader",
    "UnknownKey",
    "UnsupportedVersion",
]


class Reason(StrEnum):
    """Stable reason codes. Values are part of the public contract: never change one."""

    ERROR = "error"
    INVALID_ARGUMENT = "invalid_argument"
    # size and framing
    TOO_LARGE = "too_large"
    UNSUPPORTED_VERSION = "unsupported_version"
    # malformed, one code per layer
    MALFORMED_TEXT = "malformed_text"
    MALFORMED_COMPRESSION = "malformed_compression"
    MALFORMED_CBOR = "malformed_cbor"
    MALFORMED_COSE = "malformed_cose"
    MALFORMED_CLAIMS = "malformed_claims"
    UNKNOWN_CRITICAL_HEADER = "unknown_critical_header"
    # keys and signatures
    INVALID_KEY = "invalid_key"
    UNKNOWN_KEY = "unknown_key"
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    KEY_NOT_VALID_AT_TIME = "key_not_valid_at_time"
    SIGNATURE_INVALID = "signature_invalid"
    ISSUER_MISMATCH = "issuer_mismatch"
    # time
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    DATA_TOO_OLD = "data_too_old"
    # content
    INVALID_LICENCE = "invalid_licence"
    # images
    NO_QR_FOUND = "no_qr_found"
    INVALID_IMAGE = "invalid_image"


class QrsealError(Exception):
    """Base of every error qrseal raises. ``reason`` is a stable :class:`Reason`."""

    reason: ClassVar[Reason] = Reason.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.message}"


class InvalidArgument(QrsealError, ValueError):
    """A caller passed an argument the API cannot use (naive datetime, bad option)."""

    reason = Reason.INVALID_ARGUMENT


class TooLarge(QrsealError):
    """An input exceeds a size cap before or during decoding."""

    reason = Reason.TOO_LARGE

    def __init__(self, message: str, *, what: str, limit: int, actual: int | None = None) -> None:
        super().__init__(message)
        self.what = what
        self.limit = limit
        self.actual = actual


class UnsupportedVersion(QrsealError):
    """The text prefix names a credential type or format version this reader does not know."""

    reason = Reason.UNSUPPORTED_VERSION

    def __init__(self, message: str, *, prefix: str | None = None) -> None:
        super().__init__(message)
        self.prefix = prefix


class Malformed(QrsealError):
    """Input is not well-formed at some layer. Subclasses name the layer."""

    reason = Reason.ERROR


class MalformedText(Malformed):
    """The text body is not valid for its text encoding (Base45 or numeric)."""

    reason = Reason.MALFORMED_TEXT


class MalformedCompression(Malformed):
    """The zlib stream is corrupt or truncated."""

    reason = Reason.MALFORMED_COMPRESSION


class MalformedCbor(Malformed):
    """The bytes are not strictly valid CBOR (duplicates, indefinite lengths, depth, trailing)."""

    reason = Reason.MALFORMED_CBOR


class MalformedCose(Malformed):
    """Valid CBOR that is not a well-formed COSE structure (tag, shape, headers)."""

    reason = Reason.MALFORMED_COSE


class UnknownCriticalHeader(MalformedCose):
    """The protected ``crit`` header lists a label this implementation does not understand."""

    reason = Reason.UNKNOWN_CRITICAL_HEADER

    def __init__(self, message: str, *, labels: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.labels = labels


class MalformedClaims(Malformed):
    """The signed payload is not a valid CWT claims set (checked only after the signature)."""

    reason = Reason.MALFORMED_CLAIMS


class InvalidKey(QrsealError):
    """A key could not be loaded or does not fit the requested algorithm."""

    reason = Reason.INVALID_KEY


class UnknownKey(QrsealError):
    """No trusted key has the credential's ``kid``."""

    reason = Reason.UNKNOWN_KEY

    def __init__(self, message: str, *, kid: bytes | None) -> None:
        super().__init__(message)
        self.kid = kid


class AlgorithmNotAllowed(QrsealError):
    """The algorithm is not allowed by policy, or not the one registered for the key."""

    reason = Reason.ALGORITHM_NOT_ALLOWED

    def __init__(self, message: str, *, alg: object, kid: bytes | None = None) -> None:
        super().__init__(message)
        self.alg = alg
        self.kid = kid


class KeyNotValidAtTime(QrsealError):
    """The signing key's validity window does not cover the credential's signing time."""

    reason = Reason.KEY_NOT_VALID_AT_TIME

    def __init__(self, message: str, *, kid: bytes | None, at: datetime | None) -> None:
        super().__init__(message)
        self.kid = kid
        self.at = at


class SignatureInvalid(QrsealError):
    """The signature does not verify under any trusted key with that ``kid``."""

    reason = Reason.SIGNATURE_INVALID

    def __init__(self, message: str, *, kid: bytes | None = None) -> None:
        super().__init__(message)
        self.kid = kid


class IssuerMismatch(QrsealError):
    """The credential's ``iss`` claim is not the issuer the trust store names for its key
    (a key of one issuer signing in the name of another)."""

    reason = Reason.ISSUER_MISMATCH

    def __init__(self, message: str, *, kid: bytes | None, claimed: str, trusted: str) -> None:
        super().__init__(message)
        self.kid = kid
        self.claimed = claimed
        self.trusted = trusted


class DataTooOld(QrsealError):
    """The licence data (points/status as of a time) is older than the policy allows."""

    reason = Reason.DATA_TOO_OLD

    def __init__(self, message: str, *, as_of: datetime, now: datetime) -> None:
        super().__init__(message)
        self.as_of = as_of
        self.now = now


class Expired(QrsealError):
    """The credential's own validity (CWT ``exp``) has passed."""

    reason = Reason.EXPIRED

    def __init__(self, message: str, *, expired_at: datetime, now: datetime) -> None:
        super().__init__(message)
        self.expired_at = expired_at
        self.now = now


class NotYetValid(QrsealError):
    """The credential's ``nbf`` is in the future."""

    reason = Reason.NOT_YET_VALID

    def __init__(self, message: str, *, not_before: datetime, now: datetime) -> None:
        super().__init__(message)
        self.not_before = not_before
        self.now = now


class IssuedInFuture(QrsealError):
    """The credential's ``iat`` is later than now plus the allowed clock skew."""

    reason = Reason.ISSUED_IN_FUTURE

    def __init__(self, message: str, *, issued_at: datetime, now: datetime) -> None:
        super().__init__(message)
        self.issued_at = issued_at
        self.now = now


class LicenceProblem:
    """One validation finding: the offending field (dotted path), a short code and a message."""

    __slots__ = ("code", "field", "message")

    def __init__(self, field: str, code: str, message: str) -> None:
        self.field = field
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"LicenceProblem({self.field!r}, {self.code!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LicenceProblem):
            return NotImplemented
        return (self.field, self.code, self.message) == (other.field, other.code, other.message)

    def __hash__(self) -> int:
        return hash((self.field, self.code, self.message))


class InvalidLicence(QrsealError, ValueError):
    """Licence data fails validation. ``field`` names the first offending field;
    ``problems`` lists every error found."""

    reason = Reason.INVALID_LICENCE

    def __init__(
        self, message: str, *, field: str, problems: tuple[LicenceProblem, ...] = ()
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problems = problems or (LicenceProblem(field, "invalid", message),)


class NoQrFound(QrsealError):
    """The image holds no readable QR code."""

    reason = Reason.NO_QR_FOUND


class InvalidImage(QrsealError):
    """The input is not a decodable image, or exceeds the pixel cap."""

    reason = Reason.INVALID_IMAGE
