"""The post-quantum QR table of docs/format.md §19.2.1 is current, and its stand-in signatures
size credentials as real ML-DSA-44 and SM2 signatures do."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qrseal.licence.profile import DL_FORMAT
from qrseal.wire.cose import Algorithm
from qrseal.wire.textcodec import pack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_pq_doc  # noqa: E402


def test_pq_table_is_current() -> None:
    """scripts/gen_pq_doc.py --check passes: the generated section equals the file's."""
    assert gen_pq_doc.main(["--check"]) == 0


@pytest.mark.parametrize("alg", [Algorithm.ML_DSA_44, Algorithm.SM2], ids=["ML-DSA-44", "SM2"])
def test_stand_in_signature_sizes_like_a_real_one(alg: Algorithm) -> None:
    """A credential with a real (randomised) signature has the stand-in's COSE length and a
    DL1 text within 8 digits of it (deflate of random bytes varies by a byte or two)."""
    stand_in = gen_pq_doc.credential_bytes(alg, 0)
    real = gen_pq_doc.credential_bytes(alg, 0, real=True)
    assert len(real) == len(stand_in)
    assert abs(len(pack(real, DL_FORMAT)) - len(pack(stand_in, DL_FORMAT))) <= 8
