"""A folder of Status List Tokens loaded as snapshots (qrseal.status.files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrseal.errors import QrsealError, Reason
from qrseal.status import snapshots_from_dir
from qrseal.status.files import is_status_token
from qrseal.status.lists import DEFAULT_MAX_ENTRIES, StatusList
from qrseal.status.token import token_cap
from qrseal.testing import make_trust_store
from qrseal.wire.cose import encode_sign1
from tests.status.support import NOW, URI, sample_list, signed

TRUST = make_trust_store()


def _collect(
    directory: Path, max_entries: int = DEFAULT_MAX_ENTRIES
) -> tuple[list[str], dict[str, Reason]]:
    skipped: dict[str, Reason] = {}

    def on_skip(path: Path, error: QrsealError) -> None:
        skipped[path.name] = error.reason

    store = snapshots_from_dir(directory, TRUST, now=NOW, max_entries=max_entries, on_skip=on_skip)
    return list(store.uris), skipped


def test_tokens_are_held_and_bad_ones_passed_to_on_skip(tmp_path: Path) -> None:
    """Every good token is held under its URI; a damaged one reaches on_skip with its
    error; files that are not status tokens are ignored silently."""
    token, _ = signed(sample_list())
    (tmp_path / "good.cwt").write_bytes(token)
    (tmp_path / "bad.cwt").write_bytes(token[:-1] + bytes([token[-1] ^ 1]))
    (tmp_path / "notes.txt").write_text("not a token")
    uris, skipped = _collect(tmp_path)
    assert uris == [URI]
    assert skipped == {"bad.cwt": Reason.SIGNATURE_INVALID}


def test_missing_folder_is_storage_failed(tmp_path: Path) -> None:
    """A folder that cannot be listed raises storage_failed (it is not skipped)."""
    with pytest.raises(QrsealError) as info:
        snapshots_from_dir(tmp_path / "absent", TRUST, now=NOW)
    assert info.value.reason is Reason.STORAGE_FAILED


def test_file_of_exactly_the_token_cap_is_read_and_one_byte_more_is_too_large(
    tmp_path: Path,
) -> None:
    """The per-file cap is ``token_cap(max_entries)`` bytes, inclusive: a file of exactly
    that size is read (here: refused as malformed, for what it holds), one byte more is
    too_large without being read."""
    cap = token_cap(0)
    (tmp_path / "at-cap.cwt").write_bytes(b"\xd2" + bytes(cap - 1))
    (tmp_path / "over-cap.cwt").write_bytes(b"\xd2" + bytes(cap))
    uris, skipped = _collect(tmp_path, max_entries=0)
    assert uris == []
    assert skipped["over-cap.cwt"] is Reason.TOO_LARGE
    assert skipped["at-cap.cwt"] is not Reason.TOO_LARGE


def test_is_status_token_tells_status_tokens_from_other_cose() -> None:
    """A COSE_Sign1 with the status-list typ is a status token, as is a damaged COSE_Sign1
    (so that verification reports it); another COSE_Sign1 and non-COSE bytes are not."""
    token, signer = signed(StatusList(8, 1))
    assert is_status_token(token)
    assert is_status_token(b"\xd2\x84junk")
    other = encode_sign1(b"{}", alg=signer.algorithm, sign=signer.sign, kid=signer.kid)
    assert not is_status_token(other)
    assert not is_status_token(b'{"status_lists": []}')
