"""Run a conformance vector (vectors/) through qrseal's public API, as another
implementation would run it through its own: build the trust store, policy and status
snapshots the vector describes, verify at its ``now``, and return the result or raise."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from qrseal import PinnedRoot, Policy, StatusSnapshots, TrustedKey, TrustStore, Verifier
from qrseal.status import verify_status_list
from qrseal.trust.lists import verify_trust_list
from qrseal.wire.algorithms import ALGORITHMS
from qrseal.wire.cose import PublicKey
from qrseal.wire.keys import load_public_key_pem
from qrseal.wire.presentation import ReplayCache

_CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}


def instant(text: str | None) -> datetime | None:
    """A vector's time (``YYYY-MM-DDTHH:MM:SSZ``) as an aware datetime."""
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def now_of(vector: dict[str, Any]) -> datetime:
    moment = instant(vector["now"])
    assert moment is not None
    return moment


def _b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_from_jwk(jwk: dict[str, str]) -> PublicKey:
    """The public key a JWK describes (EC P-256/384/521, OKP Ed25519)."""
    if jwk["kty"] == "EC":
        x, y = (int.from_bytes(_b64u(jwk[c]), "big") for c in ("x", "y"))
        return ec.EllipticCurvePublicNumbers(x, y, _CURVES[jwk["crv"]]).public_key()
    if jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(_b64u(jwk["x"]))
    raise ValueError(f"unsupported JWK {jwk['kty']}")


def key_of(key: dict[str, Any]) -> PublicKey:
    """The key from its PEM (the JWK is checked against it separately)."""
    return load_public_key_pem(key["pem"].encode())


def trust_store(trust: dict[str, Any], now: datetime) -> TrustStore:
    if "trust_list" in trust:
        tl = trust["trust_list"]
        root = tl["root"]
        pinned = PinnedRoot(
            key_of(root),
            not_before=instant(root.get("not_before")),
            not_after=instant(root.get("not_after")),
        )
        return verify_trust_list(
            bytes.fromhex(tl["token_hex"]), root=pinned, now=now
        ).to_trust_store()
    return TrustStore(
        TrustedKey(
            key_of(k),
            k["iss"],
            not_before=instant(k.get("not_before")),
            not_after=instant(k.get("not_after")),
        )
        for k in trust["keys"]
    )


def policy(spec: dict[str, Any] | None) -> Policy:
    spec = spec or {}
    age = spec.get("max_data_age_seconds")
    nonce = spec.get("expected_nonce_hex")
    return Policy(
        require_live=spec.get("require_live", False),
        max_data_age=None if age is None else timedelta(seconds=age),
        expected_nonce=None if nonce is None else bytes.fromhex(nonce),
        expected_audience=spec.get("expected_audience"),
        required_fields=frozenset(spec["required_fields"]) if "required_fields" in spec else None,
    )


def run_credential(vector: dict[str, Any]) -> dict[str, Any]:
    """Verify a DL1/DP1 vector's text; the verifier's JSON result, or a QrsealError."""
    now = now_of(vector)
    store = trust_store(vector["trust"], now)
    lists = [
        verify_status_list(
            bytes.fromhex(s["token_hex"]),
            keys=store.status_key_resolver(),
            now=now,
            expected_uri=s["uri"],
        )
        for s in vector.get("status_lists", ())
    ]
    spec = vector.get("policy") or {}
    verifier = Verifier(
        store,
        policy(spec),
        status=StatusSnapshots(lists) if lists else None,
        replay_cache=ReplayCache() if spec.get("replay_cache") else None,
    )
    for earlier in vector.get("accepted_before", ()):
        verifier.verify(earlier, now=now)
    return verifier.verify(vector["text"], now=now).to_json()


def run_trust_list(vector: dict[str, Any]) -> dict[str, Any]:
    root = vector["root"]
    pinned = PinnedRoot(
        key_of(root),
        not_before=instant(root.get("not_before")),
        not_after=instant(root.get("not_after")),
    )
    verified = verify_trust_list(
        bytes.fromhex(vector["token_hex"]), root=pinned, now=now_of(vector)
    )
    tl = verified.trust_list
    return {
        "list_id": tl.list_id,
        "sequence": tl.sequence,
        "issued_at": f"{tl.issued_at:%Y-%m-%dT%H:%M:%SZ}",
        "next_update": f"{tl.next_update:%Y-%m-%dT%H:%M:%SZ}",
        "expires_at": f"{tl.expires_at:%Y-%m-%dT%H:%M:%SZ}",
        "entries": [
            {
                "kid": e.kid.hex(),
                "alg": ALGORITHMS[e.algorithm].name,
                "issuer": e.issuer,
                "jurisdiction": e.jurisdiction,
                "state": e.state.name.lower(),
            }
            for e in tl.entries
        ],
    }


def run_status_list(vector: dict[str, Any]) -> dict[str, Any]:
    keys = [(bytes.fromhex(k["kid"]), key_of(k)) for k in vector["keys"]]
    extra = {"max_entries": vector["max_entries"]} if "max_entries" in vector else {}
    verified = verify_status_list(
        bytes.fromhex(vector["token_hex"]),
        keys=keys,
        now=now_of(vector),
        expected_uri=vector["uri"],
        **extra,
    )
    lst = verified.status_list
    return {
        "uri": verified.uri,
        "issued_at": f"{verified.issued_at:%Y-%m-%dT%H:%M:%SZ}",
        "expires_at": None
        if verified.expires_at is None
        else f"{verified.expires_at:%Y-%m-%dT%H:%M:%SZ}",
        "ttl_seconds": None if verified.ttl is None else int(verified.ttl.total_seconds()),
        "bits": lst.bits,
        "statuses": [lst.get(i) for i in range(len(lst))],
    }


RUNNERS = {
    "DL1": run_credential,
    "DP1": run_credential,
    "trust_list": run_trust_list,
    "status_list": run_status_list,
}
