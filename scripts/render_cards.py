"""Render the example licence cards shown in the README (docs/card-*.png). The golden-image
tests (tests/card/test_card.py) render the same cards and compare them with these files.

    .venv/bin/python scripts/render_cards.py          # rewrite docs/card-*.png

Deterministic: the test issuer's Ed25519 key at the fixed clock of qrseal.testing, the portrait made from
scikit-image's bundled ``astronaut`` photo (a NASA portrait, public domain) with the face
box its bundled LBP face detector finds.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from PIL import Image

from qrseal.card import FontStack, render_card
from qrseal.card.portrait import make_portrait
from qrseal.errors import QrsealError
from qrseal.issuer import Issuer
from qrseal.licence.fields import QR_DEFAULT_FIELDS, LicenceField
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_signer, make_verifier, sample_licence
from qrseal.wire.cose import Algorithm

DOCS = Path(__file__).resolve().parents[1] / "docs"
#: The face box (x, y, w, h) skimage's LBP frontal-face cascade finds in ``astronaut``
#: (scale_factor 1.2, step_ratio 1, min_size 60): fixed here so the cards need no detector.
ASTRONAUT_FACE = (174, 66, 96, 96)


def astronaut() -> Image.Image:
    """scikit-image's bundled astronaut photo (in the wheel; nothing is downloaded)."""
    from skimage import data

    load: Any = data.astronaut  # scikit-image is untyped
    return Image.fromarray(load())


def portrait_credential(index: int = 0) -> str:
    """Sample licence ``index`` with the default portrait, signed with the portrait in the QR."""
    portrait = make_portrait(astronaut(), face=ASTRONAUT_FACE)
    licence = dataclasses.replace(
        sample_licence(index), portrait=portrait.data, portrait_capture_date=FIXED_NOW
    )
    fields = QR_DEFAULT_FIELDS | {LicenceField.PORTRAIT}
    # Ed25519 signatures are deterministic, so the holder card's QR code is too.
    signer = make_signer(Algorithm.EDDSA)
    return Issuer(signer=signer, issuer=TEST_ISSUER, fields=fields).issue(licence, now=FIXED_NOW)


def sample_cards(fonts: FontStack | None = None) -> dict[str, Image.Image]:
    """The README's cards by file name."""
    fonts = fonts or FontStack()
    verifier = make_verifier()
    text = portrait_credential(0)
    verified = verifier.verify(text, now=FIXED_NOW)
    suspended = portrait_credential(2)
    try:
        verifier.verify(text[:-1] + ("0" if text[-1] != "0" else "1"), now=FIXED_NOW)
        raise SystemExit("a damaged credential verified")
    except QrsealError as exc:
        rejected = exc
    return {
        "card-verifier-zh.png": render_card(verified, fonts=fonts),
        "card-holder-en.png": render_card(
            verifier.verify(suspended, now=FIXED_NOW),
            view="holder", code=suspended, lang="en", mask=True, fonts=fonts,
        ),
        "card-rejected-en.png": render_card(rejected, lang="en", now=FIXED_NOW, fonts=fonts),
    }  # fmt: skip


def main() -> int:
    for name, image in sample_cards().items():
        image.save(DOCS / name, "PNG", optimize=True)
        print(f"wrote docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
