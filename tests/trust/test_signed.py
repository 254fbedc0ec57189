"""Signed trust lists: signature, pinned roots, expiry and grace (qrseal.trust.signed)."""

from __future__ import annotations

from datetime import timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization

from qrseal.errors import (
    QrsealError,
    Reason,
)
from qrseal.testing import make_private_key
from qrseal.trust.lists import (
    Freshness,
    PinnedRoot,
    VerifiedTrustList,
    decode_trust_list,
    encode_trust_list,
    load_trust_list,
    sign_trust_list,
    verify_trust_list,
)
from qrseal.wire.cose import Algorithm
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
    _entry,
    _list,
    _reason,
    _sign_payload,
)


def test_signed_list_verifies_against_pinned_root() -> None:
    """A list signed by the pinned root verifies and carries the typ header."""
    token = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    tl = verify_trust_list(token, root=ROOT.public_key(), now=NOW)
    assert tl.sequence == 1 and tl.entries[0].kid == kid_for(OLD)
    assert load_trust_list(token, root=[NEW.public_key(), ROOT.public_key()]) == tl.trust_list


def test_tampered_or_foreign_list_rejected() -> None:
    """A flipped byte, another root, a wrong typ or a bad payload are each refused."""
    token = bytearray(sign_trust_list(_list(_entry(OLD)), signer=ROOT))
    token[60] ^= 0x01
    assert _reason(lambda: load_trust_list(bytes(token), root=ROOT.public_key())) in {
        Reason.SIGNATURE_INVALID,
        Reason.MALFORMED_CBOR,
        Reason.MALFORMED_COSE,
    }
    good = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    assert _reason(lambda: load_trust_list(good, root=NEW.public_key())) is Reason.UNKNOWN_KEY
    wrong_typ = _sign_payload(encode_trust_list(_list()), typ="application/cwt")
    assert (
        _reason(lambda: load_trust_list(wrong_typ, root=ROOT.public_key()))
        is Reason.MALFORMED_TRUST_LIST
    )
    bad = cbor2.loads(encode_trust_list(_list(_entry(OLD))))
    bad[7][0][99] = 1
    signed_bad = _sign_payload(cbor2.dumps(bad))
    assert (
        _reason(lambda: load_trust_list(signed_bad, root=ROOT.public_key()))
        is Reason.MALFORMED_TRUST_LIST
    )


def test_expired_list_refused_unless_grace_allows() -> None:
    """Past next_update a list is stale; past expires_at it is refused unless within grace."""
    tl = _list(_entry(OLD))
    token = sign_trust_list(tl, signer=ROOT)
    assert tl.freshness(NOW) is Freshness.FRESH
    assert tl.freshness(tl.next_update) is Freshness.STALE
    late = tl.expires_at + HOUR
    assert tl.freshness(late) is Freshness.EXPIRED
    assert _reason(lambda: verify_trust_list(token, root=ROOT.public_key(), now=late)) is (
        Reason.TRUST_LIST_EXPIRED
    )
    assert (
        verify_trust_list(token, root=ROOT.public_key(), now=late, grace=2 * HOUR).trust_list == tl
    )


def test_grace_exactly_at_the_limit_is_refused_one_second_before_accepted() -> None:
    """A list is usable while now < expires_at + grace: one second before the limit it
    verifies, exactly at it trust_list_expired (grace zero and positive alike)."""
    tl = _list(_entry(OLD))
    token = sign_trust_list(tl, signer=ROOT)
    second = timedelta(seconds=1)
    for grace in (timedelta(0), 2 * HOUR):
        limit = tl.expires_at + grace
        ok = verify_trust_list(token, root=ROOT.public_key(), now=limit - second, grace=grace)
        assert ok.trust_list == tl
        with pytest.raises(QrsealError) as info:
            verify_trust_list(token, root=ROOT.public_key(), now=limit, grace=grace)
        assert info.value.reason is Reason.TRUST_LIST_EXPIRED


def test_verify_returns_the_list_with_the_root_that_verified_it() -> None:
    """verify_trust_list returns a VerifiedTrustList: the list, the pinned root whose
    signature verified, the grace; the list's attributes read through, and its trust store
    carries the root's window."""
    old_root = PinnedRoot(ROOT.public_key(), not_after=NOW + 2 * HOUR)
    other = PinnedRoot(NEW.public_key())
    tl = _list(_entry(OLD))
    verified = verify_trust_list(
        sign_trust_list(tl, signer=ROOT), root=[other, old_root], now=NOW, grace=HOUR
    )
    assert isinstance(verified, VerifiedTrustList)
    assert verified.trust_list == tl and verified.root is old_root and verified.grace == HOUR
    assert (verified.list_id, verified.sequence, verified.entries) == (
        tl.list_id,
        tl.sequence,
        tl.entries,
    )
    assert verified.entries_for(kid_for(OLD)) == tl.entries
    store = verified.to_trust_store()
    store.check_usable(NOW + HOUR)
    assert _reason(lambda: store.check_usable(NOW + 3 * HOUR)) is Reason.KEY_NOT_VALID_AT_TIME


def test_keys_are_keyword_only_the_positional_forms_warn() -> None:
    """sign_trust_list(tl, signer=), load/verify_trust_list(data, root=): the positional
    forms still work and warn; a key given twice or not at all is refused."""
    tl = _list(_entry(OLD))
    token = sign_trust_list(tl, signer=ROOT)
    with pytest.warns(DeprecationWarning, match="signer"):
        legacy = sign_trust_list(tl, ROOT)
    assert load_trust_list(legacy, root=ROOT.public_key()) == tl
    with pytest.warns(DeprecationWarning, match="root"):
        assert load_trust_list(token, ROOT.public_key()) == tl
    with pytest.warns(DeprecationWarning, match="root"):
        assert verify_trust_list(token, ROOT.public_key(), now=NOW).trust_list == tl
    assert _reason(lambda: sign_trust_list(tl)) is Reason.INVALID_ARGUMENT
    assert _reason(lambda: load_trust_list(token)) is Reason.INVALID_ARGUMENT
    assert _reason(lambda: sign_trust_list(tl, ROOT, signer=ROOT)) is Reason.INVALID_ARGUMENT


def _posing_as(key: PrivateKey, kid: bytes) -> PinnedRoot:
    """A pinned root whose kid collides with ``kid`` (astronomically unlikely, forged here)."""
    root = PinnedRoot(key.public_key())
    object.__setattr__(root, "kid", kid)
    return root


def test_roots_sharing_a_kid_are_each_tried_and_the_one_that_verified_is_named() -> None:
    """Two pinned roots with the list's kid: the one whose signature verifies is the list's
    root, in either order; the other alone gives signature_invalid, and a colliding root whose
    key cannot carry the list's algorithm alone gives algorithm_not_allowed (next to a root
    that can, whichever order, signature_invalid: as for credentials)."""
    real = PinnedRoot(ROOT.public_key())
    decoy = _posing_as(NEW, real.kid)
    token = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    for roots in ([decoy, real], [real, decoy]):
        assert verify_trust_list(token, root=roots, now=NOW).root is real
    assert _reason(lambda: load_trust_list(token, root=decoy)) is Reason.SIGNATURE_INVALID
    eddsa = _posing_as(OTHER, real.kid)
    assert _reason(lambda: load_trust_list(token, root=eddsa)) is Reason.ALGORITHM_NOT_ALLOWED
    for roots in ([eddsa, decoy], [decoy, eddsa]):
        with pytest.raises(QrsealError) as info:
            load_trust_list(token, root=roots)
        assert info.value.reason is Reason.SIGNATURE_INVALID


@pytest.mark.parametrize("root_alg", [Algorithm.SM2, Algorithm.ML_DSA_44], ids=["SM2", "ML-DSA-44"])
def test_sm2_and_ml_dsa_roots_and_entries(root_alg: Algorithm) -> None:
    """A list signed by an SM2 (or ML-DSA-44) root, listing SM2 and ML-DSA-44 issuer keys,
    verifies; its entries give back the same keys; another root of that algorithm refuses it."""
    root = make_private_key(root_alg, 120)
    sm2_key, mldsa_key = (
        make_private_key(Algorithm.SM2, 121),
        make_private_key(Algorithm.ML_DSA_44, 122),
    )
    token = sign_trust_list(_list(_entry(sm2_key), _entry(mldsa_key)), signer=root)
    tl = verify_trust_list(token, root=root.public_key(), now=NOW)
    assert [e.public_key for e in tl.entries] == [sm2_key.public_key(), mldsa_key.public_key()]
    assert [e.algorithm for e in tl.entries] == [Algorithm.SM2, Algorithm.ML_DSA_44]
    other = make_private_key(root_alg, 123).public_key()
    assert _reason(lambda: verify_trust_list(token, root=other, now=NOW)) in (
        Reason.UNKNOWN_KEY,
        Reason.SIGNATURE_INVALID,
    )


def test_sm2_entry_off_the_curve_is_refused_at_load() -> None:
    """An SM2 entry whose point is not on the SM2 curve (a P-256 point under the SM2 OID) is
    malformed_trust_list when the list is decoded."""
    sm2_key = make_private_key(Algorithm.SM2, 124)
    p256_point = OLD.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    good = encode_trust_list(_list(_entry(sm2_key)))
    spki = sm2_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = good.replace(spki, spki[:-64] + p256_point[1:])
    assert forged != good
    assert _reason(lambda: decode_trust_list(forged)) is Reason.MALFORMED_TRUST_LIST
