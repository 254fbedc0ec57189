"""Keys: generation, PEM round trips, kid derivation, the Signer protocol."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from qrseal.errors import AlgorithmNotAllowed, InvalidKey
from qrseal.wire import keys
from qrseal.wire.cose import Algorithm

ALGS = [
    Algorithm.ES256,
    Algorithm.ES384,
    Algorithm.ES512,
    Algorithm.EDDSA,
    Algorithm.SM2,
    Algorithm.ML_DSA_44,
]


@pytest.mark.parametrize("alg", ALGS)
def test_pem_round_trip(alg: Algorithm) -> None:
    """Private (PKCS#8) and public (SPKI) PEM load back to the same key and kid."""
    key = keys.generate_private_key(alg)
    pem = keys.private_key_to_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = keys.load_private_key_pem(pem)
    assert keys.kid_for(again) == keys.kid_for(key)
    pub = keys.load_public_key_pem(keys.public_key_to_pem(key))
    assert keys.kid_for(pub) == keys.kid_for(key)
    assert keys.algorithm_for_key(pub) is alg


def test_encrypted_pem_needs_the_password() -> None:
    """An encrypted PKCS#8 key loads with its password and is invalid_key without or with a wrong one."""
    key = keys.generate_private_key()
    pem = keys.private_key_to_pem(key, b"s3cret")
    assert b"ENCRYPTED" in pem
    assert keys.kid_for(keys.load_private_key_pem(pem, b"s3cret")) == keys.kid_for(key)
    for password in (None, b"wrong"):
        with pytest.raises(InvalidKey):
            keys.load_private_key_pem(pem, password)


def test_kid_is_sha256_of_spki_prefix() -> None:
    """kid = first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    key = keys.generate_private_key()
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert keys.kid_for(key) == hashlib.sha256(spki).digest()[:8]
    assert len(keys.kid_for(key)) == keys.KID_LENGTH


@pytest.mark.parametrize(
    "data", [b"", b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]
)
def test_garbage_pem_is_invalid_key(data: bytes) -> None:
    """Corrupt PEM input raises invalid_key for both private and public loaders."""
    with pytest.raises(InvalidKey):
        keys.load_private_key_pem(data)
    with pytest.raises(InvalidKey):
        keys.load_public_key_pem(data)


def test_rsa_keys_are_refused() -> None:
    """RSA keys are not part of the profile and are refused with invalid_key."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidKey):
        keys.load_private_key_pem(pem)


def test_local_signer_is_a_signer() -> None:
    """LocalSigner satisfies the Signer protocol and refuses a mismatched algorithm."""
    signer = keys.LocalSigner(keys.generate_private_key(Algorithm.EDDSA))
    assert isinstance(signer, keys.Signer)
    assert signer.algorithm is Algorithm.EDDSA and len(signer.sign(b"m")) == 64
    with pytest.raises(AlgorithmNotAllowed):
        keys.LocalSigner(keys.generate_private_key(Algorithm.ES256), Algorithm.ES384)
