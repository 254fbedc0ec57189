"""Credential status (docs/format.md §15): the Token Status List, its signed tokens, the
verifier's snapshots and its status step.

One concept per module, each importing only the ones above it in this list:

- :mod:`~qrseal.status.lists`: the packed list and its CBOR form, bounded inflate;
- :mod:`~qrseal.status.reference`: a credential's status claim, and shards;
- :mod:`~qrseal.status.token`: signing and verifying Status List Tokens;
- :mod:`~qrseal.status.snapshots`: a verifier's store of verified lists, what a value means;
- :mod:`~qrseal.status.files`: a folder of tokens loaded as snapshots;
- :mod:`~qrseal.status.check`: the verifier's status step (used by :class:`qrseal.Verifier`).

The package sits above :mod:`qrseal.trust` and :mod:`qrseal.wire` and knows nothing of
licences. Nothing here reads the clock: time is the ``now=`` argument.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .files import snapshots_from_dir as snapshots_from_dir
    from .lists import DEFAULT_MAX_ENTRIES as DEFAULT_MAX_ENTRIES
    from .lists import MAX_SINGLE_LIST_ENTRIES as MAX_SINGLE_LIST_ENTRIES
    from .lists import Compression as Compression
    from .lists import StatusList as StatusList
    from .lists import StatusType as StatusType
    from .reference import MAX_STATUS_INDEX as MAX_STATUS_INDEX
    from .reference import ShardScheme as ShardScheme
    from .reference import StatusReference as StatusReference
    from .snapshots import DEFAULT_MEANINGS as DEFAULT_MEANINGS
    from .snapshots import StatusMeaning as StatusMeaning
    from .snapshots import StatusResult as StatusResult
    from .snapshots import StatusSnapshots as StatusSnapshots
    from .snapshots import WhenUnavailable as WhenUnavailable
    from .token import DEFAULT_STATUS_ALGORITHMS as DEFAULT_STATUS_ALGORITHMS
    from .token import STATUS_LIST_TYP as STATUS_LIST_TYP
    from .token import VerifiedStatusList as VerifiedStatusList
    from .token import sign_status_list as sign_status_list
    from .token import verify_status_list as verify_status_list

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MEANINGS",
    "DEFAULT_STATUS_ALGORITHMS",
    "MAX_SINGLE_LIST_ENTRIES",
    "MAX_STATUS_INDEX",
    "STATUS_LIST_TYP",
    "Compression",
    "ShardScheme",
    "StatusList",
    "StatusMeaning",
    "StatusReference",
    "StatusResult",
    "StatusSnapshots",
    "StatusType",
    "VerifiedStatusList",
    "WhenUnavailable",
    "sign_status_list",
    "snapshots_from_dir",
    "verify_status_list",
]

# Each name is imported from its module on first use, so importing one module of the package
# (the verifier's status step, say) does not load the others (file handling, signing).
_HOME: Final[dict[str, str]] = {
    "snapshots_from_dir": "files",
    "DEFAULT_MAX_ENTRIES": "lists",
    "MAX_SINGLE_LIST_ENTRIES": "lists",
    "Compression": "lists",
    "StatusList": "lists",
    "StatusType": "lists",
    "MAX_STATUS_INDEX": "reference",
    "ShardScheme": "reference",
    "StatusReference": "reference",
    "DEFAULT_MEANINGS": "snapshots",
    "StatusMeaning": "snapshots",
    "StatusResult": "snapshots",
    "StatusSnapshots": "snapshots",
    "WhenUnavailable": "snapshots",
    "DEFAULT_STATUS_ALGORITHMS": "token",
    "STATUS_LIST_TYP": "token",
    "VerifiedStatusList": "token",
    "sign_status_list": "token",
    "verify_status_list": "token",
}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
