"""What scripts/gen_licence_doc.py generates is current: the shipped schema files, the
example records and the licence-JSON tables of docs/format.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_licence_doc_schema_and_records_are_current() -> None:
    """scripts/gen_licence_doc.py --check finds nothing out of date."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_licence_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
