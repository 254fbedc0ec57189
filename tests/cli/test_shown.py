"""``qrseal deadlines`` and ``qrseal card``: verify first, then show."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from tests.support import Cli

NOW = "2026-11-25T09:00:00Z"


def _issue(cli: Cli, key: Path, licence: Path, *extra: str | Path) -> str:
    return cli.ok("issue", licence, "--key", key, "--issuer", "CN-SC", "--now", NOW, *extra).strip()


def test_deadlines_prints_the_rules_after_verifying(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli
) -> None:
    """deadlines verifies the credential and lists probation, cycle end and renewal."""
    key, pub = issuer_keys
    text = _issue(cli, key, licence_file)
    out = cli.ok("deadlines", text, "--trust", f"CN-SC={pub}", "--now", NOW)
    assert "2027-05-19" in out and "实习期满" in out and "2032-05-20" in out
    rows = json.loads(cli.ok("deadlines", text, "--trust", f"CN-SC={pub}", "--now", NOW, "--json"))
    kinds = [row["kind"] for row in rows]
    assert kinds == ["probation_end", "scoring_cycle_end", "renewal"]
    assert rows[1]["points_remaining"] == 9 and "§2.6" in rows[1]["source"]


def test_deadlines_refuses_an_untrusted_credential(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli, tmp_path: Path
) -> None:
    """A credential signed by a key the verifier does not trust prints REJECTED, exit 1."""
    key, _ = issuer_keys
    other = tmp_path / "other.pub.pem"
    cli.ok("keygen", "--out", tmp_path / "other.key", "--pub", other)
    text = _issue(cli, key, licence_file)
    code, out = cli("deadlines", text, "--trust", f"CN-SC={other}", "--now", NOW)
    assert code == 1 and out.startswith("REJECTED")


def test_reminder_example_lists_due_and_overdue(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/deadline_reminder.py prints the deadlines within the horizon, and overdue ones."""
    script = Path(__file__).resolve().parents[2] / "examples" / "deadline_reminder.py"
    module = runpy.run_path(str(script), run_name="deadline_reminder")
    assert module["main"](["--today", "2034-09-01", "--within", "30"]) == 0
    out = capsys.readouterr().out
    # 张磊's licence expired on 2034-07-01: its renewal is overdue (status M once overdue).
    assert "张磊: renewal, OVERDUE by 62 d" in out


def test_card_writes_png_and_svg(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli, tmp_path: Path
) -> None:
    """card verifies and writes a PNG (verifier view) and an SVG (holder view, masked)."""
    pytest.importorskip("fontTools", reason="card fonts need fontTools")
    key, pub = issuer_keys
    text = _issue(cli, key, licence_file)
    png, svg = tmp_path / "card.png", tmp_path / "card.svg"
    out = cli.ok("card", text, "--trust", f"CN-SC={pub}", "--now", NOW, "--out", png)
    assert out.startswith("VALID") and png.read_bytes().startswith(b"\x89PNG")
    cli.ok(
        "card", text, "--trust", f"CN-SC={pub}", "--now", NOW, "--out", svg,
        "--view", "holder", "--lang", "en", "--mask",
    )  # fmt: skip
    drawn = svg.read_text(encoding="utf-8")
    assert "5101**********1422" in drawn and "510107200503151422" not in drawn


def test_card_of_a_rejected_credential_exits_1(
    issuer_keys: tuple[Path, Path], cli: Cli, tmp_path: Path
) -> None:
    """A credential that does not verify still gets a card (the reason), with exit code 1."""
    _, pub = issuer_keys
    png = tmp_path / "card.png"
    code, out = cli("card", "DL1:00", "--trust", f"CN-SC={pub}", "--now", NOW, "--out", png)
    assert code == 1 and out.startswith("REJECTED") and png.exists()


def test_demo_ends_by_writing_a_card(tmp_path: Path, cli: Cli) -> None:
    """qrseal demo's last step writes the licence card PNG next to the QR code."""
    out = cli.ok("demo", "--out", tmp_path, "--now", NOW)
    card = tmp_path / "licence-card.png"
    assert card.read_bytes().startswith(b"\x89PNG") and str(card) in out.splitlines()[-1]


def test_issue_with_portrait(
    issuer_keys: tuple[Path, Path], licence_file: Path, cli: Cli, tmp_path: Path
) -> None:
    """issue --portrait puts a JPEG 2000 portrait within the budget into the credential,
    with its capture date; the verified licence carries it byte for byte."""
    data = pytest.importorskip("skimage.data", reason="the bundled astronaut photo")
    from PIL import Image

    from qrseal import TrustedKey, TrustStore, Verifier
    from qrseal.testing import FIXED_NOW
    from qrseal.wire.keys import load_public_key_pem

    photo = tmp_path / "photo.jpg"
    Image.fromarray(data.astronaut()).save(photo, "JPEG", quality=90)
    key, pub = issuer_keys
    text = _issue(
        cli, key, licence_file, "--portrait", photo, "--face", "174,66,96,96",
        "--portrait-budget", "500", "--portrait-date", "2026-11-20T08:00:00Z",
    )  # fmt: skip
    verifier = Verifier(TrustStore([TrustedKey(load_public_key_pem(pub.read_bytes()), "CN-SC")]))
    licence = verifier.verify(text, now=FIXED_NOW).licence
    assert licence.portrait is not None and len(licence.portrait) <= 500
    assert licence.portrait.startswith(b"\xff\x4f\xff\x51")
    assert licence.portrait_capture_date is not None and licence.portrait_capture_date.day == 20
    code, _ = cli(
        "issue", licence_file, "--key", key, "--issuer", "CN-SC", "--now", NOW,
        "--portrait", photo, "--face", "1,2,3",
    )  # fmt: skip
    assert code == 2  # a face box needs four numbers
