"""The CLI around the licence record: ``qrseal schema``, ``issue`` warnings on stderr and
``issue --strict``, and every problem of a broken record on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qrseal.licence.fields import JsonView
from qrseal.licence.schema import licence_schema
from qrseal.testing import sample_licence_json
from tests.support import Cli

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-25T09:00:00Z"


@pytest.mark.parametrize("view", list(JsonView))
def test_schema_command_prints_the_schema(view: JsonView, cli: Cli) -> None:
    """qrseal schema [--view V] prints the JSON Schema of that view."""
    argv = ["schema"] if view is JsonView.RECORD else ["schema", "--view", view.value]
    assert json.loads(cli.ok(*argv)) == licence_schema(view)


def _issue(cli: Cli, key: Path, record: Path, *extra: str) -> tuple[int, str]:
    return cli("issue", record, "--key", key, "--issuer", "CN-SC", "--now", NOW, *extra)


def test_issue_prints_warnings_to_stderr_and_signs(
    issuer_keys: tuple[Path, Path], tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """A suspended licence (status BD) is signed, with a drive_not_permitted warning on stderr."""
    record = tmp_path / "suspended.json"
    record.write_text(json.dumps(sample_licence_json(2), ensure_ascii=False), encoding="utf-8")
    code, out = _issue(cli, issuer_keys[0], record)
    assert code == 0 and out.startswith("DL1:")
    err = capsys.readouterr().err
    assert "warning" in err and "drive_not_permitted" in err


def test_issue_strict_refuses_a_licence_with_warnings(
    issuer_keys: tuple[Path, Path], tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue --strict signs nothing for a licence with warnings and exits 1 (invalid_licence)."""
    record = tmp_path / "suspended.json"
    record.write_text(json.dumps(sample_licence_json(2), ensure_ascii=False), encoding="utf-8")
    code, out = _issue(cli, issuer_keys[0], record, "--strict")
    assert code == 1 and out == ""
    assert "invalid_licence" in capsys.readouterr().err
    code, out = _issue(cli, issuer_keys[0], ROOT / "examples/records/1-probation.json", "--strict")
    assert code == 0 and out.startswith("DL1:")


def test_issue_of_the_mistakes_record_lists_every_problem(
    issuer_keys: tuple[Path, Path], cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue of the record with mistakes names every expected problem's field on stderr."""
    path = ROOT / "examples" / "records" / "mistakes.json"
    code, out = _issue(cli, issuer_keys[0], path)
    assert code == 1 and out == ""
    err = capsys.readouterr().err
    for field, _code in json.loads(path.read_text(encoding="utf-8"))["_expected_problems"]:
        assert f"{field}:" in err


def test_verified_json_licence_can_be_issued_again(
    issuer_keys: tuple[Path, Path], tmp_path: Path, cli: Cli
) -> None:
    """verify --json's licence, issued again with --view qr, verifies to the same licence;
    as a record it is refused (the QR left the issuing authority out)."""
    key, pub = issuer_keys
    records = sorted((ROOT / "examples" / "records").glob("[0-9]-*.json"))
    for record in records:
        text = _issue(cli, key, record)[1].strip()
        first = json.loads(
            cli.ok("verify", text, "--trust", f"CN-SC={pub}", "--now", NOW, "--json")
        )
        exported = tmp_path / "verified.json"
        exported.write_text(json.dumps(first["licence"], ensure_ascii=False), encoding="utf-8")
        assert _issue(cli, key, exported)[0] == 1
        code, again = _issue(cli, key, exported, "--view", "qr")
        assert code == 0, record.name
        second = cli.ok("verify", again.strip(), "--trust", f"CN-SC={pub}", "--now", NOW, "--json")
        assert json.loads(second)["licence"] == first["licence"], record.name


def test_issuer_backend_example_reports_warnings_and_skips_them_when_strict(
    tmp_path: Path, issuer_keys: tuple[Path, Path]
) -> None:
    """examples/issuer_backend.py records each credential's warnings; --strict skips them."""
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([sample_licence_json(i) for i in (0, 2)]), encoding="utf-8")
    out = tmp_path / "creds.jsonl"
    argv = [batch, "--key", issuer_keys[0], "--issuer", "CN-SC", "--out", out, "--now", NOW]
    script = [sys.executable, str(ROOT / "examples" / "issuer_backend.py"), *map(str, argv)]
    proc = subprocess.run(script, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["warnings"] for line in lines] == [[], ["drive_not_permitted"]]
    proc = subprocess.run([*script, "--strict"], capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "issued 1, skipped 1" in proc.stderr


def test_issue_refuses_a_record_with_a_key_given_twice(
    issuer_keys: tuple[Path, Path], tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record naming a field twice is refused (malformed_json), not read last-one-wins."""
    text = json.dumps(sample_licence_json(0), ensure_ascii=False)
    record = tmp_path / "twice.json"
    record.write_text(text[:-1] + ', "status": "D"}', encoding="utf-8")
    code, out = _issue(cli, issuer_keys[0], record)
    assert code == 1 and out == ""
    assert "duplicate" in capsys.readouterr().err
