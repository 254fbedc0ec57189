"""Post-quantum QR benchmark (issue 15): sign/verify times of SM2 and ML-DSA-44 against ES256
in the same run, and screen-photo scan success for an ML-DSA-44 credential in one QR symbol
(version 38, ECC L) and in two Structured Append symbols (segno, ECC L), against ES256.

    PYTHONPATH=src .venv/bin/python benchmarks/pq_bench.py [--per-cell N] [--write]

The photos are scan_corpus.py's ``photo_of_screen`` class (a phone held up to another phone)
in its 1280x720 frame and in a 1920x1080 one, with the code drawn by the named renderer
instead of the default one. A code
of several symbols counts as read only when every symbol's text is read exactly (read with
``qr.scan_report``, which reports Structured Append parts that ``qr.scan`` refuses). ``--write``
records the scan figures in benchmarks/pq_scan.json for scripts/gen_pq_doc.py.

Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_corpus
import segno
from PIL import Image
from tqdm import tqdm

from qrseal import qr
from qrseal.testing import FIXED_NOW, make_issuer, make_signer, sample_licence
from qrseal.wire.algorithms import Algorithm, verifying_function

OUT = Path(__file__).resolve().parent / "pq_scan.json"
COMMAND = "PYTHONPATH=src .venv/bin/python benchmarks/pq_bench.py --write"


def timings(rounds: int, batches: int = 7) -> dict[str, dict[str, float]]:
    """Sign and verify of a 400-byte message, microseconds: the algorithms interleaved in
    ``batches`` batches of ``rounds`` operations, each figure the fastest batch (the machine
    is shared: the minimum is the least disturbed estimate)."""
    message = bytes(range(256)) + bytes(144)
    algs = (Algorithm.ES256, Algorithm.EDDSA, Algorithm.SM2, Algorithm.ML_DSA_44)
    best: dict[str, dict[str, float]] = {a.name: {"sign": 1e99, "verify": 1e99} for a in algs}
    for _ in range(batches):
        for alg in algs:
            signer = make_signer(alg)
            verify = verifying_function(alg, signer.public_key)
            sig = signer.sign(message)
            start = time.perf_counter()
            for _ in range(rounds):
                signer.sign(message)
            sign_us = (time.perf_counter() - start) / rounds * 1e6
            start = time.perf_counter()
            for _ in range(rounds):
                verify(sig, message)
            verify_us = (time.perf_counter() - start) / rounds * 1e6
            entry = best[alg.name]
            entry["sign"] = min(entry["sign"], sign_us)
            entry["verify"] = min(entry["verify"], verify_us)
    base = best["ES256"]
    print(
        f"{'alg':10} {'sign us':>9} {'verify us':>10} {'sign x ES256':>13} {'verify x ES256':>15}"
    )
    for name, entry in best.items():
        print(
            f"{name:10} {entry['sign']:9.0f} {entry['verify']:10.0f} "
            f"{entry['sign'] / base['sign']:13.1f} {entry['verify'] / base['verify']:15.1f}"
        )
    return best


Symbol = tuple[str, Image.Image, str]  # (text a decoder reads, image at 1 px/module, "v38-L")


def _symbols_single(text: str, ecc: str) -> list[Symbol]:
    image = qr.render_image(text, ecc=ecc, scale=1).convert("L")
    return [(text, image, f"v{qr.qr_version(text, ecc)}-{ecc}")]


def _symbols_sequence(text: str, count: int, ecc: str) -> list[Symbol]:
    seq = segno.make_sequence(text, symbol_count=count, error=ecc.lower(), boost_error=False)
    out = []
    for symbol in seq:
        image = _segno_image(symbol, 1)
        out.append((_symbol_text(symbol), image, f"v{symbol.version}-{ecc}"))
    return out


def _symbol_text(symbol: Any) -> str:
    # The text of one Structured Append symbol is what a decoder reports for it: decode it
    # clean once (the reference the photographed copies must match).
    return qr.scan_report(_segno_image(symbol, 4)).results[0].text


def _segno_image(symbol: Any, scale: int) -> Image.Image:
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=scale, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def scans(per_cell: int, seed: int) -> dict[str, Any]:
    es256 = make_issuer(Algorithm.ES256).issue(sample_licence(0), now=FIXED_NOW)
    pq = make_issuer(Algorithm.ML_DSA_44).issue(sample_licence(0), now=FIXED_NOW)
    codes: list[tuple[str, list[Symbol]]] = [
        ("ES256, one symbol", _symbols_single(es256, "M")),
        ("ML-DSA-44, one symbol", _symbols_single(pq, "L")),
        ("ML-DSA-44, two symbols (Structured Append)", _symbols_sequence(pq, 2, "L")),
    ]
    rows = []
    original: Callable[[str], Image.Image] = scan_corpus._modules
    original_canvas = scan_corpus.CANVAS
    total_work = len(FRAMES) * len(codes) * 3 * per_cell
    with tqdm(total=total_work, desc="screen photos", unit="code") as bar:
        for frame in FRAMES:
            setattr(scan_corpus, "CANVAS", frame)  # noqa: B010
            for label, symbols in codes:
                rows.append(_scan_code(label, symbols, frame, per_cell, seed, bar))
    setattr(scan_corpus, "_modules", original)  # noqa: B010
    setattr(scan_corpus, "CANVAS", original_canvas)  # noqa: B010
    return {
        "seed": seed,
        "per_cell": per_cell,
        "module_px": "3.5-5",
        "command": COMMAND,
        "rows": rows,
    }


#: Photo frames: the scan benchmark's 1280x720, and 1920x1080 (what phone scanners use).
FRAMES = ((1280, 720), (1920, 1080))


def _scan_code(
    label: str, symbols: list[Symbol], frame: tuple[int, int], per_cell: int, seed: int, bar: Any
) -> dict[str, Any]:
    described = " + ".join(desc for _, _, desc in symbols)
    read = {s: 0 for s in scan_corpus.SEVERITIES}
    times: list[float] = []
    for level, severity in enumerate(scan_corpus.SEVERITIES):
        for index in range(per_cell):
            ok = True
            for part, (expected, image, _) in enumerate(symbols):
                # draw this symbol where the corpus would draw its own code
                setattr(scan_corpus, "_modules", lambda _text, image=image: image)  # noqa: B010
                rng = scan_corpus._rng(seed, "pq", label, severity, index, part)
                photo, _ = scan_corpus._photo_of_screen(expected, rng, level)
                start = time.perf_counter()
                # scan_report, not scan: scan refuses a Structured Append part on purpose,
                # and a reader of such a code would collect the parts
                texts = [r.text for r in qr.scan_report(photo).results]
                times.append(time.perf_counter() - start)
                ok = ok and expected in texts
            read[severity] += ok
            bar.update()
    median = statistics.median(times) * 1000
    tqdm.write(f"{label} {described} {frame[0]}x{frame[1]}: {read}, median {median:.0f} ms")
    return {
        "label": label,
        "symbols": described,
        "frame": f"{frame[0]}x{frame[1]}",
        "read": read,
        "total": {s: per_cell for s in scan_corpus.SEVERITIES},
        "median_ms": median,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=10)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="record benchmarks/pq_scan.json")
    args = parser.parse_args()
    speeds = timings(args.rounds)
    result = scans(args.per_cell, args.seed)
    result["timings_us"] = speeds
    if args.write:
        OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
