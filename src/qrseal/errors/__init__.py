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
                   ``structured_append``, ``malformed_record`` (a batch input record)
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
                   ``invalid_key``, ``storage_failed``, ``token_unavailable``,
                   ``token_login_failed``, ``token_key_not_found``, ``token_failed``
                   (PKCS#11 tokens), ``batch_mismatch`` (a batch resumed on other input)
================== ==========================================================================

Each family and its leaves live in a module of this package (``base`` holds :class:`Reason`,
:class:`QrsealError` and the families; ``input``, ``trust``, ``validity``, ``presentation``,
``status``, ``trustlists`` and ``setup`` the leaves); import them all from here.

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

from .base import (
    FAMILIES,
    InputError,
    PresentationError,
    QrsealError,
    Reason,
    SetupError,
    StatusError,
    TrustError,
    TrustListError,
    ValidityError,
)
from .input import (
    AmbiguousImage,
    DuplicateRecord,
    InvalidImage,
    InvalidLicence,
    LicenceNotIssuable,
    LicenceProblem,
    Malformed,
    MalformedCbor,
    MalformedClaims,
    MalformedCompression,
    MalformedCose,
    MalformedRecord,
    MalformedText,
    MalformedTrustList,
    NoQrFound,
    StatusListInvalid,
    StructuredAppend,
    TooLarge,
    UnknownCriticalHeader,
    UnsupportedVersion,
)
from .presentation import (
    AudienceMismatch,
    FieldsWithheld,
    HolderBindingInvalid,
    NonceMismatch,
    PresentationInFuture,
    PresentationReplayed,
    PresentationRequired,
    StalePresentation,
)
from .setup import (
    BatchMismatch,
    InvalidArgument,
    InvalidKey,
    StorageFailed,
    TokenFailed,
    TokenKeyNotFound,
    TokenLoginFailed,
    TokenUnavailable,
)
from .status import Revoked, StatusUnavailable, Suspended
from .trust import (
    AlgorithmNotAllowed,
    CertificateInvalid,
    CertificateUntrusted,
    IssuerMismatch,
    KeyNotAuthorised,
    KeyNotValidAtTime,
    KeyRevoked,
    SignatureInvalid,
    UnknownKey,
)
from .trustlists import (
    TrustListExpired,
    TrustListMismatch,
    TrustListMissing,
    TrustListRollback,
    TrustListSequenceJump,
)
from .validity import DataTooOld, Expired, IssuedInFuture, NotYetValid, ValidityTooLong

__all__ = [
    "FAMILIES",
    "AlgorithmNotAllowed",
    "AmbiguousImage",
    "AudienceMismatch",
    "BatchMismatch",
    "CertificateInvalid",
    "CertificateUntrusted",
    "DataTooOld",
    "DuplicateRecord",
    "Expired",
    "FieldsWithheld",
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
    "LicenceNotIssuable",
    "LicenceProblem",
    "Malformed",
    "MalformedCbor",
    "MalformedClaims",
    "MalformedCompression",
    "MalformedCose",
    "MalformedRecord",
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
    "TokenFailed",
    "TokenKeyNotFound",
    "TokenLoginFailed",
    "TokenUnavailable",
    "TooLarge",
    "TrustError",
    "TrustListError",
    "TrustListExpired",
    "TrustListMismatch",
    "TrustListMissing",
    "TrustListRollback",
    "TrustListSequenceJump",
    "UnknownCriticalHeader",
    "UnknownKey",
    "UnsupportedVersion",
    "ValidityError",
    "ValidityTooLong",
]

# Each class is defined in the module of its family but belongs to this namespace: tracebacks,
# reprs and pickles name ``qrseal.errors.X``, the import path that stays stable.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
