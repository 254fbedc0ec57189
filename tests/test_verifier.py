"""Issuer -> Verifier end to end: round trips, check order, tampering and hostile input."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal import (
    Algorithm,
    Issuer,
    Policy,
    QrsealError,
    Reason,
    TrustedKey,
    TrustStore,
    Verifier,
    inspect_unverified,
)
from qrseal.errors import InvalidArgument, ValidityTooLong
from qrseal.licence.profile import DL_FORMAT, LICENCE_CLAIM, MAX_VALIDITY
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_issuer,
    make_private_key,
    make_signer,
    make_trust_store,
    make_verifier,
    make_verifier_all,
    sample_licence,
    sample_licences,
)
from qrseal.wire.cose import COSE_SIGN1_TAG, deterministic_dumps, sig_structure
from qrseal.wire.cwt import Claims, encode_claims
from qrseal.wire.keys import LocalSigner
from qrseal.wire.textcodec import TextFormat, pack, unpack
from tests.support import reason_of as _reason

ALGS = [Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA, Algorithm.SM2, Algorithm.ML_DSA_44]


def _forge(
    *,
    protected: dict[int, object] | None = None,
    unprotected: object = None,
    payload: bytes | None = None,
    signer: LocalSigner | None = None,
    tag: int | None = COSE_SIGN1_TAG,
    raw_protected: bytes | None = None,
) -> str:
    """Build a credential text from parts, signed properly over whatever the parts are."""
    signer = signer or make_signer()
    if protected is None:
        protected = {1: int(signer.algorithm), 4: signer.kid}
    if payload is None:
        payload = encode_claims(
            Claims(
                issuer=TEST_ISSUER,
                issued_at=FIXED_NOW,
                expires_at=FIXED_NOW + timedelta(hours=1),
                extra={LICENCE_CLAIM: sample_licence(0).to_cbor_map()},
            )
        )
    pbytes = raw_protected if raw_protected is not None else deterministic_dumps(protected)
    sig = signer.sign(sig_structure(pbytes, payload))
    body = [pbytes, {} if unprotected is None else unprotected, payload, sig]
    data = cbor2.dumps(cbor2.CBORTag(tag, body) if tag is not None else body)
    return pack(data, DL_FORMAT, compress=False)


@pytest.mark.parametrize("alg", ALGS, ids=[a.name for a in ALGS])
@pytest.mark.parametrize("index", range(5))
def test_round_trip_every_sample_every_algorithm(alg: Algorithm, index: int) -> None:
    """Every sample licence issued with every algorithm verifies to the same QR-view licence."""
    licence = sample_licence(index)
    text = make_issuer(alg).issue(licence, now=FIXED_NOW)
    assert text.startswith("DL1:")
    result = make_verifier_all().verify(text, now=FIXED_NOW + timedelta(minutes=5))
    assert result.algorithm is alg
    assert result.issuer == TEST_ISSUER
    assert result.licence.to_cbor_map() == licence.to_cbor_map()
    assert result.licence.document_number == licence.document_number
    assert result.expires_at - result.issued_at == timedelta(hours=72)
    assert result.data_age == FIXED_NOW + timedelta(minutes=5) - (licence.points_as_of or FIXED_NOW)


@pytest.mark.parametrize("alg", [Algorithm.SM2, Algorithm.ML_DSA_44], ids=["SM2", "ML-DSA-44"])
def test_opt_in_algorithm_refused_by_default_policy(alg: Algorithm) -> None:
    """A verifier whose policy does not allow SM2 (or ML-DSA-44) refuses such a credential with
    algorithm_not_allowed even though it trusts the key; allowing it accepts it."""
    text = make_issuer(alg).issue(sample_licence(0), now=FIXED_NOW)
    assert _reason(lambda: make_verifier_all(Policy()).verify(text, now=FIXED_NOW)) is (
        Reason.ALGORITHM_NOT_ALLOWED
    )
    only_sm2 = make_verifier_all(Policy(allowed_algorithms=frozenset({Algorithm.SM2})))
    if alg is Algorithm.SM2:
        assert only_sm2.verify(text, now=FIXED_NOW).algorithm is alg
    else:
        assert _reason(lambda: only_sm2.verify(text, now=FIXED_NOW)) is (
            Reason.ALGORITHM_NOT_ALLOWED
        )


def test_verified_result_serialises() -> None:
    """to_json gives the verdict fields a verifier app shows."""
    text = make_issuer().issue(sample_licence(2), now=FIXED_NOW)
    out = make_verifier().verify(text, now=FIXED_NOW).to_json()
    assert out["valid"] is True and out["drive_permitted"] == "no"
    assert out["licence"]["status"] == "BD"


def test_time_checks_in_verify() -> None:
    """Expired, not-yet-valid and issued-in-the-future credentials get their own reasons."""
    issuer, verifier = make_issuer(), make_verifier(Policy(clock_skew=timedelta(0)))
    text = issuer.issue(sample_licence(0), now=FIXED_NOW, valid_for=timedelta(hours=1))
    assert (
        _reason(lambda: verifier.verify(text, now=FIXED_NOW + timedelta(hours=1))) is Reason.EXPIRED
    )
    assert (
        _reason(lambda: verifier.verify(text, now=FIXED_NOW - timedelta(seconds=1)))
        is Reason.ISSUED_IN_FUTURE
    )
    later = issuer.issue(
        sample_licence(0), now=FIXED_NOW, not_before=FIXED_NOW + timedelta(minutes=10)
    )
    assert (
        _reason(lambda: verifier.verify(later, now=FIXED_NOW + timedelta(minutes=1)))
        is Reason.NOT_YET_VALID
    )


def test_clock_skew_default_tolerates_a_minute() -> None:
    """The default policy accepts a credential signed 30 s ahead of the verifier's clock."""
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    make_verifier().verify(text, now=FIXED_NOW - timedelta(seconds=30))


def test_unknown_key() -> None:
    """A credential from a key not in the trust store is unknown_key, with the kid as evidence."""
    text = make_issuer(index=7).issue(sample_licence(0), now=FIXED_NOW)
    with pytest.raises(QrsealError) as info:
        make_verifier().verify(text, now=FIXED_NOW)
    assert info.value.reason is Reason.UNKNOWN_KEY
    assert info.value.kid == make_signer(index=7).kid  # type: ignore[attr-defined]


def test_kid_of_another_issuer() -> None:
    """A key trusted for issuer CN-BJ cannot sign in the name of CN-TEST: issuer_mismatch."""
    key = make_private_key(index=3)
    store = TrustStore([TrustedKey(key.public_key(), "CN-BJ")])
    text = Issuer(signer=key, issuer=TEST_ISSUER).issue(sample_licence(0), now=FIXED_NOW)
    assert _reason(lambda: Verifier(store).verify(text, now=FIXED_NOW)) is Reason.ISSUER_MISMATCH


def test_shared_kid_tries_every_key() -> None:
    """When two trusted keys share a kid, the one whose signature verifies is used."""
    right, wrong = make_private_key(index=1), make_private_key(index=2)
    kid = make_signer(index=1).kid
    store = TrustStore(
        [
            TrustedKey(wrong.public_key(), "CN-X", kid=kid),
            TrustedKey(right.public_key(), "CN-Y", kid=kid),
        ]
    )
    text = Issuer(signer=right, issuer="CN-Y").issue(sample_licence(0), now=FIXED_NOW)
    assert Verifier(store).verify(text, now=FIXED_NOW).issuer == "CN-Y"
    only_wrong = TrustStore([TrustedKey(wrong.public_key(), "CN-X", kid=kid)])
    assert (
        _reason(lambda: Verifier(only_wrong).verify(text, now=FIXED_NOW))
        is Reason.SIGNATURE_INVALID
    )


def test_key_validity_window() -> None:
    """A credential signed outside the key's not_before/not_after window is key_not_valid_at_time."""
    key = make_private_key()
    store = TrustStore(
        [TrustedKey(key.public_key(), TEST_ISSUER, not_after=FIXED_NOW - timedelta(days=1))]
    )
    text = Issuer(signer=key, issuer=TEST_ISSUER).issue(sample_licence(0), now=FIXED_NOW)
    assert (
        _reason(lambda: Verifier(store).verify(text, now=FIXED_NOW)) is Reason.KEY_NOT_VALID_AT_TIME
    )


def test_policy_algorithm_allow_list() -> None:
    """An algorithm outside the policy's allow-list is refused even for a trusted key."""
    text = make_issuer(Algorithm.EDDSA).issue(sample_licence(0), now=FIXED_NOW)
    verifier = make_verifier(Policy(allowed_algorithms=frozenset({Algorithm.ES256})))
    assert _reason(lambda: verifier.verify(text, now=FIXED_NOW)) is Reason.ALGORITHM_NOT_ALLOWED


def test_data_age_cap() -> None:
    """max_data_age rejects a licence whose points/status data is too old."""
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    verifier = make_verifier(Policy(max_data_age=timedelta(minutes=30)))
    assert _reason(lambda: verifier.verify(text, now=FIXED_NOW)) is Reason.DATA_TOO_OLD


def test_verifier_needs_trust() -> None:
    """A verifier without trusted keys cannot be built (fail closed)."""
    with pytest.raises(InvalidArgument):
        Verifier(TrustStore([]))
    with pytest.raises(InvalidArgument):
        Verifier(None)  # type: ignore[arg-type]


def test_issue_refuses_naive_time_and_bad_validity() -> None:
    """Issuing needs an aware 'now' and a validity in (0, 366 days]."""
    issuer = make_issuer()
    with pytest.raises(InvalidArgument):
        issuer.issue(sample_licence(0), now=FIXED_NOW.replace(tzinfo=None))
    for bad in (timedelta(0), timedelta(days=400)):
        with pytest.raises(InvalidArgument):
            issuer.issue(sample_licence(0), now=FIXED_NOW, valid_for=bad)


# --- hostile input -----------------------------------------------------------------


def _bomb_text() -> str:
    data = zlib.compress(b"\xd2" + b"\x00" * 2_000_000, 9)
    return (
        pack(data, DL_FORMAT, compress=False)
        if data[0] != 0x78
        else DL_FORMAT.header + _numeric(data)
    )


def _numeric(data: bytes) -> str:
    from qrseal.wire.textcodec import numeric_encode

    return numeric_encode(data)


def _deep() -> object:
    value: object = 0
    for _ in range(40):
        value = [value]
    return value


HOSTILE: dict[str, tuple[Callable[[], str | bytes], Reason]] = {
    "oversized text": (lambda: "DL1:" + "0" * 100_000, Reason.TOO_LARGE),
    "oversized bytes input": (lambda: b"DL1:" + b"0" * 100_000, Reason.TOO_LARGE),
    "decompression bomb": (_bomb_text, Reason.TOO_LARGE),
    "unknown prefix": (lambda: "XX1:0123", Reason.UNSUPPORTED_VERSION),
    "future version": (lambda: "DL2:0123", Reason.UNSUPPORTED_VERSION),
    "no prefix": (lambda: "hello", Reason.MALFORMED_TEXT),
    "non-digit body": (lambda: "DL1:12A", Reason.MALFORMED_TEXT),
    "non-ASCII bytes": (lambda: "DL1:١٢٣".encode(), Reason.MALFORMED_TEXT),
    "deep nesting": (lambda: _forge(unprotected={99: _deep()}), Reason.MALFORMED_CBOR),
    "indefinite length": (
        lambda: pack(bytes.fromhex("d29f40a04040ff"), DL_FORMAT, compress=False),
        Reason.MALFORMED_CBOR,
    ),
    "duplicate map keys": (
        lambda: pack(
            bytes.fromhex("d28440a2181801181802") + b"\x40\x40", DL_FORMAT, compress=False
        ),
        Reason.MALFORMED_CBOR,
    ),
    "trailing bytes": (lambda: _trailing(), Reason.MALFORMED_CBOR),
    "wrong tag": (lambda: _forge(tag=17), Reason.MALFORMED_COSE),
    "missing tag": (lambda: _forge(tag=None), Reason.MALFORMED_COSE),
    "alg only unprotected": (
        lambda: _forge(protected={4: make_signer().kid}, unprotected={1: -7}),
        Reason.MALFORMED_COSE,  # §2: the unprotected header of a credential is empty
    ),
    "kid only unprotected": (
        lambda: _forge(protected={1: -7}, unprotected={4: make_signer().kid}),
        Reason.MALFORMED_COSE,
    ),
    "algorithm/key mismatch": (
        lambda: _forge(protected={1: int(Algorithm.EDDSA), 4: make_signer().kid}),
        Reason.ALGORITHM_NOT_ALLOWED,
    ),
    "unknown algorithm": (
        lambda: _forge(protected={1: -999, 4: make_signer().kid}),
        Reason.ALGORITHM_NOT_ALLOWED,
    ),
    "unknown critical header": (
        lambda: _forge(protected={1: -7, 4: make_signer().kid, 2: [77], 77: 1}),
        Reason.UNKNOWN_CRITICAL_HEADER,
    ),
    "payload not a map": (lambda: _forge(payload=cbor2.dumps([1, 2])), Reason.MALFORMED_CLAIMS),
    "payload trailing bytes": (
        lambda: _forge(payload=_claims_bytes() + b"\x00"),
        Reason.MALFORMED_CLAIMS,
    ),
    "licence claim missing": (
        lambda: _forge(payload=_claims_bytes(extra={})),
        Reason.MALFORMED_CLAIMS,
    ),
    "licence claim garbage": (
        lambda: _forge(payload=_claims_bytes(extra={LICENCE_CLAIM: "x"})),
        Reason.INVALID_LICENCE,
    ),
    "signature truncated": (
        lambda: _resign(lambda body: [*body[:3], body[3][:-1]]),
        Reason.SIGNATURE_INVALID,
    ),
}


def _claims_bytes(extra: dict[int, object] | None = None) -> bytes:
    licence_claim = {LICENCE_CLAIM: sample_licence(0).to_cbor_map()}
    return encode_claims(
        Claims(
            issuer=TEST_ISSUER,
            issued_at=FIXED_NOW,
            expires_at=FIXED_NOW + timedelta(hours=1),
            extra=licence_claim if extra is None else extra,
        )
    )


def _trailing() -> str:
    _, data = unpack(make_issuer().issue(sample_licence(0), now=FIXED_NOW), (DL_FORMAT,))
    return pack(data + b"\x00", DL_FORMAT, compress=False)


def _resign(change: Callable[[list[bytes]], list[bytes]]) -> str:
    _, data = unpack(make_issuer().issue(sample_licence(0), now=FIXED_NOW), (DL_FORMAT,))
    body = list(cbor2.loads(data).value)
    return pack(cbor2.dumps(cbor2.CBORTag(18, change(body))), DL_FORMAT, compress=False)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_rejected_with_reason(name: str) -> None:
    """Each hostile input is rejected with its specific, stable reason code."""
    build, reason = HOSTILE[name]
    text = build()
    assert _reason(lambda: make_verifier().verify(text, now=FIXED_NOW)) is reason


def _cose_of(text: str) -> bytes:
    return unpack(text, (DL_FORMAT,))[1]


def test_every_bit_flip_of_signed_bytes_is_rejected() -> None:
    """Flipping any single bit of a credential's COSE bytes makes verification fail (exhaustive)."""
    verifier = make_verifier()
    cose = _cose_of(make_issuer().issue(sample_licence(0), now=FIXED_NOW))
    for i in range(len(cose)):
        for bit in range(8):
            damaged = bytearray(cose)
            damaged[i] ^= 1 << bit
            data = bytes(damaged)
            text = (
                pack(data, DL_FORMAT, compress=False)
                if data[0] != 0x78
                else DL_FORMAT.header + _numeric(data)
            )
            with pytest.raises(QrsealError):
                verifier.verify(text, now=FIXED_NOW)


def test_every_truncation_is_rejected() -> None:
    """Every proper prefix of the COSE bytes, and of the text, is rejected."""
    verifier = make_verifier()
    text = make_issuer(Algorithm.EDDSA).issue(sample_licence(3), now=FIXED_NOW)
    cose = _cose_of(text)
    for n in range(1, len(cose)):
        with pytest.raises(QrsealError):
            verifier.verify(pack(cose[:n], DL_FORMAT, compress=False), now=FIXED_NOW)
    for n in range(len(text)):
        with pytest.raises(QrsealError):
            verifier.verify(text[:n], now=FIXED_NOW)


_VALID_TEXT = make_issuer().issue(sample_licence(1), now=FIXED_NOW)
_VALID_COSE = _cose_of(_VALID_TEXT)


def _accepts_only_original(text: str | bytes) -> None:
    try:
        result = make_verifier().verify(text, now=FIXED_NOW)
    except QrsealError:
        return
    # Acceptance is allowed only when nothing signed changed.
    original = make_verifier().verify(_VALID_TEXT, now=FIXED_NOW)
    assert result.licence == original.licence and result.claims == original.claims


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_text_mutations_only_raise_qrseal_errors(data: st.DataObject) -> None:
    """Random edits of a valid credential text raise only QrsealError, never accept changed content."""
    text = _VALID_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        ch = data.draw(st.characters(codec="utf-8"))
        if op == "replace" and pos < len(text):
            text = text[:pos] + ch + text[pos + 1 :]
        elif op == "insert":
            text = text[:pos] + ch + text[pos:]
        else:
            text = text[:pos] + text[pos + 1 :]
    _accepts_only_original(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_byte_mutations_only_raise_qrseal_errors(data: st.DataObject) -> None:
    """Random byte edits of the COSE bytes (re-encoded as text) raise only QrsealError."""
    cose = bytearray(_VALID_COSE)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(cose) - 1))
        op = data.draw(st.sampled_from(["set", "insert", "delete"]))
        value = data.draw(st.integers(0, 255))
        if op == "set":
            cose[pos] = value
        elif op == "insert":
            cose.insert(pos, value)
        elif len(cose) > 1:
            del cose[pos]
    raw = bytes(cose)
    text = (
        DL_FORMAT.header + _numeric(raw)
        if raw[:1] == b"\x78"
        else pack(raw, DL_FORMAT, compress=False)
    )
    _accepts_only_original(text)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.text(max_size=20)
        | st.binary(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.integers(-70000, 40) | st.text(max_size=3), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_signed_garbage_payloads_only_raise_qrseal_errors(payload: object) -> None:
    """Properly signed but arbitrary CBOR payloads are rejected with a QrsealError only."""
    with pytest.raises(QrsealError):
        make_verifier().verify(_forge(payload=cbor2.dumps(payload)), now=FIXED_NOW)


def test_inspect_unverified_shows_content_of_untrusted_credential() -> None:
    """inspect_unverified decodes a credential from an unknown key and says nothing is verified."""
    text = make_issuer(index=9).issue(sample_licence(4), now=FIXED_NOW)
    info = inspect_unverified(text)
    assert (
        info.licence is not None
        and info.licence.document_number == sample_licence(4).document_number
    )
    assert info.claims is not None and info.claims.issuer == TEST_ISSUER
    assert info.problem is None


def test_compressed_credentials_verify() -> None:
    """A credential packed with zlib (forced) verifies the same as the plain one."""
    licence = sample_licence(0)
    issuer = Issuer(signer=make_signer(), issuer=TEST_ISSUER, compress=True)
    text = issuer.issue(licence, now=FIXED_NOW)
    assert (
        make_verifier().verify(text, now=FIXED_NOW).licence
        == make_verifier()
        .verify(make_issuer().issue(licence, now=FIXED_NOW), now=FIXED_NOW)
        .licence
    )


def test_base45_format_is_not_accepted_by_default() -> None:
    """Only the DL1 numeric format is read; the same bytes under another format header are refused."""
    cose = _cose_of(make_issuer().issue(sample_licence(0), now=FIXED_NOW))
    other = pack(cose, TextFormat("DL", 9, DL_FORMAT.encoding))
    assert (
        _reason(lambda: make_verifier().verify(other, now=FIXED_NOW)) is Reason.UNSUPPORTED_VERSION
    )


def test_policy_is_immutable() -> None:
    """Policy is a frozen value; variants are made with dataclasses.replace."""
    policy = Policy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.clock_skew = timedelta(0)  # type: ignore[misc]
    assert dataclasses.replace(policy, clock_skew=timedelta(0)).clock_skew == timedelta(0)


def test_all_samples_and_trust_store_helpers() -> None:
    """The testing helpers give five samples and a trust store with one key per algorithm."""
    assert len(sample_licences()) == 5
    assert len(make_trust_store()) == 3


@pytest.mark.parametrize("fields", [None, "all"])
def test_issued_payload_is_deterministic_encoding(fields: str | None) -> None:
    """The signed payload equals its RFC 8949 §4.2.1 deterministic re-encoding, for every sample."""
    from qrseal.licence.model import ALL_FIELDS
    from qrseal.wire.cose import decode_sign1, strict_loads

    issuer = Issuer(signer=make_signer(), issuer=TEST_ISSUER, fields=ALL_FIELDS if fields else None)
    for licence in sample_licences():
        payload = decode_sign1(issuer.sign(licence, now=FIXED_NOW).cose).payload
        assert deterministic_dumps(strict_loads(payload)) == payload


# --- credential lifetime and validity window (issue 9, item 10) ------------------------------


def _lifetime_text(
    lifetime: timedelta, *, issued_at: datetime = FIXED_NOW, not_before: datetime | None = None
) -> str:
    """A credential signed by the test key with ``exp - iat == lifetime``."""
    payload = encode_claims(
        Claims(
            issuer=TEST_ISSUER,
            issued_at=issued_at,
            expires_at=issued_at + lifetime,
            not_before=not_before,
            extra={LICENCE_CLAIM: sample_licence(0).to_cbor_map()},
        )
    )
    return _forge(payload=payload)


def test_default_max_validity_is_the_issuers_limit() -> None:
    """The policy's default maximum lifetime is the issuer's own MAX_VALIDITY (366 days)."""
    assert Policy().max_validity == MAX_VALIDITY == timedelta(days=366)


def test_lifetime_at_the_maximum_is_accepted() -> None:
    """A credential valid for exactly the maximum lifetime verifies."""
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW, valid_for=MAX_VALIDITY)
    assert make_verifier().verify(text, now=FIXED_NOW).expires_at == FIXED_NOW + MAX_VALIDITY
    make_verifier().verify(_lifetime_text(MAX_VALIDITY), now=FIXED_NOW)


def test_lifetime_one_second_over_the_maximum_is_refused() -> None:
    """One second more than the policy's maximum lifetime is validity_too_long."""
    text = _lifetime_text(MAX_VALIDITY + timedelta(seconds=1))
    with pytest.raises(ValidityTooLong) as info:
        make_verifier().verify(text, now=FIXED_NOW)
    assert info.value.reason is Reason.VALIDITY_TOO_LONG
    assert info.value.limit == MAX_VALIDITY
    assert info.value.lifetime == MAX_VALIDITY + timedelta(seconds=1)


def test_policy_max_validity_is_honoured() -> None:
    """A stricter policy refuses a default 72 h credential; a looser one accepts a longer one."""
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    strict = make_verifier(Policy(max_validity=timedelta(hours=71, minutes=59, seconds=59)))
    assert _reason(lambda: strict.verify(text, now=FIXED_NOW)) is Reason.VALIDITY_TOO_LONG
    make_verifier(Policy(max_validity=timedelta(hours=72))).verify(text, now=FIXED_NOW)
    long = _lifetime_text(timedelta(days=400))
    make_verifier(Policy(max_validity=timedelta(days=400))).verify(long, now=FIXED_NOW)
    for bad in (timedelta(0), timedelta(seconds=-1)):
        with pytest.raises(InvalidArgument):
            Policy(max_validity=bad)


def test_retired_key_cannot_sign_for_the_far_future() -> None:
    """A key retired tomorrow signing today with exp in 9999 is refused years later."""
    retire = FIXED_NOW + timedelta(days=1)
    key = TrustedKey(make_private_key().public_key(), TEST_ISSUER, not_after=retire)
    verifier = Verifier(TrustStore([key]))
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    text = _lifetime_text(far - FIXED_NOW)
    years_later = FIXED_NOW + timedelta(days=3650)
    assert _reason(lambda: verifier.verify(text, now=years_later)) is Reason.VALIDITY_TOO_LONG


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=1)], ids=["equal", "after"])
def test_nbf_not_before_exp_is_refused(offset: timedelta) -> None:
    """nbf == exp (an empty window) and nbf > exp are malformed_claims, whatever the time."""
    exp = FIXED_NOW + timedelta(hours=1)
    text = _lifetime_text(timedelta(hours=1), not_before=exp + offset)
    verifier = make_verifier()
    for now in (FIXED_NOW, exp, exp + offset):
        with pytest.raises(QrsealError) as info:
            verifier.verify(text, now=now)
        assert info.value.reason is Reason.MALFORMED_CLAIMS
    ok = _lifetime_text(timedelta(hours=1), not_before=exp - timedelta(seconds=1))
    verifier.verify(ok, now=exp - timedelta(seconds=1))


def test_issuer_refuses_not_before_at_or_after_expiry() -> None:
    """The issuer will not sign nbf >= exp, which every verifier refuses."""
    issuer = make_issuer()
    exp = FIXED_NOW + timedelta(hours=1)
    for nbf in (exp, exp + timedelta(seconds=1)):
        with pytest.raises(InvalidArgument):
            issuer.issue(
                sample_licence(0), now=FIXED_NOW, valid_for=timedelta(hours=1), not_before=nbf
            )
    issuer.issue(
        sample_licence(0),
        now=FIXED_NOW,
        valid_for=timedelta(hours=1),
        not_before=exp - timedelta(seconds=1),
    )


# --- boundaries: exactly at a limit and one second (or one character) past it ------------


def test_issued_ahead_exactly_by_the_skew_passes_one_second_more_fails() -> None:
    """iat = now + clock_skew is accepted; iat = now + clock_skew + 1 s is issued_in_future."""
    skew = Policy().clock_skew
    issuer, verifier = make_issuer(), make_verifier()
    at_limit = issuer.issue(sample_licence(0), now=FIXED_NOW + skew)
    verifier.verify(at_limit, now=FIXED_NOW)
    past = issuer.issue(sample_licence(0), now=FIXED_NOW + skew + timedelta(seconds=1))
    assert _reason(lambda: verifier.verify(past, now=FIXED_NOW)) is Reason.ISSUED_IN_FUTURE


def test_not_before_exactly_the_skew_ahead_passes_one_second_more_fails() -> None:
    """nbf = now + clock_skew is accepted; nbf one second later is not_yet_valid."""
    skew = Policy().clock_skew
    issuer, verifier = make_issuer(), make_verifier()
    nbf = FIXED_NOW + timedelta(hours=1)
    text = issuer.issue(sample_licence(0), now=FIXED_NOW, not_before=nbf)
    verifier.verify(text, now=nbf - skew)
    assert (
        _reason(lambda: verifier.verify(text, now=nbf - skew - timedelta(seconds=1)))
        is Reason.NOT_YET_VALID
    )


def test_expiry_plus_skew_is_the_first_refused_second() -> None:
    """exp + clock_skew - 1 s is still accepted; at exp + clock_skew the credential expired."""
    skew = Policy().clock_skew
    issuer, verifier = make_issuer(), make_verifier()
    valid_for = timedelta(days=1)
    text = issuer.issue(sample_licence(0), now=FIXED_NOW, valid_for=valid_for)
    exp = FIXED_NOW + valid_for
    verifier.verify(text, now=exp + skew - timedelta(seconds=1))
    assert _reason(lambda: verifier.verify(text, now=exp + skew)) is Reason.EXPIRED


def test_zero_skew_boundaries() -> None:
    """With clock_skew=0: iat = now passes, iat = now + 1 s does not; exp - 1 s passes, exp not."""
    issuer, verifier = make_issuer(), make_verifier(Policy(clock_skew=timedelta(0)))
    text = issuer.issue(sample_licence(0), now=FIXED_NOW, valid_for=timedelta(hours=1))
    verifier.verify(text, now=FIXED_NOW)
    assert (
        _reason(lambda: verifier.verify(text, now=FIXED_NOW - timedelta(seconds=1)))
        is Reason.ISSUED_IN_FUTURE
    )
    verifier.verify(text, now=FIXED_NOW + timedelta(hours=1) - timedelta(seconds=1))
    assert (
        _reason(lambda: verifier.verify(text, now=FIXED_NOW + timedelta(hours=1))) is Reason.EXPIRED
    )


def test_text_exactly_at_the_length_cap_passes_one_more_is_too_large() -> None:
    """A credential text of exactly max_text_chars verifies; one character over the cap is
    too_large (as str and as bytes), before anything is decoded."""
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    exact = make_verifier(Policy(max_text_chars=len(text)))
    exact.verify(text, now=FIXED_NOW)
    exact.verify(text.encode("ascii"), now=FIXED_NOW)
    short = make_verifier(Policy(max_text_chars=len(text) - 1))
    for value in (text, text.encode("ascii")):
        with pytest.raises(QrsealError) as info:
            short.verify(value, now=FIXED_NOW)
        assert info.value.reason is Reason.TOO_LARGE
        assert info.value.limit == len(text) - 1  # type: ignore[attr-defined]


def test_issuer_signer_is_keyword_only_positional_deprecated() -> None:
    """Issuer(signer=...) is the spelling; a positional signer still works with a
    DeprecationWarning; both at once, or none, is invalid_argument."""
    key = make_private_key()
    text = Issuer(signer=key, issuer=TEST_ISSUER).issue(sample_licence(0), now=FIXED_NOW)
    with pytest.warns(DeprecationWarning, match="signer="):
        old = Issuer(key, issuer=TEST_ISSUER)
    verifier = Verifier(TrustStore([TrustedKey(key.public_key(), TEST_ISSUER)]))
    for made in (text, old.issue(sample_licence(0), now=FIXED_NOW)):
        assert verifier.verify(made, now=FIXED_NOW).issuer == TEST_ISSUER
    assert _reason(lambda: Issuer(key, signer=key, issuer=TEST_ISSUER)) is Reason.INVALID_ARGUMENT
    assert _reason(lambda: Issuer(issuer=TEST_ISSUER)) is Reason.INVALID_ARGUMENT
