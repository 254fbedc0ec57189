"""Run code in a fresh interpreter and report the modules it loaded: for tests of what an
import or a command pulls in (which a test process, with everything already loaded,
cannot show)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import qrseal

#: Modules that verifying a credential *text* must not load.
HEAVY = ("PIL", "numpy", "qrcode", "zxingcpp", "pyzbar")

_ROOT_INIT = Path(qrseal.__file__)

# Puts an empty stand-in for the root package in sys.modules, so that importing
# qrseal.x runs x and what x imports, but not qrseal/__init__.py.
_WITHOUT_ROOT = """
import importlib.util, sys, types
_spec = importlib.util.find_spec("qrseal")
_root = types.ModuleType("qrseal")
_root.__path__ = list(_spec.submodule_search_locations)
sys.modules["qrseal"] = _root
"""

_REPORT = """
import json as _json, sys as _sys
print(_json.dumps(sorted(_sys.modules)))
"""


def modules_after(code: str, *args: str, root_init: bool = True) -> set[str]:
    """The modules loaded by a fresh interpreter running ``code`` (with ``sys.argv[1:]`` =
    ``args``); with ``root_init=False`` the root package's ``__init__`` does not run."""
    program = ("" if root_init else _WITHOUT_ROOT) + code + _REPORT
    env = {**os.environ, "PYTHONPATH": str(_ROOT_INIT.parent.parent)}
    done = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return set(loaded)


def heavy_in(modules: set[str]) -> list[str]:
    """The heavy top-level packages among ``modules``."""
    return [m for m in HEAVY if m in modules]


def root_imports_scanning_eagerly() -> bool:
    """Whether ``qrseal/__init__.py`` imports a scanning name of ``qrseal.qr`` at module
    level (outside ``if TYPE_CHECKING``), which loads Pillow and zxing-cpp with the root.
    Until the root is lazy, a test of ``import qrseal`` itself cannot pass."""
    from qrseal import qr

    lazy = set(qr._LAZY)
    tree = ast.parse(_ROOT_INIT.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module == "qr" and any(a.name in lazy for a in node.names):
                return True
            if node.module is not None and node.module.startswith("qr."):
                return True
    return False
