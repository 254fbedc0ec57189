"""CWT layer: claims encoding/decoding and time checks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrseal.errors import (
    Expired,
    InvalidArgument,
    IssuedInFuture,
    MalformedClaims,
    NotYetValid,
    ValidityTooLong,
)
from qrseal.wire import cwt
from qrseal.wire.cwt import Claim, Claims
from tests.vectors import load_vector

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _claims(**kw: object) -> Claims:
    base: dict[str, object] = {
        "issuer": "CN-TEST",
        "issued_at": T0,
        "expires_at": T0 + timedelta(hours=1),
    }
    base.update(kw)
    return Claims(**base)  # type: ignore[arg-type]


def test_round_trip_with_extra_claims() -> None:
    """Encoded claims decode to the same values; extra claims come back undecoded."""
    claims = _claims(not_before=T0, cti=b"\x01\x02", extra={-65537: {1: "LI"}})
    decoded = cwt.decode_claims(cwt.encode_claims(claims))
    assert decoded.issuer == "CN-TEST" and decoded.issued_at == T0 and decoded.not_before == T0
    assert decoded.expires_at == T0 + timedelta(hours=1) and decoded.cti == b"\x01\x02"
    assert dict(decoded.extra) == {-65537: {1: "LI"}}


def test_encoding_is_deterministic_and_integer_keyed() -> None:
    """The same claims always give the same bytes, with integer claim keys in bytewise order."""
    a = cwt.encode_claims(_claims(extra={-65537: 1}))
    assert a == cwt.encode_claims(_claims(extra={-65537: 1}))
    assert list(cbor2.loads(a)) == [Claim.ISS, Claim.EXP, Claim.IAT, -65537]


def test_rfc8392_a3_claims_decode() -> None:
    """The claims of RFC 8392 Appendix A.3 decode; sub and aud land in extra."""
    case = load_vector("cose-wg", "CWT", "A_3.json")
    claims = cwt.decode_claims(bytes.fromhex(case["input"]["plaintext_hex"]))
    assert claims.issuer == "coap://as.example.com"
    assert claims.issued_at == datetime.fromtimestamp(0x5610D9F0, UTC)
    assert claims.expires_at == datetime.fromtimestamp(0x5612AEB0, UTC)
    assert claims.cti == bytes.fromhex("0b71")
    assert claims.extra[Claim.SUB] == "erikw"


@pytest.mark.parametrize(
    "payload",
    [
        cbor2.dumps([1]),
        cbor2.dumps({"iss": "x"}),
        cbor2.dumps({1: 5, 6: 0, 4: 10}),
        cbor2.dumps({1: "x", 4: 10}),
        cbor2.dumps({1: "x", 6: 10, 4: 5}),
        cbor2.dumps({1: "x", 6: 1.5, 4: 10}),
        cbor2.dumps({1: "x", 6: -1, 4: 10}),
        cbor2.dumps({1: "x", 6: 0, 4: 2**64}),
        cbor2.dumps({1: "x", 6: 0, 4: 10, 7: "cti"}),
        cbor2.dumps({1: "x", 6: True, 4: 10}),
        cbor2.dumps({1: "x", 6: 0, 4: 10}) + b"\x00",
        b"\xa1\x01",
    ],
)
def test_malformed_claims_rejected(payload: bytes) -> None:
    """Non-map, text keys, missing/ill-typed/out-of-range times, exp<=iat and bad CBOR are malformed_claims."""
    with pytest.raises(MalformedClaims):
        cwt.decode_claims(payload)


def test_time_checks() -> None:
    """iat in the future, nbf in the future and exp passed each raise their own error."""
    claims = _claims(not_before=T0 + timedelta(minutes=5))
    with pytest.raises(IssuedInFuture):
        cwt.check_times(_claims(), now=T0 - timedelta(seconds=1))
    with pytest.raises(NotYetValid):
        cwt.check_times(claims, now=T0 + timedelta(minutes=1))
    with pytest.raises(Expired) as info:
        cwt.check_times(_claims(), now=T0 + timedelta(hours=1))
    assert info.value.expired_at == T0 + timedelta(hours=1)
    cwt.check_times(_claims(), now=T0 + timedelta(minutes=59, seconds=59))


def test_leeway_widens_both_ends() -> None:
    """Leeway accepts a slightly early iat and a slightly late exp, and nothing beyond."""
    skew = timedelta(seconds=30)
    cwt.check_times(_claims(), now=T0 - skew, leeway=skew)
    cwt.check_times(_claims(), now=T0 + timedelta(hours=1) + timedelta(seconds=29), leeway=skew)
    with pytest.raises(Expired):
        cwt.check_times(_claims(), now=T0 + timedelta(hours=1) + skew, leeway=skew)


def test_max_lifetime_boundary() -> None:
    """exp - iat equal to max_lifetime passes; one second more is ValidityTooLong, leeway or not."""
    limit = timedelta(hours=1)
    cwt.check_times(_claims(), now=T0, max_lifetime=limit)
    longer = _claims(expires_at=T0 + limit + timedelta(seconds=1))
    cwt.check_times(longer, now=T0)  # no cap given: the low-level check has none
    with pytest.raises(ValidityTooLong) as info:
        cwt.check_times(longer, now=T0, leeway=timedelta(minutes=5), max_lifetime=limit)
    assert info.value.lifetime == limit + timedelta(seconds=1) and info.value.limit == limit


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=1)], ids=["equal", "after"])
def test_nbf_at_or_after_exp_is_malformed(offset: timedelta) -> None:
    """nbf == exp and nbf > exp leave no valid instant: MalformedClaims at any time."""
    claims = _claims(not_before=T0 + timedelta(hours=1) + offset)
    for now in (T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)):
        with pytest.raises(MalformedClaims):
            cwt.check_times(claims, now=now, leeway=timedelta(minutes=1))


def test_time_checks_at_the_end_of_the_calendar() -> None:
    """Dates near 9999-12-31 plus leeway give typed verdicts, never OverflowError."""
    end = cwt.from_numeric_date(cwt.MAX_NUMERIC_DATE, "exp")
    claims = _claims(expires_at=end)
    skew = timedelta(minutes=5)
    cwt.check_times(claims, now=T0, leeway=skew)
    with pytest.raises(Expired):
        cwt.check_times(claims, now=end, leeway=timedelta(0))
    late = _claims(issued_at=end - timedelta(seconds=2), expires_at=end)
    with pytest.raises(IssuedInFuture):
        cwt.check_times(late, now=T0, leeway=skew)
    cwt.check_times(late, now=end - timedelta(seconds=1), leeway=skew)


def test_naive_now_is_refused() -> None:
    """A naive datetime is an invalid argument, never silently local time."""
    with pytest.raises(InvalidArgument):
        cwt.check_times(_claims(), now=datetime(2026, 11, 25, 9, 0))


def test_extra_claim_may_not_shadow_modelled_claim() -> None:
    """Putting iss into extra is refused instead of silently overriding it."""
    with pytest.raises(InvalidArgument):
        cwt.encode_claims(_claims(extra={Claim.ISS: "other"}))


_CLAIM_KEYS = st.one_of(
    st.integers(-70000, 70000),
    st.sampled_from([-65537, 0, 1, 4, 5, 6, 7, 8, 65535]),
    st.text(max_size=3),
)
_CLAIM_VALUES = st.one_of(
    st.integers(-(2**70), 2**70),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.integers(0, 30), st.text(max_size=5), max_size=4),
)


def _encoded_or_error(encode: Callable[[], bytes]) -> bytes | type[Exception]:
    try:
        return encode()
    except InvalidArgument as exc:
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(
    extra=st.dictionaries(_CLAIM_KEYS, _CLAIM_VALUES, max_size=4),
    nbf=st.booleans(),
    cti=st.none() | st.binary(max_size=20),
    seconds=st.integers(0, 10**9),
)
def test_claims_writer_writes_what_encode_claims_writes(
    extra: dict[int, object], nbf: bool, cti: bytes | None, seconds: int
) -> None:
    """ClaimsWriter (shared claims encoded once) gives encode_claims's bytes, or its
    error, for any extra claims (before, among, after or colliding with the shared keys)."""
    now = T0 + timedelta(seconds=seconds, microseconds=seconds % 7)
    shared = _claims(issued_at=now, expires_at=now + timedelta(days=1),
                     not_before=now if nbf else None, cti=cti)  # fmt: skip
    whole = Claims(shared.issuer, shared.issued_at, shared.expires_at, shared.not_before,
                   shared.cti, extra)  # fmt: skip
    writer = cwt.ClaimsWriter(shared)
    expected = _encoded_or_error(lambda: cwt.encode_claims(whole, sort_extra=False))
    assert _encoded_or_error(lambda: writer.encode(extra)) == expected


def test_claims_writer_takes_no_extra_claims_as_shared() -> None:
    """The shared claims of a ClaimsWriter are iss, iat, exp, nbf and cti only."""
    with pytest.raises(InvalidArgument):
        cwt.ClaimsWriter(_claims(extra={-65537: 1}))


def test_check_instants_with_expiry_grace_and_absent_claims() -> None:
    """check_instants (the time checks credentials and status lists share): exp, nbf may be
    absent; Expired from now - exp >= leeway + grace, with the exp as evidence; the subject
    names the object in the message."""
    exp = T0 + timedelta(hours=1)
    skew, grace, second = timedelta(seconds=30), timedelta(hours=6), timedelta(seconds=1)
    check = functools.partial(cwt.check_instants, issued_at=T0, not_before=None, leeway=skew)
    check(expires_at=None, now=T0 + timedelta(days=10_000))
    limit = exp + skew + grace
    check(expires_at=exp, now=limit - second, expiry_grace=grace)
    with pytest.raises(Expired) as info:
        check(expires_at=exp, now=limit, expiry_grace=grace, subject="status list")
    assert (info.value.expired_at, info.value.now) == (exp, limit)
    assert "status list" in info.value.message
    with pytest.raises(NotYetValid) as nyv:
        cwt.check_instants(
            issued_at=T0, not_before=T0 + skew + second, expires_at=None, now=T0, leeway=skew
        )
    assert nyv.value.not_before == T0 + skew + second


def test_check_instants_with_near_maximal_leeway_and_grace_does_not_overflow() -> None:
    """leeway + expiry_grace beyond timedelta's range and an exp at 9999-12-31: a verdict,
    never OverflowError."""
    end = cwt.from_numeric_date(cwt.MAX_NUMERIC_DATE, "exp")
    big = timedelta(days=999_999_000)
    cwt.check_instants(
        issued_at=T0, not_before=None, expires_at=T0, now=end, leeway=big, expiry_grace=big
    )
    cwt.check_instants(issued_at=end, not_before=end, expires_at=end, now=T0, leeway=big)
    with pytest.raises(Expired):
        cwt.check_instants(
            issued_at=T0,
            not_before=None,
            expires_at=T0,
            now=end,
            leeway=timedelta(0),
            expiry_grace=timedelta(days=1),
        )
