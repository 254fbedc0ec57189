"""Status lists wired end to end: the issuer's status claim, the verifier's snapshots and
policy, the result's status and warnings, and loading a folder of tokens."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qrseal import (
    Algorithm,
    Holder,
    Policy,
    QrsealError,
    Reason,
    StatusReference,
    StatusSnapshots,
    TrustedKey,
    TrustStore,
    Verifier,
    WhenUnavailable,
    inspect_unverified,
)
from qrseal.cli.status import status_snapshots_from_dir
from qrseal.licence.profile import DL_FORMAT, LICENCE_CLAIM
from qrseal.status.lists import StatusList
from qrseal.status.reference import decode_status_claim
from qrseal.status.snapshots import StatusMeaning
from qrseal.status.token import sign_status_list, verify_status_list
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_device_signer,
    make_issuer,
    make_private_key,
    make_signer,
    make_trust_store,
    sample_licence,
)
from qrseal.trust.lists import TrustListEntry, new_trust_list
from qrseal.wire.cose import encode_sign1
from qrseal.wire.cwt import Claims, encode_claims
from qrseal.wire.keys import LocalSigner, Signer, public_key_to_pem
from qrseal.wire.textcodec import pack
from tests.support import reason_of as _reason

NOW = FIXED_NOW
HOUR = timedelta(hours=1)
URI = "https://status.example.cn/dl/v1/0"
LIST_AT = NOW - HOUR  # the snapshot's iat
LATER = NOW + HOUR  # verification time
TRUST = make_trust_store()


def _token(
    values: dict[int, int] | None = None,
    *,
    signer: Signer | None = None,
    uri: str = URI,
    at: datetime = LIST_AT,
    valid_for: timedelta = 24 * HOUR,
) -> bytes:
    status_list = StatusList(64, 2)
    for idx, value in (values or {}).items():
        status_list.set(idx, value)
    return sign_status_list(
        status_list,
        signer=signer or make_signer(),
        uri=uri,
        now=at,
        ttl=HOUR,
        valid_for=valid_for,
    )


def _snapshots(*tokens: bytes, trust: TrustStore = TRUST, now: datetime = NOW) -> StatusSnapshots:
    resolver = trust.status_key_resolver()
    return StatusSnapshots(verify_status_list(t, keys=resolver, now=now) for t in tokens)


def _credential(idx: int | None = 5, *, uri: str = URI, at: datetime = NOW, index: int = 0) -> str:
    ref = None if idx is None else StatusReference(uri, idx)
    return make_issuer().issue(sample_licence(index), now=at, status=ref)


def _verifier(snapshots: StatusSnapshots, trust: TrustStore = TRUST, **policy: object) -> Verifier:
    return Verifier(trust, Policy(**policy), status=snapshots)  # type: ignore[arg-type]


# --- issuer ---------------------------------------------------------------------------------


def test_issuer_puts_the_status_reference_in_claim_65535() -> None:
    """Issuer.issue(status=...) adds claim 65535; without it the claim is absent."""
    info = inspect_unverified(_credential(7))
    assert info.claims is not None
    assert decode_status_claim(info.claims.extra[65535]) == StatusReference(URI, 7)
    plain = inspect_unverified(_credential(None))
    assert plain.claims is not None and 65535 not in plain.claims.extra
    bad = lambda: make_issuer().issue(sample_licence(0), now=NOW, status=(URI, 1))  # type: ignore[arg-type]  # noqa: E731
    assert _reason(bad) is Reason.INVALID_ARGUMENT


# --- verifier: outcomes -----------------------------------------------------------------------


def test_valid_status_is_stated_with_the_snapshot_age() -> None:
    """A VALID entry in a fresh list is accepted; the result states status and snapshot age."""
    result = _verifier(_snapshots(_token({6: 1}))).verify(_credential(5), now=LATER)
    assert result.status is not None
    assert (result.status.status, result.status.meaning) == (0, StatusMeaning.VALID)
    assert result.status.snapshot_age == LATER - LIST_AT and result.status.stale is False
    assert result.to_json()["status"] == {
        "uri": URI,
        "idx": 5,
        "value": 0,
        "meaning": "valid",
        "snapshot_age_seconds": 7200,
        "stale": False,
    }
    assert all(w.field != "credential_status" for w in result.warnings())


@pytest.mark.parametrize(("value", "reason"), [(1, Reason.REVOKED), (2, Reason.SUSPENDED)])
def test_revoked_and_suspended_credentials_are_rejected(value: int, reason: Reason) -> None:
    """A revoked (1) or suspended (2) entry rejects the credential with that reason."""
    verifier = _verifier(_snapshots(_token({5: value})))
    with pytest.raises(QrsealError) as info:
        verifier.verify(_credential(5), now=LATER)
    assert info.value.reason is reason
    assert (info.value.uri, info.value.idx, info.value.status) == (URI, 5, value)  # type: ignore[attr-defined]
    assert verifier.verify(_credential(4), now=LATER).status is not None


def test_missing_snapshot_rejects_by_default() -> None:
    """With no list for the credential's URI the default policy rejects: status_unavailable."""
    verifier = _verifier(_snapshots(_token()))
    text = _credential(5, uri="https://status.example.cn/dl/v1/9")
    assert _reason(lambda: verifier.verify(text, now=LATER)) is Reason.STATUS_UNAVAILABLE


def test_missing_snapshot_is_accepted_with_a_warning_when_the_policy_allows() -> None:
    """Under WhenUnavailable.WARN a credential without a snapshot is accepted, flagged stale,
    with a status_unavailable warning in the result and its JSON."""
    verifier = _verifier(_snapshots(_token()), status_unavailable=WhenUnavailable.WARN)
    result = verifier.verify(_credential(5, uri="https://status.example.cn/dl/v1/9"), now=LATER)
    assert result.status is not None
    assert result.status.status is None and result.status.snapshot_age is None
    assert result.status.stale is True
    (warning,) = [w for w in result.warnings() if w.field == "credential_status"]
    assert warning.code == "status_unavailable"
    out = result.to_json()
    assert out["status"]["stale"] is True and out["status"]["value"] is None
    assert any(w["code"] == "status_unavailable" for w in out["warnings"])


@pytest.mark.parametrize("when", [WhenUnavailable.REJECT, WhenUnavailable.WARN])
def test_snapshot_older_than_the_policy_allows(when: WhenUnavailable) -> None:
    """A list older than max_status_age rejects (REJECT) or is accepted with a warning (WARN)."""
    verifier = _verifier(
        _snapshots(_token()), max_status_age=timedelta(minutes=90), status_unavailable=when
    )
    text = _credential(5)
    assert verifier.verify(text, now=NOW).status is not None  # 60 min old: fresh
    if when is WhenUnavailable.REJECT:
        assert _reason(lambda: verifier.verify(text, now=LATER)) is Reason.STATUS_UNAVAILABLE
        return
    result = verifier.verify(text, now=LATER)  # 120 min old: stale
    assert result.status is not None and result.status.stale is True
    assert result.status.snapshot_age == 2 * HOUR and result.status.meaning is StatusMeaning.VALID
    assert [w.code for w in result.warnings() if w.field == "credential_status"] == [
        "status_unavailable"
    ]


def test_snapshot_past_its_exp_is_stale() -> None:
    """A held list past its exp no longer counts as fresh (REJECT: status_unavailable)."""
    verifier = _verifier(_snapshots(_token(valid_for=2 * HOUR)))
    text = _credential(5)
    assert verifier.verify(text, now=NOW).status is not None
    assert _reason(lambda: verifier.verify(text, now=NOW + 1.5 * HOUR)) is (
        Reason.STATUS_UNAVAILABLE
    )


@pytest.mark.parametrize(("value", "reason"), [(1, Reason.REVOKED), (2, Reason.SUSPENDED)])
def test_stale_list_saying_revoked_or_suspended_is_still_obeyed(value: int, reason: Reason) -> None:
    """Accepting without fresh knowledge does not override what the newest list held says."""
    verifier = _verifier(
        _snapshots(_token({5: value})),
        max_status_age=timedelta(minutes=1),
        status_unavailable=WhenUnavailable.WARN,
    )
    assert _reason(lambda: verifier.verify(_credential(5), now=LATER)) is reason


@pytest.mark.parametrize("when", [WhenUnavailable.REJECT, WhenUnavailable.WARN])
def test_value_without_a_meaning_is_never_accepted(when: WhenUnavailable) -> None:
    """Status 3 (application-specific, no meaning configured) is status_unavailable."""
    verifier = _verifier(_snapshots(_token({5: 3})), status_unavailable=when)
    assert _reason(lambda: verifier.verify(_credential(5), now=LATER)) is (
        Reason.STATUS_UNAVAILABLE
    )


def test_index_outside_the_list_is_status_list_invalid() -> None:
    """A reference past the end of the held list is status_list_invalid, whatever the policy."""
    verifier = _verifier(_snapshots(_token()), status_unavailable=WhenUnavailable.WARN)
    assert _reason(lambda: verifier.verify(_credential(64), now=LATER)) is (
        Reason.STATUS_LIST_INVALID
    )


def test_credential_without_a_status_claim() -> None:
    """Without a status claim a credential is accepted (status None) unless the policy
    requires one; requiring one without a status store is refused at construction."""
    snapshots = _snapshots(_token())
    assert _verifier(snapshots).verify(_credential(None), now=LATER).status is None
    strict = _verifier(snapshots, require_status=True)
    assert _reason(lambda: strict.verify(_credential(None), now=LATER)) is (
        Reason.STATUS_UNAVAILABLE
    )
    assert strict.verify(_credential(5), now=LATER).status is not None
    with pytest.raises(QrsealError) as info:
        Verifier(TRUST, Policy(require_status=True))
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_without_a_status_store_the_status_claim_is_not_consulted() -> None:
    """A verifier without snapshots verifies as before and reports no status."""
    result = Verifier(TRUST).verify(_credential(5), now=LATER)
    assert result.status is None and result.to_json()["status"] is None


def test_status_is_checked_only_after_the_credential_passed() -> None:
    """An expired credential of a revoked licence is expired; an untrusted one unknown_key."""
    verifier = _verifier(_snapshots(_token({5: 1})))
    text = make_issuer().issue(
        sample_licence(0), now=NOW, valid_for=HOUR, status=StatusReference(URI, 5)
    )
    assert _reason(lambda: verifier.verify(text, now=NOW + 2 * HOUR)) is Reason.EXPIRED
    foreign = make_issuer(index=9).issue(sample_licence(0), now=NOW, status=StatusReference(URI, 5))
    assert _reason(lambda: verifier.verify(foreign, now=LATER)) is Reason.UNKNOWN_KEY


def test_live_presentation_of_a_revoked_licence_is_rejected() -> None:
    """A DP1 code carries the credential's status reference: revoked is refused live too."""
    device = make_device_signer()
    credential = make_issuer().sign(
        sample_licence(0), now=NOW, holder_key=device.public_key, status=StatusReference(URI, 5)
    )
    code = Holder(credential, device_signer=device).present(now=LATER)
    assert _reason(lambda: _verifier(_snapshots(_token({5: 1}))).verify(code, now=LATER)) is (
        Reason.REVOKED
    )
    result = _verifier(_snapshots(_token())).verify(code, now=LATER)
    assert result.presentation.value == "live" and result.status is not None


def test_malformed_status_claim_is_malformed_claims_when_status_is_checked() -> None:
    """A signed but malformed status claim is malformed_claims for a verifier that checks it."""
    signer = make_signer()
    claims = Claims(
        issuer=TEST_ISSUER,
        issued_at=NOW,
        expires_at=NOW + 24 * HOUR,
        extra={
            65535: {"status_list": {"idx": "5", "uri": URI}},
            LICENCE_CLAIM: sample_licence(0).to_cbor_map(),
        },
    )
    cose = encode_sign1(
        encode_claims(claims), alg=signer.algorithm, kid=signer.kid, sign=signer.sign
    )
    text = pack(cose, DL_FORMAT)
    verifier = _verifier(_snapshots(_token()))
    assert _reason(lambda: verifier.verify(text, now=LATER)) is Reason.MALFORMED_CLAIMS


# --- which lists count for which credentials ----------------------------------------------------


def test_list_signed_by_another_trusted_issuer_is_not_used() -> None:
    """A list for the same URI signed by another issuer's key cannot revoke this issuer's
    credentials: it is no snapshot at all (REJECT: status_unavailable; WARN: a warning)."""
    other = make_signer(index=5)
    trust = TRUST.with_keys(TrustedKey(other.public_key, "CN-OTHER"))
    hostile = _snapshots(_token({5: 1}, signer=other), trust=trust)
    assert _reason(lambda: _verifier(hostile, trust).verify(_credential(5), now=LATER)) is (
        Reason.STATUS_UNAVAILABLE
    )
    lenient = _verifier(hostile, trust, status_unavailable=WhenUnavailable.WARN)
    result = lenient.verify(_credential(5), now=LATER)
    assert result.status is not None and result.status.status is None and result.status.stale


def test_list_signed_by_another_key_of_the_same_issuer_is_used() -> None:
    """Any trusted key of the credential's issuer may sign its status lists."""
    snapshots = _snapshots(_token({5: 2}, signer=make_signer(Algorithm.EDDSA)))
    assert _reason(lambda: _verifier(snapshots).verify(_credential(5), now=LATER)) is (
        Reason.SUSPENDED
    )


def test_trust_list_keys_sign_status_lists_only_while_they_may_sign() -> None:
    """With a trust list: a list signed after its key's retirement is refused at load
    (key_not_valid_at_time); a revoked key's lists are refused at load (unknown_key)."""
    key = make_private_key(index=11)
    signer = LocalSigner(key)
    entry = TrustListEntry(key.public_key(), TEST_ISSUER, "CN", NOW - 48 * HOUR, NOW + 48 * HOUR)
    tl = new_trust_list("cn", now=NOW - 48 * HOUR, entries=[entry])
    retired = tl.retire(signer.kid, at=NOW + HOUR).to_trust_store()
    text = make_issuer(index=11).issue(sample_licence(0), now=NOW, status=StatusReference(URI, 5))
    late, check_at = NOW + 2 * HOUR, NOW + 3 * HOUR
    assert _reason(lambda: _snapshots(_token(signer=signer, at=late), trust=retired, now=late)) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )
    before = _snapshots(_token(signer=signer, at=NOW + HOUR / 2), trust=retired, now=late)
    assert _verifier(before, retired).verify(text, now=check_at).status is not None
    revoked = tl.revoke(signer.kid, at=NOW + HOUR).to_trust_store()
    assert _reason(lambda: _snapshots(_token(signer=signer), trust=revoked)) is Reason.UNKNOWN_KEY


def test_verifier_exposes_its_snapshots() -> None:
    """Verifier.status is the snapshots it was given (None without)."""
    snapshots = _snapshots(_token())
    assert _verifier(snapshots).status is snapshots
    assert Verifier(TRUST).status is None
    with pytest.raises(QrsealError):
        Verifier(TRUST, status={"uri": 1})  # type: ignore[arg-type]


# --- a folder of tokens -------------------------------------------------------------------------


def test_status_snapshots_from_dir_loads_tokens_and_reports_bad_ones(tmp_path: Path) -> None:
    """Every status token in the folder is verified and held; other files are ignored; a
    tampered, expired or foreign token is left out and reported."""
    good = _token({5: 1})
    (tmp_path / "shard-0.cwt").write_bytes(good)
    (tmp_path / "other-uri.token").write_bytes(_token(uri="https://status.example.cn/dl/v1/1"))
    tampered = bytearray(_token(uri="https://status.example.cn/dl/v1/2"))
    tampered[-1] ^= 1
    (tmp_path / "tampered.cwt").write_bytes(bytes(tampered))
    (tmp_path / "expired.cwt").write_bytes(
        _token(uri="https://status.example.cn/dl/v1/3", valid_for=HOUR / 2)
    )
    (tmp_path / "foreign.cwt").write_bytes(
        _token(uri="https://status.example.cn/dl/v1/4", signer=make_signer(index=3))
    )
    (tmp_path / "issuer.pub.pem").write_bytes(public_key_to_pem(make_private_key()))
    (tmp_path / "aggregation.json").write_text('{"status_lists": []}')
    (tmp_path / ".hidden.cwt").write_bytes(b"\xd2junk")
    (tmp_path / "sub").mkdir()
    errors = io.StringIO()
    snapshots = status_snapshots_from_dir(tmp_path, TRUST, now=NOW, errors=errors)
    assert snapshots.uris == (URI, "https://status.example.cn/dl/v1/1")
    report = errors.getvalue()
    assert "tampered.cwt: signature_invalid" in report
    assert "expired.cwt: expired" in report
    assert "foreign.cwt: unknown_key" in report
    assert "pem" not in report and "json" not in report and "hidden" not in report
    verifier = _verifier(snapshots)
    assert _reason(lambda: verifier.verify(_credential(5), now=LATER)) is Reason.REVOKED
    assert _reason(lambda: status_snapshots_from_dir(tmp_path / "nope", TRUST, now=NOW)) is (
        Reason.STORAGE_FAILED
    )


# --- issue 9: who may speak for an issuer's status ------------------------------------------------

OTHER_ISSUER = "CN-OTHER"


class _KidSigner:
    """A signer that claims another key's kid (a shared kid, docs/format.md §14.2.1)."""

    def __init__(self, signer: LocalSigner, kid: bytes) -> None:
        self._signer, self._kid = signer, kid

    @property
    def algorithm(self) -> Algorithm:
        return self._signer.algorithm

    @property
    def kid(self) -> bytes:
        return self._kid

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message)


def _outcome(verifier: Verifier, text: str) -> Reason | None:
    try:
        verifier.verify(text, now=LATER)
    except QrsealError as exc:
        return exc.reason
    return None


@pytest.mark.parametrize("when", list(WhenUnavailable))
def test_another_issuers_later_list_never_displaces_the_issuers_own(when: WhenUnavailable) -> None:
    """issue 9 item 1a: another trusted issuer's key signs a list for the victim's URI with a
    later iat; the victim's genuine list still decides (revoked stays revoked, valid stays
    valid), under the default and the warn policy, in either order of loading."""
    other = make_signer(index=5)
    trust = TRUST.with_keys(TrustedKey(other.public_key, OTHER_ISSUER))
    genuine = _token({5: 1})
    hostile = _token({6: 1}, signer=other, at=LIST_AT + HOUR / 2)
    for tokens in ((genuine, hostile), (hostile, genuine)):
        verifier = _verifier(_snapshots(*tokens, trust=trust), trust, status_unavailable=when)
        assert _outcome(verifier, _credential(5)) is Reason.REVOKED
        assert _outcome(verifier, _credential(6)) is None


def test_another_issuers_list_never_displaces_through_the_status_dir(tmp_path: Path) -> None:
    """issue 9 item 1a through the --status DIR loader: the later foreign list is held apart
    and the victim's revoked licence stays revoked."""
    other = make_signer(index=5)
    trust = TRUST.with_keys(TrustedKey(other.public_key, OTHER_ISSUER))
    (tmp_path / "a-genuine.cwt").write_bytes(_token({5: 1}))
    (tmp_path / "b-hostile.cwt").write_bytes(_token(signer=other, at=LIST_AT + HOUR / 2))
    snapshots = status_snapshots_from_dir(tmp_path, trust, now=NOW)
    for when in WhenUnavailable:
        verifier = _verifier(snapshots, trust, status_unavailable=when)
        assert _outcome(verifier, _credential(5)) is Reason.REVOKED


def _retired_issuer() -> tuple[LocalSigner, LocalSigner, TrustStore]:
    """The test issuer on a trust list: key 11 retired at NOW, key 12 active."""
    old_key, new_key = make_private_key(index=11), make_private_key(index=12)
    start, end = NOW - 48 * HOUR, NOW + 48 * HOUR
    entries = [
        TrustListEntry(old_key.public_key(), TEST_ISSUER, "CN", start, end),
        TrustListEntry(new_key.public_key(), TEST_ISSUER, "CN", start, end),
    ]
    old, new = LocalSigner(old_key), LocalSigner(new_key)
    tl = new_trust_list("cn", now=start, entries=entries).retire(old.kid, at=NOW - HOUR / 2)
    return old, new, tl.to_trust_store()


def test_retired_keys_list_signed_after_retirement_is_refused(tmp_path: Path) -> None:
    """issue 9 item 1b: the issuer's own retired key signs a later list after its retirement:
    refused when loaded (key_not_valid_at_time), directly and through --status DIR, and the
    genuine list still decides."""
    old, new, trust = _retired_issuer()
    text = make_issuer(index=12).issue(sample_licence(0), now=NOW, status=StatusReference(URI, 5))
    genuine = _token({5: 1}, signer=new, at=LIST_AT)
    hostile = _token(signer=old, at=LIST_AT + HOUR / 2)
    resolver = trust.status_key_resolver()
    assert _reason(lambda: verify_status_list(hostile, keys=resolver, now=NOW)) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )
    (tmp_path / "a.cwt").write_bytes(genuine)
    (tmp_path / "b.cwt").write_bytes(hostile)
    errors = io.StringIO()
    snapshots = status_snapshots_from_dir(tmp_path, trust, now=NOW, errors=errors)
    assert "b.cwt: key_not_valid_at_time" in errors.getvalue()
    for when in WhenUnavailable:
        verifier = Verifier(trust, Policy(status_unavailable=when), status=snapshots)
        assert _outcome(verifier, text) is Reason.REVOKED


def test_list_is_rechecked_against_the_verifiers_own_trust_store() -> None:
    """issue 9 item 1: a list counts only while the verifier's trust store lets its key sign
    at its iat: a key marked compromised afterwards speaks for nobody."""
    old, _, trust = _retired_issuer()
    text = make_issuer(index=12).issue(sample_licence(0), now=NOW, status=StatusReference(URI, 5))
    snapshots = _snapshots(_token({5: 1}, signer=old, at=NOW - HOUR), trust=trust)
    assert _outcome(Verifier(trust, status=snapshots), text) is Reason.REVOKED
    start = NOW - 48 * HOUR
    tl = new_trust_list(
        "cn",
        now=start,
        entries=[
            TrustListEntry(k.public_key(), TEST_ISSUER, "CN", start, NOW + 48 * HOUR)
            for k in (make_private_key(index=11), make_private_key(index=12))
        ],
    )
    later = tl.revoke(old.kid, at=NOW - 30 * HOUR, compromised=True).to_trust_store()
    assert _outcome(Verifier(later, status=snapshots), text) is Reason.STATUS_UNAVAILABLE


def _shared_kid_trust() -> tuple[_KidSigner, TrustStore]:
    """Issuer A (the test issuer, ES256 key 0) and issuer B, whose key has A's kid."""
    mine = make_signer()
    theirs = _KidSigner(make_signer(index=7), mine.kid)
    key_b = TrustedKey(make_private_key(index=7).public_key(), OTHER_ISSUER, kid=mine.kid)
    return theirs, TRUST.with_keys(key_b)


@pytest.mark.parametrize("when", list(WhenUnavailable))
def test_shared_kid_lets_no_other_issuer_revoke(when: WhenUnavailable) -> None:
    """issue 9 item 2: issuer B's key shares issuer A's kid; B's list for A's URI revokes
    nothing of A's (A's own list decides, or there is none)."""
    theirs, trust = _shared_kid_trust()
    hostile = _token({5: 1}, signer=theirs, at=LIST_AT + HOUR / 2)
    alone = _verifier(_snapshots(hostile, trust=trust), trust, status_unavailable=when)
    assert _outcome(alone, _credential(5)) is (
        Reason.STATUS_UNAVAILABLE if when is WhenUnavailable.REJECT else None
    )
    both = _snapshots(_token(), hostile, trust=trust)
    assert _outcome(_verifier(both, trust, status_unavailable=when), _credential(5)) is None


@pytest.mark.parametrize("when", list(WhenUnavailable))
def test_shared_kid_lets_no_other_issuer_reinstate(when: WhenUnavailable) -> None:
    """issue 9 item 2: B's later list saying VALID does not reinstate A's revoked licence."""
    theirs, trust = _shared_kid_trust()
    hostile = _token(signer=theirs, at=LIST_AT + HOUR / 2)
    for tokens in ((_token({5: 1}), hostile), (hostile, _token({5: 1}))):
        verifier = _verifier(_snapshots(*tokens, trust=trust), trust, status_unavailable=when)
        assert _outcome(verifier, _credential(5)) is Reason.REVOKED


def test_verified_list_names_the_key_that_verified_it() -> None:
    """issue 9 item 2: VerifiedStatusList.signer is the trusted key whose signature checked,
    not every key with the kid."""
    theirs, trust = _shared_kid_trust()
    verified = verify_status_list(_token(signer=theirs), keys=trust.status_key_resolver(), now=NOW)
    assert verified.signer is not None and verified.signer.issuer == OTHER_ISSUER


# --- issue 9: lists without exp, maximal exp ------------------------------------------------------


def test_list_without_exp_counts_only_within_the_max_status_age() -> None:
    """issue 9 item 10: a list without exp is fresh only within max_status_age of its iat,
    and never under a policy without one."""
    status_list = StatusList(64, 2)
    token = sign_status_list(
        status_list, signer=make_signer(), uri=URI, now=LIST_AT, ttl=None, valid_for=None
    )
    snapshots = _snapshots(token)
    assert _verifier(snapshots, max_status_age=3 * HOUR).verify(_credential(5), now=LATER)
    late = LIST_AT + 4 * HOUR
    stale = _verifier(snapshots, max_status_age=3 * HOUR)
    assert _reason(lambda: stale.verify(_credential(5), now=late)) is Reason.STATUS_UNAVAILABLE
    unbounded = _verifier(snapshots)
    assert _reason(lambda: unbounded.verify(_credential(5), now=LATER)) is (
        Reason.STATUS_UNAVAILABLE
    )


def test_maximal_exp_with_a_grace_period_does_not_overflow(tmp_path: Path) -> None:
    """issue 9 item 4: a list with exp 9999-12-31T23:59:59Z plus an expiry grace loads and
    counts, through the API, the store and the directory loader."""
    exp = datetime(9999, 12, 31, 23, 59, 59, tzinfo=NOW.tzinfo)
    token = _token({5: 1}, valid_for=exp - LIST_AT)
    grace = timedelta(days=30)
    verified = verify_status_list(
        token, keys=TRUST.status_key_resolver(), now=NOW, expiry_grace=grace
    )
    assert verified.expires_at == exp
    store = StatusSnapshots([verified], expiry_grace=grace)
    assert _reason(lambda: _verifier(store).verify(_credential(5), now=LATER)) is Reason.REVOKED
    (tmp_path / "max.cwt").write_bytes(token)
    loaded = status_snapshots_from_dir(tmp_path, TRUST, now=NOW, expiry_grace=grace)
    assert _reason(lambda: _verifier(loaded).verify(_credential(5), now=LATER)) is Reason.REVOKED
