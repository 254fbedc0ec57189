"""The referenced token's side of a Token Status List: the status claim and shard addressing.

A credential points at its status with claim 65535 (``status``): ``{"status_list": {"idx":
i, "uri": u}}`` (draft-ietf-oauth-status-list §6.3). :class:`StatusReference` is that pair;
:func:`encode_status_claim` / :func:`decode_status_claim` convert it to and from the decoded
claim value. :class:`ShardScheme` maps one global index space onto lists of a fixed size, so
that a verifier fetches only the shard a credential names. ``docs/format.md`` §15 is normative.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, TypeGuard

from ..errors import InvalidArgument, MalformedClaims
from .lists import StatusList

__all__ = [
    "MAX_STATUS_INDEX",
    "ShardScheme",
    "StatusReference",
    "decode_status_claim",
    "encode_status_claim",
]

#: The largest ``idx`` a status reference may carry (docs/format.md §15.7): 2^32 - 1. No list
#: a verifier can hold has more entries (2^32 one-bit entries are 512 MiB packed), and a bound
#: keeps bignums (CBOR tags 2/3) and 64-bit values out of the arithmetic and the messages.
MAX_STATUS_INDEX: Final = (1 << 32) - 1


def _is_index(idx: object) -> TypeGuard[int]:
    return not isinstance(idx, bool) and isinstance(idx, int) and 0 <= idx <= MAX_STATUS_INDEX


@dataclass(frozen=True, slots=True)
class StatusReference:
    """Where a credential's status lives: entry ``idx`` of the list published at ``uri``."""

    uri: str
    idx: int

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri:
            raise InvalidArgument("a status reference needs a non-empty uri")
        if not _is_index(self.idx):
            raise InvalidArgument(f"status index must be an integer in 0..{MAX_STATUS_INDEX}")


def encode_status_claim(ref: StatusReference) -> dict[str, object]:
    """The value of claim 65535 (``status``): ``{"status_list": {"idx": i, "uri": u}}``,
    maps in deterministic key order."""
    return {"status_list": {"idx": ref.idx, "uri": ref.uri}}


def decode_status_claim(value: object) -> StatusReference:
    """Read the ``status_list`` reference out of a decoded claim 65535. Other status
    mechanisms in the map and extra members of ``status_list`` are ignored (the draft allows
    both). Raises ``MalformedClaims``."""
    # dict first: what cbor2 decodes to, and a much cheaper check than the Mapping ABC on
    # the verifier's per-credential path.
    if not isinstance(value, dict | Mapping):
        raise MalformedClaims("status claim is not a map")
    info = value.get("status_list")
    if not isinstance(info, dict | Mapping):
        raise MalformedClaims("status claim has no status_list map")
    idx, uri = info.get("idx"), info.get("uri")
    if not _is_index(idx):
        raise MalformedClaims(
            f"status_list idx is missing or not an unsigned integer up to {MAX_STATUS_INDEX}"
        )
    if not isinstance(uri, str) or not uri:
        raise MalformedClaims("status_list uri is missing or not text")
    return StatusReference(uri, idx)


# --- shards ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShardScheme:
    """One index space split into lists of ``shard_size`` entries.

    Shard ``k`` covers global indices ``[k * shard_size, (k + 1) * shard_size)`` and is
    published at ``template`` with ``{shard}`` replaced by ``k`` in decimal. A credential with
    global index ``g`` carries ``idx = g % shard_size`` and the URI of shard
    ``g // shard_size``, so a verifier needs only that shard. ``shard_size`` must be a
    multiple of 8, so that shards start on a byte at every width.
    """

    template: str
    shard_size: int

    def __post_init__(self) -> None:
        if not isinstance(self.template, str) or self.template.count("{shard}") != 1:
            raise InvalidArgument("a shard URI template must contain '{shard}' exactly once")
        size = self.shard_size
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0 or size % 8:
            raise InvalidArgument(f"shard_size must be a positive multiple of 8, not {size!r}")

    def uri(self, shard: int) -> str:
        """The URI of shard ``shard``."""
        if isinstance(shard, bool) or not isinstance(shard, int) or shard < 0:
            raise InvalidArgument(f"shard number must be a non-negative integer, not {shard!r}")
        return self.template.replace("{shard}", str(shard))

    def shard_of(self, index: int) -> int:
        """The shard holding global index ``index``."""
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidArgument(f"index must be a non-negative integer, not {index!r}")
        return index // self.shard_size

    def reference(self, index: int) -> StatusReference:
        """The status reference a credential with global index ``index`` carries."""
        shard = self.shard_of(index)
        return StatusReference(self.uri(shard), index - shard * self.shard_size)

    def shard_count(self, entries: int) -> int:
        """How many shards ``entries`` global entries need."""
        return -(-entries // self.shard_size)

    def split(self, status_list: StatusList) -> Iterator[tuple[str, StatusList]]:
        """``(uri, shard list)`` for every shard of a list indexed globally; one shard is
        copied at a time. The last shard is shorter when the list does not fill it."""
        for shard in range(self.shard_count(len(status_list))):
            start = shard * self.shard_size
            stop = min(start + self.shard_size, len(status_list))
            yield self.uri(shard), status_list.slice(start, stop)
