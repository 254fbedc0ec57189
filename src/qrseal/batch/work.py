"""The work of one chunk, the same on every engine: parse each record, sign it, and return
the chunk's output lines and reject lines as text. Runs in worker processes (or Dask
workers), so everything it receives is a picklable value.

Each worker process keeps the issuer of the last settings it saw (one entry: opening a
PKCS#11 session and logging in per chunk would cost more than signing it). That cache is
the one piece of state here, per process and bounded.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import load_der_private_key

from ..errors import InputError, InvalidArgument, InvalidKey, QrsealError, ValidityError
from ..issuer import Credential, Issuer
from ..licence.model import Licence
from ..status.reference import ShardScheme, StatusReference
from ..wire.keys import PrivateKey, Signer
from .records import Chunk, InputFormat, RawRecord, parse_record

if TYPE_CHECKING:
    from ..wire.pkcs11 import TokenKey

__all__ = ["ChunkResult", "IssueSettings", "StatusAllocation", "issue_chunk", "reject_line"]


@dataclass(frozen=True, slots=True)
class StatusAllocation:
    """The status-list entries given to a batch: record ``ordinal`` gets the global index
    ``start + ordinal`` of ``scheme`` (a rejected record leaves its index unused)."""

    scheme: ShardScheme
    start: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.start, bool) or not isinstance(self.start, int) or self.start < 0:
            raise InvalidArgument("the first status index must be a whole number >= 0")

    def index(self, ordinal: int) -> int:
        """The global index of record ``ordinal``."""
        return self.start + ordinal

    def reference(self, ordinal: int) -> StatusReference:
        """The status reference record ``ordinal`` carries."""
        return self.scheme.reference(self.start + ordinal)


@dataclass(frozen=True, slots=True)
class IssueSettings:
    """What every chunk of one batch is issued with. ``key`` is a private key as PKCS#8 DER
    (picklable, for worker processes), a :class:`~qrseal.wire.pkcs11.TokenKey` (each worker
    opens its own session) or a :class:`~qrseal.wire.keys.Signer` object (in-process engine
    only). ``png_dir`` asks for one QR PNG per credential there."""

    key: bytes | TokenKey | Signer = field(repr=False)
    issuer: str
    now: datetime
    valid_for: timedelta
    fmt: InputFormat
    status: StatusAllocation | None = None
    png_dir: str | None = None


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """A chunk's outcome: its output and reject lines (newline-terminated text) and counts,
    the ids of the issued records with their input lines (the duplicate check needs them)
    and the input lines of the rejects, each in output order."""

    number: int
    digest: str
    output: str
    rejects: str
    issued: int
    rejected: int
    ids: tuple[str, ...] = ()
    id_lines: tuple[int, ...] = ()
    reject_lines: tuple[int, ...] = ()


# The last settings' issuer, per process (see module doc), by (key or Signer's id, issuer).
_CACHE: dict[tuple[object, str], Issuer] = {}


def _signer(key: bytes | TokenKey | Signer) -> Signer | PrivateKey:
    if isinstance(key, bytes):
        try:
            private = load_der_private_key(key, password=None)
        except (ValueError, TypeError) as exc:
            raise InvalidKey(f"cannot load the batch key: {exc}") from exc
        if not isinstance(private, PrivateKey):
            raise InvalidKey(f"unsupported key type {type(private).__name__}")
        return private
    if isinstance(key, Signer):
        return key
    return key.open()


def _issuer(settings: IssueSettings) -> Issuer:
    key = settings.key
    ident = (id(key) if isinstance(key, Signer) else key, settings.issuer)
    issuer = _CACHE.get(ident)
    if issuer is None:
        for old in _CACHE.values():
            close = getattr(old.signer, "close", None)
            if callable(close):
                close()
        _CACHE.clear()
        issuer = Issuer(signer=_signer(key), issuer=settings.issuer)
        _CACHE[ident] = issuer
    return issuer


def _write_png(directory: str, name: str, text: str) -> str:
    from ..qr.render import render_png  # image libraries load only when PNGs are asked for

    target = Path(directory) / name
    tmp = target.with_name(f".{name}.tmp")
    tmp.write_bytes(render_png(text))
    os.replace(tmp, target)
    return name


def issue_chunk(settings: IssueSettings, chunk: Chunk) -> ChunkResult:
    """Issue every record of ``chunk``: a record that is malformed, invalid or outside its
    validity becomes a reject line with its reason; any other error (the key, the token,
    the disk) stops the chunk, and so the batch, to be resumed."""
    issuer = _issuer(settings)
    out: list[str] = []
    rejects: list[tuple[int, str]] = []  # (input line, reject line), put in input order
    parsed: list[tuple[RawRecord, str, StatusReference | None]] = []
    requests: list[tuple[Licence, StatusReference | None]] = []
    ids: list[str] = []
    id_lines: list[int] = []
    for raw in chunk.records:
        record_id: str | None = None
        try:
            record_id, data = parse_record(raw, settings.fmt)
            licence = Licence.from_json(data)
            status = None if settings.status is None else settings.status.reference(raw.ordinal)
        except (InputError, ValidityError) as exc:
            rejects.append((raw.line, reject_line(record_id, raw.line, exc)))
            continue
        parsed.append((raw, record_id, status))
        requests.append((licence, status))
    # Signed in one run (Issuer.sign_each): the same bytes, without a cache-cold signer.
    signed = issuer.sign_each(requests, now=settings.now, valid_for=settings.valid_for)
    for (raw, record_id, status), result in zip(parsed, signed, strict=True):
        if not isinstance(result, Credential):
            rejects.append((raw.line, reject_line(record_id, raw.line, result)))
            continue
        text = result.text
        line: dict[str, object] = {"id": record_id, "credential": text}
        if status is not None:
            line["status_uri"], line["status_idx"] = status.uri, status.idx
        if settings.png_dir is not None:
            name = hashlib.sha256(record_id.encode()).hexdigest()[:32] + ".png"
            line["png"] = _write_png(settings.png_dir, name, text)
        out.append(json.dumps(line, ensure_ascii=False) + "\n")
        ids.append(record_id)
        id_lines.append(raw.line)
    rejects.sort(key=lambda entry: entry[0])
    return ChunkResult(
        chunk.number,
        chunk.digest,
        "".join(out),
        "".join(text for _, text in rejects),
        len(out),
        len(rejects),
        tuple(ids),
        tuple(id_lines),
        tuple(number for number, _ in rejects),
    )


def reject_line(record_id: str | None, line: int, exc: QrsealError) -> str:
    """The reject line of a record: its id (None when unreadable), input line, the stable
    reason code and the message."""
    entry = {"id": record_id, "line": line, "reason": exc.reason.value, "message": exc.message}
    return json.dumps(entry, ensure_ascii=False) + "\n"
