"""Token Status List at national scale: build, sign, serialise, load and query 500 M entries.

    .venv/bin/python benchmarks/status_bench.py                  # 500 M entries, 2 bits
    .venv/bin/python benchmarks/status_bench.py --entries 5e6    # quick
    .venv/bin/python benchmarks/status_bench.py --also-best      # + zlib default strategy (slow)

For 0.1 %, 1 % and 5 % non-zero entries, placed at random (each entry independently: 0 with
probability 1-p, INVALID 0.8p, SUSPENDED 0.2p) or clustered (a two-state Markov chain: runs of
non-zero entries of mean length ``--run`` (100), one value per run, 0.8 INVALID / 0.2
SUSPENDED), it reports:

- build: ``StatusList(n, 2)`` plus ``set_many`` (numpy index arrays when numpy is installed;
  drawing the random indices is not counted);
- sign: ``sign_status_list`` (zlib level 9 with ``--compression``, default ``rle``, + ES256);
- token size against the entropy bound of the distribution that produced the list, H bits:
  random: ``n [h(p) + p h(0.2)]``; clustered: ``n [(1-p) h(a) + p h(b)] + runs h(0.2)``
  with ``b = 1/run``, ``a = b p / (1-p)``; ``n h(p)`` is shown too. ``zeros`` is the token of an
  all-VALID list of the same size: DEFLATE cannot code more than 258 bytes per match, so
  about 1/1000 of the packed size is a floor no list goes below;
- load: ``verify_status_list`` (decode, ES256 verify, claims, bounded inflate) — the median of
  ``--repeat`` runs; its tracemalloc peak above what was allocated before; and the growth of
  the peak RSS (``VmHWM``; ``ru_maxrss`` where there is no /proc) of a fresh child process that
  only reads the token file and loads it (the token's own bytes included);
- get: ``StatusList.get`` per call, and ``StatusSnapshots.lookup`` per call, over random
  indices (the best of three passes of a Python loop, its overhead included);
- shard: one ``--shard-size`` shard (default 2**24 entries) signed and loaded on its own.

Targets: lookup <= 2 µs; load <= 3 s and <= 1.3 x the packed size in memory.
Not a test: nothing here asserts except that the loaded lists equal the built ones.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qrseal.status.lists import Compression, StatusList
from qrseal.status.reference import ShardScheme, StatusReference
from qrseal.status.snapshots import StatusSnapshots
from qrseal.status.token import sign_status_list, verify_status_list
from qrseal.testing import FIXED_NOW, make_private_key, make_signer
from qrseal.wire.keys import public_key_to_pem

if TYPE_CHECKING:
    import numpy.typing as npt

BITS = 2
URI = "https://status.example.cn/dl/v1/all"
SHARDS = "https://status.example.cn/dl/v1/{shard}"
MAX = 1 << 31  # caps well above the benchmark's sizes
MAX_ENTRIES = 1 << 33  # every entry of the 1 GiB cap at 1 bit: the benchmark opts in explicitly

Indices = Any  # a numpy int64 array, or a list of ints without numpy


def h(x: float) -> float:
    """Binary entropy in bits."""
    return 0.0 if x <= 0 or x >= 1 else -x * math.log2(x) - (1 - x) * math.log2(1 - x)


@dataclass(frozen=True)
class Distribution:
    name: str
    p: float
    clustered: bool

    def entropy_bits(self, n: int, run: float, runs: int) -> float:
        """The entropy of the process that generated the list, in bits."""
        if not self.clustered:
            return n * (h(self.p) + self.p * h(0.2))
        b = 1 / run
        a = b * self.p / (1 - self.p)
        return n * ((1 - self.p) * h(a) + self.p * h(b)) + runs * h(0.2)


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        return None
    return numpy


# --- generating the entries (not timed as build) ----------------------------------------------


def random_indices(n: int, p: float, seed: int) -> tuple[Indices, Indices, int]:
    """Indices of INVALID and SUSPENDED entries, each entry independent."""
    np = _numpy()
    if np is None:
        rng = random.Random(seed)
        ones: list[int] = []
        twos: list[int] = []
        idx = int(rng.expovariate(p))
        while idx < n:  # gaps between non-zero entries are geometric
            (ones if rng.random() < 0.8 else twos).append(idx)
            idx += 1 + int(rng.expovariate(p))
        return ones, twos, len(ones) + len(twos)
    gen = np.random.default_rng(seed)
    chunk = 1 << 24
    parts1: list[npt.NDArray[Any]] = []
    parts2: list[npt.NDArray[Any]] = []
    for start in range(0, n, chunk):
        u = gen.random(min(chunk, n - start), dtype=np.float32)
        parts1.append(np.flatnonzero(u < 0.8 * p) + start)
        parts2.append(np.flatnonzero((u >= 0.8 * p) & (u < p)) + start)
    ones_a, twos_a = np.concatenate(parts1), np.concatenate(parts2)
    return ones_a, twos_a, int(ones_a.size + twos_a.size)


def clustered_indices(n: int, p: float, run: float, seed: int) -> tuple[Indices, Indices, int]:
    """Runs of non-zero entries (mean length ``run``) between runs of zeros (mean length
    ``run (1-p)/p``), each run INVALID (0.8) or SUSPENDED (0.2). Returns the index sets and
    the number of runs."""
    b = 1 / run
    a = b * p / (1 - p)
    np = _numpy()
    if np is None:
        rng = random.Random(seed)
        ones: list[int] = []
        twos: list[int] = []
        pos, runs = 0, 0
        while True:
            pos += 1 + int(rng.expovariate(a))
            length = 1 + int(rng.expovariate(b))
            if pos >= n:
                return ones, twos, runs
            (ones if rng.random() < 0.8 else twos).extend(range(pos, min(pos + length, n)))
            pos += length
            runs += 1
    gen = np.random.default_rng(seed)
    k = int(n * p / run * 1.3) + 100
    gaps, lengths = gen.geometric(a, k), gen.geometric(b, k)
    starts = np.cumsum(gaps) + np.concatenate(([0], np.cumsum(lengths)[:-1]))
    keep = starts < n
    starts, lengths = starts[keep], lengths[keep]
    lengths = np.minimum(lengths, n - starts)
    is_two = gen.random(starts.size) >= 0.8

    def expand(s: npt.NDArray[Any], ln: npt.NDArray[Any]) -> npt.NDArray[Any]:
        offsets = np.concatenate(([0], np.cumsum(ln)[:-1]))
        out: npt.NDArray[Any] = np.repeat(s - offsets, ln) + np.arange(int(ln.sum()))
        return out

    ones_a = expand(starts[~is_two], lengths[~is_two])
    twos_a = expand(starts[is_two], lengths[is_two])
    return ones_a, twos_a, int(starts.size)


# --- measuring --------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def per_call_us(fn: Callable[[Any], object], args: Sequence[Any], passes: int = 3) -> float:
    """Microseconds per call over ``args``: the best of ``passes`` plain loops (the loop's
    own overhead, about 0.03 µs, is included; the best pass is the one least disturbed by
    other processes)."""
    best = math.inf
    for _ in range(passes):
        start = time.perf_counter()
        for arg in args:
            fn(arg)
        best = min(best, time.perf_counter() - start)
    return best / len(args) * 1e6


_CHILD = """
import resource, sys, time
from pathlib import Path
from qrseal.wire.keys import load_public_key_pem
from qrseal.status.token import verify_status_list
from qrseal.testing import FIXED_NOW

def peak_kib():
    # VmHWM is this process image's own peak RSS. ru_maxrss is not: Linux carries it over
    # fork and exec, so a child of a large parent starts with the parent's figure.
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

key = load_public_key_pem(Path(sys.argv[2]).read_bytes())
before = peak_kib()
t = time.perf_counter()
token = Path(sys.argv[1]).read_bytes()
v = verify_status_list(token, keys=lambda kid: [key], now=FIXED_NOW,
                       max_bytes=1 << 31, max_entries=1 << 33)
t = time.perf_counter() - t
print(t, before, peak_kib())
"""


def child_load(token_path: Path, pub_path: Path) -> tuple[float, int, int]:
    """Load the token in a fresh interpreter: (seconds, peak RSS before, after) in KiB."""
    proc = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", _CHILD, str(token_path), str(pub_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, before, after = proc.stdout.split()
    return float(seconds), int(before), int(after)


def load(token: bytes, key: Any) -> StatusList:
    verified = verify_status_list(
        token, keys=lambda kid: [key], now=FIXED_NOW, max_bytes=MAX, max_entries=MAX_ENTRIES
    )
    return verified.status_list


def build(n: int, ones: Indices, twos: Indices) -> StatusList:
    """The list: all VALID, then the INVALID and SUSPENDED entries set in bulk."""
    built = StatusList(n, BITS)
    built.set_many(ones, 1)
    built.set_many(twos, 2)
    return built


def run(dist: Distribution, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    n = args.entries
    signer = make_signer()
    key = signer.public_key
    gen_s, (ones, twos, runs) = timed(
        lambda: (
            clustered_indices(n, dist.p, args.run, args.seed)
            if dist.clustered
            else random_indices(n, dist.p, args.seed)
        )
    )

    build_s, built = timed(lambda: build(n, ones, twos))
    nonzero = len(ones) + len(twos)
    ones = twos = None  # free the index arrays before the list is signed and loaded
    compression = Compression[args.compression.upper()]

    def sign() -> bytes:
        return sign_status_list(
            built,
            signer=signer,
            uri=URI,
            now=FIXED_NOW,
            ttl=timedelta(hours=12),
            valid_for=timedelta(days=2),
            compression=compression,
        )

    sign_s, token = timed(sign)
    best_size = best_s = None
    if args.also_best:
        best_s, best = timed(lambda: built.to_cbor(compression=Compression.BEST))
        best_size = len(best)
        del best

    load_times = []
    for _ in range(args.repeat):
        seconds, loaded = timed(lambda: load(token, key))
        load_times.append(seconds)
        del loaded
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    loaded = load(token, key)
    load_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    if loaded != built:
        raise SystemExit("the loaded list differs from the built one")

    token_path = folder / "token.cwt"
    pub_path = folder / "issuer.pub.pem"
    token_path.write_bytes(token)
    pub_path.write_bytes(public_key_to_pem(make_private_key()))
    child_s, rss_before, rss_after = child_load(token_path, pub_path)

    rng = random.Random(args.seed)
    probe = [rng.randrange(n) for _ in range(args.lookups)]
    get_us = per_call_us(loaded.get, probe)
    snapshots = StatusSnapshots(
        [
            verify_status_list(
                token, keys=lambda kid: [key], now=FIXED_NOW, max_bytes=MAX, max_entries=MAX_ENTRIES
            )
        ]
    )
    refs = [StatusReference(URI, i) for i in probe[: args.lookups // 10]]
    max_age = timedelta(days=1)
    lookup_us = per_call_us(lambda ref: snapshots.lookup(ref, now=FIXED_NOW, max_age=max_age), refs)

    scheme = ShardScheme(SHARDS, min(args.shard_size, n - n % 8 or 8))
    shard_uri, shard = next(scheme.split(built))
    shard_token = sign_status_list(
        shard, signer=signer, uri=shard_uri, now=FIXED_NOW, ttl=None, valid_for=None,
        compression=compression,
    )  # fmt: skip
    shard_load_s, _ = timed(lambda: load(shard_token, key))

    packed = n * BITS // 8
    return {
        "dist": dist,
        "nonzero": nonzero,
        "runs": runs,
        "gen_s": gen_s,
        "build_s": build_s,
        "sign_s": sign_s,
        "token": len(token),
        "best_size": best_size,
        "best_s": best_s,
        "entropy_bytes": dist.entropy_bits(n, args.run, runs) / 8,
        "iid_bytes": n * h(dist.p) / 8,
        "load_s": statistics.median(load_times),
        "load_peak": load_peak,
        "child_s": child_s,
        "child_rss": (rss_after - rss_before) * 1024,
        "get_us": get_us,
        "lookup_us": lookup_us,
        "shard_entries": len(shard),
        "shard_token": len(shard_token),
        "shard_load_s": shard_load_s,
        "packed": packed,
    }


def zeros_token(n: int, compression: Compression) -> int:
    signer = make_signer()
    token = sign_status_list(
        StatusList(n, BITS), signer=signer, uri=URI, now=FIXED_NOW, ttl=None, valid_for=None,
        compression=compression,
    )  # fmt: skip
    return len(token)


def report(rows: list[dict[str, Any]], args: argparse.Namespace, zeros: int) -> None:
    mb = 1e6
    packed = rows[0]["packed"]
    print(
        f"\n{args.entries:,} entries x {BITS} bits = {packed / mb:.1f} MB packed; "
        f"compression {args.compression}; all-VALID token (DEFLATE floor) {zeros / 1e3:.1f} kB\n"
    )
    head = (
        f"{'distribution':<16}{'non-zero':>12}{'build s':>9}{'sign s':>8}{'token MB':>10}"
        f"{'H MB':>9}{'tok/H':>7}{'n·h(p) MB':>11}{'load s':>8}{'trace MB':>10}{'(x pk)':>8}"
        f"{'rss MB':>8}{'(x pk)':>8}{'get µs':>8}{'lookup µs':>10}"
    )
    print(head)
    for r in rows:
        d: Distribution = r["dist"]
        label = f"{d.p * 100:g} % {'clustered' if d.clustered else 'random'}"
        print(
            f"{label:<16}{r['nonzero']:>12,}{r['build_s']:>9.2f}{r['sign_s']:>8.2f}"
            f"{r['token'] / mb:>10.3f}{r['entropy_bytes'] / mb:>9.3f}"
            f"{r['token'] / r['entropy_bytes']:>7.2f}{r['iid_bytes'] / mb:>11.3f}"
            f"{r['load_s']:>8.2f}{r['load_peak'] / mb:>10.1f}{r['load_peak'] / packed:>8.2f}"
            f"{r['child_rss'] / mb:>8.1f}{r['child_rss'] / packed:>8.2f}"
            f"{r['get_us']:>8.2f}{r['lookup_us']:>10.2f}"
        )
    if args.also_best:
        print("\nzlib default strategy (Compression.BEST) on the same lists:")
        for r in rows:
            d = r["dist"]
            label = f"{d.p * 100:g} % {'clustered' if d.clustered else 'random'}"
            print(
                f"  {label:<16} lst {r['best_size'] / mb:.3f} MB in {r['best_s']:.1f} s "
                f"({r['best_size'] / r['entropy_bytes']:.2f} x H)"
            )
    first = rows[0]
    print(
        f"\nshard of {first['shard_entries']:,} entries: token "
        + ", ".join(
            f"{r['shard_token'] / 1e3:.1f} kB / load {r['shard_load_s'] * 1e3:.0f} ms" for r in rows
        )
    )
    print(
        "\nload s: median of verify_status_list runs (decode, ES256, claims, bounded inflate);"
        " trace MB: tracemalloc peak of one load (token not counted);"
        " rss MB: peak-RSS growth (VmHWM) of a fresh process reading the token file and"
        " loading it (token bytes included); x pk = / packed size."
    )
    worst_get = max(r["get_us"] for r in rows)
    worst_lookup = max(r["lookup_us"] for r in rows)
    worst_load = max(r["load_s"] for r in rows)
    worst_trace = max(r["load_peak"] for r in rows) / packed
    worst_rss = max(r["child_rss"] for r in rows) / packed
    print(
        f"targets: get {worst_get:.2f} µs / lookup {worst_lookup:.2f} µs (<= 2); "
        f"load {worst_load:.2f} s (<= 3); memory {worst_trace:.2f} x traced, "
        f"{worst_rss:.2f} x rss (<= 1.3)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"this process (building included): ru_maxrss {rss / mb:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=float, default=5e8, help="entries (default 5e8)")
    parser.add_argument("--compression", choices=["rle", "best"], default="rle")
    parser.add_argument(
        "--also-best", action="store_true", help="also compress with zlib's default strategy"
    )
    parser.add_argument("--density", type=float, action="append", help="non-zero share(s)")
    parser.add_argument("--only", choices=["random", "clustered"], help="one placement only")
    parser.add_argument("--run", type=float, default=100.0, help="mean clustered run length")
    parser.add_argument("--lookups", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed loads per list")
    parser.add_argument("--shard-size", type=int, default=1 << 24)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    args.entries = int(args.entries) - int(args.entries) % 8
    densities = args.density or [0.001, 0.01, 0.05]
    placements = [args.only == "clustered"] if args.only else [False, True]
    if _numpy() is None:
        print("numpy not installed: building with the pure-Python path (slow)", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="qrseal-status-bench-") as tmp:
        for clustered in placements:
            for p in densities:
                dist = Distribution(f"{p}", p, clustered)
                started = time.perf_counter()
                rows.append(run(dist, args, Path(tmp)))
                print(
                    f"done {p * 100:g} % {'clustered' if clustered else 'random'} "
                    f"in {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
    report(rows, args, zeros_token(args.entries, Compression[args.compression.upper()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
