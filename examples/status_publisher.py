"""Status publisher: build the status list of a batch of licences, revoke or suspend some, and
publish one signed Status List Token per shard plus the Status List Aggregation.

Every licence of the batch has a global index (0 .. entries-1) and carries, in its status
claim, the URI of its shard and its index inside that shard (``ShardScheme.reference``).
Changes come from a CSV file of ``global_index,status`` lines (status: a number, or
``valid``, ``revoked``, ``suspended``); ``--revoke-fraction`` additionally revokes a random
share of the batch, for trying the publisher out. Writes ``OUT/shard-<k>.cwt`` (one token per
shard), ``OUT/aggregation.json`` (``{"status_lists": [uri, ...]}``, draft §9.3) and, when no
``--key`` is given, a fresh key pair ``OUT/issuer.key`` / ``OUT/issuer.pub.pem``.

    python examples/status_publisher.py --entries 1000000 --out status-out \\
        --template "https://status.example.cn/dl/v1/{shard}" --changes changes.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qrseal import QrsealError, generate_private_key, load_private_key_pem
from qrseal.status.lists import Compression, StatusList, StatusType
from qrseal.status.reference import ShardScheme
from qrseal.status.token import sign_status_list
from qrseal.wire.keys import LocalSigner, private_key_to_pem, public_key_to_pem

_NAMES = {"valid": 0, "revoked": 1, "invalid": 1, "suspended": 2}


def read_changes(path: Path) -> list[tuple[int, int]]:
    """``(global index, status)`` pairs from a CSV file; blank lines and ``#`` comments skipped."""
    changes = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if not row or row[0].lstrip().startswith("#"):
                continue
            index, value = row[0].strip(), row[1].strip().lower()
            changes.append((int(index), _NAMES[value] if value in _NAMES else int(value)))
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, required=True, help="licences in the batch")
    parser.add_argument("--bits", type=int, choices=(1, 2, 4, 8), default=2)
    parser.add_argument("--shard-size", type=int, default=1 << 24, help="entries per shard")
    parser.add_argument(
        "--template",
        default="https://status.example.cn/dl/v1/{shard}",
        help="shard URI template containing {shard}",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the tokens")
    parser.add_argument("--key", type=Path, help="issuer private key PEM (default: a fresh key)")
    parser.add_argument("--issuer", help="issuer name for the tokens' iss claim")
    parser.add_argument("--changes", type=Path, help="CSV of global_index,status")
    parser.add_argument(
        "--revoke-fraction", type=float, default=0.0, help="also revoke this random share"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for --revoke-fraction")
    parser.add_argument("--ttl-hours", type=float, default=12.0)
    parser.add_argument("--valid-hours", type=float, default=48.0)
    parser.add_argument("--now", help="signing time, ISO 8601 with zone (default: now)")
    args = parser.parse_args(argv)
    try:
        return publish(args)
    except QrsealError as exc:
        print(f"error: {exc.reason.value}: {exc.message}", file=sys.stderr)
        return 1


def publish(args: argparse.Namespace) -> int:
    """Build, change and publish the batch's shards as the parsed arguments say."""
    scheme = ShardScheme(args.template, args.shard_size)
    status_list = StatusList(args.entries, args.bits)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.key:
        key = load_private_key_pem(args.key.read_bytes())
    else:
        key = generate_private_key()
        (args.out / "issuer.key").write_bytes(private_key_to_pem(key))
    (args.out / "issuer.pub.pem").write_bytes(public_key_to_pem(key))
    signer = LocalSigner(key)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)

    # Random revocations first, so that the changes file has the last word.
    if args.revoke_fraction > 0:
        rng = random.Random(args.seed)  # noqa: S311 - demo data, not a secret
        count = int(args.entries * args.revoke_fraction)
        status_list.set_many(rng.sample(range(args.entries), count), StatusType.INVALID)
    if args.changes:
        for index, value in read_changes(args.changes):
            status_list.set(index, value)

    counts = status_list.counts()
    print(f"batch: {args.entries:,} licences, {args.bits} bits each; counts {counts}")
    uris = []
    for shard, (uri, part) in enumerate(scheme.split(status_list)):
        started = time.perf_counter()
        token = sign_status_list(
            part,
            signer=signer,
            uri=uri,
            now=now,
            ttl=timedelta(hours=args.ttl_hours),
            valid_for=timedelta(hours=args.valid_hours),
            issuer=args.issuer,
            # Large shards: Z_RLE is many times faster at nearly the same size.
            compression=Compression.RLE if len(part) > 1 << 22 else Compression.BEST,
        )
        (args.out / f"shard-{shard}.cwt").write_bytes(token)
        uris.append(uri)
        took = time.perf_counter() - started
        print(f"shard {shard}: {uri}  {len(part):,} entries  {len(token):,} bytes  {took:.2f} s")
    (args.out / "aggregation.json").write_text(
        json.dumps({"status_lists": uris}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(uris)} tokens and aggregation.json to {args.out} (kid {signer.kid.hex()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
