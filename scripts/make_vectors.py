"""Generate the conformance vectors in vectors/ (vectors/README.md says how to run them):
DL1 credentials, DP1 live presentations, signed trust lists and Status List Tokens, each a
positive case with its expected result or a negative case with its expected reason.

    .venv/bin/python scripts/make_vectors.py              # rewrite vectors/
    .venv/bin/python scripts/make_vectors.py --out DIR    # write them to DIR instead
    .venv/bin/python scripts/make_vectors.py --check      # exit 1 if vectors/ is out of date

Deterministic, so regenerating gives the same bytes: the fixed test keys of qrseal.testing
sign with RFC 6979 deterministic ECDSA (Ed25519 is deterministic anyway), at times derived
from the fixed clock ``FIXED_NOW``. The cases are in vectors_credentials.py (DL1, DP1) and
vectors_lists.py (trust lists, status lists), their pieces in vectorkit.py.
tests/conformance/test_vectors.py regenerates into a temporary folder, compares, and runs
every vector through the public API.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from vectorkit import (
    LAYOUT_VERSION,
    VECTORS,
    Vector,
)
from vectors_credentials import dl1_cases, dp1_cases
from vectors_lists import status_list_cases, trust_list_cases

from qrseal import (
    Reason,
)

# --- the folder ---

_IMAGES = "concerns images, not texts: a vector carries the decoded text"
_STORE = "needs the verifier's stored trust list (a rollback floor), not one token"
_SETUP = "the caller's own set-up, not the input"
_X509 = "X.509 document-signer chains are outside the wire format these vectors cover"
_HSM = "an issuer's PKCS#11 token (signing side), not a verifier's input"
_BATCH = "an issuer's batch input and journal (signing side), not a verifier's input"
#: Reasons no vector produces, and why: each is outside "text, keys, now (and a policy)".
NOT_COVERED = {
    "error": "the base reason of QrsealError; no check raises it",
    "invalid_argument": _SETUP,
    "invalid_key": _SETUP,
    "storage_failed": _SETUP,
    "no_qr_found": _IMAGES,
    "invalid_image": _IMAGES,
    "ambiguous_image": _IMAGES,
    "structured_append": _IMAGES,
    "trust_list_rollback": _STORE,
    "trust_list_mismatch": _STORE,
    "trust_list_missing": _STORE,
    "trust_list_sequence_jump": _STORE,
    "certificate_invalid": _X509,
    "certificate_untrusted": _X509,
    "token_unavailable": _HSM,
    "token_login_failed": _HSM,
    "token_key_not_found": _HSM,
    "token_failed": _HSM,
    "malformed_record": _BATCH,
    "batch_mismatch": _BATCH,
    "duplicate_record": _BATCH,
}  # fmt: skip-----------------------------------------------------------------------------


def all_vectors() -> list[Vector]:
    return [*dl1_cases(), *dp1_cases(), *trust_list_cases(), *status_list_cases()]


def _dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def write(out: Path) -> None:
    """Write every vector and the manifest under ``out``."""
    vectors = all_vectors()
    for vector in vectors:
        path = out / f"{vector.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(vector.to_json()), encoding="utf-8")
    manifest: dict[str, Any] = {
        "layout_version": LAYOUT_VERSION,
        "generated_by": "scripts/make_vectors.py",
        "spec": "docs/format.md",
        "vectors": [
            {
                "id": v.id,
                "kind": v.kind,
                "file": f"{v.id}.json",
                "expect": "valid" if v.expected["valid"] else v.expected["reason"],
            }
            for v in vectors
        ],
    }
    covered = {v.expected.get("reason") for v in vectors} - {None}
    missing = {r.value for r in Reason} - covered - set(NOT_COVERED)
    if missing or covered & set(NOT_COVERED):
        raise SystemExit(f"reasons neither covered nor explained: {sorted(missing)}")
    manifest["not_covered"] = [{"reason": r, "why": w} for r, w in NOT_COVERED.items()]
    (out / "manifest.json").write_text(_dump(manifest), encoding="utf-8")


def differences(a: Path, b: Path) -> list[str]:
    """Files (relative, *.json) that differ between two vector folders."""
    names = {p.relative_to(a) for p in a.rglob("*.json")} | {
        p.relative_to(b) for p in b.rglob("*.json")
    }
    return sorted(
        str(n)
        for n in names
        if not (a / n).is_file()
        or not (b / n).is_file()
        or (a / n).read_bytes() != (b / n).read_bytes()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=VECTORS, help="folder to write (default vectors/)"
    )
    parser.add_argument("--check", action="store_true", help="only check that vectors/ is current")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write(Path(tmp))
            stale = differences(Path(tmp), VECTORS)
        if stale:
            print(
                f"vectors/ is out of date ({', '.join(stale)}): run scripts/make_vectors.py",
                file=sys.stderr,
            )
            return 1
        return 0
    write(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
