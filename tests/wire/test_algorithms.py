"""The algorithm registry: one entry per algorithm, keys that fit, COSE-form sign and verify."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

from qrseal.errors import AlgorithmNotAllowed, InvalidKey, SignatureInvalid
from qrseal.wire.algorithms import (
    ALGORITHMS,
    Algorithm,
    CoseCurve,
    KeyType,
    algorithm_for_key,
    check_key_algorithm,
    parse_algorithm,
    sign_bytes,
    signing_function,
    verify_signature,
    verifying_function,
)
from qrseal.wire.keys import generate_private_key


def test_every_algorithm_has_one_registry_entry() -> None:
    """ALGORITHMS holds exactly the Algorithm members, each entry naming its own algorithm."""
    assert set(ALGORITHMS) == set(Algorithm)
    for alg, entry in ALGORITHMS.items():
        assert entry.algorithm is alg


def test_registry_binds_curve_hash_and_sizes() -> None:
    """ES256/384/512 bind P-256/384/521 with SHA-256/384/512; sizes and COSE_Key crv follow."""
    expected = {
        Algorithm.ES256: ("secp256r1", "sha256", 64, CoseCurve.P256),
        Algorithm.ES384: ("secp384r1", "sha384", 96, CoseCurve.P384),
        Algorithm.ES512: ("secp521r1", "sha512", 132, CoseCurve.P521),
    }
    for alg, (curve, hash_name, length, crv) in expected.items():
        entry = ALGORITHMS[alg]
        assert entry.curve is not None and entry.curve.name == curve == entry.curve_name
        assert entry.hash is not None and entry.hash.name == hash_name
        assert entry.ecdsa is not None and entry.ecdsa.algorithm == entry.hash
        assert (entry.signature_length, entry.cose_crv, entry.key_type) == (
            length,
            crv,
            KeyType.EC2,
        )
    eddsa = ALGORITHMS[Algorithm.EDDSA]
    assert (eddsa.key_type, eddsa.cose_crv, eddsa.curve, eddsa.ecdsa) == (
        KeyType.OKP,
        CoseCurve.ED25519,
        None,
        None,
    )


@pytest.mark.parametrize("alg", list(Algorithm))
def test_generated_keys_map_back_to_their_algorithm(alg: Algorithm) -> None:
    """generate_private_key(alg) makes a key whose one algorithm is alg, public half too."""
    key = generate_private_key(alg)
    assert algorithm_for_key(key) is alg
    assert algorithm_for_key(key.public_key()) is alg
    check_key_algorithm(alg, key)


@pytest.mark.parametrize("alg", list(Algorithm))
def test_cose_form_signature_round_trip(alg: Algorithm) -> None:
    """A COSE-form signature has the registry's length and verifies; a flipped bit does not."""
    key = generate_private_key(alg)
    signature = sign_bytes(alg, key, b"message")
    assert len(signature) == ALGORITHMS[alg].signature_length
    verify_signature(alg, key.public_key(), signature, b"message")
    verifying_function(alg, key.public_key())(signature, b"message")
    with pytest.raises(SignatureInvalid):
        verify_signature(alg, key.public_key(), signature, b"messagE")
    with pytest.raises(SignatureInvalid):
        verify_signature(alg, key.public_key(), signature[:-1], b"message")


def test_ed448_keys_use_eddsa() -> None:
    """Ed448 keys sign and verify under EdDSA (114-byte signatures)."""
    key = ed448.Ed448PrivateKey.generate()
    assert algorithm_for_key(key) is Algorithm.EDDSA
    signature = signing_function(Algorithm.EDDSA, key)(b"m")
    assert len(signature) == 114
    verify_signature(Algorithm.EDDSA, key.public_key(), signature, b"m")


def test_key_that_does_not_fit_is_algorithm_not_allowed() -> None:
    """A P-384 key under ES256, an Ed25519 key under ES256, a P-256 key under EdDSA: refused."""
    p384 = ec.generate_private_key(ec.SECP384R1())
    ed = ed25519.Ed25519PrivateKey.generate()
    p256 = ec.generate_private_key(ec.SECP256R1())
    for alg, key in ((Algorithm.ES256, p384), (Algorithm.ES256, ed), (Algorithm.EDDSA, p256)):
        with pytest.raises(AlgorithmNotAllowed):
            check_key_algorithm(alg, key)
        with pytest.raises(AlgorithmNotAllowed):
            signing_function(alg, key)
        with pytest.raises(AlgorithmNotAllowed):
            verifying_function(alg, key.public_key())


def test_unsupported_curve_is_invalid_key() -> None:
    """A key on a curve without a COSE algorithm here (secp256k1) is invalid_key."""
    with pytest.raises(InvalidKey):
        algorithm_for_key(ec.generate_private_key(ec.SECP256K1()))


@pytest.mark.parametrize("value", [True, False, 0, -9, "ES256", None, 2**70])
def test_parse_algorithm_refuses_anything_but_a_known_int(value: object) -> None:
    """alg header values other than a known integer id are algorithm_not_allowed."""
    with pytest.raises(AlgorithmNotAllowed):
        parse_algorithm(value)


def test_parse_algorithm_reads_known_ids() -> None:
    """-7, -35, -36 and -8 are ES256, ES384, ES512 and EdDSA; -48 is ML-DSA-44 (RFC 9964) and
    -65537 (private use) SM2."""
    assert [parse_algorithm(v) for v in (-7, -35, -36, -8, -48, -65537)] == list(Algorithm)


def test_registry_entries_of_sm2_and_ml_dsa() -> None:
    """SM2 is EC2 with crv -65537 and 64-byte r || s; ML-DSA-44 is AKP with 2,420-byte
    signatures; neither is an ECDSA entry of cryptography's."""
    sm2_entry, mldsa_entry = ALGORITHMS[Algorithm.SM2], ALGORITHMS[Algorithm.ML_DSA_44]
    assert (sm2_entry.key_type, sm2_entry.cose_crv, sm2_entry.signature_length) == (
        KeyType.EC2,
        CoseCurve.SM2,
        64,
    )
    assert (mldsa_entry.key_type, mldsa_entry.cose_crv, mldsa_entry.signature_length) == (
        KeyType.AKP,
        None,
        2420,
    )
    assert sm2_entry.ecdsa is None and mldsa_entry.ecdsa is None
    assert (int(KeyType.AKP), int(CoseCurve.SM2)) == (7, -65537)
