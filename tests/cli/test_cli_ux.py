"""Issue 11 items 6-7: no silent danger, and what people expect of a command line (--version,
``python -m qrseal``, ``-`` for standard input and output, ``--json``, examples and marks in
``--help``, ``pub``, shell completion, ``-v``, plain messages)."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qrseal
from qrseal.cli.files import FileRole
from qrseal.cli.help import walk_parsers
from qrseal.cli.main import make_parser
from qrseal.testing import sample_licence_json
from qrseal.trust.signed import load_trust_list
from qrseal.wire.keys import load_public_key_pem, public_key_to_pem
from tests.support import Cli

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-25T09:00:00Z"
LATER = "2026-12-25T09:00:00Z"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


@pytest.fixture
def made(tmp_path: Path, cli: Cli) -> dict[str, Path]:
    """An issuer key pair, a licence file and a credential file."""
    files = {
        "key": tmp_path / "issuer.key",
        "pub": tmp_path / "issuer.pub.pem",
        "licence": tmp_path / "licence.json",
        "cred": tmp_path / "cred.txt",
    }
    cli.ok("keygen", "--out", files["key"])
    files["licence"].write_text(json.dumps(sample_licence_json(0)), encoding="utf-8")
    text = cli.ok("issue", files["licence"], "--key", files["key"], "--issuer", "CN-SC",
                  "--now", NOW)  # fmt: skip
    files["cred"].write_text(text)
    return files


def _leaves() -> list[tuple[str, argparse.ArgumentParser]]:
    return [
        (" ".join(path), parser)
        for path, parser in walk_parsers(make_parser())
        if path and not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    ]


# --- item 6: no silent danger -------------------------------------------------------------


def test_keygen_refuses_to_overwrite_a_key_without_force(tmp_path: Path, cli: Cli) -> None:
    """keygen and device-keygen leave existing key files alone unless --force is given."""
    for command in ("keygen", "device-keygen"):
        key = tmp_path / f"{command}.key"
        cli.ok(command, "--out", key)
        before = key.read_bytes()
        assert cli(command, "--out", key)[0] == 2
        assert key.read_bytes() == before
        cli.ok(command, "--out", key, "--force")
        assert key.read_bytes() != before


def test_keygen_refuses_an_existing_public_key_before_writing_anything(
    tmp_path: Path, cli: Cli
) -> None:
    """An existing --pub file stops keygen before the private key is written."""
    pub = tmp_path / "taken.pub.pem"
    pub.write_text("mine")
    assert cli("keygen", "--out", tmp_path / "new.key", "--pub", pub)[0] == 2
    assert not (tmp_path / "new.key").exists() and pub.read_text() == "mine"


def test_durations_need_a_unit(made: dict[str, Path], cli: Cli) -> None:
    """--valid-for 72 is refused (it used to mean 72 seconds); 72s, 5m, 2h, 1d are taken."""
    issue = ("issue", made["licence"], "--key", made["key"], "--issuer", "CN-SC", "--now", NOW)
    assert cli(*issue, "--valid-for", "72")[0] == 2
    for value in ("72s", "5m", "2h", "1d"):
        cli.ok(*issue, "--valid-for", value)


def test_an_empty_password_variable_is_refused(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty --password-env variable would write an unprotected key: refused, nothing written."""
    monkeypatch.setenv("QRSEAL_EMPTY_PW", "")
    key = tmp_path / "k.key"
    assert cli("keygen", "--out", key, "--password-env", "QRSEAL_EMPTY_PW")[0] == 2
    assert not key.exists()


def test_trust_sign_refuses_a_key_that_is_not_the_root(tmp_path: Path, cli: Cli) -> None:
    """trust sign with another key than the list's root exits 2 and leaves the draft's
    sequence alone: checked against the root recorded by trust init, --root, or the list
    already at --out."""
    root, draft, signed = tmp_path / "root.key", tmp_path / "draft.cbor", tmp_path / "list.tl"
    wrong = tmp_path / "wrong.key"
    cli.ok("trust", "init", "--key", root, "--draft", draft, "--list-id", "x", "--now", NOW)
    cli.ok("keygen", "--out", wrong)
    draft_before = draft.read_bytes()
    sign = ("trust", "sign", "--draft", draft, "--out", signed, "--now", NOW)
    assert cli(*sign, "--key", wrong)[0] == 2
    assert draft.read_bytes() == draft_before and not signed.exists()
    cli.ok(*sign, "--key", root)
    assert load_trust_list(signed.read_bytes(), root=_pub(tmp_path / "root.pub.pem")).sequence == 1
    Path(f"{draft}.root.pub.pem").unlink()  # no record: the list at --out tells
    draft_before = draft.read_bytes()
    assert cli(*sign, "--key", wrong)[0] == 2
    assert cli(*sign, "--key", wrong, "--root", tmp_path / "root.pub.pem")[0] == 2
    assert draft.read_bytes() == draft_before
    cli.ok(*sign, "--key", root, "--root", tmp_path / "root.pub.pem")


def _pub(path: Path) -> qrseal.wire.keys.PublicKey:
    return load_public_key_pem(path.read_bytes())


# --- item 7: what people expect --------------------------------------------------------------


def test_version(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the package version and exits 0."""
    assert cli("--version")[0] == 0
    assert capsys.readouterr().out.strip() == f"qrseal {qrseal.__version__}"


def test_python_dash_m_qrseal_runs_the_command() -> None:
    """`python -m qrseal` is the qrseal command."""
    done = subprocess.run(
        [sys.executable, "-m", "qrseal", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env=_env(),
    )
    assert done.returncode == 0 and done.stdout.startswith("qrseal ")


def test_every_command_has_examples_and_marks_required_options() -> None:
    """Each command's --help ends with examples; required options say so; times and
    durations state their format; file options say what '-' means."""
    for name, parser in _leaves():
        text = parser.format_help()
        assert "examples:\n  qrseal" in text, name
        for action in parser._actions:
            if action.required and action.option_strings:
                assert "required" in (action.help or ""), (name, action.dest)
            if action.dest in ("now", "at", "not_before", "not_after"):
                assert "ISO 8601" in (action.help or ""), (name, action.dest)
            if isinstance(action.type, FileRole) and action.type.kind.name in ("INPUT", "OUTPUT"):
                assert "'-'" in (action.help or ""), (name, action.dest)
    main_help = make_parser().format_help()
    assert "exit codes:" in main_help and "141" in main_help


def test_reporting_commands_have_json() -> None:
    """issue, verify, scan, inspect, trust show and status show take --json."""
    leaves = dict(_leaves())
    for name in ("issue", "verify", "scan", "inspect", "trust show", "status show"):
        assert any("--json" in a.option_strings for a in leaves[name]._actions), name


def test_json_output_of_issue_scan_and_errors(
    made: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    """issue --json and scan --json print one JSON object; so does a failing command."""
    png = tmp_path / "q.png"
    report = json.loads(cli.ok("issue", made["licence"], "--key", made["key"], "--issuer",
                               "CN-SC", "--now", NOW, "--png", png, "--json"))  # fmt: skip
    assert report["credential"].startswith("DL1:") and report["issuer"] == "CN-SC"
    codes = json.loads(cli.ok("scan", png, "--json"))["codes"]
    assert [c["text"] for c in codes] == [report["credential"]]
    code, out = cli("scan", tmp_path / "missing.png", "--json")
    assert code == 2 and json.loads(out) == {
        "error": "usage",
        "message": json.loads(out)["message"],
        "exit_code": 2,
    }


def test_dash_reads_standard_input_and_writes_standard_output(
    made: dict[str, Path], cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-` as a file argument is standard input (verify TEXT, --file, issue LICENCE) or
    standard output (pub --out, the default)."""
    trust = ("--trust", f"CN-SC={made['pub']}", "--now", NOW)
    for argv in (("verify", "-"), ("verify", "--file", "-")):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(made["cred"].read_bytes())))
        assert cli.ok(*argv, *trust).startswith("VALID")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(made["licence"].read_bytes())))
    text = cli.ok("issue", "-", "--key", made["key"], "--issuer", "CN-SC", "--now", NOW)
    assert text.startswith("DL1:")
    assert cli.ok("pub", made["key"]) == made["pub"].read_text()


def test_pub_derives_the_public_key_file(made: dict[str, Path], tmp_path: Path, cli: Cli) -> None:
    """`qrseal pub KEY --out FILE` writes the same public key keygen wrote."""
    out = tmp_path / "derived.pub.pem"
    cli.ok("pub", made["key"], "--out", out)
    assert public_key_to_pem(_pub(out)) == made["pub"].read_bytes()
    assert cli("pub", made["pub"])[0] == 2  # a public key has no public key to derive


def test_bash_completion_completes_commands_options_and_choices(cli: Cli) -> None:
    """`qrseal completion bash` is a valid bash script that completes sub-commands, options
    and an option's choices, all taken from the parser."""
    script = cli.ok("completion", "bash")
    assert cli.ok("completion", "zsh").endswith(script)
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")

    def complete(*words: str) -> set[str]:
        line = " ".join(words)
        run = (
            f"{script}\nCOMP_WORDS=(qrseal {line}); COMP_CWORD={len(words)}; "
            '_qrseal_complete; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        done = subprocess.run([bash, "-c", run], capture_output=True, text=True, check=True)
        return set(done.stdout.split())

    assert {"trust", "status", "verify"} <= complete("")
    assert complete("tr") == {"trust"}
    assert complete("trust", "si") == {"sign"}
    assert {"--trust-list", "--trust-list-grace"} <= complete("verify", "--trust-l")
    assert complete("keygen", "--alg", "ES") == {"ES256", "ES384"}


def test_verbose_logs_steps_to_standard_error(
    made: dict[str, Path], cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """-v logs what the command does to standard error, not to its output."""
    out = cli.ok("-v", "verify", "--file", made["cred"], "--trust", f"CN-SC={made['pub']}",
                 "--now", NOW)  # fmt: skip
    err = capsys.readouterr().err
    assert "qrseal: INFO:" in err and "qrseal:" not in out
    cli.ok("-vv", "verify", "--file", made["cred"], "--trust", f"CN-SC={made['pub']}",
           "--now", NOW)  # fmt: skip
    assert "DEBUG: read credential text file" in capsys.readouterr().err


def test_messages_are_plain(
    made: dict[str, Path], tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """Messages say when a credential expired and carry no None, no library URLs and no
    Python reprs of limits."""
    code, out = cli("verify", "--file", made["cred"], "--trust", f"CN-SC={made['pub']}",
                    "--now", LATER)  # fmt: skip
    assert code == 1 and "expired at 2026-11-28 09:00:00Z" in out and "days before" in out
    device = tmp_path / "device.key"
    cli.ok("device-keygen", "--out", device)
    bound = cli.ok("issue", made["licence"], "--key", made["key"], "--issuer", "CN-SC", "--now",
                   NOW, "--holder-key", tmp_path / "device.pub.pem").strip()  # fmt: skip
    live = cli.ok("present", bound, "--device-key", device, "--audience", "gate-1", "--now", NOW)
    code, out = cli("verify", live.strip(), "--trust", f"CN-SC={made['pub']}", "--now", NOW)
    assert code == 1 and "None" not in out
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    issue = ("issue", made["licence"], "--issuer", "CN-SC", "--now", NOW)
    assert cli(*issue, "--key", garbage)[0] == 2
    assert cli(*issue, "--key", made["key"], "--valid-for", "400d")[0] == 2
    err = capsys.readouterr().err
    assert "https://" not in err and "0:00:00]" not in err and "days" in err


def test_present_explains_a_live_code(made: dict[str, Path], tmp_path: Path, cli: Cli,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """present given a DP1: live code says what it is instead of failing obscurely."""
    device = tmp_path / "device.key"
    cli.ok("device-keygen", "--out", device)
    bound = cli.ok("issue", made["licence"], "--key", made["key"], "--issuer", "CN-SC", "--now",
                   NOW, "--holder-key", tmp_path / "device.pub.pem").strip()  # fmt: skip
    live = cli.ok("present", bound, "--device-key", device, "--now", NOW).strip()
    assert cli("present", live, "--device-key", device, "--now", NOW)[0] == 2
    assert "live code" in capsys.readouterr().err


def test_status_list_row_has_its_space(tmp_path: Path, made: dict[str, Path], cli: Cli) -> None:
    """The verify summary separates the `status list` label from its value."""
    folder, status_list = tmp_path / "tokens", tmp_path / "list.cbor"
    folder.mkdir()
    cli.ok("status", "init", status_list, "--entries", "64")
    uri = "https://status.example.cn/1"
    cli.ok("status", "publish", status_list, "--key", made["key"], "--uri", uri, "--out",
           folder / "a.cwt", "--now", NOW)  # fmt: skip
    text = cli.ok("issue", made["licence"], "--key", made["key"], "--issuer", "CN-SC", "--now",
                  NOW, "--status-uri", uri, "--status-idx", "3").strip()  # fmt: skip
    out = cli.ok("verify", text, "--trust", f"CN-SC={made['pub']}", "--status", folder,
                 "--now", NOW)  # fmt: skip
    row = next(line for line in out.splitlines() if "status list" in line)
    assert "status list " in row and "status listvalid" not in row


def test_broken_pipe_ends_quietly(made: dict[str, Path], tmp_path: Path, cli: Cli) -> None:
    """`present --count N | head -1` and `verify ... | head -1` end without a traceback
    (exit 141, or the verdict when it was known before the pipe closed)."""
    device = tmp_path / "device.key"
    pub = tmp_path / "device.pub.pem"
    run: list[str] = [sys.executable, "-m", "qrseal"]
    cli.ok("device-keygen", "--out", device)
    bound = cli.ok("issue", made["licence"], "--key", made["key"], "--issuer", "CN-SC", "--now",
                   NOW, "--holder-key", pub).strip()  # fmt: skip
    present = [*run, "present", bound, "--device-key", str(device), "--now", NOW, "--count",
               "2000", "--watch"]  # fmt: skip
    verify = [*run, "verify", "--file", str(made["cred"]), "--trust", f"CN-SC={made['pub']}",
              "--now", NOW]  # fmt: skip
    for argv, codes in ((present, {141}), (verify, {0, 141})):
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) in codes, err
        assert "Traceback" not in err and "Exception ignored" not in err, err
