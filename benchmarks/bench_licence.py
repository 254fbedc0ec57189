"""Licence model micro-benchmarks: µs per call of the compact-map reader and writer and the
JSON loader, for each sample licence.

    .venv/bin/python benchmarks/bench_licence.py [--quick]

Not a test: nothing here asserts. The verifier budget leaves ~15 µs for
``Licence.from_cbor_map`` (target 10 µs); the issuer ~8 µs for ``to_cbor_map``.
``cbor2`` is the map as ``cbor2.loads`` returns it (tags 100/1 already ``date`` and
``datetime``); ``tags`` is the map as the verifier passes it (``cose.strict_loads``:
tags kept as ``CBORTag``).
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable

import cbor2

from qrseal.cose import deterministic_dumps, strict_loads
from qrseal.licence import Licence
from qrseal.testing import sample_licence_json, sample_licences


def per_call_us(fn: Callable[[], object], *, repeat: int, budget: float) -> float:
    """Microseconds per call: the median of ``repeat`` timeit batches of ~budget s each."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * budget / 0.2))
    return statistics.median(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batches")
    args = parser.parse_args(argv)
    repeat, budget = (5, 0.02) if args.quick else (9, 0.1)

    print(
        f"{'sample':>6} {'from_cbor_map':>14} {'(tags)':>9} {'to_cbor_map':>12} {'from_json':>10}"
    )
    for index, licence in enumerate(sample_licences()):
        decoded = cbor2.loads(cbor2.dumps(licence.to_cbor_map(), canonical=True))
        tagged = strict_loads(deterministic_dumps(licence.to_cbor_map()))
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
