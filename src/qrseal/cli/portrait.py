"""``qrseal issue --portrait PHOTO``: put a face image inside the signed credential.

The image libraries load only when ``--portrait`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import datetime

from ..licence.fields import QR_DEFAULT_FIELDS, LicenceField
from ..licence.model import Licence
from .args import UsageError, parse_positive_int, parse_time
from .exits import setup_step
from .files import FileKind, add_file_argument, read_input

__all__ = ["add_portrait_options", "apply_portrait"]


def _face(value: str) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(part) for part in value.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"give the face box as X,Y,W,H: {value!r}") from exc
    return x, y, w, h


def add_portrait_options(p: argparse.ArgumentParser) -> None:
    """The portrait options of ``issue``."""
    add_file_argument(
        p,
        "--portrait",
        kind=FileKind.INPUT,
        what="portrait photo",
        metavar="PHOTO",
        help="include a portrait made from this photo (JPEG 2000, 64x80, grey) in the QR",
    )
    p.add_argument(
        "--portrait-budget",
        type=parse_positive_int,
        default=600,
        metavar="BYTES",
        help="largest encoded portrait (default 600: QR version <= 25 at ECC M)",
    )
    p.add_argument("--face", type=_face, metavar="X,Y,W,H", help="face box in the photo")
    p.add_argument("--portrait-colour", action="store_true", help="keep colour")
    p.add_argument(
        "--portrait-date",
        type=parse_time,
        metavar="TIME",
        help="portrait_capture_date (default: the signing time)",
    )


def apply_portrait(
    licence: Licence, args: argparse.Namespace, now: datetime
) -> tuple[Licence, frozenset[str] | None]:
    """The licence with the portrait of ``--portrait`` (and its capture date), and the
    fields to sign (the QR view plus the portrait); unchanged and None without it."""
    if not getattr(args, "portrait", None):
        return licence, None
    from ..card.portrait import capture_date, make_portrait

    photo = read_input(args.portrait, what="portrait photo")
    with setup_step(f"--portrait {args.portrait}"):  # an unusable photo is the operator's
        portrait = make_portrait(
            photo, budget=args.portrait_budget, colour=args.portrait_colour, face=args.face
        )
    taken = capture_date(args.portrait_date or now)
    if taken > now:
        raise UsageError("--portrait-date is after the signing time")
    licence = dataclasses.replace(licence, portrait=portrait.data, portrait_capture_date=taken)
    return licence, frozenset(QR_DEFAULT_FIELDS | {LicenceField.PORTRAIT})
