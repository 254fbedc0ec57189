"""Record files for the batch tests: sample licences under ids, with bad records mixed in."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from qrseal.testing import sample_licence_json

__all__ = ["BAD_EVERY", "read_lines", "write_csv", "write_jsonl"]

#: Every BAD_EVERY-th record is broken, in turn: not JSON, no id, an invalid licence.
BAD_EVERY = 37


def write_jsonl(path: Path, count: int) -> Path:
    """``count`` records r0, r1, ...; every BAD_EVERY-th one broken (see above)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            licence = sample_licence_json(i % 5)
            record: object = {"id": f"r{i}", "licence": licence}
            if i % BAD_EVERY == 1:
                kind = (i // BAD_EVERY) % 3
                if kind == 0:
                    fh.write(f'{{"id": "r{i}", not json\n')
                    continue
                record = (
                    {"licence": licence}
                    if kind == 1
                    else {"id": f"r{i}", "licence": {**licence, "birth_date": "2030-01-01"}}
                )
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            if i == 3:
                fh.write("\n")  # a blank line is not a record
    return path


def write_csv(path: Path, count: int) -> Path:
    """The same licences as CSV rows (nested fields as JSON cells)."""
    rows = []
    for i in range(count):
        licence = sample_licence_json(i % 5)
        row = {"id": f"c{i}"}
        for name, value in licence.items():
            if name.startswith("_"):
                continue
            row[name] = (
                json.dumps(value, ensure_ascii=False)
                if isinstance(value, list)
                else ""
                if value is None
                else str(value)
            )
        rows.append(row)
    names = sorted({name for row in rows for name in row})
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, names)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_lines(path: Path) -> list[dict[str, object]]:
    """The JSON lines of an output or rejects file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
