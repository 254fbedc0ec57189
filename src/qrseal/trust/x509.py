"""X.509 document signers: issuer keys given as certificates chained to an issuing authority.

ISO/IEC 18013-5 publishes an issuing authority's root certificate (IACA) and signs each
document-signer (DS) key with it. This module validates a DS certificate against a set of
IACA roots at a given time (the credential's signing time, or the time a trust list is
built) and turns it into a :class:`qrseal.trust.store.TrustedKey` or a
:class:`qrseal.trust.entries.TrustListEntry`.

Path building and signatures are checked by ``cryptography.x509.verification`` (a
``ClientVerifier`` with explicit extension policies, since these are not TLS certificates);
the role checks are explicit here so that each failure has its own reason:
``certificate_invalid`` (key usage, basic constraints, the mdlDS extended key usage, key
type),
``key_not_valid_at_time`` (the DS or its root is not valid at that time) and
``certificate_untrusted`` (no valid chain to a trusted root).

As ISO/IEC 18013-5 prescribes, a DS certificate must be issued directly by an IACA root;
a chain through intermediate CAs is accepted only by authorities that opt in
(``IssuingAuthorities(..., allow_intermediates=True)``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from ..errors import (
    CertificateInvalid,
    CertificateUntrusted,
    InvalidArgument,
    InvalidKey,
    KeyNotValidAtTime,
)
from ..wire.cose import Algorithm, PublicKey
from ..wire.cwt import require_utc
from ..wire.keys import algorithm_for_key, kid_for
from .entries import TrustListEntry
from .store import TrustedKey, TrustStore

__all__ = [
    "MDL_DS_EKU",
    "IssuingAuthorities",
    "VerifiedSigner",
    "entry_from_certificate",
    "load_certificates",
    "load_der_certificate",
    "trust_store_from_certificates",
    "trusted_key_from_certificate",
    "verify_document_signer",
]

#: ISO/IEC 18013-5 extended key usage of a mobile-driving-licence document signer.
MDL_DS_EKU: Final = x509.ObjectIdentifier("1.0.18013.5.1.2")
#: Intermediate CAs allowed between an IACA and a DS when the authorities opt in.
_MAX_CHAIN_DEPTH: Final = 4
_E = TypeVar("_E", bound=x509.ExtensionType)


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except ValueError as exc:  # duplicate or undecodable extensions
        raise CertificateInvalid(f"bad extensions: {exc}", subject=_subject(cert)) from exc


def load_certificates(data: bytes) -> tuple[x509.Certificate, ...]:
    """Certificates from PEM (one or more) or one DER certificate, every field readable
    (:func:`load_der_certificate`). Raises ``CertificateInvalid``."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            certificates = tuple(x509.load_pem_x509_certificates(data))
        else:
            certificates = (x509.load_der_x509_certificate(data),)
        for cert in certificates:
            _read_every_field(cert)
    except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:
        # cryptography's message points to its FAQ: say what it means instead.
        raise CertificateInvalid(
            "not a certificate (neither PEM -----BEGIN CERTIFICATE----- blocks nor DER)"
        ) from exc
    return certificates


def load_der_certificate(der: bytes) -> x509.Certificate:
    """One DER certificate with every field read once here: cryptography parses some fields
    only when first read, so a damaged certificate would otherwise raise ``ValueError`` or
    ``InvalidVersion`` deep inside a later check. Raises ``CertificateInvalid``."""
    try:
        cert = x509.load_der_x509_certificate(der)
        _read_every_field(cert)
    except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:
        raise CertificateInvalid(f"not a certificate: {exc}") from exc
    return cert


def _read_every_field(cert: x509.Certificate) -> None:
    _ = (cert.version, cert.serial_number, cert.subject, cert.issuer, cert.extensions)
    _ = (cert.public_key(), cert.not_valid_before_utc, cert.not_valid_after_utc)
    _ = (cert.signature, cert.signature_algorithm_oid, cert.tbs_certificate_bytes)


def _check_root(cert: x509.Certificate) -> None:
    subject = _subject(cert)
    constraints = _extension(cert, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        raise CertificateInvalid("a root must be a CA (basicConstraints)", subject=subject)
    usage = _extension(cert, x509.KeyUsage)
    if usage is None or not usage.key_cert_sign:
        raise CertificateInvalid("a root needs keyUsage keyCertSign", subject=subject)
    if cert.issuer != cert.subject:
        raise CertificateInvalid("a root must be self-issued", subject=subject)
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm) as exc:
        raise CertificateInvalid(f"root is not self-signed: {exc}", subject=subject) from exc


class IssuingAuthorities:
    """An immutable set of issuing-authority root certificates (IACA). Each must be a
    self-signed CA with keyUsage keyCertSign. Raises ``CertificateInvalid``.

    A document signer must be issued directly by one of them (ISO/IEC 18013-5: IACA -> DS);
    ``allow_intermediates=True`` also accepts chains through up to four intermediate CAs
    (each a CA with keyCertSign), a departure from the standard a policy must choose."""

    __slots__ = ("_allow_intermediates", "_roots", "_store")

    def __init__(
        self, roots: Iterable[x509.Certificate], *, allow_intermediates: bool = False
    ) -> None:
        if not isinstance(allow_intermediates, bool):
            raise InvalidArgument("allow_intermediates must be a bool")
        self._allow_intermediates = allow_intermediates
        self._roots = tuple(roots)
        if not self._roots:
            raise CertificateInvalid("at least one issuing-authority root is required")
        for root in self._roots:
            _check_root(root)
        self._store = Store(list(self._roots))

    @classmethod
    def from_pem(cls, data: bytes, *, allow_intermediates: bool = False) -> IssuingAuthorities:
        return cls(load_certificates(data), allow_intermediates=allow_intermediates)

    @property
    def roots(self) -> tuple[x509.Certificate, ...]:
        return self._roots

    @property
    def allow_intermediates(self) -> bool:
        """Whether DS chains through intermediate CAs are accepted (not by default)."""
        return self._allow_intermediates

    def _issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        return [root for root in self._roots if root.subject == cert.issuer]


@dataclass(frozen=True, slots=True)
class VerifiedSigner:
    """A document signer whose chain verified. ``not_before``/``not_after`` are the
    intersection of the validity periods along the chain."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    public_key: PublicKey
    algorithm: Algorithm
    kid: bytes
    not_before: datetime
    not_after: datetime

    @property
    def subject(self) -> str:
        return _subject(self.certificate)


def _require_key_cert_sign(policy: Policy, cert: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not usage.key_cert_sign:
        raise ValueError("CA certificate lacks keyCertSign")


def _require_ca(policy: Policy, cert: x509.Certificate, value: x509.BasicConstraints) -> None:
    if not value.ca:
        raise ValueError("issuer certificate is not a CA")


def _require_digital_signature(
    policy: Policy, cert: x509.Certificate, usage: x509.KeyUsage
) -> None:
    if not usage.digital_signature:
        raise ValueError("document signer lacks digitalSignature")


def _check_leaf(cert: x509.Certificate) -> PublicKey:
    subject = _subject(cert)
    constraints = _extension(cert, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        raise CertificateInvalid("a document signer must not be a CA", subject=subject)
    usage = _extension(cert, x509.KeyUsage)
    if usage is None or not usage.digital_signature or usage.key_cert_sign:
        raise CertificateInvalid(
            "a document signer needs keyUsage digitalSignature (and not keyCertSign)",
            subject=subject,
        )
    eku = _extension(cert, x509.ExtendedKeyUsage)
    if eku is None or MDL_DS_EKU not in eku:
        raise CertificateInvalid(
            "a document signer needs extendedKeyUsage mdlDS (1.0.18013.5.1.2)", subject=subject
        )
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CertificateInvalid(f"unreadable public key: {exc}", subject=subject) from exc
    if not isinstance(
        key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    ):
        raise CertificateInvalid(f"unsupported key type {type(key).__name__}", subject=subject)
    return key


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _time_arg(now: datetime | None, at: datetime | None, where: str) -> datetime:
    # ``at=`` was these functions' name for ``now=`` (issue 10: one name for time).
    if at is not None:
        if now is not None:
            raise InvalidArgument(f"{where}: pass now= only")
        warnings.warn(f"{where}(at=...) is deprecated: pass now=...", DeprecationWarning, 3)
        return at
    if now is None:
        raise InvalidArgument(f"{where} needs now=")
    return now


def verify_document_signer(
    certificate: x509.Certificate,
    authorities: IssuingAuthorities,
    *,
    now: datetime | None = None,
    intermediates: Sequence[x509.Certificate] = (),
    at: datetime | None = None,
) -> VerifiedSigner:
    """Validate a document-signer certificate's chain to ``authorities`` at time ``now``
    (the time the key is taken: when a list is built, or a credential's signing time;
    ``at=`` is the deprecated name).
    ``intermediates`` are used only when the authorities allow intermediate CAs; otherwise
    the DS must be issued directly by a root.

    Raises ``CertificateInvalid`` (role checks, including the mdlDS extended key usage),
    ``KeyNotValidAtTime`` (the DS or every candidate root is outside its validity at
    ``at``) or ``CertificateUntrusted`` (no chain, or only one through intermediates that
    the authorities do not allow).
    """
    at = require_utc(_time_arg(now, at, "verify_document_signer"), "now")
    key = _check_leaf(certificate)
    subject = _subject(certificate)
    if not _valid_at(certificate, at):
        raise KeyNotValidAtTime(f"certificate {subject} is not valid at {at}", kid=None, at=at)
    allow = authorities.allow_intermediates
    issuers = authorities._issuers_of(certificate)
    if issuers and not (allow and intermediates) and not any(_valid_at(r, at) for r in issuers):
        raise KeyNotValidAtTime(f"the root of {subject} is not valid at {at}", kid=None, at=at)
    ca_policy = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, _require_ca)
        .require_present(x509.KeyUsage, Criticality.AGNOSTIC, _require_key_cert_sign)
    )
    ee_policy = ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, Criticality.AGNOSTIC, _require_digital_signature
    )
    verifier = (
        PolicyBuilder()
        .store(authorities._store)
        .time(at)
        .max_chain_depth(_MAX_CHAIN_DEPTH if allow else 0)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        chain = tuple(verifier.verify(certificate, list(intermediates) if allow else []).chain)
    except VerificationError as exc:
        raise CertificateUntrusted(
            f"no valid chain to a trusted root: {exc}", subject=subject
        ) from exc
    try:
        algorithm = algorithm_for_key(key)
    except InvalidKey as exc:
        raise CertificateInvalid(exc.message, subject=subject) from exc
    return VerifiedSigner(
        certificate=certificate,
        chain=chain,
        public_key=key,
        algorithm=algorithm,
        kid=kid_for(key),
        not_before=max(c.not_valid_before_utc for c in chain),
        not_after=min(c.not_valid_after_utc for c in chain),
    )


def trusted_key_from_certificate(
    certificate: x509.Certificate,
    authorities: IssuingAuthorities,
    *,
    now: datetime | None = None,
    issuer: str,
    intermediates: Sequence[x509.Certificate] = (),
    at: datetime | None = None,
) -> TrustedKey:
    """A :class:`TrustedKey` for a DS certificate validated at ``now`` (``at=``:
    deprecated); its window is the chain's validity, so the verifier also refuses
    credentials signed outside it."""
    moment = _time_arg(now, at, "trusted_key_from_certificate")
    signer = verify_document_signer(
        certificate, authorities, now=moment, intermediates=intermediates
    )
    return TrustedKey(
        signer.public_key,
        issuer,
        signer.algorithm,
        signer.kid,
        signer.not_before,
        signer.not_after,
    )


def trust_store_from_certificates(
    certificates: Iterable[x509.Certificate],
    authorities: IssuingAuthorities,
    *,
    now: datetime | None = None,
    issuer: str,
    at: datetime | None = None,
) -> TrustStore:
    """A :class:`TrustStore` of DS certificates, each validated at ``now`` (``at=``:
    deprecated); the first certificate that fails raises."""
    moment = _time_arg(now, at, "trust_store_from_certificates")
    return TrustStore(
        trusted_key_from_certificate(c, authorities, now=moment, issuer=issuer)
        for c in certificates
    )


def entry_from_certificate(
    certificate: x509.Certificate,
    authorities: IssuingAuthorities,
    *,
    now: datetime | None = None,
    issuer: str,
    jurisdiction: str,
    credential_types: Iterable[str] = (),
    classes: Iterable[str] = (),
    at: datetime | None = None,
) -> TrustListEntry:
    """A trust-list entry for a DS certificate validated at ``now`` (when the list is
    built; ``at=``: deprecated): the root signs the key, the window and the scope into
    the list."""
    moment = _time_arg(now, at, "entry_from_certificate")
    signer = verify_document_signer(certificate, authorities, now=moment)
    return TrustListEntry(
        public_key=signer.public_key,
        issuer=issuer,
        jurisdiction=jurisdiction,
        not_before=signer.not_before,
        not_after=signer.not_after,
        kid=signer.kid,
        algorithm=signer.algorithm,
        credential_types=frozenset(credential_types),
        classes=frozenset(classes),
    )
