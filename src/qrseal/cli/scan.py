"""``qrseal scan``: the text of every QR code in an image, and ``--debug`` output for
working out in the field why a code does not scan."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from ..qr.pipeline import ScanReport
from ..qr.scanning import scan, scan_report
from .args import UsageError
from .files import output_dir, read_input

__all__ = ["run_scan"]


def run_scan(args: argparse.Namespace, out: TextIO) -> int:
    """Print each code's text, one a line (``--json``: with decoder and position); exit 1
    (no_qr_found, invalid_image) when there is none, 2 when the file cannot be read."""
    image = read_input(args.image, what="image file")
    if args.debug is None:
        results = scan(image)
    else:
        folder = output_dir(args.debug, what="--debug folder")
        report = scan_report(image, keep_images=True)
        _write_scan_debug(report, folder)
        results = report.require_results()
    if args.json:
        codes = [
            {
                "text": r.text,
                "decoder": r.decoder.value,
                "variant": r.variant.value,
                "position": r.position,
            }
            for r in results
        ]
        json.dump({"codes": codes}, out, ensure_ascii=False, indent=2)
        print(file=out)
        return 0
    for result in results:
        print(result.text, file=out)
    return 0


def _write_scan_debug(report: ScanReport, folder: Path) -> None:
    """Each variant tried as ``NN-variant.png`` plus ``report.json`` (attempts, timings,
    decoders skipped), for working out in the field why a code does not scan."""
    files: dict[str, str] = {}
    attempts = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for attempt in report.attempts:
            name = files.get(attempt.variant)
            if name is None and attempt.image is not None:
                name = files[attempt.variant] = f"{len(files):02d}-{attempt.variant.value}.png"
                attempt.image.save(folder / name)
            attempts.append(
                {
                    "variant": attempt.variant.value,
                    "decoder": attempt.decoder.value,
                    "codes_found": attempt.found,
                    "ms": round(attempt.seconds * 1e3, 2),
                    "image": name,
                    "error": attempt.error,
                }
            )
        summary = {
            "results": [
                {
                    "text": r.text,
                    "decoder": r.decoder.value,
                    "variant": r.variant.value,
                    "position": r.position,
                    "structured_append": r.structured_append,
                }
                for r in report.results
            ],
            "attempts": attempts,
            "skipped_decoders": [
                {"decoder": d.value, "why": why} for d, why in report.skipped_decoders
            ],
            "budget_exhausted": report.budget_exhausted,
            "ms": round(report.seconds * 1e3, 2),
        }
        (folder / "report.json").write_text(json.dumps(summary, indent=2) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write debug output to {folder}: {exc.strerror}") from exc
    print(
        f"qrseal: {len(files)} variant image(s) and report.json written to {folder}",
        file=sys.stderr,
    )
