"""Batch issuance: a file of licence records -> credentials, on all cores or a Dask cluster,
resumable without loss or duplication (docs/architecture.md).

The names below load on first use: a worker process imports only :mod:`qrseal.batch.work`
(what issuing a chunk needs), not the driver's engines, journal and progress bar.

>>> from qrseal.batch import Engine
>>> [engine.value for engine in Engine]
['serial', 'process', 'dask']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .engines import Engine as Engine
    from .records import InputFormat as InputFormat
    from .run import DEFAULT_CHUNK_SIZE as DEFAULT_CHUNK_SIZE
    from .run import BatchReport as BatchReport
    from .run import issue_batch as issue_batch
    from .work import StatusAllocation as StatusAllocation

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchReport",
    "Engine",
    "InputFormat",
    "StatusAllocation",
    "issue_batch",
]

#: Each public name and the module that defines it.
_HOMES: Final[dict[str, str]] = {
    "DEFAULT_CHUNK_SIZE": "run",
    "BatchReport": "run",
    "Engine": "engines",
    "InputFormat": "records",
    "StatusAllocation": "work",
    "issue_batch": "run",
}


def __getattr__(name: str) -> object:
    """Load a public name's module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qrseal.batch' has no attribute {name!r}")
    value: object = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
