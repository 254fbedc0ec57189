"""The trust-list payload: encoding, the one entry decoder, key forms (qrseal.trust.codec, keyform)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import cbor2
import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal.errors import (
    AlgorithmNotAllowed,
    QrsealError,
    Reason,
)
from qrseal.testing import make_private_key
from qrseal.trust import keyform
from qrseal.trust.entries import MAX_KID, MAX_SCOPE, MAX_TEXT
from qrseal.trust.lists import (
    DRIVING_LICENCE,
    KeyState,
    decode_trust_list,
    encode_trust_list,
    load_trust_list,
    sign_trust_list,
)
from qrseal.verifier import Verifier
from qrseal.wire.cose import Algorithm, check_key_algorithm
from qrseal.wire.keys import (
    PrivateKey,
    kid_for,
)

from .support import (
    HOUR,
    NEW,
    NOW,
    OLD,
    OTHER,
    ROOT,
    _credential,
    _entry,
    _list,
    _reason,
    _sign_payload,
)


def test_encoding_round_trips_every_field() -> None:
    """Every entry field and state survives encode -> decode unchanged."""
    tl = _list(
        _entry(OLD, credential_types=frozenset({DRIVING_LICENCE}), classes=frozenset({"C1"})),
        _entry(NEW, state=KeyState.RETIRED, retired_at=NOW),
        _entry(
            OTHER,
            issuer="CN",
            jurisdiction="CN",
            state=KeyState.REVOKED,
            retired_at=NOW - HOUR,
            revoked_at=NOW,
            compromised=True,
        ),
    )
    assert decode_trust_list(encode_trust_list(tl)) == tl


def test_encoding_is_deterministic_with_integer_keys() -> None:
    """The payload is a map with integer keys 1-7, entries keyed 1-10 in ascending order."""
    payload = encode_trust_list(_list(_entry(OLD, classes=frozenset({"C2", "C1", "A1"}))))
    item = cbor2.loads(payload)
    assert list(item) == [1, 2, 3, 4, 5, 6, 7]
    assert list(item[7][0]) == list(range(1, 11))
    assert item[7][0][7] == ["A1", "C1", "C2"]
    assert payload == cbor2.dumps(item, canonical=True)


@pytest.mark.parametrize(
    "change",
    [
        {10: 1},  # retired without retired_at
        {10: 2},  # revoked without revoked_at
        {13: True},  # compromised but not revoked
        {3: -35},  # algorithm does not fit the P-256 key
        {1: b""},  # empty kid
        {7: ["C1", "C1"]},  # a class twice
        {8: 2**40},  # not_before out of range
        {6: "DL"},  # not an array
    ],
)
def test_inconsistent_entries_rejected(change: dict[int, object]) -> None:
    """Entries with inconsistent state, wrong types or mismatched algorithms are malformed."""
    item = cbor2.loads(encode_trust_list(_list(_entry(OLD))))
    item[7][0].update(change)
    assert _reason(lambda: decode_trust_list(cbor2.dumps(item))) is Reason.MALFORMED_TRUST_LIST


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_mutations_raise_only_qrseal_errors(data: st.DataObject) -> None:
    """Random byte edits of a signed list either verify or raise a QrsealError, nothing else."""
    token = bytearray(sign_trust_list(_list(_entry(OLD), _entry(NEW)), signer=ROOT))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(token) - 1))
        token[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(token)))
    with contextlib.suppress(QrsealError):
        load_trust_list(bytes(token[:cut] if cut else token), root=ROOT.public_key())


def _spki_der(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_decoded_keys_are_parsed_on_first_use_only() -> None:
    """Loading a list parses no key; an entry and its TrustedKey build it when first used."""
    token = sign_trust_list(_list(_entry(OLD), _entry(OTHER, "CN", jurisdiction="CN")), signer=ROOT)
    tl = load_trust_list(token, root=ROOT.public_key())
    store = tl.to_trust_store()
    for entry, key in zip(tl.entries, store, strict=True):
        assert not entry.key_parsed
        assert not key.key_parsed
    for entry, key, private in zip(tl.entries, store, (OLD, OTHER), strict=True):
        assert key.public_key == private.public_key()
        assert entry.public_key is key.public_key  # parsed once, shared
        assert tl.entry_for(key) is entry
    assert Verifier(store).verify(_credential(OLD, NOW), now=NOW + HOUR).issuer == "CN-SC"
    # Edits and re-encoding of a loaded list keep working, and need no parsed key.
    again = load_trust_list(token, root=ROOT.public_key())
    retired = again.retire(kid_for(OLD), at=NOW)
    assert retired.entries[0].state is KeyState.RETIRED
    assert encode_trust_list(again) == encode_trust_list(tl)
    assert again == tl


def _with_key(spki: bytes, alg: Algorithm = Algorithm.ES256) -> bytes:
    item = cbor2.loads(encode_trust_list(_list(_entry(OLD))))
    item[7][0][2] = spki
    item[7][0][3] = int(alg)
    return cbor2.dumps(item)


def _openssl_accepts(spki: bytes, alg: Algorithm) -> bool:
    """Whether OpenSSL parses ``spki`` as a key that fits ``alg`` (the check before)."""
    try:
        check_key_algorithm(alg, load_der_public_key(spki))
    except (ValueError, UnsupportedAlgorithm, AlgorithmNotAllowed):
        return False
    return True


_CURVE_KEYS = {
    Algorithm.ES256: make_private_key(Algorithm.ES256, 110),
    Algorithm.ES384: make_private_key(Algorithm.ES384, 111),
    Algorithm.ES512: ec.generate_private_key(ec.SECP521R1()),
}


@settings(max_examples=150, deadline=None)
@given(
    alg=st.sampled_from(sorted(_CURVE_KEYS)),
    edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=3),
)
def test_structural_key_check_agrees_with_openssl(
    alg: Algorithm, edits: list[tuple[int, int]]
) -> None:
    """A mutated EC SPKI loads exactly when OpenSSL accepts it as a key of the algorithm:
    the load-time check (OIDs, lengths, coordinates below p, point on the curve) refuses
    every key OpenSSL would, and a key it passes parses on first use."""
    spki = bytearray(_spki_der(_CURVE_KEYS[alg]))
    for pos, value in edits:
        spki[pos % len(spki)] = value
    payload = _with_key(bytes(spki), alg)
    if not _openssl_accepts(bytes(spki), alg):
        assert _reason(lambda: decode_trust_list(payload)) is Reason.MALFORMED_TRUST_LIST
        return
    entry = decode_trust_list(payload).entries[0]
    assert entry.public_key == load_der_public_key(bytes(spki))


@pytest.mark.parametrize("alg", sorted(_CURVE_KEYS))
def test_bad_points_refused_at_load(alg: Algorithm) -> None:
    """A well-formed SPKI whose point is off the curve, or has a coordinate >= p, is refused
    when the list is loaded, as when every key was parsed at load; a valid point loads."""
    good = _spki_der(_CURVE_KEYS[alg])
    size = {Algorithm.ES256: 32, Algorithm.ES384: 48, Algorithm.ES512: 66}[alg]
    header = len(good) - 2 * size
    ((_, _, prime, b),) = keyform.SPKI_FORMS[alg.value]
    public = _CURVE_KEYS[alg].public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    numbers = public.public_numbers()
    assert (numbers.y**2 - numbers.x**3 + 3 * numbers.x) % prime == b  # the curve's b
    # A point on the curve with a small x (p = 3 mod 4: square roots are one pow), written
    # with x + p: the right point modulo p, but not a canonical coordinate.
    x = next(x for x in range(1000) if pow(x**3 - 3 * x + b, (prime - 1) // 2, prime) == 1)
    y = pow(x**3 - 3 * x + b, (prime + 1) // 4, prime)
    small = good[:header] + x.to_bytes(size) + y.to_bytes(size)
    assert _openssl_accepts(small, alg)
    assert decode_trust_list(_with_key(small, alg)).entries[0].public_key == (
        load_der_public_key(small)
    )
    x_plus_p = good[:header] + (x + prime).to_bytes(size) + y.to_bytes(size)
    bad = [good[:-1] + bytes([good[-1] ^ 1]), x_plus_p]  # off the curve, x >= p
    if y + prime < 2 ** (8 * size):  # P-521 (66 bytes for 521 bits): y >= p too
        bad.append(good[:header] + x.to_bytes(size) + (y + prime).to_bytes(size))
    for spki in bad:
        assert not _openssl_accepts(spki, alg)
        token = _sign_payload(_with_key(spki, alg))
        with pytest.raises(QrsealError) as info:
            load_trust_list(token, root=ROOT.public_key())
        assert info.value.reason is Reason.MALFORMED_TRUST_LIST


def test_other_key_encodings_are_parsed_at_load() -> None:
    """A key in another valid DER form (compressed point) is parsed at load, kept in the
    canonical form, and counts as the same key as its uncompressed form."""
    point = OLD.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    compressed = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + point
    entry = decode_trust_list(_with_key(compressed)).entries[0]
    assert entry.key_parsed and entry.public_key == OLD.public_key()
    item = cbor2.loads(encode_trust_list(_list(_entry(OLD))))
    assert item[7][0][2] == _spki_der(OLD)
    twice = dict(item[7][0])
    twice[2] = compressed
    item[7].append(twice)
    assert _reason(lambda: decode_trust_list(cbor2.dumps(item))) is Reason.MALFORMED_TRUST_LIST


@pytest.mark.parametrize(
    ("spki", "alg"),
    [
        (b"\x30\x00", Algorithm.ES256),  # not a key
        (bytes.fromhex("302a300506032b6570032100") + b"\x01" * 32, Algorithm.ES256),  # Ed25519
        (bytes.fromhex("302a300506032b6570032100") + b"\x01" * 31, Algorithm.EDDSA),  # short
        (bytes.fromhex("302a300506032b6570032100") + b"\x01" * 33, Algorithm.EDDSA),  # long
    ],
)
def test_malformed_or_mismatched_keys_refused_at_load(spki: bytes, alg: Algorithm) -> None:
    """A key that is not DER, too short or long, or of another type than alg is refused."""
    assert _reason(lambda: decode_trust_list(_with_key(spki, alg))) is Reason.MALFORMED_TRUST_LIST


@pytest.mark.parametrize(
    "change",
    [
        {6: [["DL"]]},  # an unhashable item in a scope array
        {7: ["C1", {1: 2}]},
        {8: True},  # a bool is not a NumericDate (True == 1)
        {9: 2.0**31},  # nor a float
        {10: True},
        {4: b"CN-SC"},
    ],
)
def test_wrong_types_are_malformed_not_crashes(change: dict[int, object]) -> None:
    """Wrong item types in a later entry are malformed, even when an earlier entry filled
    the decoder's caches with equal-comparing values."""
    item = cbor2.loads(encode_trust_list(_list(_entry(OLD, classes=frozenset({"C1"})))))
    second = dict(item[7][0])
    second[2] = _spki_der(NEW)
    second.update(change)
    item[7].append(second)
    assert _reason(lambda: decode_trust_list(cbor2.dumps(item))) is Reason.MALFORMED_TRUST_LIST


def _decoded_with(change: dict[int, object]) -> Reason | None:
    """None when a list whose first entry carries ``change`` decodes, else the reason."""
    item = cbor2.loads(encode_trust_list(_list(_entry(OLD))))
    item[7][0].update(change)
    try:
        decode_trust_list(cbor2.dumps(item))
    except QrsealError as exc:
        return exc.reason
    return None


def _built_with(**change: object) -> Reason | None:
    """None when TrustListEntry accepts ``change``, else the reason."""
    try:
        issuer = change.pop("issuer", "CN-SC")
        _entry(OLD, str(issuer), **change)
    except QrsealError as exc:
        return exc.reason
    return None


@pytest.mark.parametrize(
    ("wire", "built", "ok"),
    [
        ({1: b"k" * MAX_KID}, {"kid": b"k" * MAX_KID}, True),
        ({1: b"k" * (MAX_KID + 1)}, {"kid": b"k" * (MAX_KID + 1)}, False),
        ({4: "I" * MAX_TEXT}, {"issuer": "I" * MAX_TEXT}, True),
        ({4: "I" * (MAX_TEXT + 1)}, {"issuer": "I" * (MAX_TEXT + 1)}, False),
        ({5: "J" * MAX_TEXT}, {"jurisdiction": "J" * MAX_TEXT}, True),
        ({5: "J" * (MAX_TEXT + 1)}, {"jurisdiction": "J" * (MAX_TEXT + 1)}, False),
        (
            {7: [f"C{i}" for i in range(MAX_SCOPE)]},
            {"classes": frozenset(f"C{i}" for i in range(MAX_SCOPE))},
            True,
        ),
        (
            {7: [f"C{i}" for i in range(MAX_SCOPE + 1)]},
            {"classes": frozenset(f"C{i}" for i in range(MAX_SCOPE + 1))},
            False,
        ),
        ({6: ["T" * MAX_TEXT]}, {"credential_types": frozenset({"T" * MAX_TEXT})}, True),
        (
            {6: ["T" * (MAX_TEXT + 1)]},
            {"credential_types": frozenset({"T" * (MAX_TEXT + 1)})},
            False,
        ),
        ({8: 1_700_000_000, 9: 1_700_000_000}, {"not_before": NOW, "not_after": NOW}, True),
        (
            {8: 1_700_000_001, 9: 1_700_000_000},
            {"not_before": NOW, "not_after": NOW - timedelta(seconds=1)},
            False,
        ),
        ({10: 0, 13: True}, {"compromised": True}, False),
        ({10: 1}, {"state": KeyState.RETIRED}, False),
    ],
)
def test_constructor_and_decoder_apply_the_same_entry_rules(
    wire: dict[int, object], built: dict[str, object], ok: bool
) -> None:
    """One rule, one place: an entry value exactly at a limit is accepted both by the
    constructor and by the decoder, one past it refused by both (invalid_argument when
    built, malformed_trust_list when decoded)."""
    assert _decoded_with(wire) is (None if ok else Reason.MALFORMED_TRUST_LIST)
    assert _built_with(**built) is (None if ok else Reason.INVALID_ARGUMENT)


def test_evolve_checks_like_the_constructor_and_keeps_the_key_unparsed() -> None:
    """TrustListEntry.evolve applies the entry rules and does not parse a lazy key."""
    token = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    (entry,) = load_trust_list(token, root=ROOT.public_key()).entries
    retired = entry.evolve(state=KeyState.RETIRED, retired_at=NOW)
    assert retired.state is KeyState.RETIRED and not retired.key_parsed
    assert retired.spki == entry.spki and retired.kid == entry.kid
    assert _reason(lambda: entry.evolve(state=KeyState.RETIRED)) is Reason.INVALID_ARGUMENT
    assert _reason(lambda: entry.evolve(kid=b"x")) is Reason.INVALID_ARGUMENT
