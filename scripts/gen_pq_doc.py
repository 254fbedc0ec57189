"""Regenerate the post-quantum QR table of docs/format.md (section "ML-DSA-44 and the QR code"):
bytes, QR version at each ECC level and transport variants for ES256, SM2 and ML-DSA-44
credentials, plus the screen-photo scan figures recorded by benchmarks/pq_bench.py in
benchmarks/pq_scan.json. A test checks the file is current.

    .venv/bin/python scripts/gen_pq_doc.py          # rewrite the section of docs/format.md
    .venv/bin/python scripts/gen_pq_doc.py --check  # exit 1 if it is out of date

Deterministic: ECDSA, ML-DSA-44 and SM2 signatures are
randomised, so the sizes use each algorithm's real signature LENGTH filled from a fixed
SHA-256 stream (as incompressible as a real signature: tests/test_pq_doc.py checks that a
real ML-DSA-44 credential gives the same text length to within a few digits).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from qrseal import qr
from qrseal.errors import TooLarge
from qrseal.licence.profile import DL_FORMAT, LICENCE_CLAIM
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_signer, sample_licences
from qrseal.wire.algorithms import ALGORITHMS, Algorithm
from qrseal.wire.cose import encode_sign1
from qrseal.wire.cwt import Claims, encode_claims
from qrseal.wire.textcodec import numeric_encode, pack

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "format.md"
SCANS = ROOT / "benchmarks" / "pq_scan.json"
BEGIN, END = "<!-- pq-table:begin -->", "<!-- pq-table:end -->"
ALGS = (Algorithm.ES256, Algorithm.SM2, Algorithm.ML_DSA_44)
ECCS = ("L", "M", "Q", "H")
#: QR version 40 at ECC L holds 2,953 bytes (byte mode) or 7,089 digits (numeric mode).
V40_L_DIGITS = 7089


def fixed_signer(alg: Algorithm) -> Callable[[bytes], bytes]:
    """A stand-in signer: the algorithm's signature length from a fixed SHA-256 stream."""
    length = ALGORITHMS[alg].signature_length

    def sign(message: bytes) -> bytes:
        stream = b"".join(
            hashlib.sha256(b"qrseal pq table %d" % i + message).digest() for i in range(80)
        )
        return stream[:length]

    return sign


def credential_bytes(
    alg: Algorithm, index: int, *, fields: frozenset[str] | None = None, real: bool = False
) -> bytes:
    """The COSE_Sign1 of sample licence ``index`` as the issuer signs it (``fields``: the QR
    view; None = the default view), under ``alg`` with a real or a stand-in signature."""
    licence = sample_licences()[index]
    claims = Claims(
        issuer=TEST_ISSUER,
        issued_at=FIXED_NOW,
        expires_at=FIXED_NOW + timedelta(hours=72),
        extra={LICENCE_CLAIM: licence.to_cbor_map(fields)},
    )
    signer = make_signer(alg)
    sign = signer.sign if real else fixed_signer(alg)
    return encode_sign1(encode_claims(claims), alg=alg, sign=sign, kid=signer.kid)


def payload_only_zlib(cose: bytes, alg: Algorithm) -> int:
    """Bytes if only the payload were deflated (the signature left as it is): an upper
    bound on what any payload compression could save."""
    sig = ALGORITHMS[alg].signature_length
    rest = cose[:-sig]
    return len(zlib.compress(rest, 9)) + sig


def version(text: str, ecc: str) -> str:
    try:
        return str(qr.qr_version(text, ecc))
    except TooLarge:
        return "> 40"


def rows() -> list[dict[str, Any]]:
    """One row per (algorithm, QR view) over the five samples: the largest sample's figures."""
    out = []
    for alg in ALGS:
        for view, fields in (("default view", None), ("trimmed view", frozenset[str]())):
            candidates = []
            for index in range(5):
                cose = credential_bytes(alg, index, fields=fields)
                text = pack(cose, DL_FORMAT)
                row: dict[str, Any] = {
                    "alg": ALGORITHMS[alg].name,
                    "view": view,
                    "sample": index,
                    "cose": len(cose),
                    "signature": ALGORITHMS[alg].signature_length,
                    "zlib_whole": len(zlib.compress(cose, 9)),
                    "zlib_payload": payload_only_zlib(cose, alg),
                    "digits": len(text),
                    "raw_digits": len(DL_FORMAT.header + numeric_encode(cose)),
                    "text": text,
                }
                candidates.append(row)
            largest = max(candidates, key=lambda r: r["digits"])
            text = largest.pop("text")
            largest["versions"] = {ecc: version(text, ecc) for ecc in ECCS}
            out.append(largest)
    return out


def _scan_lines() -> list[str]:
    if not SCANS.exists():
        return ["(no scan figures: run benchmarks/pq_bench.py)"]
    data = json.loads(SCANS.read_text(encoding="utf-8"))
    lines = [
        f"Screen photos (benchmarks/scan_corpus.py `photo_of_screen`, {data['per_cell']} images "
        f"per severity, seed {data['seed']}; the code drawn at {data['module_px']} px per "
        "module before the photo; read = the scanning pipeline (`qr.scan_report`) returned "
        "exactly the text of every symbol; "
        f"times on this project's 2-core machine, command `{data['command']}`):",
        "",
        "| code | QR symbols (version-ECC) | photo frame | mild | moderate | severe "
        "| median scan ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        rates = " | ".join(
            f"{row['read'][sev]}/{row['total'][sev]}" for sev in ("mild", "moderate", "severe")
        )
        lines.append(
            f"| {row['label']} | {row['symbols']} | {row['frame']} | {rates} "
            f"| {row['median_ms']:.0f} |"
        )
    timings = data.get("timings_us")
    if timings:
        base = timings["ES256"]
        lines += [
            "",
            "Sign and verify in the same run (400-byte message, µs, the fastest of 7 interleaved "
            "batches on the shared, loaded machine; ratios against ES256):",
            "",
            "| alg | sign µs | verify µs | sign ÷ ES256 | verify ÷ ES256 |",
            "|---|---|---|---|---|",
        ]
        for name, t in timings.items():
            lines.append(
                f"| {name} | {t['sign']:.0f} | {t['verify']:.0f} | "
                f"{t['sign'] / base['sign']:.1f} | {t['verify'] / base['verify']:.1f} |"
            )
    return lines


def section() -> str:
    table = rows()
    lines = [
        BEGIN,
        "",
        "Generated by `scripts/gen_pq_doc.py` (checked by `tests/test_pq_doc.py`). Per "
        "algorithm and QR view, the largest of the five sample licences; every signature is "
        "its real length filled from a fixed stream (real ones are randomised). "
        "`zlib whole` deflates the whole COSE_Sign1 (what the text layer does when shorter); "
        "`zlib payload` deflates only what precedes the signature (the best any payload "
        "compression could do); digits = the `DL1:` text in numeric mode, as issued.",
        "",
        "| alg | QR view | COSE bytes | signature | zlib whole | zlib payload | DL1 digits "
        "| version L | M | Q | H |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        v = r["versions"]
        lines.append(
            f"| {r['alg']} | {r['view']} | {r['cose']:,} | {r['signature']:,} | "
            f"{r['zlib_whole']:,} | {r['zlib_payload']:,} | {r['digits']:,} | "
            f"{v['L']} | {v['M']} | {v['Q']} | {v['H']} |"
        )
    pq = [r for r in table if r["alg"] == "ML-DSA-44"]
    fits = all(r["digits"] <= V40_L_DIGITS for r in pq)
    lines += [
        "",
        f"One QR symbol holds at most {V40_L_DIGITS:,} digits (version 40, ECC L). "
        + (
            "Every ML-DSA-44 sample fits one symbol at ECC L."
            if fits
            else "Not every ML-DSA-44 sample fits one symbol."
        ),
        "",
        *_scan_lines(),
        "",
        END,
    ]
    return "\n".join(lines)


def render(doc: str) -> str:
    start, end = doc.index(BEGIN), doc.index(END) + len(END)
    return doc[:start] + section() + doc[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/format.md is stale")
    args = parser.parse_args(argv)
    doc = DOC.read_text(encoding="utf-8")
    new = render(doc)
    if args.check:
        if new != doc:
            print("docs/format.md: the PQ table is out of date; run scripts/gen_pq_doc.py")
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
