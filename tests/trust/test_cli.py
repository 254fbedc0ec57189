"""The trust CLI and the trust-list example (qrseal.cli.trust)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from qrseal.cli import trust as cli_trust
from qrseal.errors import (
    Reason,
)
from qrseal.trust.lists import (
    load_trust_list,
)
from qrseal.verifier import Verifier
from qrseal.wire.keys import (
    kid_for,
    load_public_key_pem,
    public_key_to_pem,
)
from tests.support import Cli

from .support import (
    HOUR,
    NOW,
    OLD,
    _credential,
    _reason,
)


def _run(*argv: str) -> tuple[int, str]:
    return Cli()(*argv)


def test_cli_init_add_retire_revoke_sign_show(tmp_path: Path) -> None:
    """The trust commands build, sign and show a list a verifier then loads."""
    root, root_pub, draft = tmp_path / "root.pem", tmp_path / "root.pub.pem", tmp_path / "d.cbor"
    signed, issuer_pub = tmp_path / "list.tl", tmp_path / "issuer.pub.pem"
    issuer_pub.write_bytes(public_key_to_pem(OLD))
    now = ["--now", NOW.isoformat()]
    code, _ = _run(
        "trust", "init", "--key", str(root), "--pub", str(root_pub), "--draft", str(draft),
        "--list-id", "cn-national", *now,
    )  # fmt: skip
    assert code == 0
    code, _ = _run(
        "trust", "add", "--draft", str(draft), "--pub", str(issuer_pub), "--issuer", "CN-SC",
        "--jurisdiction", "CN-SC", "--type", "DL", "--class", "C1", "--class", "C2",
        "--not-before", (NOW - HOUR).isoformat(), "--not-after", (NOW + 1000 * HOUR).isoformat(),
    )  # fmt: skip
    assert code == 0
    assert (
        _run(
            "trust", "sign", "--draft", str(draft), "--key", str(root), "--out", str(signed), *now
        )[0]
        == 0
    )
    first = signed.read_bytes()
    kid = kid_for(OLD).hex()
    assert (
        _run("trust", "retire", "--draft", str(draft), "--kid", kid, "--at", NOW.isoformat())[0]
        == 0
    )
    assert (
        _run(
            "trust",
            "revoke",
            "--draft",
            str(draft),
            "--kid",
            kid,
            "--at",
            NOW.isoformat(),
            "--compromised",
        )[0]
        == 0
    )
    assert (
        _run(
            "trust", "sign", "--draft", str(draft), "--key", str(root), "--out", str(signed), *now
        )[0]
        == 0
    )
    code, text = _run("trust", "show", str(signed), "--root", str(root_pub), "--json", *now)
    assert code == 0 and '"sequence": 2' in text and '"compromised": true' in text
    store = cli_trust.trust_store_from_files(signed, root_pub, now=NOW)
    assert len(store) == 1  # the compromised key stays, so that its credentials are key_revoked
    text = _credential(OLD, NOW - HOUR)
    assert _reason(lambda: Verifier(store).verify(text, now=NOW)) is Reason.KEY_REVOKED
    pinned = load_public_key_pem(root_pub.read_bytes())
    assert load_trust_list(first, root=pinned).sequence == 1
    code, _ = _run("trust", "show", str(signed), "--root", str(issuer_pub), *now)
    assert code == 1
    assert _run("trust", "retire", "--draft", str(draft), "--kid", "zz")[0] == 2


def test_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """examples/trust_list_update.py runs and shows rollback, revocation and expiry."""
    path = Path(__file__).resolve().parents[2] / "examples" / "trust_list_update.py"
    runpy.run_path(str(path), run_name="example")["main"](tmp_path)
    out = capsys.readouterr().out
    for expected in ("trust_list_rollback", "(compromised key)", "trust_list_expired"):
        assert expected in out
    assert out.count("VALID ") == 4
