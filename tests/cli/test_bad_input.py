"""Issue 11 items 4-5: every ``qrseal`` command, run against the bad-input matrix.

Each leaf command of the parser (so also commands added later) must have a working baseline
invocation below; then every file argument of the command (declared with
``cli.files.add_file_argument``) is replaced in turn by a missing file, a folder, an
unreadable path, an empty file, binary data and a huge file (for an input) or a missing
folder, a folder and an unwritable path (for an output). The command must end with the
documented exit code and a plain message, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from qrseal.cli.files import MAX_INPUT_BYTES, FileKind, FileRole
from qrseal.cli.help import walk_parsers
from qrseal.cli.main import make_parser
from qrseal.testing import sample_licence_json
from tests.support import Cli
from tests.trust.support import NOW as CERT_TIME
from tests.trust.test_x509 import _ds, _iaca

NOW = "2026-11-25T09:00:00Z"
URI = "https://status.example.cn/dl/v1/0"
CERT_NOW = f"{CERT_TIME:%Y-%m-%dT%H:%M:%SZ}"  # inside the test certificates' validity


@dataclass(frozen=True)
class Workspace:
    """Valid files for every command, made once by the CLI itself."""

    root: Path

    def __getitem__(self, name: str) -> str:
        return str(self.root / name)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Keys, a licence, credentials, a QR image, a trust list and status lists."""
    root = tmp_path_factory.mktemp("ws")
    w = Workspace(root)
    cli = Cli()
    (root / "licence.json").write_text(json.dumps(sample_licence_json(0)), encoding="utf-8")
    cli.ok("keygen", "--out", w["issuer.key"])
    cli.ok("device-keygen", "--out", w["device.key"])
    plain = cli.ok("issue", w["licence.json"], "--key", w["issuer.key"], "--issuer", "CN-SC",
                   "--now", NOW, "--png", w["cred.png"])  # fmt: skip
    (root / "cred.txt").write_text(plain)
    record = {"id": "r1", "licence": sample_licence_json(0)}
    (root / "records.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    bound = cli.ok("issue", w["licence.json"], "--key", w["issuer.key"], "--issuer", "CN-SC",
                   "--now", NOW, "--holder-key", w["device.pub.pem"])  # fmt: skip
    (root / "bound.txt").write_text(bound)
    cli.ok("trust", "init", "--key", w["root.key"], "--draft", w["draft.cbor"],
           "--list-id", "cn-national", "--now", NOW)  # fmt: skip
    cli.ok("trust", "add", "--draft", w["draft.cbor"], "--pub", w["issuer.pub.pem"],
           "--issuer", "CN-SC", "--jurisdiction", "CN-SC", "--not-before",
           "2026-01-01T00:00:00Z", "--not-after", "2027-12-31T00:00:00Z")  # fmt: skip
    cli.ok("trust", "sign", "--draft", w["draft.cbor"], "--key", w["root.key"],
           "--out", w["list.tl"], "--now", NOW)  # fmt: skip
    (root / "ds.pem").write_bytes(_ds().public_bytes(Encoding.PEM))
    (root / "iaca.pem").write_bytes(_iaca().public_bytes(Encoding.PEM))
    cli.ok("status", "init", w["status.cbor"], "--entries", "64")
    (root / "tokens").mkdir()
    cli.ok("status", "publish", w["status.cbor"], "--key", w["issuer.key"], "--uri", URI,
           "--out", w["tokens/list.cwt"], "--now", NOW)  # fmt: skip
    return w


#: Working invocations of every leaf command, by command path: ``{name}`` is a workspace
#: file, ``{out}`` an empty folder for what the command writes. Together they name every
#: file argument.
BASELINES: dict[str, list[str]] = {
    "keygen": ["keygen --out {out}/k.key --pub {out}/k.pub.pem"],
    "device-keygen": ["device-keygen --out {out}/d.key --pub {out}/d.pub.pem"],
    "pub": ["pub {issuer.key} --out {out}/p.pub.pem"],
    "issue": [
        "issue {licence.json} --key {issuer.key} --issuer CN-SC --now NOW --png {out}/q.png "
        "--svg {out}/q.svg",
        "issue {licence.json} --key {issuer.key} --issuer CN-SC --now NOW "
        "--holder-key {device.pub.pem}",
        "issue {licence.json} --key {issuer.key} --issuer CN-SC --now NOW --portrait {cred.png}",
    ],
    "verify": [
        "verify --file {cred.txt} --trust CN-SC={issuer.pub.pem} --now NOW",
        "verify --image {cred.png} --trust CN-SC={issuer.pub.pem} --now NOW",
        "verify --file {cred.txt} --trust-list {list.tl} --root {root.pub.pem} "
        "--status {tokens} --status-unavailable warn --now NOW",
    ],
    "present": ["present --file {bound.txt} --device-key {device.key} --png {out}/l.png --now NOW"],
    "scan": ["scan {cred.png} --debug {out}/debug"],
    "inspect": ["inspect --file {cred.txt}"],
    "demo": ["demo --out {out}/demo --now NOW"],
    "trust init": [
        "trust init --key {out}/r.key --pub {out}/r.pub.pem --draft {out}/d.cbor --list-id x "
        "--now NOW"
    ],
    "trust add": [
        "trust add --draft {draft.cbor} --pub {issuer.pub.pem} --issuer X --jurisdiction CN "
        "--not-before 2026-01-01T00:00:00Z --not-after 2027-01-01T00:00:00Z --kid 00ff",
        "trust add --draft {draft.cbor} --cert {ds.pem} --iaca {iaca.pem} --issuer DS "
        "--jurisdiction CN-SC --now CERT_NOW",
    ],
    "trust retire": ["trust retire --draft {draft.cbor} --kid 00ff"],
    "trust revoke": ["trust revoke --draft {draft.cbor} --kid 00ff"],
    "trust sign": [
        "trust sign --draft {draft.cbor} --key {root.key} --root {root.pub.pem} "
        "--out {out}/signed.tl --now NOW"
    ],
    "trust show": ["trust show {list.tl} --root {root.pub.pem} --now NOW"],
    "status init": ["status init {out}/s.cbor --entries 16"],
    "status set": ["status set {status.cbor} 3=revoked"],
    "status publish": [
        "status publish {status.cbor} --key {issuer.key} --uri URI --out {out}/s.cwt --now NOW"
    ],
    "status show": ["status show {tokens/list.cwt} --key {issuer.pub.pem} --now NOW"],
    "completion": ["completion bash"],
    "schema": ["schema"],
    "batch issue": [
        "batch issue --in {records.jsonl} --out {out}/c.jsonl --rejects {out}/r.jsonl "
        "--issuer CN-SC --key {issuer.key} --now NOW --engine serial --no-progress "
        "--png-dir {out}/png --status-template SHARD_URI --status-dir {out}/lists"
    ],
    "card": [
        "card --file {cred.txt} --trust CN-SC={issuer.pub.pem} --out {out}/card.png --now NOW",
        "card --image {cred.png} --trust-list {list.tl} --root {root.pub.pem} "
        "--out {out}/card.svg --now NOW",
    ],
    "deadlines": [
        "deadlines --file {cred.txt} --trust CN-SC={issuer.pub.pem} --now NOW",
        "deadlines --image {cred.png} --trust-list {list.tl} --root {root.pub.pem} --now NOW",
    ],
}


def baselines(w: Workspace, out: Path) -> dict[str, list[list[str]]]:
    """:data:`BASELINES` with the workspace's paths, as argument lists."""
    words = {"NOW": NOW, "CERT_NOW": CERT_NOW, "URI": URI, "SHARD_URI": URI + "/{shard}"}

    def path(match: re.Match[str]) -> str:
        return str(out) if match[1] == "out" else w[match[1]]

    return {
        name: [
            [words.get(token, re.sub(r"\{([^}]+)\}", path, token)) for token in run.split()]
            for run in runs
        ]
        for name, runs in BASELINES.items()
    }


def leaf_commands() -> dict[str, argparse.ArgumentParser]:
    """Every command that runs (no sub-commands of its own), by path, from the parser."""
    found = {}
    for path, parser in walk_parsers(make_parser()):
        if path and not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            found[" ".join(path)] = parser
    return found


def file_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if isinstance(a.type, FileRole)]


def _slot(argv: list[str], action: argparse.Action) -> int | None:
    """The index in ``argv`` of the value given to ``action``, None when it is not given."""
    if action.option_strings:
        for i, token in enumerate(argv[:-1]):
            if token in action.option_strings:
                return i + 1
        return None
    value = getattr(make_parser().parse_args(argv), action.dest)  # a positional: its value
    return argv.index(value) if isinstance(value, str) and value in argv else None


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The bad inputs: paths that are wrong in each of the ways the issue lists."""
    root = tmp_path_factory.mktemp("bad")
    (root / "folder").mkdir()
    (root / "empty").write_bytes(b"")
    (root / "binary").write_bytes(bytes(range(256)) * 16)
    with (root / "huge").open("wb") as fh:  # sparse: costs no disk and is never read
        fh.truncate(MAX_INPUT_BYTES + 1)
    (root / "a-file").write_bytes(b"x")
    return {
        "missing": str(root / "missing" / "x"),
        "missing-file": str(root / "nothing-here"),
        "folder": str(root / "folder"),
        "unreadable": str(root / "a-file" / "x"),  # ENOTDIR, also for root (chmod would not do)
        "empty": str(root / "empty"),
        "binary": str(root / "binary"),
        "huge": str(root / "huge"),
        "a-file": str(root / "a-file"),
    }


def expected(role: FileRole, case: str) -> int:
    """The documented exit code: 2 for a file that cannot be used; 1 when the content of the
    thing a command checks (its subject) is refused."""
    if role.subject and case == "binary":
        return 1
    if case == "huge" and role.what.startswith("records"):
        return 1  # a batch streams records of any size: a huge file of junk is all rejects
    return 2


def cases(role: FileRole) -> tuple[str, ...]:
    match role.kind:
        case FileKind.INPUT:
            return ("missing-file", "folder", "unreadable", "empty", "binary", "huge")
        case FileKind.OUTPUT:
            return ("missing", "folder", "unreadable")
        case FileKind.INPUT_DIR:
            return ("missing-file", "a-file", "unreadable", "folder")  # "folder" is empty
        case FileKind.OUTPUT_DIR:
            return ("a-file", "unreadable")


def test_every_command_has_a_baseline(ws: Workspace, tmp_path: Path) -> None:
    """Each command of the parser, including any added later, has a baseline here."""
    missing = set(leaf_commands()) - set(BASELINES)
    assert not missing, f"add a working invocation of {sorted(missing)} to BASELINES"
    assert set(BASELINES) <= set(leaf_commands())


_FILE_LIKE = re.compile(
    r"(^|_)(file|out|key|pub|png|svg|image|root|draft|cert|iaca|debug|list|token|licence|dir)$"
)


def test_file_arguments_are_declared_as_such() -> None:
    """An argument whose name says it is a file is declared with add_file_argument, so that
    the matrix (and '-', and the checks of outputs) covers it in commands added later."""
    for name, parser in leaf_commands().items():
        for action in parser._actions:
            if _FILE_LIKE.search(action.dest) and action.nargs != 0:
                assert isinstance(action.type, FileRole), (
                    f"{name}: declare {action.dest} with add_file_argument"
                )


def test_baselines_cover_every_file_argument(ws: Workspace, tmp_path: Path) -> None:
    """Every file argument of every command appears in one of its baselines."""
    table = baselines(ws, tmp_path)
    for name, parser in leaf_commands().items():
        for action in file_actions(parser):
            slots = [_slot(argv, action) for argv in table[name]]
            assert any(s is not None for s in slots), f"{name}: {action.dest} not in a baseline"


def test_baselines_succeed(ws: Workspace, tmp_path: Path, cli: Cli) -> None:
    """The baselines exit 0 (so that each substitution below tests the one bad file)."""
    for name, runs in baselines(ws, tmp_path).items():
        for argv in runs:
            code, out = cli(*argv)
            assert code == 0, (name, argv, out)


@pytest.mark.parametrize("name", sorted(leaf_commands()))
def test_bad_files_exit_with_the_documented_code(
    name: str,
    ws: Workspace,
    bad: dict[str, str],
    tmp_path: Path,
    cli: Cli,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each file argument given a missing, folder, unreadable, empty, binary or huge file (an
    output: a missing folder, a folder, an unwritable path) ends with exit 2 (1 for a
    checked subject's binary content) and a one-line message, never a traceback."""
    parser = leaf_commands()[name]
    capsys.readouterr()
    for number, argv in enumerate(baselines(ws, tmp_path)[name]):
        for action in file_actions(parser):
            slot = _slot(argv, action)
            if slot is None:
                continue
            assert isinstance(action.type, FileRole)
            for case in cases(action.type):
                run = list(argv)
                run[slot] = bad[case]
                code, out = cli(*run)
                err = capsys.readouterr().err
                label = f"{name} #{number} {action.dest}={case}"
                assert code == expected(action.type, case), f"{label}: {code} {err}"
                assert "Traceback" not in err and (err + out).strip(), label
                if code == 2:
                    assert err.startswith("qrseal: error: "), f"{label}: {err}"


def test_trust_keys_are_file_arguments_too(
    ws: Workspace, bad: dict[str, str], cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify --trust ISSUER=FILE: a bad FILE (or a private key) is a set-up error, exit 2."""
    for case in ("missing-file", "folder", "unreadable", "empty", "binary", "huge"):
        code, _ = cli("verify", "--file", ws["cred.txt"], "--trust", f"CN-SC={bad[case]}")
        assert code == 2, case
    code, _ = cli("verify", "--file", ws["cred.txt"], "--trust", f"CN-SC={ws['issuer.key']}")
    assert code == 2 and "PRIVATE key" in capsys.readouterr().err


def test_set_up_errors_of_verify_exit_2(
    ws: Workspace, tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11 item 5: an unsigned draft as trust list, a trust list signed by another root,
    an empty trust list and a status folder without tokens are set-up errors (exit 2), and
    `--json` then reports them as JSON."""
    base = ["verify", "--file", ws["cred.txt"], "--now", NOW]
    listed = ["--root", ws["root.pub.pem"]]
    assert cli(*base, "--trust-list", ws["draft.cbor"], *listed)[0] == 2
    assert cli(*base, "--trust-list", ws["list.tl"], "--root", ws["issuer.pub.pem"])[0] == 2
    empty = tmp_path / "empty.tl"
    cli.ok("trust", "init", "--key", tmp_path / "r.key", "--draft", tmp_path / "d.cbor",
           "--list-id", "e", "--now", NOW)  # fmt: skip
    cli.ok("trust", "sign", "--draft", tmp_path / "d.cbor", "--key", tmp_path / "r.key",
           "--out", empty, "--now", NOW)  # fmt: skip
    code, _ = cli(*base, "--trust-list", empty, "--root", tmp_path / "r.pub.pem")
    assert code == 2 and "no issuer keys" in capsys.readouterr().err
    trust = ["--trust", f"CN-SC={ws['issuer.pub.pem']}"]
    (tmp_path / "tokens").mkdir()
    (tmp_path / "tokens" / "notes.txt").write_text("not a token")
    code, out = cli(*base, *trust, "--status", tmp_path / "tokens", "--json")
    assert code == 2 and json.loads(out)["exit_code"] == 2
    assert cli(*base, *trust, "--status", tmp_path / "none")[0] == 2


def test_scan_of_a_missing_image_is_a_set_up_error(
    tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """`scan missing.png` exits 2 with a plain message (no invalid_image, no exception name)."""
    assert cli("scan", tmp_path / "missing.png")[0] == 2
    err = capsys.readouterr().err
    assert "missing.png" in err and "Error" not in err and "invalid_image" not in err


def test_out_of_range_options_are_usage_errors(ws: Workspace, cli: Cli) -> None:
    """Negative or zero numbers, and durations beyond the limits, exit 2."""
    issue = ["issue", ws["licence.json"], "--key", ws["issuer.key"], "--issuer", "CN-SC"]
    assert cli(*issue, "--valid-for", "400d")[0] == 2
    assert cli(*issue, "--scale", "0")[0] == 2
    assert cli("verify", "--file", ws["cred.txt"], "--clock-skew", "-5",
               "--trust", f"CN-SC={ws['issuer.pub.pem']}")[0] == 2  # fmt: skip
    assert cli("status", "show", ws["tokens/list.cwt"], "--key", ws["issuer.pub.pem"],
               "--index", "999", "--now", NOW)[0] == 2  # fmt: skip
    assert cli("status", "init", os.devnull, "--entries", "-1")[0] == 2


def test_every_option_given_a_negative_number_ends_with_a_documented_code(
    ws: Workspace, tmp_path: Path, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every other option that takes a value, given ``-1``, ends with 0, 1 or 2 and never a
    traceback (an out-of-range number is a usage error)."""
    table = baselines(ws, tmp_path)
    for name, parser in leaf_commands().items():
        argv = table[name][0]
        for action in parser._actions:
            if not action.option_strings or action.nargs == 0 or isinstance(action.type, FileRole):
                continue
            if action.dest in ("help", "trust"):
                continue
            flag = action.option_strings[-1]
            run = list(argv)
            if flag in run:
                run[run.index(flag) + 1] = "-1"
            else:
                run += [flag, "-1"]
            code, _ = cli(*run)
            err = capsys.readouterr().err
            assert code in (0, 1, 2) and "Traceback" not in err, (name, flag, code, err)
            if action.type is not None and code == 0:
                assert action.type not in (int,), (name, flag)


def test_random_command_lines_end_with_a_documented_code(
    ws: Workspace, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random mixes of every command's options and odd values (NUL bytes, huge numbers, '-',
    folders, keys of the wrong kind) end with 0, 1 or 2, never a traceback. Seeded: a
    failure reproduces; a longer run found the NUL-byte and overflow cases fixed in issue 11."""
    rng = random.Random(11)
    ws = Workspace(Path(shutil.copytree(ws.root, tmp_path / "ws")))  # it may be overwritten
    values = ["", "-", "\x00", "9" * 30, "-1", "0", "x=y", "1e9", "72h", "3=revoked", "bash",
              f"CN-SC={ws['issuer.key']}", ws["issuer.key"], ws["issuer.pub.pem"], ws["cred.txt"],
              ws["licence.json"], str(tmp_path), "DL1:123", "DP1:99", NOW, os.devnull]  # fmt: skip
    monkeypatch.chdir(tmp_path)
    leaves = sorted(leaf_commands().items())
    for _ in range(120):
        name, parser = rng.choice(leaves)
        argv = name.split()
        actions = [a for a in parser._actions if a.dest not in ("help", "verbose")]
        for action in rng.sample(actions, k=min(len(actions), rng.randint(0, 5))):
            if action.option_strings:
                argv.append(rng.choice(action.option_strings))
            if not action.option_strings or action.nargs != 0:
                argv.append(rng.choice(values))
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\x00\xff")))
        code, _ = cli(*argv)
        assert code in (0, 1, 2), argv
