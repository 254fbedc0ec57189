"""X.509 document signers (qrseal.trust.x509)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
)
from cryptography.x509.oid import NameOID

from qrseal.errors import (
    QrsealError,
    Reason,
)
from qrseal.trust import x509 as x509trust
from qrseal.verifier import Verifier
from qrseal.wire.keys import (
    kid_for,
)

from .support import (
    HOUR,
    NOW,
    _credential,
    _reason,
)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


_IACA_KEY = ec.derive_private_key(1234567, ec.SECP256R1())
_ROGUE_KEY = ec.derive_private_key(7654321, ec.SECP256R1())
_DS_KEY = ec.derive_private_key(2345678, ec.SECP256R1())
_START = NOW - timedelta(days=100)


def _usage(*, sign: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(sign, False, False, False, False, cert_sign, cert_sign, False, False)


def _iaca(
    key: ec.EllipticCurvePrivateKey = _IACA_KEY, *, cert_sign: bool = True
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name("IACA Sichuan"))
        .issuer_name(_name("IACA Sichuan"))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=cert_sign), critical=True)
        .sign(key, hashes.SHA256())
    )


def _ds(
    *,
    signer: ec.EllipticCurvePrivateKey = _IACA_KEY,
    usage: x509.KeyUsage | None = None,
    days: int = 365,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name("DS Sichuan 1"))
        .issuer_name(_name("IACA Sichuan"))
        .public_key(_DS_KEY.public_key())
        .serial_number(2)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=days))
        .add_extension(usage or _usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509trust.MDL_DS_EKU]), critical=True)
        .sign(signer, hashes.SHA256())
    )


def test_x509_valid_chain_gives_a_working_key() -> None:
    """A DS certificate chained to the IACA yields a trusted key that verifies credentials."""
    authorities = x509trust.IssuingAuthorities([_iaca()])
    signer = x509trust.verify_document_signer(_ds(), authorities, now=NOW)
    assert signer.kid == kid_for(_DS_KEY) and len(signer.chain) == 2
    store = x509trust.trust_store_from_certificates([_ds()], authorities, now=NOW, issuer="CN-SC")
    verified = Verifier(store).verify(_credential(_DS_KEY, NOW), now=NOW + HOUR)
    assert verified.kid == kid_for(_DS_KEY)
    entry = x509trust.entry_from_certificate(
        _ds(), authorities, now=NOW, issuer="CN-SC", jurisdiction="CN-SC", classes=["C1"]
    )
    assert entry.not_after == _START + timedelta(days=365)
    root = _iaca()
    assert x509trust.load_certificates(root.public_bytes(Encoding.PEM)) == (root,)
    assert x509trust.load_certificates(root.public_bytes(Encoding.DER)) == (root,)


@pytest.mark.parametrize(
    ("make", "at", "expected"),
    [
        (lambda: _ds(days=50), NOW, Reason.KEY_NOT_VALID_AT_TIME),  # expired
        (lambda: _ds(), _START - HOUR, Reason.KEY_NOT_VALID_AT_TIME),  # not yet valid
        (lambda: _ds(signer=_ROGUE_KEY), NOW, Reason.CERTIFICATE_UNTRUSTED),  # wrong issuer
        (lambda: _ds(usage=_usage(cert_sign=True)), NOW, Reason.CERTIFICATE_INVALID),
        (lambda: _iaca(), NOW, Reason.CERTIFICATE_INVALID),  # a CA as document signer
    ],
)
def test_x509_bad_chains_rejected(
    make: Callable[[], x509.Certificate], at: datetime, expected: Reason
) -> None:
    """Expired, foreign-signed and wrong-key-usage document signers are refused."""
    authorities = x509trust.IssuingAuthorities([_iaca()])
    assert _reason(lambda: x509trust.verify_document_signer(make(), authorities, now=at)) is (
        expected
    )


def test_x509_root_needs_key_cert_sign() -> None:
    """A root without keyCertSign is not accepted as an issuing authority."""
    assert _reason(lambda: x509trust.IssuingAuthorities([_iaca(cert_sign=False)])) is (
        Reason.CERTIFICATE_INVALID
    )
    assert _reason(lambda: x509trust.load_certificates(b"junk")) is Reason.CERTIFICATE_INVALID


def _ca_cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    signer: ec.EllipticCurvePrivateKey,
    path_length: int | None = 0,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(3)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(signer, hashes.SHA256())
    )


def _leaf(
    issuer: str = "IACA Sichuan",
    signer: ec.EllipticCurvePrivateKey = _IACA_KEY,
    *,
    eku: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("DS Sichuan 2"))
        .issuer_name(_name(issuer))
        .public_key(_DS_KEY.public_key())
        .serial_number(4)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=365))
        .add_extension(_usage(sign=True), critical=True)
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509trust.MDL_DS_EKU]), critical=True
        )
    return builder.sign(signer, hashes.SHA256())


def test_x509_document_signer_without_mdl_ds_eku_refused() -> None:
    """Issue 9 item 14: a DS certificate without the mdlDS extended key usage is refused."""
    authorities = x509trust.IssuingAuthorities([_iaca()])
    assert x509trust.verify_document_signer(_leaf(), authorities, now=NOW).kid == kid_for(_DS_KEY)
    assert _reason(
        lambda: x509trust.verify_document_signer(_leaf(eku=False), authorities, now=NOW)
    ) is (Reason.CERTIFICATE_INVALID)


def test_x509_chain_through_an_intermediate_refused_by_default() -> None:
    """Issue 9 item 14: IACA -> intermediate -> DS is refused (ISO/IEC 18013-5: IACA -> DS)
    unless the authorities explicitly allow intermediates."""
    sub_key = ec.derive_private_key(3456789, ec.SECP256R1())
    iaca = _ca_cert("IACA Sichuan", _IACA_KEY, "IACA Sichuan", _IACA_KEY, path_length=None)
    sub = _ca_cert("Sub CA Sichuan", sub_key, "IACA Sichuan", _IACA_KEY)
    ds = _leaf("Sub CA Sichuan", sub_key)
    strict = x509trust.IssuingAuthorities([iaca])
    assert _reason(
        lambda: x509trust.verify_document_signer(ds, strict, now=NOW, intermediates=[sub])
    ) is (Reason.CERTIFICATE_UNTRUSTED)
    assert _reason(
        lambda: x509trust.trusted_key_from_certificate(
            ds, strict, now=NOW, issuer="CN-SC", intermediates=[sub]
        )
    ) is (Reason.CERTIFICATE_UNTRUSTED)
    lenient = x509trust.IssuingAuthorities([iaca], allow_intermediates=True)
    signer = x509trust.verify_document_signer(ds, lenient, now=NOW, intermediates=[sub])
    assert len(signer.chain) == 3


def test_x509_time_is_now_the_old_at_warns() -> None:
    """The X.509 functions take now=; at= still works and warns; both or neither refused."""
    authorities = x509trust.IssuingAuthorities([_iaca()])
    ds = _ds()
    with pytest.warns(DeprecationWarning, match="now="):
        old = x509trust.verify_document_signer(ds, authorities, at=NOW)
    assert old == x509trust.verify_document_signer(ds, authorities, now=NOW)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        store = x509trust.trust_store_from_certificates([_ds()], authorities, at=NOW, issuer="X")
    assert len(store) == 1
    assert _reason(lambda: x509trust.verify_document_signer(_ds(), authorities)) is (
        Reason.INVALID_ARGUMENT
    )
    both = lambda: x509trust.verify_document_signer(_ds(), authorities, now=NOW, at=NOW)  # noqa: E731
    assert _reason(both) is Reason.INVALID_ARGUMENT


@pytest.mark.parametrize("loader", ["load_certificates", "load_der_certificate"])
def test_a_certificate_with_an_unknown_version_is_certificate_invalid(loader: str) -> None:
    """A DER certificate whose version field says v2 (cryptography reads the version only on
    first use) is refused as certificate_invalid when loaded, not a raw InvalidVersion later."""
    der = _ds().public_bytes(Encoding.DER)
    v3 = bytes.fromhex("a003020102")  # [0] EXPLICIT INTEGER 2 (v3)
    assert der.count(v3) == 1
    damaged = der.replace(v3, bytes.fromhex("a003020101"))
    with pytest.raises(QrsealError) as info:
        getattr(x509trust, loader)(damaged)
    assert info.value.reason is Reason.CERTIFICATE_INVALID
