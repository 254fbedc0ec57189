"""Status List Tokens (qrseal.status.token): signing, verifying in order, claims, times, sizes and
the draft's example token."""

from __future__ import annotations

import contextlib
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from qrseal.errors import Expired, QrsealError, Reason, TooLarge
from qrseal.licence.profile import DEFAULT_ALGORITHMS
from qrseal.status.lists import (
    Compression,
)
from qrseal.status.reference import (
    StatusReference,
)
from qrseal.status.snapshots import (
    StatusMeaning,
    StatusSnapshots,
)
from qrseal.status.token import (
    DEFAULT_STATUS_ALGORITHMS,
    STATUS_LIST_TYP,
    KeyResolver,
    verify_status_list,
)
from qrseal.testing import make_signer
from qrseal.trust.store import TrustedKey
from qrseal.wire import cose
from qrseal.wire.cose import Algorithm, HeaderLabel
from qrseal.wire.keys import (
    LocalSigner,
)
from tests.status.support import (
    DRAFT_SHORT,
    HOUR,
    NOW,
    URI,
    draft_hex,
    draft_key,
    keys_of,
    sample_list,
    signed,
)


def test_draft_status_list_token_verifies_with_the_readme_key() -> None:
    """The draft's Status List Token verifies under the README's JWK (kid "12", unprotected)
    and yields the §4.1 1-bit list; its status_list map re-encodes byte for byte."""
    token = draft_hex("status_list_cwt.md")
    verified = verify_status_list(token, keys=[(b"12", draft_key())], now=NOW)
    assert verified.uri == "https://example.com/statuslists/1"
    assert verified.issued_at == datetime.fromtimestamp(1686920170, UTC)
    assert verified.expires_at == datetime.fromtimestamp(2291720170, UTC)
    assert verified.ttl == timedelta(seconds=43200)
    assert (verified.kid, verified.algorithm, verified.issuer) == (b"12", Algorithm.ES256, None)
    values = DRAFT_SHORT["status_list_encoding_cbor.md"][1]
    assert [verified.status_list.get(i) for i in range(16)] == values
    assert verified.status_list.to_cbor() in cose.decode_sign1(token).payload


def test_draft_status_list_token_rejected_under_another_key() -> None:
    """The draft's token does not verify under a different P-256 key offered with kid "12"."""
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(QrsealError) as info:
        verify_status_list(draft_hex("status_list_cwt.md"), keys=[(b"12", other)], now=NOW)
    assert info.value.reason is Reason.SIGNATURE_INVALID


@pytest.mark.parametrize(
    "alg", [Algorithm.ES256, Algorithm.EDDSA, Algorithm.SM2, Algorithm.ML_DSA_44]
)
def test_sign_and_verify_round_trip(alg: Algorithm) -> None:
    """A signed list verifies into an equal, read-only list with every claim as signed
    (SM2 and ML-DSA-44 when the verifier allows them; refused by the default set)."""
    status_list = sample_list()
    token, signer = signed(status_list, signer=make_signer(alg), issuer="CN-TEST")
    allowed = DEFAULT_STATUS_ALGORITHMS | {alg}
    verified = verify_status_list(
        token, keys=keys_of(signer), now=NOW + HOUR, expected_uri=URI, allowed=allowed
    )
    if alg not in DEFAULT_STATUS_ALGORITHMS:
        with pytest.raises(QrsealError) as refused:
            verify_status_list(token, keys=keys_of(signer), now=NOW + HOUR, expected_uri=URI)
        assert refused.value.reason is Reason.ALGORITHM_NOT_ALLOWED
    assert verified.status_list == status_list and verified.status_list.readonly
    assert (verified.uri, verified.issuer, verified.kid, verified.algorithm) == (
        URI,
        "CN-TEST",
        signer.kid,
        alg,
    )
    assert (verified.issued_at, verified.expires_at, verified.ttl) == (NOW, NOW + 24 * HOUR, HOUR)
    assert verified.refresh_after == NOW + HOUR
    msg = cose.decode_sign1(token)
    assert msg.protected[HeaderLabel.TYP] == STATUS_LIST_TYP
    assert msg.protected[HeaderLabel.KID] == signer.kid
    with pytest.raises(QrsealError) as info:
        verified.status_list.set(0, 0)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_claims_are_deterministic_and_optional_claims_can_be_left_out() -> None:
    """The claims map is written in ascending key order; ttl, exp and iss are optional."""
    token, signer = signed(sample_list(), ttl=None, valid_for=None)
    payload = cose.decode_sign1(token).payload
    assert list(cbor2.loads(payload)) == [2, 6, 65533]
    verified = verify_status_list(token, keys=keys_of(signer), now=NOW + 1000 * 24 * HOUR)
    assert (verified.expires_at, verified.ttl, verified.refresh_after) == (None, None, None)
    token, _ = signed(sample_list(), issuer="CN-TEST")
    assert list(cbor2.loads(cose.decode_sign1(token).payload)) == [1, 2, 4, 6, 65533, 65534]


def test_rle_compression_gives_the_same_list() -> None:
    """A token compressed with Compression.RLE verifies into the same list."""
    status_list = sample_list(100_000)
    token, signer = signed(status_list, compression=Compression.RLE)
    assert verify_status_list(token, keys=keys_of(signer), now=NOW).status_list == status_list


@pytest.mark.parametrize(
    "kwargs",
    [
        {"uri": ""},
        {"ttl": timedelta(0)},
        {"valid_for": timedelta(seconds=-5)},
        {"issuer": ""},
        {"now": datetime(2026, 1, 1)},
    ],
)
def test_bad_signing_arguments_are_invalid_argument(kwargs: dict[str, Any]) -> None:
    """An empty uri or issuer, a non-positive ttl or validity, a naive now are refused."""
    with pytest.raises(QrsealError) as info:
        signed(sample_list(), **kwargs)
    assert info.value.reason is Reason.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clock_skew": timedelta(seconds=-1)},
        {"expiry_grace": timedelta(microseconds=-1)},
        {"clock_skew": 60},
    ],
)
def test_negative_leeway_when_verifying_is_invalid_argument(kwargs: dict[str, Any]) -> None:
    """A negative (or non-duration) clock skew or expiry grace is refused before any check,
    not applied as a stricter-than-asked window."""
    token, signer = signed(sample_list())
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, **kwargs)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_tampered_token_is_rejected() -> None:
    """Changing one payload byte (inside lst) or the signature breaks the signature."""
    token, signer = signed(sample_list())
    payload = cose.decode_sign1(token).payload
    in_payload = token.index(payload) + len(payload) - 3
    for position in (in_payload, len(token) - 1):
        with pytest.raises(QrsealError) as info:
            verify_status_list(_flip(token, position), keys=keys_of(signer), now=NOW)
        assert info.value.reason is Reason.SIGNATURE_INVALID


def test_wrongly_signed_token_is_rejected() -> None:
    """A token signed by another key fails under the trusted key of the same kid, and its
    own kid is unknown to the trusted pairs."""
    token, _ = signed(sample_list(), signer=make_signer(index=1))
    trusted = make_signer()
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=lambda kid: [trusted.public_key], now=NOW)
    assert info.value.reason is Reason.SIGNATURE_INVALID
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(trusted), now=NOW)
    assert info.value.reason is Reason.UNKNOWN_KEY
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=[], now=NOW)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_algorithm_outside_the_allowed_set_is_refused() -> None:
    """An ES256 token is refused when only EdDSA is allowed."""
    token, signer = signed(sample_list())
    with pytest.raises(QrsealError) as info:
        verify_status_list(
            token, keys=keys_of(signer), now=NOW, allowed=frozenset({Algorithm.EDDSA})
        )
    assert info.value.reason is Reason.ALGORITHM_NOT_ALLOWED


def _custom_token(
    claims: dict[int, object], signer: LocalSigner, typ: object = STATUS_LIST_TYP
) -> bytes:
    extra = {} if typ is None else {int(HeaderLabel.TYP): typ}
    return cose.encode_sign1(
        cose.dumps_in_order(claims),
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        protected_extra=extra,
    )


def _good_claims() -> dict[int, object]:
    return {
        2: URI,
        6: int(NOW.timestamp()),
        4: int(NOW.timestamp()) + 3600,
        65533: sample_list().to_cbor_map(),
    }


@pytest.mark.parametrize("typ", [None, "application/cwt", "statuslist+cwt", 61])
def test_wrong_typ_is_rejected(typ: object) -> None:
    """A token whose protected typ is missing or not application/statuslist+cwt (a licence
    credential, a JWT-style value, a number) is not a status list."""
    signer = make_signer()
    token = _custom_token(_good_claims(), signer, typ)
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW)
    assert info.value.reason is Reason.STATUS_LIST_INVALID


def test_typ_only_in_the_unprotected_header_is_rejected() -> None:
    """typ must be integrity-protected."""
    signer = make_signer()
    token = cose.encode_sign1(
        cose.dumps_in_order(_good_claims()),
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        unprotected={int(HeaderLabel.TYP): STATUS_LIST_TYP},
    )
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW)
    assert info.value.reason is Reason.STATUS_LIST_INVALID


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({2: None}, Reason.MALFORMED_CLAIMS),
        ({2: ""}, Reason.MALFORMED_CLAIMS),
        ({6: None}, Reason.MALFORMED_CLAIMS),
        ({6: 1.5}, Reason.MALFORMED_CLAIMS),
        ({4: int(NOW.timestamp())}, Reason.MALFORMED_CLAIMS),
        ({65534: 0}, Reason.MALFORMED_CLAIMS),
        ({65534: True}, Reason.MALFORMED_CLAIMS),
        ({1: 7}, Reason.MALFORMED_CLAIMS),
        ({65533: None}, Reason.STATUS_LIST_INVALID),
        ({65533: {"bits": 1}}, Reason.STATUS_LIST_INVALID),
    ],
)
def test_bad_claims_are_rejected_after_the_signature(
    change: dict[int, object], reason: Reason
) -> None:
    """Missing or mistyped sub/iat, exp not after iat, ttl not positive, iss not text,
    a missing or bad status_list: each signed correctly, each rejected with its reason."""
    signer = make_signer()
    claims = _good_claims()
    for key, value in change.items():
        if value is None:
            del claims[key]
        else:
            claims[key] = value
    with pytest.raises(QrsealError) as info:
        verify_status_list(_custom_token(claims, signer), keys=keys_of(signer), now=NOW)
    assert info.value.reason is reason


def test_expired_list_is_rejected_unless_the_policy_grants_grace() -> None:
    """At exp the list is expired; an expiry grace (offline verifiers) accepts it until
    exp + grace, and not at exp + grace."""
    token, signer = signed(sample_list(), valid_for=HOUR)
    exp = NOW + HOUR
    verify_status_list(token, keys=keys_of(signer), now=exp - timedelta(seconds=1))
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=exp)
    assert info.value.reason is Reason.EXPIRED
    grace = timedelta(hours=6)
    verify_status_list(token, keys=keys_of(signer), now=exp + 5 * HOUR, expiry_grace=grace)
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=exp + grace, expiry_grace=grace)
    assert info.value.reason is Reason.EXPIRED


def test_list_issued_in_the_future_or_not_yet_valid_is_rejected() -> None:
    """iat later than now (beyond the clock skew) and nbf in the future are refused."""
    token, signer = signed(sample_list())
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW - timedelta(seconds=1))
    assert info.value.reason is Reason.ISSUED_IN_FUTURE
    verify_status_list(
        token,
        keys=keys_of(signer),
        now=NOW - timedelta(seconds=30),
        clock_skew=timedelta(seconds=60),
    )
    claims = {**_good_claims(), 5: int(NOW.timestamp()) + 60}
    with pytest.raises(QrsealError) as info:
        verify_status_list(_custom_token(claims, signer), keys=keys_of(signer), now=NOW)
    assert info.value.reason is Reason.NOT_YET_VALID


def test_oversized_token_or_list_is_too_large() -> None:
    """A token over max_bytes, or a list of more entries than max_entries, is too_large."""
    token, signer = signed(sample_list(80_000))
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, max_bytes=len(token) - 1)
    assert info.value.reason is Reason.TOO_LARGE
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, max_entries=79_996)
    assert info.value.reason is Reason.TOO_LARGE
    assert (
        len(
            verify_status_list(token, keys=keys_of(signer), now=NOW, max_entries=80_000).status_list
        )
        == 80_000
    )


def test_token_for_another_uri_is_rejected() -> None:
    """A valid token whose sub is not the URI it was fetched for is refused."""
    token, signer = signed(sample_list())
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, expected_uri=URI + "1")
    assert info.value.reason is Reason.STATUS_LIST_INVALID


_MUTATION_TOKEN, _MUTATION_SIGNER = signed(sample_list(64, 2), uri="u", signer=make_signer())


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "delete", "insert"]),
            st.integers(0, 10**6),
            st.integers(0, 255),
        ),
        min_size=1,
        max_size=4,
    ),
    truncate=st.integers(0, 20),
)
def test_random_token_mutations_only_raise_qrseal_errors(
    edits: list[tuple[str, int, int]], truncate: int
) -> None:
    """Flipped, deleted, inserted or truncated bytes never make anything but a QrsealError
    escape (a mutation in unsigned bytes may still verify)."""
    data = bytearray(_MUTATION_TOKEN)
    for kind, raw_position, byte in edits:
        position = raw_position % (len(data) + 1)
        if kind == "insert":
            data.insert(position, byte)
        elif data and position < len(data):
            if kind == "flip":
                data[position] ^= byte or 1
            else:
                del data[position]
    mutated = bytes(data[: len(data) - truncate])
    with contextlib.suppress(QrsealError):
        verify_status_list(mutated, keys=keys_of(_MUTATION_SIGNER), now=NOW)


def _bomb_token(packed_bytes: int, bits: int = 2) -> tuple[bytes, LocalSigner]:
    """A genuinely signed token whose lst is packed_bytes of zeros, deflated (about 1/1000)."""
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(packed_bytes >> 20)]
    lst = b"".join(parts) + comp.flush()
    signer = make_signer()
    claims = {2: URI, 6: int(NOW.timestamp()), 65533: {"bits": bits, "lst": lst}}
    return _custom_token(claims, signer), signer


def test_status_list_bomb_is_refused_within_bounded_memory() -> None:
    """issue 9 item 6: a 255 KB token inflating to 256 MiB is refused (too_large) by default,
    and refusing it costs a few MiB, not the 256 MiB it claims."""
    token, signer = _bomb_token(256 << 20)
    assert len(token) < 300_000
    tracemalloc.start()
    try:
        with pytest.raises(QrsealError) as info:
            verify_status_list(token, keys=keys_of(signer), now=NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.reason is Reason.TOO_LARGE
    assert peak < 16 << 20


def test_maximal_exp_and_ttl_with_grace_do_not_overflow() -> None:
    """issue 9 item 4: exp and iat at 9999-12-31T23:59:59Z, a ttl of 10^10 s, clock skew and
    grace: verified, stored and looked up without OverflowError."""
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    signer = make_signer()
    claims = {
        2: URI,
        4: int(last.timestamp()),
        6: int(last.timestamp()) - 1,
        65533: sample_list().to_cbor_map(),
        65534: 10**10,
    }
    token = _custom_token(claims, signer)
    big = timedelta(days=999_999_000)
    verified = verify_status_list(
        token, keys=keys_of(signer), now=NOW, clock_skew=big, expiry_grace=big
    )
    assert verified.refresh_after is not None and verified.refresh_after >= last
    store = StatusSnapshots([verified], expiry_grace=big)
    result = store.lookup(StatusReference(URI, 0), now=NOW, max_age=None)
    assert result.meaning is StatusMeaning.REVOKED
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=last)
    assert info.value.reason is Reason.EXPIRED


# --- boundaries ------------------------------------------------------------------------------------

SECOND = timedelta(seconds=1)


def test_iat_exactly_at_now_plus_skew_is_accepted_and_one_second_later_is_not() -> None:
    """``iat <= now + skew``: a list issued exactly clock_skew ahead verifies, one second
    further ahead is issued_in_future."""
    token, signer = signed(sample_list())
    skew = timedelta(seconds=60)
    verify_status_list(token, keys=keys_of(signer), now=NOW - skew, clock_skew=skew)
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW - skew - SECOND, clock_skew=skew)
    assert info.value.reason is Reason.ISSUED_IN_FUTURE


def test_nbf_exactly_at_now_plus_skew_is_accepted_and_one_second_later_is_not() -> None:
    """``nbf <= now + skew``: at the limit the list verifies, one second past it is
    not_yet_valid."""
    signer = make_signer()
    skew = timedelta(seconds=30)
    nbf = int(NOW.timestamp()) + 60
    token = _custom_token({**_good_claims(), 5: nbf}, signer)
    limit = datetime.fromtimestamp(nbf, UTC) - skew
    verify_status_list(token, keys=keys_of(signer), now=limit, clock_skew=skew)
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=keys_of(signer), now=limit - SECOND, clock_skew=skew)
    assert info.value.reason is Reason.NOT_YET_VALID


def test_exp_plus_skew_plus_grace_is_the_first_expired_second() -> None:
    """``now < exp + skew + grace``: one second before the sum the list verifies, at the sum
    it is expired (the evidence names exp itself)."""
    token, signer = signed(sample_list(), valid_for=HOUR)
    exp = NOW + HOUR
    skew, grace = timedelta(seconds=30), timedelta(hours=2)
    limit = exp + skew + grace
    options: dict[str, Any] = {"clock_skew": skew, "expiry_grace": grace}
    verify_status_list(token, keys=keys_of(signer), now=limit - SECOND, **options)
    with pytest.raises(Expired) as info:
        verify_status_list(token, keys=keys_of(signer), now=limit, **options)
    assert info.value.expired_at == exp


def test_token_of_exactly_max_bytes_is_read_and_one_byte_over_is_too_large() -> None:
    """The size cap is inclusive: a token of max_bytes bytes verifies, with one byte less
    allowed it is too_large before anything is decoded."""
    token, signer = signed(sample_list())
    verify_status_list(token, keys=keys_of(signer), now=NOW, max_bytes=len(token))
    with pytest.raises(TooLarge) as info:
        verify_status_list(token, keys=keys_of(signer), now=NOW, max_bytes=len(token) - 1)
    assert (info.value.what, info.value.limit, info.value.actual) == (
        "status_list_token",
        len(token) - 1,
        len(token),
    )


def test_default_algorithms_are_the_verifiers_defaults() -> None:
    """Status lists accept by default the algorithms a verifier accepts for credentials
    (status cannot import the licence profile; the two must not drift)."""
    assert DEFAULT_STATUS_ALGORITHMS == DEFAULT_ALGORITHMS


def _resolver(*keys: TrustedKey) -> KeyResolver:
    def resolve(kid: bytes | None) -> tuple[TrustedKey, ...]:
        return keys

    return resolve


def test_keys_sharing_a_kid_are_each_tried_and_the_one_that_verified_signs() -> None:
    """Candidates with the token's kid are tried in turn (verify_with_candidates, as for
    credentials): bare pairs and trusted keys in either order verify, and ``signer`` is the
    trusted key whose signature verified. A key registered for another algorithm alone is
    algorithm_not_allowed; next to a key that fits but does not verify, signature_invalid."""
    token, signer = signed(sample_list())
    other = make_signer(index=5)
    pairs = [(signer.kid, other.public_key), (signer.kid, signer.public_key)]
    for keys in (pairs, pairs[::-1]):
        assert verify_status_list(token, keys=keys, now=NOW).signer is None
    mine = TrustedKey(signer.public_key, "CN-MINE")
    theirs = TrustedKey(other.public_key, "CN-OTHER", kid=signer.kid)
    for trusted in ((mine, theirs), (theirs, mine)):
        verified = verify_status_list(token, keys=_resolver(*trusted), now=NOW)
        assert verified.signer is mine
    es384 = TrustedKey(make_signer(Algorithm.ES384).public_key, "CN-OTHER", kid=signer.kid)
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=_resolver(es384), now=NOW)
    assert info.value.reason is Reason.ALGORITHM_NOT_ALLOWED
    with pytest.raises(QrsealError) as info:
        verify_status_list(token, keys=_resolver(es384, theirs), now=NOW)
    assert info.value.reason is Reason.SIGNATURE_INVALID
