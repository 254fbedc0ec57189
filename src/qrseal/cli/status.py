"""``qrseal status``: create, edit, sign and check Token Status Lists (docs/format.md §15).

    qrseal status init LIST --entries N [--bits 2]
    qrseal status set LIST INDEX=VALUE [INDEX=VALUE ...]      VALUE: 0-255, valid, revoked, suspended
    qrseal status publish LIST --key ISSUER.key --uri URI --out TOKEN [--ttl 12h] [--valid-for 1d]
    qrseal status show TOKEN --key ISSUER.pub.pem [--index I ...] [--max-entries N] [--json]

A list file holds the ``status_list`` CBOR map (``{"bits", "lst"}``, unsigned); ``publish``
signs it as a Status List Token; ``show`` verifies a token offline and prints a summary or
the status of given indices. :func:`status_snapshots_from_dir` loads a folder of tokens for
``qrseal verify --status DIR`` (:func:`qrseal.status.files.snapshots_from_dir`, reporting
the files it leaves out).

``cli.make_parser`` calls :func:`add_status_commands` and dispatches ``status`` to
:func:`run_status`. Exit codes as for the main CLI: 0 success, 1 a
:class:`~qrseal.errors.QrsealError` (its reason printed), 2 usage error. ``main(argv)`` runs
these commands on their own, in-process (tests).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from ..errors import QrsealError
from ..status.files import snapshots_from_dir
from ..status.lists import (
    ALLOWED_BITS,
    DEFAULT_MAX_ENTRIES,
    MAX_SINGLE_LIST_ENTRIES,
    Compression,
    StatusList,
    StatusType,
)
from ..status.reference import StatusReference
from ..status.snapshots import DEFAULT_MEANINGS, StatusSnapshots, WhenUnavailable, signer_issuer
from ..status.token import (
    DEFAULT_STATUS_ALGORITHMS,
    VerifiedStatusList,
    sign_status_list,
    verify_status_list,
)
from ..trust.store import TrustStore
from ..wire.algorithms import Algorithm, spec
from ..wire.cose import PublicKey
from .args import UsageError as _UsageError
from .args import add_allow_alg_option, add_json_option, add_now_option, allowed_of
from .args import now_of as _now
from .args import parse_duration_or_zero as _parse_duration
from .exits import setup_step
from .files import STDIO, FileKind, add_file_argument, read_input, refuse_existing, write_output
from .keyfiles import public_key_file
from .signing import add_signer_options, open_signer_of

__all__ = [
    "add_max_entries_option",
    "add_status_commands",
    "run_status",
    "status_snapshots_from_dir",
    "summary",
]

_VALUE_NAMES = {
    "valid": StatusType.VALID,
    "invalid": StatusType.INVALID,
    "revoked": StatusType.INVALID,
    "suspended": StatusType.SUSPENDED,
}
# Above this many entries "auto" compresses with Z_RLE: zlib's default strategy takes minutes
# on a dense list of hundreds of millions of entries, for a few percent less size.
_AUTO_RLE_ENTRIES = 1 << 22
# No count on the command line is larger (and a float beyond it loses whole numbers).
_MAX_COUNT = 10**12


# --- argument parsing helpers (the CLI is the one place loose strings are parsed) --------------


def _parse_count(value: str) -> int:
    try:
        number = float(value) if any(c in value for c in ".eE") else int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of entries: {value!r}") from exc
    if number < 0 or number != int(number):
        raise argparse.ArgumentTypeError(f"not a whole, non-negative number: {value!r}")
    if number > _MAX_COUNT:
        raise argparse.ArgumentTypeError(f"too large: {value} (at most {_MAX_COUNT:.0e})")
    return int(number)


def _parse_assignment(text: str) -> tuple[int, int]:
    index, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected INDEX=VALUE, got {text!r}")
    try:
        idx = int(index)
        status = _VALUE_NAMES[value.lower()] if value.lower() in _VALUE_NAMES else int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected INDEX=VALUE, got {text!r}") from exc
    return idx, int(status)


def _read(path: str, what: str) -> bytes:
    return read_input(path, what=what)


def _write_atomic(path: str, data: bytes) -> None:
    if path == STDIO:
        write_output(path, data, what="status list output")
        return
    if Path(path).is_dir():
        raise _UsageError(f"cannot write {path}: it is a folder; give a file name")
    if not Path(path).parent.is_dir():
        raise _UsageError(f"cannot write {path}: the folder {Path(path).parent} does not exist")
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as exc:
        raise _UsageError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # lists and tokens are public; mkstemp makes files owner-only
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _UsageError(f"cannot write {path}: {exc.strerror}") from exc


def _compression(name: str, status_list: StatusList) -> Compression:
    if name == "auto":
        return Compression.RLE if len(status_list) > _AUTO_RLE_ENTRIES else Compression.BEST
    return Compression[name.upper()]


def _meaning(status: int, unknown: str = "application-specific") -> str:
    meaning = DEFAULT_MEANINGS.get(status)
    return unknown if meaning is None else meaning.value


# --- commands ----------------------------------------------------------------------------------


def _cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    refuse_existing(args.list, what="status list file", force=args.force)
    status_list = StatusList(args.entries, args.bits, aggregation_uri=args.aggregation_uri)
    _write_atomic(args.list, status_list.to_cbor(compression=_compression("auto", status_list)))
    print(
        f"{args.list}: {len(status_list)} entries x {status_list.bits} bits, all valid",
        file=sys.stderr if args.list == STDIO else out,  # standard output holds the list
    )
    return 0


def _own_list(path: str) -> StatusList:
    # The issuer's own list file (made by init): as large as one unsharded national list.
    if path == STDIO:
        raise _UsageError("the status list file is read and rewritten: give a file name")
    data = _read(path, "status list file")
    with setup_step(f"{path} is not a status list file (made by status init)"):
        return StatusList.from_cbor(data, max_entries=MAX_SINGLE_LIST_ENTRIES)


def _cmd_set(args: argparse.Namespace, out: TextIO) -> int:
    status_list = _own_list(args.list)
    for idx, value in args.assignments:
        status_list.set(idx, value)
    _write_atomic(args.list, status_list.to_cbor(compression=_compression("auto", status_list)))
    for idx, value in args.assignments:
        print(f"{idx} = {value} ({_meaning(value)})", file=out)
    return 0


def _cmd_publish(args: argparse.Namespace, out: TextIO) -> int:
    status_list = _own_list(args.list)
    with open_signer_of(args) as signer:
        token = sign_status_list(
            status_list,
            signer=signer,
            uri=args.uri,
            now=_now(args),
            ttl=args.ttl or None,
            valid_for=args.valid_for or None,
            issuer=args.issuer,
            compression=_compression(args.compression, status_list),
        )
    _write_atomic(args.out, token)
    print(
        f"{args.out}: {len(token)} bytes, {len(status_list)} entries x {status_list.bits} bits, "
        f"kid {signer.kid.hex()}",
        file=sys.stderr if args.out == STDIO else out,  # standard output holds the token
    )
    return 0


def _resolver(keys: Sequence[PublicKey]) -> Callable[[bytes | None], Iterable[PublicKey]]:
    # The user named the keys to check against, so every one is a candidate whatever the kid.
    def resolve(kid: bytes | None) -> Iterable[PublicKey]:
        return keys

    return resolve


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    if not args.key:
        raise _UsageError("give at least one --key PUBLIC_KEY.pem to verify against")
    keys = [public_key_file(path, option="--key") for path in args.key]
    now = _now(args)
    verified = verify_status_list(
        _read(args.token, "status list token"),
        keys=_resolver(keys),
        now=now,
        expected_uri=args.uri,
        expiry_grace=args.expiry_grace,
        max_entries=args.max_entries,
        allowed=allowed_of(args),
    )
    snapshots = StatusSnapshots([verified], expiry_grace=args.expiry_grace)
    lookups: dict[int, int] = {}
    for idx in args.index:
        if idx >= len(verified.status_list):
            raise _UsageError(
                f"--index {idx} is outside the list ({len(verified.status_list)} entries: "
                f"0 to {len(verified.status_list) - 1})"
            )
        ref = StatusReference(verified.uri, idx)
        result = snapshots.lookup(
            ref,
            now=now,
            max_age=None,
            when_unavailable=WhenUnavailable.WARN,
            issuer=signer_issuer(verified),
        )
        if result.status is not None:
            lookups[idx] = result.status
    if args.json:
        json.dump(_to_json(verified, lookups), out, indent=2)
        print(file=out)
    else:
        print(summary(verified, lookups), file=out)
    return 0


def status_snapshots_from_dir(
    directory: str | os.PathLike[str],
    trust: TrustStore,
    *,
    now: datetime,
    expiry_grace: timedelta = timedelta(0),
    max_entries: int = DEFAULT_MAX_ENTRIES,
    errors: TextIO | None = None,
    allowed: frozenset[Algorithm] = DEFAULT_STATUS_ALGORITHMS,
) -> StatusSnapshots:
    """The Status List Tokens in ``directory`` as :class:`StatusSnapshots` (``qrseal verify
    --status DIR``): :func:`qrseal.status.files.snapshots_from_dir`, each token left out
    reported on ``errors`` as ``qrseal: ignoring status list NAME: REASON: MESSAGE``. Raises
    ``StorageFailed`` when the folder cannot be read."""

    def report(path: Path, error: QrsealError) -> None:
        if errors is not None:
            print(
                f"qrseal: ignoring status list {path.name}: {error.reason.value}: {error.message}",
                file=errors,
            )

    return snapshots_from_dir(
        directory,
        trust,
        now=now,
        expiry_grace=expiry_grace,
        max_entries=max_entries,
        on_skip=report,
        allowed=allowed,
    )


# --- output ------------------------------------------------------------------------------------


def _to_json(verified: VerifiedStatusList, lookups: dict[int, int]) -> dict[str, Any]:
    status_list = verified.status_list
    return {
        "uri": verified.uri,
        "issuer": verified.issuer,
        "issued_at": verified.issued_at.isoformat(),
        "expires_at": verified.expires_at.isoformat() if verified.expires_at else None,
        "ttl_seconds": int(verified.ttl.total_seconds()) if verified.ttl else None,
        "kid": verified.kid.hex() if verified.kid is not None else None,
        "algorithm": spec(verified.algorithm).name,
        "bits": status_list.bits,
        "entries": len(status_list),
        "aggregation_uri": status_list.aggregation_uri,
        "counts": {str(k): v for k, v in status_list.counts().items()},
        "lookups": {str(k): {"status": v, "meaning": _meaning(v)} for k, v in lookups.items()},
    }


def summary(verified: VerifiedStatusList, lookups: dict[int, int] | None = None) -> str:
    """A human-readable summary of a verified Status List Token."""
    status_list = verified.status_list
    counts = ", ".join(
        f"{_meaning(value, str(value))} {count:,}" for value, count in status_list.counts().items()
    )
    expiry = f"{verified.expires_at:%Y-%m-%d %H:%MZ}" if verified.expires_at else "no exp"
    rows = [
        ("uri", verified.uri),
        ("issued", f"{verified.issued_at:%Y-%m-%d %H:%MZ}, valid until {expiry}"),
    ]
    if verified.refresh_after is not None and verified.ttl is not None:
        rows.append(
            (
                "ttl",
                f"{int(verified.ttl.total_seconds())} s "
                f"(refresh after {verified.refresh_after:%Y-%m-%d %H:%MZ})",
            )
        )
    if verified.issuer is not None:
        rows.append(("issuer", verified.issuer))
    kid = verified.kid.hex() if verified.kid is not None else "none"
    rows.append(("key", f"kid {kid}, {spec(verified.algorithm).name}"))
    rows.append(
        (
            "entries",
            f"{len(status_list):,} x {status_list.bits} bits "
            f"({len(status_list.packed):,} bytes packed)",
        )
    )
    rows.append(("counts", counts or "empty list"))
    for idx, value in (lookups or {}).items():
        rows.append((f"index {idx}", f"{value} ({_meaning(value)})"))
    width = max(11, *(len(label) + 2 for label, _ in rows))
    lines = ["VALID  status list token, signature verified offline"]
    lines += [f"  {label:<{width}}{value}" for label, value in rows]
    return "\n".join(lines)


# --- parser ------------------------------------------------------------------------------------


def add_status_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``status`` command (with ``init``, ``set``, ``publish``, ``show``) to the
    sub-command set of the ``qrseal`` parser."""
    parser = subparsers.add_parser("status", help="Token Status Lists: init, set, publish, show")
    sub = parser.add_subparsers(dest="status_command", required=True)

    p = sub.add_parser("init", help="create a list file of N entries, all valid")
    add_file_argument(
        p,
        "list",
        kind=FileKind.OUTPUT,
        what="status list file to write",
        help="status list file to write (CBOR status_list map)",
    )
    p.add_argument(
        "--entries", type=_parse_count, required=True, help="number of entries, e.g. 1000000 or 5e8"
    )
    p.add_argument("--bits", type=int, choices=ALLOWED_BITS, default=2, help="bits per entry")
    p.add_argument("--aggregation-uri", help="URI of the Status List Aggregation to name")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(status_handler=_cmd_init)

    p = sub.add_parser("set", help="set entries: INDEX=VALUE (0-255, valid, revoked, suspended)")
    add_file_argument(p, "list", kind=FileKind.INPUT, what="status list file to change")
    p.add_argument("assignments", nargs="+", type=_parse_assignment, metavar="INDEX=VALUE")
    p.set_defaults(status_handler=_cmd_set)

    p = sub.add_parser("publish", help="sign a list file as a Status List Token")
    add_file_argument(p, "list", kind=FileKind.INPUT, what="status list file")
    add_signer_options(p, key_help="issuer private key PEM")
    p.add_argument("--uri", required=True, help="the list's URI (the token's sub)")
    add_file_argument(p, "--out", kind=FileKind.OUTPUT, what="token file to write", required=True)
    p.add_argument("--issuer", help="issuer name (CWT iss), optional")
    p.add_argument(
        "--ttl", type=_parse_duration, default=timedelta(hours=12), help="cache lifetime (0: none)"
    )
    p.add_argument(
        "--valid-for",
        type=_parse_duration,
        default=timedelta(days=1),
        help="exp = now + this (0: no exp)",
    )
    p.add_argument(
        "--compression",
        choices=["auto", *(c.name.lower() for c in Compression)],
        default="auto",
        help="zlib strategy: best, rle, or auto (best up to 4,194,304 entries, rle above)",
    )
    add_now_option(p)
    p.set_defaults(status_handler=_cmd_publish)

    p = sub.add_parser("show", help="verify a Status List Token offline; summary or lookups")
    add_file_argument(p, "token", kind=FileKind.INPUT, what="Status List Token file", subject=True)
    add_file_argument(
        p,
        "--key",
        kind=FileKind.INPUT,
        what="issuer public key PEM",
        action="append",
        default=[],
        help="issuer public key PEM (repeatable)",
    )
    p.add_argument("--uri", help="require this URI (the token's sub)")
    add_allow_alg_option(p)
    p.add_argument(
        "--index",
        type=_parse_count,
        action="append",
        default=[],
        help="print this entry (repeatable)",
    )
    p.add_argument(
        "--expiry-grace",
        type=_parse_duration,
        default=timedelta(0),
        help="accept the token this long after its exp",
    )
    add_max_entries_option(p, "--max-entries")
    add_json_option(p)
    add_now_option(p)
    p.set_defaults(status_handler=_cmd_show)


def add_max_entries_option(parser: argparse.ArgumentParser, flag: str) -> None:
    """The option that bounds how many entries a received status list may have (its inflate
    cap): one shard by default; a single national list is an explicit opt-in."""
    parser.add_argument(
        flag,
        type=_parse_count,
        default=DEFAULT_MAX_ENTRIES,
        metavar="N",
        help=f"refuse a status list of more than N entries (default {DEFAULT_MAX_ENTRIES:,}, one "
        f"shard; a single national list needs e.g. {MAX_SINGLE_LIST_ENTRIES})",
    )


def run_status(args: argparse.Namespace, out: TextIO) -> int:
    """Run a parsed ``status`` command (the handler for ``cli._COMMANDS["status"]``); errors
    propagate to ``cli.main``, which maps them to exit codes (:mod:`qrseal.cli.exits`)."""
    handler: Callable[[argparse.Namespace, TextIO], int] = args.status_handler
    return handler(args, out)
