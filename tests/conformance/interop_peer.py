"""The other side of the interop tests: runs in the separate interop environment
(.venv-interop: pycose and python-cwt, whose cbor2 pin excludes qrseal's cbor2 6), never
imports qrseal, and talks JSON over stdin/stdout with tests/conformance/test_interop.py.

Input: ``{"verify": [item, ...], "make": {...}}``. Each verify item names COSE_Sign1 bytes, the
public key (PEM) and kid, and optionally an external AAD (a DP1 proof signs the credential
as its external AAD); the answer says whether pycose and python-cwt verified the signature,
and the claims python-cwt decoded. ``make`` gives private keys and claims; the answer holds
credentials in qrseal's format made by pycose and by python-cwt (default and adjusted).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def from_wire_json(value: Any) -> Any:
    """Rebuild CBOR values from their JSON form: maps as ``{"map": [[k, v], ...]}``, tags
    as ``{"tag": n, "value": v}``, byte strings as ``{"bytes": hex}``."""
    import cbor2

    if isinstance(value, list):
        return [from_wire_json(v) for v in value]
    if isinstance(value, dict):
        if "map" in value:
            pairs = [(from_wire_json(k), from_wire_json(v)) for k, v in value["map"]]
            # RFC 8949 §4.2.1: keys in the bytewise order of their encodings
            return dict(sorted(pairs, key=lambda kv: cbor2.dumps(kv[0])))
        if "tag" in value:
            return cbor2.CBORTag(value["tag"], from_wire_json(value["value"]))
        return bytes.fromhex(value["bytes"])
    return value


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def verify(item: dict[str, Any]) -> dict[str, Any]:
    import cbor2
    import cwt
    from pycose.keys import CoseKey
    from pycose.messages import Sign1Message

    data = bytes.fromhex(item["cose_hex"])
    aad = bytes.fromhex(item.get("external_aad_hex", ""))
    kid = bytes.fromhex(item["kid_hex"]) if item.get("kid_hex") else b""
    out: dict[str, Any] = {"id": item["id"]}
    try:
        msg = Sign1Message.decode(data)
        msg.key = CoseKey.from_pem_public_key(item["pem"])
        msg.external_aad = aad
        out["pycose"] = bool(msg.verify_signature())
    except Exception as exc:  # noqa: BLE001 - report the peer's failure, whatever it is
        out["pycose"] = _describe(exc)
    try:
        key = cwt.COSEKey.from_pem(item["pem"], kid=kid)
        if item.get("cwt_claims", True):
            # no_verify skips only python-cwt's wall-clock checks of exp/nbf (the test
            # checks times against its fixed clock); the signature is always verified.
            claims = cwt.decode(data, key, no_verify=True)
            out["cwt_claims_hex"] = cbor2.dumps(claims).hex()
        else:
            payload = cwt.COSE.new(verify_kid=bool(kid)).decode(data, key, external_aad=aad)
            out["cwt_payload_hex"] = payload.hex()
        out["cwt"] = True
    except Exception as exc:  # noqa: BLE001 - report the peer's failure, whatever it is
        out["cwt"] = _describe(exc)
    return out


def make(spec: dict[str, Any]) -> dict[str, str]:
    """Credentials in qrseal's format: the claims, ``alg`` and ``kid`` protected, nothing
    unprotected, made by pycose and by python-cwt."""
    import cbor2
    import cwt
    from pycose.algorithms import EdDSA, Es256
    from pycose.headers import KID, Algorithm
    from pycose.keys import CoseKey
    from pycose.messages import Sign1Message

    claims = from_wire_json(spec["claims"])
    payload = cbor2.dumps(claims)
    made: dict[str, str] = {}
    for name, key_spec in spec["keys"].items():
        kid = bytes.fromhex(key_spec["kid_hex"])
        pem = key_spec["private_pem"]
        alg = {"ES256": Es256, "EdDSA": EdDSA}[key_spec["alg"]]
        msg = Sign1Message(phdr={Algorithm: alg, KID: kid}, uhdr={}, payload=payload)
        msg.key = CoseKey.from_pem_private_key(pem)
        made[f"pycose-{name}"] = msg.encode(tag=True).hex()
        key = cwt.COSEKey.from_pem(pem, kid=kid)
        # python-cwt's default: kid (and alg) chosen by the library; kid goes unprotected
        made[f"cwt-default-{name}"] = cwt.encode(claims, key).hex()
        # what qrseal accepts: alg and kid protected, the unprotected header empty
        sign1 = cwt.COSE.new()
        protected = {1: {"ES256": -7, "EdDSA": -8}[key_spec["alg"]], 4: kid}
        made[f"cwt-protected-{name}"] = sign1.encode_and_sign(
            payload, key, protected=protected, unprotected={}
        ).hex()
    return made


def main() -> int:
    request = json.load(sys.stdin)
    answer = {
        "verify": [verify(item) for item in request.get("verify", [])],
        "made": make(request["make"]) if "make" in request else {},
    }
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
