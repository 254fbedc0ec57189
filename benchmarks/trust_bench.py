"""Trust-list benchmarks: load + verify a signed list of 10,000 keys (target <= 200 ms) and the
per-credential key lookup, ``TrustStore.candidates`` + ``check_entry`` (target <= 2 µs), and what
enforcing an entry adds to ``Verifier.verify`` (a key from the list against the same key given
as a plain ``TrustedKey``).

    .venv/bin/python benchmarks/trust_bench.py [--entries N] [--quick]

Not a test: nothing here asserts. Every entry has its own P-256 key, as in a real list.
"""

from __future__ import annotations

import argparse
import statistics
import time
import timeit
from datetime import UTC, datetime, timedelta

from qrseal.issuer import Issuer
from qrseal.testing import sample_licence
from qrseal.trust.entries import DRIVING_LICENCE, TrustListEntry, check_entry
from qrseal.trust.model import new_trust_list
from qrseal.trust.signed import sign_trust_list, verify_trust_list
from qrseal.trust.store import TrustedKey, TrustStore
from qrseal.verifier import Verifier
from qrseal.wire.cose import Algorithm
from qrseal.wire.keys import generate_private_key

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 7

    root = generate_private_key(Algorithm.ES256)
    provinces = ["CN-SC", "CN-BJ", "CN-GD", "CN-JS", "CN-SH"]
    keys = [generate_private_key(Algorithm.ES256) for _ in range(args.entries)]
    entries = [
        TrustListEntry(
            keys[i].public_key(),
            f"ISSUER-{i % 50}",
            provinces[i % len(provinces)],
            NOW - timedelta(days=365),
            NOW + timedelta(days=365),
            credential_types=frozenset({DRIVING_LICENCE}),
            classes=frozenset({"C1", "C2", "C3"}) if i % 2 else frozenset(),
        )
        for i in range(args.entries)
    ]
    tl = new_trust_list("bench", now=NOW, entries=entries)
    start = time.perf_counter()
    token = sign_trust_list(tl, signer=root)
    sign_ms = (time.perf_counter() - start) * 1e3
    public = root.public_key()

    loads = timeit.repeat(
        lambda: verify_trust_list(token, root=public, now=NOW), number=1, repeat=repeat
    )
    loaded = verify_trust_list(token, root=public, now=NOW)
    build = timeit.repeat(loaded.to_trust_store, number=1, repeat=repeat)
    store = loaded.to_trust_store()
    parsed = sum(e.key_parsed for e in loaded.entries)

    entry = loaded.entries[len(entries) // 2 + 1]
    kid = entry.kid
    signed_at = NOW - timedelta(hours=1)
    classes = ("C1",)

    def lookup() -> None:
        (key,) = store.candidates(kid)
        for candidate in loaded.entries_for(key.kid):
            check_entry(
                candidate,
                signed_at=signed_at,
                jurisdiction=entry.jurisdiction,
                credential_type=DRIVING_LICENCE,
                classes=classes,
            )

    timer = timeit.Timer(lookup)
    number, _ = timer.autorange()
    per_call = statistics.median(timer.repeat(repeat=repeat, number=number)) / number * 1e6
    candidates = timeit.Timer(lambda: store.candidates(kid))
    n2, _ = candidates.autorange()
    cand_us = statistics.median(candidates.repeat(repeat=repeat, number=n2)) / n2 * 1e6

    print(
        f"trust list: {len(entries)} entries, {len(token) / 1e6:.2f} MB signed (sign {sign_ms:.0f} ms)"
    )
    print(
        f"load + verify:        median {statistics.median(loads) * 1e3:7.1f} ms"
        f"  (best {min(loads) * 1e3:.1f})   target <= 200 ms"
    )
    print(f"to_trust_store:       median {statistics.median(build) * 1e3:7.1f} ms")
    print(f"keys parsed at load:  {parsed} of {len(loaded.entries)}")
    print(f"candidates:           {cand_us:7.2f} µs")
    print(f"candidates + check:   {per_call:7.2f} µs   target <= 2 µs")

    # Inside verify: a CN-SC C1 licence signed by an entry's key (index 1: classes C1-C3).
    index = next(i for i in range(1, len(entries), 2) if entries[i].jurisdiction == "CN-SC")
    signer = entries[index]
    text = Issuer(signer=keys[index], issuer=signer.issuer).issue(sample_licence(0), now=NOW)
    listed = Verifier(store)
    plain = Verifier(TrustStore([TrustedKey(signer.public_key, signer.issuer)]))
    listed.verify(text, now=NOW)  # check that it verifies before timing

    def per_verify(verifier: Verifier) -> float:
        timer = timeit.Timer(lambda: verifier.verify(text, now=NOW))
        return min(timer.repeat(repeat=3, number=500)) / 500 * 1e6

    rounds: dict[str, list[float]] = {"plain": [], "listed": []}
    for _ in range(repeat):  # interleaved, so that machine noise hits both alike
        rounds["plain"].append(per_verify(plain))
        rounds["listed"].append(per_verify(listed))
    plain_us, listed_us = (statistics.median(rounds[k]) for k in ("plain", "listed"))
    print(f"verify, plain key:    {plain_us:7.1f} µs")
    print(
        f"verify, listed key:   {listed_us:7.1f} µs   entry checks add {listed_us - plain_us:+.2f} µs"
        "   target <= 2 µs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
