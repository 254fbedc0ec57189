"""The qrseal CLI, run in-process through main(argv), and the example scripts."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from qrseal import Reason, TrustedKey, TrustStore, Verifier, qr
from qrseal.cli.main import terminal_qr
from qrseal.testing import FIXED_NOW, sample_licence_json
from qrseal.wire.keys import load_public_key_pem
from qrseal.wire.presentation import MAX_NONCE_BYTES, MIN_NONCE_BYTES
from tests.support import Cli

from ..fresh_process import heavy_in, modules_after

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-25T09:00:00Z"


def test_keygen_issue_verify_text(
    issuer_keys: tuple[Path, Path], licence_file: Path, tmp_path: Path, cli: Cli
) -> None:
    """keygen -> issue -> verify (text, file, PNG image) succeeds with exit 0 and a VALID verdict."""
    key, pub = issuer_keys
    png, svg = tmp_path / "qr.png", tmp_path / "qr.svg"
    code, text = cli(
        "issue",
        str(licence_file),
        "--key",
        str(key),
        "--issuer",
        "CN-SC",
        "--png",
        str(png),
        "--svg",
        str(svg),
        "--now",
        NOW,
    )
    assert code == 0 and text.startswith("DL1:")
    assert png.stat().st_size > 0 and svg.read_text().startswith("<svg")
    credential = text.strip()
    code, out = cli("verify", credential, "--trust", f"CN-SC={pub}", "--now", NOW)
    assert code == 0 and out.startswith("VALID") and "510107200503151422" in out
    cred_file = tmp_path / "cred.txt"
    cred_file.write_text(credential + "\n")
    assert cli("verify", "--file", str(cred_file), "--trust", f"CN-SC={pub}", "--now", NOW)[0] == 0
    code, out = cli(
        "verify", "--image", str(png), "--trust", f"CN-SC={pub}", "--now", NOW, "--json"
    )
    assert code == 0 and json.loads(out)["licence"]["document_number"] == "510107200503151422"
    code, out = cli("scan", str(png))
    assert code == 0 and out.strip() == credential


def test_verify_rejection_prints_reason_and_exits_1(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli
) -> None:
    """An expired credential exits 1 and prints its reason code (human and JSON output)."""
    key, pub = issuer_keys
    _, text = cli(
        "issue",
        str(licence_file),
        "--key",
        str(key),
        "--issuer",
        "CN-SC",
        "--valid-for",
        "1h",
        "--now",
        NOW,
    )
    code, out = cli(
        "verify", text.strip(), "--trust", f"CN-SC={pub}", "--now", "2026-11-26T09:00:00Z"
    )
    assert code == 1 and "expired" in out
    code, out = cli(
        "verify", text.strip(), "--trust", f"CN-SC={pub}", "--now", "2026-11-26T09:00:00Z", "--json"
    )
    assert code == 1 and json.loads(out)["reason"] == Reason.EXPIRED.value


def test_verify_max_validity_option(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli
) -> None:
    """--max-validity caps exp - iat: a 72 h credential passes at 72h, is refused below it."""
    key, pub = issuer_keys
    _, text = cli("issue", str(licence_file), "--key", str(key), "--issuer", "CN-SC", "--now", NOW)
    trust = ("--trust", f"CN-SC={pub}", "--now", NOW)
    assert cli("verify", text.strip(), *trust)[0] == 0
    assert cli("verify", text.strip(), *trust, "--max-validity", "72h")[0] == 0
    code, out = cli("verify", text.strip(), *trust, "--max-validity", "71h", "--json")
    assert code == 1 and json.loads(out)["reason"] == Reason.VALIDITY_TOO_LONG.value
    assert cli("verify", text.strip(), *trust, "--max-validity", "0")[0] == 2


def test_verify_nonce_refuses_static_code(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli
) -> None:
    """verify --nonce or --audience with a static credential is presentation_required (exit 1)."""
    key, pub = issuer_keys
    _, text = cli("issue", str(licence_file), "--key", str(key), "--issuer", "CN-SC", "--now", NOW)
    trust = ("--trust", f"CN-SC={pub}", "--now", NOW, "--json")
    for challenge in (("--nonce", "00" * 16), ("--audience", "desk-1")):
        code, out = cli("verify", text.strip(), *trust, *challenge)
        assert code == 1 and json.loads(out)["reason"] == Reason.PRESENTATION_REQUIRED.value


def test_usage_errors_exit_2(tmp_path: Path, cli: Cli) -> None:
    """Missing arguments, no trust store and bad durations are usage errors (exit 2)."""
    assert cli()[0] == 2
    assert cli("verify", "DL1:123")[0] == 2
    assert cli("verify", "DL1:123", "--trust", "nonsense")[0] == 2
    assert cli("issue", "x.json", "--key", "k", "--issuer", "I", "--valid-for", "soon")[0] == 2
    assert cli("demo", "--now", "2026-11-25T09:00:00")[0] == 2  # no time zone


def test_encrypted_key_via_env(
    tmp_path: Path, licence_file: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    """keygen/issue with --password-env encrypt and decrypt the private key."""
    monkeypatch.setenv("QRSEAL_TEST_PW", "correct horse")
    key = tmp_path / "enc.key"
    assert cli("keygen", "--out", str(key), "--password-env", "QRSEAL_TEST_PW")[0] == 0
    assert b"ENCRYPTED" in key.read_bytes()
    assert (
        cli(
            "issue",
            str(licence_file),
            "--key",
            str(key),
            "--issuer",
            "I",
            "--password-env",
            "QRSEAL_TEST_PW",
            "--now",
            NOW,
        )[0]
        == 0
    )
    monkeypatch.setenv("QRSEAL_TEST_PW", "wrong")
    code = cli(
        "issue",
        str(licence_file),
        "--key",
        str(key),
        "--issuer",
        "I",
        "--password-env",
        "QRSEAL_TEST_PW",
    )[0]
    assert code == 2  # issue 11: a wrong password is a set-up error, not a verdict


def test_inspect_marks_output_unverified(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli
) -> None:
    """inspect decodes without verifying and says so."""
    key, _ = issuer_keys
    _, text = cli("issue", str(licence_file), "--key", str(key), "--issuer", "CN-SC", "--now", NOW)
    code, out = cli("inspect", text.strip())
    report = json.loads(out)
    assert code == 0 and "NOT VERIFIED" in report["WARNING"] and report["iss"] == "CN-SC"


def test_demo_runs_end_to_end(tmp_path: Path, cli: Cli) -> None:
    """qrseal demo issues, renders, scans and verifies a sample licence."""
    code, out = cli("demo", "--out", str(tmp_path), "--now", NOW)
    assert code == 0 and "VALID" in out and (tmp_path / "licence-qr.png").exists()


def test_issuer_backend_example(tmp_path: Path, issuer_keys: tuple[Path, Path]) -> None:
    """examples/issuer_backend.py signs a JSON batch and a CSV batch, writing verifiable credentials."""
    key, pub = issuer_keys
    batch = tmp_path / "batch.json"
    records = [sample_licence_json(i) for i in range(5)]
    bad = sample_licence_json(0) | {"document_number": "510107200503151423"}
    batch.write_text(json.dumps([*records, bad], ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "creds.jsonl"
    argv = [
        str(batch),
        "--key",
        str(key),
        "--issuer",
        "CN-SC",
        "--out",
        str(out),
        "--png-dir",
        str(tmp_path / "png"),
        "--now",
        NOW,
    ]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "issuer_backend.py"), *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # one record was invalid
    assert "issued 5, skipped 1" in proc.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    verifier = Verifier(TrustStore([TrustedKey(load_public_key_pem(pub.read_bytes()), "CN-SC")]))
    for line in lines:
        assert (
            verifier.verify(line["credential"], now=FIXED_NOW).licence.document_number
            == line["document_number"]
        )
        assert line["qr_version"] == qr.qr_version(line["credential"], qr.Ecc.M)
    assert len(list((tmp_path / "png").glob("*.png"))) == 5

    csv_path = tmp_path / "batch.csv"
    fields = sorted({k for r in records for k in r if not k.startswith("_")})
    rows = [",".join(fields)]
    for r in records:
        cells = []
        for f in fields:
            v = r.get(f)
            cell = (
                ""
                if v is None
                else json.dumps(v, ensure_ascii=False)
                if isinstance(v, list)
                else str(v)
            )
            cells.append('"' + cell.replace('"', '""') + '"')
        rows.append(",".join(cells))
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "issuer_backend.py"),
            str(csv_path),
            "--key",
            str(key),
            "--issuer",
            "CN-SC",
            "--out",
            str(out),
            "--now",
            NOW,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 5


def test_verifier_app_example(
    tmp_path: Path,
    issuer_keys: tuple[Path, Path],
    licence_file: Path,
    capsys: pytest.CaptureFixture[str],
    cli: Cli,
) -> None:
    """examples/verifier_app.py verifies a JPEG screenshot and rejects one from an untrusted key."""
    key, pub = issuer_keys
    _, text = cli("issue", str(licence_file), "--key", str(key), "--issuer", "CN-SC", "--now", NOW)
    shot = tmp_path / "shot.jpg"
    qr.render_image(text.strip(), scale=5).convert("RGB").save(shot, "JPEG", quality=70)
    script = str(ROOT / "examples" / "verifier_app.py")
    sys_argv = sys.argv
    try:
        sys.argv = [script, str(shot), "--trust", f"CN-SC={pub}", "--now", NOW]
        with pytest.raises(SystemExit) as done:
            runpy.run_path(script, run_name="__main__")
        assert done.value.code == 0
        assert "LICENCE VERIFIED" in capsys.readouterr().out
        other = tmp_path / "other.pub.pem"
        cli("keygen", "--out", str(tmp_path / "other.key"), "--pub", str(other))
        sys.argv = [script, str(shot), "--trust", f"CN-SC={other}", "--now", NOW]
        with pytest.raises(SystemExit) as done:
            runpy.run_path(script, run_name="__main__")
        assert done.value.code == 1
        assert "unknown_key" in capsys.readouterr().out
    finally:
        sys.argv = sys_argv


# What each command may load beyond the parser: verify needs neither issuing, holding,
# rendering nor scanning.
_CLI = "import sys\nfrom qrseal.cli import main\nsys.exit(main())\n"


def test_verify_file_loads_only_what_verifying_needs(
    issuer_keys: tuple[Path, Path], licence_file: Path, tmp_path: Path, cli: Cli
) -> None:
    """`qrseal verify --file` in a fresh process loads no image library and no module
    for issuing, holding, rendering or scanning (the root package's __init__ excluded)."""
    key, pub = issuer_keys
    code, text = cli(
        "issue", str(licence_file), "--key", str(key), "--issuer", "CN-SC", "--now", NOW
    )
    assert code == 0
    (tmp_path / "text").write_text(text)
    argv = ("verify", "--file", str(tmp_path / "text"), "--trust", f"CN-SC={pub}", "--now", NOW)
    loaded = modules_after(
        _CLI.replace("sys.exit(main())", "code = main()\nassert code == 0"), *argv, root_init=False
    )
    assert "qrseal.cli.verify" in loaded
    assert heavy_in(loaded) == []
    unwanted = (
        "qrseal.issuer",
        "qrseal.holder",
        "qrseal.testing",
        "qrseal.qr.scanning",
        "qrseal.cli.credential",
        "qrseal.cli.demo",
        "qrseal.cli.scan",
    )
    assert [m for m in unwanted if m in loaded] == []


def test_parser_alone_loads_no_image_library() -> None:
    """Building the parser (every command's options, --help) loads no image library."""
    loaded = modules_after(
        "from qrseal.cli.main import make_parser\nmake_parser()\n", root_init=False
    )
    assert heavy_in(loaded) == []


@pytest.mark.parametrize(
    ("digits", "ok"), [(16, True), (14, False), (128, True), (130, False), (15, False)]
)
def test_nonce_length_limits(
    digits: int, ok: bool, issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli
) -> None:
    """--nonce takes MIN_NONCE_BYTES..MAX_NONCE_BYTES bytes of hex: the limits pass, one
    byte less or more (or an odd digit count) is a usage error (exit 2)."""
    assert (2 * MIN_NONCE_BYTES, 2 * MAX_NONCE_BYTES) == (16, 128)
    _, pub = issuer_keys
    code, _ = cli(
        "verify",
        "DL1:X",
        "--trust",
        f"CN-SC={pub}",
        "--nonce",
        "ab" * (digits // 2) + "a" * (digits % 2),
        "--now",
        NOW,
    )
    # within the limits the (bogus) text is then rejected (1); outside them argparse refuses (2)
    assert code == (1 if ok else 2)


def test_deprecated_terminal_qr_warns_and_draws_the_same() -> None:
    """qrseal.cli.main.terminal_qr still works for one release, with a DeprecationWarning."""
    with pytest.warns(DeprecationWarning, match="render_terminal"):
        art = terminal_qr("DL1:X", border=4, invert=False)
    assert art == qr.render_terminal("DL1:X", border=4, invert=False)
