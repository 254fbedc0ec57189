"""Signed trust lists and Status List Tokens as conformance vectors."""

from __future__ import annotations

import zlib
from typing import Any

from vectorkit import (
    HOUR,
    ISS,
    ISS_ED,
    NOW,
    OTHER_ROOT,
    ROOT512,
    ROOT_KEY,
    STATUS_URI,
    STRANGER,
    Vector,
    entry,
    expect_reason,
    flip_last,
    iso,
    key_json,
    sign_payload,
    status_token,
    trust_list_token,
)

from qrseal.status.lists import StatusList
from qrseal.status.token import STATUS_LIST_TYP, verify_status_list
from qrseal.testing import (
    TEST_ISSUER,
)
from qrseal.trust.codec import encode_trust_list
from qrseal.trust.model import TrustList
from qrseal.trust.signed import verify_trust_list
from qrseal.wire.algorithms import ALGORITHMS
from qrseal.wire.cbor import dumps_in_order

# --- trust lists -------------------------------------------------------------------------------


def trust_list_summary(tl: TrustList) -> dict[str, Any]:
    return {
        "list_id": tl.list_id,
        "sequence": tl.sequence,
        "issued_at": iso(tl.issued_at),
        "next_update": iso(tl.next_update),
        "expires_at": iso(tl.expires_at),
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


def trust_list_cases() -> list[Vector]:
    token = trust_list_token(entry(), entry(ISS_ED, jurisdiction="CN"))
    root = key_json(ROOT_KEY)
    now = NOW

    def case(
        name: str, description: str, data: bytes, expected: dict[str, Any], **kw: Any
    ) -> Vector:
        inputs = {
            "token_hex": data.hex(),
            "root": kw.get("root", root),
            "now": iso(kw.get("now", now)),
        }
        return Vector(f"trust_list/{name}", "trust_list", description, inputs, expected)

    good = verify_trust_list(token, root=ROOT_KEY.public_key, now=now).trust_list
    body = encode_trust_list(good)
    return [
        case(
            "valid",
            "two entries: an ES256 key for CN-SC and an EdDSA key for all of CN",
            token,
            {"valid": True, "result": trust_list_summary(good)},
        ),
        case(
            "malformed_trust_list",
            "typ is application/cwt",
            sign_payload(body, ROOT_KEY, protected_extra={16: "application/cwt"}),
            expect_reason("malformed_trust_list"),
        ),
        case(
            "unknown_key",
            "signed by a root the verifier does not pin",
            trust_list_token(entry(), signer=OTHER_ROOT),
            expect_reason("unknown_key"),
        ),
        case(
            "signature_invalid",
            "the last signature byte flipped",
            flip_last(token),
            expect_reason("signature_invalid"),
        ),
        case(
            "algorithm_not_allowed",
            "signed with ES512, which trust lists do not allow",
            trust_list_token(entry(), signer=ROOT512),
            expect_reason("algorithm_not_allowed"),
            root=key_json(ROOT512),
        ),
        case(
            "key_not_valid_at_time",
            "the pinned root's window ends before the list was issued",
            token,
            expect_reason("key_not_valid_at_time"),
            root=key_json(ROOT_KEY, not_after=iso(NOW - 3 * HOUR)),
        ),
        case(
            "trust_list_expired",
            "now is the list's expiry",
            token,
            expect_reason("trust_list_expired"),
            now=good.expires_at,
        ),
        case(
            "malformed_cbor",
            "one byte after the COSE_Sign1",
            token + b"\0",
            expect_reason("malformed_cbor"),
        ),
    ]


# --- status lists ------------------------------------------------------------------------------


def status_claims(changes: dict[int, object] | None = None, lst: bytes | None = None) -> bytes:
    status_list = StatusList(16, bits=2)
    packed = zlib.compress(bytes(status_list.packed), 9)
    claims: dict[int, object] = {
        2: STATUS_URI,
        4: int((NOW + 23 * HOUR).timestamp()),
        6: int((NOW - HOUR).timestamp()),
        65533: {"bits": 2, "lst": packed if lst is None else lst},
    }
    claims.update(changes or {})
    return dumps_in_order({k: v for k, v in sorted(claims.items()) if v is not None})


def status_list_cases() -> list[Vector]:
    token = status_token({1: 1, 2: 2, 15: 3})
    keys = [key_json(ISS, iss=TEST_ISSUER)]

    def case(
        name: str, description: str, data: bytes, expected: dict[str, Any], **kw: Any
    ) -> Vector:
        inputs: dict[str, Any] = {
            "token_hex": data.hex(),
            "keys": keys,
            "uri": STATUS_URI,
            "now": iso(kw.pop("now", NOW)),
            **kw,
        }
        return Vector(f"status_list/{name}", "status_list", description, inputs, expected)

    good = verify_status_list(token, keys=[(ISS.kid, ISS.public_key)], now=NOW)
    summary = {
        "uri": good.uri,
        "issued_at": iso(good.issued_at),
        "expires_at": None if good.expires_at is None else iso(good.expires_at),
        "ttl_seconds": None if good.ttl is None else int(good.ttl.total_seconds()),
        "bits": good.status_list.bits,
        "statuses": [good.status_list.get(i) for i in range(len(good.status_list))],
    }
    typ = {16: STATUS_LIST_TYP}
    big = zlib.compress(bytes(1024), 9)
    return [
        case(
            "valid",
            "16 entries of 2 bits: 1 revoked, 2 suspended, 15 application-specific (3)",
            token,
            {"valid": True, "result": summary},
        ),
        case(
            "status_list_invalid",
            "typ is application/cwt",
            sign_payload(status_claims(), protected_extra={16: "application/cwt"}),
            expect_reason("status_list_invalid"),
        ),
        case(
            "unknown_key",
            "signed by a key the verifier does not hold",
            status_token({}, signer=STRANGER),
            expect_reason("unknown_key"),
        ),
        case(
            "signature_invalid",
            "the last signature byte flipped",
            flip_last(token),
            expect_reason("signature_invalid"),
        ),
        case(
            "expired", "now is the list's exp", token, expect_reason("expired"), now=NOW + 23 * HOUR
        ),
        case(
            "issued_in_future",
            "now is an hour before the list's iat",
            token,
            expect_reason("issued_in_future"),
            now=NOW - 2 * HOUR,
        ),
        case(
            "not_yet_valid",
            "nbf is an hour after now",
            sign_payload(status_claims({5: int((NOW + HOUR).timestamp())}), protected_extra=typ),
            expect_reason("not_yet_valid"),
        ),
        case(
            "malformed_claims",
            "iat is text",
            sign_payload(status_claims({6: "yesterday"}), protected_extra=typ),
            expect_reason("malformed_claims"),
        ),
        case(
            "malformed_compression",
            "lst's Adler-32 does not match",
            sign_payload(
                status_claims(lst=flip_last(zlib.compress(bytes(4), 9))), protected_extra=typ
            ),
            expect_reason("malformed_compression"),
        ),
        case(
            "too_large",
            "lst inflates to 4096 entries; the verifier expects at most 16",
            sign_payload(status_claims(lst=big), protected_extra=typ),
            expect_reason("too_large"),
            max_entries=16,
        ),
    ]
