"""Batch input: records read one at a time from JSON Lines or CSV, grouped in chunks.

A JSON Lines record is one object per line, ``{"id": "...", "licence": {...}}`` (the licence
in the unified JSON of docs/format.md). A CSV record is one row with an ``id`` column and one
column per licence field; the nested fields (``domestic_privileges``,
``driving_privileges``) hold JSON, the whole-number fields (``sex``, ``points``) digits.
Blank lines are not records. Reading keeps one chunk in memory, whatever the file size.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import msgspec

from ..errors import InvalidArgument, MalformedRecord, StorageFailed

__all__ = [
    "Chunk",
    "InputFormat",
    "RawRecord",
    "count_records",
    "loads",
    "parse_record",
    "read_chunks",
]

_INT_FIELDS: Final = frozenset({"sex", "points"})
_JSON_FIELDS: Final = frozenset({"domestic_privileges", "driving_privileges"})
# An empty cell leaves a field out, except these, where it is the explicit null the unified
# JSON uses (expiry_date: null is a long-term licence).
_NULL_FIELDS: Final = frozenset({"expiry_date"})
_DECODE: Final = msgspec.json.Decoder().decode
#: The longest record id accepted (it names the record in outputs and rejects).
MAX_ID_LENGTH: Final = 256


class InputFormat(StrEnum):
    """How the input file is read."""

    JSONL = "jsonl"
    CSV = "csv"

    @classmethod
    def of(cls, path: Path) -> InputFormat:
        """From the file name: ``.csv`` is CSV, anything else JSON Lines."""
        return cls.CSV if path.suffix.lower() == ".csv" else cls.JSONL


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One input record before parsing: its position among the records (``ordinal``, from 0),
    its line in the file (from 1) and its text (a JSON line, or a CSV row as JSON)."""

    ordinal: int
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive records ``number * size ...``; ``digest`` fingerprints their text, so a
    resumed run can tell that the input it skips is the input it already issued."""

    number: int
    records: tuple[RawRecord, ...]
    digest: str


def _rows(path: Path, fmt: InputFormat) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8", newline="" if fmt is InputFormat.CSV else None) as fh:
            if fmt is InputFormat.JSONL:
                for number, text in enumerate(fh, 1):
                    if text.strip():
                        yield number, text.rstrip("\r\n")
                return
            reader = csv.DictReader(fh)
            for row in reader:
                # A short or long row is kept as-is: parse_record rejects it with its line.
                yield reader.line_num, json.dumps(row, ensure_ascii=False, sort_keys=True)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StorageFailed(f"cannot read {path}: {exc}", path=str(path)) from exc


def read_chunks(path: Path, fmt: InputFormat, size: int) -> Iterator[Chunk]:
    """The records of ``path`` in chunks of ``size`` (the last may be shorter). Raises
    ``StorageFailed`` when the file cannot be read."""
    if size <= 0:
        raise InvalidArgument("chunk size must be positive")
    batch: list[RawRecord] = []
    digest = hashlib.sha256()
    number = 0
    for ordinal, (line, text) in enumerate(_rows(path, fmt)):
        batch.append(RawRecord(ordinal, line, text))
        digest.update(text.encode("utf-8") + b"\n")
        if len(batch) == size:
            yield Chunk(number, tuple(batch), digest.hexdigest())
            batch, digest, number = [], hashlib.sha256(), number + 1
    if batch:
        yield Chunk(number, tuple(batch), digest.hexdigest())


def count_records(path: Path, fmt: InputFormat) -> int:
    """How many records ``path`` holds (one quick pass, for the progress bar's ETA)."""
    return sum(1 for _ in _rows(path, fmt))


def _csv_licence(row: dict[str, object], line: int) -> dict[str, object]:
    licence: dict[str, object] = {}
    for name, cell in row.items():
        if name in _NULL_FIELDS and cell == "":
            licence[name] = None
            continue
        if name == "id" or cell in (None, ""):
            continue
        if not isinstance(cell, str):  # DictReader: a row longer than the header
            raise MalformedRecord("the row has more cells than the header", line=line)
        try:
            licence[name] = (
                loads(cell) if name in _JSON_FIELDS else int(cell) if name in _INT_FIELDS else cell
            )
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise MalformedRecord(f"column {name!r} is not well-formed", line=line) from exc
    return licence


def loads(text: str) -> object:
    """``json.loads(text)``, three times faster: msgspec reads standard JSON to the same
    objects (exact integers, the same floats, the last of duplicate keys) and refuses what
    the standard library reads otherwise (NaN, Infinity, lone surrogates, integers beyond
    its digit limit, deep nesting), where ``json.loads`` then decides, as before: the same
    objects, or the same ``ValueError`` or ``RecursionError``."""
    try:
        return _DECODE(text)
    except (ValueError, RecursionError):  # msgspec's DecodeError is a ValueError
        return json.loads(text)


def parse_record(raw: RawRecord, fmt: InputFormat) -> tuple[str, dict[str, object]]:
    """The record's id and its licence as unified JSON (for :meth:`Licence.from_json`).
    Raises ``MalformedRecord`` (not an object with a text ``id`` and a licence)."""
    try:
        obj = loads(raw.text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise MalformedRecord("the line is not JSON", line=raw.line) from exc
    if not isinstance(obj, dict):
        raise MalformedRecord("the record is not an object", line=raw.line)
    record_id = obj.get("id")
    if not isinstance(record_id, str) or not 0 < len(record_id) <= MAX_ID_LENGTH:
        raise MalformedRecord(
            f"the record needs an id of 1-{MAX_ID_LENGTH} characters", line=raw.line
        )
    if fmt is InputFormat.CSV:
        data = _csv_licence(obj, raw.line)
    else:
        licence = obj.get("licence")
        if not isinstance(licence, dict):
            raise MalformedRecord("the record needs a licence object", line=raw.line)
        data = {str(name): value for name, value in licence.items()}
    return record_id, data
