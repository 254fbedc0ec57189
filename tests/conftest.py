"""Shared fixtures: the in-process CLI runner and the key and licence files most CLI tests
start from. Plain helpers live in tests/support.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qrseal.testing import sample_licence_json
from tests.hsm import SoftHsm, make_softhsm
from tests.support import Cli


@pytest.fixture
def cli() -> Cli:
    """``cli(*argv) -> (exit code, output)`` and ``cli.ok(*argv) -> output`` (exit 0 required)."""
    return Cli()


@pytest.fixture
def issuer_keys(tmp_path: Path, cli: Cli) -> tuple[Path, Path]:
    """An issuer key pair made by ``qrseal keygen``: (private key PEM, public key PEM)."""
    key, pub = tmp_path / "issuer.key", tmp_path / "issuer.pub.pem"
    assert "kid:" in cli.ok("keygen", "--out", key, "--pub", pub)
    return key, pub


@pytest.fixture
def licence_file(tmp_path: Path) -> Path:
    """Sample licence 0 (CN-SC, class C1) as a JSON file."""
    path = tmp_path / "licence.json"
    path.write_text(json.dumps(sample_licence_json(0), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHsm:
    """A fresh SoftHSM2 token for this test session (skipped off CI when not installed)."""
    return make_softhsm(tmp_path_factory.mktemp("softhsm"))
