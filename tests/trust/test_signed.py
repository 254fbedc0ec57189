"""Signed trust lists: signature, pinned roots, expiry and grace (qrseal.trust.signed)."""

from __future__ import annotations

import cbor2

from qrseal.errors import (
    Reason,
)
from qrseal.trust.lists import (
    Freshness,
    encode_trust_list,
    load_trust_list,
    sign_trust_list,
    verify_trust_list,
)
from qrseal.wire.keys import (
    kid_for,
)

from .support import (
    HOUR,
    NEW,
    NOW,
    OLD,
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
