"""``qrseal batch issue``: a file of licence records -> credentials, on all cores or a Dask
cluster, resumable (run the same command again after a crash or Ctrl-C).

    qrseal batch issue --in records.jsonl --out credentials.jsonl --issuer CN-SC \\
        (--key issuer.key | --pkcs11 URI) [--status-template URI --status-dir DIR] \\
        [--engine process|serial|dask] [--png-dir DIR]

The batch machinery (:mod:`qrseal.batch`) loads only when the command runs.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from .args import UsageError, add_now_option, now_of, parse_duration, parse_index
from .args import parse_positive_int as _positive
from .files import STDIO, FileKind, add_file_argument
from .signing import add_signer_options, signing_source_of

__all__ = ["add_batch_commands", "run_batch"]

_ENGINES = ("process", "serial", "dask")


def add_batch_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``batch issue`` to the ``qrseal`` parser."""
    parser = subparsers.add_parser("batch", help="issue credentials for a file of records")
    sub = parser.add_subparsers(dest="batch_command", required=True)
    p = sub.add_parser(
        "issue",
        help="records (.jsonl or .csv) -> one credential line or one reject line each; "
        "resumable: run it again after a crash",
    )
    add_file_argument(
        p,
        "--in",
        dest="source",
        kind=FileKind.INPUT,
        what="records: .jsonl or .csv",
        required=True,
    )
    add_file_argument(
        p,
        "--out",
        kind=FileKind.OUTPUT,
        what="credentials, one JSON line per record",
        required=True,
    )
    add_file_argument(
        p,
        "--rejects",
        kind=FileKind.OUTPUT,
        what="rejected records with their reason (default OUT.rejects)",
    )
    p.add_argument("--issuer", required=True, help="issuer name (CWT iss)")
    add_signer_options(p, key_help="issuer private key PEM")
    p.add_argument("--valid-for", type=parse_duration, default=timedelta(hours=72))
    p.add_argument(
        "--status-template",
        metavar="URI",
        help="status list URI with {shard}: allocates one status entry per record",
    )
    p.add_argument("--status-shard-size", type=_positive, default=1 << 20, metavar="N")
    p.add_argument(
        "--status-start", type=parse_index, default=0, metavar="G",
        help="global status index of the first record (give each batch its own range)",
    )  # fmt: skip
    add_file_argument(
        p,
        "--status-dir",
        kind=FileKind.OUTPUT_DIR,
        what="the batch's status lists, created and signed here",
    )
    add_file_argument(
        p, "--png-dir", kind=FileKind.OUTPUT_DIR, what="one QR PNG per credential, drawn here"
    )
    p.add_argument("--engine", choices=_ENGINES, default="process")
    p.add_argument("--workers", type=_positive, help="worker processes (default: all cores)")
    p.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    p.add_argument("--chunk-size", type=_positive, default=1000, help="records per chunk")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_now_option(p)


def run_batch(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``batch issue``; exit 0 when every record was issued, 1 when some were rejected."""
    from ..batch import Engine, StatusAllocation, issue_batch  # loads only when run
    from ..status.reference import ShardScheme

    if args.status_dir and not args.status_template:
        raise UsageError("--status-dir needs --status-template")
    # The records are read (and re-read on resume) from a file: check it up front.
    source = Path(args.source)
    if args.source == STDIO or not source.is_file():
        raise UsageError(
            f"--in {args.source}: not a records file (a batch reads a file it can re-read)"
        )
    if source.stat().st_size == 0:
        raise UsageError(f"--in {args.source} holds no records")
    status = (
        StatusAllocation(
            ShardScheme(args.status_template, args.status_shard_size), args.status_start
        )
        if args.status_template
        else None
    )
    report = issue_batch(
        args.source,
        args.out,
        signer=signing_source_of(args),
        issuer=args.issuer,
        now=now_of(args),
        valid_for=args.valid_for,
        rejects=args.rejects,
        status=status,
        status_dir=args.status_dir,
        png_dir=args.png_dir,
        engine=Engine(args.engine),
        workers=args.workers,
        scheduler=args.scheduler,
        chunk_size=args.chunk_size,
        progress=not args.no_progress,
    )
    print(
        f"{report.records} records: {report.issued} issued, {report.rejected} rejected "
        f"({report.chunks_issued} chunks issued now, {report.chunks_skipped} already done); "
        f"{len(report.status_tokens)} status list tokens",
        file=out,
    )
    return 0 if report.rejected == 0 else 1
