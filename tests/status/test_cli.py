"""``qrseal status init | set | publish | show`` (qrseal.cli.status) and the publisher example."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qrseal.status.reference import (
    ShardScheme,
)
from qrseal.status.snapshots import (
    StatusMeaning,
    StatusSnapshots,
)
from qrseal.status.token import (
    verify_status_list,
)
from qrseal.wire.keys import (
    generate_private_key,
    load_public_key_pem,
    private_key_to_pem,
    public_key_to_pem,
)
from tests.status.support import HOUR, NOW, ROOT, URI
from tests.support import Cli


def run_cli(*argv: str) -> tuple[int, str]:
    return Cli()(*argv)


@pytest.fixture
def key_files(tmp_path: Path) -> tuple[Path, Path]:
    key = generate_private_key()
    private, public = tmp_path / "issuer.key", tmp_path / "issuer.pub.pem"
    private.write_bytes(private_key_to_pem(key))
    public.write_bytes(public_key_to_pem(key))
    return private, public


def test_cli_init_set_publish_show(tmp_path: Path, key_files: tuple[Path, Path]) -> None:
    """init -> set -> publish -> show verifies offline and reports counts and lookups."""
    private, public = key_files
    lst, token = tmp_path / "list.cbor", tmp_path / "list.cwt"
    assert run_cli("status", "init", str(lst), "--entries", "1e4", "--bits", "2")[0] == 0
    code, text = run_cli("status", "set", str(lst), "17=revoked", "42=suspended", "43=3")
    assert code == 0 and "17 = 1 (revoked)" in text
    code, text = run_cli(
        "status", "publish", str(lst), "--key", str(private), "--uri", URI, "--out", str(token),
        "--now", "2026-11-25T09:00:00Z", "--ttl", "1h", "--valid-for", "1d",
    )  # fmt: skip
    assert code == 0 and "10000 entries" in text
    code, text = run_cli(
        "status", "show", str(token), "--key", str(public), "--index", "17", "--index", "0",
        "--uri", URI, "--now", "2026-11-25T10:00:00Z",
    )  # fmt: skip
    assert code == 0
    assert "valid 9,997, revoked 1, suspended 1, 3 1" in text
    assert "index 17   1 (revoked)" in text and "index 0    0 (valid)" in text
    code, text = run_cli(
        "status", "show", str(token), "--key", str(public), "--json", "--index", "42",
        "--now", "2026-11-25T10:00:00Z",
    )  # fmt: skip
    report = json.loads(text)
    assert code == 0 and report["counts"] == {"0": 9997, "1": 1, "2": 1, "3": 1}
    assert report["lookups"] == {"42": {"status": 2, "meaning": "suspended"}}


def test_cli_failures_exit_1_with_the_reason_and_usage_errors_exit_2(
    tmp_path: Path, key_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """An expired or wrongly keyed token exits 1 naming the reason; bad input exits 2."""
    private, _ = key_files
    lst, token = tmp_path / "list.cbor", tmp_path / "list.cwt"
    run_cli("status", "init", str(lst), "--entries", "64")
    run_cli(
        "status", "publish", str(lst), "--key", str(private), "--uri", URI, "--out", str(token),
        "--now", "2026-11-25T09:00:00Z", "--valid-for", "1h", "--compression", "rle",
    )  # fmt: skip
    other = tmp_path / "other.pub.pem"
    other.write_bytes(public_key_to_pem(generate_private_key()))
    assert run_cli("status", "show", str(token), "--key", str(other))[0] == 1
    assert "signature_invalid" in capsys.readouterr().err
    _, public = key_files
    late = "2026-11-25T10:00:00Z"
    assert run_cli("status", "show", str(token), "--key", str(public), "--now", late)[0] == 1
    assert "expired" in capsys.readouterr().err
    assert run_cli("status", "set", str(lst), "99=1")[0] == 2  # issue 11: out of range: set-up
    assert run_cli("status", "set", str(lst), "seven=1")[0] == 2
    assert run_cli("status", "init", str(lst), "--entries", "8")[0] == 2
    assert run_cli("status", "show", str(token))[0] == 2
    assert run_cli("status", "show", str(tmp_path / "missing.cwt"), "--key", str(public))[0] == 2


def test_status_publisher_example_publishes_verifiable_shards(tmp_path: Path) -> None:
    """examples/status_publisher.py writes one token per shard and the aggregation; each
    verifies and says what the changes file asked for."""
    changes = tmp_path / "changes.csv"
    changes.write_text("5,revoked\n70000,suspended\n99999,1\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable, str(ROOT / "examples" / "status_publisher.py"),
            "--entries", "100000", "--shard-size", "32768", "--changes", str(changes),
            "--revoke-fraction", "0.001", "--out", str(out), "--now", "2026-11-25T09:00:00Z",
            "--template", "https://status.example.cn/dl/{shard}",
        ],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    aggregation = json.loads((out / "aggregation.json").read_text(encoding="utf-8"))
    assert len(aggregation["status_lists"]) == 4
    public = load_public_key_pem((out / "issuer.pub.pem").read_bytes())
    scheme = ShardScheme("https://status.example.cn/dl/{shard}", 32768)
    snapshots = StatusSnapshots()
    for shard, uri in enumerate(aggregation["status_lists"]):
        token = (out / f"shard-{shard}.cwt").read_bytes()
        snapshots = snapshots.with_list(
            verify_status_list(token, keys=lambda kid: [public], now=NOW, expected_uri=uri)
        )
    for index, meaning in (
        (5, StatusMeaning.REVOKED),
        (70000, StatusMeaning.SUSPENDED),
        (99999, StatusMeaning.REVOKED),
    ):
        assert snapshots.lookup(scheme.reference(index), now=NOW, max_age=HOUR).meaning is meaning
