"""The key and status lifecycle on the command line: ``qrseal trust ...`` and ``qrseal status
...`` through the main CLI, ``verify --trust-list/--root`` and ``--status DIR``, ``issue
--status-uri/--status-idx``, exit codes, and the verifier app example with both."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from qrseal import Reason, qr
from qrseal.testing import sample_licence_json
from tests.support import Cli

ROOT = Path(__file__).resolve().parents[2]
LIST_AT = "2026-11-25T08:00:00Z"  # trust and status lists are signed at this time
NOW = "2026-11-25T09:00:00Z"  # credentials are signed at this time
LATER = "2026-11-25T10:00:00Z"  # and verified at this time
URI = "https://status.example.cn/dl/v1/0"


@pytest.fixture
def issuer(issuer_keys: tuple[Path, Path], licence_file: Path) -> tuple[Path, Path, Path]:
    """An issuer key pair and a licence file (sample 0: CN-SC, class C1)."""
    return (*issuer_keys, licence_file)


@pytest.fixture
def trust_list(
    tmp_path: Path, issuer: tuple[Path, Path, Path], cli: Cli
) -> tuple[Path, Path, Path, Path]:
    """A root key, a draft listing the issuer key for CN-SC, and the signed list #1."""
    _, pub, _ = issuer
    root, root_pub = tmp_path / "root.key", tmp_path / "root.pub.pem"
    draft, signed = tmp_path / "draft.cbor", tmp_path / "trust.tl"
    cli.ok("trust", "init", "--key", root, "--pub", root_pub, "--draft", draft,
           "--list-id", "cn-national", "--now", LIST_AT)  # fmt: skip
    cli.ok("trust", "add", "--draft", draft, "--pub", pub, "--issuer", "CN-SC",
           "--jurisdiction", "CN-SC", "--type", "DL", "--class", "C1",
           "--not-before", "2026-01-01T00:00:00Z", "--not-after", "2027-12-31T00:00:00Z")  # fmt: skip
    cli.ok("trust", "sign", "--draft", draft, "--key", root, "--out", signed, "--now", LIST_AT)
    return root, root_pub, draft, signed


def _kid(cli: Cli, signed: Path, root_pub: Path) -> str:
    report = json.loads(cli.ok("trust", "show", signed, "--root", root_pub, "--json", "--now", NOW))
    kid: str = report["entries"][0]["kid"]
    return kid


def test_trust_and_status_commands_are_reachable_from_the_main_cli(cli: Cli) -> None:
    """qrseal trust ... and qrseal status ... are sub-commands of the main parser."""
    assert cli("trust", "--help")[0] == 0
    assert cli("status", "--help")[0] == 0
    assert cli("trust")[0] == 2 and cli("status")[0] == 2


def test_verify_with_a_trust_list_follows_the_key_lifecycle(
    issuer: tuple[Path, Path, Path], trust_list: tuple[Path, Path, Path, Path], cli: Cli
) -> None:
    """verify --trust-list/--root accepts a listed key, refuses it once revoked (key_revoked,
    exit 1) and refuses an expired list (trust_list_expired)."""
    key, _, licence = issuer
    root, root_pub, draft, signed = trust_list
    text = cli.ok("issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW).strip()
    listed = ("--trust-list", signed, "--root", root_pub)
    out = cli.ok("verify", text, *listed, "--now", LATER)
    assert out.startswith("VALID")
    kid = _kid(cli, signed, root_pub)
    cli.ok("trust", "revoke", "--draft", draft, "--kid", kid, "--at", LIST_AT, "--now", LATER)
    cli.ok("trust", "sign", "--draft", draft, "--key", root, "--out", signed, "--now", LATER)
    code, out = cli("verify", text, *listed, "--now", LATER)
    assert code == 1 and "key_revoked" in out
    code, out = cli("verify", text, *listed, "--now", LATER, "--json")
    assert code == 1 and json.loads(out)["reason"] == Reason.KEY_REVOKED.value
    code, out = cli("verify", text, *listed, "--now", "2026-12-25T09:00:00Z", "--json")
    assert code == 1 and json.loads(out)["reason"] == Reason.TRUST_LIST_EXPIRED.value


def test_verify_with_a_trust_list_refuses_an_unauthorised_class(
    tmp_path: Path,
    issuer: tuple[Path, Path, Path],
    trust_list: tuple[Path, Path, Path, Path],
    cli: Cli,
) -> None:
    """A key listed for class C1 only may not sign a licence of class C2 (key_not_authorised)."""
    key, _, _ = issuer
    _, root_pub, _, signed = trust_list
    data = sample_licence_json(4)  # class C2, CN-SH
    data["issuing_jurisdiction"] = "CN-SC"
    other = tmp_path / "c2.json"
    other.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    text = cli.ok("issue", other, "--key", key, "--issuer", "CN-SC", "--now", NOW).strip()
    code, out = cli("verify", text, "--trust-list", signed, "--root", root_pub, "--now", LATER)
    assert code == 1 and "key_not_authorised" in out


def test_verify_trust_list_usage_errors_exit_2(
    issuer: tuple[Path, Path, Path], trust_list: tuple[Path, Path, Path, Path], cli: Cli
) -> None:
    """--trust-list without --root (or the reverse) and --require-status without --status are
    usage errors (exit 2); so is a file that is not a signed trust list (issue 11: set-up)."""
    _, pub, _ = issuer
    _, root_pub, _, signed = trust_list
    assert cli("verify", "DL1:123", "--trust-list", signed)[0] == 2
    assert cli("verify", "DL1:123", "--root", root_pub)[0] == 2
    assert cli("verify", "DL1:123", "--trust", f"CN-SC={pub}", "--require-status")[0] == 2
    code, out = cli("verify", "DL1:123", "--trust-list", pub, "--root", root_pub, "--json")
    assert code == 2 and json.loads(out)["exit_code"] == 2


def _publish(cli: Cli, status_list: Path, key: Path, folder: Path, at: str, *changes: str) -> None:
    if changes:
        cli.ok("status", "set", status_list, *changes)
    cli.ok("status", "publish", status_list, "--key", key, "--uri", URI,
           "--out", folder / "shard-0.cwt", "--now", at)  # fmt: skip


def test_verify_with_status_snapshots_round_trip(
    tmp_path: Path, issuer: tuple[Path, Path, Path], cli: Cli
) -> None:
    """issue --status-uri/--status-idx, status init/set/publish, verify --status DIR: valid
    (exit 0, status and snapshot age stated), revoked and suspended (exit 1); inspect shows
    the reference."""
    key, pub, licence = issuer
    folder, status_list = tmp_path / "snapshots", tmp_path / "list.cbor"
    folder.mkdir()
    cli.ok("status", "init", status_list, "--entries", "1000")
    _publish(cli, status_list, key, folder, LIST_AT)
    text = cli.ok(
        "issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW,
        "--status-uri", URI, "--status-idx", "5",
    ).strip()  # fmt: skip
    assert json.loads(cli.ok("inspect", text))["status_reference"] == {"uri": URI, "idx": 5}
    verify = ("verify", text, "--trust", f"CN-SC={pub}", "--status", folder, "--now", LATER)
    out = json.loads(cli.ok(*verify, "--json"))
    assert out["status"] == {
        "uri": URI,
        "idx": 5,
        "value": 0,
        "meaning": "valid",
        "snapshot_age_seconds": 7200,
        "stale": False,
    }
    assert "status list" in cli.ok(*verify) and "valid (snapshot of 2 h ago)" in cli.ok(*verify)
    _publish(cli, status_list, key, folder, NOW, "5=suspended")
    code, out = cli(*verify)
    assert code == 1 and "suspended" in out
    _publish(cli, status_list, key, folder, "2026-11-25T09:30:00Z", "5=revoked")
    code, out = cli(*verify, "--json")
    assert code == 1 and json.loads(out)["reason"] == Reason.REVOKED.value


def test_verify_status_policy_options(
    tmp_path: Path, issuer: tuple[Path, Path, Path], cli: Cli
) -> None:
    """A missing or stale snapshot is rejected by default (exit 1) and accepted with a warning
    under --status-unavailable warn; --require-status refuses credentials without a claim."""
    key, pub, licence = issuer
    folder, status_list = tmp_path / "snapshots", tmp_path / "list.cbor"
    folder.mkdir()
    cli.ok("status", "init", status_list, "--entries", "100")
    _publish(cli, status_list, key, folder, LIST_AT)
    elsewhere = cli.ok(
        "issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW,
        "--status-uri", "https://status.example.cn/dl/v1/7", "--status-idx", "5",
    ).strip()  # fmt: skip
    base = ("--trust", f"CN-SC={pub}", "--status", folder, "--now", LATER)
    code, out = cli("verify", elsewhere, *base, "--json")
    assert code == 1 and json.loads(out)["reason"] == Reason.STATUS_UNAVAILABLE.value
    out = cli.ok("verify", elsewhere, *base, "--status-unavailable", "warn")
    assert "NOT CHECKED" in out and "warning" in out
    listed = cli.ok(
        "issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW,
        "--status-uri", URI, "--status-idx", "5",
    ).strip()  # fmt: skip
    code, out = cli("verify", listed, *base, "--max-status-age", "30m")
    assert code == 1 and "status_unavailable" in out
    report = json.loads(
        cli.ok(
            "verify",
            listed,
            *base,
            "--max-status-age",
            "30m",
            "--status-unavailable",
            "warn",
            "--json",
        )
    )
    assert report["status"]["stale"] is True and report["status"]["snapshot_age_seconds"] == 7200
    assert any(w["code"] == "status_unavailable" for w in report["warnings"])
    plain = cli.ok("issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW).strip()
    assert json.loads(cli.ok("verify", plain, *base, "--json"))["status"] is None
    code, out = cli("verify", plain, *base, "--require-status")
    assert code == 1 and "status_unavailable" in out


def test_issue_status_options_go_together(issuer: tuple[Path, Path, Path], cli: Cli) -> None:
    """--status-uri without --status-idx (or a negative index) is a usage error."""
    key, _, licence = issuer
    base = ("issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW)
    assert cli(*base, "--status-uri", URI)[0] == 2
    assert cli(*base, "--status-idx", "3")[0] == 2
    assert cli(*base, "--status-uri", URI, "--status-idx", "-1")[0] == 2


def test_verifier_app_example_with_trust_list_and_status(
    tmp_path: Path,
    issuer: tuple[Path, Path, Path],
    trust_list: tuple[Path, Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    cli: Cli,
) -> None:
    """examples/verifier_app.py verifies a screenshot against a trust list and status
    snapshots, refuses a revoked licence, and shows a stale one only when asked to."""
    key, _, licence = issuer
    _, root_pub, _, signed = trust_list
    folder, status_list = tmp_path / "snapshots", tmp_path / "list.cbor"
    folder.mkdir()
    cli.ok("status", "init", status_list, "--entries", "100")
    _publish(cli, status_list, key, folder, LIST_AT, "6=revoked")
    shots = {}
    for idx in ("5", "6"):
        text = cli.ok(
            "issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW,
            "--status-uri", URI, "--status-idx", idx,
        ).strip()  # fmt: skip
        shots[idx] = tmp_path / f"shot-{idx}.png"
        qr.render_image(text, scale=5).save(shots[idx])
    app = runpy.run_path(str(ROOT / "examples" / "verifier_app.py"), run_name="example")["main"]
    args = ["--trust-list", str(signed), "--root", str(root_pub), "--status", str(folder)]
    assert app([str(shots["5"]), *args, "--now", LATER]) == 0
    out = capsys.readouterr().out
    assert "LICENCE VERIFIED" in out and "status list   valid  (snapshot 120 min old)" in out
    assert app([str(shots["6"]), *args, "--now", LATER]) == 1
    assert "NOT ACCEPTED (revoked)" in capsys.readouterr().out
    three_days = "2026-11-27T09:00:00Z"  # the snapshot is now older than the app's 2 days
    assert app([str(shots["5"]), *args, "--now", three_days]) == 1
    assert "status_unavailable" in capsys.readouterr().out
    assert app([str(shots["5"]), *args, "--now", three_days, "--accept-without-status"]) == 0
    assert "WARNING" in capsys.readouterr().out


def test_verify_status_dir_keeps_another_issuers_list_apart(
    tmp_path: Path, issuer: tuple[Path, Path, Path], cli: Cli
) -> None:
    """issue 9 item 1 through verify --status DIR: another trusted issuer's later list for
    the same URI neither reinstates the revoked licence (reject and warn) nor displaces the
    genuine list."""
    key, pub, licence = issuer
    other, other_pub = tmp_path / "other.key", tmp_path / "other.pub.pem"
    cli.ok("keygen", "--out", other, "--pub", other_pub)
    folder, status_list, theirs = tmp_path / "snapshots", tmp_path / "list.cbor", tmp_path / "t"
    folder.mkdir()
    cli.ok("status", "init", status_list, "--entries", "1000")
    _publish(cli, status_list, key, folder, LIST_AT, "5=revoked")
    cli.ok("status", "init", theirs, "--entries", "1000")
    cli.ok("status", "publish", theirs, "--key", other, "--uri", URI,
           "--out", folder / "zz-later.cwt", "--now", NOW)  # fmt: skip
    text = cli.ok(
        "issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW,
        "--status-uri", URI, "--status-idx", "5",
    ).strip()  # fmt: skip
    base = ("verify", text, "--trust", f"CN-SC={pub}", "--trust", f"CN-OTHER={other_pub}",
            "--status", folder, "--now", LATER, "--json")  # fmt: skip
    for when in ("reject", "warn"):
        code, out = cli(*base, "--status-unavailable", when)
        assert code == 1 and json.loads(out)["reason"] == Reason.REVOKED.value


def test_status_list_size_is_bounded_on_the_command_line(
    tmp_path: Path, issuer: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], cli: Cli
) -> None:
    """issue 9 item 6: verify --max-status-entries and status show --max-entries bound the
    entries a received list may have (too_large beyond); the default takes one shard."""
    key, pub, licence = issuer
    folder, status_list = tmp_path / "snapshots", tmp_path / "list.cbor"
    folder.mkdir()
    cli.ok("status", "init", status_list, "--entries", "1000")
    _publish(cli, status_list, key, folder, LIST_AT, "5=revoked")
    token = folder / "shard-0.cwt"
    assert cli.ok("status", "show", token, "--key", pub, "--now", NOW)
    code, _ = cli("status", "show", token, "--key", pub, "--now", NOW, "--max-entries", "992")
    assert code == 1 and "too_large" in capsys.readouterr().err
    text = cli.ok(
        "issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW,
        "--status-uri", URI, "--status-idx", "5",
    ).strip()  # fmt: skip
    base = ("verify", text, "--trust", f"CN-SC={pub}", "--status", folder, "--now", LATER,
            "--json")  # fmt: skip
    assert json.loads(cli(*base)[1])["reason"] == Reason.REVOKED.value
    code, out = cli(*base, "--max-status-entries", "992")
    assert json.loads(out)["reason"] == Reason.STATUS_UNAVAILABLE.value
    assert "shard-0.cwt: too_large" in capsys.readouterr().err
