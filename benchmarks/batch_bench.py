"""Batch issuance throughput and memory, against the raw signature bound, in one run.

    .venv/bin/python benchmarks/batch_bench.py [--records 20000] [--memory-records 1e6]
                                               [--no-dask] [--no-hsm]

Prints (1) the bound: raw signatures per second on one core with a local key
(cryptography) and with SoftHSM2 (``CKM_ECDSA`` over a digest, one session); (2) where the
time of one credential goes on one core; (3) credentials per second for local keys and
SoftHSM2 with one process, all cores (worker processes) and a Dask LocalCluster of all
cores, each with its ratio to the bound measured above (raw sign/s x processes used),
its credentials per CPU-second of all processes x cores (the load-independent figure on a
shared machine) and the driver's CPU per credential; (3b) the duplicate-id check's cost
per record as its index grows; (4) with ``--memory-records``, the driver's and the workers' resident memory as a batch of
that many records advances (flat = constant memory). The 10^6-record run belongs here,
not in the tests.

Not a test: nothing here asserts; ratios are within this run only. On a shared machine
every figure moves with the load; the ratios move less.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from qrseal import Issuer
from qrseal.batch import Engine, issue_batch
from qrseal.batch.ids import RecordIndex
from qrseal.licence.model import Licence
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_private_key, sample_licence_json
from qrseal.wire.algorithms import ALGORITHMS, Algorithm
from qrseal.wire.keys import LocalSigner, PrivateKey
from qrseal.wire.pkcs11 import TokenKey, generate_token_key

CORES = os.cpu_count() or 1
SOFTHSM_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
)


def write_records(path: Path, count: int) -> None:
    """``count`` JSON Lines records cycling through the five sample licences."""
    lines = [
        json.dumps({"id": "", "licence": sample_licence_json(i)}, ensure_ascii=False)
        for i in range(5)
    ]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            fh.write(lines[i % 5].replace('"id": ""', f'"id": "r{i}"', 1) + "\n")


def rate(fn: Callable[[], object], seconds: float = 1.5) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    fn()
    start, n = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed


def softhsm_token(folder: Path) -> tuple[str, str, str] | None:
    """A fresh SoftHSM2 token (module, label, PIN), or None when SoftHSM2 is missing."""
    module = next((p for p in SOFTHSM_PATHS if Path(p).exists()), None)
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        return None
    (folder / "tokens").mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # inherited by the worker processes
    init = [util, "--init-token", "--free", "--label", "bench", "--so-pin", "5678", "--pin", "1234"]
    subprocess.run(init, check=True, capture_output=True)  # noqa: S603 (fixed arguments)
    return module, "bench", "1234"


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its finished descendants (workers, once reaped)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def timed_batch(
    src: Path, folder: Path, name: str, signer: PrivateKey | TokenKey, engine: Engine
) -> tuple[float, float, float]:
    """Credentials per second of one batch run (fresh output); per CPU second of every
    process (what all cores would reach on an idle machine, start-up included); and the
    driver's CPU microseconds per credential (reading, digests, IPC, id index, writing)."""
    out = folder / f"{name}.jsonl"
    start, (own, children) = time.perf_counter(), cpu_seconds()
    report = issue_batch(src, out, signer=signer, issuer=TEST_ISSUER, now=FIXED_NOW, engine=engine)
    elapsed = time.perf_counter() - start
    own_after, children_after = cpu_seconds()
    driver = own_after - own
    used = driver + children_after - children
    for path in folder.glob(f"{name}.jsonl*"):
        path.unlink()
    return report.records / elapsed, report.records / used, driver / report.records * 1e6


def breakdown(count: int = 2000) -> dict[str, float]:
    """Microseconds per credential on one core, by stage, as a batch worker runs them
    (parse every record, then Issuer.sign_each: build all, sign all, assemble all)."""
    texts = [
        json.dumps({"id": f"r{i}", "licence": sample_licence_json(i % 5)}, ensure_ascii=False)
        for i in range(count)
    ]
    key = make_private_key(Algorithm.ES256)
    issuer = Issuer(signer=key, issuer=TEST_ISSUER)
    start = time.perf_counter()
    licences = [Licence.from_json(json.loads(text)["licence"]) for text in texts]
    parse = time.perf_counter() - start
    start = time.perf_counter()
    for licence in licences:
        issuer.sign(licence, now=FIXED_NOW)
    one_by_one = time.perf_counter() - start
    start = time.perf_counter()
    issuer.sign_each([(licence, None) for licence in licences], now=FIXED_NOW)
    each = time.perf_counter() - start
    signer = LocalSigner(key)
    messages = [bytes([i % 256]) * 400 for i in range(count)]
    start = time.perf_counter()
    for message in messages:
        signer.sign(message)
    sign = time.perf_counter() - start
    return {
        "parse + validate (json, Licence.from_json)": parse / count * 1e6,
        "issue w/o signing (warnings, claims, CBOR, COSE, text)": (each - sign) / count * 1e6,
        "sign (ES256, r||s, one run)": sign / count * 1e6,
        "(Issuer.sign one at a time, signature included)": one_by_one / count * 1e6,
    }


def id_index_cost(folder: Path, records: int = 200_000, chunk: int = 1000) -> list[float]:
    """Microseconds per record of the duplicate-id check (look-up and insert, one
    transaction per chunk) at each tenth of ``records`` fresh ids in random order."""
    index = RecordIndex(folder / "bench.ids")
    costs: list[float] = []
    tenth = max(chunk, records // 10)
    try:
        for start in range(0, records, tenth):
            begin = time.perf_counter()
            for first in range(start, min(start + tenth, records), chunk):
                ids = [
                    hashlib.blake2b(b"%d" % i, digest_size=8).hexdigest()
                    for i in range(first, first + chunk)
                ]
                index.add(first // chunk, ids)
            costs.append((time.perf_counter() - begin) / tenth * 1e6)
    finally:
        index.close()
    return costs


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (Linux /proc), 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def memory_run(
    src: Path, folder: Path, records: int, key: PrivateKey
) -> list[tuple[int, float, float]]:
    """(records done, driver RSS MiB, largest worker RSS MiB) at about ten points."""
    samples: list[tuple[int, float, float]] = []
    chunk = 1000
    every = max(1, records // chunk // 10)

    def sample(number: int) -> None:
        if number % every == 0 or (number + 1) * chunk >= records:
            workers = [rss_mib(child.pid or 0) for child in multiprocessing.active_children()]
            samples.append(((number + 1) * chunk, rss_mib(os.getpid()), max(workers, default=0)))

    out = folder / "memory.jsonl"
    issue_batch(src, out, signer=key, issuer=TEST_ISSUER, now=FIXED_NOW, engine=Engine.PROCESS,
                chunk_size=chunk, on_chunk=sample, progress=True)  # fmt: skip
    for path in folder.glob("memory.jsonl*"):
        path.unlink()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=lambda v: int(float(v)), default=20000)
    parser.add_argument("--memory-records", type=lambda v: int(float(v)), default=0)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--no-hsm", action="store_true")
    parser.add_argument("--only-memory", action="store_true", help="skip (1)-(3)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="qrseal-batch-bench-"))
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    key = make_private_key(Algorithm.ES256)
    if not args.only_memory:
        throughput(args, folder, key)
    if args.memory_records:
        memory(args, folder, key)
    sys.stdout.flush()


def throughput(args: argparse.Namespace, folder: Path, key: PrivateKey) -> None:
    src = folder / "records.jsonl"
    write_records(src, args.records)
    ecdsa = ALGORITHMS[Algorithm.ES256].ecdsa
    assert isinstance(key, ec.EllipticCurvePrivateKey) and ecdsa is not None
    message = b"x" * 400
    print(f"machine: {CORES} cores, load average {os.getloadavg()[0]:.1f}; {args.records} records")
    print("\n(1) the bound: raw signatures per second, one core")
    raw_local = rate(lambda: key.sign(message, ecdsa))
    print(f"  local ES256 (cryptography)        {raw_local:10,.0f} /s")
    token_key = None
    raw_hsm = 0.0
    hsm = None if args.no_hsm else softhsm_token(folder / "hsm")
    if hsm is not None:
        module, label, pin = hsm
        generate_token_key(module, label, pin, label="bench", alg=Algorithm.ES256)
        token_key = TokenKey(module, label, pin, label="bench")
        with token_key.open() as signer:
            raw_hsm = rate(lambda: signer.sign(message))
        print(f"  SoftHSM2 ES256 (CKM_ECDSA)        {raw_hsm:10,.0f} /s")
    else:
        print("  SoftHSM2: not installed or --no-hsm")
    print("\n(2) one credential on one core, microseconds by stage")
    stages = breakdown()
    one_by_one = stages.pop("(Issuer.sign one at a time, signature included)")
    total = sum(stages.values())
    for name, micros in stages.items():
        print(f"  {name:56s} {micros:8.1f} us  ({micros / total:5.1%})")
    print(f"  {'total':56s} {total:8.1f} us  -> {1e6 / total:,.0f} /s per core")
    sign = stages["sign (ES256, r||s, one run)"]
    issue = total - stages["parse + validate (json, Licence.from_json)"]
    print(f"  issue incl. signing: sign_each {issue:.1f} us ({issue / sign:.2f} x the signature); "
          f"Issuer.sign one at a time {one_by_one:.1f} us ({one_by_one / sign:.2f} x)")  # fmt: skip

    print("\n(3) credentials per second (batch: read, parse, validate, sign, write, journal)")
    print(f"  {'key':10s} {'engine':28s} {'cred/s':>10s} {'bound/s':>10s} {'ratio':>7s} "
          f"{'cred/CPU-s':>12s} {'x all cores':>12s} {'driver us/cred':>15s}")  # fmt: skip
    engines = [(Engine.SERIAL, "1 process (serial)", 1),
               (Engine.PROCESS, f"{CORES} worker processes", CORES)]  # fmt: skip
    if not args.no_dask:
        engines.append((Engine.DASK, f"Dask LocalCluster x{CORES}", CORES))
    keys: list[tuple[str, PrivateKey | TokenKey, float]] = [("local", key, raw_local)]
    if token_key is not None:
        keys.append(("SoftHSM2", token_key, raw_hsm))
    for name, source, bound in keys:
        for engine, label, procs in engines:
            per_second, per_cpu, driver = timed_batch(
                src, folder, f"{name}-{engine}", source, engine
            )
            print(f"  {name:10s} {label:28s} {per_second:10,.0f} {bound * procs:10,.0f} "
                  f"{per_second / (bound * procs):7.1%} {per_cpu:12,.0f} {per_cpu * CORES:12,.0f} "
                  f"{driver:15.1f}")  # fmt: skip
    print(
        "  (cred/CPU-s x all cores: the load-independent figure; the serial row's driver "
        "column is the whole work)"
    )

    print("\n(3b) duplicate-id check (SQLite index beside the output), us per record")
    costs = id_index_cost(folder)
    print("  at each tenth of 200,000 fresh ids: " + " ".join(f"{c:.1f}" for c in costs))


def memory(args: argparse.Namespace, folder: Path, key: PrivateKey) -> None:
    if args.memory_records:
        print(
            f"\n(4) memory over {args.memory_records:,} records ({CORES} worker processes, local key)"
        )
        big = folder / "memory-records.jsonl"
        write_records(big, args.memory_records)
        start = time.perf_counter()
        samples = memory_run(big, folder, args.memory_records, key)
        elapsed = time.perf_counter() - start
        print(f"  {'records done':>12s} {'driver RSS MiB':>15s} {'max worker RSS MiB':>19s}")
        for done, driver, worker in samples:
            print(f"  {min(done, args.memory_records):12,d} {driver:15.1f} {worker:19.1f}")
        print(
            f"  {args.memory_records / elapsed:,.0f} credentials/s over the whole run ({elapsed:,.0f} s)"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
