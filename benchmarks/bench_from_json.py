"""Reading a licence record, as batch issuance does per record: ``json.loads`` of the
record's text and ``Licence.from_json`` of the object, for the five sample records in turn,
next to ``json.loads`` alone measured in the same run (the floor nothing of ours can beat),
``from_json`` of the text (the CLI's path: the loader refuses duplicate keys), and the
batch's own line reader (``qrseal.batch.records.loads``, msgspec) + ``from_json``.

To compare with another version of the package in ONE process (same machine load), pass a
directory holding that version's package as ``qrseal_old``; it is imported under that name
and timed interleaved with this one:

    git archive <base> src | tar -x -C /tmp/base
    mkdir -p /tmp/ab && cp -r /tmp/base/src/qrseal /tmp/ab/qrseal_old
    PYTHONPATH=src .venv/bin/python benchmarks/bench_from_json.py [/tmp/ab] [--rounds N]

Not a test: nothing here asserts. Figures are µs per record, the median over rounds of the
best of three timeit batches; "x loads" is the ratio to ``json.loads`` alone. Target of
issue 14 (10,000 credentials/s on 2 cores): json.loads + from_json ≤ 40 µs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

from qrseal.testing import sample_licence_json

_SAMPLES = 5


def _best(fn: Callable[[], object], number: int) -> float:
    """µs per record: the best of three batches of ``number`` passes over the samples."""
    return min(timeit.repeat(fn, number=number, repeat=3)) / number / _SAMPLES * 1e6


def _cases(label: str, package: str, texts: list[str]) -> list[tuple[str, Callable[[], object]]]:
    """The timed cases of one version of the package."""
    model: Any = importlib.import_module(f"{package}.licence.model")
    from_json = model.Licence.from_json
    loads = json.loads
    for text in texts:  # every sample is valid for this version too
        from_json(loads(text))

    def record() -> None:
        for text in texts:
            from_json(loads(text))

    def whole_text() -> None:
        for text in texts:
            from_json(text)

    cases: list[tuple[str, Callable[[], object]]] = [
        (f"{label} json.loads + from_json", record),
        (f"{label} from_json(text)", whole_text),
    ]
    batch_loads = getattr(importlib.import_module(f"{package}.batch.records"), "loads", None)
    if batch_loads is not None:  # what batch issuance reads a line with (msgspec)

        def batch_record() -> None:
            for text in texts:
                from_json(batch_loads(text))

        cases.append((f"{label} batch loads + from_json", batch_record))
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("old", nargs="?", help="directory holding another version as qrseal_old")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median)")
    parser.add_argument("--number", type=int, default=200, help="passes per timeit batch")
    args = parser.parse_args(argv)
    texts = [json.dumps(sample_licence_json(i), ensure_ascii=False) for i in range(_SAMPLES)]

    def loads_only() -> None:
        for text in texts:
            json.loads(text)

    cases: list[tuple[str, Callable[[], object]]] = [("json.loads alone", loads_only)]
    if args.old:
        sys.path.insert(0, args.old)
        cases += _cases("old", "qrseal_old", texts)
    cases += _cases("new", "qrseal", texts)
    rows: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(args.rounds):
        for name, fn in cases:
            rows[name].append(_best(fn, args.number))
    medians = {name: statistics.median(values) for name, values in rows.items()}
    floor = medians["json.loads alone"]
    for name, value in medians.items():
        print(f"{name:32} {value:8.1f} µs  {value / floor:6.2f}x loads")
    if args.old:
        for what in ("json.loads + from_json", "from_json(text)"):
            old, new = medians[f"old {what}"], medians[f"new {what}"]
            print(f"new/old {what:24} {new / old:6.2f}  ({old / new:.2f}x faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
