"""Licence model micro-benchmarks: µs per call of the compact-map reader and writer and the
JSON loader for each sample licence, next to a raw ES256 verify and sign measured in the
same run (so the figures can be read against the verifier and issuer budgets), and a
whole ``Verifier.verify`` of sample licence 1 as a ratio of that raw verify.

    .venv/bin/python benchmarks/bench_licence.py [--quick]

To compare two versions of the package in one run, run it twice in one command with
``PYTHONPATH`` pointing at each ``src`` (e.g. a ``git archive`` of the base commit in /tmp)
and read the ratios to the raw verify printed by each.

Not a test: nothing here asserts. Columns: ``from_cbor_map`` on the map as
``cbor2.loads`` returns it (tags 100/1 already ``date``/``datetime``) and as the verifier
passes it (``tags``: ``cose.strict_loads`` keeps them as ``CBORTag``); ``to_cbor_map``
with the default QR fields; ``from_json`` (not on a hot path). Budgets: from_cbor_map
≤ 15 µs (target 10), to_cbor_map ≤ 8 µs.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import qrseal
from qrseal import TrustedKey, TrustStore, Verifier
from qrseal.licence.model import Licence
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_issuer,
    make_private_key,
    sample_licence_json,
    sample_licences,
)
from qrseal.wire.cose import deterministic_dumps, strict_loads


def per_call_us(fn: Callable[[], object], *, repeat: int, budget: float) -> float:
    """Microseconds per call: the median of ``repeat`` timeit batches of ~budget s each."""
    timer = timeit.Timer(fn)
    number, elapsed = timer.autorange()
    number = max(1, int(number * budget / elapsed))
    return statistics.median(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def es256_us(*, repeat: int, budget: float) -> tuple[float, float]:
    """(verify, sign) of a 200-byte message with a P-256 key, in µs."""
    key = ec.generate_private_key(ec.SECP256R1())
    message, ecdsa = b"x" * 200, ec.ECDSA(hashes.SHA256())
    signature, public = key.sign(message, ecdsa), key.public_key()

    def verify() -> None:
        public.verify(signature, message, ecdsa)

    def sign() -> bytes:
        return key.sign(message, ecdsa)

    return per_call_us(verify, repeat=repeat, budget=budget), per_call_us(
        sign, repeat=repeat, budget=budget
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batches")
    args = parser.parse_args(argv)
    repeat, budget = (5, 0.02) if args.quick else (9, 0.1)

    verify, sign = es256_us(repeat=repeat, budget=budget)
    print(f"qrseal from {qrseal.__file__}")
    print(f"ES256 verify {verify:.1f} µs, sign {sign:.1f} µs (same run, for scale)")
    credential = make_issuer().sign(sample_licences()[0], now=FIXED_NOW)
    public = make_private_key().public_key()
    verifier = Verifier(TrustStore([TrustedKey(public, TEST_ISSUER)]))

    def verify_credential() -> object:
        return verifier.verify(credential.text, now=FIXED_NOW)

    whole = per_call_us(verify_credential, repeat=repeat, budget=budget)
    print(f"Verifier.verify (sample 1, ES256) {whole:.1f} µs = {whole / verify:.2f}x raw verify")
    print(
        f"{'sample':>6} {'from_cbor_map':>14} {'(tags)':>9} {'to_cbor_map':>12} {'from_json':>10}"
    )
    for index, licence in enumerate(sample_licences()):
        compact = licence.to_cbor_map()
        decoded = cbor2.loads(cbor2.dumps(compact, canonical=True))
        tagged = strict_loads(deterministic_dumps(compact))
        source = sample_licence_json(index)

        def from_cbor2(m: object = decoded) -> Licence:
            return Licence.from_cbor_map(m)

        def from_tags(m: object = tagged) -> Licence:
            return Licence.from_cbor_map(m)

        def to_map(lic: Licence = licence) -> dict[int, object]:
            return lic.to_cbor_map()

        def from_json(obj: dict[str, object] = source) -> Licence:
            return Licence.from_json(obj)

        figures = [
            per_call_us(fn, repeat=repeat, budget=budget)
            for fn in (from_cbor2, from_tags, to_map, from_json)
        ]
        cells = " ".join(f"{f:{w}.1f}" for f, w in zip(figures, (14, 9, 12, 10), strict=True))
        print(f"{index + 1:>6} {cells}")
    print("µs per call, median of timeit batches; budget: from_cbor_map ≤ 15, to_cbor_map ≤ 8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
