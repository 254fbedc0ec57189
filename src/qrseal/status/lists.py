"""Token Status List (draft-ietf-oauth-status-list), CBOR form: the packed list itself.

A status list holds one small unsigned value per credential, 1, 2, 4 or 8 bits wide (0 VALID,
1 INVALID, 2 SUSPENDED, higher values application-specific). Entries are packed into bytes
from the least significant bit up (entry ``i`` of a 2-bit list lives in byte ``i // 4`` at
bit ``2 * (i % 4)``) and the byte array travels zlib-compressed (RFC 1950/1951) in the CBOR
map ``{"bits": n, "lst": bstr, ? "aggregation_uri": tstr}``. A credential points at its
entry with the status claim ``65535: {"status_list": {"idx": i, "uri": u}}``.

:class:`StatusList` keeps the packed bytes in one ``bytearray`` (no per-entry objects), so a
list of 500 million 2-bit entries takes 125 MB. Decoding inflates with an output cap that
follows from how many entries the reader expects (``max_entries x bits``) and never holds more
than the cap.

The status claim and shards are in :mod:`qrseal.status.reference`, signing and verifying Status
List Tokens in :mod:`qrseal.status.token`, the verifier's snapshot store in
:mod:`qrseal.status.snapshots`. The normative format is ``docs/format.md`` §15.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import Enum, IntEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from ..errors import (
    InvalidArgument,
    MalformedCbor,
    MalformedCompression,
    StatusListInvalid,
    TooLarge,
)
from ..wire.cose import dumps_in_order, strict_loads

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "ALLOWED_BITS",
    "DEFAULT_MAX_ENTRIES",
    "MAX_SINGLE_LIST_ENTRIES",
    "MAX_STATUS_LIST_CBOR_BYTES",
    "Compression",
    "StatusClaimKey",
    "StatusList",
    "StatusType",
    "inflate_bounded",
    "list_cap",
]

#: Entry widths the draft allows.
ALLOWED_BITS: Final = (1, 2, 4, 8)
#: Default number of entries a reader expects in one list: one recommended shard
#: (docs/format.md §15.6), 2**24 entries, so 4 MiB packed at 2 bits and 16 MiB at 8. A list
#: that would inflate beyond ``max_entries x bits`` is refused (``too_large``) without
#: inflating further.
DEFAULT_MAX_ENTRIES: Final = 1 << 24
#: The explicit opt-in for one unsharded national list: 2**29 entries (536,870,912, enough for
#: 500 million licences; 128 MiB packed at 2 bits).
MAX_SINGLE_LIST_ENTRIES: Final = 1 << 29
#: Default cap on an encoded ``status_list`` map (mostly its compressed ``lst``): 64 MiB.
MAX_STATUS_LIST_CBOR_BYTES: Final = 1 << 26

# Inflation feeds input slices of _IN_CHUNK bytes (zlib copies the unconsumed input on every
# call, so feeding the whole stream at once would copy it once per output piece) and takes
# output pieces of at most _OUT_CHUNK bytes (each piece is built, then copied onto the list:
# small pieces keep that transient copy, and so the peak memory, near the list's own size).
_IN_CHUNK: Final = 1 << 18
_OUT_CHUNK: Final = 1 << 16
_NONZERO_RUNS: Final = re.compile(rb"[^\x00]+")
# log2(entries per byte) for each width.
_SHIFT: Final = MappingProxyType({1: 3, 2: 2, 4: 1, 8: 0})


class StatusType(IntEnum):
    """Status values registered by the draft (§7.1). 3 and 11–15 are application-specific."""

    VALID = 0
    INVALID = 1
    SUSPENDED = 2


class StatusClaimKey(IntEnum):
    """CWT claim keys of the draft (§5.2, §6.3)."""

    STATUS_LIST = 65533
    TTL = 65534
    STATUS = 65535


class Compression(Enum):
    """How ``lst`` is compressed. Both are zlib level 9 (the draft: "the highest compression
    level available"); any conforming inflater reads either.

    ``BEST`` (zlib's default strategy) reproduces the draft's examples byte for byte. ``RLE``
    (``Z_RLE``: only matches at distance 1, i.e. runs) is much faster on large lists (500 M
    entries, 5 % revoked at random: 1 s against 175 s) and within 10 % of ``BEST`` in size,
    sometimes smaller (``benchmarks/status_bench.py``): the choice for lists of many millions
    of entries.
    """

    BEST = zlib.Z_DEFAULT_STRATEGY
    RLE = zlib.Z_RLE


def _check_bits(bits: object) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or bits not in _SHIFT:
        raise InvalidArgument(f"bits must be 1, 2, 4 or 8, not {bits!r}")
    return _SHIFT[bits]


def _is_numpy_array(obj: object) -> bool:
    # Checked by type name so that numpy is imported only when the caller already uses it.
    return type(obj).__module__ == "numpy" and type(obj).__name__ == "ndarray"


def list_cap(max_entries: int, bits: int) -> int:
    """The packed bytes of ``max_entries`` entries of ``bits`` bits: the inflate cap of a
    list whose reader expects at most that many entries."""
    shift = _check_bits(bits)
    if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 0:
        raise InvalidArgument(f"max_entries must be a non-negative integer, not {max_entries!r}")
    return (max_entries + (1 << shift) - 1) >> shift


def inflate_bounded(stream: bytes | bytearray | memoryview, limit: int) -> bytearray:
    """Inflate one complete zlib stream (RFC 1950) into a new ``bytearray``.

    Never produces more than ``limit + 1`` bytes: a stream that would inflate beyond
    ``limit`` raises ``TooLarge``. A corrupt or truncated stream, a preset dictionary, or
    bytes after the end of the stream raise ``MalformedCompression``.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidArgument(f"the inflate limit must be a non-negative integer, not {limit!r}")
    decomp = zlib.decompressobj()
    out = bytearray()
    view = memoryview(stream)
    consumed_all = True
    try:
        for start in range(0, len(view), _IN_CHUNK):
            pending: bytes | memoryview = view[start : start + _IN_CHUNK]
            while pending and not decomp.eof:
                out += decomp.decompress(pending, min(_OUT_CHUNK, limit + 1 - len(out)))
                if len(out) > limit:
                    raise TooLarge(
                        f"status list inflates beyond {limit} bytes",
                        what="status_list",
                        limit=limit,
                    )
                pending = decomp.unconsumed_tail
            if decomp.eof:
                consumed_all = start + _IN_CHUNK >= len(view)
                break
        # Output zlib still holds after the last input byte (a match cut short by the slice).
        while not decomp.eof:
            piece = decomp.decompress(b"", min(_OUT_CHUNK, limit + 1 - len(out)))
            if not piece:
                break
            out += piece
            if len(out) > limit:
                raise TooLarge(
                    f"status list inflates beyond {limit} bytes", what="status_list", limit=limit
                )
    except zlib.error as exc:
        raise MalformedCompression(f"status list is not a valid zlib stream: {exc}") from exc
    if not decomp.eof:
        raise MalformedCompression("status list zlib stream is truncated")
    if decomp.unused_data or not consumed_all:
        raise MalformedCompression("bytes after the end of the status list zlib stream")
    return out


class StatusList:
    """A packed status list: ``len(self)`` entries of ``bits`` bits each, all VALID (0) when
    created. The length is always a whole number of bytes' worth of entries (the draft's
    "or greater"): ``StatusList(10, bits=2)`` holds 12 entries.

    Memory is the packed size plus a constant (``len(self.packed) == ceil(size * bits / 8)``).
    ``get`` is a bounds check, a shift and a mask. A list decoded by
    :func:`qrseal.status.token.verify_status_list` is read-only; ``copy()`` gives a writable
    one. Every method raises ``InvalidArgument`` for an index or value that does not fit.
    """

    __slots__ = (
        "_aggregation_uri",
        "_bits",
        "_data",
        "_low",
        "_mask",
        "_readonly",
        "_shift",
        "_size",
    )

    _aggregation_uri: str | None
    _bits: int
    _data: bytearray
    _low: int
    _mask: int
    _readonly: bool
    _shift: int
    _size: int

    def __init__(self, size: int, bits: int = 1, *, aggregation_uri: str | None = None) -> None:
        shift = _check_bits(bits)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidArgument(f"size must be a non-negative integer, not {size!r}")
        if size > MAX_SINGLE_LIST_ENTRIES:  # refused before anything is allocated
            raise InvalidArgument(
                f"at most {MAX_SINGLE_LIST_ENTRIES:,} entries in one list, not {size:,} "
                "(shard larger populations: docs/format.md §15)"
            )
        self._setup(bytearray((size + (1 << shift) - 1) >> shift), bits, aggregation_uri, False)

    def _setup(
        self, data: bytearray, bits: int, aggregation_uri: str | None, readonly: bool
    ) -> None:
        shift = _check_bits(bits)
        if aggregation_uri is not None and not isinstance(aggregation_uri, str):
            raise InvalidArgument("aggregation_uri must be text")
        self._data = data
        self._bits = bits
        self._shift = shift
        self._low = (1 << shift) - 1
        self._mask = (1 << bits) - 1
        self._size = len(data) << shift
        self._readonly = readonly
        self._aggregation_uri = aggregation_uri

    @classmethod
    def from_packed(
        cls,
        packed: bytes | bytearray | memoryview,
        bits: int,
        *,
        aggregation_uri: str | None = None,
    ) -> StatusList:
        """A writable list over a copy of already packed bytes."""
        new = cls.__new__(cls)
        new._setup(bytearray(packed), bits, aggregation_uri, False)
        return new

    # --- reading -------------------------------------------------------------------------

    @property
    def bits(self) -> int:
        """Bits per entry: 1, 2, 4 or 8."""
        return self._bits

    @property
    def aggregation_uri(self) -> str | None:
        """The Status List Aggregation URI the list names (``aggregation_uri``), if any."""
        return self._aggregation_uri

    @property
    def packed(self) -> memoryview:
        """The packed bytes, read-only and without a copy."""
        return memoryview(self._data).toreadonly()

    @property
    def readonly(self) -> bool:
        """Whether ``set`` and ``set_many`` are refused (a verified list)."""
        return self._readonly

    def __len__(self) -> int:
        return self._size

    def get(self, idx: int) -> int:
        """The status value of entry ``idx``."""
        if not 0 <= idx < self._size:
            raise InvalidArgument(f"index {idx} is outside the list of {self._size} entries")
        return (self._data[idx >> self._shift] >> ((idx & self._low) * self._bits)) & self._mask

    def counts(self) -> dict[int, int]:
        """How many entries hold each value (only values that occur), in value order."""
        result: dict[int, int] = {}
        if self._bits == 8:
            # Up to 255 values: tally the non-zero bytes, skipping runs of zeros.
            tally: Counter[int] = Counter()
            for run in _NONZERO_RUNS.finditer(self._data):
                tally.update(run.group())
            result.update(tally)
        else:
            # At most 15 non-zero values: for each, map every byte to how many of its entries
            # hold that value, then count those small numbers; all in C (bytes.translate/count).
            entries = 1 << self._shift
            for value in range(1, self._mask + 1):
                table = bytes(
                    sum((byte >> (k * self._bits)) & self._mask == value for k in range(entries))
                    for byte in range(256)
                )
                per_byte = self._data.translate(table)
                total = sum(k * per_byte.count(k) for k in range(1, entries + 1))
                if total:
                    result[value] = total
        zeros = self._size - sum(result.values())
        if zeros:
            result[0] = zeros
        return dict(sorted(result.items()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return (self._bits, self._aggregation_uri, self._data) == (
            other._bits,
            other._aggregation_uri,
            other._data,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        flag = ", read-only" if self._readonly else ""
        return f"StatusList({self._size} entries, bits={self._bits}{flag})"

    # --- writing -------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._readonly:
            raise InvalidArgument("this status list is read-only (use copy() to change it)")

    def _check_value(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= self._mask:
            raise InvalidArgument(f"status value {value!r} does not fit in {self._bits} bits")
        return value

    def set(self, idx: int, value: int) -> None:
        """Set entry ``idx`` to ``value`` (0 to 2**bits - 1)."""
        self._check_writable()
        self._check_value(value)
        if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < self._size:
            raise InvalidArgument(f"index {idx!r} is outside the list of {self._size} entries")
        pos = idx >> self._shift
        offset = (idx & self._low) * self._bits
        self._data[pos] = (self._data[pos] & ~(self._mask << offset)) | (value << offset)

    def set_many(self, indices: Iterable[int] | npt.NDArray[Any], value: int) -> None:
        """Set every entry in ``indices`` to ``value``: an iterable of ints, or a 1-D numpy
        integer array (vectorised). All indices are checked before any entry changes."""
        self._check_writable()
        self._check_value(value)
        if _is_numpy_array(indices):
            self._set_many_numpy(indices, value)
            return
        items = list(indices)
        for idx in items:
            if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < self._size:
                raise InvalidArgument(f"index {idx!r} is outside the list of {self._size} entries")
        data, shift, low, bits, mask = self._data, self._shift, self._low, self._bits, self._mask
        for idx in items:
            pos = idx >> shift
            offset = (idx & low) * bits
            data[pos] = (data[pos] & ~(mask << offset)) | (value << offset)

    def _set_many_numpy(self, indices: Any, value: int) -> None:
        import numpy as np

        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise InvalidArgument("a numpy index array must be one-dimensional and integer")
        if idx.size == 0:
            return
        if int(idx.min()) < 0 or int(idx.max()) >= self._size:
            raise InvalidArgument(f"an index is outside the list of {self._size} entries")
        arr = np.frombuffer(self._data, dtype=np.uint8)
        if self._bits == 8:
            arr[idx] = value
            return
        idx = idx.astype(np.int64, copy=False)
        pos = idx >> self._shift
        offset = ((idx & self._low) * self._bits).astype(np.uint8)
        # ufunc.at applies every element, so several entries in one byte all take effect.
        np.bitwise_and.at(arr, pos, ~(np.uint8(self._mask) << offset))
        if value:
            np.bitwise_or.at(arr, pos, np.uint8(value) << offset)

    def copy(self) -> StatusList:
        """A writable copy."""
        return StatusList.from_packed(self._data, self._bits, aggregation_uri=self.aggregation_uri)

    def slice(self, start: int, stop: int) -> StatusList:
        """A writable copy of entries ``[start, stop)``; both must fall on byte boundaries
        (multiples of ``8 // bits``)."""
        per = 1 << self._shift
        if not 0 <= start <= stop <= self._size or start % per or stop % per:
            raise InvalidArgument(f"cannot slice [{start}, {stop}) on byte boundaries")
        data = self._data[start >> self._shift : (stop + per - 1) >> self._shift]
        new = StatusList.__new__(StatusList)
        new._setup(data, self._bits, self.aggregation_uri, False)
        return new

    # --- CBOR ----------------------------------------------------------------------------

    def to_cbor_map(self, *, compression: Compression = Compression.BEST) -> dict[str, object]:
        """The ``status_list`` map, keys in the draft's order (``bits``, ``lst``,
        ``aggregation_uri``), ``lst`` compressed at zlib level 9."""
        comp = zlib.compressobj(9, zlib.DEFLATED, 15, 8, compression.value)
        lst = comp.compress(self._data) + comp.flush()
        out: dict[str, object] = {"bits": self._bits, "lst": lst}
        if self.aggregation_uri is not None:
            out["aggregation_uri"] = self.aggregation_uri
        return out

    def to_cbor(self, *, compression: Compression = Compression.BEST) -> bytes:
        """The encoded ``status_list`` map (the draft's "Status List in CBOR Format")."""
        return dumps_in_order(self.to_cbor_map(compression=compression))

    @classmethod
    def from_cbor_map(
        cls, item: object, *, max_entries: int = DEFAULT_MAX_ENTRIES, readonly: bool = False
    ) -> StatusList:
        """Decode a ``status_list`` map already parsed from CBOR. ``max_entries`` is the most
        entries expected: the list inflates to ``list_cap(max_entries, bits)`` bytes at most.
        Raises ``StatusListInvalid`` (shape, ``bits``, unknown keys), ``TooLarge`` (more
        entries than ``max_entries``) or ``MalformedCompression``."""
        if not isinstance(item, Mapping):
            raise StatusListInvalid("status_list is not a map")
        unknown = [key for key in item if key not in ("bits", "lst", "aggregation_uri")]
        if unknown:
            raise StatusListInvalid(f"status_list has unknown keys {unknown!r}")
        bits = item.get("bits")
        if isinstance(bits, bool) or not isinstance(bits, int) or bits not in _SHIFT:
            raise StatusListInvalid(f"status_list bits must be 1, 2, 4 or 8, not {bits!r}")
        lst = item.get("lst")
        if not isinstance(lst, bytes):
            raise StatusListInvalid("status_list lst is missing or not a byte string")
        aggregation_uri = item.get("aggregation_uri")
        if aggregation_uri is not None and not isinstance(aggregation_uri, str):
            raise StatusListInvalid("status_list aggregation_uri is not text")
        new = cls.__new__(cls)
        limit = list_cap(max_entries, bits)
        new._setup(inflate_bounded(lst, limit), bits, aggregation_uri, readonly)
        return new

    @classmethod
    def from_cbor(
        cls,
        data: bytes,
        *,
        max_bytes: int = MAX_STATUS_LIST_CBOR_BYTES,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> StatusList:
        """Decode an encoded ``status_list`` map (strict CBOR, ``len(data) <= max_bytes``, at
        most ``max_entries`` entries). Unsigned: use
        :func:`qrseal.status.token.verify_status_list` for anything received."""
        try:
            item = strict_loads(data, max_bytes=max_bytes, max_depth=2)
        except MalformedCbor as exc:
            raise StatusListInvalid(f"status_list is not strict CBOR: {exc.message}") from exc
        return cls.from_cbor_map(item, max_entries=max_entries)
