"""Interoperability both ways with two independent COSE/CWT libraries, pycose and python-cwt:
they verify what qrseal signs (credentials, live-code proofs, trust lists, status list
tokens), and qrseal verifies credentials they make in its format. Both run in a separate
environment, .venv-interop (python-cwt pins cbor2 < 6; qrseal needs 6), which ``./dev setup``
creates; the tests skip, saying so, only when that environment is absent."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest

from qrseal import Holder, QrsealError, Reason, StatusReference
from qrseal.licence.profile import DL_FORMAT, DP_FORMAT, LICENCE_CLAIM
from qrseal.status.lists import StatusList
from qrseal.status.token import sign_status_list
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_device_signer,
    make_issuer,
    make_private_key,
    make_signer,
    make_verifier,
    sample_licence,
)
from qrseal.trust.entries import TrustListEntry
from qrseal.trust.model import new_trust_list
from qrseal.trust.signed import sign_trust_list
from qrseal.wire.algorithms import parse_algorithm
from qrseal.wire.cose import Algorithm, decode_sign1
from qrseal.wire.keys import private_key_to_pem, public_key_to_pem
from qrseal.wire.presentation import decode_presentation
from qrseal.wire.textcodec import pack, unpack

ROOT = Path(__file__).resolve().parents[2]
PEER = Path(__file__).with_name("interop_peer.py")
#: The interop environment's interpreter; QRSEAL_INTEROP_PYTHON overrides it.
INTEROP_PYTHON = Path(
    os.environ.get("QRSEAL_INTEROP_PYTHON", ROOT / ".venv-interop" / "bin" / "python")
)
NOW = FIXED_NOW


def to_wire_json(value: object) -> object:
    """A CBOR value in the JSON form interop_peer.from_wire_json reads."""
    if isinstance(value, Mapping):
        return {"map": [[to_wire_json(k), to_wire_json(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [to_wire_json(v) for v in value]
    if isinstance(value, cbor2.CBORTag):
        return {"tag": value.tag, "value": to_wire_json(value.value)}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return value


def _item(
    name: str, data: bytes, public_pem: bytes, kid: bytes | None, **extra: object
) -> dict[str, Any]:
    return {"id": name, "cose_hex": data.hex(), "pem": public_pem.decode(),
            "kid_hex": None if kid is None else kid.hex(), **extra}  # fmt: skip


def _credentials() -> dict[str, bytes]:
    device = make_device_signer()
    return {
        f"dl1-{alg.name}": make_issuer(alg).sign(sample_licence(0), now=NOW).cose
        for alg in (Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA)
    } | {
        "dl1-bound-status": make_issuer().sign(
            sample_licence(1), now=NOW, holder_key=device.public_key,
            status=StatusReference("https://status.example.cn/dl/v1/0", 5),
        ).cose
    }  # fmt: skip


def _request() -> tuple[dict[str, Any], dict[str, Any]]:
    """What the peer is asked, and the facts the test checks its answers against."""
    items: list[dict[str, Any]] = []
    facts: dict[str, Any] = {}
    for name, cose in _credentials().items():
        msg = decode_sign1(cose)
        alg = parse_algorithm(msg.alg)
        pem = public_key_to_pem(make_private_key(alg).public_key())
        items.append(_item(name, cose, pem, msg.kid))
        facts[name] = cbor2.loads(msg.payload)
    device = make_device_signer()
    bound = make_issuer().sign(sample_licence(2), now=NOW, holder_key=device.public_key)
    code = Holder(bound, device_signer=device).present(now=NOW, nonce=bytes(8), audience="desk-1")
    proof = decode_presentation(unpack(code, (DP_FORMAT,))[1]).proof
    proof_bytes = cbor2.dumps(
        cbor2.CBORTag(18, [proof.protected_bytes, {}, proof.payload, proof.signature])
    )
    items.append(_item("dp1-proof", proof_bytes, public_key_to_pem(device.public_key), None,
                       external_aad_hex=bound.cose.hex(), cwt_claims=False))  # fmt: skip
    facts["dp1-proof"] = proof.payload
    root = make_signer(Algorithm.ES256, 20)
    entry = TrustListEntry(
        make_signer().public_key,
        TEST_ISSUER,
        "CN-SC",
        NOW - timedelta(days=1),
        NOW + timedelta(days=9),
    )
    trust_list = sign_trust_list(new_trust_list("cn", now=NOW, entries=[entry]), signer=root)
    items.append(
        _item(
            "trust-list", trust_list, public_key_to_pem(root.public_key), root.kid, cwt_claims=False
        )
    )
    facts["trust-list"] = decode_sign1(trust_list, max_bytes=1 << 20).payload
    token = sign_status_list(StatusList(64, bits=2), signer=make_signer(), uri="https://s.example/0",
                             now=NOW, ttl=timedelta(hours=1), valid_for=timedelta(days=1))  # fmt: skip
    items.append(
        _item(
            "status-list",
            token,
            public_key_to_pem(make_signer().public_key),
            make_signer().kid,
            cwt_claims=False,
        )
    )
    facts["status-list"] = decode_sign1(token, max_bytes=1 << 20).payload
    claims = {1: TEST_ISSUER, 4: int((NOW + timedelta(hours=72)).timestamp()),
              5: int(NOW.timestamp()), 6: int(NOW.timestamp()), LICENCE_CLAIM: sample_licence(0).to_cbor_map()}  # fmt: skip
    keys = {
        name: {"alg": alg_name, "kid_hex": make_signer(alg).kid.hex(),
               "private_pem": private_key_to_pem(make_private_key(alg)).decode()}
        for name, alg, alg_name in (("es256", Algorithm.ES256, "ES256"), ("eddsa", Algorithm.EDDSA, "EdDSA"))
    }  # fmt: skip
    return {"verify": items, "make": {"claims": to_wire_json(claims), "keys": keys}}, facts


@pytest.fixture(scope="module")
def exchange() -> tuple[dict[str, Any], dict[str, Any]]:
    if not INTEROP_PYTHON.exists():
        pytest.skip(
            f"interop environment absent: {INTEROP_PYTHON} (./dev setup creates .venv-interop "
            "with pycose and python-cwt)"
        )
    request, facts = _request()
    proc = subprocess.run(
        [str(INTEROP_PYTHON), str(PEER)], input=json.dumps(request), capture_output=True,
        text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answer: dict[str, Any] = json.loads(proc.stdout)
    return answer, facts


def _answer(exchange: tuple[dict[str, Any], dict[str, Any]], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [a for a in exchange[0]["verify"] if a["id"] == name]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("name", ["dl1-ES256", "dl1-ES384", "dl1-EDDSA", "dl1-bound-status"])
def test_pycose_and_python_cwt_verify_qrseal_credentials(
    exchange: tuple[dict[str, Any], dict[str, Any]], name: str
) -> None:
    """pycose and python-cwt verify a qrseal credential's signature, and python-cwt decodes
    the claims qrseal signed (iss, iat, exp, the licence's document number, cnf, status)."""
    answer = _answer(exchange, name)
    assert answer["pycose"] is True
    assert answer["cwt"] is True
    theirs = cbor2.loads(bytes.fromhex(answer["cwt_claims_hex"]))
    ours = exchange[1][name]
    for key in (1, 4, 6, 8, 65535):
        assert theirs.get(key) == ours.get(key)
    assert theirs[LICENCE_CLAIM][8] == ours[LICENCE_CLAIM][8]


@pytest.mark.parametrize("name", ["dp1-proof", "trust-list", "status-list"])
def test_pycose_and_python_cwt_verify_proofs_and_lists(
    exchange: tuple[dict[str, Any], dict[str, Any]], name: str
) -> None:
    """A live code's device proof (the credential as external AAD), a trust list and a
    status list token verify with both libraries, which return the payload qrseal signed."""
    answer = _answer(exchange, name)
    assert answer["pycose"] is True
    assert answer["cwt"] is True
    assert bytes.fromhex(answer["cwt_payload_hex"]) == exchange[1][name]


@pytest.mark.parametrize(
    "name", ["pycose-es256", "pycose-eddsa", "cwt-protected-es256", "cwt-protected-eddsa"]
)
def test_qrseal_verifies_credentials_made_by_pycose_and_python_cwt(
    exchange: tuple[dict[str, Any], dict[str, Any]], name: str
) -> None:
    """A credential pycose or python-cwt made in qrseal's format (alg and kid protected,
    nothing unprotected) verifies in qrseal as a DL1 text."""
    cose = bytes.fromhex(exchange[0]["made"][name])
    result = make_verifier().verify(pack(cose, DL_FORMAT, compress=False), now=NOW)
    assert result.licence.to_cbor_map() == sample_licence(0).to_cbor_map()
    assert result.issuer == TEST_ISSUER


@pytest.mark.parametrize("name", ["cwt-default-es256", "cwt-default-eddsa"])
def test_python_cwt_default_encode_is_refused(
    exchange: tuple[dict[str, Any], dict[str, Any]], name: str
) -> None:
    """python-cwt's default ``encode`` puts kid in the unprotected header, which anyone could
    change without breaking the signature: qrseal refuses it (docs/format.md §2)."""
    cose = bytes.fromhex(exchange[0]["made"][name])
    assert 4 in cbor2.loads(cose).value[1]  # kid unprotected: what the default writes
    with pytest.raises(QrsealError) as caught:
        make_verifier().verify(pack(cose, DL_FORMAT, compress=False), now=NOW)
    assert caught.value.reason is Reason.MALFORMED_COSE
