"""Tests for the qrseal.qr package itself: its names, and that image libraries load only
when an image is rendered or scanned (verifying a text never pays for them)."""

from __future__ import annotations

import ast
import importlib
from datetime import datetime
from pathlib import Path

import pytest

from qrseal import qr
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_issuer, make_private_key, sample_licence
from qrseal.wire.keys import public_key_to_pem

from ..fresh_process import heavy_in, modules_after, root_imports_scanning_eagerly


def test_every_public_name_resolves_to_its_defining_module() -> None:
    """Each name in qrseal.qr.__all__ exists and is the object its submodule defines."""
    for name in qr.__all__:
        value = getattr(qr, name)
        module = qr._LAZY.get(name, "render")
        assert value is getattr(importlib.import_module(f"qrseal.qr.{module}"), name), name
    assert sorted(qr.__all__) == sorted(set(qr.__all__))
    assert set(qr.__all__) <= set(dir(qr))


def test_unknown_name_is_an_attribute_error() -> None:
    """A name the package does not have raises AttributeError (so hasattr works)."""
    with pytest.raises(AttributeError):
        _ = qr.render_gif
    assert not hasattr(qr, "nothing_here")


def test_lazy_names_are_the_ones_declared_for_type_checkers() -> None:
    """The names loaded on first use are exactly those imported under TYPE_CHECKING, so
    mypy sees every one of them."""
    tree = ast.parse(Path(qr.__file__).read_text(encoding="utf-8"))
    declared = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for imp in node.body
        if isinstance(imp, ast.ImportFrom)
        for alias in imp.names
    }
    assert declared == set(qr._LAZY)


def test_scan_is_the_function_not_a_submodule() -> None:
    """qrseal.qr.scan is the scan function, however the submodules were imported."""
    importlib.import_module("qrseal.qr.scanning")
    assert callable(qr.scan) and qr.scan.__module__ == "qrseal.qr.scanning"


def test_importing_the_package_loads_no_image_library() -> None:
    """import qrseal.qr and its rendering constants load none of the heavy packages; the
    first scanning name loads Pillow and zxing-cpp (so the laziness is real, not absent)."""
    light = "import qrseal.qr as q\nq.Ecc('M'); q.DEFAULT_SCALE; q.MAX_TEXT_CHARS\n"
    assert heavy_in(modules_after(light, root_init=False)) == []
    scanned = modules_after(light + "q.scan\n", root_init=False)
    assert {"PIL", "zxingcpp"} <= set(heavy_in(scanned))
    rendered = modules_after(light + "q.render_svg('DL1:X')\n", root_init=False)
    assert "qrcode" in heavy_in(rendered) and "zxingcpp" not in rendered


@pytest.fixture(scope="module")
def credential_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A credential text file and its issuer's public key PEM."""
    folder = tmp_path_factory.mktemp("lazy")
    (folder / "pub.pem").write_bytes(public_key_to_pem(make_private_key().public_key()))
    (folder / "text").write_text(make_issuer().issue(sample_licence(0), now=FIXED_NOW))
    return folder / "pub.pem", folder / "text"


_VERIFY_TEXT = """
import sys
from datetime import datetime
{imports}
key = load_public_key_pem(open(sys.argv[1], "rb").read())
verifier = Verifier(TrustStore([TrustedKey(key, sys.argv[3])]))
verifier.verify(open(sys.argv[2]).read(), now=datetime.fromisoformat(sys.argv[4]))
"""


def _args(files: tuple[Path, Path], now: datetime) -> tuple[str, ...]:
    return (str(files[0]), str(files[1]), TEST_ISSUER, now.isoformat())


def test_verifying_a_text_loads_no_image_library(credential_files: tuple[Path, Path]) -> None:
    """qrseal.verifier, with everything it imports, verifies a text in a fresh process
    without loading Pillow, numpy, qrcode, zxing-cpp or pyzbar (the root package's
    __init__ excluded: see the next test)."""
    code = _VERIFY_TEXT.format(
        imports="from qrseal.verifier import TrustedKey, TrustStore, Verifier\n"
        "from qrseal.wire.keys import load_public_key_pem"
    )
    loaded = modules_after(code, *_args(credential_files, FIXED_NOW), root_init=False)
    assert "qrseal.verifier" in loaded
    assert heavy_in(loaded) == []
    assert not any(m.startswith("qrseal.qr") for m in loaded)


@pytest.mark.skipif(
    root_imports_scanning_eagerly(),
    reason="qrseal/__init__.py still imports qrseal.qr's scanning names eagerly "
    "(made lazy by the public-API change of issue 10)",
)
def test_import_qrseal_and_verify_a_text_loads_no_image_library(
    credential_files: tuple[Path, Path],
) -> None:
    """import qrseal; from qrseal import Verifier; verifying a text in a fresh process
    loads none of Pillow, numpy, qrcode, zxing-cpp or pyzbar."""
    code = _VERIFY_TEXT.format(
        imports="import qrseal\n"
        "from qrseal import TrustedKey, TrustStore, Verifier, load_public_key_pem"
    )
    loaded = modules_after(code, *_args(credential_files, FIXED_NOW))
    assert heavy_in(loaded) == []
