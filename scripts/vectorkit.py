"""The pieces the conformance vectors are made of (scripts/make_vectors.py): the fixed
deterministic test keys, keys as PEM and JWK, crafted bytes, and one vector's layout."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from qrseal import (
    Issuer,
    Policy,
    TrustedKey,
    TrustStore,
    Verifier,
)
from qrseal.licence.profile import LICENCE_CLAIM
from qrseal.status.lists import StatusList
from qrseal.status.snapshots import StatusSnapshots
from qrseal.status.token import sign_status_list, verify_status_list
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    DeterministicSigner,
    make_device_key,
    make_private_key,
    sample_licence,
)
from qrseal.trust.entries import TrustListEntry
from qrseal.trust.model import new_trust_list
from qrseal.trust.signed import sign_trust_list
from qrseal.wire.algorithms import ALGORITHMS
from qrseal.wire.cose import Algorithm, PublicKey, deterministic_dumps, encode_sign1
from qrseal.wire.keys import kid_for, public_key_to_pem
from qrseal.wire.textcodec import TextFormat, numeric_decode, numeric_encode

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"
#: Bumped when the layout of a vector file changes incompatibly.
LAYOUT_VERSION = 1
NOW = FIXED_NOW
HOUR = timedelta(hours=1)
STATUS_URI = "https://status.example.cn/dl/v1/0"

ISS = DeterministicSigner(make_private_key(Algorithm.ES256))
ISS384 = DeterministicSigner(make_private_key(Algorithm.ES384))
ISS_ED = DeterministicSigner(make_private_key(Algorithm.EDDSA))
ISS512 = DeterministicSigner(make_private_key(Algorithm.ES512))
STRANGER = DeterministicSigner(make_private_key(Algorithm.ES256, 1))
DEVICE = DeterministicSigner(make_device_key(Algorithm.ES256))
DEVICE_ED = DeterministicSigner(make_device_key(Algorithm.EDDSA))
OTHER_DEVICE = DeterministicSigner(make_device_key(Algorithm.ES256, 1))
ROOT_KEY = DeterministicSigner(make_private_key(Algorithm.ES256, 10))
OTHER_ROOT = DeterministicSigner(make_private_key(Algorithm.ES256, 11))
ROOT512 = DeterministicSigner(make_private_key(Algorithm.ES512, 10))

# --- keys and bytes ----------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: PublicKey, alg: Algorithm) -> dict[str, str]:
    """``key`` as a JWK (RFC 7517/7518; RFC 8037 for Ed25519) with its ``alg`` and the
    qrseal kid (docs/format.md §2) in base64url."""
    kid = _b64u(kid_for(key))
    if isinstance(key, ec.EllipticCurvePublicKey):
        size = (key.curve.key_size + 7) // 8
        numbers = key.public_numbers()
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]
        x, y = numbers.x.to_bytes(size, "big"), numbers.y.to_bytes(size, "big")
        return {
            "kty": "EC",
            "crv": crv,
            "x": _b64u(x),
            "y": _b64u(y),
            "alg": ALGORITHMS[alg].name,
            "kid": kid,
        }
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64u(raw), "alg": "EdDSA", "kid": kid}
    raise TypeError(f"no JWK form for {type(key).__name__}")


def key_json(signer: DeterministicSigner, **extra: str) -> dict[str, Any]:
    """A public key as the vectors carry it: algorithm, kid (hex), PEM, JWK, and ``extra``
    (``iss``, ``not_before``, ``not_after``)."""
    key = signer.public_key
    return {
        "alg": ALGORITHMS[signer.algorithm].name,
        "kid": signer.kid.hex(),
        "pem": public_key_to_pem(key).decode(),
        "jwk": public_jwk(key, signer.algorithm),
        **extra,
    }


def raw_text(fmt: TextFormat, data: bytes) -> str:
    """``data`` as text without the encoder's checks, so that malformed bytes can travel."""
    return fmt.header + numeric_encode(data)


def sign_payload(
    payload: bytes,
    signer: DeterministicSigner = ISS,
    *,
    alg: Algorithm | None = None,
    protected_extra: Mapping[int, object] | None = None,
    unprotected: Mapping[int, object] | None = None,
    kid_protected: bool = True,
) -> bytes:
    return encode_sign1(
        payload,
        alg=alg or signer.algorithm,
        sign=signer.sign,
        kid=signer.kid if kid_protected else None,
        protected_extra=protected_extra,
        unprotected=unprotected,
    )


def claims_map(changes: dict[int, object] | None = None) -> bytes:
    """Deterministic claims of sample licence 1 signed at NOW for 72 h, with ``changes``
    (a value of None removes the claim)."""
    claims: dict[int, object] = {
        1: TEST_ISSUER,
        4: int((NOW + 72 * HOUR).timestamp()),
        6: int(NOW.timestamp()),
        LICENCE_CLAIM: sample_licence(0).to_cbor_map(),
    }
    for key, value in (changes or {}).items():
        claims[key] = value
    return deterministic_dumps({k: v for k, v in claims.items() if v is not None})


def flip_last(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def issuer(signer: DeterministicSigner = ISS, **options: Any) -> Issuer:
    return Issuer(signer=signer, issuer=options.pop("name", TEST_ISSUER), **options)


# --- one vector --------------------------------------------------------------------------------


@dataclass
class Vector:
    id: str  # also its path under vectors/, without ".json"
    kind: str  # DL1, DP1, trust_list, status_list
    description: str
    inputs: dict[str, Any]
    expected: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        head = {"id": self.id, "kind": self.kind, "description": self.description}
        return {**head, **self.inputs, "expected": self.expected}


def expect_reason(reason: str) -> dict[str, Any]:
    return {"valid": False, "reason": reason}


def verified(
    text: str,
    signer: DeterministicSigner,
    now: datetime,
    policy: Policy | None = None,
    status_tokens: Iterable[bytes] = (),
) -> dict[str, Any]:
    """The expected result of a positive credential case: what the verifier returns."""
    store = TrustStore([TrustedKey(signer.public_key, TEST_ISSUER)])
    lists = [
        verify_status_list(t, keys=store.status_key_resolver(), now=now) for t in status_tokens
    ]
    verifier = Verifier(store, policy, status=StatusSnapshots(lists) if lists else None)
    return {"valid": True, "result": verifier.verify(text, now=now).to_json()}


def credential(
    vid: str,
    description: str,
    text: str,
    expected: dict[str, Any],
    *,
    transport: bytes | None = None,
    cose: bytes | None = None,
    now: datetime = NOW,
    trust: dict[str, Any] | None = None,
    **extra: Any,
) -> Vector:
    """A DL1 or DP1 case; ``extra``: ``policy``, ``status_lists``, ``accepted_before``."""
    kind = "DP1" if vid.startswith("dp1/") else "DL1"
    inputs: dict[str, Any] = {
        "text": text,
        "transport_hex": None if transport is None else transport.hex(),
        "cose_hex": None if cose is None else cose.hex(),
        "now": iso(now),
        "trust": trust or {"keys": [key_json(ISS, iss=TEST_ISSUER)]},
        **extra,
    }
    return Vector(vid, kind, description, inputs, expected)


def transport_of(text: str) -> bytes:
    return numeric_decode(text.split(":", 1)[1])


# --- DL1 ---------------------------------------------------------------------------------------


def status_token(statuses: dict[int, int], *, signer: DeterministicSigner = ISS) -> bytes:
    """A 2-bit status list of 16 entries for STATUS_URI, issued an hour before NOW."""
    status_list = StatusList(16, bits=2)
    for idx, value in statuses.items():
        status_list.set(idx, value)
    return sign_status_list(
        status_list,
        signer=signer,
        uri=STATUS_URI,
        now=NOW - HOUR,
        ttl=timedelta(hours=12),
        valid_for=timedelta(days=1),
    )


def trust_list_token(*entries: TrustListEntry, signer: DeterministicSigner = ROOT_KEY) -> bytes:
    tl = new_trust_list("cn-test", now=NOW - 2 * HOUR, entries=entries)
    return sign_trust_list(tl, signer=signer)


def entry(signer: DeterministicSigner = ISS, **changes: Any) -> TrustListEntry:
    options: dict[str, Any] = {"jurisdiction": "CN-SC", "credential_types": ("DL",), **changes}
    return TrustListEntry(
        signer.public_key,
        TEST_ISSUER,
        options.pop("jurisdiction"),
        NOW - timedelta(days=365),
        NOW + timedelta(days=365),
        **options,
    )
