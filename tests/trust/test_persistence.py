"""The verifier app's TrustListStore: persistence, rollback floor, root rotation, file safety (qrseal.trust.persistence)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from qrseal.cli import trust as cli_trust
from qrseal.errors import (
    QrsealError,
    Reason,
)
from qrseal.testing import make_private_key
from qrseal.trust import lists as trustlist
from qrseal.trust.lists import (
    TrustList,
    TrustListEntry,
    TrustListStore,
    load_trust_list,
    new_trust_list,
    sign_trust_list,
    verify_trust_list,
)
from qrseal.trust.persistence import read_regular_file, write_atomic
from qrseal.trust.store import TrustedKey
from qrseal.verifier import Verifier
from qrseal.wire.cose import Algorithm
from qrseal.wire.keys import (
    kid_for,
    public_key_to_pem,
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


def test_store_persists_and_reloads(tmp_path: Path) -> None:
    """An accepted list is written to disk and reloaded at start."""
    path = tmp_path / "trust.tl"
    store = TrustListStore(path, root=ROOT.public_key())
    assert store.load() is None
    assert _reason(lambda: store.trust_store(now=NOW)) is Reason.TRUST_LIST_MISSING
    store.update(sign_trust_list(_list(_entry(OLD)), signer=ROOT), now=NOW)
    again = TrustListStore(path, root=ROOT.public_key())
    loaded = again.load()
    assert loaded is not None and loaded.sequence == 1
    assert len(again.trust_store(now=NOW)) == 1
    late = loaded.expires_at + HOUR
    assert _reason(lambda: again.trust_store(now=late)) is Reason.TRUST_LIST_EXPIRED


def test_rollback_refused(tmp_path: Path) -> None:
    """A lower or equal sequence number is refused; the very same bytes are a no-op."""
    store = TrustListStore(tmp_path / "trust.tl", root=ROOT.public_key())
    two = sign_trust_list(_list(_entry(OLD), sequence=2), signer=ROOT)
    store.update(two, now=NOW)
    one = sign_trust_list(_list(_entry(OLD), _entry(NEW), sequence=1), signer=ROOT)
    assert _reason(lambda: store.update(one, now=NOW)) is Reason.TRUST_LIST_ROLLBACK
    other_two = sign_trust_list(_list(_entry(NEW), sequence=2), signer=ROOT)
    assert _reason(lambda: store.update(other_two, now=NOW)) is Reason.TRUST_LIST_ROLLBACK
    assert store.update(two, now=NOW).sequence == 2
    reloaded = TrustListStore(tmp_path / "trust.tl", root=ROOT.public_key())
    reloaded.load()
    assert _reason(lambda: reloaded.update(one, now=NOW)) is Reason.TRUST_LIST_ROLLBACK


def test_other_list_id_refused(tmp_path: Path) -> None:
    """An update for another list id is refused."""
    store = TrustListStore(tmp_path / "trust.tl", root=ROOT.public_key())
    store.update(sign_trust_list(_list(_entry(OLD)), signer=ROOT), now=NOW)
    other = new_trust_list("cn-other", now=NOW, entries=[_entry(OLD)]).next_version(now=NOW)
    token = sign_trust_list(other, signer=ROOT)
    assert _reason(lambda: store.update(token, now=NOW)) is Reason.TRUST_LIST_MISMATCH


@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_crash_while_persisting_keeps_previous_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """A failure mid-write leaves the previous list current, on disk, and no temp file."""
    path = tmp_path / "trust.tl"
    store = TrustListStore(path, root=ROOT.public_key())
    first = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    store.update(first, now=NOW)

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, broken, crash)
    second = sign_trust_list(_list(_entry(NEW), sequence=2), signer=ROOT)
    assert _reason(lambda: store.update(second, now=NOW)) is Reason.STORAGE_FAILED
    monkeypatch.undo()
    current = store.current
    assert current is not None and current.sequence == 1
    assert path.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trust.tl"]
    restarted = TrustListStore(path, root=ROOT.public_key())
    loaded = restarted.load()
    assert loaded is not None and loaded.sequence == 1


def _restart(path: Path, *roots: object) -> TrustListStore:
    return TrustListStore(path, root=list(roots) or ROOT.public_key())  # type: ignore[arg-type]


def test_update_before_load_cannot_roll_back_after_restart(tmp_path: Path) -> None:
    """Issue 9 item 3: after a restart, update(older list) before load() is a rollback: the
    file on disk is the floor, so a key revoked as compromised stays revoked."""
    path = tmp_path / "trust.tl"
    v1 = _list(_entry(OLD))
    v2 = v1.revoke(kid_for(OLD), at=NOW, compromised=True).next_version(now=NOW)
    old_token, new_token = sign_trust_list(v1, signer=ROOT), sign_trust_list(v2, signer=ROOT)
    store = TrustListStore(path, root=ROOT.public_key())
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
    first.update(sign_trust_list(_list(_entry(OLD), sequence=1), signer=ROOT), now=NOW)
    second = _restart(path)
    second.load()
    newest = sign_trust_list(_list(_entry(OLD), sequence=3), signer=ROOT)
    first.update(newest, now=NOW)
    middle = sign_trust_list(_list(_entry(OLD), _entry(NEW), sequence=2), signer=ROOT)
    assert _reason(lambda: second.update(middle, now=NOW)) is Reason.TRUST_LIST_ROLLBACK
    assert path.read_bytes() == newest


def test_verifier_refuses_once_its_trust_list_expired(tmp_path: Path) -> None:
    """Issue 9 item 11: a Verifier built once from trust_store(now) refuses credentials
    with trust_list_expired once the list (plus the grace it was built with) expired."""
    tl = new_trust_list("cn-national", now=NOW, entries=[_entry(OLD)], valid_for=24 * HOUR)
    store = _restart(tmp_path / "trust.tl")
    store.update(sign_trust_list(tl, signer=ROOT), now=NOW)
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
    store = TrustListStore(path, root=_rotating_roots())
    store.update(sign_trust_list(_version(7, NOW), signer=ROOT), now=NOW)
    early = sign_trust_list(_version(1, NOW), signer=NEW_ROOT)  # before the new root's window
    assert _reason(lambda: store.update(early, now=NOW)) is Reason.KEY_NOT_VALID_AT_TIME
    t = _HANDOVER + HOUR
    assert store.update(sign_trust_list(_version(1, t), signer=NEW_ROOT), now=t).sequence == 1
    old_again = sign_trust_list(_version(8, t), signer=ROOT)  # genuine old root, higher sequence
    assert _reason(lambda: store.update(old_again, now=t)) is Reason.TRUST_LIST_ROLLBACK
    restarted = TrustListStore(path, root=_rotating_roots())
    assert _reason(lambda: restarted.update(old_again, now=t)) is Reason.TRUST_LIST_ROLLBACK
    assert restarted.update(sign_trust_list(_version(2, t), signer=NEW_ROOT), now=t).sequence == 2


def test_old_root_is_refused_after_its_end(tmp_path: Path) -> None:
    """Issue 9 item 12: past its end an old root's list is refused (key_not_valid_at_time)
    on update and on verification, and a held list it signed no longer yields keys."""
    after = _OLD_ROOT_END + HOUR
    token = sign_trust_list(_version(3, after), signer=ROOT)
    assert _reason(lambda: verify_trust_list(token, root=_rotating_roots(), now=after)) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )
    store = TrustListStore(tmp_path / "trust.tl", root=_rotating_roots())
    assert _reason(lambda: store.update(token, now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    backdated = sign_trust_list(_version(3, NOW), signer=ROOT)
    store.update(backdated, now=NOW)
    verifier = Verifier(store.trust_store(now=NOW))
    text = _credential(OLD, NOW)
    assert verifier.verify(text, now=NOW + HOUR).kid == kid_for(OLD)
    assert _reason(lambda: store.trust_store(now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    assert _reason(lambda: verifier.verify(text, now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    assert _reason(lambda: store.update(backdated, now=after)) is Reason.KEY_NOT_VALID_AT_TIME
    late_signed = sign_trust_list(_version(4, after), signer=ROOT)  # issued after the root's end
    assert _reason(lambda: load_trust_list(late_signed, root=_rotating_roots())) is (
        Reason.KEY_NOT_VALID_AT_TIME
    )


def test_huge_sequence_jump_refused(tmp_path: Path) -> None:
    """Issue 9 item 12: a list numbered 2^63-1 does not lock out later lists: a jump above
    max_sequence_jump is refused (trust_list_sequence_jump) and the held list stays."""
    path = tmp_path / "trust.tl"
    store = TrustListStore(path, root=ROOT.public_key())
    store.update(sign_trust_list(_list(_entry(OLD), sequence=1), signer=ROOT), now=NOW)
    huge = sign_trust_list(_list(_entry(NEW), sequence=2**63 - 1), signer=ROOT)
    assert _reason(lambda: store.update(huge, now=NOW)) is Reason.TRUST_LIST_SEQUENCE_JUMP
    assert _reason(lambda: _restart(path).update(huge, now=NOW)) is (
        Reason.TRUST_LIST_SEQUENCE_JUMP
    )
    jump = 1 + trustlist.MAX_SEQUENCE_JUMP
    assert store.update(sign_trust_list(_list(_entry(OLD), sequence=jump), signer=ROOT), now=NOW)
    small = TrustListStore(path, root=ROOT.public_key(), max_sequence_jump=10)
    nearby = sign_trust_list(_list(_entry(OLD), sequence=jump + 11), signer=ROOT)
    assert _reason(lambda: small.update(nearby, now=NOW)) is Reason.TRUST_LIST_SEQUENCE_JUMP
    assert small.update(sign_trust_list(_list(sequence=jump + 10), signer=ROOT), now=NOW)


def test_pinned_roots_must_be_distinct_keys() -> None:
    """Issue 9 item 12: a root pinned twice (two windows for one key) is a set-up error."""
    twice = [trustlist.PinnedRoot(ROOT.public_key()), ROOT.public_key()]
    assert _reason(lambda: TrustListStore("x.tl", root=twice)) is Reason.INVALID_ARGUMENT
    assert _reason(lambda: TrustListStore("x.tl", root=5)) is Reason.INVALID_ARGUMENT  # type: ignore[arg-type]
    assert _reason(lambda: TrustListStore("x.tl", root=["key"])) is Reason.INVALID_ARGUMENT  # type: ignore[list-item]
    assert _reason(lambda: TrustListStore("a\0b.tl", root=ROOT.public_key()).load()) is (
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
    small = TrustListStore(path, root=ROOT.public_key(), max_bytes=1024)
    path.write_bytes(bytes(1025))  # the cap is a parameter, checked before decoding
    assert _reason(lambda: small.load()) is Reason.TOO_LARGE
    token = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    assert _reason(lambda: small.update(token, now=NOW)) is Reason.TOO_LARGE
    assert path.read_bytes() == bytes(1025)  # an unreadable floor is never overwritten


def test_load_refuses_a_symlink(tmp_path: Path) -> None:
    """Issue 9 item 13: the stored list is opened without following a symlink."""
    real = tmp_path / "elsewhere.tl"
    real.write_bytes(sign_trust_list(_list(_entry(OLD)), signer=ROOT))
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


def test_sequence_jump_exactly_at_the_default_cap_is_accepted_one_more_refused(
    tmp_path: Path,
) -> None:
    """A jump of exactly MAX_SEQUENCE_JUMP above the held list is accepted; one more is
    refused (trust_list_sequence_jump) and the held list stays."""
    cap = trustlist.MAX_SEQUENCE_JUMP
    over = TrustListStore(tmp_path / "a.tl", root=ROOT.public_key())
    over.update(sign_trust_list(_list(_entry(OLD), sequence=5), signer=ROOT), now=NOW)
    too_far = sign_trust_list(_list(_entry(OLD), sequence=5 + cap + 1), signer=ROOT)
    assert _reason(lambda: over.update(too_far, now=NOW)) is Reason.TRUST_LIST_SEQUENCE_JUMP
    assert over.current is not None and over.current.sequence == 5
    at = TrustListStore(tmp_path / "b.tl", root=ROOT.public_key())
    at.update(sign_trust_list(_list(_entry(OLD), sequence=5), signer=ROOT), now=NOW)
    exact = sign_trust_list(_list(_entry(OLD), sequence=5 + cap), signer=ROOT)
    assert at.update(exact, now=NOW).sequence == 5 + cap


def test_file_exactly_at_max_bytes_is_read_one_byte_more_refused(tmp_path: Path) -> None:
    """read_regular_file and the store accept a file of exactly max_bytes and refuse one
    byte more (too_large), checked before decoding."""
    path = tmp_path / "blob"
    path.write_bytes(bytes(100))
    assert read_regular_file(path, max_bytes=100) == bytes(100)
    assert _reason(lambda: read_regular_file(path, max_bytes=99)) is Reason.TOO_LARGE
    token = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    stored = tmp_path / "trust.tl"
    stored.write_bytes(token)
    exact = TrustListStore(stored, root=ROOT.public_key(), max_bytes=len(token))
    assert exact.load() is not None
    short = TrustListStore(stored, root=ROOT.public_key(), max_bytes=len(token) - 1)
    assert _reason(short.load) is Reason.TOO_LARGE


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    """write_atomic replaces the whole file and leaves no temporary file behind."""
    path = tmp_path / "out.bin"
    path.write_bytes(b"old contents, longer")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_store_takes_the_root_by_keyword_the_old_forms_warn(tmp_path: Path) -> None:
    """TrustListStore(path, root=...) is the form; the positional root and root_public_key=
    still work and warn; giving the root twice or not at all is refused."""
    token = sign_trust_list(_list(_entry(OLD)), signer=ROOT)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        positional = TrustListStore(tmp_path / "a.tl", ROOT.public_key())
    assert positional.update(token, now=NOW).sequence == 1
    with pytest.warns(DeprecationWarning, match="deprecated"):
        named = TrustListStore(tmp_path / "b.tl", root_public_key=ROOT.public_key())
    assert named.update(token, now=NOW).sequence == 1
    twice = lambda: TrustListStore("x.tl", ROOT.public_key(), root=ROOT.public_key())  # noqa: E731
    assert _reason(twice) is Reason.INVALID_ARGUMENT
    assert _reason(lambda: TrustListStore("x.tl")) is Reason.INVALID_ARGUMENT
