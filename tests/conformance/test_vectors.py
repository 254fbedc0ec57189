"""The conformance vectors in vectors/ are current, complete and true: regenerating them gives
the same bytes, every vector verifies or is rejected as it states through the public API,
and every key's JWK is the same key as its PEM."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from qrseal import QrsealError, Reason
from qrseal.wire.textcodec import numeric_decode

from .runner import RUNNERS, key_from_jwk, key_of

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))


def _load(entry: dict[str, Any]) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads((VECTORS / entry["file"]).read_text(encoding="utf-8"))
    return vector


def _keys(vector: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    trust = vector.get("trust", {})
    found += trust.get("keys", [])
    if "trust_list" in trust:
        found.append(trust["trust_list"]["root"])
    found += vector.get("keys", [])
    found += [vector[k] for k in ("root", "device_key") if k in vector]
    return found


def test_vectors_are_current(tmp_path: Path) -> None:
    """scripts/make_vectors.py regenerates vectors/ byte for byte (deterministic signatures)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_vectors.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    held = sorted(p.relative_to(VECTORS) for p in VECTORS.rglob("*.json"))
    assert fresh == held
    stale = [str(p) for p in fresh if (tmp_path / p).read_bytes() != (VECTORS / p).read_bytes()]
    assert stale == []


@pytest.mark.parametrize("entry", MANIFEST["vectors"], ids=lambda e: e["id"])
def test_vector_verifies_or_rejects_as_stated(entry: dict[str, Any]) -> None:
    """Each vector gives its expected result, or is rejected with its expected reason."""
    vector = _load(entry)
    assert vector["id"] == entry["id"] and vector["kind"] == entry["kind"]
    run = RUNNERS[vector["kind"]]
    expected = vector["expected"]
    if expected["valid"]:
        assert entry["expect"] == "valid"
        assert run(vector) == expected["result"]
    else:
        assert entry["expect"] == expected["reason"]
        with pytest.raises(QrsealError) as caught:
            run(vector)
        assert caught.value.reason == Reason(expected["reason"])


@pytest.mark.parametrize("entry", MANIFEST["vectors"], ids=lambda e: e["id"])
def test_vector_keys_agree_and_bytes_decode(entry: dict[str, Any]) -> None:
    """Every key's JWK is its PEM key; a valid credential's text decodes to its transport
    bytes, which are (or inflate to) its COSE bytes."""
    vector = _load(entry)
    for key in _keys(vector):
        assert key_from_jwk(key["jwk"]) == key_of(key)
    if vector["kind"] in ("DL1", "DP1") and vector["expected"]["valid"]:
        transport = numeric_decode(vector["text"].split(":", 1)[1])
        assert transport.hex() == vector["transport_hex"]
        if vector["kind"] == "DL1":
            inflated = zlib.decompress(transport) if transport[0] == 0x78 else transport
            assert inflated.hex() == vector["cose_hex"]


def test_every_reachable_reason_has_a_negative_vector() -> None:
    """Each reason a verifier reaches from text, keys and time alone has a negative vector
    of each kind that can produce it (the manifest lists what is not covered, and why)."""
    covered = {(e["kind"], e["expect"]) for e in MANIFEST["vectors"]}
    reasons = {r for _, r in covered} - {"valid"}
    uncovered = {r["reason"] for r in MANIFEST["not_covered"]}
    assert reasons.isdisjoint(uncovered)
    every = {r.value for r in Reason}
    assert reasons | uncovered == every, sorted(every - reasons - uncovered)
    for kind in ("DL1", "DP1", "trust_list", "status_list"):
        assert (kind, "valid") in covered
