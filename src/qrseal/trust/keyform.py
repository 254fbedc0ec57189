"""The key of a trust-list entry as DER SubjectPublicKeyInfo: its one canonical form, a
structural check that needs no OpenSSL, and the parse on first use (docs/format.md §14.2).

Loading a 10,000-entry list must not parse 10,000 keys: :func:`canonical_form` checks the
bytes the way OpenSSL would (OIDs, lengths, a point on the curve) and an entry parses its key
with :func:`load_spki` only when a credential needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from cryptography.hazmat.primitives import serialization

from ..errors import AlgorithmNotAllowed, InvalidKey, MalformedTrustList
from ..wire import sm2
from ..wire.cose import Algorithm, PublicKey, check_key_algorithm
from ..wire.keys import load_public_key_der

__all__ = ["SPKI_FORMS", "canonical_form", "load_spki", "spki_of"]


def spki_of(key: PublicKey) -> bytes:
    """The key's DER SubjectPublicKeyInfo as cryptography (and, for SM2, OpenSSL 3) writes
    it (one encoding per key, so equal bytes mean equal keys)."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_spki(spki: bytes, alg: Algorithm, where: str = "") -> PublicKey:
    """Parse ``spki`` as a key that fits ``alg``; raises ``MalformedTrustList`` (``where``
    prefixes the message, e.g. ``"entry 3: "``)."""
    try:
        key = load_public_key_der(spki)
        check_key_algorithm(alg, key)
    except (InvalidKey, AlgorithmNotAllowed) as exc:
        raise MalformedTrustList(f"{where}key does not fit {alg.name}: {exc}") from exc
    return key


# SubjectPublicKeyInfo (RFC 5480 §2, RFC 8410 §4) in the one DER form cryptography writes:
# SEQUENCE { SEQUENCE { algorithm OID, curve OID }, BIT STRING { 0 unused bits, key } },
# with EC points uncompressed (0x04 || X || Y). Per COSE algorithm (keyed by the member,
# which hashes as its value): (header up to the key bytes, total length, for EC the field
# prime p and curve coefficient b (a = -3)).
SpkiForm = tuple[bytes, int, int, int]
_P256: Final = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P384: Final = 2**384 - 2**128 - 2**96 + 2**32 - 1
_P521: Final = 2**521 - 1
SPKI_FORMS: Final[Mapping[int, tuple[SpkiForm, ...]]] = MappingProxyType(
    {
        Algorithm.ES256: (
            (
                bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004"),
                91,
                _P256,
                int("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16),
            ),
        ),
        Algorithm.ES384: (
            (
                bytes.fromhex("3076301006072a8648ce3d020106052b8104002203620004"),
                120,
                _P384,
                int(
                    "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a"
                    "c656398d8a2ed19d2a85c8edd3ec2aef",
                    16,
                ),
            ),
        ),
        Algorithm.ES512: (
            (
                bytes.fromhex("30819b301006072a8648ce3d020106052b810400230381860004"),
                158,
                _P521,
                int(
                    "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef1"
                    "09e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
                    16,
                ),
            ),
        ),
        # SM2 (GB/T 32918.5; a = p - 3 as for the NIST curves), in OpenSSL 3's form.
        Algorithm.SM2: ((sm2.SPKI_PREFIX, sm2.SPKI_LENGTH, sm2.P, sm2.B),),
        # ML-DSA-44 (LAMPS SPKI: OID 2.16.840.1.101.3.4.3.17, 1,312 key bytes): any bytes.
        Algorithm.ML_DSA_44: (
            (bytes.fromhex("30820532300b06096086480165030403110382052100"), 1334, 0, 0),
        ),
        # Ed25519 and Ed448: OpenSSL takes any 32 / 57 key bytes, as this does.
        Algorithm.EDDSA: (
            (bytes.fromhex("302a300506032b6570032100"), 44, 0, 0),
            (bytes.fromhex("3043300506032b6571033a00"), 69, 0, 0),
        ),
    }
)


def canonical_form(spki: bytes, alg: Algorithm) -> bool:
    """Whether ``spki`` is a key ``alg`` accepts, in the DER form cryptography writes,
    checked without OpenSSL: exact algorithm and curve OIDs, BIT STRING and key length,
    and for EC an affine point with coordinates below p that lies on the curve (what
    OpenSSL checks when it loads the key; P-256/384/521 have cofactor 1, so nothing more).
    False means "not in that form": the caller then parses the key in full."""
    size = len(spki)
    for prefix, total, p, b in SPKI_FORMS[alg]:
        if size != total or not spki.startswith(prefix):
            continue
        if not p:
            return True
        start = len(prefix)
        middle = start + (size - start) // 2
        x = int.from_bytes(spki[start:middle])
        y = int.from_bytes(spki[middle:])
        return x < p and y < p and (y * y - (x * x - 3) * x - b) % p == 0
    return False
