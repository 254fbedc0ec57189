"""A verifier's status snapshots (qrseal.status.snapshots): lookup, meanings, freshness, one list
per URI and signer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qrseal import Policy
from qrseal.errors import QrsealError, Reason, Revoked, StatusUnavailable, Suspended
from qrseal.status.lists import (
    StatusList,
)
from qrseal.status.reference import (
    ShardScheme,
    StatusReference,
)
from qrseal.status.snapshots import (
    StatusMeaning,
    StatusSnapshots,
    WhenUnavailable,
    raise_for_status,
)
from qrseal.status.token import (
    sign_status_list,
    verify_status_list,
)
from qrseal.testing import make_signer
from qrseal.trust.store import TrustedKey, TrustStore
from tests.status.support import HOUR, NOW, URI, keys_of, sample_list, signed, verified_list


def test_lookup_maps_values_to_meanings_and_require_valid_raises() -> None:
    """0 is valid, 1 revoked (Revoked), 2 suspended (Suspended), each with its evidence."""
    snapshots = StatusSnapshots([verified_list()])
    later = NOW + HOUR
    result = snapshots.lookup(StatusReference(URI, 3), now=later, max_age=2 * HOUR)
    assert (result.status, result.meaning, result.snapshot_age, result.stale) == (
        0,
        StatusMeaning.VALID,
        HOUR,
        False,
    )
    result.require_valid()
    revoked = snapshots.lookup(StatusReference(URI, 0), now=later, max_age=2 * HOUR)
    assert revoked.meaning is StatusMeaning.REVOKED
    with pytest.raises(Revoked) as info:
        revoked.require_valid()
    assert (info.value.reason, info.value.uri, info.value.idx, info.value.status) == (
        Reason.REVOKED,
        URI,
        0,
        1,
    )
    suspended = snapshots.lookup(StatusReference(URI, 7), now=later, max_age=None)
    with pytest.raises(Suspended) as suspended_info:
        suspended.require_valid()
    assert suspended_info.value.reason is Reason.SUSPENDED


def test_application_values_follow_the_configured_meanings() -> None:
    """Value 3 has no meaning by default (status_unavailable, fail closed); a configured
    mapping gives it one."""
    status_list = StatusList(16, 2)
    status_list.set(5, 3)
    verified = verified_list(status_list)
    result = StatusSnapshots([verified]).lookup(StatusReference(URI, 5), now=NOW, max_age=None)
    assert (result.status, result.meaning) == (3, StatusMeaning.UNKNOWN)
    with pytest.raises(StatusUnavailable) as info:
        result.require_valid()
    assert info.value.status == 3
    custom = StatusSnapshots(
        [verified], meanings={0: StatusMeaning.VALID, 3: StatusMeaning.SUSPENDED}
    )
    assert (
        custom.lookup(StatusReference(URI, 5), now=NOW, max_age=None).meaning
        is StatusMeaning.SUSPENDED
    )
    with pytest.raises(QrsealError) as bad:
        StatusSnapshots(meanings={256: StatusMeaning.VALID})
    assert bad.value.reason is Reason.INVALID_ARGUMENT


def test_missing_list_raises_or_flags_per_policy() -> None:
    """No list for the URI: StatusUnavailable, or with WARN a stale result with no status."""
    ref = StatusReference("https://status.example.cn/dl/9", 1)
    with pytest.raises(StatusUnavailable) as info:
        StatusSnapshots([verified_list()]).lookup(ref, now=NOW, max_age=HOUR)
    assert (info.value.reason, info.value.uri, info.value.age) == (
        Reason.STATUS_UNAVAILABLE,
        ref.uri,
        None,
    )
    result = StatusSnapshots().lookup(
        ref, now=NOW, max_age=HOUR, when_unavailable=WhenUnavailable.WARN
    )
    assert (result.status, result.meaning, result.snapshot_age, result.stale) == (
        None,
        StatusMeaning.UNKNOWN,
        None,
        True,
    )
    with pytest.raises(StatusUnavailable):
        result.require_valid()


def test_list_older_than_max_age_raises_or_flags_per_policy() -> None:
    """A list older than max_age is unavailable, or with WARN gives its value marked stale."""
    snapshots = StatusSnapshots([verified_list()])
    ref = StatusReference(URI, 0)
    late = NOW + 3 * HOUR
    assert not snapshots.lookup(ref, now=NOW + 2 * HOUR, max_age=2 * HOUR).stale
    with pytest.raises(StatusUnavailable) as info:
        snapshots.lookup(ref, now=late, max_age=2 * HOUR)
    assert info.value.age == 3 * HOUR
    result = snapshots.lookup(
        ref, now=late, max_age=2 * HOUR, when_unavailable=WhenUnavailable.WARN
    )
    assert (result.status, result.meaning, result.stale) == (1, StatusMeaning.REVOKED, True)
    with pytest.raises(StatusUnavailable):
        result.require_valid()


def test_list_past_its_exp_is_stale_unless_within_the_grace() -> None:
    """At lookup time a list past exp is unavailable; the store's expiry grace extends it."""
    verified = verified_list(valid_for=HOUR)
    ref = StatusReference(URI, 3)
    with pytest.raises(StatusUnavailable):
        StatusSnapshots([verified]).lookup(ref, now=NOW + HOUR, max_age=None)
    graced = StatusSnapshots([verified], expiry_grace=2 * HOUR)
    assert not graced.lookup(ref, now=NOW + 2 * HOUR, max_age=None).stale
    with pytest.raises(StatusUnavailable):
        graced.lookup(ref, now=NOW + 3 * HOUR, max_age=None)


def test_index_outside_the_list_is_status_list_invalid() -> None:
    """An index beyond the list cannot be answered under any policy."""
    snapshots = StatusSnapshots([verified_list(StatusList(16, 2))])
    for policy in WhenUnavailable:
        with pytest.raises(QrsealError) as info:
            snapshots.lookup(
                StatusReference(URI, 16), now=NOW, max_age=None, when_unavailable=policy
            )
        assert info.value.reason is Reason.STATUS_LIST_INVALID


def test_with_list_is_immutable_and_never_rolls_back() -> None:
    """with_list returns a new store; a newer list replaces an older one, never the reverse."""
    old_list = sample_list()
    new_list = old_list.copy()
    new_list.set(3, 1)
    old = verified_list(old_list)
    new = verified_list(new_list, now=NOW + HOUR)
    empty = StatusSnapshots()
    one = empty.with_list(old)
    assert (len(empty), len(one), one.uris, URI in one) == (0, 1, (URI,), True)
    updated = one.with_list(new)
    assert updated.get(URI) is new and one.get(URI) is old
    assert updated.with_list(old).get(URI) is new
    ref = StatusReference(URI, 3)
    assert updated.lookup(ref, now=NOW + HOUR, max_age=None).meaning is StatusMeaning.REVOKED


def test_naive_now_is_refused_by_lookup() -> None:
    """lookup needs a timezone-aware now."""
    with pytest.raises(QrsealError) as info:
        StatusSnapshots().lookup(StatusReference(URI, 0), now=datetime(2026, 1, 1), max_age=None)
    assert info.value.reason is Reason.INVALID_ARGUMENT


def test_sharded_lists_verify_and_look_up_through_the_store() -> None:
    """Each shard signed under its own URI; a store holding only one shard answers the
    credentials of that shard and reports the others unavailable."""
    scheme = ShardScheme("https://status.example.cn/dl/{shard}", 1024)
    whole = StatusList(3000, 2)
    whole.set_many([5, 1500, 2999], 1)
    signer = make_signer()
    tokens = {
        uri: sign_status_list(part, signer=signer, uri=uri, now=NOW, ttl=HOUR, valid_for=HOUR)
        for uri, part in scheme.split(whole)
    }
    ref = scheme.reference(1500)
    held = verify_status_list(tokens[ref.uri], keys=keys_of(signer), now=NOW, expected_uri=ref.uri)
    snapshots = StatusSnapshots([held])
    assert snapshots.lookup(ref, now=NOW, max_age=HOUR).meaning is StatusMeaning.REVOKED
    with pytest.raises(StatusUnavailable):
        snapshots.lookup(scheme.reference(5), now=NOW, max_age=HOUR)


def test_store_holds_one_list_per_uri_and_signer() -> None:
    """issue 9 item 1: a later list from another issuer's key is held beside, not instead of,
    the issuer's own; lookup reads only the list of the issuer asked for."""
    mine, theirs = make_signer(), make_signer(index=9)
    trust = TrustStore([TrustedKey(mine.public_key, "CN-A"), TrustedKey(theirs.public_key, "CN-B")])
    resolve = trust.status_key_resolver()
    own, _ = signed(sample_list(), signer=mine)
    later, _ = signed(StatusList(1000, 2), signer=theirs, now=NOW + HOUR)
    lists = [verify_status_list(t, keys=resolve, now=NOW + HOUR) for t in (own, later)]
    for order in (lists, lists[::-1]):
        store = StatusSnapshots(order)
        assert (len(store), store.uris) == (2, (URI,))
        assert store.get(URI, "CN-A") is lists[0] and store.get(URI, "CN-B") is lists[1]
        assert store.get(URI) is None
        ref = StatusReference(URI, 0)
        assert store.lookup(ref, now=NOW + HOUR, max_age=None, issuer="CN-A").status == 1
        assert store.lookup(ref, now=NOW + HOUR, max_age=None, issuer="CN-B").status == 0


# --- boundaries and the policy enum ---------------------------------------------------------------

SECOND = timedelta(seconds=1)


def test_list_exactly_max_age_old_is_fresh_and_one_second_older_is_stale() -> None:
    """Freshness by age is ``now - iat <= max_age``: at exactly max_age the list counts, one
    second later it is stale (REJECT raises, WARN flags)."""
    snapshots = StatusSnapshots([verified_list(valid_for=None)])
    ref = StatusReference(URI, 0)
    at_limit = snapshots.lookup(ref, now=NOW + 2 * HOUR, max_age=2 * HOUR)
    assert (at_limit.stale, at_limit.snapshot_age) == (False, 2 * HOUR)
    past = NOW + 2 * HOUR + SECOND
    with pytest.raises(StatusUnavailable) as info:
        snapshots.lookup(ref, now=past, max_age=2 * HOUR)
    assert info.value.age == 2 * HOUR + SECOND
    flagged = snapshots.lookup(
        ref, now=past, max_age=2 * HOUR, when_unavailable=WhenUnavailable.WARN
    )
    assert (flagged.status, flagged.stale) == (1, True)


def test_list_is_fresh_until_one_second_before_exp_plus_grace() -> None:
    """Freshness by expiry is ``now < exp + grace``: one second before it the list counts, at
    it the list is stale."""
    verified = verified_list(valid_for=HOUR)
    ref = StatusReference(URI, 3)
    for grace in (timedelta(0), 2 * HOUR):
        store = StatusSnapshots([verified], expiry_grace=grace)
        limit = NOW + HOUR + grace
        assert not store.lookup(ref, now=limit - SECOND, max_age=None).stale
        with pytest.raises(StatusUnavailable):
            store.lookup(ref, now=limit, max_age=None)


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_last_index_of_the_list_answers_and_the_next_is_status_list_invalid(bits: int) -> None:
    """The last entry of a held list is looked up; the index one past it is status_list_invalid."""
    status_list = StatusList(64, bits)
    status_list.set(63, 1)
    snapshots = StatusSnapshots([verified_list(status_list)])
    result = snapshots.lookup(StatusReference(URI, 63), now=NOW, max_age=None)
    assert (result.status, result.meaning) == (1, StatusMeaning.REVOKED)
    with pytest.raises(QrsealError) as info:
        snapshots.lookup(StatusReference(URI, 64), now=NOW, max_age=None)
    assert info.value.reason is Reason.STATUS_LIST_INVALID


def test_when_unavailable_values_are_the_clis_words() -> None:
    """The policy enum is spelt as the CLI's --status-unavailable reject|warn; iterating it
    gives the two policies once each."""
    assert [w.value for w in WhenUnavailable] == ["reject", "warn"]
    assert WhenUnavailable("reject") is WhenUnavailable.REJECT
    assert WhenUnavailable("warn") is WhenUnavailable.WARN


def test_raise_and_flag_are_deprecated_aliases_of_reject_and_warn() -> None:
    """RAISE and FLAG are the same members as REJECT and WARN; the old values still parse,
    with a DeprecationWarning."""
    # By name: mypy takes alias members for distinct literals.
    assert WhenUnavailable["RAISE"] is WhenUnavailable.REJECT
    assert WhenUnavailable["FLAG"] is WhenUnavailable.WARN
    assert Policy(status_unavailable=WhenUnavailable.RAISE).status_unavailable.value == "reject"
    with pytest.warns(DeprecationWarning, match="reject"):
        assert WhenUnavailable("raise") is WhenUnavailable.REJECT
    with pytest.warns(DeprecationWarning, match="warn"):
        assert WhenUnavailable("flag") is WhenUnavailable.WARN
    with pytest.raises(ValueError, match="ignore"):
        WhenUnavailable("ignore")


@pytest.mark.parametrize(("value", "error"), [(1, Revoked), (2, Suspended), (3, StatusUnavailable)])
def test_require_valid_and_the_verifier_raise_alike(value: int, error: type[QrsealError]) -> None:
    """A stated status that is not VALID raises the same error through require_valid and
    through the verifier's status step (one path from meaning to exception)."""
    status_list = StatusList(16, 2)
    status_list.set(5, value)
    result = StatusSnapshots([verified_list(status_list)]).lookup(
        StatusReference(URI, 5), now=NOW, max_age=None
    )
    with pytest.raises(error) as direct:
        result.require_valid()
    with pytest.raises(error) as shared:
        raise_for_status(result)
    assert (direct.value.reason, direct.value.message) == (
        shared.value.reason,
        shared.value.message,
    )
