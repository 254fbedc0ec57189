"""``qrseal demo``: issue -> QR PNG -> scan -> verify -> card PNG, with a fresh key, in one go."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TextIO

from ..card import save_card
from ..issuer import Issuer
from ..qr.render import Ecc, qr_version, render_png
from ..qr.scanning import scan
from ..testing import sample_licence
from ..verifier import TrustedKey, TrustStore, Verifier
from ..wire.cose import Algorithm
from ..wire.keys import generate_private_key
from .args import now_of
from .files import output_dir, write_output
from .verify import summary

__all__ = ["run_demo"]


def run_demo(args: argparse.Namespace, out: TextIO) -> int:
    """The whole chain on a sample licence, each step printed."""
    folder = (
        output_dir(args.out, what="--out folder")
        if args.out
        else Path(tempfile.mkdtemp(prefix="qrseal-demo-"))
    )
    now = now_of(args)
    key = generate_private_key(Algorithm.ES256)
    issuer = Issuer(signer=key, issuer="CN-DEMO")
    licence = sample_licence(args.sample)
    text = issuer.issue(licence, now=now)
    png = folder / "licence-qr.png"
    write_output(png, render_png(text), what="PNG file")
    print(
        f"1. issued    {len(text)} characters, QR version {qr_version(text, Ecc.M)} (ECC M)",
        file=out,
    )
    print(f"2. rendered  {png}", file=out)
    scanned = scan(png)
    print(f"3. scanned   {len(scanned)} code(s) with {scanned[0].decoder}", file=out)
    verifier = Verifier(TrustStore([TrustedKey(key.public_key(), "CN-DEMO")]))
    verified = verifier.verify(scanned[0].text, now=now)
    print("4. verified offline against the issuer's public key\n", file=out)
    print(summary(verified), file=out)
    card = folder / "licence-card.png"
    save_card(verified, card, now=now)
    print(f"\n5. card      {card}", file=out)
    return 0
