"""Selective disclosure in a live QR code: three mechanisms measured on the sample licences.

    PYTHONPATH=src .venv/bin/python benchmarks/views_bench.py [--quick]

(a) the IETF SD-CWT draft as written (draft-ietf-spice-sd-cwt-08): every disclosable element
    a salted disclosure ``[salt, value, key]``; its SHA-256 digest (32 bytes) in the signed
    claims under ``simple(59)``; the disclosures shown in the SD-CWT's unprotected header
    (label 17); the holder's key-binding token (KBT) a COSE_Sign1 whose protected header
    carries the whole SD-CWT (``kcwt``, label 13).
(b) per-element salted digests in a Merkle tree: 16-byte salts, leaves and nodes SHA-256
    truncated to 16 bytes (128-bit second-preimage resistance; only the issuer, who signs
    anyway, could exploit the 64-bit collision bound), only the root (and a bitmap of the
    elements present) signed; a view sends its elements with their salts and the fewest
    subtree hashes that rebuild the root.
(c) several issuer-signed view credentials: one ordinary ``DL1`` credential per view, its
    licence map holding only that view's elements and a signed bitmap of the elements that
    exist but were withheld; shown as today's ``DP1`` live code.

Every variant is a live code: the ES256 test issuer key, bound to the ES256 test device key,
presented with a device signature; numeric text, deflated when shorter, QR version at ECC M.
Sizes are deterministic (salts from a seeded generator here; the library draws them from the
OS CSPRNG) and go into docs/format.md §17 through scripts/gen_format_doc.py; times are printed
by this script only, each as a ratio to the raw primitives measured in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from qrseal import Holder, Issuer, qr
from qrseal.licence.model import Licence
from qrseal.licence.profile import DP_FORMAT, LICENCE_CLAIM
from qrseal.licence.views import (
    AGE,
    FULL,
    RENTAL,
    View,
    record_elements,
    view_elements,
)
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_device_signer,
    make_holder,
    make_signer,
    make_verifier,
    sample_licences,
)
from qrseal.wire.cbor import deterministic_dumps, sort_key, strict_loads
from qrseal.wire.cose import Algorithm, encode_sign1, sig_structure
from qrseal.wire.cwt import Claims, encode_claims, encode_cnf
from qrseal.wire.keys import LocalSigner
from qrseal.wire.presentation import encode_presentation
from qrseal.wire.textcodec import pack

SD_CLAIM = -65539  # (b): {1: Merkle root, 2: bitmap of present element keys}
REDACTED = cbor2.CBORSimpleValue(59)  # SD-CWT redacted_claim_keys


def loads(data: bytes) -> Any:
    return strict_loads(data, max_bytes=1 << 16)


VIEWS: tuple[View, ...] = (FULL, RENTAL, AGE)
SALT = 16
NODE = 16


def _claims(extra: dict[int, object], device: LocalSigner) -> Claims:
    extra = {**extra, 8: encode_cnf(device.public_key)}
    return Claims(
        issuer=TEST_ISSUER,
        issued_at=FIXED_NOW,
        expires_at=FIXED_NOW + timedelta(hours=72),
        extra=extra,
    )


def _sign(payload: bytes, issuer: LocalSigner, **kw: Any) -> bytes:
    return encode_sign1(payload, alg=issuer.algorithm, kid=issuer.kid, sign=issuer.sign, **kw)


def _live(credential: bytes, device: LocalSigner, extra_aad: bytes = b"") -> bytes:
    """Today's DP1 presentation; (b) appends its disclosures, covered by the device proof."""
    data = encode_presentation(
        credential + extra_aad, alg=device.algorithm, sign=device.sign, presented_at=FIXED_NOW
    )
    if not extra_aad:
        return data
    # [credential, proof] -> [credential, proof, disclosures]: same proof size, 1 byte more
    # for the array head and the disclosures themselves.
    items = loads(data)
    return cbor2.dumps([credential, items[1], extra_aad])


# --- (c) several issuer-signed view credentials --------------------------------------------


def view_credential(
    licence: Licence, view: View, issuer: LocalSigner, device: LocalSigner
) -> bytes:
    """The library's own view credential (qrseal.Issuer.sign(view=...))."""
    signer = Issuer(signer=issuer, issuer=TEST_ISSUER)
    return signer.sign(licence, now=FIXED_NOW, holder_key=device.public_key, view=view).cose


def mech_c(licence: Licence, view: View, issuer: LocalSigner, device: LocalSigner) -> bytes:
    return _live(view_credential(licence, view, issuer, device), device)


# --- leaves shared by (a) and (b): one per element, age_over_NN one each ------------------


def leaves(licence: Licence) -> list[tuple[int, object]]:
    # In deterministic key order (§4): the licence fields, the two scalar age elements, then
    # the age_over_NN keys (negative integers sort after the unsigned ones).
    return sorted(record_elements(licence, now=FIXED_NOW).items(), key=lambda kv: sort_key(kv[0]))


def in_view(leaf: tuple[int, object], licence: Licence, view: View) -> bool:
    return leaf[0] in view_elements(licence, view, now=FIXED_NOW)


# --- (b) Merkle tree over salted, truncated digests ----------------------------------------


def _leaf_hash(salt: bytes, leaf: tuple[int, object]) -> bytes:
    return hashlib.sha256(b"\x00" + salt + cbor2.dumps(list(leaf))).digest()[:NODE]


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()[:NODE]


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k  # RFC 6962: the largest power of two below n


def merkle_root(hashes_: Sequence[bytes]) -> bytes:
    if len(hashes_) == 1:
        return hashes_[0]
    k = _split(len(hashes_))
    return _node_hash(merkle_root(hashes_[:k]), merkle_root(hashes_[k:]))


def multiproof(hashes_: Sequence[bytes], shown: Sequence[bool]) -> list[bytes]:
    """The subtree hashes, depth first, that a verifier needs beside the shown leaves."""
    if not any(shown):
        return [merkle_root(hashes_)]
    if len(hashes_) == 1:
        return []
    k = _split(len(hashes_))
    return multiproof(hashes_[:k], shown[:k]) + multiproof(hashes_[k:], shown[k:])


def rebuild(n: int, shown: dict[int, bytes], proof: list[bytes], lo: int = 0) -> bytes:
    """The root from the shown leaf hashes (by index) and the proof, consumed in order."""
    if not any(lo <= i < lo + n for i in shown):
        return proof.pop(0)
    if n == 1:
        return shown[lo]
    k = _split(n)
    return _node_hash(rebuild(k, shown, proof, lo), rebuild(n - k, shown, proof, lo + k))


@dataclass
class MerkleIssued:
    credential: bytes
    salts: list[bytes]
    leaves: list[tuple[int, object]]


def merkle_issue(
    licence: Licence, issuer: LocalSigner, device: LocalSigner, rng: random.Random
) -> MerkleIssued:
    items = leaves(licence)
    salts = [rng.randbytes(SALT) for _ in items]
    root = merkle_root([_leaf_hash(s, leaf) for s, leaf in zip(salts, items, strict=True)])
    bitmap = 0
    for key, _ in items:
        bitmap |= 1 << (key if key >= 0 else 99 - key)  # age_over_NN (-1 - NN): bit 100 + NN
    # the bitmap of the element keys present (bit k = key k), little-endian bytes
    present = bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")
    credential = _sign(encode_claims(_claims({SD_CLAIM: {1: root, 2: present}}, device)), issuer)
    return MerkleIssued(credential, salts, items)


def mech_b_disclosures(issued: MerkleIssued, licence: Licence, view: View) -> bytes:
    shown = [in_view(leaf, licence, view) for leaf in issued.leaves]
    hashes_ = [_leaf_hash(s, leaf) for s, leaf in zip(issued.salts, issued.leaves, strict=True)]
    opened = [
        [i, issued.salts[i], *issued.leaves[i]] for i, on in enumerate(shown) if on
    ]  # [index, salt, key, value]
    return cbor2.dumps([opened, multiproof(hashes_, shown)])


def mech_b(issued: MerkleIssued, licence: Licence, view: View, device: LocalSigner) -> bytes:
    return _live(issued.credential, device, mech_b_disclosures(issued, licence, view))


# --- (a) SD-CWT, draft-ietf-spice-sd-cwt-08 -------------------------------------------------


@dataclass
class SdCwtIssued:
    payload: bytes
    protected_extra: dict[int, object]
    disclosures: list[tuple[tuple[int, object], bytes]]  # (leaf, bstr-encoded disclosure)


def sdcwt_issue(licence: Licence, device: LocalSigner, rng: random.Random) -> SdCwtIssued:
    items = leaves(licence)
    disclosures = [(leaf, cbor2.dumps([rng.randbytes(SALT), leaf[1], leaf[0]])) for leaf in items]
    digests = [hashlib.sha256(d).digest() for _, d in disclosures]
    # profile (key 0) is not disclosable: it says how to read the rest.
    licence_map: dict[object, object] = {0: 1, REDACTED: digests[1:]}
    payload = cbor2.dumps(encode_claims_raw(_claims({LICENCE_CLAIM: licence_map}, device)))
    # typ (16) = application/sd-cwt (CoAP content format 293); sd_alg omitted: SHA-256.
    return SdCwtIssued(payload, {16: 293}, disclosures)


def encode_claims_raw(claims: Claims) -> dict[object, object]:
    return dict(loads(encode_claims(claims, sort_extra=False)))  # simple keys allowed


def mech_a(
    issued: SdCwtIssued, licence: Licence, view: View, issuer: LocalSigner, device: LocalSigner
) -> bytes:
    shown = [d for leaf, d in issued.disclosures if leaf[0] != 0 and in_view(leaf, licence, view)]
    sd_cwt = _sign(issued.payload, issuer, protected_extra=issued.protected_extra,
                   unprotected={17: shown})  # fmt: skip
    # KBT: protected {alg, typ = application/kb+cwt (294), kcwt = the SD-CWT}; payload {iat}.
    protected = deterministic_dumps({1: -7, 13: loads(sd_cwt), 16: 294})
    payload = cbor2.dumps({6: int(FIXED_NOW.timestamp())})
    signature = device.sign(sig_structure(protected, payload))
    return b"\xd2" + cbor2.dumps([protected, {}, payload, signature])


# --- measurement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    mechanism: str
    sample: int
    view: str
    size: int
    version: int
    shown: int
    withheld: int


def _text(data: bytes) -> str:
    return pack(data, DP_FORMAT, compress=None)


def presentations(
    seed: int = 13,
) -> dict[tuple[str, int, str], tuple[bytes, Callable[[], None]]]:
    """Every (mechanism, sample, view) -> (presentation bytes, a verify function)."""
    rng = random.Random(seed)
    issuer, device = make_signer(), make_device_signer()
    out: dict[tuple[str, int, str], tuple[bytes, Callable[[], None]]] = {}
    for i, licence in enumerate(sample_licences(), 1):
        sd = sdcwt_issue(licence, device, rng)
        mk = merkle_issue(licence, issuer, device, rng)
        for view in VIEWS:
            a = mech_a(sd, licence, view, issuer, device)
            b = mech_b(mk, licence, view, device)
            c = mech_c(licence, view, issuer, device)
            out["a", i, view.name] = (a, _verify_a(a))
            out["b", i, view.name] = (b, _verify_b(b))
            out["c", i, view.name] = (c, _verify_c(c))
    return out


def rows(seed: int = 13) -> list[Row]:
    result = []
    made = presentations(seed)
    for (mech, sample, view), (data, _) in made.items():
        licence = sample_licences()[sample - 1]
        n = len(leaves(licence))
        shown = sum(in_view(leaf, licence, next(v for v in VIEWS if v.name == view))
                    for leaf in leaves(licence))  # fmt: skip
        result.append(
            Row(
                mech,
                sample,
                view,
                len(data),
                qr.qr_version(_text(data), qr.Ecc.M),
                shown,
                n - shown,
            )
        )
    return result


# --- verification, as each mechanism needs it: decode, 2 signatures, digests ---------------

_ISSUER_PUB = make_signer().public_key
_DEVICE_PUB = make_device_signer().public_key


def _ecdsa(pub: object, sig: bytes, msg: bytes) -> None:
    if not isinstance(pub, ec.EllipticCurvePublicKey):
        raise TypeError("ES256 keys")
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub.verify(der, msg, ec.ECDSA(hashes.SHA256()))


def _verify_c(data: bytes) -> Callable[[], None]:
    def verify() -> None:
        credential, proof = loads(data)
        msg = loads(credential).value
        _ecdsa(_ISSUER_PUB, msg[3], sig_structure(msg[0], msg[2]))
        loads(msg[2])
        proof = proof.value
        _ecdsa(_DEVICE_PUB, proof[3], sig_structure(proof[0], proof[2], credential))

    return verify


def _verify_b(data: bytes) -> Callable[[], None]:
    def verify() -> None:
        credential, proof, disclosures = loads(data)
        msg = loads(credential).value
        _ecdsa(_ISSUER_PUB, msg[3], sig_structure(msg[0], msg[2]))
        claims = loads(msg[2])
        proof = proof.value
        _ecdsa(_DEVICE_PUB, proof[3], sig_structure(proof[0], proof[2], credential + disclosures))
        opened, nodes = loads(disclosures)
        shown = {d[0]: _leaf_hash(d[1], (d[2], d[3])) for d in opened}
        root = rebuild(_leaf_count(claims), shown, list(nodes))
        if not hmac.compare_digest(root, claims[SD_CLAIM][1]):
            raise ValueError("root")

    return verify


def _leaf_count(claims: dict[int, Any]) -> int:
    return bin(int.from_bytes(claims[SD_CLAIM][2], "little")).count("1")


def _verify_a(data: bytes) -> Callable[[], None]:
    def verify() -> None:
        kbt = loads(data).value
        protected = loads(kbt[0])
        sd = protected[13].value
        _ecdsa(_ISSUER_PUB, sd[3], sig_structure(sd[0], sd[2]))
        claims = loads(sd[2])
        _ecdsa(_DEVICE_PUB, kbt[3], sig_structure(kbt[0], kbt[2]))
        lic = claims[LICENCE_CLAIM]
        digests = lic[REDACTED]
        for disclosure in sd[1][17]:
            dg = hashlib.sha256(disclosure).digest()
            if not any(hmac.compare_digest(dg, x) for x in digests):
                raise ValueError("digest")
            loads(disclosure)

    return verify


def per_call(fn: Callable[[], object], budget: float = 0.3) -> float:
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < budget:
        fn()
        n += 1
    return (time.perf_counter() - start) / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    budget = 0.05 if args.quick else 0.3
    made = presentations()
    print(measurement_table())
    # raw primitive: two ES256 verifies (issuer and device), same run
    msg = b"x" * 300
    sig1 = make_signer().sign(msg)
    sig2 = make_device_signer().sign(msg)

    def raw() -> None:
        _ecdsa(_ISSUER_PUB, sig1, msg)
        _ecdsa(_DEVICE_PUB, sig2, msg)

    t_raw = per_call(raw, budget)
    print(f"\nraw primitive: 2 ES256 verifies = {t_raw * 1e6:.0f} µs")
    print("verify time / raw, median over the five samples:")
    for mech in "abc":
        for view in VIEWS:
            ratios = [per_call(made[mech, i, view.name][1], budget) / t_raw for i in range(1, 6)]
            print(f"  ({mech}) {view.name:7} {statistics.median(ratios):.2f}x")
    # issuer cost per licence: everything it computes and signs, three views
    issuer, device = make_signer(), make_device_signer()
    licence = sample_licences()[0]
    t_sign = per_call(lambda: issuer.sign(msg), budget)
    rng = random.Random(1)
    costs = {
        "a": per_call(lambda: sdcwt_issue(licence, device, rng) and None, budget) + t_sign,
        "b": per_call(lambda: merkle_issue(licence, issuer, device, rng), budget),
        "c": per_call(lambda: [view_credential(licence, v, issuer, device) for v in VIEWS], budget),
    }
    print(f"issuer cost per holder (one ES256 signature = {t_sign * 1e6:.0f} µs):")
    for mech, cost in costs.items():
        print(f"  ({mech}) {cost * 1e6:.0f} µs = {cost / t_sign:.1f} signatures")
    # the chosen mechanism (c) through the real verifier, against today's live code
    verifier = make_verifier()
    wallet = Issuer(signer=issuer, issuer=TEST_ISSUER).sign_views(
        licence, now=FIXED_NOW, holder_key=device.public_key
    )
    holder = Holder(wallet, device_signer=device)
    today = make_holder().present(now=FIXED_NOW)
    t_today = per_call(lambda: verifier.verify(today, now=FIXED_NOW), budget)
    print("qrseal Verifier.verify, sample 1 (ratio to the 2 raw verifies):")
    print(f"  today's live code (DP1)  {t_today * 1e6:.0f} µs = {t_today / t_raw:.2f}x")
    for view in VIEWS:
        t_view = per_call(partial(verifier.verify, holder.present(now=FIXED_NOW, view=view.name),
                                  now=FIXED_NOW), budget)  # fmt: skip
        print(f"  view {view.name:7}             {t_view * 1e6:.0f} µs = {t_view / t_raw:.2f}x")
    return 0


def measurement_table() -> str:
    """The size table of docs/format.md §17.1: bytes and QR version per view and mechanism."""
    data = rows()
    lines = [
        "| sample | view | elements shown / withheld | (a) SD-CWT bytes | QR v | (b) Merkle bytes | QR v | (c) view credential bytes | QR v |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by = {(r.mechanism, r.sample, r.view): r for r in data}
    for view in VIEWS:
        for i in range(1, 6):
            a, b, c = (by[m, i, view.name] for m in "abc")
            lines.append(
                f"| {i} | {view.name} | {a.shown} / {a.withheld} | {a.size} | {a.version} "
                f"| {b.size} | {b.version} | {c.size} | {c.version} |"
            )
    worst = {
        (m, v.name): max(by[m, i, v.name].version for i in range(1, 6))
        for m in "abc"
        for v in VIEWS
    }
    licence, device = sample_licences()[0], make_device_signer()
    eddsa = mech_c(licence, AGE, make_signer(), make_device_signer(Algorithm.EDDSA))
    short = Issuer(signer=make_signer(), issuer="CN-SC").sign(
        licence, now=FIXED_NOW, holder_key=device.public_key, view=AGE
    )
    short_code = _live(short.cose, device)
    lines.append("")
    lines.append(
        f"(c) `age` view of sample 1 with an Ed25519 device key: {len(eddsa)} bytes, version "
        f"{qr.qr_version(_text(eddsa), qr.Ecc.M)}; with the ES256 device key and the "
        f"five-character issuer name `CN-SC`: {len(short_code)} bytes, version "
        f"{qr.qr_version(_text(short_code), qr.Ecc.M)}."
    )
    lines.append("")
    lines.append(
        "Largest QR version per view (ECC M), (a) / (b) / (c): "
        + "; ".join(
            f"`{v.name}` {worst['a', v.name]} / {worst['b', v.name]} / {worst['c', v.name]}"
            for v in VIEWS
        )
        + "."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
