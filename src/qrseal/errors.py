"""Errors: one base class, a few families, typed leaves with stable reason codes.

Every exception that leaves the public API is a :class:`QrsealError`. Each leaf
class has a fixed :class:`Reason` (a string that never changes once released)
and carries its evidence as attributes (``kid``, ``expired_at``, ``now``, ...).
Applications branch on ``err.reason`` (or the class), never on message text.

Every leaf belongs to exactly one *family*, a subclass of :class:`QrsealError` a
caller can catch to handle a whole kind of failure at once (listed in
:data:`FAMILIES`). A family says *what* went wrong, not which call raised it:

================== ==========================================================================
family             the leaves (their ``reason``)
================== ==========================================================================
InputError         the input cannot be read as what it claims to be: ``too_large``,
                   ``unsupported_version``, ``malformed_text``, ``malformed_compression``,
                   ``malformed_cbor``, ``malformed_cose``, ``unknown_critical_header``,
                   ``malformed_claims``, ``malformed_trust_list``, ``status_list_invalid``
                   (those eight are also :class:`Malformed`), ``invalid_licence``,
                   ``no_qr_found``, ``invalid_image``, ``ambiguous_image``,
                   ``structured_append``
TrustError         the signer is not trusted for this credential: ``unknown_key``,
                   ``algorithm_not_allowed``, ``signature_invalid``, ``key_not_valid_at_time``,
                   ``issuer_mismatch``, ``key_revoked``, ``key_not_authorised``,
                   ``certificate_invalid``, ``certificate_untrusted``
ValidityError      a genuine credential outside its time rules: ``expired``,
                   ``not_yet_valid``, ``issued_in_future``, ``validity_too_long``,
                   ``data_too_old``
PresentationError  a live code (``DP1:``) fails or is missing: ``presentation_required``,
                   ``holder_binding_invalid``, ``stale_presentation``,
                   ``presentation_in_future``, ``nonce_mismatch``, ``audience_mismatch``,
                   ``presentation_replayed``
StatusError        the credential's status says no, or cannot be known: ``revoked``,
                   ``suspended``, ``status_unavailable``
TrustListError     the held or offered trust list cannot be used: ``trust_list_rollback``,
                   ``trust_list_expired``, ``trust_list_mismatch``, ``trust_list_missing``,
                   ``trust_list_sequence_jump``
SetupError         the caller's own set-up, not the input: ``invalid_argument``,
                   ``invalid_key``, ``storage_failed``
================== ==========================================================================

A trust list or status list whose payload is not well-formed is :class:`Malformed` (and so
an :class:`InputError`), like any other malformed input: catch ``(TrustListError,
InputError, TrustError)`` around a trust-list update to handle every refusal of it.
Leaves that were also built-in exceptions stay so (``InvalidArgument`` and
``InvalidLicence`` are ``ValueError`` s).

Errors raised by dependencies (``cbor2``, ``zlib``, ``cryptography``, ``PIL``)
are translated at the layer that calls the dependency and chained as
``__cause__``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "FAMILIES",
    "AlgorithmNotAllowed",
    "AmbiguousImage",
    "AudienceMismatch",
    "CertificateInvalid",
    "CertificateUntrusted",
    "DataTooOld",
    "Expired",
    "HolderBindingInvalid",
    "InputError",
    "InvalidArgument",
    "InvalidImage",
    "InvalidKey",
    "InvalidLicence",
    "IssuedInFuture",
    "IssuerMismatch",
    "KeyNotAuthorised",
    "KeyNotValidAtTime",
    "KeyRevoked",
    "LicenceProblem",
    "Malformed",
    "MalformedCbor",
    "MalformedClaims",
    "MalformedCompression",
    "MalformedCose",
    "MalformedText",
    "MalformedTrustList",
    "NoQrFound",
    "NonceMismatch",
    "NotYetValid",
    "PresentationError",
    "PresentationInFuture",
    "PresentationReplayed",
    "PresentationRequired",
    "QrsealError",
    "Reason",
    "Revoked",
    "SetupError",
    "SignatureInvalid",
    "StalePresentation",
    "StatusError",
    "StatusListInvalid",
    "StatusUnavailable",
    "StorageFailed",
    "StructuredAppend",
    "Suspended",
    "TooLarge",
    "TrustError",
    "TrustListError",
    "TrustListExpired",
    "TrustListMismatch",
    "TrustListMissing",
    "TrustListRollback",
    "TrustListSequenceJump",  # issue 9: trust lists
    "UnknownCriticalHeader",
    "UnknownKey",
    "UnsupportedVersion",
    "ValidityError",
    "ValidityTooLong",  # issue 9: verifier policy
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
    # live presentations (docs/format.md §10)
    PRESENTATION_REQUIRED = "presentation_required"
    HOLDER_BINDING_INVALID = "holder_binding_invalid"
    STALE_PRESENTATION = "stale_presentation"
    PRESENTATION_IN_FUTURE = "presentation_in_future"
    NONCE_MISMATCH = "nonce_mismatch"
    AUDIENCE_MISMATCH = "audience_mismatch"
    PRESENTATION_REPLAYED = "presentation_replayed"
    # trust lists and X.509 document signers (docs/format.md §14)
    KEY_REVOKED = "key_revoked"
    KEY_NOT_AUTHORISED = "key_not_authorised"
    MALFORMED_TRUST_LIST = "malformed_trust_list"
    TRUST_LIST_ROLLBACK = "trust_list_rollback"
    TRUST_LIST_EXPIRED = "trust_list_expired"
    TRUST_LIST_MISMATCH = "trust_list_mismatch"
    TRUST_LIST_MISSING = "trust_list_missing"
    STORAGE_FAILED = "storage_failed"
    CERTIFICATE_INVALID = "certificate_invalid"
    CERTIFICATE_UNTRUSTED = "certificate_untrusted"
    # credential status (Token Status List, docs/format.md §15)
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    STATUS_UNAVAILABLE = "status_unavailable"
    STATUS_LIST_INVALID = "status_list_invalid"
    # issue 9: trust lists
    TRUST_LIST_SEQUENCE_JUMP = "trust_list_sequence_jump"
    # issue 9: images
    AMBIGUOUS_IMAGE = "ambiguous_image"
    STRUCTURED_APPEND = "structured_append"
    # issue 9: verifier policy
    VALIDITY_TOO_LONG = "validity_too_long"


class QrsealError(Exception):
    """Base of every error qrseal raises. ``reason`` is a stable :class:`Reason`."""

    reason: ClassVar[Reason] = Reason.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.message}"


# --- families: catch one to handle a whole kind of failure ---------------------------------


class InputError(QrsealError):
    """The input cannot be read as what it claims to be: too large, an unknown version, not
    well-formed at some layer (:class:`Malformed`), not a valid licence, or an image without
    exactly one readable single-symbol QR code."""


class TrustError(QrsealError):
    """The credential's signer is not trusted for it: no such key, a refused algorithm, a
    signature that does not verify, or a key outside its window, revoked, out of scope or
    certified by nobody trusted."""


class ValidityError(QrsealError):
    """A genuine credential outside its time rules: expired, not yet valid, issued in the
    future, valid for longer than the policy allows, or carrying data older than allowed."""


class PresentationError(QrsealError):
    """A live presentation fails its checks (device signature, age, nonce, audience, replay),
    or the policy requires one and a static credential was shown."""


class StatusError(QrsealError):
    """The credential's status list entry refuses it (revoked, suspended), or its status
    cannot be known."""


class TrustListError(QrsealError):
    """The trust list held or offered cannot be used: missing, expired, another list, a
    rollback or an implausible sequence jump."""


class SetupError(QrsealError):
    """The caller's own set-up is at fault, not the input: an argument the API cannot use, a
    key that cannot be loaded or used, a file that cannot be read or written."""


FAMILIES: tuple[type[QrsealError], ...] = (
    InputError,
    TrustError,
    ValidityError,
    PresentationError,
    StatusError,
    TrustListError,
    SetupError,
)
"""The error families, each a direct subclass of :class:`QrsealError`; every leaf belongs to
exactly one of them."""


# --- the leaves ----------------------------------------------------------------------------


class InvalidArgument(SetupError, ValueError):
    """A caller passed an argument the API cannot use (naive datetime, bad option)."""

    reason = Reason.INVALID_ARGUMENT


class TooLarge(InputError):
    """An input exceeds a size cap before or during decoding."""

    reason = Reason.TOO_LARGE

    def __init__(self, message: str, *, what: str, limit: int, actual: int | None = None) -> None:
        super().__init__(message)
        self.what = what
        self.limit = limit
        self.actual = actual


class UnsupportedVersion(InputError):
    """The text prefix names a credential type or format version this reader does not know."""

    reason = Reason.UNSUPPORTED_VERSION

    def __init__(self, message: str, *, prefix: str | None = None) -> None:
        super().__init__(message)
        self.prefix = prefix


class Malformed(InputError):
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


class InvalidKey(SetupError):
    """A key could not be loaded or does not fit the requested algorithm."""

    reason = Reason.INVALID_KEY


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


class KeyNotValidAtTime(TrustError):
    """The signing key's validity window does not cover the credential's signing time."""

    reason = Reason.KEY_NOT_VALID_AT_TIME

    def __init__(self, message: str, *, kid: bytes | None, at: datetime | None) -> None:
        super().__init__(message)
        self.kid = kid
        self.at = at


class SignatureInvalid(TrustError):
    """The signature does not verify under any trusted key with that ``kid``."""

    reason = Reason.SIGNATURE_INVALID

    def __init__(self, message: str, *, kid: bytes | None = None) -> None:
        super().__init__(message)
        self.kid = kid


class IssuerMismatch(TrustError):
    """The credential's ``iss`` claim is not the issuer the trust store names for its key
    (a key of one issuer signing in the name of another)."""

    reason = Reason.ISSUER_MISMATCH

    def __init__(self, message: str, *, kid: bytes | None, claimed: str, trusted: str) -> None:
        super().__init__(message)
        self.kid = kid
        self.claimed = claimed
        self.trusted = trusted


class DataTooOld(ValidityError):
    """The licence data (points/status as of a time) is older than the policy allows."""

    reason = Reason.DATA_TOO_OLD

    def __init__(self, message: str, *, as_of: datetime, now: datetime) -> None:
        super().__init__(message)
        self.as_of = as_of
        self.now = now


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


class InvalidLicence(InputError, ValueError):
    """Licence data fails validation. ``field`` names the first offending field;
    ``problems`` lists every error found."""

    reason = Reason.INVALID_LICENCE

    def __init__(
        self, message: str, *, field: str, problems: tuple[LicenceProblem, ...] = ()
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problems = problems or (LicenceProblem(field, "invalid", message),)


class NoQrFound(InputError):
    """The image holds no readable QR code."""

    reason = Reason.NO_QR_FOUND


class InvalidImage(InputError):
    """The input is not a decodable image, or exceeds the pixel cap."""

    reason = Reason.INVALID_IMAGE


# --- trust lists and X.509 document signers (docs/format.md §14) --------------------------


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


class MalformedTrustList(Malformed):
    """A trust list's payload (checked only after its signature) is not a valid trust list,
    or its protected ``typ`` does not name one."""

    reason = Reason.MALFORMED_TRUST_LIST


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


class StorageFailed(SetupError):
    """Reading or atomically writing a stored file failed; the previous file is intact."""

    reason = Reason.STORAGE_FAILED

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


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


# --- live presentations (docs/format.md §10) ----------------------------------------------


class PresentationRequired(PresentationError):
    """The policy requires a live presentation (``DP1:``) and a static credential was shown."""

    reason = Reason.PRESENTATION_REQUIRED


class HolderBindingInvalid(PresentationError):
    """The device signature of a live presentation does not verify under the device key the
    credential names (``cnf``): made by another key, altered, or the credential is not bound
    to a device key at all (``bound`` is False then)."""

    reason = Reason.HOLDER_BINDING_INVALID

    def __init__(self, message: str, *, bound: bool = True) -> None:
        super().__init__(message)
        self.bound = bound


class StalePresentation(PresentationError):
    """The live presentation is older than the policy allows (a replayed screenshot)."""

    reason = Reason.STALE_PRESENTATION

    def __init__(
        self, message: str, *, presented_at: datetime, now: datetime, max_age: timedelta
    ) -> None:
        super().__init__(message)
        self.presented_at = presented_at
        self.now = now
        self.max_age = max_age


class PresentationInFuture(PresentationError):
    """The live presentation is dated later than now plus the allowed clock skew."""

    reason = Reason.PRESENTATION_IN_FUTURE

    def __init__(self, message: str, *, presented_at: datetime, now: datetime) -> None:
        super().__init__(message)
        self.presented_at = presented_at
        self.now = now


class NonceMismatch(PresentationError):
    """The presentation does not carry the nonce the verifier expects (``actual`` may be None)."""

    reason = Reason.NONCE_MISMATCH

    def __init__(self, message: str, *, expected: bytes | None, actual: bytes | None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class AudienceMismatch(PresentationError):
    """The presentation is addressed to another audience, or to one this verifier does not
    expect, or lacks the audience the verifier requires."""

    reason = Reason.AUDIENCE_MISMATCH

    def __init__(self, message: str, *, expected: str | None, actual: str | None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class PresentationReplayed(PresentationError):
    """The same live presentation (same signed content) was already accepted by this
    verifier's replay cache within its validity window."""

    reason = Reason.PRESENTATION_REPLAYED

    def __init__(self, message: str, *, presented_at: datetime) -> None:
        super().__init__(message)
        self.presented_at = presented_at


# --- credential status (Token Status List, docs/format.md §15) ----------------------------


class StatusListInvalid(Malformed):
    """A Status List Token or status list is well-formed CBOR/COSE but not a valid status list:
    a wrong protected ``typ``, a bad ``bits`` or ``lst``, a ``sub`` other than the URI asked
    for, or an index outside the list."""

    reason = Reason.STATUS_LIST_INVALID


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


# issue 9: trust lists


class TrustListSequenceJump(TrustListError):
    """A trust list's sequence number jumps further above the held one than the store allows
    (``max_jump``): one list numbered near 2**63 would otherwise lock out every later one."""

    reason = Reason.TRUST_LIST_SEQUENCE_JUMP

    def __init__(self, message: str, *, sequence: int, held: int, max_jump: int) -> None:
        super().__init__(message)
        self.sequence = sequence
        self.held = held
        self.max_jump = max_jump


# issue 9: images


class AmbiguousImage(InputError):
    """The image holds more than one different credential: which one the holder meant to
    show is unknown, so none is verified. ``texts`` are the credential codes found (read
    them all with :func:`qrseal.qr.scan`)."""

    reason = Reason.AMBIGUOUS_IMAGE

    def __init__(self, message: str, *, texts: tuple[str, ...]) -> None:
        super().__init__(message)
        self.texts = texts


class StructuredAppend(InputError):
    """A QR symbol in the image is one part of a Structured Append sequence (ISO/IEC 18004
    mode 0011): its text is not a whole message. qrseal codes are single symbols."""

    reason = Reason.STRUCTURED_APPEND


# issue 9: verifier policy


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
