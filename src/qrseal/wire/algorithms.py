"""The algorithm registry: one entry per COSE signature algorithm qrseal implements.

Every table that maps an algorithm to a curve, a hash, a key type, a signature size or a
COSE_Key ``crv`` derives from :data:`ALGORITHMS` (RFC 9053 §2.1 suggests binding a hash and
a curve to each ECDSA algorithm; qrseal enforces it, so a key is used with one hash only).
Also here: the checks that a key fits an algorithm, and signing/verifying in COSE form
(ECDSA and SM2: fixed-size ``r || s``; EdDSA and ML-DSA: raw).

Beyond the IANA-registered ECDSA and EdDSA: SM2 with SM3 (:mod:`qrseal.wire.sm2`; COSE has
no registered value, so qrseal uses one from the private-use range, docs/format.md "SM2")
and ML-DSA-44 (FIPS 204; RFC 9964 ``-48``, key type AKP) from ``cryptography``.

Lower-level API. Most users want :class:`qrseal.Issuer` and :class:`qrseal.Verifier`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ..errors import AlgorithmNotAllowed, InvalidKey, SignatureInvalid
from .sm2 import SIGNATURE_LENGTH as SM2_SIGNATURE_LENGTH
from .sm2 import Sm2PrivateKey, Sm2PublicKey

__all__ = [
    "ALGORITHMS",
    "BY_NAME",
    "PRIVATE_KEY_TYPES",
    "PUBLIC_KEY_TYPES",
    "Algorithm",
    "AlgorithmSpec",
    "CoseCurve",
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "algorithm_for_key",
    "check_key_algorithm",
    "parse_algorithm",
    "sign_bytes",
    "signing_function",
    "spec",
    "verify_signature",
    "verifying_function",
]

PublicKey = (
    ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | ed448.Ed448PublicKey
    | Sm2PublicKey
    | mldsa.MLDSA44PublicKey
)
PrivateKey = (
    ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | Sm2PrivateKey
    | mldsa.MLDSA44PrivateKey
)
#: The classes of :data:`PublicKey` and :data:`PrivateKey`, for ``isinstance``.
PUBLIC_KEY_TYPES: Final = (
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    Sm2PublicKey,
    mldsa.MLDSA44PublicKey,
)
PRIVATE_KEY_TYPES: Final = (
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    Sm2PrivateKey,
    mldsa.MLDSA44PrivateKey,
)

_EDDSA_KEYS: Final = (
    ed25519.Ed25519PublicKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PublicKey,
    ed448.Ed448PrivateKey,
)
_EC_KEYS: Final = (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)
_SM2_KEYS: Final = (Sm2PublicKey, Sm2PrivateKey)
_MLDSA44_KEYS: Final = (mldsa.MLDSA44PublicKey, mldsa.MLDSA44PrivateKey)


class Algorithm(IntEnum):
    """COSE algorithm identifiers (IANA "COSE Algorithms") that qrseal implements."""

    ES256 = -7
    ES384 = -35
    ES512 = -36
    EDDSA = -8
    #: ML-DSA-44 (FIPS 204), RFC 9964.
    ML_DSA_44 = -48
    #: SM2 with SM3 and the default distinguishing identifier: not registered with IANA;
    #: the first value of the private-use range (RFC 9052 §16.4), docs/format.md "SM2".
    SM2 = -65537


class KeyType(IntEnum):
    """COSE key types (IANA "COSE Key Types", RFC 9053 §7)."""

    OKP = 1
    EC2 = 2
    #: Algorithm Key Pair (RFC 9964 §4): the public key is the algorithm's own encoding.
    AKP = 7


class CoseCurve(IntEnum):
    """COSE elliptic curves (IANA "COSE Elliptic Curves", RFC 9053 §7.1)."""

    P256 = 1
    P384 = 2
    P521 = 3
    ED25519 = 6
    ED448 = 7
    #: SM2's recommended curve (GB/T 32918.5): not registered; private use (RFC 9053 §7.1).
    SM2 = -65537


@dataclass(frozen=True, slots=True)
class AlgorithmSpec:
    """What qrseal binds to one algorithm.

    ``key_classes`` are the key classes (public and private) the algorithm takes. ``curve``
    is the ECDSA curve (cryptography's name in ``curve_name``) and ``ecdsa`` the shared,
    immutable signature parameter with its hash; both None for the others: EdDSA, which
    works with Ed25519 and Ed448 keys (``curve_name`` "ed25519", the curve qrseal
    generates), SM2 (its own key classes, one curve, hash SM3) and ML-DSA-44.
    ``signature_length`` is the COSE-form signature size (ECDSA and SM2 ``r || s``; EdDSA
    with Ed25519; ML-DSA-44's fixed 2,420 bytes). ``cose_crv`` is the COSE_Key ``crv`` of
    the generated curve (None for ML-DSA, whose AKP keys have none).
    """

    algorithm: Algorithm
    name: str
    key_type: KeyType
    curve_name: str
    cose_crv: CoseCurve | None
    signature_length: int
    curve: ec.EllipticCurve | None = None
    hash: hashes.HashAlgorithm | None = None
    ecdsa: ec.ECDSA | None = None
    key_classes: tuple[type, ...] = _EC_KEYS

    @property
    def coordinate_size(self) -> int:
        """Bytes of each of ``r`` and ``s`` in an ECDSA or SM2 signature (half the length)."""
        return self.signature_length // 2


def _ecdsa(
    alg: Algorithm, curve: ec.EllipticCurve, hash_: hashes.HashAlgorithm, crv: CoseCurve
) -> AlgorithmSpec:
    size = (curve.key_size + 7) // 8
    return AlgorithmSpec(
        alg, alg.name, KeyType.EC2, curve.name, crv, 2 * size, curve, hash_, ec.ECDSA(hash_)
    )


#: The registry: every per-algorithm table in qrseal derives from these entries.
ALGORITHMS: Final[Mapping[Algorithm, AlgorithmSpec]] = MappingProxyType(
    {
        Algorithm.ES256: _ecdsa(Algorithm.ES256, ec.SECP256R1(), hashes.SHA256(), CoseCurve.P256),
        Algorithm.ES384: _ecdsa(Algorithm.ES384, ec.SECP384R1(), hashes.SHA384(), CoseCurve.P384),
        Algorithm.ES512: _ecdsa(Algorithm.ES512, ec.SECP521R1(), hashes.SHA512(), CoseCurve.P521),
        Algorithm.EDDSA: AlgorithmSpec(
            Algorithm.EDDSA,
            "EdDSA",
            KeyType.OKP,
            "ed25519",
            CoseCurve.ED25519,
            64,
            key_classes=_EDDSA_KEYS,
        ),
        Algorithm.SM2: AlgorithmSpec(
            Algorithm.SM2,
            "SM2",
            KeyType.EC2,
            "sm2p256v1",
            CoseCurve.SM2,
            SM2_SIGNATURE_LENGTH,
            key_classes=_SM2_KEYS,
        ),
        Algorithm.ML_DSA_44: AlgorithmSpec(
            Algorithm.ML_DSA_44,
            "ML-DSA-44",
            KeyType.AKP,
            "ml-dsa-44",
            None,
            2420,
            key_classes=_MLDSA44_KEYS,
        ),
    }
)
# Plain-int lookup: calling the IntEnum runs slow Python code.
_BY_ID: Final[Mapping[int, Algorithm]] = MappingProxyType({int(a): a for a in Algorithm})
_BY_CURVE_NAME: Final = MappingProxyType(
    {s.curve_name: s.algorithm for s in ALGORITHMS.values() if s.curve is not None}
)
#: Names as the CLI and documents spell them ("ES256", "EdDSA", "SM2", "ML-DSA-44").
BY_NAME: Final[Mapping[str, Algorithm]] = MappingProxyType(
    {s.name: s.algorithm for s in ALGORITHMS.values()}
)


def spec(alg: Algorithm) -> AlgorithmSpec:
    """The registry entry of ``alg``."""
    return ALGORITHMS[alg]


def parse_algorithm(value: object) -> Algorithm:
    """Map an ``alg`` header value to :class:`Algorithm` or raise ``AlgorithmNotAllowed``."""
    if isinstance(value, int) and not isinstance(value, bool):
        alg = _BY_ID.get(value)
        if alg is not None:
            return alg
    raise AlgorithmNotAllowed(f"unsupported algorithm {value!r}", alg=value)


def algorithm_for_key(key: PrivateKey | PublicKey) -> Algorithm:
    """The one COSE algorithm qrseal uses with this key type and curve. Raises ``InvalidKey``."""
    if isinstance(key, _EC_KEYS):
        alg = _BY_CURVE_NAME.get(key.curve.name)
        if alg is None:
            raise InvalidKey(f"unsupported curve {key.curve.name}")
        return alg
    for entry in ALGORITHMS.values():
        if entry.curve is None and isinstance(key, entry.key_classes):
            return entry.algorithm
    raise InvalidKey(f"unsupported key type {type(key).__name__}")


def check_key_algorithm(alg: Algorithm, key: object) -> None:
    """Raise ``AlgorithmNotAllowed`` unless ``key`` (public or private) fits ``alg``."""
    entry = ALGORITHMS.get(alg)
    if entry is None:
        ok = False
    elif entry.curve is None:
        ok = isinstance(key, entry.key_classes)
    else:
        ok = isinstance(key, _EC_KEYS) and key.curve.name == entry.curve_name
    if not ok:
        raise AlgorithmNotAllowed(
            f"key of type {type(key).__name__} cannot be used with {alg.name}", alg=alg
        )


def signing_function(alg: Algorithm, private_key: object) -> Callable[[bytes], bytes]:
    """A function that signs messages in COSE form (ECDSA and SM2: fixed-size ``r || s``;
    EdDSA and ML-DSA: raw) with ``private_key`` under ``alg``, the key's fit checked once,
    here. Raises ``AlgorithmNotAllowed`` (the key does not fit ``alg``) or ``InvalidKey``
    (not a private key)."""
    check_key_algorithm(alg, private_key)
    if isinstance(
        private_key,
        ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey | Sm2PrivateKey | mldsa.MLDSA44PrivateKey,
    ):
        return private_key.sign
    entry = ALGORITHMS[alg]
    ecdsa = entry.ecdsa
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or ecdsa is None:
        raise InvalidKey(f"not a private key: {type(private_key).__name__}")
    size = entry.coordinate_size
    sign_der = private_key.sign

    def sign(message: bytes) -> bytes:
        r, s = decode_dss_signature(sign_der(message, ecdsa))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    return sign


def sign_bytes(alg: Algorithm, private_key: object, message: bytes) -> bytes:
    """Sign ``message`` in COSE form (ECDSA and SM2: fixed-size ``r || s``; others: raw)."""
    return signing_function(alg, private_key)(message)


def _raw_verifier(
    verify_raw: Callable[[bytes, bytes], None], length: int | None
) -> Callable[[bytes, bytes], None]:
    def verify_raw_signature(signature: bytes, message: bytes) -> None:
        if length is not None and len(signature) != length:
            raise SignatureInvalid(f"signature must be {length} bytes, got {len(signature)}")
        try:
            verify_raw(signature, message)
        except InvalidSignature as exc:
            raise SignatureInvalid("signature does not verify") from exc

    return verify_raw_signature


def verifying_function(alg: Algorithm, public_key: PublicKey) -> Callable[[bytes, bytes], None]:
    """A function ``(signature, message) -> None`` that verifies COSE-form signatures by
    ``public_key`` under ``alg`` and raises ``SignatureInvalid``; the key's fit is checked
    once, here (``AlgorithmNotAllowed``)."""
    check_key_algorithm(alg, public_key)
    if isinstance(public_key, Sm2PublicKey):
        return public_key.verify  # checks length and ranges, raises SignatureInvalid
    if isinstance(public_key, mldsa.MLDSA44PublicKey):
        return _raw_verifier(public_key.verify, ALGORITHMS[alg].signature_length)
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return _raw_verifier(public_key.verify, None)
    entry = ALGORITHMS[alg]
    ecdsa, length, size = entry.ecdsa, entry.signature_length, entry.coordinate_size
    verify_der = public_key.verify

    def verify_ecdsa(signature: bytes, message: bytes) -> None:
        if len(signature) != length or ecdsa is None:
            raise SignatureInvalid(f"ECDSA signature must be {length} bytes, got {len(signature)}")
        der = encode_dss_signature(
            int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        )
        try:
            verify_der(der, message, ecdsa)
        except InvalidSignature as exc:
            raise SignatureInvalid("signature does not verify") from exc

    return verify_ecdsa


def verify_signature(
    alg: Algorithm, public_key: PublicKey, signature: bytes, message: bytes
) -> None:
    """Verify a COSE-form signature. Returns None or raises ``SignatureInvalid``
    (or ``AlgorithmNotAllowed`` when the key does not fit ``alg``)."""
    verifying_function(alg, public_key)(signature, message)
