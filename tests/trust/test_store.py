"""Trusted keys and the trust store built from a list (qrseal.trust.store)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qrseal.errors import (
    AlgorithmNotAllowed,
    Reason,
    SignatureInvalid,
)
from qrseal.issuer import Issuer
from qrseal.testing import make_private_key, sample_licence
from qrseal.trust.lists import (
    KeyState,
)
from qrseal.trust.store import TrustedKey
from qrseal.verifier import Verifier
from qrseal.wire.cose import Algorithm
from qrseal.wire.keys import (
    LocalSigner,
    PrivateKey,
    kid_for,
)

from .support import (
    HOUR,
    NEW,
    NOW,
    OLD,
    _entry,
    _list,
    _reason,
)


def test_trusted_key_entry_must_match_the_key() -> None:
    """A TrustedKey refuses an entry that names another key, issuer or kid."""
    entry = _entry(OLD)
    assert TrustedKey.for_entry(entry).entry is entry
    assert TrustedKey.for_entry(entry).valid_at(NOW + HOUR)
    key = TrustedKey.for_entry(_list(entry).retire(kid_for(OLD), at=NOW + HOUR).entries[0])
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
    a = Issuer(signer=_FixedKid(OLD, kid), issuer="CN-SC").issue(sample_licence(0), now=NOW)
    b = Issuer(signer=_FixedKid(NEW, kid), issuer="CN-BJ").issue(sample_licence(1), now=NOW)
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


def test_kept_verifying_function_still_refuses_other_signatures() -> None:
    """A trusted key's verifying function, made once and kept, accepts only its own key's
    signatures, every time; another algorithm is refused."""
    own, other = LocalSigner(make_private_key()), LocalSigner(make_private_key(index=1))
    key = TrustedKey(own.public_key, "CN-SC")
    message = b"to be signed"
    verify = key.verifying_function(Algorithm.ES256)
    assert key.verifying_function(Algorithm.ES256) is verify
    for _ in range(2):
        verify(own.sign(message), message)
        with pytest.raises(SignatureInvalid):
            verify(other.sign(message), message)
        with pytest.raises(SignatureInvalid):
            verify(own.sign(message), message + b"!")
    with pytest.raises(AlgorithmNotAllowed):
        key.verifying_function(Algorithm.EDDSA)
