"""Portrait and card costs (issue #12), all in one run on this machine:

- verify: a credential with the 600-byte portrait against the same without one (verify
  never decodes the portrait; it only carries more bytes);
- decoding the portrait within its bounds (what a card adds after verify), JPEG 2000 and JPEG;
- make_portrait from the astronaut photo (issuer side);
- render_card (PNG) with a warm font stack, and the first card of a process (cold stack).

    .venv/bin/python benchmarks/portrait_bench.py [--repeat N]

Not a test: nothing asserts; targets from the issue are printed with the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable
from typing import Any

from PIL import Image

from qrseal.card import FontStack, card_png
from qrseal.card.portrait import PortraitFormat, make_portrait
from qrseal.issuer import Issuer
from qrseal.licence.fields import QR_DEFAULT_FIELDS, LicenceField
from qrseal.licence.portrait import PORTRAIT_FORMATS, PORTRAIT_MAX_PIXELS
from qrseal.qr.image import open_small_image
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_signer, make_verifier, sample_licence


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    from skimage import data

    load: Any = data.astronaut
    photo = Image.fromarray(load())
    face = (174, 66, 96, 96)
    t0 = time.perf_counter()
    fonts = FontStack()
    verifier = make_verifier()
    j2k = make_portrait(photo, face=face)
    jpeg = make_portrait(photo, face=face, fmt=PortraitFormat.JPEG)
    fields = QR_DEFAULT_FIELDS | {LicenceField.PORTRAIT}
    issuer = Issuer(signer=make_signer(), issuer=TEST_ISSUER, fields=fields)
    plain = Issuer(signer=make_signer(), issuer=TEST_ISSUER).issue(sample_licence(0), now=FIXED_NOW)
    with_portrait = issuer.issue(
        dataclasses.replace(sample_licence(0), portrait=j2k.data), now=FIXED_NOW
    )
    verified = verifier.verify(with_portrait, now=FIXED_NOW)
    cold = time.perf_counter()
    card_png(verified, fonts=fonts)
    first_card = time.perf_counter() - cold

    r = args.repeat
    v_plain = median_ms(lambda: verifier.verify(plain, now=FIXED_NOW), r)
    v_port = median_ms(lambda: verifier.verify(with_portrait, now=FIXED_NOW), r)

    def decode(data: bytes) -> Callable[[], Any]:
        return lambda: open_small_image(
            data, max_pixels=PORTRAIT_MAX_PIXELS, formats=PORTRAIT_FORMATS
        )

    d_j2k = median_ms(decode(j2k.data), r)
    d_jpeg = median_ms(decode(jpeg.data), r)
    make = median_ms(lambda: make_portrait(photo, face=face), max(3, r // 20))
    card = median_ms(lambda: card_png(verified, fonts=fonts), max(3, r // 20))
    card_en = median_ms(lambda: card_png(verified, fonts=fonts, lang="en"), max(3, r // 20))
    print(
        f"== portrait and card costs (median of {r} runs; set-up {time.perf_counter() - t0:.1f} s) =="
    )
    print(f"  portrait: JPEG 2000 {len(j2k.data)} B, JPEG {len(jpeg.data)} B (budget 600)")
    print(f"  credential text: {len(plain)} chars without, {len(with_portrait)} with portrait")
    print(f"  verify without portrait        {v_plain:8.3f} ms")
    print(
        f"  verify with portrait           {v_port:8.3f} ms  (+{v_port - v_plain:.3f} ms; nothing decoded)"
    )
    print(f"  decode portrait JPEG 2000      {d_j2k:8.3f} ms  (target: <= 10 ms added)")
    print(f"  decode portrait JPEG           {d_jpeg:8.3f} ms")
    print(f"  make_portrait (512x512 photo)  {make:8.1f} ms")
    print(f"  card PNG zh (warm fonts)       {card:8.1f} ms")
    print(f"  card PNG en (warm fonts)       {card_en:8.1f} ms")
    print(f"  first card of a process        {first_card * 1e3:8.1f} ms  (loads font maps)")


if __name__ == "__main__":
    main()
