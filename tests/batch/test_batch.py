"""Batch issuance: every record ends as exactly one credential or one typed reject, in input
order; a crash at any point resumes without loss or duplication; status lists are written."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from qrseal.batch import BatchReport, Engine, StatusAllocation, issue_batch
from qrseal.batch.journal import JOURNAL_SUFFIX
from qrseal.errors import Reason
from qrseal.status.reference import ShardScheme
from qrseal.status.token import verify_status_list
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_private_key,
    make_trust_store,
    sample_licence_json,
)
from qrseal.trust.store import TrustedKey, TrustStore
from qrseal.verifier import Verifier
from qrseal.wire.algorithms import Algorithm
from qrseal.wire.keys import kid_for
from qrseal.wire.pkcs11 import TokenKey, generate_token_key
from tests.batch.support import BAD_EVERY, read_lines, write_csv, write_jsonl
from tests.hsm import SoftHsm
from tests.support import reason_of

KEY = make_private_key(Algorithm.EDDSA)  # deterministic signatures: runs compare byte for byte
SCHEME = ShardScheme("https://status.example.cn/dl/{shard}", 64)
ALLOCATION = StatusAllocation(SCHEME, start=100)
COUNT = 300


def _issue(
    src: Path,
    out: Path,
    *,
    issuer: str = TEST_ISSUER,
    chunk_size: int = 40,
    engine: Engine = Engine.SERIAL,
    workers: int | None = None,
    status: StatusAllocation | None = ALLOCATION,
    png_dir: Path | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> BatchReport:
    return issue_batch(
        src, out, signer=KEY, issuer=issuer, now=FIXED_NOW, engine=engine, workers=workers,
        chunk_size=chunk_size, status=status, png_dir=png_dir, on_chunk=on_chunk,
    )  # fmt: skip


@pytest.fixture
def records(tmp_path: Path) -> Path:
    """COUNT JSON Lines records with broken ones mixed in."""
    return write_jsonl(tmp_path / "records.jsonl", COUNT)


def test_every_record_ends_once_as_credential_or_typed_reject(
    tmp_path: Path, records: Path
) -> None:
    """Each input record is one output or one reject line, in order; rejects carry the
    stable reason; credentials verify and carry the status entry allocated to their record."""
    out = tmp_path / "out.jsonl"
    report = issue_batch(
        records, out, signer=KEY, issuer=TEST_ISSUER, now=FIXED_NOW, engine=Engine.SERIAL,
        chunk_size=40, status=StatusAllocation(SCHEME, start=100), status_dir=tmp_path / "st",
    )  # fmt: skip
    issued, rejected = read_lines(out), read_lines(out.with_name("out.jsonl.rejects"))
    assert report.records == len(issued) + len(rejected) == COUNT
    assert (report.issued, report.rejected) == (len(issued), len(rejected))
    bad = {i for i in range(COUNT) if i % BAD_EVERY == 1}
    assert [line["id"] for line in issued] == [f"r{i}" for i in range(COUNT) if i not in bad]
    reasons = Counter(str(line["reason"]) for line in rejected)
    assert set(reasons) == {Reason.MALFORMED_RECORD.value, Reason.INVALID_LICENCE.value}
    assert reasons[Reason.MALFORMED_RECORD.value] == len(
        [i for i in bad if (i // BAD_EVERY) % 3 != 2]
    )
    verifier = Verifier(make_trust_store())
    for line in issued[:: len(issued) // 7]:
        verified = verifier.verify(str(line["credential"]), now=FIXED_NOW + timedelta(hours=1))
        ordinal = int(str(line["id"])[1:])
        ref = SCHEME.reference(100 + ordinal)
        assert (line["status_uri"], line["status_idx"]) == (ref.uri, ref.idx)
        assert verified.kid == kid_for(KEY)
    # Indices 100 .. 100 + COUNT - 1 fall in shards 1 .. 6: one token each, signed by the key.
    assert [p.name for p in report.status_tokens] == [f"shard-{k}.cwt" for k in range(1, 7)]
    token = verify_status_list(
        report.status_tokens[0].read_bytes(), keys=[(kid_for(KEY), KEY.public_key())],
        now=FIXED_NOW, expected_uri=SCHEME.uri(1),
    )  # fmt: skip
    assert len(token.status_list) == SCHEME.shard_size


def test_csv_records_issue_like_json_lines(tmp_path: Path) -> None:
    """A CSV with an id column and one column per licence field issues every row."""
    src = write_csv(tmp_path / "records.csv", 12)
    report = issue_batch(
        src, tmp_path / "out.jsonl", signer=KEY, issuer=TEST_ISSUER, now=FIXED_NOW,
        engine=Engine.SERIAL,
    )  # fmt: skip
    assert (report.issued, report.rejected) == (12, 0)
    assert [line["id"] for line in read_lines(tmp_path / "out.jsonl")] == [
        f"c{i}" for i in range(12)
    ]


class _Crash(Exception):
    """Stands for a crash after a chunk was committed."""


def test_a_crash_resumes_without_loss_or_duplication(tmp_path: Path, records: Path) -> None:
    """Interrupted after its third chunk, with a half-written chunk and a torn journal line
    left behind, the same call finishes the batch: the files equal an uninterrupted run's."""
    reference = tmp_path / "ref.jsonl"
    _issue(records, reference)
    out = tmp_path / "out.jsonl"

    def crash(number: int) -> None:
        if number == 2:
            raise _Crash

    with pytest.raises(_Crash):
        _issue(records, out, on_chunk=crash)
    with out.open("a") as fh:  # a crash in the middle of the next chunk's append
        fh.write('{"id": "r121", "credential": "DL1:1234')
    with out.with_name(out.name + JOURNAL_SUFFIX).open("a") as fh:
        fh.write('{"chunk": 3, "inp')
    report = _issue(records, out)
    assert report.chunks_skipped == 3
    assert out.read_bytes() == reference.read_bytes()
    rejects = out.with_name(out.name + ".rejects")
    assert rejects.read_bytes() == reference.with_name("ref.jsonl.rejects").read_bytes()
    again = _issue(records, out)  # a finished batch run again changes nothing
    assert again.chunks_issued == 0
    assert out.read_bytes() == reference.read_bytes()


def test_resuming_other_input_or_settings_is_refused(tmp_path: Path, records: Path) -> None:
    """A journal for other input, other settings, or an output without a journal: refused."""
    out = tmp_path / "out.jsonl"
    _issue(records, out)
    changed = write_jsonl(tmp_path / "changed.jsonl", COUNT + 5)
    lines = changed.read_text(encoding="utf-8").splitlines(keepends=True)
    changed.write_text("".join([lines[1], lines[0], *lines[2:]]), encoding="utf-8")
    assert reason_of(lambda: _issue(changed, out)) is Reason.BATCH_MISMATCH
    assert reason_of(lambda: _issue(records, out, issuer="CN-BJ")) is Reason.BATCH_MISMATCH
    assert reason_of(lambda: _issue(records, out, chunk_size=50)) is Reason.BATCH_MISMATCH
    shorter = write_jsonl(tmp_path / "short.jsonl", 100)
    assert reason_of(lambda: _issue(shorter, out)) is Reason.BATCH_MISMATCH
    stray = tmp_path / "stray.jsonl"
    stray.write_text("{}\n")
    assert reason_of(lambda: _issue(records, stray)) is Reason.BATCH_MISMATCH


def test_worker_processes_give_the_serial_output(tmp_path: Path, records: Path) -> None:
    """Two worker processes produce the serial run's files byte for byte (Ed25519)."""
    _issue(records, tmp_path / "serial.jsonl")
    _issue(records, tmp_path / "pool.jsonl", engine=Engine.PROCESS, workers=2)
    assert (tmp_path / "pool.jsonl").read_bytes() == (tmp_path / "serial.jsonl").read_bytes()


def test_png_rendering_draws_each_credential(tmp_path: Path) -> None:
    """With png_dir each output line names a PNG that scans back to its credential."""
    from qrseal.qr import scan

    src = write_jsonl(tmp_path / "records.jsonl", 3)
    _issue(src, tmp_path / "out.jsonl", png_dir=tmp_path / "png", status=None)
    for line in read_lines(tmp_path / "out.jsonl"):
        found = scan(tmp_path / "png" / str(line["png"]))
        assert [result.text for result in found] == [line["credential"]]


def test_workers_sign_with_a_token_key(tmp_path: Path, softhsm: SoftHsm) -> None:
    """With a TokenKey each worker process opens its own session on the token; every
    credential verifies against the token's public key."""
    public = generate_token_key(softhsm.module, softhsm.token, softhsm.pin, label="batch")
    token_key = TokenKey(softhsm.module, softhsm.token, softhsm.pin, label="batch")
    src = write_jsonl(tmp_path / "records.jsonl", 36)
    report = issue_batch(
        src, tmp_path / "out.jsonl", signer=token_key, issuer="CN-SC", now=FIXED_NOW,
        engine=Engine.PROCESS, workers=2, chunk_size=10,
    )  # fmt: skip
    assert report.records == 36 and report.rejected == 1
    verifier = Verifier(TrustStore([TrustedKey(public, "CN-SC")]))
    for line in read_lines(tmp_path / "out.jsonl"):
        assert verifier.verify(str(line["credential"]), now=FIXED_NOW).kid == kid_for(public)


def _with_duplicates(path: Path) -> Path:
    """Records r0..r129 (broken ones mixed in), then r85 again (issued in an earlier chunk),
    r131 twice in a row (one chunk), and r75, whose first record was an invalid licence
    (rejected under its id), so this one is issued."""
    write_jsonl(path, 130)
    extra = [("r85", 0), ("r131", 1), ("r131", 2), ("r75", 3)]
    with path.open("a", encoding="utf-8") as fh:
        for record_id, sample in extra:
            record = {"id": record_id, "licence": sample_licence_json(sample)}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("index_loss", ["deleted", "behind"])
def test_duplicate_ids_become_rejects_and_resume_exactly(tmp_path: Path, index_loss: str) -> None:
    """A record whose id the batch already issued (earlier chunk or same chunk) is a
    duplicate_record reject, not a second credential; an id whose first record was rejected
    is issued; a crashed run resumes to the same files, even with its id index deleted or
    missing the last committed chunk (a power cut)."""
    src = _with_duplicates(tmp_path / "dups.jsonl")
    reference = tmp_path / "ref.jsonl"
    report = _issue(src, reference, status=None)
    issued = [str(line["id"]) for line in read_lines(reference)]
    assert len(issued) == len(set(issued)) == report.issued
    rejected = read_lines(reference.with_name("ref.jsonl.rejects"))
    duplicates = [line for line in rejected if line["reason"] == Reason.DUPLICATE_RECORD.value]
    assert [line["id"] for line in duplicates] == ["r85", "r131"]
    assert issued.count("r75") == 1  # its first record was rejected: the second is issued
    assert {"id": "r75", "reason": Reason.INVALID_LICENCE.value} in [
        {"id": line["id"], "reason": line["reason"]} for line in rejected
    ]
    assert report.records == sum(1 for line in src.read_text().splitlines() if line.strip())

    out = tmp_path / "out.jsonl"

    def crash(number: int) -> None:
        if number == 2:
            raise _Crash

    with pytest.raises(_Crash):
        _issue(src, out, status=None, on_chunk=crash)
    if index_loss == "deleted":
        for sidecar in tmp_path.glob("out.jsonl.ids*"):
            sidecar.unlink()  # lost: rebuilt from the committed output
    else:
        with closing(sqlite3.connect(tmp_path / "out.jsonl.ids")) as db, db:
            assert db.execute("DELETE FROM ids WHERE chunk = 2").rowcount > 0
    _issue(src, out, status=None)
    assert out.read_bytes() == reference.read_bytes()
    rejects = out.with_name("out.jsonl.rejects")
    assert rejects.read_bytes() == reference.with_name("ref.jsonl.rejects").read_bytes()
