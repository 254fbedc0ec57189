"""``issue_batch``: a file of licence records -> one credential line or one reject line per
record, resumable, on any engine, with the batch's status lists written at the end."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from tqdm import tqdm

from ..errors import BatchMismatch, InvalidArgument
from ..licence.profile import DEFAULT_VALIDITY
from ..status.lists import StatusList
from ..status.token import sign_status_list
from ..trust.persistence import write_atomic
from ..wire.cwt import require_utc
from ..wire.keys import LocalSigner, PrivateKey, Signer
from .engines import Engine, run_chunks
from .journal import Journal, Progress
from .records import Chunk, InputFormat, count_records, read_chunks
from .work import IssueSettings, StatusAllocation

if TYPE_CHECKING:
    from ..wire.pkcs11 import TokenKey

__all__ = ["BatchReport", "issue_batch"]

#: Records per chunk: the unit of parallel work and of atomic output.
DEFAULT_CHUNK_SIZE = 1000
#: Bits per entry of the status lists a batch creates (valid, invalid, suspended).
STATUS_BITS = 2


@dataclass(frozen=True, slots=True)
class BatchReport:
    """How a batch ended: records issued and rejected in total (this run and any earlier
    run it resumed), chunks issued by this run and skipped as already done, and the status
    list tokens written."""

    issued: int
    rejected: int
    chunks_issued: int
    chunks_skipped: int
    status_tokens: tuple[Path, ...] = ()

    @property
    def records(self) -> int:
        """Every input record: each is either issued or rejected."""
        return self.issued + self.rejected


def _key_value(signer: PrivateKey | TokenKey | Signer) -> bytes | TokenKey | Signer:
    if isinstance(signer, PrivateKey):
        return signer.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    return signer


def _driver_signer(signer: PrivateKey | TokenKey | Signer) -> tuple[Signer, Callable[[], None]]:
    if isinstance(signer, PrivateKey):
        return LocalSigner(signer), lambda: None
    if isinstance(signer, Signer):
        return signer, lambda: None
    opened = signer.open()
    return opened, opened.close


def _todo(
    chunks: Iterator[Chunk], progress: Progress, journal: Path, bar: tqdm[None], seen: list[int]
) -> Iterator[Chunk]:
    """The chunks still to issue; done ones are checked against the journal's digests."""
    for chunk in chunks:
        seen[0] += len(chunk.records)
        done = progress.digests.get(chunk.number)
        if done is None:
            yield chunk
            continue
        if done != chunk.digest:
            raise BatchMismatch(
                f"chunk {chunk.number} of the input differs from the one already issued",
                path=str(journal),
            )
        seen[1] += 1
        bar.update(len(chunk.records))
    missing = set(progress.digests) - set(range(seen[2] + 1))
    if missing:
        raise BatchMismatch("the input is shorter than the batch already issued", path=str(journal))


def issue_batch(
    source: str | Path,
    out: str | Path,
    *,
    signer: PrivateKey | TokenKey | Signer,
    issuer: str,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
    rejects: str | Path | None = None,
    status: StatusAllocation | None = None,
    status_dir: str | Path | None = None,
    status_ttl: timedelta | None = timedelta(hours=12),
    status_valid_for: timedelta | None = timedelta(days=1),
    png_dir: str | Path | None = None,
    engine: Engine = Engine.PROCESS,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> BatchReport:
    """Issue a credential for every record of ``source`` (JSON Lines, or CSV by its
    ``.csv`` name; see :mod:`qrseal.batch.records`).

    Each record ends as exactly one line of ``out`` (``{"id", "credential"[, "status_uri",
    "status_idx"][, "png"]}``) or of ``rejects`` (default: ``out`` + ``.rejects``;
    ``{"id", "line", "reason", "message"}`` with the stable reason code), in input order.
    Output is committed chunk by chunk (``chunk_size`` records) with a journal beside
    ``out``: after a crash or Ctrl-C, the same call resumes where the last committed chunk
    ended, so nothing is lost or written twice (:mod:`qrseal.batch.journal`).

    ``signer`` is a private key, a :class:`~qrseal.wire.pkcs11.TokenKey` (each worker opens
    its own session) or, with the serial engine only, any Signer. ``status`` allocates the
    batch's status-list entries (record ``i`` gets global index ``start + i``); with
    ``status_dir`` the list of every shard the batch touches is created there when new
    (``shard-K.cbor``, entries valid) and signed as a token (``shard-K.cwt``). ``png_dir``
    also draws one QR PNG per credential, in the workers. ``on_chunk`` is called with each
    committed chunk's number (progress hooks, fault injection in tests).

    Raises ``BatchMismatch`` (resuming other input or settings), ``StorageFailed``,
    ``InvalidArgument`` and the signer's errors; a record's own errors are rejects.
    """
    now = require_utc(now)
    src, out_path = Path(source), Path(out)
    rejects_path = (
        Path(rejects) if rejects is not None else out_path.with_name(out_path.name + ".rejects")
    )
    if chunk_size <= 0:
        raise InvalidArgument("chunk_size must be positive")
    if status_dir is not None and status is None:
        raise InvalidArgument("status_dir needs a status allocation")
    fmt = InputFormat.of(src)
    driver, close_driver = _driver_signer(signer)
    try:
        settings = IssueSettings(
            _key_value(signer), issuer, now, valid_for, fmt, status,
            None if png_dir is None else str(png_dir),
        )  # fmt: skip
        header: dict[str, object] = {
            "issuer": issuer,
            "kid": driver.kid.hex(),
            "alg": driver.algorithm.name,
            "format": fmt.value,
            "chunk_size": chunk_size,
            "valid_for": int(valid_for.total_seconds()),
            "status": None
            if status is None
            else [status.scheme.template, status.scheme.shard_size, status.start],
        }
        if png_dir is not None:
            Path(png_dir).mkdir(parents=True, exist_ok=True)
        total = count_records(src, fmt) if progress else None
        with (
            Journal(out_path, rejects_path, header) as journal,
            tqdm(
                total=total, unit="credential", desc="issuing", disable=not progress,
                file=sys.stderr, smoothing=0.1,
            ) as bar,
        ):  # fmt: skip
            seen = [0, 0, -1]  # records read, chunks skipped, last chunk number

            def numbered(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
                for chunk in chunks:
                    seen[2] = chunk.number
                    yield chunk

            todo = _todo(
                numbered(read_chunks(src, fmt, chunk_size)), journal.progress, journal.path,
                bar, seen,
            )  # fmt: skip
            issued_chunks = 0
            for result in run_chunks(
                settings, todo, engine=engine, workers=workers, scheduler=scheduler
            ):
                result = journal.commit(result)
                issued_chunks += 1
                bar.update(result.issued + result.rejected)
                if on_chunk is not None:
                    on_chunk(result.number)
            report = BatchReport(
                journal.progress.issued, journal.progress.rejected, issued_chunks, seen[1]
            )
        if status is not None and status_dir is not None and seen[0]:
            tokens = _write_status(
                driver, status, seen[0], Path(status_dir), issuer, now, status_ttl,
                status_valid_for,
            )  # fmt: skip
            report = BatchReport(
                report.issued, report.rejected, report.chunks_issued, report.chunks_skipped, tokens
            )
        return report
    finally:
        close_driver()


def _write_status(
    signer: Signer,
    status: StatusAllocation,
    records: int,
    folder: Path,
    issuer: str,
    now: datetime,
    ttl: timedelta | None,
    valid_for: timedelta | None,
) -> tuple[Path, ...]:
    """Create the list of each shard the batch's indices fall in (when new: all valid) and
    sign it as a token. An existing list is kept as it is: its other entries may be revoked."""
    folder.mkdir(parents=True, exist_ok=True)
    scheme = status.scheme
    first, last = scheme.shard_of(status.index(0)), scheme.shard_of(status.index(records - 1))
    tokens: list[Path] = []
    for shard in range(first, last + 1):
        list_path = folder / f"shard-{shard}.cbor"
        if list_path.exists():
            status_list = StatusList.from_cbor(
                list_path.read_bytes(), max_entries=scheme.shard_size
            )
        else:
            status_list = StatusList(scheme.shard_size, STATUS_BITS)
            write_atomic(list_path, status_list.to_cbor())
        token = sign_status_list(
            status_list, signer=signer, uri=scheme.uri(shard), now=now, ttl=ttl,
            valid_for=valid_for, issuer=issuer,
        )  # fmt: skip
        token_path = folder / f"shard-{shard}.cwt"
        write_atomic(token_path, token)
        tokens.append(token_path)
    return tuple(tokens)
