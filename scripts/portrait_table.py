"""Measure portrait encodings and write the table into docs/format.md §5.5 (between the
``portrait-table`` markers). A test runs ``--check`` so the table cannot drift.

    .venv/bin/python scripts/portrait_table.py          # rewrite the table
    .venv/bin/python scripts/portrait_table.py --check  # exit 1 if it is out of date

For each face (scikit-image's bundled ``astronaut`` photo, cropped on the face box its
bundled LBP cascade finds, and two generated faces), each encoding (JPEG, JPEG 2000, WebP,
AVIF; greyscale, 64x80 px, :func:`qrseal.card.portrait.prepare_portrait`) and each byte
budget: the bytes :func:`~qrseal.card.portrait.encode_at_budget` reaches, SSIM against the
unencoded image, and the QR version (ECC M) of sample licence 0 signed with that portrait.
Deterministic: same encoders, same pixels, same numbers; Ed25519 signatures.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from qrseal.card.portrait import PortraitFormat, encode_at_budget, prepare_portrait, ssim
from qrseal.issuer import Issuer
from qrseal.licence.fields import QR_DEFAULT_FIELDS, LicenceField
from qrseal.licence.portrait import portrait_mime
from qrseal.qr.render import qr_version
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_signer, sample_licence
from qrseal.wire.cose import Algorithm

DOC = Path(__file__).resolve().parents[1] / "docs" / "format.md"
BUDGETS = (400, 600, 800, 1200)
#: skimage's LBP frontal-face cascade on ``astronaut`` (scale 1.2, step 1, min size 60).
ASTRONAUT_FACE = (174, 66, 96, 96)
_BEGIN, _END = "<!-- BEGIN GENERATED portrait-table -->", "<!-- END GENERATED portrait-table -->"


def generated_face(seed: int) -> Image.Image:
    """A synthetic 400x500 greyscale head-and-shoulders portrait: shaded head, hair, eyes,
    brows, nose, mouth, shoulders, a textured background and sensor noise (seeded)."""
    rng = np.random.default_rng(seed)
    w, h = 400, 500
    bg = np.linspace(150 + 40 * rng.random(), 210, h)[:, None] * np.ones((1, w))
    image = Image.fromarray(bg.astype(np.uint8), "L")
    d = ImageDraw.Draw(image)
    tone = int(rng.integers(150, 200))
    d.ellipse((60, 400, 340, 640), fill=int(rng.integers(40, 90)))  # shoulders
    d.rectangle((170, 330, 230, 420), fill=tone - 20)  # neck
    head = (110, 90 + int(rng.integers(-10, 10)), 290, 360)
    d.ellipse(head, fill=tone)
    d.chord((100, 60, 300, 260), 180, 360, fill=int(rng.integers(10, 60)))  # hair
    eye_y = head[1] + 110
    for x in (160, 240):
        d.ellipse((x - 18, eye_y - 8, x + 18, eye_y + 8), fill=235)
        d.ellipse((x - 7, eye_y - 7, x + 7, eye_y + 7), fill=30)
        d.line((x - 22, eye_y - 22, x + 20, eye_y - 26), fill=50, width=5)  # brow
    d.line((200, eye_y + 10, 192, eye_y + 60, 208, eye_y + 62), fill=tone - 50, width=3)
    d.arc((165, eye_y + 70, 235, eye_y + 110), 20, 160, fill=90, width=5)  # mouth
    if seed % 2:
        for x in (160, 240):  # glasses
            d.ellipse((x - 30, eye_y - 22, x + 30, eye_y + 22), outline=20, width=4)
        d.line((190, eye_y, 210, eye_y), fill=20, width=4)
    image = image.filter(ImageFilter.GaussianBlur(2.5))
    shade = np.linspace(1.1, 0.85, w)[None, :]  # light from the left
    noisy = np.asarray(image, dtype=np.float64) * shade + rng.normal(0, 6, (h, w))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "L")


def faces() -> dict[str, tuple[Image.Image, tuple[int, int, int, int] | None]]:
    """The measured faces: name -> (photo, face box or None for a centre crop)."""
    from skimage import data

    load: Any = data.astronaut  # in the scikit-image wheel: nothing is downloaded
    return {
        "astronaut (photo)": (Image.fromarray(load()), ASTRONAUT_FACE),
        "generated A": (generated_face(1), None),
        "generated B (glasses)": (generated_face(2), None),
    }


def _qr_version(portrait: bytes) -> int:
    """The QR version of sample licence 0 carrying ``portrait``. The licence accepts only
    JPEG and JPEG 2000, so a WebP or AVIF portrait is stood in for by a JPEG 2000 marker
    and as many bytes (the version depends on the length only)."""
    if portrait_mime(portrait) is None:
        portrait = b"\xff\x4f\xff\x51" + portrait[4:]
    licence = dataclasses.replace(sample_licence(0), portrait=portrait)
    issuer = Issuer(
        signer=make_signer(Algorithm.EDDSA),
        issuer=TEST_ISSUER,
        fields=QR_DEFAULT_FIELDS | {LicenceField.PORTRAIT},
    )
    return qr_version(issuer.issue(licence, now=FIXED_NOW))


def measure() -> list[tuple[str, PortraitFormat, int, int, float, int]]:
    """Rows: face, format, budget, bytes (0: does not fit), SSIM, QR version (ECC M)."""
    rows = []
    for name, (photo, box) in faces().items():
        image = prepare_portrait(photo, face=box)
        for fmt in PortraitFormat:
            for budget in BUDGETS:
                found = encode_at_budget(image, fmt, budget)
                if found is None:
                    rows.append((name, fmt, budget, 0, 0.0, 0))
                    continue
                data = found[0]
                with Image.open(io.BytesIO(data)) as decoded:
                    score = ssim(image, decoded.convert("L"))
                rows.append((name, fmt, budget, len(data), score, _qr_version(data)))
    return rows


def table() -> str:
    """The markdown table of :func:`measure`, with the baseline without a portrait."""
    rows = measure()
    names = list(dict.fromkeys(r[0] for r in rows))
    base = qr_version(
        Issuer(signer=make_signer(Algorithm.EDDSA), issuer=TEST_ISSUER).issue(
            sample_licence(0), now=FIXED_NOW
        )
    )
    head = "| format | budget | " + " | ".join(f"{n}: bytes / SSIM" for n in names)
    lines = [
        head + " | QR version (ECC M) |",
        "|---|---|" + "---|" * len(names) + "---|",
    ]
    by_key = {(r[0], r[1], r[2]): r for r in rows}
    for fmt in PortraitFormat:
        for budget in BUDGETS:
            cells, versions = [], []
            for n in names:
                _, _, _, size, score, version = by_key[(n, fmt, budget)]
                cells.append(f"{size} / {score:.3f}" if size else "does not fit")
                if version:
                    versions.append(version)
            span = f"{min(versions)}–{max(versions)}" if versions else "-"
            if versions and min(versions) == max(versions):
                span = str(versions[0])
            lines.append(f"| {fmt.value} | {budget} | " + " | ".join(cells) + f" | {span} |")
    lines.append("")
    lines.append(
        f"Without a portrait the same credential is QR version {base}. Greyscale 64×80 px; "
        "SSIM of the decoded portrait against the unencoded one (1.000 = identical)."
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/format.md is stale")
    args = parser.parse_args()
    doc = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(_BEGIN) + r".*?" + re.escape(_END), re.DOTALL)
    if not pattern.search(doc):
        print("docs/format.md has no portrait-table markers", file=sys.stderr)
        return 1
    new = pattern.sub(lambda _: f"{_BEGIN}\n{table()}\n{_END}", doc)
    if args.check:
        if new != doc:
            print("docs/format.md portrait table is out of date: run scripts/portrait_table.py")
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    print("docs/format.md portrait table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
