"""Old versus new licence decoding and verify in ONE process, interleaved: the old package
is imported under another name, so both meet the same machine load. Min over rounds.

    git archive <base> src | tar -x -C /tmp/base
    cp -r /tmp/base/src/qrseal /tmp/ab/qrseal_old   # + sed 's/files("qrseal")/files("qrseal_old")/'
                                                    #   in /tmp/ab/qrseal_old/testing.py
    PYTHONPATH=src .venv/bin/python benchmarks/bench_licence_ab.py /tmp/ab

Not a test: nothing here asserts. Needs the old package to import itself only relatively.
"""

from __future__ import annotations

import importlib
import sys
import timeit
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def _best(fn: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def _bind(fn: Callable[..., object], *args: object, **kwargs: object) -> Callable[[], object]:
    return lambda: fn(*args, **kwargs)


def main(argv: list[str]) -> int:
    sys.path.insert(0, argv[0])
    rows: dict[str, float] = {}
    cases: list[tuple[str, Callable[[], object], int]] = []
    for label, name in (("old", "qrseal_old"), ("new", "qrseal")):
        q: Any = importlib.import_module(name)
        testing: Any = importlib.import_module(f"{name}.testing")
        cose: Any = importlib.import_module(f"{name}.wire.cose")
        licence = testing.sample_licences()[0]
        compact = cose.strict_loads(cose.deterministic_dumps(licence.to_cbor_map()))
        source = testing.sample_licence_json(0)
        cred = testing.make_issuer().sign(licence, now=testing.FIXED_NOW)
        key = testing.make_private_key().public_key()
        verifier = q.Verifier(q.TrustStore([q.TrustedKey(key, testing.TEST_ISSUER)]))
        cls: Any = type(licence)
        now, text = testing.FIXED_NOW, cred.text
        cases += [
            (f"{label} from_cbor_map", _bind(cls.from_cbor_map, compact), 2000),
            (f"{label} from_json", _bind(cls.from_json, source), 300),
            (f"{label} to_cbor_map", licence.to_cbor_map, 2000),
            (f"{label} Verifier.verify", _bind(verifier.verify, text, now=now), 300),
        ]
    private = ec.generate_private_key(ec.SECP256R1())
    message, ecdsa = b"x" * 200, ec.ECDSA(hashes.SHA256())
    signature, public = private.sign(message, ecdsa), private.public_key()
    cases.append(("raw ES256 verify", lambda: public.verify(signature, message, ecdsa), 300))
    for _ in range(6):
        for name, fn, number in cases:
            rows[name] = min(rows.get(name, float("inf")), _best(fn, number))
    raw = rows["raw ES256 verify"]
    for name, value in rows.items():
        print(f"{name:24} {value:8.1f} µs  {value / raw:5.2f}x raw verify")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} DIR_HOLDING_qrseal_old")
    raise SystemExit(main(sys.argv[1:]))
