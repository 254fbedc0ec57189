"""Signed trust lists, their store, entry checks, the X.509 path and the trust CLI."""

from __future__ import annotations

import contextlib
import os
import runpy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import cbor2
import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal.cli import trust as cli_trust
from qrseal.errors import (
    AlgorithmNotAllowed,
    KeyNotAuthorised,
    KeyRevoked,
    QrsealError,
    Reason,
)
from qrseal.holder import Holder
from qrseal.issuer import Issuer
from qrseal.testing import FIXED_NOW, make_device_signer, make_private_key, sample_licence
from qrseal.trust import lists as trustlist
from qrseal.trust import x509 as x509trust
from qrseal.trust.lists import (
    DRIVING_LICENCE,
    Freshness,
    KeyState,
    TrustList,
    TrustListEntry,
    TrustListStore,
    check_entry,
    decode_trust_list,
    encode_trust_list,
    load_trust_list,
    new_trust_list,
    sign_trust_list,
    verify_trust_list,
)
from qrseal.trust.store import TrustedKey
from qrseal.verifier import VerifiedLicence, Verifier
from qrseal.wire.cose import Algorithm, HeaderLabel, check_key_algorithm, encode_sign1
from qrseal.wire.keys import (
    LocalSigner,
    PrivateKey,
    kid_for,
    load_public_key_pem,
    public_key_to_pem,
)
from tests.support import Cli
from tests.support import reason_of as _reason

NOW = FIXED_NOW
HOUR = timedelta(hours=1)
ROOT = make_private_key(Algorithm.ES256, 100)
OLD = make_private_key(Algorithm.ES256, 101)
NEW = make_private_key(Algorithm.ES256, 102)
OTHER = make_private_key(Algorithm.EDDSA, 103)


def _entry(key: PrivateKey, issuer: str = "CN-SC", **kw: object) -> TrustListEntry:
    args: dict[str, object] = {
        "jurisdiction": "CN-SC",
        "not_before": NOW - timedelta(days=30),
        "not_after": NOW + timedelta(days=365),
    }
    args.update(kw)
    return TrustListEntry(key.public_key(), issuer, **args)  # type: ignore[arg-type]


def _list(*entries: TrustListEntry, sequence: int = 1) -> TrustList:
    tl = new_trust_list("cn-national", now=NOW - HOUR, entries=entries)
    return TrustList(tl.list_id, sequence, tl.issued_at, tl.next_update, tl.expires_at, tl.entries)


def _sign_payload(payload: bytes, typ: str = trustlist.TRUST_LIST_TYPE) -> bytes:
    signer = LocalSigner(ROOT)
    return encode_sign1(
        payload,
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        protected_extra={int(HeaderLabel.TYP): typ},
    )


def _credential(key: PrivateKey, at: datetime, index: int = 0, issuer: str = "CN-SC") -> str:
    return Issuer(key, issuer=issuer).issue(sample_licence(index), now=at)


# --- format --------------------------------------------------------------------------------


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


def test_signed_list_verifies_against_pinned_root() -> None:
    """A list signed by the pinned root verifies and carries the typ header."""
    token = sign_trust_list(_list(_entry(OLD)), ROOT)
    tl = verify_trust_list(token, ROOT.public_key(), now=NOW)
    assert tl.sequence == 1 and tl.entries[0].kid == kid_for(OLD)
    assert load_trust_list(token, [NEW.public_key(), ROOT.public_key()]) == tl


def test_tampered_or_foreign_list_rejected() -> None:
    """A flipped byte, another root, a wrong typ or a bad payload are each refused."""
    token = bytearray(sign_trust_list(_list(_entry(OLD)), ROOT))
    token[60] ^= 0x01
    assert _reason(lambda: load_trust_list(bytes(token), ROOT.public_key())) in {
        Reason.SIGNATURE_INVALID,
        Reason.MALFORMED_CBOR,
        Reason.MALFORMED_COSE,
    }
    good = sign_trust_list(_list(_entry(OLD)), ROOT)
    assert _reason(lambda: load_trust_list(good, NEW.public_key())) is Reason.UNKNOWN_KEY
    wrong_typ = _sign_payload(encode_trust_list(_list()), typ="application/cwt")
    assert (
        _reason(lambda: load_trust_list(wrong_typ, ROOT.public_key()))
        is Reason.MALFORMED_TRUST_LIST
    )
    bad = cbor2.loads(encode_trust_list(_list(_entry(OLD))))
    bad[7][0][99] = 1
    signed_bad = _sign_payload(cbor2.dumps(bad))
    assert (
        _reason(lambda: load_trust_list(signed_bad, ROOT.public_key()))
        is Reason.MALFORMED_TRUST_LIST
    )


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
    token = bytearray(sign_trust_list(_list(_entry(OLD), _entry(NEW)), ROOT))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(token) - 1))
        token[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(token)))
    with contextlib.suppress(QrsealError):
        load_trust_list(bytes(token[:cut] if cut else token), ROOT.public_key())


def _spki_der(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_decoded_keys_are_parsed_on_first_use_only() -> None:
    """Loading a list parses no key; an entry and its TrustedKey build it when first used."""
    token = sign_trust_list(_list(_entry(OLD), _entry(OTHER, "CN", jurisdiction="CN")), ROOT)
    tl = load_trust_list(token, ROOT.public_key())
    store = tl.to_trust_store()
    for entry, key in zip(tl.entries, store, strict=True):
        assert not _slot_is_set(entry, "public_key")
        assert not _slot_is_set(key, "public_key")
    for entry, key, private in zip(tl.entries, store, (OLD, OTHER), strict=True):
        assert key.public_key == private.public_key()
        assert entry.public_key is key.public_key  # parsed once, shared
        assert tl.entry_for(key) is entry
    assert Verifier(store).verify(_credential(OLD, NOW), now=NOW + HOUR).issuer == "CN-SC"
    # Edits and re-encoding of a loaded list keep working, and need no parsed key.
    again = load_trust_list(token, ROOT.public_key())
    retired = again.retire(kid_for(OLD), at=NOW)
    assert retired.entries[0].state is KeyState.RETIRED
    assert encode_trust_list(again) == encode_trust_list(tl)
    assert again == tl


def _slot_is_set(obj: object, name: str) -> bool:
    try:
        getattr(type(obj), name).__get__(obj, type(obj))
    except AttributeError:
        return False
    return True


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

# The NIST curves' field primes and b coefficients (FIPS 186-5 / SP 800-186), y² = x³ - 3x + b.
_CURVE_P_AND_B = {
    Algorithm.ES256: (
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    ),
    Algorithm.ES384: (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        int(
            "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875A"
            "C656398D8A2ED19D2A85C8EDD3EC2AEF",
            16,
        ),
    ),
    Algorithm.ES512: (
        2**521 - 1,
        int(
            "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF1"
            "09E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00",
            16,
        ),
    ),
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
    prime, b = _CURVE_P_AND_B[alg]
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
            load_trust_list(token, ROOT.public_key())
        assert info.value.reason is Reason.MALFORMED_TRUST_LIST


def test_other_key_encodings_are_parsed_at_load() -> None:
    """A key in another valid DER form (compressed point) is parsed at load, kept in the
    canonical form, and counts as the same key as its uncompressed form."""
    point = OLD.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    compressed = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + point
    entry = decode_trust_list(_with_key(compressed)).entries[0]
    assert _slot_is_set(entry, "public_key") and entry.public_key == OLD.public_key()
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


# --- freshness and the store -------------------------------------------------------------


def test_expired_list_refused_unless_grace_allows() -> None:
    """Past next_update a list is stale; past expires_at it is refused unless within grace."""
    tl = _list(_entry(OLD))
    token = sign_trust_list(tl, ROOT)
    assert tl.freshness(NOW) is Freshness.FRESH
    assert tl.freshness(tl.next_update) is Freshness.STALE
    late = tl.expires_at + HOUR
    assert tl.freshness(late) is Freshness.EXPIRED
    assert _reason(lambda: verify_trust_list(token, ROOT.public_key(), now=late)) is (
        Reason.TRUST_LIST_EXPIRED
    )
    assert verify_trust_list(token, ROOT.public_key(), now=late, grace=2 * HOUR) == tl


def test_store_persists_and_reloads(tmp_path: Path) -> None:
    """An accepted list is written to disk and reloaded at start."""
    path = tmp_path / "trust.tl"
    store = TrustListStore(path, ROOT.public_key())
    assert store.load() is None
    assert _reason(lambda: store.trust_store(now=NOW)) is Reason.TRUST_LIST_MISSING
    store.update(sign_trust_list(_list(_entry(OLD)), ROOT), now=NOW)
    again = TrustListStore(path, ROOT.public_key())
    loaded = again.load()
    assert loaded is not None and loaded.sequence == 1
    assert len(again.trust_store(now=NOW)) == 1
    late = loaded.expires_at + HOUR
    assert _reason(lambda: again.trust_store(now=late)) is Reason.TRUST_LIST_EXPIRED


def test_rollback_refused(tmp_path: Path) -> None:
    """A lower or equal sequence number is refused; the very same bytes are a no-op."""
    store = TrustListStore(tmp_path / "trust.tl", ROOT.public_key())
    two = sign_trust_list(_list(_entry(OLD), sequence=2), ROOT)
    store.update(two, now=NOW)
    one = sign_trust_list(_list(_entry(OLD), _entry(NEW), sequence=1), ROOT)
    assert _reason(lambda: store.update(one, now=NOW)) is Reason.TRUST_LIST_ROLLBACK
    other_two = sign_trust_list(_list(_entry(NEW), sequence=2), ROOT)
    assert _reason(lambda: store.update(other_two, now=NOW)) is Reason.TRUST_LIST_ROLLBACK
    assert store.update(two, now=NOW).sequence == 2
    reloaded = TrustListStore(tmp_path / "trust.tl", ROOT.public_key())
    reloaded.load()
    assert _reason(lambda: reloaded.update(one, now=NOW)) is Reason.TRUST_LIST_ROLLBACK


def test_other_list_id_refused(tmp_path: Path) -> None:
    """An update for another list id is refused."""
    store = TrustListStore(tmp_path / "trust.tl", ROOT.public_key())
    store.update(sign_trust_list(_list(_entry(OLD)), ROOT), now=NOW)
    other = new_trust_list("cn-other", now=NOW, entries=[_entry(OLD)]).next_version(now=NOW)
    token = sign_trust_list(other, ROOT)
    assert _reason(lambda: store.update(token, now=NOW)) is Reason.TRUST_LIST_MISMATCH


@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_crash_while_persisting_keeps_previous_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """A failure mid-write leaves the previous list current, on disk, and no temp file."""
    path = tmp_path / "trust.tl"
    store = TrustListStore(path, ROOT.public_key())
    first = sign_trust_list(_list(_entry(OLD)), ROOT)
    store.update(first, now=NOW)

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, broken, crash)
    second = sign_trust_list(_list(_entry(NEW), sequence=2), ROOT)
    assert _reason(lambda: store.update(second, now=NOW)) is Reason.STORAGE_FAILED
    monkeypatch.undo()
    current = store.current
    assert current is not None and current.sequence == 1
    assert path.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trust.tl"]
    restarted = TrustListStore(path, ROOT.public_key())
    loaded = restarted.load()
    assert loaded is not None and loaded.sequence == 1


# --- keys: rotation, revocation, authorisation ---------------------------------------------


def _verify(tl: TrustList, text: str, at: datetime) -> VerifiedLicence:
    """Verify through a Verifier over the list's trust store, which enforces every entry."""
    return Verifier(tl.to_trust_store()).verify(text, now=at)


def test_rotation_end_to_end(tmp_path: Path) -> None:
    """After rotation both the retired and the new key verify what they legitimately signed."""
    v1 = new_trust_list("cn-national", now=NOW - HOUR, entries=[_entry(OLD)])
    old_text = _credential(OLD, NOW)
    v2 = v1.rotate(kid_for(OLD), _entry(NEW, not_before=NOW + HOUR), at=NOW + HOUR).next_version(
        now=NOW + HOUR
    )
    store = TrustListStore(tmp_path / "trust.tl", ROOT.public_key())
    store.update(sign_trust_list(v1, ROOT), now=NOW)
    tl = store.update(sign_trust_list(v2, ROOT), now=NOW + HOUR)
    assert tl.sequence == 2
    assert [e.state for e in tl.entries] == [KeyState.RETIRED, KeyState.ACTIVE]
    new_text = _credential(NEW, NOW + 2 * HOUR)
    trust = store.trust_store(now=NOW + 3 * HOUR)
    assert Verifier(trust).verify(old_text, now=NOW + 3 * HOUR).kid == kid_for(OLD)
    assert Verifier(trust).verify(new_text, now=NOW + 3 * HOUR).kid == kid_for(NEW)
    late_old = _credential(OLD, NOW + 2 * HOUR)  # signed by the retired key after retirement
    assert _reason(lambda: Verifier(trust).verify(late_old, now=NOW + 3 * HOUR)) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )
    early_new = _credential(NEW, NOW)  # before the new key's window opens
    assert _reason(lambda: _verify(tl, early_new, NOW + 3 * HOUR)) is Reason.KEY_NOT_VALID_AT_TIME
    assert len(tl.prune_retired(before=NOW + 2 * HOUR).entries) == 1


def test_revocation_before_and_after() -> None:
    """A revoked key's credentials signed before the revocation time verify; later ones are
    key_revoked."""
    before = _credential(OLD, NOW)
    after = _credential(OLD, NOW + 2 * HOUR)
    tl = _list(_entry(OLD)).revoke(kid_for(OLD), at=NOW + HOUR)
    assert _verify(tl, before, NOW + 3 * HOUR).issued_at == NOW
    with pytest.raises(KeyRevoked) as info:
        _verify(tl, after, NOW + 3 * HOUR)
    assert info.value.reason is Reason.KEY_REVOKED
    assert info.value.revoked_at == NOW + HOUR and info.value.compromised is False
    assert info.value.signed_at == NOW + 2 * HOUR
    (entry,) = tl.entries
    scope = {"jurisdiction": "CN-SC", "credential_type": DRIVING_LICENCE, "classes": ["C1"]}
    check_entry(entry, signed_at=NOW, **scope)  # type: ignore[arg-type]
    assert (
        _reason(lambda: check_entry(entry, signed_at=NOW + 2 * HOUR, **scope))  # type: ignore[arg-type]
        is Reason.KEY_REVOKED
    )


def test_revocation_at_the_exact_revocation_time_is_refused() -> None:
    """A credential signed at exactly the revocation time is key_revoked (the time is the cut)."""
    at = _credential(OLD, NOW + HOUR)
    tl = _list(_entry(OLD)).revoke(kid_for(OLD), at=NOW + HOUR)
    assert _reason(lambda: _verify(tl, at, NOW + 2 * HOUR)) is Reason.KEY_REVOKED


def test_compromised_key_is_always_refused() -> None:
    """Everything a compromised key signed is key_revoked, even before the revocation time;
    another issuer key in the list is unaffected."""
    before = _credential(OLD, NOW - HOUR / 2)
    other = _credential(NEW, NOW)
    bad = _list(_entry(OLD), _entry(NEW)).revoke(kid_for(OLD), at=NOW + HOUR, compromised=True)
    store = bad.to_trust_store()
    assert len(store) == 2  # kept, so that the verifier can say key_revoked
    with pytest.raises(KeyRevoked) as info:
        Verifier(store).verify(before, now=NOW)
    assert info.value.reason is Reason.KEY_REVOKED and info.value.compromised is True
    assert Verifier(store).verify(other, now=NOW + 2 * HOUR).kid == kid_for(NEW)
    (compromised,) = bad.entries_for(kid_for(OLD))
    scope = {"jurisdiction": "CN-SC", "credential_type": DRIVING_LICENCE, "classes": ["C1"]}
    assert _reason(lambda: check_entry(compromised, signed_at=NOW, **scope)) is (  # type: ignore[arg-type]
        Reason.KEY_REVOKED
    )


def test_revocation_reaches_an_offline_verifier_through_the_store(tmp_path: Path) -> None:
    """A verifier app that took the list revoking a key refuses that key's later credentials
    and keeps refusing them after a restart, offline."""
    v1 = _list(_entry(OLD))
    store = TrustListStore(tmp_path / "trust.tl", ROOT.public_key())
    store.update(sign_trust_list(v1, ROOT), now=NOW)
    late = _credential(OLD, NOW + 2 * HOUR)
    assert Verifier(store.trust_store(now=NOW + 3 * HOUR)).verify(late, now=NOW + 3 * HOUR)
    v2 = v1.revoke(kid_for(OLD), at=NOW + HOUR).next_version(now=NOW + 3 * HOUR)
    store.update(sign_trust_list(v2, ROOT), now=NOW + 3 * HOUR)
    restarted = TrustListStore(tmp_path / "trust.tl", ROOT.public_key())
    restarted.load()
    trust = restarted.trust_store(now=NOW + 4 * HOUR)
    assert _reason(lambda: Verifier(trust).verify(late, now=NOW + 4 * HOUR)) is Reason.KEY_REVOKED


def test_entry_checks_run_on_live_presentations_too() -> None:
    """A live code whose credential was signed by a revoked key is key_revoked."""
    device = make_device_signer()
    credential = Issuer(OLD, issuer="CN-SC").sign(
        sample_licence(0), now=NOW + 2 * HOUR, holder_key=device.public_key
    )
    code = Holder(credential, device).present(now=NOW + 2 * HOUR)
    tl = _list(_entry(OLD)).revoke(kid_for(OLD), at=NOW + HOUR)
    assert _reason(lambda: _verify(tl, code, NOW + 2 * HOUR)) is Reason.KEY_REVOKED
    assert _verify(_list(_entry(OLD)), code, NOW + 2 * HOUR).presentation.value == "live"


@pytest.mark.parametrize(
    ("entry_scope", "jurisdiction", "ctype", "classes", "expected"),
    [
        ({"classes": frozenset({"C1", "C2"})}, "CN-SC", "DL", ["A1"], Reason.KEY_NOT_AUTHORISED),
        ({"classes": frozenset({"C1", "C2"})}, "CN-SC", "DL", ["C1"], None),
        ({}, "CN-BJ", "DL", ["C1"], Reason.KEY_NOT_AUTHORISED),
        ({}, None, "DL", ["C1"], Reason.KEY_NOT_AUTHORISED),
        ({"jurisdiction": "CN"}, "CN-BJ", "DL", ["C1"], None),
        ({"jurisdiction": "CN"}, None, "DL", ["C1"], None),
        ({"jurisdiction": "CN"}, "CNX-1", "DL", ["C1"], Reason.KEY_NOT_AUTHORISED),
        ({"credential_types": frozenset({"DP"})}, "CN-SC", "DL", [], Reason.KEY_NOT_AUTHORISED),
        ({}, "CN-SC", "DL", ["A1", "M"], None),
    ],
)
def test_key_authorisation(
    entry_scope: dict[str, object],
    jurisdiction: str | None,
    ctype: str,
    classes: list[str],
    expected: Reason | None,
) -> None:
    """A key signs only for its jurisdiction (a country covers its provinces), types, classes."""
    entry = _entry(OLD, "CN-SC", **entry_scope)

    def run() -> None:
        check_entry(
            entry, signed_at=NOW, jurisdiction=jurisdiction, credential_type=ctype, classes=classes
        )

    if expected is None:
        run()
    else:
        assert _reason(run) is expected


def test_class_not_authorised_end_to_end() -> None:
    """A provincial key limited to C1/C2 verifies cryptographically but may not sign A1/A2."""
    text = _credential(OLD, NOW, index=3, issuer="CN-JS")  # sample 3 holds A1 A2 in CN-JS
    tl = _list(_entry(OLD, "CN-JS", jurisdiction="CN-JS", classes=frozenset({"C1", "C2"})))
    with pytest.raises(KeyNotAuthorised) as info:
        _verify(tl, text, NOW + HOUR)
    assert info.value.reason is Reason.KEY_NOT_AUTHORISED
    assert (info.value.scope, info.value.value) == ("class", "A1")
    wider = _list(_entry(OLD, "CN-JS", jurisdiction="CN-JS", classes=frozenset({"A1", "A2"})))
    assert _verify(wider, text, NOW + HOUR).licence.issuing_jurisdiction == "CN-JS"


@pytest.mark.parametrize(
    ("scope", "index", "expected"),
    [
        ({"jurisdiction": "CN-SC"}, 1, Reason.KEY_NOT_AUTHORISED),  # a CN-BJ licence
        ({"jurisdiction": "CN"}, 1, None),  # a national key covers every province
        ({"jurisdiction": "CN-BJ"}, 1, None),
        ({"credential_types": frozenset({"XX"})}, 0, Reason.KEY_NOT_AUTHORISED),
        ({"credential_types": frozenset({DRIVING_LICENCE})}, 0, None),
    ],
)
def test_jurisdiction_and_type_authorisation_end_to_end(
    scope: dict[str, object], index: int, expected: Reason | None
) -> None:
    """The verifier refuses a key signing outside its jurisdiction or credential types."""
    text = _credential(OLD, NOW, index=index)
    tl = _list(_entry(OLD, "CN-SC", **scope))
    if expected is None:
        assert _verify(tl, text, NOW + HOUR).kid == kid_for(OLD)
    else:
        assert _reason(lambda: _verify(tl, text, NOW + HOUR)) is expected


def test_revocation_is_checked_before_the_issuer_and_authorisation() -> None:
    """Order: key state (right after the signature) comes before issuer, times and scope."""
    text = _credential(OLD, NOW + 2 * HOUR, index=3, issuer="CN-JS")
    tl = _list(_entry(OLD, "CN-SC", classes=frozenset({"C1"}))).revoke(kid_for(OLD), at=NOW)
    tl = replace(tl, expires_at=NOW + 60 * 24 * HOUR)  # the list itself still holds
    assert _reason(lambda: _verify(tl, text, NOW + 30 * 24 * HOUR)) is Reason.KEY_REVOKED


def test_trusted_key_entry_must_match_the_key() -> None:
    """A TrustedKey refuses an entry that names another key, issuer or kid."""
    entry = _entry(OLD)
    assert entry.to_trusted_key().entry is entry
    assert entry.to_trusted_key().valid_at(NOW + HOUR)
    key = _list(entry).retire(kid_for(OLD), at=NOW + HOUR).entries[0].to_trusted_key()
    assert key.not_after == NOW + HOUR - timedelta(seconds=1) and not key.valid_at(NOW + HOUR)
    assert (key.kid, key.issuer, key.algorithm) == (kid_for(OLD), "CN-SC", Algorithm.ES256)
    assert _reason(lambda: TrustedKey.for_entry("entry")) is Reason.INVALID_ARGUMENT  # type: ignore[arg-type]
    for bad in (
        lambda: TrustedKey(NEW.public_key(), "CN-SC", entry=entry),
        lambda: TrustedKey(OLD.public_key(), "CN-BJ", entry=entry),
        lambda: TrustedKey(OLD.public_key(), "CN-SC", kid=b"x", entry=entry),
        lambda: TrustedKey(OLD.public_key(), "CN-SC", entry="entry"),  # type: ignore[arg-type]
    ):
        assert _reason(bad) is Reason.INVALID_ARGUMENT


def test_status_key_resolver_leaves_out_revoked_keys() -> None:
    """Status lists are verified only with keys their entry does not revoke."""
    tl = _list(_entry(OLD), _entry(NEW)).revoke(kid_for(OLD), at=NOW)
    resolve = tl.to_trust_store().status_key_resolver()
    assert resolve(kid_for(OLD)) == ()
    assert [k.public_key for k in resolve(kid_for(NEW))] == [NEW.public_key()]
    assert resolve(None) == ()


class _FixedKid:
    """A signer that reports a chosen kid, to force kid collisions."""

    def __init__(self, key: PrivateKey, kid: bytes) -> None:
        self._inner = LocalSigner(key)
        self._kid = kid

    @property
    def algorithm(self) -> Algorithm:
        return self._inner.algorithm

    @property
    def kid(self) -> bytes:
        return self._kid

    def sign(self, message: bytes) -> bytes:
        return self._inner.sign(message)


def test_kid_collisions() -> None:
    """Two keys sharing a kid both verify; an edit by that kid alone is ambiguous."""
    kid = b"\x00" * 8
    tl = _list(_entry(OLD, kid=kid), _entry(NEW, "CN-BJ", jurisdiction="CN-BJ", kid=kid))
    assert len(tl.entries_for(kid)) == 2
    assert len(tl.to_trust_store().candidates(kid)) == 2
    a = Issuer(_FixedKid(OLD, kid), issuer="CN-SC").issue(sample_licence(0), now=NOW)
    b = Issuer(_FixedKid(NEW, kid), issuer="CN-BJ").issue(sample_licence(1), now=NOW)
    store = tl.to_trust_store()
    assert Verifier(store).verify(a, now=NOW + HOUR).issuer == "CN-SC"
    assert Verifier(store).verify(b, now=NOW + HOUR).issuer == "CN-BJ"
    for key in store.candidates(kid):
        assert tl.entry_for(key) is key.entry
    # Revoking one of the two keys sharing the kid leaves the other verifying.
    revoked = tl.revoke(kid, at=NOW - HOUR, public_key=OLD.public_key()).to_trust_store()
    assert _reason(lambda: Verifier(revoked).verify(a, now=NOW + HOUR)) is Reason.KEY_REVOKED
    assert Verifier(revoked).verify(b, now=NOW + HOUR).issuer == "CN-BJ"
    assert _reason(lambda: tl.retire(kid, at=NOW)) is Reason.INVALID_ARGUMENT
    one = tl.retire(kid, at=NOW, public_key=NEW.public_key())
    assert [e.state for e in one.entries] == [KeyState.ACTIVE, KeyState.RETIRED]
    assert _reason(lambda: tl.with_entries(_entry(OLD, kid=kid))) is Reason.INVALID_ARGUMENT


# --- X.509 --------------------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


_IACA_KEY = ec.derive_private_key(1234567, ec.SECP256R1())
_ROGUE_KEY = ec.derive_private_key(7654321, ec.SECP256R1())
_DS_KEY = ec.derive_private_key(2345678, ec.SECP256R1())
_START = NOW - timedelta(days=100)


def _usage(*, sign: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(sign, False, False, False, False, cert_sign, cert_sign, False, False)


def _iaca(
    key: ec.EllipticCurvePrivateKey = _IACA_KEY, *, cert_sign: bool = True
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name("IACA Sichuan"))
        .issuer_name(_name("IACA Sichuan"))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=cert_sign), critical=True)
        .sign(key, hashes.SHA256())
    )


def _ds(
    *,
    signer: ec.EllipticCurvePrivateKey = _IACA_KEY,
    usage: x509.KeyUsage | None = None,
    days: int = 365,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name("DS Sichuan 1"))
        .issuer_name(_name("IACA Sichuan"))
        .public_key(_DS_KEY.public_key())
        .serial_number(2)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=days))
        .add_extension(usage or _usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509trust.MDL_DS_EKU]), critical=True)
        .sign(signer, hashes.SHA256())
    )


def test_x509_valid_chain_gives_a_working_key() -> None:
    """A DS certificate chained to the IACA yields a trusted key that verifies credentials."""
    authorities = x509trust.IssuingAuthorities([_iaca()])
    signer = x509trust.verify_document_signer(_ds(), authorities, at=NOW)
    assert signer.kid == kid_for(_DS_KEY) and len(signer.chain) == 2
    store = x509trust.trust_store_from_certificates([_ds()], authorities, at=NOW, issuer="CN-SC")
    verified = Verifier(store).verify(_credential(_DS_KEY, NOW), now=NOW + HOUR)
    assert verified.kid == kid_for(_DS_KEY)
    entry = x509trust.entry_from_certificate(
        _ds(), authorities, at=NOW, issuer="CN-SC", jurisdiction="CN-SC", classes=["C1"]
    )
    assert entry.not_after == _START + timedelta(days=365)
    root = _iaca()
    assert x509trust.load_certificates(root.public_bytes(Encoding.PEM)) == (root,)
    assert x509trust.load_certificates(root.public_bytes(Encoding.DER)) == (root,)


@pytest.mark.parametrize(
    ("make", "at", "expected"),
    [
        (lambda: _ds(days=50), NOW, Reason.KEY_NOT_VALID_AT_TIME),  # expired
        (lambda: _ds(), _START - HOUR, Reason.KEY_NOT_VALID_AT_TIME),  # not yet valid
        (lambda: _ds(signer=_ROGUE_KEY), NOW, Reason.CERTIFICATE_UNTRUSTED),  # wrong issuer
        (lambda: _ds(usage=_usage(cert_sign=True)), NOW, Reason.CERTIFICATE_INVALID),
        (lambda: _iaca(), NOW, Reason.CERTIFICATE_INVALID),  # a CA as document signer
    ],
)
def test_x509_bad_chains_rejected(
    make: Callable[[], x509.Certificate], at: datetime, expected: Reason
) -> None:
    """Expired, foreign-signed and wrong-key-usage document signers are refused."""
    authorities = x509trust.IssuingAuthorities([_iaca()])
    assert _reason(lambda: x509trust.verify_document_signer(make(), authorities, at=at)) is (
        expected
    )


def test_x509_root_needs_key_cert_sign() -> None:
    """A root without keyCertSign is not accepted as an issuing authority."""
    assert _reason(lambda: x509trust.IssuingAuthorities([_iaca(cert_sign=False)])) is (
        Reason.CERTIFICATE_INVALID
    )
    assert _reason(lambda: x509trust.load_certificates(b"junk")) is Reason.CERTIFICATE_INVALID


# --- CLI -------------------------------------------------------------------------------------


def test_cli_init_add_retire_revoke_sign_show(tmp_path: Path, cli: Cli) -> None:
    """The trust commands build, sign and show a list a verifier then loads."""
    root, root_pub, draft = tmp_path / "root.pem", tmp_path / "root.pub.pem", tmp_path / "d.cbor"
    signed, issuer_pub = tmp_path / "list.tl", tmp_path / "issuer.pub.pem"
    issuer_pub.write_bytes(public_key_to_pem(OLD))
    now = ["--now", NOW.isoformat()]
    code, _ = cli(
        "trust", "init", "--key", str(root), "--pub", str(root_pub), "--draft", str(draft),
        "--list-id", "cn-national", *now,
    )  # fmt: skip
    assert code == 0
    code, _ = cli(
        "trust", "add", "--draft", str(draft), "--pub", str(issuer_pub), "--issuer", "CN-SC",
        "--jurisdiction", "CN-SC", "--type", "DL", "--class", "C1", "--class", "C2",
        "--not-before", (NOW - HOUR).isoformat(), "--not-after", (NOW + 1000 * HOUR).isoformat(),
    )  # fmt: skip
    assert code == 0
    assert (
        cli("trust", "sign", "--draft", str(draft), "--key", str(root), "--out", str(signed), *now)[
            0
        ]
        == 0
    )
    first = signed.read_bytes()
    kid = kid_for(OLD).hex()
    assert (
        cli("trust", "retire", "--draft", str(draft), "--kid", kid, "--at", NOW.isoformat())[0] == 0
    )
    assert (
        cli(
            "trust",
            "revoke",
            "--draft",
            str(draft),
            "--kid",
            kid,
            "--at",
            NOW.isoformat(),
            "--compromised",
        )[0]
        == 0
    )
    assert (
        cli("trust", "sign", "--draft", str(draft), "--key", str(root), "--out", str(signed), *now)[
            0
        ]
        == 0
    )
    code, text = cli("trust", "show", str(signed), "--root", str(root_pub), "--json", *now)
    assert code == 0 and '"sequence": 2' in text and '"compromised": true' in text
    store = cli_trust.trust_store_from_files(signed, root_pub, now=NOW)
    assert len(store) == 1  # the compromised key stays, so that its credentials are key_revoked
    text = _credential(OLD, NOW - HOUR)
    assert _reason(lambda: Verifier(store).verify(text, now=NOW)) is Reason.KEY_REVOKED
    pinned = load_public_key_pem(root_pub.read_bytes())
    assert load_trust_list(first, pinned).sequence == 1
    code, _ = cli("trust", "show", str(signed), "--root", str(issuer_pub), *now)
    assert code == 1
    assert cli("trust", "retire", "--draft", str(draft), "--kid", "zz")[0] == 2


def test_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """examples/trust_list_update.py runs and shows rollback, revocation and expiry."""
    path = Path(__file__).resolve().parents[2] / "examples" / "trust_list_update.py"
    runpy.run_path(str(path), run_name="example")["main"](tmp_path)
    out = capsys.readouterr().out
    for expected in ("trust_list_rollback", "(compromised key)", "trust_list_expired"):
        assert expected in out
    assert out.count("VALID ") == 4


# --- issue 9: rollback floor, list validity, root rotation, file safety, X.509 profile ------


def _restart(path: Path, *roots: object) -> TrustListStore:
    return TrustListStore(path, list(roots) or ROOT.public_key())  # type: ignore[arg-type]


def test_update_before_load_cannot_roll_back_after_restart(tmp_path: Path) -> None:
    """Issue 9 item 3: after a restart, update(older list) before load() is a rollback: the
    file on disk is the floor, so a key revoked as compromised stays revoked."""
    path = tmp_path / "trust.tl"
    v1 = _list(_entry(OLD))
    v2 = v1.revoke(kid_for(OLD), at=NOW, compromised=True).next_version(now=NOW)
    old_token, new_token = sign_trust_list(v1, ROOT), sign_trust_list(v2, ROOT)
    store = TrustListStore(path, ROOT.public_key())
    store.update(old_token, now=NOW)
    store.update(new_token, now=NOW)
    restarted = _restart(path)  # the attacker replays list #1 before the app called load()
    assert _reason(lambda: restarted.update(old_token, now=NOW)) is Reason.TRUST_LIST_ROLLBACK
    assert path.read_bytes() == new_token
    current = restarted.current
    assert current is not None and current.sequence == 2
    text = _credential(OLD, NOW - HOUR)
    trust = restarted.trust_store(now=NOW)
    assert _reason(lambda: Verifier(trust).verify(text, now=NOW)) is Reason.KEY_REVOKED


def test_update_takes_its_floor_from_the_file_not_only_from_memory(tmp_path: Path) -> None:
    """Issue 9 item 3: a store that loaded list #1 refuses #2 once the file holds #3."""
    path = tmp_path / "trust.tl"
    first = _restart(path)
    first.update(sign_trust_list(_list(_entry(OLD), sequence=1), ROOT), now=NOW)
    second = _restart(path)
    second.load()
    newest = sign_trust_list(_list(_entry(OLD), sequence=3), ROOT)
    first.update(newest, now=NOW)
    middle = sign_trust_list(_list(_entry(OLD), _entry(NEW), sequence=2), ROOT)
    assert _reason(lambda: second.update(middle, now=NOW)) is Reason.TRUST_LIST_ROLLBACK
    assert path.read_bytes() == newest


def test_verifier_refuses_once_its_trust_list_expired(tmp_path: Path) -> None:
    """Issue 9 item 11: a Verifier built once from trust_store(now) refuses credentials
    with trust_list_expired once the list (plus the grace it was built with) expired."""
    tl = new_trust_list("cn-national", now=NOW, entries=[_entry(OLD)], valid_for=24 * HOUR)
    store = _restart(tmp_path / "trust.tl")
    store.update(sign_trust_list(tl, ROOT), now=NOW)
    text = _credential(OLD, NOW)  # valid for 72 hours
    verifier = Verifier(store.trust_store(now=NOW))
    assert verifier.verify(text, now=NOW + HOUR).kid == kid_for(OLD)
    late = tl.expires_at + HOUR
    assert _reason(lambda: verifier.verify(text, now=late)) is Reason.TRUST_LIST_EXPIRED
    assert _reason(lambda: Verifier(tl.to_trust_store()).verify(text, now=late)) is (
        Reason.TRUST_LIST_EXPIRED
    )
    lenient = Verifier(store.trust_store(now=NOW, grace=2 * HOUR))
    assert lenient.verify(text, now=late).kid == kid_for(OLD)
    assert _reason(lambda: lenient.verify(text, now=late + 2 * HOUR)) is (Reason.TRUST_LIST_EXPIRED)
    extended = verifier.trust.with_keys(TrustedKey(NEW.public_key(), "CN-SC"))
    assert _reason(lambda: Verifier(extended).verify(text, now=late)) is (Reason.TRUST_LIST_EXPIRED)


NEW_ROOT = make_private_key(Algorithm.ES256, 104)
_HANDOVER = NOW + 10 * HOUR  # the new root is valid from here
_OLD_ROOT_END = NOW + 20 * HOUR  # the old root's last moment


def _rotating_roots() -> list[trustlist.PinnedRoot]:
    return [
        trustlist.PinnedRoot(ROOT.public_key(), not_after=_OLD_ROOT_END),
        trustlist.PinnedRoot(NEW_ROOT.public_key(), not_before=_HANDOVER),
    ]


def _version(sequence: int, at: datetime, *entries: TrustListEntry) -> TrustList:
    tl = new_trust_list("cn-national", now=at, entries=entries or (_entry(OLD),))
    return TrustList(tl.list_id, sequence, tl.issued_at, tl.next_update, tl.expires_at, tl.entries)


def test_root_rotation_hands_over_to_the_new_root(tmp_path: Path) -> None:
    """Issue 9 item 12: a newer pinned root's list supersedes the old root's whatever its
    sequence; the old root's lists are then rollbacks, and after its end it is refused."""
    path = tmp_path / "trust.tl"
    store = TrustListStore(path, _rotating_roots())
    store.update(sign_trust_list(_version(7, NOW), ROOT), now=NOW)
    early = sign_trust_list(_version(1, NOW), NEW_ROOT)  # before the new root's window
    assert _reason(lambda: store.update(early, now=NOW)) is Reason.KEY_NOT_VALID_AT_TIME
    t = _HANDOVER + HOUR
    assert store.update(sign_trust_list(_version(1, t), NEW_ROOT), now=t).sequence == 1
    old_again = sign_trust_list(_version(8, t), ROOT)  # genuine old root, higher sequence
    assert _reason(lambda: store.update(old_again, now=t)) is Reason.TRUST_LIST_ROLLBACK
    restarted = TrustListStore(path, _rotating_roots())
    assert _reason(lambda: restarted.update(old_again, now=t)) is Reason.TRUST_LIST_ROLLBACK
    assert restarted.update(sign_trust_list(_version(2, t), NEW_ROOT), now=t).sequence == 2


def test_old_root_is_refused_after_its_end(tmp_path: Path) -> None:
    """Issue 9 item 12: past its end an old root's list is refused (key_not_valid_at_time)
    on update and on verification, and a held list it signed no longer yields keys."""
    after = _OLD_ROOT_END + HOUR
    token = sign_trust_list(_version(3, after), ROOT)
    assert _reason(lambda: verify_trust_list(token, _rotating_roots(), now=after)) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )
    store = TrustListStore(tmp_path / "trust.tl", _rotating_roots())
    assert _reason(lambda: store.update(token, now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    backdated = sign_trust_list(_version(3, NOW), ROOT)
    store.update(backdated, now=NOW)
    verifier = Verifier(store.trust_store(now=NOW))
    text = _credential(OLD, NOW)
    assert verifier.verify(text, now=NOW + HOUR).kid == kid_for(OLD)
    assert _reason(lambda: store.trust_store(now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    assert _reason(lambda: verifier.verify(text, now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    assert _reason(lambda: store.update(backdated, now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    late_signed = sign_trust_list(_version(4, after), ROOT)  # issued after the root's end
    assert _reason(lambda: load_trust_list(late_signed, _rotating_roots())) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )


def test_huge_sequence_jump_refused(tmp_path: Path) -> None:
    """Issue 9 item 12: a list numbered 2^63-1 does not lock out later lists: a jump above
    max_sequence_jump is refused (trust_list_sequence_jump) and the held list stays."""
    path = tmp_path / "trust.tl"
    store = TrustListStore(path, ROOT.public_key())
    store.update(sign_trust_list(_list(_entry(OLD), sequence=1), ROOT), now=NOW)
    huge = sign_trust_list(_list(_entry(NEW), sequence=2**63 - 1), ROOT)
    assert _reason(lambda: store.update(huge, now=NOW)) is Reason.TRUST_LIST_SEQUENCE_JUMP
    assert _reason(lambda: _restart(path).update(huge, now=NOW)) is (
        Reason.TRUST_LIST_SEQUENCE_JUMP
    )
    jump = 1 + trustlist.MAX_SEQUENCE_JUMP
    assert store.update(sign_trust_list(_list(_entry(OLD), sequence=jump), ROOT), now=NOW)
    small = TrustListStore(path, ROOT.public_key(), max_sequence_jump=10)
    nearby = sign_trust_list(_list(_entry(OLD), sequence=jump + 11), ROOT)
    assert _reason(lambda: small.update(nearby, now=NOW)) is Reason.TRUST_LIST_SEQUENCE_JUMP
    assert small.update(sign_trust_list(_list(sequence=jump + 10), ROOT), now=NOW)


def test_pinned_roots_must_be_distinct_keys() -> None:
    """Issue 9 item 12: a root pinned twice (two windows for one key) is a set-up error."""
    twice = [trustlist.PinnedRoot(ROOT.public_key()), ROOT.public_key()]
    assert _reason(lambda: TrustListStore("x.tl", twice)) is Reason.INVALID_ARGUMENT
    assert _reason(lambda: TrustListStore("x.tl", 5)) is Reason.INVALID_ARGUMENT  # type: ignore[arg-type]
    assert _reason(lambda: TrustListStore("x.tl", ["key"])) is Reason.INVALID_ARGUMENT  # type: ignore[list-item]
    assert _reason(lambda: TrustListStore("a\0b.tl", ROOT.public_key()).load()) is (
        Reason.STORAGE_FAILED
    )


def test_load_refuses_an_oversized_sparse_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9 item 13: a 2 GB sparse file is refused by its size, without reading it."""
    path = tmp_path / "trust.tl"
    with path.open("wb") as fh:
        fh.truncate(2 * 1024**3)
    store = _restart(path)

    def no_read(*args: object) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(os, "read", no_read)
    assert _reason(store.load) is Reason.TOO_LARGE
    monkeypatch.undo()
    small = TrustListStore(path, ROOT.public_key(), max_bytes=1024)
    path.write_bytes(bytes(1025))  # the cap is a parameter, checked before decoding
    assert _reason(lambda: small.load()) is Reason.TOO_LARGE
    token = sign_trust_list(_list(_entry(OLD)), ROOT)
    assert _reason(lambda: small.update(token, now=NOW)) is Reason.TOO_LARGE
    assert path.read_bytes() == bytes(1025)  # an unreadable floor is never overwritten


def test_load_refuses_a_symlink(tmp_path: Path) -> None:
    """Issue 9 item 13: the stored list is opened without following a symlink."""
    real = tmp_path / "elsewhere.tl"
    real.write_bytes(sign_trust_list(_list(_entry(OLD)), ROOT))
    path = tmp_path / "trust.tl"
    path.symlink_to(real)
    assert _reason(lambda: _restart(path).load()) is Reason.STORAGE_FAILED
    assert _reason(lambda: _restart(path).update(real.read_bytes(), now=NOW)) is (
        Reason.STORAGE_FAILED
    )
    root_pub = tmp_path / "root.pub.pem"
    root_pub.write_bytes(public_key_to_pem(ROOT))
    assert _reason(lambda: cli_trust.trust_store_from_files(path, root_pub, now=NOW)) is (
        Reason.STORAGE_FAILED
    )
    assert len(cli_trust.trust_store_from_files(real, root_pub, now=NOW)) == 1


@pytest.mark.parametrize("via_symlink", [False, True])
def test_load_refuses_a_fifo_without_hanging(tmp_path: Path, via_symlink: bool) -> None:
    """Issue 9 item 13: a FIFO (or a symlink to one) is refused at once, not waited on."""
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = fifo
    if via_symlink:
        path = tmp_path / "trust.tl"
        path.symlink_to(fifo)
    outcome: list[object] = []

    def load() -> None:
        try:
            _restart(path).load()
        except QrsealError as exc:
            outcome.append(exc.reason)
        else:
            outcome.append(None)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader so that the test run can finish
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(timeout=10)
        pytest.fail("loading a FIFO hung")
    assert outcome == [Reason.STORAGE_FAILED]


def _ca_cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    signer: ec.EllipticCurvePrivateKey,
    path_length: int | None = 0,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(3)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(signer, hashes.SHA256())
    )


def _leaf(
    issuer: str = "IACA Sichuan",
    signer: ec.EllipticCurvePrivateKey = _IACA_KEY,
    *,
    eku: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("DS Sichuan 2"))
        .issuer_name(_name(issuer))
        .public_key(_DS_KEY.public_key())
        .serial_number(4)
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=365))
        .add_extension(_usage(sign=True), critical=True)
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509trust.MDL_DS_EKU]), critical=True
        )
    return builder.sign(signer, hashes.SHA256())


def test_x509_document_signer_without_mdl_ds_eku_refused() -> None:
    """Issue 9 item 14: a DS certificate without the mdlDS extended key usage is refused."""
    authorities = x509trust.IssuingAuthorities([_iaca()])
    assert x509trust.verify_document_signer(_leaf(), authorities, at=NOW).kid == kid_for(_DS_KEY)
    assert _reason(
        lambda: x509trust.verify_document_signer(_leaf(eku=False), authorities, at=NOW)
    ) is (Reason.CERTIFICATE_INVALID)


def test_x509_chain_through_an_intermediate_refused_by_default() -> None:
    """Issue 9 item 14: IACA -> intermediate -> DS is refused (ISO/IEC 18013-5: IACA -> DS)
    unless the authorities explicitly allow intermediates."""
    sub_key = ec.derive_private_key(3456789, ec.SECP256R1())
    iaca = _ca_cert("IACA Sichuan", _IACA_KEY, "IACA Sichuan", _IACA_KEY, path_length=None)
    sub = _ca_cert("Sub CA Sichuan", sub_key, "IACA Sichuan", _IACA_KEY)
    ds = _leaf("Sub CA Sichuan", sub_key)
    strict = x509trust.IssuingAuthorities([iaca])
    assert _reason(
        lambda: x509trust.verify_document_signer(ds, strict, at=NOW, intermediates=[sub])
    ) is (Reason.CERTIFICATE_UNTRUSTED)
    assert _reason(
        lambda: x509trust.trusted_key_from_certificate(
            ds, strict, at=NOW, issuer="CN-SC", intermediates=[sub]
        )
    ) is (Reason.CERTIFICATE_UNTRUSTED)
    lenient = x509trust.IssuingAuthorities([iaca], allow_intermediates=True)
    signer = x509trust.verify_document_signer(ds, lenient, at=NOW, intermediates=[sub])
    assert len(signer.chain) == 3
