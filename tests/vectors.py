"""Locate the external test vectors in ../shared/vectors/ (never copied into the repo)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

#: The folder beside the repository; QRSEAL_VECTORS overrides it.
VECTORS = Path(
    os.environ.get("QRSEAL_VECTORS", Path(__file__).resolve().parents[2] / "shared" / "vectors")
)
SHARED = VECTORS.parent


def vector_path(*parts: str) -> Path:
    """Path of a vector file; skips the calling test with a clear reason when absent."""
    path = VECTORS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"external test vectors not available: {path} is missing (../shared/vectors)")
    return path


def load_vector(*parts: str) -> Any:
    """Parsed JSON of a vector file (skips when absent)."""
    return json.loads(vector_path(*parts).read_text(encoding="utf-8"))


def vector_files(*parts: str, pattern: str = "*.json") -> list[Path]:
    """Vector files of a folder, sorted; empty when the folder is absent."""
    folder = VECTORS.joinpath(*parts)
    return sorted(folder.glob(pattern)) if folder.is_dir() else []
