"""qrseal benchmarks: every figure next to the raw cryptographic primitive measured in
the same run, so ratios stay meaningful across machines.

    ./dev bench            (or: .venv/bin/python benchmarks/run.py [--quick])

Not a test: nothing here asserts. Targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image, ImageFilter

from qrseal import Algorithm, Holder, Issuer, TrustedKey, TrustStore, Verifier, qr
from qrseal.licence.model import Licence
from qrseal.licence.profile import DL_FORMAT, DP_FORMAT
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_device_signer,
    make_private_key,
    sample_licences,
)
from qrseal.wire.textcodec import unpack


def per_call(fn: Callable[[], object], *, budget: float = 0.4, repeat: int = 5) -> float:
    """Seconds per call: the median of ``repeat`` timed batches of ~budget/repeat each."""
    fn()
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 0.02:
        fn()
        n += 1
    batch = max(1, int(n * (budget / repeat) / 0.02))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t0) / batch)
    return statistics.median(samples)


def us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms"


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def screenshot(text: str) -> Image.Image:
    """A 1280x720 'screenshot' with the code at a phone-screen size, as sent through a chat app."""
    canvas = Image.new("RGB", (1280, 720), (236, 240, 244))
    code = qr.render_image(text, scale=5).convert("RGB")
    canvas.paste(code, (640 - code.width // 2, 360 - code.height // 2))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=80)
    return Image.open(io.BytesIO(buf.getvalue()))


def photo(text: str, seed: int = 7) -> Image.Image:
    """A 1000x1000 'photo' of a screen: slight rotation, blur, uneven light and sensor noise."""
    rng = np.random.default_rng(seed)
    code = qr.render_image(text, scale=6).convert("L").rotate(4, expand=True, fillcolor=255)
    canvas = Image.new("L", (1000, 1000), 200)
    canvas.paste(code, ((1000 - code.width) // 2, (1000 - code.height) // 2))
    canvas = canvas.filter(ImageFilter.GaussianBlur(1.2))
    arr = np.asarray(canvas, dtype=np.float32)
    light = np.linspace(0.75, 1.0, 1000, dtype=np.float32)[None, :]
    arr = arr * light + rng.normal(0, 8, arr.shape).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing batches")
    args = parser.parse_args()
    budget = 0.15 if args.quick else 0.5

    licences = sample_licences()
    message = b"x" * 300

    print("== raw primitives (cryptography), same run ==")
    raw: dict[Algorithm, tuple[float, float]] = {}
    p256 = make_private_key(Algorithm.ES256)
    assert isinstance(p256, ec.EllipticCurvePrivateKey)
    der = p256.sign(message, ec.ECDSA(hashes.SHA256()))
    pub = p256.public_key()
    raw[Algorithm.ES256] = (
        per_call(lambda: p256.sign(message, ec.ECDSA(hashes.SHA256())), budget=budget),
        per_call(lambda: pub.verify(der, message, ec.ECDSA(hashes.SHA256())), budget=budget),
    )
    ed = make_private_key(Algorithm.EDDSA)
    ed_sig = ed.sign(message)  # type: ignore[call-arg]
    ed_pub = ed.public_key()
    raw[Algorithm.EDDSA] = (
        per_call(lambda: ed.sign(message), budget=budget),  # type: ignore[call-arg]
        per_call(lambda: ed_pub.verify(ed_sig, message), budget=budget),  # type: ignore[call-arg]
    )
    for alg, (sign_t, verify_t) in raw.items():
        print(f"  {alg.name:<6} sign {us(sign_t)}   verify {us(verify_t)}")

    print("\n== qrseal issue / verify (sample licence 1), ratio to the raw primitive ==")
    licence = licences[0]
    results: dict[Algorithm, tuple[float, float]] = {}
    for alg in (Algorithm.ES256, Algorithm.EDDSA):
        key = make_private_key(alg)
        issuer = Issuer(signer=key, issuer="CN-BENCH")
        verifier = Verifier(TrustStore([TrustedKey(key.public_key(), "CN-BENCH")]))
        text = issuer.issue(licence, now=FIXED_NOW)
        issue_t = per_call(partial(issuer.issue, licence, now=FIXED_NOW), budget=budget)
        verify_t = per_call(partial(verifier.verify, text, now=FIXED_NOW), budget=budget)
        results[alg] = (issue_t, verify_t)
        sign_raw, verify_raw = raw[alg]
        print(f"  {alg.name:<6} issue  {us(issue_t)}  = {issue_t / sign_raw:4.2f}x raw sign")
        print(f"  {alg.name:<6} verify {us(verify_t)}  = {verify_t / verify_raw:4.2f}x raw verify")
    es_issue, es_verify = results[Algorithm.ES256]
    print(
        f"  target: ES256 verify <= 1.5x raw  -> {es_verify / raw[Algorithm.ES256][1]:.2f}x, "
        f"{verdict(es_verify <= 1.5 * raw[Algorithm.ES256][1])}"
    )
    print(
        f"  target: ES256 issue  <= 3x raw    -> {es_issue / raw[Algorithm.ES256][0]:.2f}x, "
        f"{verdict(es_issue <= 3 * raw[Algorithm.ES256][0])}"
    )

    print("\n== QR render and scan ==")
    issuer = Issuer(signer=make_private_key(Algorithm.ES256), issuer="CN-BENCH")
    text = issuer.issue(licence, now=FIXED_NOW)
    print(f"  render PIL image   {ms(per_call(lambda: qr.render_image(text), budget=budget))}")
    print(f"  render PNG bytes   {ms(per_call(lambda: qr.render_png(text), budget=budget))}")
    print(f"  render SVG         {ms(per_call(lambda: qr.render_svg(text), budget=budget))}")
    shot, snap = screenshot(text), photo(text)
    for name, image in (("1280x720 screenshot", shot), ("1000x1000 photo", snap)):
        found = qr.scan(image)
        ok = bool(found) and found[0].text == text
        for decoder in qr.available_decoders():
            t = per_call(partial(qr.scan, image, decoders=(decoder,)), budget=budget, repeat=3)
            print(f"  scan {name:<20} {decoder:<6} {ms(t)}")
        print(f"  scan {name:<20} pipeline reads it correctly: {ok}")

    print("\n== sizes per sample licence (ES256, QR default fields) ==")
    print("  #  COSE bytes  text chars  QR version (ECC M)")
    versions = []
    for i, lic in enumerate(licences, 1):
        text = issuer.issue(lic, now=FIXED_NOW, valid_for=timedelta(hours=72))
        _, cose_bytes = unpack(text, (DL_FORMAT,))
        version = qr.qr_version(text, qr.Ecc.M)
        versions.append(version)
        print(f"  {i}  {len(cose_bytes):10d}  {len(text):10d}  {version:18d}")
    print(
        f"  target: all <= v14 -> {verdict(max(versions) <= 14)}; "
        f"most <= v13 -> {sum(v <= 13 for v in versions)}/{len(versions)}"
    )

    live_codes(licences, raw, budget)


def live_codes(
    licences: tuple[Licence, ...], raw: dict[Algorithm, tuple[float, float]], budget: float
) -> None:
    """Live codes (DP1): generation with and without rendering, verification against two raw
    verifies (issuer + device), and size per sample (ES256 issuer key, as in docs/format.md)."""
    issuer_key = make_private_key(Algorithm.ES256)
    issuer = Issuer(signer=issuer_key, issuer=TEST_ISSUER)
    verifier = Verifier(TrustStore([TrustedKey(issuer_key.public_key(), TEST_ISSUER)]))
    print("\n== live codes (DP1): generate and verify (sample licence 1, ES256 issuer) ==")
    for device_alg in (Algorithm.ES256, Algorithm.EDDSA):
        device = make_device_signer(device_alg)
        credential = issuer.sign(licences[0], now=FIXED_NOW, holder_key=device.public_key)
        holder = Holder(credential, device_signer=device)
        code = holder.present(now=FIXED_NOW)
        present = partial(holder.present, now=FIXED_NOW)
        gen_t = per_call(present, budget=budget)
        image_t = per_call(lambda: qr.render_image(present()), budget=budget)  # noqa: B023
        png_t = per_call(lambda: qr.render_png(present()), budget=budget)  # noqa: B023
        live_t = per_call(partial(verifier.verify, code, now=FIXED_NOW), budget=budget)
        static_t = per_call(partial(verifier.verify, credential.text, now=FIXED_NOW), budget=budget)
        two_raw = raw[Algorithm.ES256][1] + raw[device_alg][1]
        name = f"{device_alg.name} device"
        print(f"  {name:<13} present            {ms(gen_t)}")
        print(
            f"  {name:<13} present + PIL image {ms(image_t)}   target <= 50 ms: {verdict(image_t <= 0.05)}"
        )
        print(
            f"  {name:<13} present + PNG bytes {ms(png_t)}   target <= 50 ms: {verdict(png_t <= 0.05)}"
        )
        print(f"  {name:<13} verify static DL1   {us(static_t)}")
        print(
            f"  {name:<13} verify live DP1     {us(live_t)}  = {live_t / two_raw:4.2f}x "
            f"(ES256 + {device_alg.name}) raw verifies, target <= 1.5x: {verdict(live_t <= 1.5 * two_raw)}"
        )
        print(
            f"  {name:<13} live - static       {us(live_t - static_t)}  (raw {device_alg.name} verify {us(raw[device_alg][1])})"
        )

    print("\n== live code sizes per sample licence (ES256 issuer, QR default fields) ==")
    print(
        "  #  bound cred  DP1 bytes (raw)  DP1 chars  QR v (M): ES256 dev  EdDSA dev  +8 B nonce  +16 B nonce"
    )
    worst = 0
    for i, licence in enumerate(licences, 1):
        cells = []
        for device_alg in (Algorithm.ES256, Algorithm.EDDSA):
            device = make_device_signer(device_alg)
            credential = issuer.sign(licence, now=FIXED_NOW, holder_key=device.public_key)
            holder = Holder(credential, device_signer=device)
            code = holder.present(now=FIXED_NOW)
            version = qr.qr_version(code, qr.Ecc.M)
            worst = max(worst, version)
            cells.append((credential, code, version, holder))
        (credential, code, es_v, holder), (_, _, ed_v, _) = cells
        nonce = hashlib.sha256(b"qrseal bench nonce").digest()  # incompressible, like a real one
        nonce8_v = qr.qr_version(holder.present(now=FIXED_NOW, nonce=nonce[:8]), qr.Ecc.M)
        nonce16_v = qr.qr_version(holder.present(now=FIXED_NOW, nonce=nonce[:16]), qr.Ecc.M)
        size = len(unpack(code, (DP_FORMAT,))[1])
        print(
            f"  {i}  {len(credential.cose):10d}  {size:15d}  {len(code):9d}  "
            f"{es_v:19d}  {ed_v:9d}  {nonce8_v:10d}  {nonce16_v:11d}"
        )
    print(f"  target: every live code <= v16 at ECC M -> v{worst}, {verdict(worst <= 16)}")


if __name__ == "__main__":
    main()
