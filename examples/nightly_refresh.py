"""Nightly refresh at an issuing authority: re-issue the credentials of the records that
changed, publish the status lists, and a new trust list when the issuing key rotates.

    .venv/bin/python examples/nightly_refresh.py [WORKDIR] [--records N] [--engine ENGINE]

Three nights are simulated in WORKDIR (default: a temporary folder). Night 1 issues every
record with the first issuing key and publishes trust list #1. Night 2 re-issues the
records whose points changed and revokes one withdrawn licence. Night 3 rotates the issuing
key: the national root signs trust list #2 (old key retired, still verifying what it
signed; new key added) before the new key signs anything. Every night re-signs every status
list token (they expire after a day) and gives its batch a fresh range of status indices.

A night that crashes is simply run again: ``issue_batch`` resumes from its journal without
losing or repeating a record. Keys here are PEM files for a self-contained run; in
production the root stays offline and the issuing key in an HSM (``TokenKey``, or
``qrseal batch issue --pkcs11``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qrseal.batch import Engine, StatusAllocation, issue_batch
from qrseal.status.lists import StatusList, StatusType
from qrseal.status.reference import ShardScheme
from qrseal.status.token import sign_status_list
from qrseal.testing import sample_licence_json
from qrseal.trust.lists import (
    DRIVING_LICENCE,
    TrustList,
    TrustListEntry,
    TrustListStore,
    generate_issuer_key,
    generate_root_key,
    new_trust_list,
    sign_trust_list,
)
from qrseal.trust.persistence import write_atomic
from qrseal.verifier import Verifier
from qrseal.wire.keys import LocalSigner, PrivateKey, kid_for

ISSUER = "CN-SC"
SCHEME = ShardScheme("https://status.example.cn/dl/v1/{shard}", 1024)
NIGHT_1 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # the example's clock; a real job reads its own


def write_records(
    path: Path, count: int, as_of: datetime, *, points_bump: int = 0, every: int = 1
) -> None:
    """The day's changed records, with data as of ``as_of``: a sample licence under stable
    holder ids (every ``every``-th holder only)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(0, count, every):
            licence = sample_licence_json(0)  # a CN-SC licence: what this issuer may sign
            licence["points"] = min(12, int(str(licence.get("points", 0))) + points_bump)
            licence["points_as_of"] = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
            fh.write(json.dumps({"id": f"holder-{i}", "licence": licence}, ensure_ascii=False))
            fh.write("\n")


def entry(key: PrivateKey, start: datetime) -> TrustListEntry:
    """The trust-list entry of an issuing key of CN-SC, for driving licences, two years."""
    return TrustListEntry(
        key.public_key(), ISSUER, ISSUER, start, start + timedelta(days=730),
        credential_types=frozenset({DRIVING_LICENCE}),
    )  # fmt: skip


def publish_status(folder: Path, signer: PrivateKey, now: datetime) -> int:
    """Re-sign every shard's list as a token valid for a day; return how many."""
    count = 0
    for list_path in sorted(folder.glob("shard-*.cbor")):
        shard = int(list_path.stem.split("-")[1])
        token = sign_status_list(
            StatusList.from_cbor(list_path.read_bytes(), max_entries=SCHEME.shard_size),
            signer=LocalSigner(signer), uri=SCHEME.uri(shard), now=now, ttl=timedelta(hours=12),
            valid_for=timedelta(days=1), issuer=ISSUER,
        )  # fmt: skip
        write_atomic(folder / f"shard-{shard}.cwt", token)
        count += 1
    return count


def revoke(folder: Path, uri: str, idx: int) -> None:
    """Mark one credential's status entry revoked in its shard's list."""
    shard = next(k for k in range(1 << 20) if SCHEME.uri(k) == uri)
    path = folder / f"shard-{shard}.cbor"
    status_list = StatusList.from_cbor(path.read_bytes(), max_entries=SCHEME.shard_size).copy()
    status_list.set(idx, StatusType.INVALID)
    write_atomic(path, status_list.to_cbor())


def night(
    work: Path, label: str, records: Path, key: PrivateKey, now: datetime, engine: Engine
) -> list[dict[str, object]]:
    """One night's batch with a fresh range of status indices; returns its output lines."""
    state = work / "allocated.json"
    start = json.loads(state.read_text())["next"] if state.exists() else 0
    out = work / label / "credentials.jsonl"
    out.parent.mkdir(exist_ok=True)
    report = issue_batch(
        records, out, signer=key, issuer=ISSUER, now=now, engine=engine, workers=2,
        status=StatusAllocation(SCHEME, start), status_dir=work / "status",
    )  # fmt: skip
    write_atomic(state, json.dumps({"next": start + report.records}).encode())
    tokens = publish_status(work / "status", key, now)
    print(f"{label}: {report.issued} issued, {report.rejected} rejected, status indices "
          f"{start}..{start + report.records - 1}, {tokens} status tokens published")  # fmt: skip
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def main(work: Path, count: int, engine: Engine) -> int:
    work.mkdir(parents=True, exist_ok=True)
    root = generate_root_key()  # offline, in a safe, in production
    first_key = generate_issuer_key()
    trust: TrustList = new_trust_list(
        "cn-national", now=NIGHT_1, entries=[entry(first_key, NIGHT_1)]
    )
    write_atomic(work / "trust.tl", sign_trust_list(trust, signer=root))
    print(f"trust list #{trust.sequence}: issuing key {kid_for(first_key).hex()}")

    records = work / "records-1.jsonl"
    write_records(records, count, NIGHT_1 - timedelta(hours=1))
    issued_1 = night(work, "night-1", records, first_key, NIGHT_1, engine)

    night_2 = NIGHT_1 + timedelta(days=1)
    write_records(
        work / "records-2.jsonl", count, night_2 - timedelta(hours=1), points_bump=2, every=3
    )
    withdrawn = issued_1[0]
    revoke(work / "status", str(withdrawn["status_uri"]), int(str(withdrawn["status_idx"])))
    print(f"night-2: revoked {withdrawn['id']} (status entry {withdrawn['status_idx']})")
    night(work, "night-2", work / "records-2.jsonl", first_key, night_2, engine)

    night_3 = night_2 + timedelta(days=1)
    new_key = generate_issuer_key()
    trust = trust.rotate(kid_for(first_key), entry(new_key, night_3), at=night_3)
    trust = trust.next_version(now=night_3)
    write_atomic(work / "trust.tl", sign_trust_list(trust, signer=root))
    print(f"trust list #{trust.sequence}: {kid_for(first_key).hex()} retired, "
          f"{kid_for(new_key).hex()} added")  # fmt: skip
    write_records(
        work / "records-3.jsonl", count, night_3 - timedelta(hours=1), points_bump=1, every=4
    )
    issued_3 = night(work, "night-3", work / "records-3.jsonl", new_key, night_3, engine)

    # A verifier app that took trust list #2 accepts both keys' credentials.
    store = TrustListStore(work / "app-trust.tl", root=root.public_key())
    check = night_3 + timedelta(hours=1)
    store.update((work / "trust.tl").read_bytes(), now=check)
    verifier = Verifier(store.trust_store(now=check))
    for label, line in (("night-1 (retired key)", issued_1[1]), ("night-3 (new key)", issued_3[0])):
        verified = verifier.verify(str(line["credential"]), now=check)
        print(f"verify {label}: VALID, kid {verified.kid.hex()}, points {verified.licence.points}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", nargs="?", type=Path)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--engine", choices=[e.value for e in Engine], default="process")
    args = parser.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="qrseal-nightly-"))
    raise SystemExit(main(folder, args.records, Engine(args.engine)))
