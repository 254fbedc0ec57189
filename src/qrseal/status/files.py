"""A folder of Status List Tokens loaded as a verifier's snapshots.

An offline verifier receives its status lists as files (``qrseal verify --status DIR``, an
app that syncs a folder). :func:`snapshots_from_dir` verifies each token in a folder against
a trust store and keeps the good ones in a :class:`~qrseal.status.snapshots.StatusSnapshots`;
a bad token is skipped and reported, so one damaged file cannot deny the verifier the others.
Time is an argument; nothing here reads the clock.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from ..errors import QrsealError, StorageFailed, TooLarge
from ..trust.store import TrustStore
from ..wire.cose import Algorithm, HeaderLabel, decode_sign1
from .lists import DEFAULT_MAX_ENTRIES
from .snapshots import StatusSnapshots
from .token import DEFAULT_STATUS_ALGORITHMS, STATUS_LIST_TYP, token_cap, verify_status_list

__all__ = ["OnSkip", "is_status_token", "snapshots_from_dir"]

#: Called with the path and the error of each file :func:`snapshots_from_dir` leaves out.
OnSkip = Callable[[Path, QrsealError], None]

_ZERO: Final = timedelta(0)
# The CBOR head of tag 18 (COSE_Sign1): the first byte of every Status List Token.
_SIGN1_HEAD: Final = b"\xd2"


def is_status_token(data: bytes) -> bool:
    """Whether ``data`` is a COSE_Sign1 whose protected ``typ`` names a status list (the
    signature is not checked here). A damaged COSE_Sign1 counts, so that verification
    reports it; other files a folder may hold (keys, an aggregation, trust lists) do not."""
    if not data.startswith(_SIGN1_HEAD):
        return False
    try:
        msg = decode_sign1(data, max_bytes=len(data))
    except QrsealError:
        return True
    return msg.protected.get(HeaderLabel.TYP) == STATUS_LIST_TYP


def snapshots_from_dir(
    directory: str | os.PathLike[str],
    trust: TrustStore,
    *,
    now: datetime,
    expiry_grace: timedelta = _ZERO,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    on_skip: OnSkip | None = None,
    allowed: frozenset[Algorithm] = DEFAULT_STATUS_ALGORITHMS,
) -> StatusSnapshots:
    """The Status List Tokens in ``directory`` as :class:`StatusSnapshots`, each verified
    with the keys of ``trust`` (:meth:`~qrseal.trust.store.TrustStore.status_key_resolver`)
    at ``now``, so each is held for the issuer of the key that signed it.

    Every regular, non-hidden file that is a COSE_Sign1 with the status-list ``typ``
    (:func:`is_status_token`) is taken; other files are ignored. A token that does not verify
    (tampered, unknown key, its key not allowed to sign at its ``iat``, expired beyond
    ``expiry_grace``, more entries than ``max_entries``, larger than
    :func:`~qrseal.status.token.token_cap` of ``max_entries``) or cannot be read is left out
    and passed to ``on_skip`` (an unreadable file as ``StorageFailed``): the credentials it
    covers then have no snapshot, and the verifier's policy decides. Raises
    ``StorageFailed`` when the folder itself cannot be read. ``allowed``: the algorithms a
    token may be signed with (a verifier passes its policy's).
    """
    folder = Path(directory)
    resolver = trust.status_key_resolver()
    cap = token_cap(max_entries)
    # Added one by one, so that a list replaced by a newer one is dropped at once: memory is
    # the lists held plus one token, whatever the folder holds.
    snapshots = StatusSnapshots(expiry_grace=expiry_grace)
    try:
        paths = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise StorageFailed(f"cannot read {folder}: {exc.strerror}", path=str(folder)) from exc
    for path in paths:
        try:
            # TODO(lead, issue 10): read through trust.persistence.read_regular_file (no
            # symlinks or FIFOs, size capped while reading) once it lands; until then the
            # file is stat'ed, then read.
            if not path.is_file():
                continue
            size = path.stat().st_size
            if size > cap:
                raise TooLarge(
                    f"{size} bytes exceed the cap", what="status_list_token", limit=cap, actual=size
                )
            data = path.read_bytes()
            if not is_status_token(data):
                continue
            verified = verify_status_list(
                data,
                keys=resolver,
                now=now,
                expiry_grace=expiry_grace,
                max_bytes=cap,
                max_entries=max_entries,
                allowed=allowed,
            )
            del data
            snapshots = snapshots.with_list(verified)
        except OSError as exc:
            _skip(on_skip, path, StorageFailed(f"{exc.strerror}", path=str(path)))
        except QrsealError as exc:
            _skip(on_skip, path, exc)
    return snapshots


def _skip(on_skip: OnSkip | None, path: Path, error: QrsealError) -> None:
    if on_skip is not None:
        on_skip(path, error)
