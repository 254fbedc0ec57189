"""Issuer backend: sign a batch of licence records as QR credentials.

Reads licences from a JSON file (a list of licence records, docs/format.md §5.4) or a
CSV file (one column per field; nested fields such as ``domestic_privileges`` hold JSON),
signs each one, and writes one JSON line per licence ``{"document_number", "credential",
"qr_version", "warnings"}``, plus a PNG per licence when ``--png-dir`` is given. Records
that fail validation are reported and skipped; warnings (an expired document, a status that
forbids driving, ...) are reported, and with ``--strict`` such records are skipped too.

    python examples/issuer_backend.py licences.json --key issuer.key --issuer CN-SC --out creds.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from qrseal import Issuer, Licence, QrsealError, generate_private_key, load_private_key_pem, qr

_INT_FIELDS = {"sex", "points"}
_JSON_FIELDS = {"domestic_privileges", "driving_privileges"}


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Licence records from a .json list or a .csv table."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                record: dict[str, Any] = {}
                for name, cell in row.items():
                    if cell is None or cell == "":
                        continue
                    if name in _JSON_FIELDS:
                        record[name] = json.loads(cell)
                    elif name in _INT_FIELDS:
                        record[name] = int(cell)
                    else:
                        record[name] = cell
                yield record
    else:
        yield from json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path, help="licences as .json (list) or .csv")
    parser.add_argument(
        "--key", type=Path, help="issuer private key PEM (default: a fresh key, for trying it out)"
    )
    parser.add_argument("--issuer", default="CN-DEMO", help="issuer name (CWT iss)")
    parser.add_argument("--out", type=Path, required=True, help="JSON-lines file to write")
    parser.add_argument("--png-dir", type=Path, help="also write one QR PNG per licence here")
    parser.add_argument("--valid-hours", type=int, default=72)
    parser.add_argument("--now", help="signing time, ISO 8601 with zone (default: now)")
    parser.add_argument("--strict", action="store_true", help="skip records with warnings")
    args = parser.parse_args(argv)

    key = load_private_key_pem(args.key.read_bytes()) if args.key else generate_private_key()
    issuer = Issuer(signer=key, issuer=args.issuer, strict=args.strict)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    records = list(read_records(args.records))
    if args.png_dir:
        args.png_dir.mkdir(parents=True, exist_ok=True)
    issued = failed = 0
    with args.out.open("w", encoding="utf-8") as out:
        for record in tqdm(records, desc="issuing", unit="licence", file=sys.stderr):
            try:
                licence = Licence.from_json(record)
                credential = issuer.sign(
                    licence, now=now, valid_for=timedelta(hours=args.valid_hours)
                )
            except QrsealError as exc:
                failed += 1
                tqdm.write(
                    f"skipped {record.get('document_number', '?')}: {exc.reason.value}: {exc.message}",
                    sys.stderr,
                )
                continue
            text = credential.text
            for warning in credential.warnings:
                tqdm.write(
                    f"warning {licence.document_number}: {warning.field}: {warning.message}",
                    sys.stderr,
                )
            version = qr.qr_version(text, qr.Ecc.M)
            line = {
                "document_number": licence.document_number,
                "credential": text,
                "qr_version": version,
                "warnings": [warning.code for warning in credential.warnings],
            }
            out.write(json.dumps(line) + "\n")
            if args.png_dir:
                (args.png_dir / f"{licence.document_number}.png").write_bytes(qr.render_png(text))
            issued += 1
    print(f"issued {issued}, skipped {failed}", file=sys.stderr)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
