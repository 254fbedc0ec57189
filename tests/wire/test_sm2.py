"""SM2 with SM3 (wire/sm2): the standards' vectors, OpenSSL 3 both ways, key forms, hostile keys
and signatures.

Vectors: SM3 from GB/T 32905-2016 Appendix A; SM2 from GB/T 32918.5-2017 (GM/T 0003.5-2012)
Appendix A, the signature example on the recommended curve (ID ``1234567812345678``, message
"message digest"); the same example is in OpenSSL's test/sm2_internal_test.c.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from functools import partial
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from qrseal.errors import Reason
from qrseal.wire import keys, sm2
from qrseal.wire.algorithms import (
    Algorithm,
    check_key_algorithm,
    signing_function,
    verify_signature,
    verifying_function,
)
from qrseal.wire.cwt import decode_cose_key, encode_cose_key
from tests.support import reason_of

# GB/T 32905-2016 Appendix A.1 and A.2.
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]
# GB/T 32918.5-2017 Appendix A (GM/T 0003.5-2012 A.2): key, Z_A, e, and the signature made
# with k = 59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21.
STD_D = int("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8", 16)
STD_X = int("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020", 16)
STD_Y = int("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13", 16)
STD_Z = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
STD_E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
STD_SIG = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)
STD_MESSAGE = b"message digest"


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_matches_the_standard(message: bytes, digest: str) -> None:
    """SM3 gives GB/T 32905's digests of "abc" and of 64 bytes "abcd" x 16."""
    assert sm2.sm3(message).hex() == digest


def test_standard_example_key_z_and_digest() -> None:
    """The example's private key gives its public key, Z_A (default ID) and e = SM3(Z || M)."""
    key = sm2.Sm2PrivateKey.derive(STD_D)
    public = key.public_key()
    assert (public.x, public.y) == (STD_X, STD_Y)
    assert public.z.hex().upper() == STD_Z
    assert sm2.z_value(STD_X, STD_Y, b"1234567812345678").hex().upper() == STD_Z
    assert sm2.sm3(public.z + STD_MESSAGE).hex().upper() == STD_E


def test_standard_example_signature_verifies() -> None:
    """The published r || s verifies under the example key; one flipped bit, another message,
    or another identifier's Z (ALICE123@YAHOO.COM) does not."""
    public = sm2.Sm2PublicKey(STD_X, STD_Y)
    verify_signature(Algorithm.SM2, public, STD_SIG, STD_MESSAGE)
    flipped = STD_SIG[:-1] + bytes([STD_SIG[-1] ^ 1])
    assert reason_of(lambda: public.verify(flipped, STD_MESSAGE)) is Reason.SIGNATURE_INVALID
    assert reason_of(lambda: public.verify(STD_SIG, b"message digesT")) is Reason.SIGNATURE_INVALID
    assert sm2.z_value(STD_X, STD_Y, b"ALICE123@YAHOO.COM") != public.z


def test_sign_verify_round_trip_and_signature_form() -> None:
    """A fresh key signs 64-byte r || s with r, s in [1, n-1] that verify, each time anew."""
    key = sm2.Sm2PrivateKey.generate()
    first, second = key.sign(b"m"), key.sign(b"m")
    assert len(first) == len(second) == 64 and first != second
    for sig in (first, second):
        r, s = int.from_bytes(sig[:32]), int.from_bytes(sig[32:])
        assert 0 < r < sm2.N and 0 < s < sm2.N
        key.public_key().verify(sig, b"m")


@pytest.mark.parametrize("length", [0, 63, 65, 70, 72, 2420])
def test_wrong_length_signature_is_signature_invalid(length: int) -> None:
    """A signature of any length but 64 (a DER one included) is signature_invalid."""
    key = sm2.Sm2PrivateKey.generate()
    sig = key.sign(b"m")
    der = encode_dss_signature(int.from_bytes(sig[:32]), int.from_bytes(sig[32:]))
    candidate = der if length in (70, 72) else (sig * 40)[:length]
    verify = verifying_function(Algorithm.SM2, key.public_key())
    assert reason_of(lambda: verify(candidate, b"m")) is Reason.SIGNATURE_INVALID


@pytest.mark.parametrize(
    "r_s", [(0, 1), (1, 0), (sm2.N, 1), (1, sm2.N), (2**256 - 1, 2**256 - 1)], ids=str
)
def test_out_of_range_r_or_s_is_signature_invalid(r_s: tuple[int, int]) -> None:
    """r or s of 0, n or above is refused before GmSSL sees it."""
    public = sm2.Sm2PublicKey(STD_X, STD_Y)
    sig = r_s[0].to_bytes(32) + r_s[1].to_bytes(32)
    assert reason_of(lambda: public.verify(sig, STD_MESSAGE)) is Reason.SIGNATURE_INVALID


def test_point_off_the_curve_is_invalid_key() -> None:
    """A point not on the SM2 curve, a coordinate >= p, or a P-256 point is invalid_key."""
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    for x, y in ((STD_X, STD_Y ^ 1), (STD_X + sm2.P, STD_Y), (p256.x, p256.y), (0, 0)):
        assert reason_of(partial(sm2.Sm2PublicKey, x, y)) is Reason.INVALID_KEY
    uncompressed = b"\x04" + STD_X.to_bytes(32) + STD_Y.to_bytes(32)
    no_root = next(
        x
        for x in range(2, 100)
        if pow((x**3 - 3 * x + sm2.B) % sm2.P, (sm2.P - 1) // 2, sm2.P) != 1
    )
    for bad in (
        uncompressed[:-1],
        b"\x05" + uncompressed[1:],
        b"\x02" + no_root.to_bytes(32),
        b"\x03" + sm2.P.to_bytes(32),
    ):
        assert reason_of(partial(sm2.Sm2PublicKey.from_encoded_point, bad)) is Reason.INVALID_KEY


def test_compressed_point_round_trip() -> None:
    """The 33-byte compressed form decompresses to the same key (both parities)."""
    for _ in range(4):
        public = sm2.Sm2PrivateKey.generate().public_key()
        compressed = public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        assert len(compressed) == 33
        assert sm2.Sm2PublicKey.from_encoded_point(compressed) == public


def test_private_scalar_range() -> None:
    """d must lie in [1, n-2] (GB/T 32918.1 §6.1): 0, n-1 and 31-byte keys are invalid_key."""
    public = sm2.Sm2PublicKey(STD_X, STD_Y)
    for d in (bytes(32), (sm2.N - 1).to_bytes(32), b"\x01" * 31):
        assert reason_of(partial(sm2.Sm2PrivateKey, d, public)) is Reason.INVALID_KEY


def test_key_of_another_algorithm_is_refused() -> None:
    """An SM2 key under ES256 or ML-DSA-44, and a P-256 key under SM2, are algorithm_not_allowed."""
    sm2_key = keys.generate_private_key(Algorithm.SM2)
    p256 = keys.generate_private_key(Algorithm.ES256)
    for alg, key in (
        (Algorithm.ES256, sm2_key),
        (Algorithm.ML_DSA_44, sm2_key),
        (Algorithm.EDDSA, sm2_key.public_key()),
        (Algorithm.SM2, p256),
        (Algorithm.SM2, p256.public_key()),
    ):
        assert reason_of(partial(check_key_algorithm, alg, key)) is (Reason.ALGORITHM_NOT_ALLOWED)
    assert reason_of(lambda: signing_function(Algorithm.SM2, p256)) is (
        Reason.ALGORITHM_NOT_ALLOWED
    )


def test_spki_and_pkcs8_forms() -> None:
    """SPKI is id-ecPublicKey + the SM2 curve OID + the uncompressed point; PKCS#8 holds d and
    the point; both load back; the kid is SHA-256 of that SPKI like every other key's."""
    key = sm2.Sm2PrivateKey.derive(STD_D)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert bytes.fromhex("06082a811ccf5501822d") in spki  # OID 1.2.156.10197.1.301
    assert spki.endswith(STD_X.to_bytes(32) + STD_Y.to_bytes(32)) and len(spki) == 91
    assert keys.load_public_key_der(spki) == key.public_key()
    again = keys.load_private_key_pem(keys.private_key_to_pem(key))
    assert isinstance(again, sm2.Sm2PrivateKey) and again.public_key() == key.public_key()
    assert keys.kid_for(key) == hashlib.sha256(spki).digest()[:8]


def test_encrypted_sm2_pem_is_refused() -> None:
    """qrseal writes SM2 keys unencrypted only: a password is invalid_argument, a password
    for an SM2 file is invalid_key."""
    key = keys.generate_private_key(Algorithm.SM2)
    assert reason_of(lambda: keys.private_key_to_pem(key, b"pw")) is Reason.INVALID_ARGUMENT
    pem = keys.private_key_to_pem(key)
    assert reason_of(lambda: keys.load_private_key_pem(pem, b"pw")) is Reason.INVALID_KEY


def test_pkcs8_whose_point_is_not_its_key_is_refused() -> None:
    """A PKCS#8 file pairing d with another key's point is invalid_key (pairwise check)."""
    one, two = sm2.Sm2PrivateKey.generate(), sm2.Sm2PrivateKey.generate()
    der_one = one.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der_two = two.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    mixed = der_one[:-64] + der_two[-64:]
    assert reason_of(lambda: sm2.load_pkcs8(mixed)) is Reason.INVALID_KEY
    assert reason_of(lambda: sm2.load_pkcs8(der_one[:-1])) is Reason.INVALID_KEY


def test_cose_key_round_trip_and_wrong_curve() -> None:
    """An SM2 device key's COSE_Key is EC2 with crv -65537 and a compressed point; the same
    x under P-256's crv, or a P-256 point under SM2's crv, is malformed_claims (or another key)."""
    public = sm2.Sm2PrivateKey.generate().public_key()
    cose_key = encode_cose_key(public)
    x = cose_key[-2]
    assert cose_key[1] == 2 and cose_key[-1] == -65537 and isinstance(x, bytes) and len(x) == 32
    assert decode_cose_key(cose_key) == public
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    numbers = p256.public_numbers()
    assert not sm2.on_curve(numbers.x, numbers.y)
    forged = {**encode_cose_key(p256), -1: -65537, -3: numbers.y.to_bytes(32)}
    assert reason_of(lambda: decode_cose_key(forged)) is Reason.MALFORMED_CLAIMS
    assert decode_cose_key({**cose_key, 3: int(Algorithm.SM2)}) == public
    assert reason_of(lambda: decode_cose_key({**cose_key, 3: int(Algorithm.ES256)})) is (
        Reason.MALFORMED_CLAIMS
    )


# --- OpenSSL 3 cross-check, both ways --------------------------------------------------


def _openssl_sm2() -> str:
    """The openssl binary if it signs SM2 with SM3 and a distinguishing ID, else skip."""
    binary = shutil.which("openssl")
    if binary is None:
        pytest.skip("no openssl command on this machine")
    listed = subprocess.run(
        [binary, "list", "-signature-algorithms"], capture_output=True, text=True, check=False
    )
    if "SM2" not in listed.stdout:
        pytest.skip("this openssl has no SM2 (built without sm2/sm3)")
    return binary


def _openssl(binary: str, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([binary, *map(str, args)], capture_output=True, check=False)


def test_openssl_signature_verifies_in_qrseal(tmp_path: Path) -> None:
    """A key and a signature made by OpenSSL (SM3, distid 1234567812345678) load and verify."""
    binary = _openssl_sm2()
    key_path, msg_path, sig_path = tmp_path / "k.pem", tmp_path / "m", tmp_path / "s"
    assert _openssl(binary, "genpkey", "-algorithm", "SM2", "-out", key_path).returncode == 0
    msg_path.write_bytes(b"qrseal and OpenSSL agree")
    signed = _openssl(
        binary, "pkeyutl", "-sign", "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-inkey", key_path, "-in", msg_path,
        "-out", sig_path,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    key = keys.load_private_key_pem(key_path.read_bytes())
    assert keys.private_key_to_pem(key) == key_path.read_bytes()  # the same PKCS#8 bytes
    r, s = decode_dss_signature(sig_path.read_bytes())
    public = key.public_key()
    sig = r.to_bytes(32) + s.to_bytes(32)
    verify_signature(Algorithm.SM2, public, sig, msg_path.read_bytes())
    assert reason_of(lambda: verify_signature(Algorithm.SM2, public, sig, b"x")) is (
        Reason.SIGNATURE_INVALID
    )


def test_qrseal_signature_verifies_in_openssl(tmp_path: Path) -> None:
    """qrseal's key files and signatures verify in OpenSSL; with another distid they do not."""
    binary = _openssl_sm2()
    key = keys.generate_private_key(Algorithm.SM2)
    pub_path, msg_path, sig_path = tmp_path / "p.pem", tmp_path / "m", tmp_path / "s"
    pub_path.write_bytes(keys.public_key_to_pem(key))
    (tmp_path / "k.pem").write_bytes(keys.private_key_to_pem(key))
    msg_path.write_bytes(b"qrseal and OpenSSL agree")
    sig = signing_function(Algorithm.SM2, key)(msg_path.read_bytes())
    sig_path.write_bytes(encode_dss_signature(int.from_bytes(sig[:32]), int.from_bytes(sig[32:])))
    checked = _openssl(binary, "pkey", "-in", tmp_path / "k.pem", "-check", "-noout")
    assert checked.returncode == 0, checked.stderr

    def verify(distid: str) -> int:
        return _openssl(
            binary, "pkeyutl", "-verify", "-pubin", "-inkey", pub_path, "-rawin",
            "-digest", "sm3", "-pkeyopt", f"distid:{distid}", "-in", msg_path,
            "-sigfile", sig_path,
        ).returncode  # fmt: skip

    assert verify("1234567812345678") == 0
    assert verify("ALICE123@YAHOO.COM") != 0
