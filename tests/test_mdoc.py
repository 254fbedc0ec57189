"""ISO/IEC 18013-5 mdoc (issue 13, docs/format.md §18): the Annex D DeviceResponse verifies
(issuer signature, every value digest, the device MAC), qrseal's own mdocs round-trip and
refuse tampering, and pymdoccbor agrees both ways."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal.errors import QrsealError, Reason
from qrseal.mdoc import (
    CN_NAMESPACE,
    ISO_NAMESPACE,
    MDL_DOCTYPE,
    device_response,
    to_mdoc,
    verify_device_response,
    verify_mdoc,
)
from qrseal.mdoc.elements import CN_ELEMENTS, ISO_ELEMENTS, LONG_TERM_EXPIRY
from qrseal.testing import FIXED_NOW, make_device_key, sample_licence
from qrseal.trust.x509 import MDL_DS_EKU, IssuingAuthorities
from qrseal.wire.cose import PublicKey

from .support import reason_of
from .vectors import load_vector

# --- the Annex D vector -------------------------------------------------------------------

_ANNEX_D_NOW = datetime(2020, 10, 1, 13, 30, 3, tzinfo=UTC)


def _annex_d() -> dict[str, Any]:
    vector: dict[str, Any] = load_vector("iso18013-5", "annex-d-device-response.json")
    return vector


def _annex_d_args(vector: dict[str, Any]) -> dict[str, Any]:
    ds = x509.load_der_x509_certificate(
        bytes.fromhex(vector["document_signer_certificate_der_hex"])
    )
    reader = ec.derive_private_key(
        int(vector["ephemeral_reader_private_key_hex"], 16), ec.SECP256R1()
    )
    return {
        "pinned": [ds],
        "session_transcript": bytes.fromhex(vector["session_transcript_bytes_hex"]),
        "reader_key": reader,
    }


def test_annex_d_device_response_verifies_issuer_digests_and_device_mac() -> None:
    """The ISO/IEC 18013-5 Annex D DeviceResponse verifies with its pinned DS certificate at a
    time inside its validity, its device MAC included, and shows the six elements it names."""
    vector = _annex_d()
    (result,) = verify_device_response(
        bytes.fromhex(vector["device_response_hex"]), now=_ANNEX_D_NOW, **_annex_d_args(vector)
    )
    elements = result.elements
    assert elements["family_name"] == "Doe"
    assert elements["document_number"] == "123456789"
    assert str(elements["issue_date"]) == "2019-10-20"
    assert str(elements["expiry_date"]) == "2024-10-20"
    portrait = elements["portrait"]
    assert isinstance(portrait, bytes) and len(portrait) == 1042
    privileges = elements["driving_privileges"]
    assert isinstance(privileges, tuple)
    assert [p["vehicle_category_code"] for p in privileges] == ["A", "B"]
    assert "birth_date" in result.withheld
    assert result.is_partial and result.holder_bound


def _flip(data: bytes, needle: bytes, replacement: bytes) -> bytes:
    assert needle in data
    return data.replace(needle, replacement, 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # a modified element value: its digest no longer matches the signed one
        (lambda d: _flip(d, b"cDoe", b"cRoe"), Reason.SIGNATURE_INVALID),
        # a modified digest ID: the item names a digest the issuer did not sign for it
        (lambda d: _flip(d, b"digestID\x00", b"digestID\x01"), Reason.SIGNATURE_INVALID),
    ],
)
def test_annex_d_tampered_element_is_refused(
    change: Callable[[bytes], bytes], reason: Reason
) -> None:
    """Changing an element, or pointing it at another digest, fails the value digest check."""
    vector = _annex_d()
    data = change(bytes.fromhex(vector["device_response_hex"]))
    args = _annex_d_args(vector)
    assert reason_of(lambda: verify_device_response(data, now=_ANNEX_D_NOW, **args)) is reason


def test_annex_d_wrong_session_fails_the_device_mac() -> None:
    """Another reader key (another session) does not reproduce the device MAC."""
    vector = _annex_d()
    args = _annex_d_args(vector)
    args["reader_key"] = ec.derive_private_key(12345, ec.SECP256R1())
    data = bytes.fromhex(vector["device_response_hex"])
    assert reason_of(lambda: verify_device_response(data, now=_ANNEX_D_NOW, **args)) is (
        Reason.HOLDER_BINDING_INVALID
    )


def test_annex_d_needs_trust_and_time() -> None:
    """Without a pinned DS or IACA roots the vector is untrusted; after its validity it is
    refused (the DS certificate first)."""
    vector = _annex_d()
    data = bytes.fromhex(vector["device_response_hex"])
    assert reason_of(lambda: verify_device_response(data, now=_ANNEX_D_NOW)) is (
        Reason.CERTIFICATE_UNTRUSTED
    )
    args = _annex_d_args(vector)
    later = datetime(2023, 1, 1, tzinfo=UTC)
    assert reason_of(lambda: verify_device_response(data, now=later, **args)) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )


# --- qrseal's own mdocs -------------------------------------------------------------------

_IACA_KEY = ec.derive_private_key(1357911, ec.SECP256R1())
_DS_KEY = ec.derive_private_key(2468101, ec.SECP256R1())
_START = datetime(2020, 1, 1, tzinfo=UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _usage(*, sign: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(sign, False, False, False, False, cert_sign, cert_sign, False, False)


def _certificates() -> tuple[x509.Certificate, x509.Certificate]:
    iaca = (
        x509.CertificateBuilder()
        .subject_name(_name("IACA Sichuan"))
        .issuer_name(_name("IACA Sichuan"))
        .public_key(_IACA_KEY.public_key())
        .serial_number(1)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=365 * 79))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(_IACA_KEY, hashes.SHA256())
    )
    ds = (
        x509.CertificateBuilder()
        .subject_name(_name("DS Sichuan 1"))
        .issuer_name(_name("IACA Sichuan"))
        .public_key(_DS_KEY.public_key())
        .serial_number(2)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=365 * 79))
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([MDL_DS_EKU]), critical=True)
        .sign(_IACA_KEY, hashes.SHA256())
    )
    return iaca, ds


_IACA, _DS = _certificates()
_AUTHORITIES = IssuingAuthorities([_IACA])


def _device_key() -> PublicKey:
    key = make_device_key().public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def _mdoc(index: int = 0, **kw: Any) -> bytes:
    return to_mdoc(
        sample_licence(index),
        signer=_DS_KEY,
        certificate_chain=[_DS],
        device_key=_device_key(),
        now=FIXED_NOW,
        **kw,
    )


@pytest.mark.parametrize("index", range(5))
def test_to_mdoc_round_trips_the_whole_licence(index: int) -> None:
    """A sample issued as an mdoc verifies against the IACA root and gives back the same
    licence, long-term expiry included; the device key is the MSO's."""
    result = verify_mdoc(_mdoc(index), now=FIXED_NOW, authorities=_AUTHORITIES)
    assert result.licence == sample_licence(index)
    assert result.elements["age_over_18"] is True
    assert result.withheld == frozenset()
    assert result.holder_bound


def test_mdoc_keeps_china_only_elements_out_of_the_iso_namespace() -> None:
    """Domestic classes and other China-only elements are in the CN namespace; the ISO
    namespace holds ISO elements (and age attestations) only."""
    signed = cbor2.loads(_mdoc(1))
    spaces = {
        ns: {cbor2.loads(item.value)["elementIdentifier"] for item in items}
        for ns, items in signed["nameSpaces"].items()
    }
    assert "domestic_privileges" in spaces[CN_NAMESPACE]
    assert spaces[ISO_NAMESPACE] <= set(ISO_ELEMENTS) | {
        "age_in_years", "age_birth_year", "age_over_16", "age_over_18", "age_over_21",
        "age_over_60", "age_over_70",
    }  # fmt: skip
    assert spaces[CN_NAMESPACE] <= set(CN_ELEMENTS)
    expiry = next(
        cbor2.loads(item.value)["elementValue"]
        for item in signed["nameSpaces"][ISO_NAMESPACE]
        if cbor2.loads(item.value)["elementIdentifier"] == "expiry_date"
    )
    assert expiry == LONG_TERM_EXPIRY  # cbor2 reads tag 1004 as a date


def test_mdoc_subset_is_a_partial_view() -> None:
    """An mdoc of some elements verifies as a partial view naming the mandatory ones withheld."""
    data = _mdoc(elements=("family_name", "age_over_18"))
    result = verify_mdoc(data, now=FIXED_NOW, authorities=_AUTHORITIES)
    assert set(result.elements) == {"family_name", "age_over_18"}
    assert {"document_number", "birth_date", "portrait"} <= result.withheld


def _items(data: bytes) -> dict[str, Any]:
    signed: dict[str, Any] = cbor2.loads(data)
    return signed


def test_mdoc_element_from_another_mdoc_is_refused() -> None:
    """An item copied from another issuance (same element, other random) does not match."""
    mine, other = _items(_mdoc(0)), _items(_mdoc(0))
    mine["nameSpaces"][ISO_NAMESPACE][0] = other["nameSpaces"][ISO_NAMESPACE][0]
    assert (
        reason_of(lambda: verify_mdoc(cbor2.dumps(mine), now=FIXED_NOW, authorities=_AUTHORITIES))
        is Reason.SIGNATURE_INVALID
    )


def test_mdoc_element_the_issuer_did_not_sign_is_refused() -> None:
    """An extra item whose digest ID the MSO does not hold is refused."""
    signed = _items(_mdoc(0))
    items = signed["nameSpaces"][ISO_NAMESPACE]
    extra = {"digestID": 999, "random": b"r" * 16, "elementIdentifier": "age_over_65",
             "elementValue": True}  # fmt: skip
    items.append(cbor2.CBORTag(24, cbor2.dumps(extra)))
    assert (
        reason_of(lambda: verify_mdoc(cbor2.dumps(signed), now=FIXED_NOW, authorities=_AUTHORITIES))
        is Reason.SIGNATURE_INVALID
    )


def test_mdoc_from_an_untrusted_signer_or_out_of_time_is_refused() -> None:
    """A DS that does not chain to the roots is untrusted; an expired MSO is expired."""
    rogue = IssuingAuthorities([_rogue_root()])
    assert reason_of(lambda: verify_mdoc(_mdoc(), now=FIXED_NOW, authorities=rogue)) is (
        Reason.CERTIFICATE_UNTRUSTED
    )
    later = FIXED_NOW + timedelta(days=4)
    assert reason_of(lambda: verify_mdoc(_mdoc(), now=later, authorities=_AUTHORITIES)) is (
        Reason.EXPIRED
    )


def _rogue_root() -> x509.Certificate:
    key = ec.derive_private_key(999331, ec.SECP256R1())
    return (
        x509.CertificateBuilder()
        .subject_name(_name("IACA Sichuan"))
        .issuer_name(_name("IACA Sichuan"))
        .public_key(key.public_key())
        .serial_number(9)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=365 * 79))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )


def test_mdoc_random_bytes_come_from_the_supplied_source() -> None:
    """Each item carries RANDOM_BYTES of the random source, so two issuances differ."""
    first, second = _items(_mdoc(0)), _items(_mdoc(0))
    randoms = {
        cbor2.loads(item.value)["random"]
        for signed in (first, second)
        for item in signed["nameSpaces"][ISO_NAMESPACE]
    }
    assert len(randoms) == 2 * len(first["nameSpaces"][ISO_NAMESPACE])
    assert all(len(r) == 16 for r in randoms)


# --- pymdoccbor, both ways ------------------------------------------------------------------


def _require_pymdoccbor() -> None:
    pytest.importorskip("pymdoccbor", reason="pymdoccbor (the dev extra) is not installed")


def test_pymdoccbor_verifies_a_qrseal_mdoc() -> None:
    """pymdoccbor verifies qrseal's mdoc (issuer signature, DS chain to the IACA, every
    value digest) and reads the same family name."""
    from pymdoccbor.mdoc.verifier import MdocCbor

    reader = MdocCbor()
    reader.loads(device_response(_mdoc(0)))
    assert reader.verify(trusted_root_certs=[_IACA]) is True
    assert reader.disclosure_map[ISO_NAMESPACE]["family_name"] == sample_licence(0).family_name


def test_qrseal_verifies_a_pymdoccbor_mdoc() -> None:
    """An mdoc issued by pymdoccbor with the same DS key and chain verifies in qrseal, and a
    value changed after signing does not."""
    _require_pymdoccbor()
    from pymdoccbor.mdoc.issuer import MdocCborIssuer

    numbers = _DS_KEY.private_numbers()
    device = _device_key()
    assert isinstance(device, ec.EllipticCurvePublicKey)
    point = device.public_numbers()
    issuer = MdocCborIssuer(
        private_key={
            "KTY": "EC2", "CURVE": "P_256", "ALG": "ES256", "KID": b"ds-1",
            "D": numbers.private_value.to_bytes(32, "big"),
        },
        alg="ES256",
    )  # fmt: skip
    issued = issuer.new(
        data={ISO_NAMESPACE: {"family_name": "LI", "given_name": "ZIHAN", "age_over_18": True}},
        doctype=MDL_DOCTYPE,
        validity={"issuance_date": "2020-01-01", "expiry_date": "2099-12-31"},
        devicekeyinfo={
            "KTY": "EC2", "CURVE": "P_256",
            "X": point.x.to_bytes(32, "big"), "Y": point.y.to_bytes(32, "big"),
        },
        x509_chain=[_DS],
    )  # fmt: skip
    data = issuer.dump()
    mso = cbor2.loads(cbor2.loads(issued["documents"][0]["issuerSigned"]["issuerAuth"][2]).value)
    # pymdoccbor stamps validFrom with its own clock: verify just after it.
    now = mso["validityInfo"]["validFrom"]  # cbor2 reads tag 0 as a datetime
    assert isinstance(now, datetime)
    (result,) = verify_device_response(
        data, now=now + timedelta(seconds=1), authorities=_AUTHORITIES
    )
    assert dict(result.elements) == {
        "family_name": "LI",
        "given_name": "ZIHAN",
        "age_over_18": True,
    }
    tampered = data.replace(b"eZIHAN", b"eZIHAO", 1)
    assert (
        reason_of(
            lambda: verify_device_response(
                tampered, now=now + timedelta(seconds=1), authorities=_AUTHORITIES
            )
        )
        is Reason.SIGNATURE_INVALID
    )


def test_licence_round_trip_keeps_every_field() -> None:
    """The mdoc's licence equals the record field by field (a guard on the element mapping)."""
    licence = sample_licence(3)
    result = verify_mdoc(_mdoc(3), now=FIXED_NOW, authorities=_AUTHORITIES)
    assert dataclasses.asdict(result.licence) == dataclasses.asdict(licence)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_mdoc_raises_only_typed_errors(data: st.DataObject) -> None:
    """Any byte of an mdoc changed: verification raises a QrsealError, or (a change the
    signature and digests do not cover, which should not exist) shows the same elements."""
    original = _MUTABLE
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]))
    mutated = original[:position] + bytes([value]) + original[position + 1 :]
    try:
        result = verify_mdoc(mutated, now=FIXED_NOW, authorities=_AUTHORITIES)
    except QrsealError:
        return
    assert dict(result.elements) == dict(_MUTABLE_RESULT.elements)


_MUTABLE = _mdoc(0, elements=("family_name", "age_over_18", "domestic_privileges"))
_MUTABLE_RESULT = verify_mdoc(_MUTABLE, now=FIXED_NOW, authorities=_AUTHORITIES)


_TRANSCRIPT = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps([None, None, ["qrseal test handover", 1]])))


def test_device_signature_binds_the_response_to_the_session() -> None:
    """A DeviceResponse signed by the MSO's device key over this session verifies; another
    session, another device key or no device authentication is holder_binding_invalid."""
    signed = _mdoc(0)
    good = device_response(signed, device_signer=make_device_key(), session_transcript=_TRANSCRIPT)
    (result,) = verify_device_response(
        good, now=FIXED_NOW, authorities=_AUTHORITIES, session_transcript=_TRANSCRIPT
    )
    assert result.licence == sample_licence(0)
    other = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps([None, None, "another session"])))
    stolen = device_response(
        signed, device_signer=make_device_key(index=1), session_transcript=_TRANSCRIPT
    )
    cases = ((good, other), (stolen, _TRANSCRIPT), (device_response(signed), _TRANSCRIPT))
    for data, transcript in cases:
        with pytest.raises(QrsealError) as info:
            verify_device_response(
                data, now=FIXED_NOW, authorities=_AUTHORITIES, session_transcript=transcript
            )
        assert info.value.reason is Reason.HOLDER_BINDING_INVALID
