"""DL1 credentials and DP1 live presentations as conformance vectors: the positive cases
and one negative case per reason a verifier reaches from text, keys, time and policy."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import cbor2
from vectorkit import (
    DEVICE,
    DEVICE_ED,
    HOUR,
    ISS,
    ISS384,
    ISS512,
    ISS_ED,
    NOW,
    OTHER_DEVICE,
    ROOT_KEY,
    STATUS_URI,
    STRANGER,
    Vector,
    claims_map,
    credential,
    entry,
    expect_reason,
    flip_last,
    iso,
    issuer,
    key_json,
    raw_text,
    sign_payload,
    status_token,
    transport_of,
    trust_list_token,
    verified,
)

from qrseal import (
    Holder,
    Policy,
    StatusReference,
)
from qrseal.licence.fields import ALL_FIELDS
from qrseal.licence.profile import DL_FORMAT, DP_FORMAT, LICENCE_CLAIM
from qrseal.testing import (
    TEST_ISSUER,
    sample_licence,
)
from qrseal.trust.entries import KeyState
from qrseal.wire.cose import Algorithm, deterministic_dumps, sig_structure
from qrseal.wire.presentation import encode_presentation
from qrseal.wire.textcodec import pack


def dl1_cases() -> list[Vector]:
    cases: list[Vector] = []
    add = cases.append
    for name, signer, index, options in (
        ("valid-es256", ISS, 0, {}),
        ("valid-es384", ISS384, 1, {}),
        ("valid-eddsa", ISS_ED, 2, {}),
        ("valid-zlib", ISS, 3, {"compress": True}),
        ("valid-all-fields", ISS, 4, {"fields": ALL_FIELDS}),
    ):
        cred = issuer(signer, **options).sign(sample_licence(index), now=NOW)
        now = NOW + timedelta(minutes=5)
        add(
            credential(
                f"dl1/{name}",
                f"sample licence {index + 1}, {signer.algorithm.name}"
                + (f", {', '.join(options)}" if options else ""),
                cred.text,
                verified(cred.text, signer, now),
                transport=transport_of(cred.text),
                cose=cred.cose,
                now=now,
                trust={"keys": [key_json(signer, iss=TEST_ISSUER)]},
            )
        )
    good = issuer().sign(sample_licence(0), now=NOW)
    body = good.text[4:]
    claims = claims_map()

    def bad(name: str, reason: str, description: str, data: bytes, **kw: Any) -> None:
        text = kw.pop("text", None) or raw_text(DL_FORMAT, data)
        cose = kw.pop("cose", data)
        add(
            credential(
                f"dl1/{name}",
                description,
                text,
                expect_reason(reason),
                transport=data,
                cose=cose,
                **kw,
            )
        )

    add(
        credential(
            "dl1/too_large",
            "7090 characters, one more than any QR code holds",
            "DL1:" + "0" * 7086,
            expect_reason("too_large"),
        )
    )
    add(
        credential(
            "dl1/malformed_text",
            "the body's last block has 54 digits",
            good.text + "0",
            expect_reason("malformed_text"),
        )
    )
    add(
        credential(
            "dl1/unsupported_version",
            "header DL2: over a valid DL1 body",
            "DL2:" + body,
            expect_reason("unsupported_version"),
        )
    )
    add(
        credential(
            "dl1/presentation_required",
            "a static credential; the policy requires live codes",
            good.text,
            expect_reason("presentation_required"),
            transport=good.cose,
            cose=good.cose,
            policy={"require_live": True},
        )
    )
    broken = flip_last(zlib.compress(good.cose, 9))
    bad(
        "malformed_compression",
        "malformed_compression",
        "zlib stream whose Adler-32 does not match",
        broken,
        cose=good.cose,
    )
    bomb = zlib.compress(good.cose + bytes(5000), 9)
    bad(
        "too_large-inflate", "too_large", "zlib stream inflating beyond 4096 bytes", bomb, cose=None
    )
    bad(
        "malformed_cbor",
        "malformed_cbor",
        "a valid COSE_Sign1 followed by one byte",
        good.cose + b"\0",
    )
    bad(
        "malformed_cose",
        "malformed_cose",
        "kid in the unprotected header, as a default python-cwt encode writes it",
        sign_payload(claims, kid_protected=False, unprotected={4: ISS.kid}),
    )
    bad(
        "unknown_critical_header",
        "unknown_critical_header",
        "protected crit [99] naming a header this version does not understand",
        sign_payload(claims, protected_extra={2: [99], 99: 0}),
    )
    bad(
        "unknown_key",
        "unknown_key",
        "signed by a key the verifier does not trust",
        sign_payload(claims, STRANGER),
    )
    bad(
        "algorithm_not_allowed",
        "algorithm_not_allowed",
        "ES512 (P-521): implemented, not accepted by the default policy",
        sign_payload(claims, ISS512),
        trust={"keys": [key_json(ISS512, iss=TEST_ISSUER)]},
    )
    bad(
        "signature_invalid",
        "signature_invalid",
        "the last signature byte flipped",
        flip_last(good.cose),
    )
    bad(
        "key_not_valid_at_time",
        "key_not_valid_at_time",
        "the trusted key's window ended an hour before iat",
        good.cose,
        trust={"keys": [key_json(ISS, iss=TEST_ISSUER, not_after=iso(NOW - HOUR))]},
    )
    bad(
        "malformed_claims",
        "malformed_claims",
        "the claims lack exp",
        sign_payload(claims_map({4: None})),
    )
    bad(
        "issuer_mismatch",
        "issuer_mismatch",
        "iss is CN-OTHER; the key is trusted for CN-TEST",
        sign_payload(claims_map({1: "CN-OTHER"})),
    )
    bad(
        "expired",
        "expired",
        "now is 61 s after exp (the default clock skew is 60 s)",
        good.cose,
        now=NOW + 72 * HOUR + timedelta(seconds=61),
    )
    bad(
        "issued_in_future",
        "issued_in_future",
        "now is two hours before iat",
        good.cose,
        now=NOW - 2 * HOUR,
    )
    later = issuer().sign(sample_licence(0), now=NOW, not_before=NOW + 2 * HOUR).cose
    bad(
        "not_yet_valid",
        "not_yet_valid",
        "nbf is two hours after iat; now one hour after",
        later,
        now=NOW + HOUR,
    )
    bad(
        "validity_too_long",
        "validity_too_long",
        "exp is 367 days after iat",
        sign_payload(claims_map({4: int((NOW + timedelta(days=367)).timestamp())})),
    )
    wrong = dict(sample_licence(0).to_cbor_map())
    wrong[8] = "510107200503151421"  # the ISO 7064 check character of ...1422
    bad(
        "invalid_licence",
        "invalid_licence",
        "the resident ID number's check character is wrong",
        sign_payload(claims_map({LICENCE_CLAIM: wrong})),
    )
    bad(
        "data_too_old",
        "data_too_old",
        "points as of two hours before now; the policy allows one hour",
        good.cose,
        now=NOW + HOUR,
        policy={"max_data_age_seconds": 3600},
    )
    root = key_json(ROOT_KEY)
    revoked = trust_list_token(entry(state=KeyState.REVOKED, revoked_at=NOW - HOUR))
    bad(
        "key_revoked",
        "key_revoked",
        "the trust list revoked the key an hour before iat",
        good.cose,
        trust={"trust_list": {"token_hex": revoked.hex(), "root": root}},
    )
    beijing = trust_list_token(entry(jurisdiction="CN-BJ"))
    bad(
        "key_not_authorised",
        "key_not_authorised",
        "the trust list lets the key sign for CN-BJ; the licence is from CN-SC",
        good.cose,
        trust={"trust_list": {"token_hex": beijing.hex(), "root": root}},
    )
    cases.extend(status_credentials())
    return cases


def status_credentials() -> list[Vector]:
    token = status_token({1: 1, 2: 2})
    lists = [{"uri": STATUS_URI, "token_hex": token.hex()}]
    out = []
    for name, idx, uri, reason in (
        ("valid-status", 0, STATUS_URI, None),
        ("revoked", 1, STATUS_URI, "revoked"),
        ("suspended", 2, STATUS_URI, "suspended"),
        ("status_list_invalid", 99, STATUS_URI, "status_list_invalid"),
        ("status_unavailable", 0, "https://status.example.cn/dl/v1/1", "status_unavailable"),
    ):
        cred = issuer().sign(sample_licence(0), now=NOW, status=StatusReference(uri, idx))
        expected = expect_reason(reason) if reason else verified(cred.text, ISS, NOW, None, [token])
        out.append(
            credential(
                f"dl1/{name}",
                f"status reference idx {idx} of {uri}; the list held marks 1 revoked, 2 suspended",
                cred.text,
                expected,
                transport=cred.cose,
                cose=cred.cose,
                status_lists=lists,
            )
        )
    return out


# --- DP1 ---------------------------------------------------------------------------------------


def dp1_cases() -> list[Vector]:
    cases: list[Vector] = []
    at = NOW + 10 * timedelta(minutes=1)
    now = at + timedelta(seconds=5)
    challenge = bytes(range(8))
    for name, device, index, nonce, audience in (
        ("valid-es256-device", DEVICE, 0, None, None),
        ("valid-eddsa-device", DEVICE_ED, 1, None, None),
        ("valid-nonce-audience", DEVICE, 2, challenge, "desk-1"),
    ):
        cred = issuer().sign(sample_licence(index), now=NOW, holder_key=device.public_key)
        text = Holder(cred, device_signer=device).present(now=at, nonce=nonce, audience=audience)
        pol = Policy(expected_nonce=nonce, expected_audience=audience)
        policy = (
            {"expected_nonce_hex": challenge.hex(), "expected_audience": audience}
            if nonce
            else None
        )
        expected = verified(text, ISS, now, pol)
        cases.append(
            credential(
                f"dp1/{name}",
                f"sample licence {index + 1} bound to the {device.algorithm.name} test "
                f"device key, presented 5 s before now",
                text,
                expected,
                transport=transport_of(text),
                cose=Holder(cred, device_signer=device).credential,
                now=now,
                **({"policy": policy} if policy else {}),
                device_key=key_json(device),
            )
        )
    bound = issuer().sign(sample_licence(0), now=NOW, holder_key=DEVICE.public_key)
    holder = Holder(bound, device_signer=DEVICE)
    code = holder.present(now=at)

    def bad(name: str, reason: str, description: str, text: str, **kw: Any) -> None:
        cases.append(
            credential(
                f"dp1/{name}",
                description,
                text,
                expect_reason(reason),
                transport=transport_of(text),
                cose=bound.cose,
                **kw,
            )
        )

    other = encode_presentation(
        bound.cose, alg=Algorithm.ES256, sign=OTHER_DEVICE.sign, presented_at=at
    )
    bad(
        "holder_binding_invalid",
        "holder_binding_invalid",
        "the proof is signed by another device key than the one cnf names",
        pack(other, DP_FORMAT, compress=False),
        now=now,
    )
    bad(
        "stale_presentation",
        "stale_presentation",
        "presented 61 s before now",
        code,
        now=at + timedelta(seconds=61),
    )
    bad(
        "presentation_in_future",
        "presentation_in_future",
        "presented 31 s after now",
        code,
        now=at - timedelta(seconds=31),
    )
    nonce_code = holder.present(now=at, nonce=bytes(8))
    bad(
        "nonce_mismatch",
        "nonce_mismatch",
        "the proof carries another nonce than the policy's",
        nonce_code,
        now=now,
        policy={"expected_nonce_hex": bytes(range(8)).hex()},
    )
    aud_code = holder.present(now=at, audience="desk-2")
    bad(
        "audience_mismatch",
        "audience_mismatch",
        "addressed to desk-2; the verifier is desk-1",
        aud_code,
        now=now,
        policy={"expected_audience": "desk-1"},
    )
    bad(
        "presentation_replayed",
        "presentation_replayed",
        "the verifier's replay cache accepted this code before",
        code,
        now=now,
        policy={"replay_cache": True},
        accepted_before=[code],
    )
    age_view = issuer().sign(sample_licence(0), now=NOW, holder_key=DEVICE.public_key, view="age")
    cases.append(
        credential(
            "dp1/fields_withheld",
            "the age view (age_over_NN only); the policy requires document_number",
            Holder(age_view, device_signer=DEVICE).present(now=at),
            expect_reason("fields_withheld"),
            transport=transport_of(Holder(age_view, device_signer=DEVICE).present(now=at)),
            cose=age_view.cose,
            now=now,
            policy={"required_fields": ["document_number"]},
        )
    )
    for name, protected, claims, description in (
        ("malformed_cose", {1: -7, 4: DEVICE.kid}, {6: int(at.timestamp())},
         "the proof's protected header carries a kid (it must be exactly {1: alg})"),
        ("malformed_claims", {1: -7}, {3: "desk-1"}, "the proof's signed claims lack iat"),
    ):  # fmt: skip
        data = proof_presentation(bound.cose, protected, claims)
        bad(name, name, description, pack(data, DP_FORMAT, compress=False), now=now)
    return cases


def proof_presentation(
    credential: bytes, protected: Mapping[int, object], claims: Mapping[int, object]
) -> bytes:
    """A presentation whose proof, signed by the test device key, has the given protected
    header and claims (both deterministically encoded)."""
    head, payload = deterministic_dumps(protected), deterministic_dumps(claims)
    signature = DEVICE.sign(sig_structure(head, payload, credential))
    return deterministic_dumps([credential, cbor2.CBORTag(18, [head, {}, payload, signature])])
