"""The record ids a batch has issued, on disk: what makes a batch idempotent by record id.

A record whose id was already issued earlier in the same batch (in an earlier chunk or
earlier in its own chunk) is not issued again: it becomes a reject line
(``duplicate_record``). The ids live in an SQLite table beside the output
(``<out>.ids``, stdlib :mod:`sqlite3`), keyed by id, so memory stays flat for any number of
records: one indexed look-up and one batched insert per chunk (SQLite's write-ahead log,
not synced per chunk). Each id is stored with its chunk number; a resumed batch drops the ids
of chunks its journal did not commit, and reads back from the committed output lines the
ids of committed chunks the index does not hold (a power cut lost its last transactions, or
the file is missing: deleted, or a batch begun before it existed), so resuming stays exact.

Cost: each chunk's ids land on random pages of the id B-tree, so the index writes about a
page per id once it outgrows its page cache (``benchmarks/batch_bench.py`` (3b) measures
it); an input sorted by id keeps those writes sequential.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from ..errors import StorageFailed

__all__ = ["IDS_SUFFIX", "RecordIndex"]

IDS_SUFFIX: Final = ".ids"
# SQLite's default limit on the parameters of one statement is 999 before 3.32.
_LOOKUP: Final = 500
#: The SQLite page cache, KiB: memory is bounded by this, whatever the number of ids.
_CACHE_KIB: Final = 64 * 1024


class RecordIndex:
    """The ids issued by one batch (:meth:`close` closes it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: no sync per chunk; what a power cut loses, reopen() reads back.
            self._db.execute("PRAGMA synchronous=NORMAL")
            # A bounded page cache: the upper levels of the id B-tree stay in memory.
            self._db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, chunk INTEGER NOT NULL)"
                " WITHOUT ROWID"
            )
        except sqlite3.Error as exc:
            raise StorageFailed(f"cannot open the record id index: {exc}", path=str(path)) from exc

    @classmethod
    def reopen(cls, path: Path, *, out_ends: Mapping[int, int], output: Path) -> RecordIndex:
        """The index of a batch whose journal committed the chunks of ``out_ends`` (chunk
        number -> where its lines end in ``output``): ids of later chunks are dropped, and
        the ids of committed chunks the index lost (a power cut after the journal line;
        the whole index when its file is missing) are read back from ``output``."""
        index = cls(path)
        last = max(out_ends, default=-1)
        try:
            index._db.execute("DELETE FROM ids WHERE chunk > ?", (last,))
            (known,) = index._db.execute("SELECT MAX(chunk) FROM ids").fetchone()
            first = -1 if known is None else int(known)
            if first < last:
                index._recover(output, out_ends, first + 1, last)
        except (sqlite3.Error, OSError, ValueError, KeyError) as exc:
            index.close()
            raise StorageFailed(
                f"cannot resume the record id index: {exc}", path=str(path)
            ) from exc
        return index

    def _recover(self, output: Path, out_ends: Mapping[int, int], first: int, last: int) -> None:
        """Add the ids of the output lines of chunks ``first`` .. ``last``."""
        start = out_ends.get(first - 1, 0)
        with output.open("rb") as fh:
            fh.seek(start)
            for chunk in range(first, last + 1):
                end = out_ends.get(chunk, start)
                data, start = fh.read(end - start), end
                rows = [(str(json.loads(line)["id"]), chunk) for line in data.splitlines()]
                self._insert(rows)

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
            ordered = sorted(set(ids))  # B-tree order: neighbouring pages, fewer reads
            for start in range(0, len(ordered), _LOOKUP):
                part = ordered[start : start + _LOOKUP]
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
            fresh.sort()
            self._insert(fresh)
        except sqlite3.Error as exc:
            raise StorageFailed(
                f"cannot update the record id index: {exc}", path=str(self.path)
            ) from exc
        return duplicates

    def close(self) -> None:
        """Close the database."""
        self._db.close()
