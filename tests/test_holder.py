"""Live codes (issue #3): holder binding, DP1 presentations, their verification, CLI and examples."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from qrseal import (
    Algorithm,
    Holder,
    Issuer,
    Policy,
    QrsealError,
    Reason,
    Verifier,
    generate_device_key,
    inspect_unverified,
    qr,
)
from qrseal.errors import (
    HolderBindingInvalid,
    InvalidArgument,
    InvalidKey,
    NonceMismatch,
    StalePresentation,
)
from qrseal.holder import DeviceSigner
from qrseal.licence.profile import DL_FORMAT, DP_FORMAT
from qrseal.qr import render_terminal
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_device_key,
    make_device_signer,
    make_holder,
    make_issuer,
    make_private_key,
    make_trust_store,
    make_verifier,
    make_verifier_all,
    sample_licence,
    sample_licence_json,
)
from qrseal.wire.cose import COSE_SIGN1_TAG, PublicKey, deterministic_dumps, sig_structure
from qrseal.wire.cwt import decode_cnf, decode_cose_key, encode_cnf, encode_cose_key
from qrseal.wire.keys import LocalSigner
from qrseal.wire.presentation import (
    PresentationKind,
    ProofClaim,
    ReplayCache,
    decode_presentation,
    encode_presentation,
)
from qrseal.wire.textcodec import numeric_encode, pack, unpack
from tests.support import Cli
from tests.support import reason_of as _reason

ROOT = Path(__file__).resolve().parents[1]
DEVICE_ALGS = [Algorithm.ES256, Algorithm.EDDSA, Algorithm.SM2]

NOW_TEXT = "2026-11-25T09:00:00Z"
LATER = FIXED_NOW + timedelta(seconds=10)


def _presentation_bytes(text: str) -> bytes:
    return unpack(text, (DP_FORMAT,))[1]


def _text(data: bytes) -> str:
    """DP1 text of raw presentation bytes, even when they start with the zlib marker."""
    if data[:1] == b"\x78":
        return DP_FORMAT.header + numeric_encode(data)
    return pack(data, DP_FORMAT, compress=False)


_IAT_NOW: dict[int, object] = {int(ProofClaim.IAT): int(FIXED_NOW.timestamp())}


def _forge(
    credential: bytes,
    signer: LocalSigner,
    *,
    claims: object = _IAT_NOW,
    protected: bytes | None = None,
    unprotected: object = None,
    alg: Algorithm | None = None,
) -> str:
    """A presentation built from parts and properly signed by ``signer`` over them."""
    payload = cbor2.dumps(claims)
    if protected is None:
        protected = deterministic_dumps({1: int(alg or signer.algorithm)})
    signature = signer.sign(sig_structure(protected, payload, credential))
    proof = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, unprotected or {}, payload, signature])
    return _text(cbor2.dumps([credential, proof]))


# --- round trips --------------------------------------------------------------------


@pytest.mark.parametrize("device_alg", DEVICE_ALGS, ids=[a.name for a in DEVICE_ALGS])
@pytest.mark.parametrize(
    "issuer_alg", [Algorithm.ES256, Algorithm.EDDSA, Algorithm.SM2], ids=["ES256", "EdDSA", "SM2"]
)
def test_live_and_static_round_trip(device_alg: Algorithm, issuer_alg: Algorithm) -> None:
    """A bound credential verifies as live when presented and as static when shown as DL1."""
    holder = make_holder(1, device_alg=device_alg, issuer_alg=issuer_alg)
    code = holder.present(now=FIXED_NOW)
    assert code.startswith("DP1:")
    live = make_verifier_all().verify(code, now=LATER)
    assert live.presentation is PresentationKind.LIVE and live.presentation.value == "live"
    assert live.presented_at == FIXED_NOW and live.presentation_age == timedelta(seconds=10)
    assert live.live is not None and live.holder_bound
    assert live.live.device_key == make_device_key(device_alg).public_key()
    assert live.algorithm is issuer_alg
    assert live.licence.to_cbor_map() == sample_licence(1).to_cbor_map()
    static = make_verifier_all().verify(holder.static_text(), now=LATER)
    assert static.presentation is PresentationKind.STATIC
    assert static.presented_at is None and static.presentation_age is None
    assert static.holder_bound and static.live is None
    assert static.licence == live.licence


def test_unbound_static_credential_reports_static_and_unbound() -> None:
    """An ordinary credential is static and not holder-bound; the JSON verdict says so."""
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    result = make_verifier().verify(text, now=FIXED_NOW)
    assert result.presentation is PresentationKind.STATIC and not result.holder_bound
    out = result.to_json()
    assert out["presentation"] == "static" and out["presented_at"] is None
    assert out["holder_bound"] is False


def test_live_json_verdict() -> None:
    """to_json carries the presentation kind, time and age of a live code."""
    code = make_holder().present(now=FIXED_NOW)
    out = make_verifier().verify(code, now=LATER).to_json()
    assert out["presentation"] == "live" and out["presentation_age_seconds"] == 10
    assert out["presented_at"] == "2026-11-25T09:00:00Z" and out["holder_bound"] is True


@pytest.mark.parametrize("device_alg", DEVICE_ALGS, ids=[a.name for a in DEVICE_ALGS])
def test_every_sample_fits_version_16(device_alg: Algorithm) -> None:
    """With an ES256 issuer key, every sample's live code fits QR version 16 at ECC M."""
    for index in range(5):
        code = make_holder(index, device_alg=device_alg).present(now=FIXED_NOW)
        assert qr.qr_version(code, qr.Ecc.M) <= 16, index


def test_compressed_and_raw_presentations_both_verify() -> None:
    """The text layer may deflate a presentation or not; both verify to the same result."""
    signer = make_device_signer()
    credential = make_issuer().sign(sample_licence(3), now=FIXED_NOW, holder_key=signer.public_key)
    verifier = make_verifier()
    for compress in (True, False, None):
        code = Holder(credential, device_signer=signer, compress=compress).present(now=FIXED_NOW)
        assert verifier.verify(code, now=LATER).presentation is PresentationKind.LIVE


def test_holder_accepts_credential_text_and_object() -> None:
    """A Holder takes the DL1 text (also zlib-packed) or the Credential the issuer returned."""
    signer = make_device_signer()
    issuer = Issuer(signer=make_private_key(), issuer=TEST_ISSUER, compress=True)
    credential = issuer.sign(sample_licence(0), now=FIXED_NOW, holder_key=signer.public_key)
    for source in (credential, credential.text):
        holder = Holder(source, device_signer=signer)
        assert holder.credential == credential.cose
        assert holder.expires_at == credential.expires_at
        make_verifier().verify(holder.present(now=FIXED_NOW), now=FIXED_NOW)


class SecureElement:
    """A stand-in for a phone's secure element: exposes only algorithm, public key, sign."""

    def __init__(self) -> None:
        self._key = make_device_key(Algorithm.ES256, 42)
        self.calls = 0

    @property
    def algorithm(self) -> Algorithm:
        return Algorithm.ES256

    @property
    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def sign(self, message: bytes) -> bytes:
        self.calls += 1
        return LocalSigner(self._key).sign(message)


def test_device_signer_protocol_plugs_in() -> None:
    """Anything with algorithm, public_key and sign works as the device signer."""
    element = SecureElement()
    assert isinstance(element, DeviceSigner)
    credential = make_issuer().sign(sample_licence(2), now=FIXED_NOW, holder_key=element.public_key)
    code = Holder(credential, device_signer=element).present(now=FIXED_NOW)
    assert element.calls == 1
    assert make_verifier().verify(code, now=FIXED_NOW).presentation == "live"


# --- time -----------------------------------------------------------------------------


def test_replayed_screenshot_after_window_is_stale() -> None:
    """A live code shown 61 s after it was made is stale_presentation; at 60 s it still passes."""
    code = make_holder().present(now=FIXED_NOW)
    verifier = make_verifier()
    verifier.verify(code, now=FIXED_NOW + timedelta(seconds=60))
    with pytest.raises(StalePresentation) as info:
        verifier.verify(code, now=FIXED_NOW + timedelta(seconds=61))
    assert info.value.reason is Reason.STALE_PRESENTATION
    assert info.value.presented_at == FIXED_NOW


def test_max_age_is_policy() -> None:
    """Policy(max_presentation_age=...) moves the staleness limit."""
    code = make_holder().present(now=FIXED_NOW)
    strict = make_verifier(Policy(max_presentation_age=timedelta(seconds=5)))
    assert _reason(lambda: strict.verify(code, now=LATER)) is Reason.STALE_PRESENTATION


def test_code_dated_in_future_beyond_skew() -> None:
    """A code dated more than 30 s ahead is presentation_in_future; 30 s ahead passes (age < 0)."""
    code = make_holder().present(now=FIXED_NOW + timedelta(seconds=31))
    assert (
        _reason(lambda: make_verifier().verify(code, now=FIXED_NOW))
        is Reason.PRESENTATION_IN_FUTURE
    )
    ahead = make_holder().present(now=FIXED_NOW + timedelta(seconds=30))
    result = make_verifier().verify(ahead, now=FIXED_NOW)
    assert result.presentation_age == timedelta(seconds=-30)


def test_subsecond_presentation_time_is_truncated() -> None:
    """Presentation times travel in whole seconds."""
    code = make_holder().present(now=FIXED_NOW + timedelta(milliseconds=900))
    assert make_verifier().verify(code, now=FIXED_NOW + timedelta(seconds=1)).presented_at == (
        FIXED_NOW
    )


def test_inner_credential_is_checked_first() -> None:
    """An expired credential inside a fresh code is expired, not accepted or stale."""
    holder = make_holder(valid_for=timedelta(hours=1))
    code = holder.present(now=FIXED_NOW + timedelta(minutes=59, seconds=59))
    later = FIXED_NOW + timedelta(hours=1, minutes=2)
    assert _reason(lambda: make_verifier().verify(code, now=later)) is Reason.EXPIRED


# --- binding ---------------------------------------------------------------------------


def test_presentation_signed_by_another_device_key() -> None:
    """A proof made by a device key other than the one in cnf is holder_binding_invalid."""
    credential = make_holder().credential
    code = encode_presentation(
        credential,
        alg=Algorithm.ES256,
        sign=make_device_signer(index=1).sign,
        presented_at=FIXED_NOW,
    )
    assert (
        _reason(lambda: make_verifier().verify(_text(code), now=FIXED_NOW))
        is Reason.HOLDER_BINDING_INVALID
    )


def test_rewrapping_someone_elses_credential() -> None:
    """Wrapping a victim's credential (copied from a screenshot) with your own device key fails."""
    victim = make_holder(0, device_index=0)
    screenshot = victim.static_text()
    victim_cose = unpack(screenshot, (DL_FORMAT,))[1]
    attacker = make_device_signer(Algorithm.EDDSA, index=9)
    with pytest.raises(QrsealError) as refused:
        Holder(screenshot, device_signer=attacker)
    assert refused.value.reason is Reason.HOLDER_BINDING_INVALID
    forged = encode_presentation(
        victim_cose, alg=attacker.algorithm, sign=attacker.sign, presented_at=FIXED_NOW
    )
    assert (
        _reason(lambda: make_verifier().verify(_text(forged), now=FIXED_NOW))
        is Reason.HOLDER_BINDING_INVALID
    )


def test_live_presentation_of_unbound_credential_is_rejected() -> None:
    """A credential without cnf cannot be presented live (holder_binding_invalid, bound=False)."""
    signer = make_device_signer()
    credential = make_issuer().sign(sample_licence(0), now=FIXED_NOW)
    with pytest.raises(QrsealError) as built:
        Holder(credential, device_signer=signer)
    assert built.value.reason is Reason.HOLDER_BINDING_INVALID
    forged = encode_presentation(
        credential.cose, alg=signer.algorithm, sign=signer.sign, presented_at=FIXED_NOW
    )
    with pytest.raises(HolderBindingInvalid) as info:
        make_verifier().verify(_text(forged), now=FIXED_NOW)
    assert info.value.reason is Reason.HOLDER_BINDING_INVALID
    assert info.value.bound is False


def test_proof_algorithm_must_fit_the_device_key() -> None:
    """A proof claiming EdDSA for a P-256 device key is holder_binding_invalid."""
    holder = make_holder(device_alg=Algorithm.ES256)
    code = _forge(holder.credential, make_device_signer(), alg=Algorithm.EDDSA)
    assert (
        _reason(lambda: make_verifier().verify(code, now=FIXED_NOW))
        is Reason.HOLDER_BINDING_INVALID
    )


def test_device_algorithm_policy() -> None:
    """The policy's algorithm allow-list applies to the device signature, before any crypto."""
    code = make_holder(device_alg=Algorithm.EDDSA).present(now=FIXED_NOW)
    only_es256 = make_verifier(Policy(allowed_algorithms=frozenset({Algorithm.ES256})))
    assert _reason(lambda: only_es256.verify(code, now=FIXED_NOW)) is Reason.ALGORITHM_NOT_ALLOWED


def test_proof_with_a_non_device_algorithm_is_refused_early() -> None:
    """A proof claiming ES384 (no device key type uses it) is algorithm_not_allowed."""
    holder = make_holder()
    code = _forge(holder.credential, make_device_signer(), alg=Algorithm.ES384)
    assert _reason(lambda: make_verifier().verify(code, now=FIXED_NOW)) is (
        Reason.ALGORITHM_NOT_ALLOWED
    )


def test_issuer_signature_still_checked_in_live_codes() -> None:
    """A live code whose credential is from an untrusted issuer key is unknown_key."""
    signer = make_device_signer()
    credential = make_issuer(index=5).sign(
        sample_licence(0), now=FIXED_NOW, holder_key=signer.public_key
    )
    code = Holder(credential, device_signer=signer).present(now=FIXED_NOW)
    assert _reason(lambda: make_verifier().verify(code, now=FIXED_NOW)) is Reason.UNKNOWN_KEY


# --- nonce, audience, require live ------------------------------------------------------------

NONCE = bytes.fromhex("00112233445566778899aabbccddeeff")


def test_nonce() -> None:
    """The expected nonce must be carried: wrong or missing is nonce_mismatch."""
    holder = make_holder()
    verifier = make_verifier(Policy(expected_nonce=NONCE))
    accepted = verifier.verify(holder.present(now=FIXED_NOW, nonce=NONCE), now=FIXED_NOW)
    assert accepted.live is not None and accepted.live.nonce == NONCE
    wrong = holder.present(now=FIXED_NOW, nonce=bytes(16))
    with pytest.raises(NonceMismatch) as info:
        verifier.verify(wrong, now=FIXED_NOW)
    assert info.value.reason is Reason.NONCE_MISMATCH
    assert info.value.actual == bytes(16)
    missing = holder.present(now=FIXED_NOW)
    assert _reason(lambda: verifier.verify(missing, now=FIXED_NOW)) is Reason.NONCE_MISMATCH
    # A verifier that asked for nothing accepts a nonce it did not ask for.
    make_verifier().verify(wrong, now=FIXED_NOW)


def test_audience() -> None:
    """An addressed code is accepted only by a verifier expecting that audience."""
    holder = make_holder()
    to_desk = holder.present(now=FIXED_NOW, audience="rental-desk-7")
    desk = make_verifier(Policy(expected_audience="rental-desk-7"))
    live = desk.verify(to_desk, now=FIXED_NOW).live
    assert live is not None and live.audience == "rental-desk-7"
    other = make_verifier(Policy(expected_audience="rental-desk-8"))
    assert _reason(lambda: other.verify(to_desk, now=FIXED_NOW)) is Reason.AUDIENCE_MISMATCH
    assert _reason(lambda: make_verifier().verify(to_desk, now=FIXED_NOW)) is (
        Reason.AUDIENCE_MISMATCH
    )
    unaddressed = holder.present(now=FIXED_NOW)
    assert _reason(lambda: desk.verify(unaddressed, now=FIXED_NOW)) is Reason.AUDIENCE_MISMATCH


def test_require_live() -> None:
    """Under require_live a static credential is presentation_required; a live code passes."""
    holder = make_holder()
    verifier = make_verifier(Policy(require_live=True))
    assert (
        _reason(lambda: verifier.verify(holder.static_text(), now=FIXED_NOW))
        is Reason.PRESENTATION_REQUIRED
    )
    unbound = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    assert _reason(lambda: verifier.verify(unbound, now=FIXED_NOW)) is Reason.PRESENTATION_REQUIRED
    assert verifier.verify(holder.present(now=FIXED_NOW), now=FIXED_NOW).presentation == "live"


@pytest.mark.parametrize(
    "policy",
    [Policy(expected_nonce=NONCE), Policy(expected_audience="rental-desk-7")],
    ids=["nonce", "audience"],
)
def test_challenge_implies_live(policy: Policy) -> None:
    """A policy expecting a nonce or an audience refuses a static code (presentation_required)."""
    assert policy.live_required and not policy.require_live
    verifier = make_verifier(policy)
    holder = make_holder()
    assert (
        _reason(lambda: verifier.verify(holder.static_text(), now=FIXED_NOW))
        is Reason.PRESENTATION_REQUIRED
    )
    unbound = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    assert _reason(lambda: verifier.verify(unbound, now=FIXED_NOW)) is Reason.PRESENTATION_REQUIRED
    live = holder.present(
        now=FIXED_NOW,
        nonce=policy.expected_nonce,
        audience=policy.expected_audience,
    )
    assert verifier.verify(live, now=FIXED_NOW).presentation == "live"


def test_policy_validation() -> None:
    """Negative windows and out-of-bounds nonces or audiences are refused when the policy is built."""
    for bad in (
        {"max_presentation_age": timedelta(seconds=-1)},
        {"max_presentation_skew": timedelta(seconds=-1)},
        {"expected_nonce": b"short"},
        {"expected_nonce": "not bytes"},
        {"expected_audience": ""},
        {"expected_audience": "x" * 65},
    ):
        with pytest.raises(InvalidArgument):
            Policy(**bad)


# --- replay cache ------------------------------------------------------------------------------


def test_replay_cache_refuses_second_showing() -> None:
    """With a replay cache, the same code shown twice within its window is presentation_replayed."""
    holder = make_holder()
    cache = ReplayCache()
    verifier = Verifier(make_trust_store(), replay_cache=cache)
    code = holder.present(now=FIXED_NOW)
    verifier.verify(code, now=FIXED_NOW)
    assert _reason(lambda: verifier.verify(code, now=LATER)) is Reason.PRESENTATION_REPLAYED
    # A fresh code from the same phone is a new presentation.
    verifier.verify(holder.present(now=FIXED_NOW + timedelta(seconds=1)), now=LATER)
    assert len(cache) == 2
    # Past the window the entries are forgotten (the codes would be stale anyway).
    verifier.verify(
        holder.present(now=FIXED_NOW + timedelta(minutes=5)), now=FIXED_NOW + timedelta(minutes=5)
    )
    assert len(cache) == 1
    # Without a cache a verifier keeps no state.
    make_verifier().verify(code, now=FIXED_NOW)
    make_verifier().verify(code, now=FIXED_NOW)


def test_replay_cache_keys_on_signed_content_not_signature() -> None:
    """Re-signing the same content (ECDSA gives new signature bytes) is still a replay."""
    holder = make_holder(device_alg=Algorithm.ES256)
    first = holder.present(now=FIXED_NOW)
    second = holder.present(now=FIXED_NOW)
    first_sig = decode_presentation(_presentation_bytes(first)).proof.signature
    assert first_sig != decode_presentation(_presentation_bytes(second)).proof.signature
    verifier = Verifier(make_trust_store(), replay_cache=ReplayCache())
    verifier.verify(first, now=FIXED_NOW)
    assert _reason(lambda: verifier.verify(second, now=FIXED_NOW)) is Reason.PRESENTATION_REPLAYED


def test_replay_cache_is_bounded() -> None:
    """A full cache drops the entry closest to expiry; max_entries must be positive."""
    cache = ReplayCache(max_entries=2)
    for i in range(3):
        cache.check_and_record(
            bytes([i]),
            presented_at=FIXED_NOW,
            until=FIXED_NOW + timedelta(seconds=i + 1),
            now=FIXED_NOW,
        )
    assert len(cache) == 2
    cache.check_and_record(b"\x00", presented_at=FIXED_NOW, until=LATER, now=FIXED_NOW)
    with pytest.raises(InvalidArgument):
        ReplayCache(max_entries=0)
    with pytest.raises(InvalidArgument):
        Verifier(make_trust_store(), replay_cache=object())  # type: ignore[arg-type]


# --- keys, issuer, holder arguments ---------------------------------------------------------


def test_cnf_cose_keys_are_compact() -> None:
    """cnf holds compact COSE_Keys: Ed25519 43 bytes, P-256 with point compression 45 bytes."""
    ed = make_device_key(Algorithm.EDDSA).public_key()
    p256 = make_device_key(Algorithm.ES256).public_key()
    assert set(encode_cose_key(ed)) == {1, -1, -2} and encode_cose_key(ed)[1] == 1
    assert encode_cose_key(p256)[1] == 2 and isinstance(encode_cose_key(p256)[-3], bool)
    # The claim entry: key 8 (1 byte) and the cnf map; the claims map's head is not counted.
    assert len(cbor2.dumps({8: encode_cnf(ed)})) - 1 == 43
    assert len(cbor2.dumps({8: encode_cnf(p256)})) - 1 == 45
    for key in (ed, p256):
        assert decode_cnf(encode_cnf(key)) == key


def test_cose_key_decoding_is_strict() -> None:
    """Uncompressed P-256 points are read; off-curve points, other curves and labels are not."""
    p256 = make_device_key(Algorithm.ES256).public_key()
    assert isinstance(p256, ec.EllipticCurvePublicKey)
    numbers = p256.public_numbers()
    x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
    assert decode_cose_key({1: 2, -1: 1, -2: x, -3: y}) == p256
    assert decode_cose_key({1: 2, -1: 1, -2: x, -3: y, 3: -7, 2: b"k"}) == p256
    bad = [
        {1: 2, -1: 1, -2: x, -3: bytes(32)},  # not on the curve
        {1: 2, -1: 2, -2: x, -3: True},  # P-384 id
        {1: 2, -1: 1, -2: x},  # no y
        {1: 2, -1: 1, -2: x, -3: True, 3: -8},  # wrong alg
        {1: 2, -1: 1, -2: x, -3: True, 99: 0},  # unknown label
        {1: True, -1: 6, -2: x},  # bool kty
        {1: 1, -1: 6, -2: x[:31]},  # short x
        [1, 6, x],
        {1: {1: 1}},
    ]
    for value in bad:
        with pytest.raises(QrsealError) as info:
            decode_cose_key(value)
        assert info.value.reason is Reason.MALFORMED_CLAIMS
    with pytest.raises(QrsealError):
        decode_cnf({3: b"kid"})


_IDENTITY = bytes([1]) + bytes(31)


def test_small_order_ed25519_device_keys_are_refused() -> None:
    """A cnf naming a small-order Ed25519 key (anyone can sign for it) is refused by the issuer
    and, should an issuer sign one anyway, by the verifier before any device signature."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    identity = ed25519.Ed25519PublicKey.from_public_bytes(_IDENTITY)
    identity.verify(_IDENTITY + bytes(32), b"any message at all")  # the forgery it allows
    with pytest.raises(InvalidKey):
        make_issuer().issue(sample_licence(0), now=FIXED_NOW, holder_key=identity)
    for y in (_IDENTITY, bytes(31) + b"\x80", b"\xed" + b"\xff" * 30 + b"\x7f"):
        with pytest.raises(QrsealError) as info:
            decode_cose_key({1: 1, -1: 6, -2: y})
        assert info.value.reason is Reason.MALFORMED_CLAIMS
    weak = _forge_bound_credential({1: {1: 1, -1: 6, -2: _IDENTITY}})
    proof = cbor2.CBORTag(
        COSE_SIGN1_TAG,
        [
            deterministic_dumps({1: -8}),
            {},
            cbor2.dumps({6: int(FIXED_NOW.timestamp())}),
            _IDENTITY + bytes(32),
        ],
    )
    text = _text(cbor2.dumps([weak, proof]))
    assert _reason(lambda: make_verifier().verify(text, now=FIXED_NOW)) is Reason.MALFORMED_CLAIMS


def _forge_bound_credential(cnf: dict[int, object]) -> bytes:
    """A credential properly signed by the test issuer with an arbitrary cnf value."""
    from qrseal.licence.profile import LICENCE_CLAIM
    from qrseal.wire.cose import encode_sign1
    from qrseal.wire.cwt import Claims, encode_claims

    claims = Claims(
        issuer=TEST_ISSUER,
        issued_at=FIXED_NOW,
        expires_at=FIXED_NOW + timedelta(hours=1),
        extra={LICENCE_CLAIM: sample_licence(0).to_cbor_map(), 8: cnf},
    )
    signer = make_issuer().signer
    return encode_sign1(
        encode_claims(claims), alg=signer.algorithm, kid=signer.kid, sign=signer.sign
    )


def test_issuer_holder_key_arguments() -> None:
    """The issuer takes only a P-256 or Ed25519 public key as holder key."""
    issuer = make_issuer()
    with pytest.raises(InvalidArgument):
        issuer.issue(sample_licence(0), now=FIXED_NOW, holder_key=make_device_key())  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        issuer.issue(
            sample_licence(0),
            now=FIXED_NOW,
            holder_key=make_private_key(Algorithm.ES384).public_key(),
        )


def test_holder_arguments() -> None:
    """Holder and present refuse what cannot make a valid live code."""
    holder = make_holder(valid_for=timedelta(hours=1))
    with pytest.raises(InvalidArgument):
        holder.present(now=FIXED_NOW.replace(tzinfo=None))
    for nonce in (b"1234567", b"x" * 65):
        with pytest.raises(InvalidArgument):
            holder.present(now=FIXED_NOW, nonce=nonce)
    with pytest.raises(InvalidArgument):
        holder.present(now=FIXED_NOW, audience="")
    assert _reason(lambda: holder.present(now=FIXED_NOW + timedelta(hours=1))) is Reason.EXPIRED
    p384 = make_private_key(Algorithm.ES384)
    with pytest.raises(InvalidKey):
        Holder(holder.static_text(), device_signer=p384)
    with pytest.raises(InvalidArgument):
        Holder(holder.static_text(), device_signer=make_device_key(), compress="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        Holder(b"DL1:", device_signer=make_device_key())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        generate_device_key(Algorithm.ES384)
    assert isinstance(generate_device_key(Algorithm.EDDSA), type(make_device_key(Algorithm.EDDSA)))


# --- hostile input ------------------------------------------------------------------------


def _holder_cose() -> bytes:
    return make_holder().credential


HOSTILE: dict[str, tuple[Callable[[], str], Reason]] = {
    "not an array": (lambda: _text(cbor2.dumps({1: _holder_cose()})), Reason.MALFORMED_COSE),
    "three elements": (
        lambda: _text(cbor2.dumps([_holder_cose(), b"", b""])),
        Reason.MALFORMED_COSE,
    ),
    "credential not bytes": (
        lambda: _text(cbor2.dumps([cbor2.loads(_holder_cose()), b""])),
        Reason.MALFORMED_COSE,
    ),
    "proof untagged": (
        lambda: _text(cbor2.dumps([_holder_cose(), [b"", {}, b"", b""]])),
        Reason.MALFORMED_COSE,
    ),
    "proof with kid": (
        lambda: _forge(
            _holder_cose(),
            make_device_signer(),
            protected=deterministic_dumps({1: -7, 4: make_device_signer().kid}),
        ),
        Reason.MALFORMED_COSE,
    ),
    "proof header not deterministic": (
        lambda: _forge(_holder_cose(), make_device_signer(), protected=bytes.fromhex("a1013806")),
        Reason.MALFORMED_COSE,
    ),
    "proof unknown algorithm": (
        lambda: _forge(
            _holder_cose(), make_device_signer(), protected=deterministic_dumps({1: -9})
        ),
        Reason.ALGORITHM_NOT_ALLOWED,
    ),
    "proof unprotected header": (
        lambda: _forge(_holder_cose(), make_device_signer(), unprotected={1: -7}),
        Reason.MALFORMED_COSE,
    ),
    "proof claims unknown key": (
        lambda: _forge(
            _holder_cose(), make_device_signer(), claims={6: int(FIXED_NOW.timestamp()), 7: b"x"}
        ),
        Reason.MALFORMED_CLAIMS,
    ),
    "proof claims no iat": (
        lambda: _forge(_holder_cose(), make_device_signer(), claims={3: "a"}),
        Reason.MALFORMED_CLAIMS,
    ),
    "proof iat float": (
        lambda: _forge(_holder_cose(), make_device_signer(), claims={6: 1.5e9}),
        Reason.MALFORMED_CLAIMS,
    ),
    "proof short nonce": (
        lambda: _forge(
            _holder_cose(), make_device_signer(), claims={6: int(FIXED_NOW.timestamp()), 10: b"1"}
        ),
        Reason.MALFORMED_CLAIMS,
    ),
    "proof payload not a map": (
        lambda: _forge(_holder_cose(), make_device_signer(), claims=[1, 2]),
        Reason.MALFORMED_CLAIMS,
    ),
    "future version": (lambda: "DP2:123", Reason.UNSUPPORTED_VERSION),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_presentations_rejected_with_reason(name: str) -> None:
    """Each malformed or forged presentation is rejected with its specific reason code."""
    build, reason = HOSTILE[name]
    text = build()
    assert _reason(lambda: make_verifier().verify(text, now=FIXED_NOW)) is reason


def test_every_bit_flip_of_a_presentation_is_rejected() -> None:
    """Flipping any single bit of a live presentation's bytes makes verification fail."""
    verifier = make_verifier()
    data = _presentation_bytes(make_holder(4, device_alg=Algorithm.EDDSA).present(now=FIXED_NOW))
    for i in range(len(data)):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[i] ^= 1 << bit
            with pytest.raises(QrsealError):
                verifier.verify(_text(bytes(damaged)), now=FIXED_NOW)


def test_every_truncation_is_rejected() -> None:
    """Every proper prefix of a presentation's bytes is rejected."""
    verifier = make_verifier()
    data = _presentation_bytes(make_holder(2).present(now=FIXED_NOW))
    for n in range(1, len(data)):
        with pytest.raises(QrsealError):
            verifier.verify(_text(data[:n]), now=FIXED_NOW)


_HOLDER = make_holder(1)
_VALID = _HOLDER.present(now=FIXED_NOW)
_VALID_BYTES = _presentation_bytes(_VALID)
_ORIGINAL = make_verifier().verify(_VALID, now=FIXED_NOW)


def _accepts_only_original(text: str) -> None:
    try:
        result = make_verifier().verify(text, now=FIXED_NOW)
    except QrsealError:
        return
    assert result.claims == _ORIGINAL.claims and result.licence == _ORIGINAL.licence
    assert result.live == _ORIGINAL.live


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_byte_mutations_only_raise_qrseal_errors(data: st.DataObject) -> None:
    """Random byte edits of a presentation raise only QrsealError and never change what is accepted."""
    raw = bytearray(_VALID_BYTES)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["set", "insert", "delete"]))
        value = data.draw(st.integers(0, 255))
        if op == "set":
            raw[pos] = value
        elif op == "insert":
            raw.insert(pos, value)
        elif len(raw) > 1:
            del raw[pos]
    _accepts_only_original(_text(bytes(raw)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_text_mutations_only_raise_qrseal_errors(data: st.DataObject) -> None:
    """Random character edits of a live code's text raise only QrsealError."""
    text = _VALID
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        ch = data.draw(st.characters(codec="utf-8"))
        text = text[:pos] + ch + text[pos + 1 :]
    _accepts_only_original(text)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.text(max_size=20)
        | st.binary(max_size=70)
        | st.floats(allow_nan=False),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.integers(-5, 12) | st.text(max_size=3), children, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_signed_garbage_proof_claims_only_raise_qrseal_errors(claims: object) -> None:
    """Properly signed but arbitrary proof payloads are rejected with a QrsealError only."""
    text = _forge(_HOLDER.credential, make_device_signer(), claims=claims)
    try:
        make_verifier().verify(text, now=FIXED_NOW)
    except QrsealError:
        return
    assert isinstance(claims, dict) and claims.get(6) == int(FIXED_NOW.timestamp())


# --- QR, inspect --------------------------------------------------------------------------


@pytest.mark.parametrize("device_alg", DEVICE_ALGS, ids=[a.name for a in DEVICE_ALGS])
def test_qr_round_trip_through_the_scanner(device_alg: Algorithm) -> None:
    """A live code rendered as a QR image scans back to the same text and verifies live."""
    code = make_holder(3, device_alg=device_alg).present(now=FIXED_NOW)
    image = qr.render_image(code, scale=4)
    scanned = qr.scan(image)
    assert scanned[0].text == code
    verifier = make_verifier_all()
    assert verifier.verify_image(image, now=LATER).presentation is PresentationKind.LIVE


def test_terminal_rendering_scans() -> None:
    """The half-block terminal drawing (qrcode print_ascii) is a readable QR code."""
    code = make_holder(0).present(now=FIXED_NOW)
    art = render_terminal(code, border=4)
    lines = art.splitlines()
    width = max(len(line) for line in lines)
    # invert=True draws light modules as glyph halves: upper half, lower half, full block.
    light = {"█": (True, True), "▀": (True, False), "▄": (False, True)}
    pixels = bytearray()
    for line in lines:
        top, bottom = bytearray(), bytearray()
        for ch in line.ljust(width, "█"):
            up, down = light.get(ch, (False, False))
            top.append(255 if up else 0)
            bottom.append(255 if down else 0)
        pixels += top + bottom
    image = Image.frombytes("L", (width, 2 * len(lines)), bytes(pixels))
    image = image.resize((width * 4, 2 * len(lines) * 4), Image.Resampling.NEAREST)
    assert qr.scan(image)[0].text == code


def test_inspect_unverified_reads_presentations() -> None:
    """inspect_unverified shows the carried credential and what the proof claims."""
    code = make_holder(2).present(now=FIXED_NOW, nonce=NONCE, audience="desk")
    info = inspect_unverified(code)
    assert info.prefix == "DP" and info.proof_algorithm is Algorithm.ES256
    assert info.presented_at == FIXED_NOW and info.nonce == NONCE and info.audience == "desk"
    assert info.licence is not None and info.claims is not None and 8 in info.claims.extra


# --- CLI and examples ---------------------------------------------------------------------


@pytest.fixture
def bound(
    tmp_path: Path, cli: Cli, issuer_keys: tuple[Path, Path], licence_file: Path
) -> dict[str, Path]:
    """An issuer key pair, a device key pair and a credential bound to the device key."""
    files = {
        "key": issuer_keys[0],
        "pub": issuer_keys[1],
        "dev": tmp_path / "device.key",
        "devpub": tmp_path / "device.pub.pem",
        "licence": licence_file,
        "cred": tmp_path / "cred.txt",
    }
    code, out = cli("device-keygen", "--out", str(files["dev"]), "--alg", "EdDSA")
    assert code == 0 and "device public key" in out and files["devpub"].exists()
    code, text = cli(
        "issue",
        str(files["licence"]),
        "--key",
        str(files["key"]),
        "--issuer",
        "CN-SC",
        "--holder-key",
        str(files["devpub"]),
        "--now",
        NOW_TEXT,
    )
    assert code == 0
    files["cred"].write_text(text)
    return files


def test_cli_present_and_verify_live(bound: dict[str, Path], tmp_path: Path, cli: Cli) -> None:
    """present prints a live code that verify --require-live accepts, and it goes stale."""
    png = tmp_path / "live.png"
    code, live = cli(
        "present",
        "--file",
        str(bound["cred"]),
        "--device-key",
        str(bound["dev"]),
        "--png",
        str(png),
        "--now",
        NOW_TEXT,
    )
    assert code == 0 and live.startswith("DP1:") and png.exists()
    trust = f"CN-SC={bound['pub']}"
    code, out = cli(
        "verify", live.strip(), "--trust", trust, "--require-live", "--now", "2026-11-25T09:00:20Z"
    )
    assert code == 0 and "LIVE code" in out and "20 s ago" in out
    code, out = cli(
        "verify", "--image", str(png), "--trust", trust, "--json", "--now", "2026-11-25T09:00:20Z"
    )
    assert code == 0 and json.loads(out)["presentation"] == "live"
    code, out = cli(
        "verify",
        live.strip(),
        "--trust",
        trust,
        "--max-age",
        "10s",
        "--now",
        "2026-11-25T09:00:20Z",
    )
    assert code == 1 and "stale_presentation" in out
    static = bound["cred"].read_text().strip()
    code, out = cli("verify", static, "--trust", trust, "--require-live", "--now", NOW_TEXT)
    assert code == 1 and "presentation_required" in out
    code, out = cli("verify", static, "--trust", trust, "--now", NOW_TEXT)
    assert code == 0 and "STATIC credential, device-bound" in out
    code, out = cli("inspect", live.strip())
    assert code == 0 and json.loads(out)["presented_at"].startswith("2026-11-25T09:00:00")


def test_cli_nonce_and_audience(bound: dict[str, Path], cli: Cli) -> None:
    """present --nonce/--audience and verify --nonce/--audience must agree."""
    nonce = NONCE.hex()
    _, live = cli(
        "present",
        bound["cred"].read_text().strip(),
        "--device-key",
        str(bound["dev"]),
        "--nonce",
        nonce,
        "--audience",
        "police-0451",
        "--now",
        NOW_TEXT,
    )
    trust = f"CN-SC={bound['pub']}"
    ok = cli(
        "verify",
        live.strip(),
        "--trust",
        trust,
        "--nonce",
        nonce,
        "--audience",
        "police-0451",
        "--now",
        NOW_TEXT,
    )
    assert ok[0] == 0
    code, out = cli(
        "verify",
        live.strip(),
        "--trust",
        trust,
        "--nonce",
        "00" * 16,
        "--audience",
        "police-0451",
        "--json",
        "--now",
        NOW_TEXT,
    )
    assert code == 1 and json.loads(out)["reason"] == "nonce_mismatch"
    assert (
        cli("verify", live.strip(), "--trust", trust, "--nonce", "abc", "--now", NOW_TEXT)[0] == 2
    )


def test_cli_watch_renders_frames_without_waiting(bound: dict[str, Path], cli: Cli) -> None:
    """present --watch --count N draws N terminal codes a refresh apart (simulated clock)."""
    code, out = cli(
        "present",
        "--file",
        str(bound["cred"]),
        "--device-key",
        str(bound["dev"]),
        "--watch",
        "30",
        "--count",
        "2",
        "--now",
        NOW_TEXT,
    )
    assert code == 0
    assert "signed 2026-11-25 09:00:00Z" in out and "signed 2026-11-25 09:00:30Z" in out
    assert "frame 2" in out and "█" in out
    # A simulated clock with no end is a usage error; so are bad counts.
    assert (
        cli(
            "present",
            "--file",
            str(bound["cred"]),
            "--device-key",
            str(bound["dev"]),
            "--watch",
            "--now",
            NOW_TEXT,
        )[0]
        == 2
    )
    assert (
        cli(
            "present",
            "--file",
            str(bound["cred"]),
            "--device-key",
            str(bound["dev"]),
            "--count",
            "0",
        )[0]
        == 2
    )


def test_cli_present_refuses_unbound_credential(
    tmp_path: Path, bound: dict[str, Path], cli: Cli
) -> None:
    """present with a credential bound to another device exits 1 with holder_binding_invalid."""
    other = tmp_path / "other.key"
    cli("device-keygen", "--out", str(other))
    code = cli(
        "present", "--file", str(bound["cred"]), "--device-key", str(other), "--now", NOW_TEXT
    )[0]
    assert code == 1


def _example(name: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *argv],
        capture_output=True,
        text=True,
        check=False,
    )


def test_holder_wallet_and_police_check_examples(tmp_path: Path, cli: Cli) -> None:
    """The wallet makes a device key, stores a bound credential and shows refreshing codes that
    the police check accepts; the police check refuses the static copy and a stale code."""
    wallet = tmp_path / "wallet"
    done = _example("holder_wallet.py", "init", str(wallet))
    assert done.returncode == 0, done.stderr
    issuer_key, issuer_pub = tmp_path / "issuer.key", tmp_path / "issuer.pub.pem"
    cli("keygen", "--out", str(issuer_key), "--pub", str(issuer_pub))
    licence = tmp_path / "licence.json"
    licence.write_text(json.dumps(sample_licence_json(4), ensure_ascii=False), "utf-8")
    _, text = cli(
        "issue",
        str(licence),
        "--key",
        str(issuer_key),
        "--issuer",
        "CN-SC",
        "--holder-key",
        str(wallet / "device.pub.pem"),
        "--now",
        NOW_TEXT,
    )
    cred = tmp_path / "cred.txt"
    cred.write_text(text)
    done = _example("holder_wallet.py", "store", str(wallet), str(cred))
    assert done.returncode == 0 and "credential stored" in done.stdout, done.stderr
    png = tmp_path / "code.png"
    done = _example(
        "holder_wallet.py",
        "show",
        str(wallet),
        "--frames",
        "2",
        "--png",
        str(png),
        "--now",
        NOW_TEXT,
    )
    assert done.returncode == 0, done.stderr
    assert "generated 09:00:00Z" in done.stdout and "generated 09:00:30Z" in done.stdout
    trust = f"CN-SC={issuer_pub}"
    # The PNG holds the last frame, generated at 09:00:30.
    done = _example("police_check.py", str(png), "--trust", trust, "--now", "2026-11-25T09:00:42Z")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LIVE CODE VERIFIED" in done.stdout and "12 s ago" in done.stdout
    done = _example("police_check.py", str(png), "--trust", trust, "--now", "2026-11-25T09:05:00Z")
    assert done.returncode == 1 and "stale_presentation" in done.stdout
    done = _example("police_check.py", "--text", text.strip(), "--trust", trust, "--now", NOW_TEXT)
    assert done.returncode == 1 and "presentation_required" in done.stdout
    # The wallet refuses a credential bound to another device.
    other = tmp_path / "other"
    _example("holder_wallet.py", "init", str(other))
    done = _example("holder_wallet.py", "store", str(other), str(cred))
    assert done.returncode == 1 and "holder_binding_invalid" in done.stderr


def test_readme_live_code_example_runs() -> None:
    """The README's live-code example executes and prints what its comments promise."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    block = next(b for b in blocks if "Holder(" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own README
    assert out.getvalue().splitlines() == [
        "live 0:00:12",
        "stale_presentation",
        "presentation_required",
    ]


def test_presentation_age_and_skew_boundaries_follow_the_policy() -> None:
    """With max_presentation_age=10 s and max_presentation_skew=5 s: age 10 s and 5 s ahead
    pass; age 11 s is stale_presentation and 6 s ahead presentation_in_future."""
    policy = Policy(
        max_presentation_age=timedelta(seconds=10), max_presentation_skew=timedelta(seconds=5)
    )
    verifier = make_verifier(policy)
    code = make_holder().present(now=FIXED_NOW)
    assert verifier.verify(code, now=FIXED_NOW + timedelta(seconds=10)).presentation == "live"
    assert (
        _reason(lambda: verifier.verify(code, now=FIXED_NOW + timedelta(seconds=11)))
        is Reason.STALE_PRESENTATION
    )
    ahead = make_holder().present(now=FIXED_NOW + timedelta(seconds=5))
    assert verifier.verify(ahead, now=FIXED_NOW).presentation_age == timedelta(seconds=-5)
    too_far = make_holder().present(now=FIXED_NOW + timedelta(seconds=6))
    assert _reason(lambda: verifier.verify(too_far, now=FIXED_NOW)) is Reason.PRESENTATION_IN_FUTURE


def test_holder_device_signer_is_keyword_only_positional_deprecated() -> None:
    """Holder(credential, device_signer=...) is the spelling; positional still works with a
    DeprecationWarning; both at once is invalid_argument."""
    signer = make_device_signer()
    credential = make_issuer().sign(sample_licence(0), now=FIXED_NOW, holder_key=signer.public_key)
    with pytest.warns(DeprecationWarning, match="device_signer="):
        old = Holder(credential, signer)
    assert old.credential == Holder(credential, device_signer=signer).credential
    assert (
        _reason(lambda: Holder(credential, signer, device_signer=signer)) is Reason.INVALID_ARGUMENT
    )


def test_police_check_asks_for_the_full_view_when_shown_the_age_view(
    tmp_path: Path, cli: Cli
) -> None:
    """A live code of the age view (age_over_18 only) is refused by the police check as
    fields_withheld, with the advice to ask for the full view; it never prints a licence."""
    issuer_key, issuer_pub = tmp_path / "issuer.key", tmp_path / "issuer.pub.pem"
    device_key, device_pub = tmp_path / "device.key", tmp_path / "device.pub.pem"
    cli("keygen", "--out", str(issuer_key), "--pub", str(issuer_pub))
    cli("device-keygen", "--out", str(device_key), "--pub", str(device_pub))
    licence = tmp_path / "licence.json"
    licence.write_text(json.dumps(sample_licence_json(0), ensure_ascii=False), "utf-8")
    code, wallet = cli("issue", str(licence), "--key", str(issuer_key), "--issuer", "CN-SC",
                       "--holder-key", str(device_pub), "--views", "age", "--now", NOW_TEXT)  # fmt: skip
    assert code == 0, wallet
    (tmp_path / "wallet.json").write_text(wallet)
    code, live = cli("present", "--file", str(tmp_path / "wallet.json"), "--view", "age",
                     "--device-key", str(device_key), "--now", NOW_TEXT)  # fmt: skip
    assert code == 0, live
    done = _example("police_check.py", "--text", live.strip(), "--trust", f"CN-SC={issuer_pub}",
                    "--now", NOW_TEXT)  # fmt: skip
    assert done.returncode == 1 and "fields_withheld" in done.stdout
    assert "full licence view" in done.stdout and "licence no." not in done.stdout
