"""COSE layer: strict CBOR, COSE_Sign1 build/verify, and the COSE WG example vectors."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

from qrseal.errors import (
    AlgorithmNotAllowed,
    MalformedCbor,
    MalformedCose,
    QrsealError,
    Reason,
    SignatureInvalid,
    TooLarge,
    UnknownCriticalHeader,
)
from qrseal.wire import cose
from qrseal.wire.algorithms import PrivateKey, PublicKey
from qrseal.wire.cose import Algorithm, HeaderLabel
from qrseal.wire.keys import LocalSigner, generate_private_key
from tests.vectors import VECTORS, load_vector, vector_files

_CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
_ALG_NAMES = {
    "ES256": Algorithm.ES256,
    "ES384": Algorithm.ES384,
    "ES512": Algorithm.ES512,
    "EdDSA": Algorithm.EDDSA,
}


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _jwk_part(jwk: dict[str, str], name: str) -> bytes:
    return bytes.fromhex(jwk[name + "_hex"]) if name + "_hex" in jwk else _b64(jwk[name])


def _public_key(jwk: dict[str, str]) -> cose.PublicKey:
    if jwk["kty"] == "EC":
        x, y = _jwk_part(jwk, "x"), _jwk_part(jwk, "y")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), _CURVES[jwk["crv"]]
        )
        return numbers.public_key()
    if jwk["crv"] == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(_jwk_part(jwk, "x"))
    return ed448.Ed448PublicKey.from_public_bytes(_jwk_part(jwk, "x"))


def _verify_case(case: dict[str, Any]) -> Algorithm:
    """Verify a COSE WG Sign1 case the way RFC 9052 allows (alg may be unprotected)."""
    sign0 = case["input"]["sign0"]
    msg = cose.decode_sign1(bytes.fromhex(case["output"]["cbor"]), require_tag=False)
    external = bytes.fromhex(sign0.get("external", ""))
    return cose.verify_sign1(
        msg, _public_key(sign0["key"]), require_protected_alg=False, external_aad=external
    )


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


SIGN1 = vector_files("cose-wg", "sign1-tests")
EXAMPLES = vector_files("cose-wg", "ecdsa-examples") + vector_files("cose-wg", "eddsa-examples")


def test_vectors_present_or_skip_clearly() -> None:
    """The COSE WG vectors are found in ../shared/vectors, or the suite says why not."""
    if not SIGN1:
        pytest.skip(f"COSE WG vectors not found under {VECTORS}/cose-wg (../shared absent)")
    assert len(SIGN1) >= 9


@pytest.mark.parametrize("path", SIGN1, ids=_ids(SIGN1))
def test_cose_wg_sign1_cases(path: Path) -> None:
    """Every COSE WG Sign1 pass case verifies and every fail case is rejected."""
    case = load_vector("cose-wg", "sign1-tests", path.name)
    if case.get("fail"):
        with pytest.raises(QrsealError) as info:
            _verify_case(case)
        assert info.value.reason in {
            Reason.MALFORMED_COSE,
            Reason.SIGNATURE_INVALID,
            Reason.ALGORITHM_NOT_ALLOWED,
        }
    else:
        assert _verify_case(case) is Algorithm.ES256


def test_cose_wg_fail_cases_name_the_right_reason() -> None:
    """Wrong tag is malformed, changed algorithm is not allowed, changed bytes fail the signature."""
    expected = {
        "sign-fail-01": Reason.MALFORMED_COSE,
        "sign-fail-02": Reason.SIGNATURE_INVALID,
        "sign-fail-03": Reason.ALGORITHM_NOT_ALLOWED,
        "sign-fail-04": Reason.ALGORITHM_NOT_ALLOWED,
        "sign-fail-06": Reason.SIGNATURE_INVALID,
        "sign-fail-07": Reason.SIGNATURE_INVALID,
    }
    for name, reason in expected.items():
        case = load_vector("cose-wg", "sign1-tests", name + ".json")
        with pytest.raises(QrsealError) as info:
            _verify_case(case)
        assert info.value.reason is reason, name


def test_pass_01_is_rejected_by_qrseal_profile() -> None:
    """sign-pass-01 carries alg only unprotected: valid COSE, but qrseal's profile refuses it."""
    case = load_vector("cose-wg", "sign1-tests", "sign-pass-01.json")
    msg = cose.decode_sign1(bytes.fromhex(case["output"]["cbor"]))
    with pytest.raises(AlgorithmNotAllowed):
        cose.verify_sign1(msg, _public_key(case["input"]["sign0"]["key"]))


def test_pass_03_untagged_needs_opt_in() -> None:
    """sign-pass-03 has no tag 18: accepted only with require_tag=False."""
    case = load_vector("cose-wg", "sign1-tests", "sign-pass-03.json")
    with pytest.raises(MalformedCose):
        cose.decode_sign1(bytes.fromhex(case["output"]["cbor"]))


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_cose_wg_algorithm_examples(path: Path) -> None:
    """ECDSA P-256/384/521 and EdDSA Ed25519/Ed448 examples verify; ES512 over P-256 is refused."""
    case = load_vector("cose-wg", path.parent.name, path.name)
    sign0 = case["input"]["sign0"]
    alg = _ALG_NAMES[sign0["alg"]]
    if alg is Algorithm.ES512 and sign0["key"]["crv"] != "P-521":
        # ecdsa-sig-04 signs with P-256 and SHA-512; qrseal binds each ES* alg to one curve.
        with pytest.raises(AlgorithmNotAllowed):
            _verify_case(case)
    else:
        assert _verify_case(case) is alg


def test_cwt_a3_signed_cwt_verifies() -> None:
    """RFC 8392 Appendix A.3 (signed CWT, ES256) verifies and its ToBeSigned matches."""
    case = load_vector("cose-wg", "CWT", "A_3.json")
    msg = cose.decode_sign1(bytes.fromhex(case["output"]["cbor"]))
    tbs = cose.sig_structure(msg.protected_bytes, msg.payload)
    assert tbs.hex().upper() == case["intermediates"]["ToBeSign_hex"]
    assert cose.verify_sign1(msg, _public_key(case["input"]["sign0"]["key"])) is Algorithm.ES256
    assert msg.payload.hex() == case["input"]["plaintext_hex"]


def test_sig_structure_matches_vectors() -> None:
    """Our Sig_structure equals the ToBeSign bytes of every COSE WG Sign1 case."""
    for path in SIGN1 + EXAMPLES:
        case = load_vector("cose-wg", path.parent.name, path.name)
        if case.get("fail"):
            continue  # the intermediates describe the message before it was damaged
        item = cbor2.loads(bytes.fromhex(case["output"]["cbor"]))
        body = item.value if isinstance(item, cbor2.CBORTag) else item
        external = bytes.fromhex(case["input"]["sign0"].get("external", ""))
        msg = cose.decode_sign1(bytes.fromhex(case["output"]["cbor"]), require_tag=False)
        assert msg.to_be_signed(external) == cose.sig_structure(
            body[0] if msg.protected else b"", body[2], external
        )
        tbs = msg.to_be_signed(external)
        assert tbs.hex().upper() == case["intermediates"]["ToBeSign_hex"], path.name


@pytest.mark.parametrize(
    "alg",
    [
        Algorithm.ES256,
        Algorithm.ES384,
        Algorithm.ES512,
        Algorithm.EDDSA,
        Algorithm.SM2,
        Algorithm.ML_DSA_44,
    ],
)
def test_sign_then_verify_round_trip(alg: Algorithm) -> None:
    """encode_sign1 output decodes and verifies with the signer's public key, alg and kid protected."""
    signer = LocalSigner(generate_private_key(alg))
    data = cose.encode_sign1(b"payload", alg=alg, kid=signer.kid, sign=signer.sign)
    msg = cose.decode_sign1(data)
    assert msg.protected[HeaderLabel.ALG] == alg and msg.protected[HeaderLabel.KID] == signer.kid
    assert cose.verify_sign1(msg, signer.public_key) is alg
    other = generate_private_key(alg).public_key()
    with pytest.raises(SignatureInvalid):
        cose.verify_sign1(msg, other)


def test_algorithm_key_mismatch_is_refused() -> None:
    """An ES256 header with an Ed25519 key, or ES384 with a P-256 key, is algorithm_not_allowed."""
    signer = LocalSigner(generate_private_key(Algorithm.ES256))
    msg = cose.decode_sign1(cose.encode_sign1(b"x", alg=Algorithm.ES256, sign=signer.sign))
    with pytest.raises(AlgorithmNotAllowed):
        cose.verify_sign1(msg, ed25519.Ed25519PrivateKey.generate().public_key())
    with pytest.raises(AlgorithmNotAllowed):
        cose.verify_sign1(msg, signer.public_key, allowed=frozenset({Algorithm.EDDSA}))


def _sign1(
    protected: bytes, unprotected: object = None, payload: object = b"p", sig: object = b"s"
) -> bytes:
    return cbor2.dumps(
        cbor2.CBORTag(18, [protected, {} if unprotected is None else unprotected, payload, sig])
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (bytes.fromhex("d2") + bytes.fromhex("9f40a04040ff"), MalformedCbor),  # indefinite array
        (
            cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])) + b"\x00",
            MalformedCbor,
        ),  # trailing byte
        (bytes.fromhex("d284"), MalformedCbor),  # truncated
        (bytes.fromhex("d28440a2040104024040"), MalformedCbor),  # duplicate key in unprotected
        (b"\x81" * 40 + b"\x00", MalformedCbor),  # deep nesting
        (cbor2.dumps(cbor2.CBORTag(17, [b"", {}, b"", b""])), MalformedCose),  # wrong tag
        (cbor2.dumps([b"", {}, b"", b""]), MalformedCose),  # missing tag
        (cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""])), MalformedCose),  # three elements
        (cbor2.dumps(cbor2.CBORTag(18, [b"", {}, None, b""])), MalformedCose),  # detached payload
        (_sign1(cbor2.dumps({1: -7}), {1: -7}), MalformedCose),  # label in both buckets
        (_sign1(cbor2.dumps([1])), MalformedCose),  # protected not a map
        (_sign1(cbor2.dumps({1: -7}) + b"\x00"), MalformedCose),  # protected trailing byte
        (_sign1(cbor2.dumps({4: "text-kid"})), MalformedCose),  # kid not bytes
        (_sign1(cbor2.dumps({1: -7, 2: [99], 99: 0})), UnknownCriticalHeader),
        (_sign1(cbor2.dumps({1: -7, 2: [3]})), MalformedCose),  # crit names an absent label
        (_sign1(b"", {2: [1]}), MalformedCose),  # crit unprotected
    ],
)
def test_hostile_structures_rejected(data: bytes, error: type[QrsealError]) -> None:
    """Each malformed COSE input raises its specific typed error."""
    with pytest.raises(error):
        cose.decode_sign1(data)


def test_size_cap_checked_first() -> None:
    """Input above the cap is too_large before any parsing."""
    with pytest.raises(TooLarge) as info:
        cose.decode_sign1(b"\xff" * (cose.MAX_COSE_BYTES + 1))
    assert info.value.limit == cose.MAX_COSE_BYTES


# --- verify_with_candidates: "try every key with this kid", once --------------------------


def _signed_by(key: PrivateKey, kid: bytes = b"k1") -> cose.Sign1:
    signer = LocalSigner(key)
    data = cose.encode_sign1(b"payload", alg=signer.algorithm, kid=kid, sign=signer.sign)
    return cose.decode_sign1(data)


def _pub(candidate: tuple[str, PublicKey]) -> PublicKey:
    return candidate[1]


def test_candidates_second_key_with_the_same_kid_verifies() -> None:
    """With two keys under one kid, the one that verifies is returned with the algorithm."""
    right, wrong = generate_private_key(Algorithm.ES256), generate_private_key(Algorithm.ES256)
    candidates: list[tuple[str, PublicKey]] = [
        ("wrong", wrong.public_key()),
        ("right", right.public_key()),
    ]
    msg = _signed_by(right)
    found, alg = cose.verify_with_candidates(msg, candidates, key_of=_pub)
    assert found[0] == "right" and alg is Algorithm.ES256


def test_candidates_none_is_unknown_key() -> None:
    """No candidate at all is unknown_key, with the message's kid."""
    msg = _signed_by(generate_private_key(Algorithm.ES256))
    with pytest.raises(QrsealError) as info:
        cose.verify_with_candidates(msg, list[tuple[str, PublicKey]](), key_of=_pub)
    assert info.value.reason is Reason.UNKNOWN_KEY


def test_candidates_none_verifies_is_signature_invalid() -> None:
    """Candidates that all fit the algorithm but none verifies: signature_invalid."""
    msg = _signed_by(generate_private_key(Algorithm.ES256))
    other = generate_private_key(Algorithm.ES256)
    with pytest.raises(SignatureInvalid):
        cose.verify_with_candidates(msg, [("x", other.public_key())], key_of=_pub)


def test_candidates_registered_for_another_algorithm_are_skipped() -> None:
    """A candidate registered for another algorithm, or whose key does not fit, never verifies:
    algorithm_not_allowed when no candidate is left."""
    key = generate_private_key(Algorithm.ES256)
    msg = _signed_by(key)
    candidates: list[tuple[str, PublicKey]] = [("es384", key.public_key())]
    with pytest.raises(AlgorithmNotAllowed):
        cose.verify_with_candidates(
            msg,
            candidates,
            key_of=_pub,
            algorithm_of=lambda c: Algorithm.ES384,
        )
    p384 = generate_private_key(Algorithm.ES384)
    with pytest.raises(AlgorithmNotAllowed):
        cose.verify_with_candidates(msg, [("p384", p384.public_key())], key_of=_pub)


def test_candidates_algorithm_outside_allowed_is_refused() -> None:
    """An algorithm outside ``allowed`` is algorithm_not_allowed before any signature check."""
    key = generate_private_key(Algorithm.ES256)
    msg = _signed_by(key)
    with pytest.raises(AlgorithmNotAllowed):
        cose.verify_with_candidates(
            msg,
            [("k", key.public_key())],
            key_of=_pub,
            allowed=frozenset({Algorithm.EDDSA}),
        )
