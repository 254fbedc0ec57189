"""Keys: generation, PEM import/export, key ids, and the :class:`Signer` protocol.

A ``kid`` is the first 8 bytes of SHA-256 over the public key's DER
SubjectPublicKeyInfo. The :class:`Signer` protocol lets an HSM or cloud KMS sign
instead of a local key: the issuer only needs ``algorithm``, ``kid`` and ``sign``.
"""

from __future__ import annotations

import warnings
from typing import Final, Protocol, runtime_checkable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa

from ..errors import InvalidArgument, InvalidKey
from . import sm2
from .algorithms import (
    ALGORITHMS,
    PRIVATE_KEY_TYPES,
    PUBLIC_KEY_TYPES,
    Algorithm,
    PrivateKey,
    PublicKey,
    algorithm_for_key,
    check_key_algorithm,
    signing_function,
)

__all__ = [
    "KID_LENGTH",
    "LocalSigner",
    "PrivateKey",
    "PublicKey",
    "Signer",
    "algorithm_for_key",
    "generate_private_key",
    "key_identity",
    "kid_for",
    "load_private_key_pem",
    "load_public_key_der",
    "load_public_key_pem",
    "private_key_to_pem",
    "public_key_to_pem",
]

KID_LENGTH: Final = 8


@runtime_checkable
class Signer(Protocol):
    """Something that signs COSE ``Sig_structure`` bytes with one key.

    ``sign`` returns the signature in COSE form (ECDSA: fixed-size ``r || s``).
    """

    @property
    def algorithm(self) -> Algorithm: ...

    @property
    def kid(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


def generate_private_key(alg: Algorithm = Algorithm.ES256) -> PrivateKey:
    """A fresh private key for ``alg`` (EdDSA gives Ed25519)."""
    entry = ALGORITHMS.get(alg)
    if entry is None:
        raise InvalidArgument(f"unsupported algorithm {alg!r}")
    if alg is Algorithm.SM2:
        return sm2.Sm2PrivateKey.generate()
    if alg is Algorithm.ML_DSA_44:
        return mldsa.MLDSA44PrivateKey.generate()
    if entry.curve is None:
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(entry.curve)


def key_identity(
    key: PublicKey, algorithm: Algorithm | None = None, kid: bytes = b""
) -> tuple[Algorithm, bytes]:
    """The algorithm (default: the key's one) checked against ``key``, and the kid
    (default: :func:`kid_for`). Raises ``InvalidKey`` or ``AlgorithmNotAllowed``."""
    alg = algorithm if algorithm is not None else algorithm_for_key(key)
    check_key_algorithm(alg, key)
    return alg, kid or kid_for(key)


def _public(key: PrivateKey | PublicKey) -> PublicKey:
    if isinstance(key, PRIVATE_KEY_TYPES):
        return key.public_key()
    return key


def kid_for(key: PrivateKey | PublicKey) -> bytes:
    """Key id: first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    spki = _public(key).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())  # cryptography's: no second OpenSSL load (hashlib)
    digest.update(spki)
    return digest.finalize()[:KID_LENGTH]


def private_key_to_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the best available scheme when ``password`` is given
    (SM2 keys: unencrypted only, ``InvalidArgument`` otherwise)."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def public_key_to_pem(key: PrivateKey | PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of the public half."""
    return _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _plain(exc: Exception) -> str:
    """cryptography's loading error in a sentence, without its FAQ links and ASN.1 details."""
    text = str(exc)
    if "Unable to load PEM file" in text:
        return "not a PEM file (no well-formed -----BEGIN ...----- block)"
    if isinstance(exc, TypeError) and "not encrypted" in text:
        return "a password was given but the key is not encrypted"
    if isinstance(exc, TypeError):
        return "the key is encrypted and no password was given"
    if "Could not deserialize" in text or "Bad decrypt" in text:
        return "the PEM data is not a key of a supported type, or the password is wrong"
    if "no BEGIN PUBLIC KEY" in text:
        return "the PEM file holds no public key (a private key or a certificate?)"
    return text.split(" See https://", 1)[0]


def load_private_key_pem(data: bytes, password: bytes | None = None) -> PrivateKey:
    """Load a PKCS#8 (or traditional) PEM private key. Raises ``InvalidKey`` for a wrong
    password, a corrupt file or an unsupported key type. SM2 keys (which ``cryptography``
    cannot read) are read in OpenSSL 3's unencrypted PKCS#8 form."""
    der = sm2.pem_der(data, "PRIVATE KEY")
    if der is not None and sm2.is_sm2_der(der):
        if password:
            raise InvalidKey("an SM2 key file is unencrypted; no password applies")
        return sm2.load_pkcs8(der)
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidKey(f"cannot load private key: {_plain(exc)}") from exc
    if not isinstance(key, PRIVATE_KEY_TYPES):
        raise InvalidKey(f"unsupported private key type {type(key).__name__}")
    algorithm_for_key(key)
    return key


def load_public_key_pem(data: bytes) -> PublicKey:
    """Load an SPKI PEM public key. Raises ``InvalidKey``."""
    der = sm2.pem_der(data, "PUBLIC KEY")
    if der is not None and sm2.is_sm2_der(der):
        return sm2.load_spki(der)
    return _load_public_with_cryptography(data, pem=True)


def load_public_key_der(der: bytes) -> PublicKey:
    """Load a DER SubjectPublicKeyInfo (SM2 included). Raises ``InvalidKey``."""
    if sm2.is_sm2_der(der):
        return sm2.load_spki(der)
    return _load_public_with_cryptography(der, pem=False)


def _load_public_with_cryptography(data: bytes, *, pem: bool) -> PublicKey:
    """Load a non-SM2 SPKI through ``cryptography``. Raises ``InvalidKey``."""
    try:
        key = (
            serialization.load_pem_public_key(data)
            if pem
            else serialization.load_der_public_key(data)
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidKey(f"cannot load public key: {_plain(exc)}") from exc
    if not isinstance(key, PUBLIC_KEY_TYPES):
        raise InvalidKey(f"unsupported public key type {type(key).__name__}")
    algorithm_for_key(key)
    return key


class LocalSigner:
    """A :class:`Signer` over an in-memory private key."""

    __slots__ = ("_algorithm", "_key", "_kid", "_sign")

    def __init__(self, private_key: PrivateKey, algorithm: Algorithm | None = None) -> None:
        alg = algorithm if algorithm is not None else algorithm_for_key(private_key)
        self._sign = signing_function(alg, private_key)  # checks that the key fits alg
        self._key = private_key
        self._algorithm = alg
        self._kid = kid_for(private_key)

    @property
    def algorithm(self) -> Algorithm:
        return self._algorithm

    @property
    def kid(self) -> bytes:
        return self._kid

    @property
    def public_key(self) -> PublicKey:
        return _public(self._key)

    def sign(self, message: bytes) -> bytes:
        return self._sign(message)

    def __repr__(self) -> str:
        return f"LocalSigner({self._algorithm.name}, kid={self._kid.hex()})"


def require_keyword(positional: object, keyword: object, *, name: str, owner: str) -> None:
    """Check a key or signer argument that is keyword-only (keys and signers are always
    passed by name): a positional value still works for one release, with a
    ``DeprecationWarning``. Raises ``InvalidArgument`` when it is missing or given both
    ways."""
    if positional is None:
        if keyword is None:
            raise InvalidArgument(f"{owner} needs {name}=")
        return
    if keyword is not None:
        raise InvalidArgument(f"{owner} got {name} both positionally and as {name}=")
    warnings.warn(
        f"{owner}: passing {name} positionally is deprecated; pass {name}=",
        DeprecationWarning,
        stacklevel=3,
    )
