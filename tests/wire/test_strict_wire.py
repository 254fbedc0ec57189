"""Strict wire decoding (issue 9, items 4 and 15): bignums, overflow-safe times, the
compromised-key check before the payload is decoded, and the credential envelope of
docs/format.md §2/§4 enforced as written."""

from __future__ import annotations

import contextlib
import hashlib
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import cbor2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from qrseal import Holder, inspect_unverified
from qrseal.errors import MalformedCose, QrsealError, Reason
from qrseal.licence.profile import CREDENTIAL_HEADER_LABELS, DL_FORMAT, DP_FORMAT, LICENCE_CLAIM
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_device_signer,
    make_holder,
    make_issuer,
    make_private_key,
    make_signer,
    make_verifier,
    sample_licence,
)
from qrseal.trust.lists import TrustListEntry, new_trust_list
from qrseal.verifier import Verifier
from qrseal.wire.cose import (
    COSE_SIGN1_TAG,
    decode_sign1,
    deterministic_dumps,
    deterministic_order,
    sig_structure,
    sort_key,
    strict_loads,
)
from qrseal.wire.cwt import MAX_NUMERIC_DATE, Claims, check_times, encode_claims, encode_cnf
from qrseal.wire.keys import LocalSigner, kid_for
from qrseal.wire.textcodec import numeric_encode, pack, unpack
from tests.support import reason_of as _reason

HOUR = timedelta(hours=1)
BIG = 2**15000


def _licence_map() -> dict[int, object]:
    return sample_licence(0).to_cbor_map()


def _claims_map(extra: dict[int, object] | None = None) -> dict[int, object]:
    """The claims of a genuine credential plus ``extra``, as a dict in deterministic order."""
    claims: dict[int, object] = {
        1: TEST_ISSUER,
        4: int((FIXED_NOW + HOUR).timestamp()),
        6: int(FIXED_NOW.timestamp()),
        LICENCE_CLAIM: _licence_map(),
    }
    claims = cast(dict[int, object], deterministic_order(claims))
    claims.update(extra or {})  # as given: a float or a tag stays as it is
    return {k: claims[k] for k in sorted(claims, key=sort_key)}


def _signed(
    payload: bytes,
    *,
    protected: bytes | None = None,
    unprotected: dict[object, object] | None = None,
    signer: LocalSigner | None = None,
) -> bytes:
    """COSE_Sign1 bytes over exactly these parts, properly signed."""
    signer = signer or make_signer()
    if protected is None:
        protected = deterministic_dumps({1: int(signer.algorithm), 4: signer.kid})
    sig = signer.sign(sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, unprotected or {}, payload, sig]))


def _text(cose: bytes) -> str:
    return pack(cose, DL_FORMAT, compress=False)


def _genuine_cose() -> bytes:
    return unpack(make_issuer().issue(sample_licence(0), now=FIXED_NOW), (DL_FORMAT,))[1]


def _verify(cose: bytes) -> object:
    return make_verifier().verify(_text(cose), now=FIXED_NOW + timedelta(minutes=5))


# --- item 4: bignums and out-of-range values -------------------------------------------


@pytest.mark.parametrize("where", ["claim key", "licence key", "sex value"])
def test_bignum_in_payload_is_typed_for_inspect_and_verify(where: str) -> None:
    """A 2^15000 claim key, licence key or sex value: inspect_unverified reports
    malformed_claims (never ValueError), and verify refuses it with the same reason."""
    licence = _licence_map()
    claims = _claims_map()
    if where == "claim key":
        claims[BIG] = 0
    elif where == "licence key":
        licence[BIG] = 0
    else:
        licence[13] = BIG
    claims[LICENCE_CLAIM] = licence
    cose = _signed(cbor2.dumps(claims))
    seen = inspect_unverified(_text(cose))
    assert seen.problem is not None and seen.problem.reason is Reason.MALFORMED_CLAIMS
    repr(seen)  # nothing in it is too large to format
    assert _reason(lambda: _verify(cose)) is Reason.MALFORMED_CLAIMS


def test_holder_refuses_bignum_credential() -> None:
    """Holder() with a bound credential that carries a bignum claim raises malformed_claims."""
    device = make_device_signer()
    claims = _claims_map()
    claims[8] = encode_cnf(device.public_key)
    claims = {k: claims[k] for k in (1, 4, 6, 8, LICENCE_CLAIM)}
    claims[BIG] = 1
    cose = _signed(cbor2.dumps(claims))
    assert _reason(lambda: Holder(_text(cose), device_signer=device)) is Reason.MALFORMED_CLAIMS


def test_time_checks_do_not_overflow_near_year_9999() -> None:
    """exp = 9999-12-31T23:59:59Z with clock skew, and a clock near the end of time, give
    a result or a typed error, never OverflowError."""
    last = datetime.fromtimestamp(MAX_NUMERIC_DATE, UTC)
    claims = Claims(TEST_ISSUER, FIXED_NOW, last)
    skew = timedelta(seconds=60)
    check_times(claims, now=FIXED_NOW, leeway=skew)
    check_times(claims, now=last - timedelta(seconds=30), leeway=skew)
    late = Claims(TEST_ISSUER, last - HOUR, last)
    with pytest.raises(QrsealError):
        check_times(late, now=FIXED_NOW, leeway=skew)
    forever = Claims(TEST_ISSUER, FIXED_NOW, last, extra={LICENCE_CLAIM: _licence_map()})
    cose = _signed(encode_claims(forever))
    with contextlib.suppress(QrsealError):  # a policy may refuse the lifetime, with a reason
        _verify(cose)


def test_compromised_key_refused_before_payload_is_decoded() -> None:
    """A key the trust list marks compromised gives key_revoked even when its payload would
    not decode: nothing it signed is parsed."""
    key = make_private_key()
    entry = TrustListEntry(
        key.public_key(),
        TEST_ISSUER,
        jurisdiction="CN",
        not_before=FIXED_NOW - timedelta(days=30),
        not_after=FIXED_NOW + timedelta(days=365),
    )
    tl = new_trust_list("cn", now=FIXED_NOW - HOUR, entries=[entry])
    tl = tl.revoke(entry.kid, at=FIXED_NOW + HOUR, compromised=True)
    verifier = Verifier(tl.to_trust_store())
    garbage = _signed(b"\xff\xff not a claims set", signer=LocalSigner(key))
    assert _reason(lambda: verifier.verify(_text(garbage), now=FIXED_NOW)) is Reason.KEY_REVOKED
    bignum = _signed(cbor2.dumps({BIG: 1}), signer=LocalSigner(key))
    assert _reason(lambda: verifier.verify(_text(bignum), now=FIXED_NOW)) is Reason.KEY_REVOKED


# --- item 15: the credential envelope, as docs/format.md §2 and §4 say ----------------------


def _with_unprotected() -> bytes:
    body = list(cbor2.loads(_genuine_cose()).value)
    body[1] = {99: "appended by anyone"}
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, body))


def _non_minimal_outer() -> bytes:
    cose = _genuine_cose()
    assert cose[:2] == b"\xd2\x84"
    return b"\xd2\x98\x04" + cose[2:]  # the array head in two bytes


def _protected(raw: bytes) -> bytes:
    return _signed(cbor2.dumps(_claims_map()), protected=raw)


_KID = make_signer().kid
_PAYLOAD_OK = cbor2.dumps(_claims_map())


def _unsorted_claims() -> bytes:
    claims = _claims_map()
    return _signed(cbor2.dumps({k: claims[k] for k in (6, 4, 1, LICENCE_CLAIM)}))


def _non_minimal_claims() -> bytes:
    assert _PAYLOAD_OK[:2] == b"\xa4\x01"
    return _signed(b"\xa4\x18\x01" + _PAYLOAD_OK[2:])  # key 1 as 0x18 0x01


def _licence_tag(key: int, tag: cbor2.CBORTag) -> bytes:
    licence = cast(dict[int, object], deterministic_order(_licence_map()))
    licence[key] = tag
    return _signed(cbor2.dumps(_claims_map({LICENCE_CLAIM: licence})))


ENVELOPE: dict[str, tuple[Callable[[], bytes], Reason]] = {
    "content in the unprotected header": (_with_unprotected, Reason.MALFORMED_COSE),
    "extra protected label": (
        lambda: _protected(deterministic_dumps({1: -7, 3: "application/cwt", 4: _KID})),
        Reason.MALFORMED_COSE,
    ),
    "protected header unsorted": (
        lambda: _protected(b"\xa2\x04\x48" + _KID + b"\x01\x26"),
        Reason.MALFORMED_COSE,
    ),
    "protected header non-minimal head": (
        lambda: _protected(b"\xa2\x18\x01\x26\x04\x48" + _KID),
        Reason.MALFORMED_COSE,
    ),
    "crit with an unhashable label": (
        lambda: _protected(deterministic_dumps({1: -7, 2: [[1]], 4: _KID})),
        Reason.MALFORMED_COSE,
    ),
    "non-minimal head in the envelope": (_non_minimal_outer, Reason.MALFORMED_CBOR),
    "unsorted claims": (_unsorted_claims, Reason.MALFORMED_CLAIMS),
    "non-minimal head in the claims": (_non_minimal_claims, Reason.MALFORMED_CLAIMS),
    "float in the claims": (
        lambda: _signed(cbor2.dumps(_claims_map({99: 1.5}))),
        Reason.MALFORMED_CLAIMS,
    ),
    "time as a float in tag 1": (
        lambda: _licence_tag(23, cbor2.CBORTag(1, 1795593600.5)),
        Reason.MALFORMED_CLAIMS,
    ),
    "date as tag 1004": (
        lambda: _licence_tag(3, cbor2.CBORTag(1004, "2005-03-15")),
        Reason.MALFORMED_CLAIMS,
    ),
    "time as tag 0": (
        lambda: _licence_tag(23, cbor2.CBORTag(0, "2026-11-25T08:00:00Z")),
        Reason.MALFORMED_CLAIMS,
    ),
}


@pytest.mark.parametrize("name", sorted(ENVELOPE))
def test_forbidden_envelope_forms_rejected(name: str) -> None:
    """Each form §2/§4/§5 forbid is refused with a typed reason, although it is signed."""
    build, reason = ENVELOPE[name]
    assert _reason(lambda: _verify(build())) is reason


def test_genuine_parts_reassembled_still_verify() -> None:
    """The helpers above build a genuine credential when nothing is changed."""
    assert _verify(_signed(_PAYLOAD_OK)) is not None
    assert _verify(_genuine_cose()) is not None


def test_issuer_output_passes_the_strict_envelope() -> None:
    """What the issuer writes is exactly what the strict decoder accepts (one rule)."""
    for index in range(5):
        cose = unpack(make_issuer().issue(sample_licence(index), now=FIXED_NOW), (DL_FORMAT,))[1]
        msg = decode_sign1(cose, protected_labels=CREDENTIAL_HEADER_LABELS)
        strict_loads(msg.payload, deterministic=True)


def test_generic_layer_stays_lenient() -> None:
    """Without a profile, decode_sign1 keeps RFC 9052's rules (unprotected headers allowed)."""
    msg = decode_sign1(_with_unprotected())
    assert msg.unprotected == {99: "appended by anyone"}
    with pytest.raises(MalformedCose):
        decode_sign1(_with_unprotected(), protected_labels=CREDENTIAL_HEADER_LABELS)


def test_inspect_reports_a_non_strict_envelope() -> None:
    """inspect_unverified shows a credential with unsigned extras and names the problem."""
    seen = inspect_unverified(_text(_with_unprotected()))
    assert seen.unprotected == {99: "appended by anyone"}
    assert seen.problem is not None and seen.problem.reason is Reason.MALFORMED_COSE


def test_live_presentation_must_be_deterministic() -> None:
    """A DP1 presentation whose outer array head is not minimal is malformed_cbor."""
    code = make_holder().present(now=FIXED_NOW)
    _, data = unpack(code, (DP_FORMAT,))
    assert data[0] == 0x82
    bad = pack(b"\x98\x02" + data[1:], DP_FORMAT, compress=False)
    verifier = make_verifier()
    assert verifier.verify(code, now=FIXED_NOW).presentation.value == "live"
    assert _reason(lambda: verifier.verify(bad, now=FIXED_NOW)) is Reason.MALFORMED_CBOR


def test_high_s_ecdsa_signature_is_accepted() -> None:
    """Decision (format.md §2): (r, n - s) verifies like (r, s); nothing keys on signature
    bytes."""
    cose = _genuine_cose()
    body = list(cbor2.loads(cose).value)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    r, s = body[3][:32], int.from_bytes(body[3][32:], "big")
    body[3] = r + (n - s).to_bytes(32, "big")
    flipped = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, body))
    assert flipped != cose
    assert _verify(flipped) is not None


# --- item 17: what docs/format.md now states, checked -------------------------------------


def test_kid_is_over_the_uncompressed_point_spki() -> None:
    """§2: the kid hashes the SPKI with the uncompressed EC point, not the compressed one."""
    public = make_private_key().public_key()
    spki = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert spki[-65] == 0x04  # the uncompressed point ends the SPKI
    assert kid_for(public) == hashlib.sha256(spki).digest()[:8] == make_signer().kid


def test_zlib_window_and_dictionary_rules() -> None:
    """§1.4: only CMF 0x78 (32 KiB window) is zlib; a smaller window is read as raw bytes
    and fails as CBOR; a preset dictionary is malformed_compression."""
    cose = _genuine_cose()
    small = zlib.compressobj(9, zlib.DEFLATED, 10)
    narrow = small.compress(cose) + small.flush()
    assert narrow[0] != 0x78
    assert _reason(
        lambda: make_verifier().verify(DL_FORMAT.header + numeric_encode(narrow), now=FIXED_NOW)
    ) in (
        Reason.MALFORMED_CBOR,
        Reason.MALFORMED_COSE,
    )
    with_dict = zlib.compressobj(9, zlib.DEFLATED, 15, zdict=cose[:32])
    dictionary = with_dict.compress(cose) + with_dict.flush()
    assert dictionary[0] == 0x78
    text = DL_FORMAT.header + numeric_encode(dictionary)
    assert _reason(lambda: make_verifier().verify(text, now=FIXED_NOW)) is (
        Reason.MALFORMED_COMPRESSION
    )
    assert _verify(cose) is not None
    deflated = pack(cose, DL_FORMAT, compress=True)
    assert make_verifier().verify(deflated, now=FIXED_NOW) is not None


@pytest.mark.parametrize("label", [1, 2, 3, 4, 16])
def test_crit_labels_understood_by_the_generic_layer(label: int) -> None:
    """§2: crit may list 1, 2, 3, 4 and 16 (when present); a credential still refuses any
    label beyond alg and kid."""
    kid = make_signer().kid
    header: dict[int, object] = {1: -7, 2: [label], 4: kid}
    if label not in header:  # crit lists only labels present in the protected header
        header[label] = "application/cwt"
    cose = _signed(_PAYLOAD_OK, protected=deterministic_dumps(header))
    assert decode_sign1(cose).protected[2] == [label]
    assert _reason(lambda: _verify(cose)) is Reason.MALFORMED_COSE
    unknown = _signed(_PAYLOAD_OK, protected=deterministic_dumps({1: -7, 2: [5], 4: kid, 5: 0}))
    assert _reason(lambda: decode_sign1(unknown)) is Reason.UNKNOWN_CRITICAL_HEADER
