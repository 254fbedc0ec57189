"""The batch journal: what makes a batch resumable without loss or duplication.

Output and rejects grow by whole chunks, in input order. After a chunk's lines are
appended to both files and flushed to disk (fsync), one journal line records the chunk
number, the digest of its input and the two files' new lengths. A run that resumes reads
the journal, cuts both files back to the last recorded lengths (dropping whatever a crash
left half-written after it), checks that the input it skips has the digests recorded, and
goes on with the next chunk. The journal's first line holds the batch's settings; resuming
with other settings, or over an output that has no journal, is refused
(``BatchMismatch``). A finished batch keeps its journal, so running it again changes
nothing.

A record whose id the batch already issued becomes a ``duplicate_record`` reject when its
chunk is committed (:mod:`qrseal.batch.ids` keeps the issued ids on disk, ``<out>.ids``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from ..errors import BatchMismatch, DuplicateRecord, StorageFailed
from .ids import IDS_SUFFIX, RecordIndex
from .work import ChunkResult, reject_line

__all__ = ["JOURNAL_SUFFIX", "Journal", "Progress"]

JOURNAL_SUFFIX: Final = ".journal"
_VERSION: Final = 1


@dataclass(slots=True)
class Progress:
    """What the journal says is done: chunk digests by number, and the counts so far."""

    digests: dict[int, str]
    issued: int = 0
    rejected: int = 0
    #: Where each committed chunk's output lines end in the output file (bytes).
    out_ends: dict[int, int] = field(default_factory=dict)


def _fsync_dir(path: Path) -> None:
    if os.name == "posix":
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Journal:
    """The open output, rejects and journal files of one batch (use with ``with``)."""

    def __init__(self, out: Path, rejects: Path, settings: dict[str, object]) -> None:
        self.path = out.with_name(out.name + JOURNAL_SUFFIX)
        self._out_path, self._rejects_path = out, rejects
        header = {"qrseal_batch": _VERSION, "settings": settings}
        try:
            fresh = not self.path.exists()
            self.progress, ends = self._resume(header)
            self._out = self._open(out, ends[0])
            self._rejects = self._open(rejects, ends[1])
            self._journal: IO[str] = self.path.open("a", encoding="utf-8")
            if fresh:
                self._append(header)
            _fsync_dir(out.parent)
            ids_path = out.with_name(out.name + IDS_SUFFIX)
            if fresh:  # a stale index of an earlier batch under this name
                for stale in (ids_path, *ids_path.parent.glob(ids_path.name + "-*")):
                    stale.unlink(missing_ok=True)
            self._ids = RecordIndex.reopen(ids_path, out_ends=self.progress.out_ends, output=out)
        except OSError as exc:
            raise StorageFailed(f"cannot open the batch files: {exc}", path=str(out)) from exc

    def _resume(self, header: dict[str, object]) -> tuple[Progress, tuple[int, int]]:
        progress = Progress({})
        if not self.path.exists():
            for path in (self._out_path, self._rejects_path):
                if path.exists() and path.stat().st_size:
                    raise BatchMismatch(
                        f"{path} exists without a batch journal; move it away or choose "
                        "another output",
                        path=str(path),
                    )
            return progress, (0, 0)
        ends = (0, 0)
        with self.path.open(encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        try:
            first = json.loads(lines[0])
        except ValueError as exc:
            raise BatchMismatch("the batch journal is not readable", path=str(self.path)) from exc
        if first != header:
            raise BatchMismatch(
                "the batch journal belongs to a batch with other settings (key, issuer, "
                "chunk size, status allocation or input format)",
                path=str(self.path),
            )
        for text in lines[1:]:
            try:
                entry = json.loads(text)
            except ValueError:
                break  # the torn last line of a crash: that chunk is not committed
            progress.digests[int(entry["chunk"])] = str(entry["input"])
            progress.issued, progress.rejected = int(entry["issued"]), int(entry["rejected"])
            ends = (int(entry["out"]), int(entry["rejects"]))
            progress.out_ends[int(entry["chunk"])] = ends[0]
        # Rewrite the journal without a torn tail so appends start on a fresh line.
        kept = [line for line in lines if line][: 1 + len(progress.digests)]
        self.path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        return progress, ends

    @staticmethod
    def _open(path: Path, end: int) -> IO[bytes]:
        fh = path.open("r+b" if path.exists() else "w+b")
        fh.truncate(end)  # drop what a crash wrote after the last committed chunk
        fh.seek(end)
        return fh

    def _append(self, entry: dict[str, object]) -> None:
        self._journal.write(json.dumps(entry, sort_keys=True) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def commit(self, result: ChunkResult) -> ChunkResult:
        """Turn the records whose id the batch already issued into rejects, append the
        chunk's lines durably, then record it in the journal. Returns the chunk as
        committed."""
        duplicates = self._ids.add(result.number, result.ids)
        if duplicates:
            result = _without_duplicates(result, duplicates)
        try:
            for fh, text in ((self._out, result.output), (self._rejects, result.rejects)):
                fh.write(text.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            self.progress.digests[result.number] = result.digest
            self.progress.out_ends[result.number] = self._out.tell()
            self.progress.issued += result.issued
            self.progress.rejected += result.rejected
            self._append(
                {
                    "chunk": result.number,
                    "input": result.digest,
                    "out": self._out.tell(),
                    "rejects": self._rejects.tell(),
                    "issued": self.progress.issued,
                    "rejected": self.progress.rejected,
                }
            )
        except OSError as exc:
            raise StorageFailed(
                f"cannot write the batch output: {exc}", path=str(self._out_path)
            ) from exc
        return result

    def close(self) -> None:
        """Close the three files and the id index."""
        for fh in (self._out, self._rejects, self._journal):
            fh.close()
        self._ids.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _without_duplicates(result: ChunkResult, duplicates: list[int]) -> ChunkResult:
    """``result`` with the issued records at positions ``duplicates`` moved to the rejects
    (``duplicate_record``), the rejects kept in input order."""
    dropped = set(duplicates)
    lines = result.output.splitlines(keepends=True)  # JSON lines hold no raw newline
    rejects = list(zip(result.reject_lines, result.rejects.splitlines(keepends=True), strict=True))
    kept: list[int] = []
    for position, (record_id, line) in enumerate(zip(result.ids, result.id_lines, strict=True)):
        if position in dropped:
            error = DuplicateRecord(
                f"record id {record_id!r} was already issued in this batch", line=line
            )
            rejects.append((line, reject_line(record_id, line, error)))
        else:
            kept.append(position)
    rejects.sort(key=lambda entry: entry[0])
    return ChunkResult(
        result.number,
        result.digest,
        "".join(lines[i] for i in kept),
        "".join(text for _, text in rejects),
        len(kept),
        len(rejects),
        tuple(result.ids[i] for i in kept),
        tuple(result.id_lines[i] for i in kept),
        tuple(line for line, _ in rejects),
    )
