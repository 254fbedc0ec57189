"""``--pkcs11`` on the command line against a fresh SoftHSM2 token: keygen in the token,
then issue, trust sign and status publish with it; the PIN never on the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from qrseal.cli.signing import parse_pkcs11_uri
from qrseal.wire.keys import kid_for, load_public_key_pem
from tests.hsm import SoftHsm
from tests.support import Cli

NOW = "2026-11-25T09:00:00Z"
URI = "https://status.example.cn/dl/v1/0"


@pytest.fixture
def pin_env(softhsm: SoftHsm, monkeypatch: pytest.MonkeyPatch) -> None:
    """The token PIN in the default environment variable."""
    monkeypatch.setenv("QRSEAL_PKCS11_PIN", softhsm.pin)


@pytest.mark.usefixtures("pin_env")
def test_every_signing_command_signs_in_the_token(
    tmp_path: Path, softhsm: SoftHsm, cli: Cli, licence_file: Path
) -> None:
    """keygen --pkcs11 makes the key in the token; issue, trust sign and status publish sign
    with it; what they sign verifies against the exported public key."""
    pub, root_pub = tmp_path / "issuer.pub.pem", tmp_path / "root.pub.pem"
    issuer_uri, root_uri = softhsm.uri("cli-issuer"), softhsm.uri("cli-root")
    out = cli.ok("keygen", "--pkcs11", issuer_uri, "--pub", pub)
    assert "never leaves" in out
    cli.ok("keygen", "--pkcs11", root_uri, "--pub", root_pub, "--alg", "ES384")
    text = cli.ok("issue", licence_file, "--pkcs11", issuer_uri, "--issuer", "CN-SC",
                  "--now", NOW).strip()  # fmt: skip
    cli.ok("verify", text, "--trust", f"CN-SC={pub}", "--now", NOW)

    draft, signed = tmp_path / "draft.cbor", tmp_path / "trust.tl"
    cli.ok("trust", "init", "--key", tmp_path / "unused-root.key", "--draft", draft,
           "--list-id", "cn", "--now", NOW)  # fmt: skip
    cli.ok("trust", "add", "--draft", draft, "--pub", pub, "--issuer", "CN-SC",
           "--jurisdiction", "CN-SC", "--not-before", "2026-01-01T00:00:00Z",
           "--not-after", "2027-12-31T00:00:00Z")  # fmt: skip
    # trust init recorded its PEM root; this list's root is the token's key instead.
    code, _ = cli("trust", "sign", "--draft", draft, "--pkcs11", root_uri, "--out", signed)
    assert code == 2 and not signed.exists()
    Path(f"{draft}.root.pub.pem").write_bytes(root_pub.read_bytes())
    cli.ok("trust", "sign", "--draft", draft, "--pkcs11", root_uri, "--out", signed, "--now", NOW)
    report = json.loads(cli.ok("trust", "show", signed, "--root", root_pub, "--json", "--now", NOW))
    assert report["entries"][0]["issuer"] == "CN-SC"

    status_list, token = tmp_path / "list.cbor", tmp_path / "shard-0.cwt"
    cli.ok("status", "init", status_list, "--entries", "64")
    cli.ok("status", "publish", status_list, "--pkcs11", issuer_uri, "--uri", URI,
           "--out", token, "--now", NOW)  # fmt: skip
    shown = cli.ok("status", "show", token, "--key", pub, "--now", NOW)
    assert shown.startswith("VALID")
    assert kid_for(load_public_key_pem(pub.read_bytes())).hex() in shown


def test_the_pin_never_comes_from_the_command_line(
    softhsm: SoftHsm, cli: Cli, licence_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pin-value in the URI is a usage error; without the PIN variable and a terminal the
    command stops with a usage error; a wrong PIN is a set-up error too (exit 2, token_login_failed)."""
    uri = softhsm.uri("cli-issuer") + "&pin-value=" + softhsm.pin
    assert cli("issue", licence_file, "--pkcs11", uri, "--issuer", "CN-SC")[0] == 2
    monkeypatch.delenv("QRSEAL_PKCS11_PIN", raising=False)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115 (closed by pytest)
    assert cli("issue", licence_file, "--pkcs11", softhsm.uri("x"), "--issuer", "CN-SC")[0] == 2
    monkeypatch.setenv("WRONG_PIN", "0000-wrong")
    code, _ = cli("issue", licence_file, "--pkcs11", softhsm.uri("x"), "--issuer", "CN-SC",
                  "--pin-env", "WRONG_PIN")  # fmt: skip
    assert code == 2


def test_pkcs11_uris_parse_by_rfc_7512() -> None:
    """Token, object label, percent-encoded id and module path are read; a URI without a
    module, token or key, of another type, or with a PIN is refused."""
    uri = parse_pkcs11_uri("pkcs11:token=My%20HSM;id=%01%ff;type=private?module-path=/lib/p.so")
    assert (uri.module, uri.token, uri.label, uri.key_id) == (
        "/lib/p.so",
        "My HSM",
        None,
        b"\x01\xff",
    )
    for bad in (
        "pkcs11:token=t;object=k",
        "pkcs11:object=k?module-path=/m.so",
        "pkcs11:token=t?module-path=/m.so",
        "pkcs11:token=t;object=k;type=public?module-path=/m.so",
        "pkcs11:token=t;object=k?module-path=/m.so&pin-source=file:/pin",
        "pkcs11:token=t;token=u;object=k?module-path=/m.so",
        "file:token=t;object=k?module-path=/m.so",
    ):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_pkcs11_uri(bad)
