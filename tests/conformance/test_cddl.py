"""docs/qrseal.cddl describes what qrseal writes: every kind of generated credential,
presentation, trust list and status list token validates against it (pycddl), the licence
rule names exactly the licence table's keys, and broken structures are refused."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pycddl
import pytest

from qrseal import Holder, Issuer, StatusReference
from qrseal.licence.fields import ALL_FIELDS, MODEL_OPTIONAL, LicenceField
from qrseal.licence.profile import DP_FORMAT
from qrseal.status.lists import StatusList
from qrseal.status.token import sign_status_list
from qrseal.testing import (
    FIXED_NOW,
    make_device_signer,
    make_issuer,
    make_signer,
    sample_licence,
    sample_licences,
)
from qrseal.trust.entries import KeyState, TrustListEntry
from qrseal.trust.model import new_trust_list
from qrseal.trust.signed import sign_trust_list
from qrseal.wire.cose import (
    Algorithm,
    decode_sign1,
    deterministic_dumps,
    encode_sign1,
    strict_loads,
)
from qrseal.wire.textcodec import unpack

from .cddl import map_keys, validate
from .test_vectors import MANIFEST, VECTORS

NOW = FIXED_NOW
ALGS = (Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA)


def _credentials() -> list[bytes]:
    """Credentials of every shape the issuer writes."""
    out = []
    for alg in ALGS:
        for fields in (None, ALL_FIELDS):
            issuer = Issuer(signer=make_signer(alg), issuer="CN-TEST", fields=fields)
            out += [issuer.sign(lic, now=NOW).cose for lic in sample_licences()]
    issuer = make_issuer()
    for device in (Algorithm.ES256, Algorithm.EDDSA):
        out.append(
            issuer.sign(
                sample_licence(1), now=NOW, not_before=NOW, cti=b"\x01\x02",
                holder_key=make_device_signer(device).public_key,
                status=StatusReference("https://status.example.cn/dl/v1/3", 4_000_000),
            ).cose
        )  # fmt: skip
    return out


def _presentations() -> list[bytes]:
    out = []
    for device in (Algorithm.ES256, Algorithm.EDDSA):
        signer = make_device_signer(device)
        holder = Holder(
            make_issuer().sign(sample_licence(3), now=NOW, holder_key=signer.public_key),
            device_signer=signer,
        )
        for nonce, audience in ((None, None), (bytes(8), "desk-1"), (bytes(64), "x" * 64)):
            code = holder.present(now=NOW, nonce=nonce, audience=audience)
            out.append(unpack(code, (DP_FORMAT,))[1])
    return out


def _trust_list() -> bytes:
    keys = [make_signer(alg, 3).public_key for alg in ALGS]
    span = (NOW - timedelta(days=9), NOW + timedelta(days=99))
    entries = [
        TrustListEntry(keys[0], "CN-SC", "CN-SC", *span, credential_types=("DL",), classes=("C1", "A1")),
        TrustListEntry(keys[1], "CN", "CN", *span, state=KeyState.RETIRED, retired_at=NOW),
        TrustListEntry(keys[2], "CN", "CN", *span, state=KeyState.REVOKED, revoked_at=NOW, compromised=True),
    ]  # fmt: skip
    return sign_trust_list(
        new_trust_list("cn", now=NOW, entries=entries), signer=make_signer(Algorithm.ES256, 9)
    )


def _status_tokens() -> list[bytes]:
    status_list = StatusList(1000, bits=2, aggregation_uri="https://status.example.cn/dl/v1/")
    status_list.set(7, 1)
    full = sign_status_list(status_list, signer=make_signer(), uri="https://status.example.cn/dl/v1/0",
                            now=NOW, ttl=timedelta(hours=1), valid_for=timedelta(days=1), issuer="CN-TEST")  # fmt: skip
    bare = sign_status_list(StatusList(8, bits=1), signer=make_signer(Algorithm.EDDSA), uri="u",
                            now=NOW, ttl=None, valid_for=None)  # fmt: skip
    return [full, bare]


@pytest.mark.parametrize(
    ("rule", "make"),
    [
        ("credential", _credentials),
        ("presentation", _presentations),
        ("trust-list-token", lambda: [_trust_list()]),
        ("status-list-token", _status_tokens),
    ],
)
def test_generated_structures_match_the_cddl(rule: str, make: Callable[[], list[bytes]]) -> None:
    """What qrseal generates validates against its CDDL rule, embedded CBOR included."""
    items = make()
    assert items
    for data in items:
        validate(rule, data)


def test_vector_credentials_match_the_cddl() -> None:
    """The valid DL1 and DP1 conformance vectors validate against the CDDL."""
    for entry in MANIFEST["vectors"]:
        vector = json.loads((VECTORS / entry["file"]).read_text(encoding="utf-8"))
        if entry["expect"] != "valid" or vector["kind"] not in ("DL1", "DP1"):
            continue
        if vector["kind"] == "DL1":
            validate("credential", bytes.fromhex(vector["cose_hex"]))
        else:
            validate("presentation", unpack(vector["text"], (DP_FORMAT,))[1])


def test_licence_rule_names_the_licence_table() -> None:
    """The CDDL licence map has exactly the table's keys; optional ones are those the model
    allows to be absent plus the derived ones sent only when they differ."""
    keys = map_keys("licence")
    assert set(keys) == {field.key for field in LicenceField}
    derived = {LicenceField.ISSUING_COUNTRY, LicenceField.UN_DISTINGUISHING_SIGN}
    optional = {f.key for f in MODEL_OPTIONAL | derived | {LicenceField.EXPIRY_DATE}}
    assert {key for key, opt in keys.items() if opt} == optional


def _resign(claims: dict[int, Any]) -> bytes:
    signer = make_signer()
    return encode_sign1(
        deterministic_dumps(claims), alg=signer.algorithm, kid=signer.kid, sign=signer.sign
    )


def _claims() -> dict[int, Any]:
    payload = decode_sign1(make_issuer().sign(sample_licence(0), now=NOW).cose).payload
    claims = strict_loads(payload)
    assert isinstance(claims, Mapping)
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in claims.items()}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c[-65537].__setitem__(34, 1),  # a licence key nobody defined
        lambda c: c[-65537].__setitem__(21, 256),  # points beyond a byte
        lambda c: c[-65537].__setitem__(20, []),  # no domestic class
        lambda c: c[-65537].pop(8),  # no document number
        lambda c: c.__setitem__(8, {1: {1: 3, -1: 1}}),  # cnf with an unknown key type
        lambda c: c.__setitem__(65535, {"status_list": {"idx": -1, "uri": "u"}}),
        lambda c: c.pop(4),  # no exp
    ],
)
def test_broken_credentials_fail_the_cddl(mutate: Callable[[dict[int, Any]], object]) -> None:
    """A credential whose claims break the structure is refused by the CDDL."""
    claims = _claims()
    mutate(claims)
    with pytest.raises(pycddl.ValidationError):
        validate("credential", _resign(claims))


def test_unknown_claims_pass_the_cddl() -> None:
    """An unknown claim is carried and ignored, as format.md §3 says."""
    claims = _claims()
    claims[99] = {"x": [1, 2]}
    validate("credential", _resign(claims))
