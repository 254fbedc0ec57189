"""qrseal against the raw primitive and a hand-made minimal pipeline, in one run.

    .venv/bin/python benchmarks/peer_bench.py [--quick] [--cpu] [--stages]

``--cpu`` times with the process's CPU time (on a machine shared with other jobs, wall time
counts their turns on the cores too); ``--stages`` also times each stage of a static verify
alone. Alone, a stage runs with warm caches, so the stages add up to well under the whole:
in the pipeline each ECDSA verify evicts the interpreter's working set and the other way
round (measured: about 0.6 raw verifies per credential on this machine).

The peer is what a developer would write in an afternoon with the same libraries
(cbor2 + cryptography + zlib + a Base45 decoder): header, text decode, optional inflate,
COSE_Sign1 parse, kid lookup, ES256 verify, claims decode, exp/iat check. It makes far
fewer checks than qrseal (no strictness, no licence validation, no trust-list entries), so
it is the speed a strict verifier has to beat. Both read the same COSE bytes; the peer
gets them as Base45 (its natural transport), qrseal as its DL1 numeric text.

Not a test: nothing here asserts. Ratios are within this run only.
"""

from __future__ import annotations

import argparse
import statistics
import time
import zlib
from collections.abc import Callable
from functools import partial
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from qrseal import Algorithm, Holder, Issuer, TrustedKey, TrustStore, Verifier
from qrseal.licence.model import Licence
from qrseal.licence.profile import LICENCE_CLAIM
from qrseal.testing import FIXED_NOW, make_device_signer, make_private_key, sample_licence
from qrseal.verifier.decode import CREDENTIAL_FORMATS, decode_credential
from qrseal.wire.cwt import decode_claims
from qrseal.wire.keys import kid_for
from qrseal.wire.textcodec import unpack

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
B45_INDEX = {c: i for i, c in enumerate(B45)}


#: The clock: wall time by default; ``--cpu`` takes this process's CPU time instead, which
#: leaves out the time other processes hold the cores (a shared machine's load).
CLOCK: list[Callable[[], float]] = [time.perf_counter]


def per_call_all(
    fns: dict[str, Callable[[], object]], *, budget: float, rounds: int = 15
) -> dict[str, float]:
    """Seconds per call of each function: the median over ``rounds`` rounds, each timing one
    batch of every function in turn, so that a load change on a shared machine hits all of
    them alike (ratios are taken round by round, see :func:`ratio`)."""
    clock = CLOCK[0]
    batches: dict[str, int] = {}
    for name, fn in fns.items():
        fn()
        start, n = clock(), 0
        while clock() - start < 0.02:
            fn()
            n += 1
        batches[name] = max(1, int(n * (budget / rounds) / 0.02))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            batch = batches[name]
            t0 = clock()
            for _ in range(batch):
                fn()
            samples[name].append((clock() - t0) / batch)
    SAMPLES.update(samples)
    return {name: statistics.median(values) for name, values in samples.items()}


SAMPLES: dict[str, list[float]] = {}


def ratio(name: str, base: str, factor: float = 1.0) -> float:
    """The median over rounds of ``name``'s time over ``factor`` times ``base``'s."""
    return statistics.median(
        a / (factor * b) for a, b in zip(SAMPLES[name], SAMPLES[base], strict=True)
    )


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        v = data[i] * 256 + data[i + 1]
        v, c = divmod(v, 45)
        e, d = divmod(v, 45)
        out += [B45[c], B45[d], B45[e]]
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += [B45[c], B45[d]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    out = bytearray()
    vals = [B45_INDEX[c] for c in text]
    for i in range(0, len(vals) - 2, 3):
        v = vals[i] + vals[i + 1] * 45 + vals[i + 2] * 2025
        out += v.to_bytes(2, "big")
    if len(vals) % 3:
        out.append(vals[-2] + vals[-1] * 45)
    return bytes(out)


class HandMadeVerifier:
    """The minimal pipeline: what most QR-credential verifiers in the field do."""

    def __init__(self, keys: dict[bytes, ec.EllipticCurvePublicKey]) -> None:
        self.keys = keys

    def verify(self, text: str, now: int) -> dict[Any, Any]:
        if not text.startswith("HC1:"):
            raise ValueError("header")
        data = b45decode(text[4:])
        if data[:1] == b"\x78":
            data = zlib.decompress(data)
        obj = cbor2.loads(data)
        protected_bytes, _unprotected, payload, signature = obj.value
        protected = cbor2.loads(protected_bytes)
        key = self.keys[protected[4]]
        if protected[1] != -7:
            raise ValueError("alg")
        sig_structure = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        key.verify(encode_dss_signature(r, s), sig_structure, ec.ECDSA(hashes.SHA256()))
        claims: dict[Any, Any] = cbor2.loads(payload)
        if not claims[6] <= now < claims[4]:
            raise ValueError("time")
        return claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing batches")
    parser.add_argument(
        "--cpu", action="store_true", help="time with process CPU time (a loaded machine)"
    )
    parser.add_argument(
        "--stages", action="store_true", help="also time each stage of a static verify alone"
    )
    args = parser.parse_args()
    budget = 0.2 if args.quick else 0.7
    if args.cpu:
        CLOCK[0] = time.process_time

    key = make_private_key(Algorithm.ES256)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SystemExit("ES256 test key expected")
    pub = key.public_key()
    issuer = Issuer(signer=key, issuer="CN-BENCH")
    verifier = Verifier(TrustStore([TrustedKey(pub, "CN-BENCH")]))
    licence = sample_licence(0)
    credential = issuer.sign(licence, now=FIXED_NOW)
    text = credential.text
    peer_text = "HC1:" + b45encode(credential.cose)
    peer = HandMadeVerifier({kid_for(pub): pub})
    now = int(FIXED_NOW.timestamp())
    if peer.verify(peer_text, now)[1] != "CN-BENCH":
        raise SystemExit("the peer pipeline does not read the credential")

    message = b"x" * 300
    der = key.sign(message, ec.ECDSA(hashes.SHA256()))
    device = make_device_signer()
    bound = issuer.sign(licence, now=FIXED_NOW, holder_key=device.public_key)
    live = Holder(bound, device_signer=device).present(now=FIXED_NOW)
    t = per_call_all(
        {
            "raw_sign": lambda: key.sign(message, ec.ECDSA(hashes.SHA256())),
            "raw_verify": lambda: pub.verify(der, message, ec.ECDSA(hashes.SHA256())),
            "peer": partial(peer.verify, peer_text, now),
            "verify": partial(verifier.verify, text, now=FIXED_NOW),
            "issue": partial(issuer.issue, licence, now=FIXED_NOW),
            "live": partial(verifier.verify, live, now=FIXED_NOW),
        },
        budget=budget,
    )

    def line(label: str, name: str, base: str, what: str, factor: float = 1.0) -> None:
        print(f"  {label:<34} {t[name] * 1e6:8.1f} µs  = {ratio(name, base, factor):5.2f}x {what}")

    print("== ES256, sample licence 1, one run (medians; ratios per interleaved round) ==")
    line("raw P-256 sign (300 B)", "raw_sign", "raw_sign", "raw sign")
    line("raw P-256 verify (300 B)", "raw_verify", "raw_verify", "raw verify")
    line("hand-made pipeline verify", "peer", "raw_verify", "raw verify")
    line("qrseal verify (static)", "verify", "raw_verify", "raw verify")
    line("qrseal issue", "issue", "raw_sign", "raw sign")
    line("qrseal verify (live, ES256 device)", "live", "raw_verify", "two raw verifies", 2.0)
    print(f"  qrseal verify / hand-made pipeline: {ratio('verify', 'peer'):.2f}x")
    print(
        "  targets: static verify <= 1.5x raw and < hand-made; issue <= 3x raw; "
        "live <= 1.5x two raw verifies"
    )
    if args.stages:
        stages(verifier, text, pub, der, message, budget)


def stages(
    verifier: Verifier,
    text: str,
    pub: ec.EllipticCurvePublicKey,
    der: bytes,
    message: bytes,
    budget: float,
) -> None:
    """Each stage of a static verify timed alone, in units of one raw verify. Alone, a stage
    runs with warm caches: the sum is below the pipeline's time."""
    policy = verifier.policy
    _, data = unpack(text, CREDENTIAL_FORMATS)
    msg = decode_credential(data, policy)
    claims = decode_claims(msg.payload)
    raw = claims.extra[LICENCE_CLAIM]
    key = verifier.trust.candidates(kid_for(pub))[0]
    verify = key.verifying_function(Algorithm.ES256)
    tbs = msg.to_be_signed()
    t = per_call_all(
        {
            "raw_verify": lambda: pub.verify(der, message, ec.ECDSA(hashes.SHA256())),
            "text -> bytes (unpack)": lambda: unpack(text, CREDENTIAL_FORMATS),
            "envelope (decode_sign1)": lambda: decode_credential(data, policy),
            "ES256 verify (COSE form)": lambda: verify(msg.signature, tbs),
            "claims (decode_claims)": lambda: decode_claims(msg.payload),
            "licence (from_cbor_map)": lambda: Licence.from_cbor_map(raw),
            "whole verify": partial(verifier.verify, text, now=FIXED_NOW),
        },
        budget=budget,
    )
    print("== stages of a static verify, each alone ==")
    for name in t:
        if name != "raw_verify":
            print(f"  {name:<34} {t[name] * 1e6:8.1f} µs  = {ratio(name, 'raw_verify'):5.2f}x raw")


if __name__ == "__main__":
    main()
