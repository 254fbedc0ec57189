"""Where chunks are issued: in this process, in a pool of local processes (one per core by
default), or on a Dask cluster. Every engine returns the results in chunk order, keeping at
most a few chunks per worker in flight, so memory stays flat for any input size."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from enum import StrEnum
from typing import Any, Final, Protocol

from ..errors import InvalidArgument
from ..wire.keys import Signer
from .records import Chunk
from .work import ChunkResult, IssueSettings, issue_chunk

__all__ = ["Engine", "run_chunks"]

#: Chunks in flight per worker: enough to keep every worker busy while results are written.
IN_FLIGHT_PER_WORKER: Final = 2


class Engine(StrEnum):
    """``serial``: this process; ``process``: local worker processes; ``dask``: a Dask
    cluster (a scheduler address, or a ``LocalCluster`` started for the batch)."""

    SERIAL = "serial"
    PROCESS = "process"
    DASK = "dask"


class _Result(Protocol):
    def result(self) -> ChunkResult: ...


def _ordered(
    submit: Callable[[Chunk], _Result], chunks: Iterable[Chunk], window: int
) -> Iterator[ChunkResult]:
    pending: deque[_Result] = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _process(
    settings: IssueSettings, chunks: Iterable[Chunk], workers: int
) -> Iterator[ChunkResult]:
    # spawn, not fork: a PKCS#11 library initialised in this process must not be inherited.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def submit(chunk: Chunk) -> Future[ChunkResult]:
            return pool.submit(issue_chunk, settings, chunk)

        yield from _ordered(submit, chunks, workers * IN_FLIGHT_PER_WORKER)


def _dask(
    settings: IssueSettings, chunks: Iterable[Chunk], workers: int, scheduler: str | None
) -> Iterator[ChunkResult]:
    from distributed import Client, LocalCluster  # the cluster engine loads only when asked

    cluster: Any = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(cluster if cluster is not None else scheduler)
    try:
        count = len(client.scheduler_info()["workers"]) or workers
        [shared] = client.scatter([settings], broadcast=True)

        def submit(chunk: Chunk) -> _Result:
            result: _Result = client.submit(issue_chunk, shared, chunk, pure=False)
            return result

        yield from _ordered(submit, chunks, count * IN_FLIGHT_PER_WORKER)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_chunks(
    settings: IssueSettings,
    chunks: Iterable[Chunk],
    *,
    engine: Engine,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[ChunkResult]:
    """The results of ``chunks`` in order, issued by ``engine`` with ``workers`` processes
    (default: one per core; Dask with ``scheduler``: the cluster's workers)."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 0:
        raise InvalidArgument("workers must be positive")
    if engine is not Engine.SERIAL and isinstance(settings.key, Signer):
        raise InvalidArgument(
            "a Signer object cannot travel to worker processes: give a private key or a "
            "TokenKey, or use the serial engine"
        )
    if scheduler is not None and engine is not Engine.DASK:
        raise InvalidArgument("a scheduler address is for the dask engine")
    if engine is Engine.SERIAL:
        return (issue_chunk(settings, chunk) for chunk in chunks)
    if engine is Engine.PROCESS:
        return _process(settings, chunks, count)
    return _dask(settings, chunks, count, scheduler)
