"""The base of every qrseal error, its stable reason codes and the seven families."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

__all__ = [
    "FAMILIES",
    "InputError",
    "PresentationError",
    "QrsealError",
    "Reason",
    "SetupError",
    "StatusError",
    "TrustError",
    "TrustListError",
    "ValidityError",
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
    # issue 13: disclosure views
    FIELDS_WITHHELD = "fields_withheld"
    # issue 14: PKCS#11 tokens (ruff's S105 takes "token" names for passwords)
    TOKEN_UNAVAILABLE = "token_unavailable"  # noqa: S105
    TOKEN_LOGIN_FAILED = "token_login_failed"  # noqa: S105
    TOKEN_KEY_NOT_FOUND = "token_key_not_found"  # noqa: S105
    TOKEN_FAILED = "token_failed"  # noqa: S105
    # issue 14: batch issuance
    MALFORMED_RECORD = "malformed_record"
    BATCH_MISMATCH = "batch_mismatch"
    # issue 14: batch issuance, idempotent by record id
    DUPLICATE_RECORD = "duplicate_record"


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
