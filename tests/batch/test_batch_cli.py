"""``qrseal batch issue`` on the command line, and a real crash: the process killed with
SIGKILL in the middle of a batch, then the same command run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_private_key
from qrseal.wire.algorithms import Algorithm
from qrseal.wire.keys import private_key_to_pem
from tests.batch.support import read_lines, write_jsonl
from tests.support import Cli

ROOT = Path(__file__).resolve().parents[2]
NOW = FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(tmp_path: Path) -> Path:
    path = tmp_path / "issuer.key"
    path.write_bytes(private_key_to_pem(make_private_key(Algorithm.EDDSA)))
    return path


def _argv(src: Path, out: Path, key: Path, *extra: str) -> list[str]:
    return ["batch", "issue", "--in", str(src), "--out", str(out), "--key", str(key),
            "--issuer", TEST_ISSUER, "--now", NOW, "--engine", "serial", "--chunk-size", "10",
            "--no-progress", *extra]  # fmt: skip


def test_batch_issue_reports_and_exits_by_rejects(tmp_path: Path, cli: Cli) -> None:
    """Exit 0 when all records issue, 1 when some are rejected; --status-dir alone is a
    usage error."""
    key = _key(tmp_path)
    clean = write_jsonl(tmp_path / "clean.jsonl", 1)
    code, out = cli(*_argv(clean, tmp_path / "a.jsonl", key))
    assert code == 0 and "1 issued, 0 rejected" in out
    mixed = write_jsonl(tmp_path / "mixed.jsonl", 3)  # record 1 is broken
    assert cli(*_argv(mixed, tmp_path / "b.jsonl", key))[0] == 1
    assert cli(*_argv(mixed, tmp_path / "c.jsonl", key, "--status-dir", str(tmp_path)))[0] == 2


def test_a_killed_batch_resumes_without_loss_or_duplication(tmp_path: Path, cli: Cli) -> None:
    """SIGKILL after a few committed chunks, then the same command: the output equals an
    uninterrupted run's, byte for byte (Ed25519 signatures are deterministic)."""
    key = _key(tmp_path)
    src = write_jsonl(tmp_path / "records.jsonl", 400)
    out = tmp_path / "out.jsonl"
    journal = tmp_path / "out.jsonl.journal"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = "import sys; from qrseal.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, *_argv(src, out, key)], env=env)
    try:
        while proc.poll() is None:
            if journal.exists() and journal.read_text().count("\n") >= 4:  # header + 3 chunks
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        proc.wait()
    killed = proc.returncode == -signal.SIGKILL
    committed = journal.read_text().count("\n") - 1
    cli(*_argv(src, out, key))
    reference = tmp_path / "reference.jsonl"
    cli(*_argv(src, reference, key))
    assert out.read_bytes() == reference.read_bytes()
    assert (tmp_path / "out.jsonl.rejects").read_bytes() == (
        tmp_path / "reference.jsonl.rejects"
    ).read_bytes()
    ids = [line["id"] for line in read_lines(out)] + [
        line["id"] for line in read_lines(tmp_path / "out.jsonl.rejects")
    ]
    assert len(ids) == 400
    # The kill landed mid-batch (the test proves nothing about resuming otherwise).
    assert killed and 3 <= committed < 400 // 10
