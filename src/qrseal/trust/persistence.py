"""Keeping a trust list on disk: :func:`read_regular_file`, :func:`write_atomic` (the
project's one atomic write, with fsync of the file and its directory) and the verifier app's
rollback-proof :class:`TrustListStore` (docs/format.md §14.3, §14.7).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from ..errors import (
    InvalidArgument,
    StorageFailed,
    TooLarge,
    TrustListMismatch,
    TrustListMissing,
    TrustListRollback,
    TrustListSequenceJump,
)
from ..wire.keys import require_keyword
from .codec import MAX_TRUST_LIST_BYTES
from .model import TrustList
from .signed import Roots, load_signed, pinned_roots, verify_signed
from .store import PinnedRoot, TrustStore

__all__ = ["MAX_SEQUENCE_JUMP", "TrustListStore", "read_regular_file", "write_atomic"]

#: Default cap on how far one update may raise the held sequence number (a publisher adds 1
#: per version: a million versions is one a minute for two years of an app offline). Without
#: a cap, one list numbered 2**63 - 1 would lock out every later list of its root.
MAX_SEQUENCE_JUMP: Final = 1 << 20


_READ_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a symlink is refused (ELOOP), not followed
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO or a device cannot block
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_CHUNK: Final = 1 << 20


def read_regular_file(path: str | os.PathLike[str], *, max_bytes: int) -> bytes | None:
    """The bytes of the regular file at ``path``, None when there is none.

    The file is opened without following a symlink and without blocking, and checked to be
    a regular file of at most ``max_bytes`` before a byte is read: a symlink, a FIFO, a
    device or a huge sparse file costs neither time nor memory. Raises ``StorageFailed``
    (not a regular file, or an I/O error) or ``TooLarge``.
    """
    name = os.fspath(path)
    try:
        fd = os.open(name, _READ_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP for a symlink
        raise StorageFailed(f"cannot open {name}: {exc.strerror}", path=name) from exc
    except ValueError as exc:  # a NUL in the path
        raise StorageFailed(f"cannot open {name!r}: {exc}", path=name) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StorageFailed(f"{name} is not a regular file", path=name)
        if info.st_size > max_bytes:
            raise TooLarge(
                f"{name} holds {info.st_size} bytes, more than {max_bytes}",
                what="file",
                limit=max_bytes,
                actual=info.st_size,
            )
        # The size is a hint (a file may grow, or lie about its size): the reads are capped.
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise StorageFailed(f"cannot read {name}: {exc.strerror}", path=name) from exc
    finally:
        os.close(fd)
    raise TooLarge(f"{name} holds more than {max_bytes} bytes", what="file", limit=max_bytes)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file:
    temp file in the same directory, flush + fsync, ``os.replace``, fsync the directory.
    Raises ``StorageFailed`` (the old file is then untouched)."""
    target = Path(path)
    directory = target.parent
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
        if os.name == "posix":  # directories cannot be opened for fsync on Windows
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        raise StorageFailed(
            f"cannot write {target}: {exc.strerror or exc}", path=str(target)
        ) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@dataclass(frozen=True, slots=True)
class _Held:
    """A verified list with the root that signed it and its exact bytes."""

    tl: TrustList
    root: PinnedRoot
    raw: bytes

    def order(self) -> tuple[datetime, int]:
        # Later roots first, then sequence numbers (docs/format.md §14.7).
        return (self.root.generation, self.tl.sequence)


class TrustListStore:
    """The verifier app's current trust list, kept in one file.

    :meth:`load` at start (signature checked, time not: an old list is still better than
    none, and :meth:`trust_store` applies the expiry policy); :meth:`update` when online.
    The file is the rollback floor: :meth:`update` reads it again, so a list older than the
    stored one is refused whether or not :meth:`load` ran first (docs/format.md §14.3).

    ``root``: the pinned root key(s), bare or as :class:`PinnedRoot` with a
    validity window (root rotation, docs/format.md §14.7). ``max_bytes`` caps the stored file
    and every token; ``max_sequence_jump`` caps how far one update may raise the sequence
    number. Raises ``InvalidArgument``.
    """

    __slots__ = ("_held", "_max_bytes", "_max_jump", "_path", "_roots")

    def __init__(
        self,
        path: str | os.PathLike[str],
        _root: Roots | None = None,
        /,
        *,
        root: Roots | None = None,
        max_bytes: int = MAX_TRUST_LIST_BYTES,
        max_sequence_jump: int = MAX_SEQUENCE_JUMP,
        root_public_key: Roots | None = None,
    ) -> None:
        if root_public_key is not None:
            warnings.warn(
                "TrustListStore(root_public_key=...) is deprecated: pass root=...",
                DeprecationWarning,
                stacklevel=2,
            )
            if _root is not None:
                raise InvalidArgument("TrustListStore: pass the root once")
            _root = root_public_key
        require_keyword(_root, root, name="root", owner="TrustListStore")
        roots = root if _root is None else _root
        if roots is None:
            raise InvalidArgument("TrustListStore needs root=")
        for name, value in (("max_bytes", max_bytes), ("max_sequence_jump", max_sequence_jump)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgument(f"{name} must be a positive integer")
        self._path = Path(path)
        self._roots = pinned_roots(roots)
        self._max_bytes = max_bytes
        self._max_jump = max_sequence_jump
        self._held: _Held | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def current(self) -> TrustList | None:
        """The list held now (None before the first load or update)."""
        return None if self._held is None else self._held.tl

    @property
    def root(self) -> PinnedRoot | None:
        """The pinned root that signed the held list (None when none is held)."""
        return None if self._held is None else self._held.root

    def _read(self) -> _Held | None:
        raw = read_regular_file(self._path, max_bytes=self._max_bytes)
        if raw is None:
            return None
        held = self._held
        if held is not None and raw == held.raw:
            return held
        verified = load_signed(raw, self._roots, self._max_bytes)
        return _Held(verified.trust_list, verified.root, raw)

    def load(self) -> TrustList | None:
        """Read and verify the stored list; None when there is none yet. The file must be a
        regular file (not a symlink, FIFO or device) of at most ``max_bytes``. Raises
        ``StorageFailed``, ``TooLarge`` or the errors of :func:`load_trust_list`."""
        stored = self._read()
        if stored is None:
            return None
        self._held = stored
        return stored.tl

    def _floor(self) -> _Held | None:
        # The higher of the file and what this store holds: the file is what a restart
        # loads, so it counts whether or not load() ran (and whoever wrote it since).
        stored, held = self._read(), self._held
        if stored is None or stored is held:
            return held
        if held is not None:
            if stored.tl.list_id != held.tl.list_id:
                raise TrustListMismatch(
                    f"the stored list {stored.tl.list_id!r} is not the held {held.tl.list_id!r}",
                    list_id=stored.tl.list_id,
                    held=held.tl.list_id,
                )
            if stored.order() <= held.order():
                return held
        self._held = stored
        return stored

    def _check_supersedes(self, new: _Held, floor: _Held) -> None:
        tl, held = new.tl, floor.tl
        if tl.list_id != held.list_id:
            raise TrustListMismatch(
                f"list {tl.list_id!r} is not the held list {held.list_id!r}",
                list_id=tl.list_id,
                held=held.list_id,
            )
        if new.root.generation != floor.root.generation:
            if new.root.generation < floor.root.generation:
                raise TrustListRollback(
                    f"list #{tl.sequence} is signed by a root older than the held list's",
                    sequence=tl.sequence,
                    held=held.sequence,
                )
            return  # a later root: its sequence numbers start afresh
        if tl.sequence <= held.sequence:
            raise TrustListRollback(
                f"sequence {tl.sequence} is not above the held {held.sequence}",
                sequence=tl.sequence,
                held=held.sequence,
            )
        if tl.sequence - held.sequence > self._max_jump:
            raise TrustListSequenceJump(
                f"sequence {tl.sequence} jumps more than {self._max_jump} above {held.sequence}",
                sequence=tl.sequence,
                held=held.sequence,
                max_jump=self._max_jump,
            )

    def update(self, token: bytes, *, now: datetime, grace: timedelta = timedelta(0)) -> TrustList:
        """Verify ``token`` and, if it supersedes the stored list, persist it atomically and
        make it current. The same bytes again are a no-op.

        The floor is the stored file (read again now) or the held list, whichever is newer.
        A list supersedes it if it has the same list id and either its root is later (a
        greater ``not_before``) or, with a root of the same generation, its sequence is above
        the held one by at most ``max_sequence_jump``.

        Raises the errors of :func:`verify_trust_list`, ``TrustListMismatch`` (another
        list id), ``TrustListRollback`` (sequence not above the held one, or an earlier
        root), ``TrustListSequenceJump``, and ``StorageFailed``/``TooLarge`` or the errors of
        :func:`load_trust_list` for a stored file that cannot serve as the floor. On any
        error nothing is written; the held list is then the newer of the stored one and the
        one held before.
        """
        verified = verify_signed(
            token, self._roots, now=now, grace=grace, max_bytes=self._max_bytes
        )
        tl = verified.trust_list
        new = _Held(tl, verified.root, token)
        floor = self._floor()
        if floor is not None:
            if token == floor.raw:
                return floor.tl
            self._check_supersedes(new, floor)
        write_atomic(self._path, token)
        self._held = new
        return tl

    def trust_store(self, *, now: datetime, grace: timedelta = timedelta(0)) -> TrustStore:
        """The current list as a :class:`TrustStore` that carries its validity (the list's
        expiry + ``grace``, its root's window): refused now, and by a
        :class:`~qrseal.verifier.Verifier` built from it at any later ``now``, once that
        no longer holds. Raises ``TrustListMissing``, ``TrustListExpired`` or
        ``KeyNotValidAtTime`` (the list's root)."""
        held = self._held
        if held is None:
            raise TrustListMissing(f"no trust list loaded from {self._path}")
        held.tl.validity(grace=grace, root=held.root).check(now)
        return held.tl.to_trust_store(grace=grace, root=held.root)
