"""Batch issuance: a file of licence records -> credentials, on all cores or a Dask cluster,
resumable without loss or duplication (docs/architecture.md).

>>> from qrseal.batch import Engine
>>> [engine.value for engine in Engine]
['serial', 'process', 'dask']
"""

from __future__ import annotations

from .engines import Engine
from .records import InputFormat
from .run import DEFAULT_CHUNK_SIZE, BatchReport, issue_batch
from .work import StatusAllocation

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchReport",
    "Engine",
    "InputFormat",
    "StatusAllocation",
    "issue_batch",
]
