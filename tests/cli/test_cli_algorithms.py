"""The command line with the opt-in algorithms (issue 15): ``keygen --alg SM2|ML-DSA-44``,
SM2 device keys, ``verify --allow-alg``, SM2 and ML-DSA-44 trust-list roots and status lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qrseal import Reason
from tests.support import Cli

NOW = "2026-11-25T09:00:00Z"
LATER = "2026-11-25T10:00:00Z"
URI = "https://status.example.cn/dl/v1/0"
OPT_IN = ["SM2", "ML-DSA-44"]


def _keygen(cli: Cli, tmp_path: Path, alg: str, name: str) -> tuple[Path, Path]:
    key, pub = tmp_path / f"{name}.key", tmp_path / f"{name}.pub.pem"
    out = cli.ok("keygen", "--alg", alg, "--out", key, "--pub", pub)
    assert f"algorithm: {alg}" in out
    return key, pub


@pytest.mark.parametrize("alg", OPT_IN)
def test_issue_and_verify_need_allow_alg(
    alg: str, tmp_path: Path, licence_file: Path, cli: Cli
) -> None:
    """A credential signed with an opt-in algorithm is refused by a plain verify (exit 1,
    algorithm_not_allowed) and accepted with --allow-alg (exit 0)."""
    key, pub = _keygen(cli, tmp_path, alg, "issuer")
    text = cli.ok("issue", licence_file, "--key", key, "--issuer", "CN-SC", "--now", NOW).strip()
    trust = ("--trust", f"CN-SC={pub}", "--now", LATER)
    code, out = cli("verify", text, *trust, "--json")
    assert code == 1 and json.loads(out)["reason"] == Reason.ALGORITHM_NOT_ALLOWED.value
    out = cli.ok("verify", text, *trust, "--allow-alg", alg, "--json")
    assert json.loads(out)["valid"] is True


def test_allow_alg_takes_only_opt_in_names(cli: Cli) -> None:
    """--allow-alg refuses names that are not opt-in algorithms (usage error, exit 2)."""
    assert cli("verify", "DL1:1", "--allow-alg", "RS256")[0] == 2
    assert cli("verify", "DL1:1", "--allow-alg", "ES256")[0] == 2


def test_sm2_device_key_live_code(tmp_path: Path, licence_file: Path, cli: Cli) -> None:
    """An SM2 issuer binds a credential to an SM2 device key; the live code verifies."""
    key, pub = _keygen(cli, tmp_path, "SM2", "issuer")
    dev, dev_pub = tmp_path / "dev.key", tmp_path / "dev.pub.pem"
    cli.ok("device-keygen", "--alg", "SM2", "--out", dev, "--pub", dev_pub)
    cred = tmp_path / "cred.txt"
    text = cli.ok("issue", licence_file, "--key", key, "--issuer", "CN-SC", "--now", NOW,
                  "--holder-key", dev_pub)  # fmt: skip
    cred.write_text(text)
    code_text = cli.ok("present", "--file", cred, "--device-key", dev, "--now", NOW).strip()
    out = cli.ok("verify", code_text.splitlines()[0], "--trust", f"CN-SC={pub}", "--now", NOW,
                 "--allow-alg", "SM2", "--json")  # fmt: skip
    assert json.loads(out)["presentation"] == "live"


def test_device_keygen_refuses_ml_dsa(tmp_path: Path, cli: Cli) -> None:
    """ML-DSA-44 is not a device algorithm (usage error, exit 2)."""
    assert cli("device-keygen", "--alg", "ML-DSA-44", "--out", tmp_path / "d.key")[0] == 2


@pytest.mark.parametrize("alg", OPT_IN)
def test_trust_list_root_and_status_list(
    alg: str, tmp_path: Path, licence_file: Path, cli: Cli
) -> None:
    """A root of the algorithm signs a trust list naming an issuer key of it; the issuer's
    status list signed with it verifies in status show --allow-alg and in verify --status."""
    key, pub = _keygen(cli, tmp_path, alg, "issuer")
    root, root_pub = tmp_path / "root.key", tmp_path / "root.pub.pem"
    draft, signed = tmp_path / "draft.cbor", tmp_path / "trust.tl"
    cli.ok("trust", "init", "--key", root, "--pub", root_pub, "--draft", draft, "--alg", alg,
           "--list-id", "cn-national", "--now", "2026-11-25T08:00:00Z")  # fmt: skip
    cli.ok("trust", "add", "--draft", draft, "--pub", pub, "--issuer", "CN-SC",
           "--jurisdiction", "CN-SC", "--not-before", "2026-01-01T00:00:00Z",
           "--not-after", "2027-12-31T00:00:00Z")  # fmt: skip
    cli.ok("trust", "sign", "--draft", draft, "--key", root, "--out", signed,
           "--now", "2026-11-25T08:00:00Z")  # fmt: skip
    folder, status_list = tmp_path / "snapshots", tmp_path / "list.cbor"
    folder.mkdir()
    cli.ok("status", "init", status_list, "--entries", "100")
    cli.ok("status", "publish", status_list, "--key", key, "--uri", URI,
           "--out", folder / "shard-0.cwt", "--now", NOW)  # fmt: skip
    token = folder / "shard-0.cwt"
    code, _ = cli("status", "show", token, "--key", pub, "--now", NOW)
    assert code == 1
    cli.ok("status", "show", token, "--key", pub, "--now", NOW, "--allow-alg", alg)
    text = cli.ok("issue", licence_file, "--key", key, "--issuer", "CN-SC", "--now", NOW,
                  "--status-uri", URI, "--status-idx", "7")  # fmt: skip
    out = cli.ok("verify", text.strip(), "--trust-list", signed, "--root", root_pub,
                 "--status", folder, "--require-status", "--allow-alg", alg,
                 "--now", LATER, "--json")  # fmt: skip
    assert json.loads(out)["valid"] is True


@pytest.mark.parametrize("alg", ["EdDSA", "ML-DSA-44"])
def test_verify_json_names_the_algorithm_as_allow_alg_spells_it(
    alg: str, tmp_path: Path, licence_file: Path, cli: Cli
) -> None:
    """``verify --json`` reports the algorithm by its IANA name, the spelling ``keygen --alg``
    and ``--allow-alg`` take (it printed the enum member names EDDSA and ML_DSA_44)."""
    key, pub = _keygen(cli, tmp_path, alg, "issuer")
    text = cli.ok("issue", licence_file, "--key", key, "--issuer", "CN-SC", "--now", NOW).strip()
    allow = ["--allow-alg", alg] if alg in OPT_IN else []
    out = cli.ok("verify", text, "--trust", f"CN-SC={pub}", "--now", LATER, *allow, "--json")
    assert json.loads(out)["algorithm"] == alg
