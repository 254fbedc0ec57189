"""A fresh SoftHSM2 token for the PKCS#11 tests: its own configuration and token folder in
a temporary directory, initialised with ``softhsm2-util`` (``./dev setup`` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["SoftHsm", "make_softhsm"]

_MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


@dataclass(frozen=True)
class SoftHsm:
    """One initialised token: the module to load, its label, the user PIN and the config."""

    module: str
    token: str
    pin: str
    conf: Path

    def uri(self, label: str) -> str:
        """The RFC 7512 URI the CLI takes for the key ``label`` on this token."""
        return f"pkcs11:token={self.token};object={label}?module-path={self.module}"


def _unavailable(reason: str) -> None:
    # CI runs on a machine `./dev setup` prepared: a missing SoftHSM2 there is a failure.
    if os.environ.get("CI"):
        pytest.fail(f"SoftHSM2 is missing on CI: {reason}")
    pytest.skip(f"SoftHSM2 not installed ({reason}); run ./dev setup as root")


def make_softhsm(directory: Path) -> SoftHsm:
    """Initialise a token under ``directory`` and point ``SOFTHSM2_CONF`` at it (SoftHSM2
    reads the variable once per process, when the module is first initialised)."""
    module = next((path for path in _MODULE_PATHS if Path(path).exists()), None)
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        _unavailable("no libsofthsm2.so or softhsm2-util")
        raise AssertionError("unreachable")
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    token, pin = "qrseal-test", "1234-test"
    subprocess.run(
        [util, "--init-token", "--free", "--label", token, "--so-pin", "5678-so", "--pin", pin],
        check=True,
        capture_output=True,
    )
    return SoftHsm(module, token, pin, conf)
