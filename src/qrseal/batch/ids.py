"""The record ids a batch has issued, on disk: what makes a batch idempotent by record id.

A record whose id was already issued earlier in the same batch (in an earlier chunk or
earlier in its own chunk) is not issued again: it becomes a reject line
(``duplicate_record``). The ids live in an SQLite table beside the output
(``<out>.ids``, stdlib :mod:`sqlite3`), keyed by id, so memory stays flat for any number of
records: one indexed look-up and one batched insert per chunk. Each id is stored with its
chunk number; a resumed batch drops the ids of chunks its journal did not commit, and an
index that is missing (deleted, or a batch begun before it existed) is rebuilt from the
committed output lines, so resuming stays exact.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from ..errors import StorageFailed

__all__ = ["IDS_SUFFIX", "RecordIndex"]

IDS_SUFFIX: Final = ".ids"
# SQLite's default limit on the parameters of one statement is 999 before 3.32.
_LOOKUP: Final = 500


class RecordIndex:
    """The ids issued by one batch (use with ``with``; :meth:`close` closes it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, chunk INTEGER NOT NULL)"
                " WITHOUT ROWID"
            )
        except sqlite3.Error as exc:
            raise StorageFailed(f"cannot open the record id index: {exc}", path=str(path)) from exc

    @classmethod
    def reopen(cls, path: Path, *, last_chunk: int, output: Path) -> RecordIndex:
        """The index of a batch whose journal committed chunks up to ``last_chunk`` (-1:
        none): ids of later chunks dropped; rebuilt from ``output`` when missing."""
        missing = not path.exists()
        index = cls(path)
        try:
            if missing and last_chunk >= 0:
                index._rebuild(output)
            index._db.execute("DELETE FROM ids WHERE chunk > ?", (last_chunk,))
        except (sqlite3.Error, OSError) as exc:
            index.close()
            raise StorageFailed(
                f"cannot resume the record id index: {exc}", path=str(path)
            ) from exc
        return index

    def _rebuild(self, output: Path) -> None:
        if not output.exists():
            return
        with output.open(encoding="utf-8") as fh:
            batch: list[tuple[str, int]] = []
            for line in fh:
                if line.strip():
                    batch.append((str(json.loads(line)["id"]), -1))
                if len(batch) >= 10_000:
                    self._insert(batch)
                    batch = []
            self._insert(batch)

    def _insert(self, rows: list[tuple[str, int]]) -> None:
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO ids VALUES (?, ?)", rows)
        self._db.execute("COMMIT")

    def add(self, chunk: int, ids: Sequence[str]) -> list[int]:
        """Record the ids issued by ``chunk``, in order; return the positions of those
        issued before (in an earlier chunk, or earlier in ``ids``): the duplicates,
        which are not recorded again. Raises ``StorageFailed``."""
        try:
            known: set[str] = set()
            for start in range(0, len(ids), _LOOKUP):
                part = ids[start : start + _LOOKUP]
                marks = ",".join("?" * len(part))
                query = f"SELECT id FROM ids WHERE id IN ({marks})"  # noqa: S608 (only marks)
                known.update(row[0] for row in self._db.execute(query, part))
            duplicates: list[int] = []
            fresh: list[tuple[str, int]] = []
            here: set[str] = set()
            for position, record_id in enumerate(ids):
                if record_id in known or record_id in here:
                    duplicates.append(position)
                else:
                    here.add(record_id)
                    fresh.append((record_id, chunk))
            self._insert(fresh)
        except sqlite3.Error as exc:
            raise StorageFailed(
                f"cannot update the record id index: {exc}", path=str(self.path)
            ) from exc
        return duplicates

    def close(self) -> None:
        """Close the database."""
        self._db.close()
