"""Entry states and scopes: rotation, revocation, authorisation, end to end (qrseal.trust.entries)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qrseal.errors import (
    KeyNotAuthorised,
    KeyRevoked,
    QrsealError,
    Reason,
)
from qrseal.holder import Holder
from qrseal.issuer import Issuer
from qrseal.testing import make_device_signer, sample_licence
from qrseal.trust.entries import check_entry_state
from qrseal.trust.lists import (
    DRIVING_LICENCE,
    KeyState,
    TrustList,
    TrustListStore,
    check_entry,
    new_trust_list,
    sign_trust_list,
)
from qrseal.verifier import VerifiedLicence, Verifier
from qrseal.wire.keys import (
    kid_for,
)

from .support import (
    HOUR,
    NEW,
    NOW,
    OLD,
    ROOT,
    _credential,
    _entry,
    _list,
    _reason,
)


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
    store = TrustListStore(tmp_path / "trust.tl", root=ROOT.public_key())
    store.update(sign_trust_list(v1, signer=ROOT), now=NOW)
    tl = store.update(sign_trust_list(v2, signer=ROOT), now=NOW + HOUR)
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
    store = TrustListStore(tmp_path / "trust.tl", root=ROOT.public_key())
    store.update(sign_trust_list(v1, signer=ROOT), now=NOW)
    late = _credential(OLD, NOW + 2 * HOUR)
    assert Verifier(store.trust_store(now=NOW + 3 * HOUR)).verify(late, now=NOW + 3 * HOUR)
    v2 = v1.revoke(kid_for(OLD), at=NOW + HOUR).next_version(now=NOW + 3 * HOUR)
    store.update(sign_trust_list(v2, signer=ROOT), now=NOW + 3 * HOUR)
    restarted = TrustListStore(tmp_path / "trust.tl", root=ROOT.public_key())
    restarted.load()
    trust = restarted.trust_store(now=NOW + 4 * HOUR)
    assert _reason(lambda: Verifier(trust).verify(late, now=NOW + 4 * HOUR)) is Reason.KEY_REVOKED


def test_entry_checks_run_on_live_presentations_too() -> None:
    """A live code whose credential was signed by a revoked key is key_revoked."""
    device = make_device_signer()
    credential = Issuer(signer=OLD, issuer="CN-SC").sign(
        sample_licence(0), now=NOW + 2 * HOUR, holder_key=device.public_key
    )
    code = Holder(credential, device_signer=device).present(now=NOW + 2 * HOUR)
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


def test_entry_window_and_retirement_boundaries() -> None:
    """A key may sign from not_before to not_after inclusive and until one second before
    retired_at: at each edge accepted, one second outside key_not_valid_at_time."""
    second = timedelta(seconds=1)
    entry = _entry(OLD, not_before=NOW, not_after=NOW + HOUR)
    retired = _entry(OLD, state=KeyState.RETIRED, retired_at=NOW)
    accepted = [(entry, NOW), (entry, NOW + HOUR), (retired, NOW - second)]
    refused = [(entry, NOW - second), (entry, NOW + HOUR + second), (retired, NOW)]
    for e, signed_at in accepted:
        check_entry_state(e, signed_at=signed_at)
    for e, signed_at in refused:
        with pytest.raises(QrsealError) as info:
            check_entry_state(e, signed_at=signed_at)
        assert info.value.reason is Reason.KEY_NOT_VALID_AT_TIME
