"""The Dask engine: a LocalCluster of two worker processes issues the same files as the
single-process run, record by record, and resumes a batch another engine began."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrseal.batch import BatchReport, Engine, issue_batch
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_private_key
from qrseal.wire.algorithms import Algorithm
from tests.batch.support import read_lines, write_jsonl

pytest.importorskip("distributed", reason="the dask extra is not installed (./dev setup has it)")

KEY = make_private_key(Algorithm.EDDSA)  # deterministic signatures: runs compare byte for byte


class _Crash(Exception):
    """Stands for a crash after a chunk was committed."""


def _crash_after_second(number: int) -> None:
    if number == 1:
        raise _Crash


def _issue(src: Path, out: Path, engine: Engine, *, crash: bool = False) -> BatchReport:
    return issue_batch(
        src, out, signer=KEY, issuer=TEST_ISSUER, now=FIXED_NOW, chunk_size=20, engine=engine,
        workers=2, on_chunk=_crash_after_second if crash else None,
    )  # fmt: skip


def test_a_local_cluster_issues_what_one_process_issues(tmp_path: Path) -> None:
    """A batch interrupted in this process and finished on two Dask worker processes equals
    the serial run, output and rejects, record by record."""
    src = write_jsonl(tmp_path / "records.jsonl", 120)
    serial, dask = tmp_path / "serial.jsonl", tmp_path / "dask.jsonl"
    _issue(src, serial, Engine.SERIAL)
    with pytest.raises(_Crash):
        _issue(src, dask, Engine.SERIAL, crash=True)
    report = _issue(src, dask, Engine.DASK)
    assert (report.chunks_skipped, report.chunks_issued) == (2, 4)
    assert read_lines(dask) == read_lines(serial)
    assert read_lines(tmp_path / "dask.jsonl.rejects") == read_lines(
        tmp_path / "serial.jsonl.rejects"
    )
    assert report.records == 120
