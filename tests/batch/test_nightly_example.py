"""examples/nightly_refresh.py runs: three nights, a revocation and a key rotation."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_nightly_refresh_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each night issues its records; after the rotation both keys' credentials verify
    against trust list #2."""
    argv = ["nightly_refresh.py", str(tmp_path), "--records", "12", "--engine", "serial"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as ended:
        runpy.run_path(str(ROOT / "examples" / "nightly_refresh.py"), run_name="__main__")
    assert ended.value.code == 0
    out = capsys.readouterr().out
    assert "night-1: 12 issued, 0 rejected" in out
    assert "trust list #2" in out
    assert out.count(": VALID, kid") == 2
    assert (tmp_path / "status" / "shard-0.cwt").exists()
