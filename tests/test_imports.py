"""Heavy dependencies load on first use: `import qrseal` and verifying text leave the image
libraries unloaded; each check runs in a fresh interpreter, whose modules are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
IMAGE_LIBRARIES = ("PIL", "numpy", "qrcode", "zxingcpp", "pyzbar")


def _loaded_after(code: str) -> tuple[list[str], object]:
    """Run `code` in a fresh interpreter; report which image libraries it loaded and the
    value the code left in `result` (JSON)."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps({{'loaded': sorted(m for m in {IMAGE_LIBRARIES!r} if m in sys.modules),"
        " 'result': globals().get('result')}))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, env=env
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    loaded: list[str] = report["loaded"]
    return loaded, report["result"]


def test_the_image_layer_is_not_bound_at_the_root_until_used() -> None:
    """The root's image names resolve on first use, to the functions of qrseal.qr."""
    report = _loaded_after(
        "import qrseal\n"
        "before = {n for n in ('render_png', 'render_svg', 'scan') if n in vars(qrseal)}\n"
        "import qrseal.qr as q\n"
        "same = qrseal.render_png is q.render_png and qrseal.scan is q.scan\n"
        "result = [sorted(before), same, 'render_png' in vars(qrseal)]"
    )
    assert report[1] == [[], True, True]


def test_import_qrseal_loads_no_image_library() -> None:
    """`import qrseal` loads neither Pillow, numpy, qrcode, zxing-cpp nor pyzbar."""
    assert _loaded_after("import qrseal")[0] == []


def test_verifying_text_loads_no_image_library() -> None:
    """Issuing and verifying a credential text loads no image library."""
    report = _loaded_after(
        "from qrseal import Verifier\n"
        "from qrseal.testing import FIXED_NOW, make_issuer, make_verifier, sample_licence\n"
        "text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)\n"
        "result = make_verifier().verify(text, now=FIXED_NOW).licence.document_number"
    )
    assert report == ([], "510107200503151422")


def test_rendering_loads_the_image_layer() -> None:
    """The first image use loads the QR libraries (the probe itself can see them)."""
    report = _loaded_after("import qrseal\nresult = qrseal.render_svg('DL1:1').startswith('<svg')")
    loaded, result = report
    assert result is True and "qrcode" in loaded


# What a one-shot ``qrseal verify`` of a text must not pay for at start-up: the trust-list
# and status-folder file handling (tempfile, shutil, pathlib), a second OpenSSL
# (hashlib), and cbor2's table of standard-library encoders, whose first use imports email,
# uuid, decimal, fractions and ipaddress (benchmarks/startup_bench.py measures the time).
NOT_FOR_VERIFYING = (
    "tempfile", "shutil", "pathlib", "hashlib",
    "email", "uuid", "decimal", "fractions", "ipaddress",
)  # fmt: skip


def test_verifying_text_loads_only_what_verifying_needs() -> None:
    """Building a Verifier and verifying a credential text imports no file-handling,
    hashlib or cbor2 standard-library-encoder modules."""
    from qrseal.testing import FIXED_NOW, make_issuer, make_private_key, sample_licence
    from qrseal.wire.keys import public_key_to_pem
    from tests.fresh_process import modules_after

    issuer = make_issuer()
    text = issuer.issue(sample_licence(0), now=FIXED_NOW)
    pem = public_key_to_pem(make_private_key().public_key()).decode()
    loaded = modules_after(
        "import sys\n"
        "from datetime import datetime\n"
        "from qrseal import TrustedKey, TrustStore, Verifier, load_public_key_pem\n"
        "key = load_public_key_pem(sys.argv[1].encode())\n"
        "verifier = Verifier(TrustStore([TrustedKey(key, sys.argv[2])]))\n"
        "verifier.verify(sys.argv[3], now=datetime.fromisoformat(sys.argv[4]))\n",
        pem,
        issuer.issuer,
        text,
        FIXED_NOW.isoformat(),
    )
    assert "qrseal.verifier.core" in loaded
    assert sorted(m for m in NOT_FOR_VERIFYING if m in loaded) == []


def test_a_batch_worker_loads_only_what_issuing_a_chunk_needs() -> None:
    """A worker process imports qrseal.batch.work (what it unpickles), not the driver's
    engines, journal, id index or progress bar: each worker starts faster."""
    from tests.fresh_process import modules_after

    loaded = modules_after("import qrseal.batch.work\n")
    assert "qrseal.batch.work" in loaded
    driver = ("qrseal.batch.run", "qrseal.batch.engines", "qrseal.batch.journal",
              "qrseal.batch.ids", "tqdm", "sqlite3", "concurrent.futures.process")  # fmt: skip
    assert sorted(m for m in driver if m in loaded) == []


def test_the_batch_package_names_resolve_on_first_use() -> None:
    """Every name in qrseal.batch.__all__ resolves (loaded on first use) and dir() lists
    it; an unknown name is an AttributeError."""
    import pytest

    import qrseal.batch

    for name in qrseal.batch.__all__:
        assert getattr(qrseal.batch, name) is not None
        assert name in dir(qrseal.batch)
    with pytest.raises(AttributeError):
        _ = qrseal.batch.no_such_name
