"""The licence as people see it (亮证): the card, drawn from a *verified* licence, and the
portrait that goes into the signed credential.

- :func:`render_card` → PIL image; :func:`card_png`, :func:`card_svg`, :func:`save_card`.
  The verifier view shows the verdict (VALID, live or static, data and presentation age,
  the current time); the holder view shows the QR code the holder presents (black or red,
  as the 12123 app draws it). A rejected credential gets a card with the reason and no
  licence data: nothing unverified is ever shown.
- :func:`~qrseal.card.portrait.make_portrait`: photo → portrait bytes under a byte budget.

This package sits above the verifier and holder (it needs a :class:`VerifiedLicence`) and
loads Pillow, qrcode and fontTools only when it draws.

>>> from qrseal.testing import FIXED_NOW, make_issuer, make_verifier, sample_licence
>>> verified = make_verifier().verify(make_issuer().issue(sample_licence(0), now=FIXED_NOW), now=FIXED_NOW)
>>> render_card(verified).size
(1100, 660)
"""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidArgument, QrsealError
from ..verifier import VerifiedLicence
from .fonts import DEFAULT_FONTS, FontFile, FontStack
from .layout import CARD_SIZE, CodeColour, Op, View, code_colour, layout, mask_number

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "CARD_SIZE",
    "DEFAULT_FONTS",
    "CodeColour",
    "FontFile",
    "FontStack",
    "View",
    "card_png",
    "card_svg",
    "code_colour",
    "mask_number",
    "render_card",
    "save_card",
]


def _ops_and_fonts(
    result: VerifiedLicence | QrsealError,
    view: View | str,
    lang: str,
    mask: bool,
    code: str | None,
    now: datetime | None,
    fonts: FontStack | None,
) -> tuple[list[Op], FontStack]:
    ops = layout(result, view=View(view), lang=lang, mask=mask, code=code, now=now)
    return ops, fonts if fonts is not None else FontStack()


def render_card(
    result: VerifiedLicence | QrsealError,
    *,
    view: View | str = View.VERIFIER,
    lang: str = "zh",
    mask: bool = False,
    code: str | None = None,
    now: datetime | None = None,
    fonts: FontStack | None = None,
) -> Image.Image:
    """The card of a verified licence (or of a rejection) as an RGB PIL image.

    ``view``: ``verifier`` (the verdict panel) or ``holder`` (the QR code of ``code``, the
    text the holder shows: a ``DP1`` live code from ``Holder.present`` or the ``DL1``
    credential; redraw with each fresh code). ``lang``: ``zh`` or ``en``. ``mask`` stars
    the middle of the document number. ``now``: the time printed as the current time
    (default: the verification time; required for a rejection). ``fonts``: a
    :class:`FontStack` to reuse across cards. Raises InvalidArgument or StorageFailed (no
    font installed)."""
    from .draw import draw_image

    ops, stack = _ops_and_fonts(result, view, lang, mask, code, now, fonts)
    return draw_image(ops, stack)


def card_png(
    result: VerifiedLicence | QrsealError,
    *,
    view: View | str = View.VERIFIER,
    lang: str = "zh",
    mask: bool = False,
    code: str | None = None,
    now: datetime | None = None,
    fonts: FontStack | None = None,
) -> bytes:
    """:func:`render_card` as PNG bytes (same options)."""
    image = render_card(result, view=view, lang=lang, mask=mask, code=code, now=now, fonts=fonts)
    out = io.BytesIO()
    image.save(out, "PNG")  # optimize=True would triple the time for ~10 % smaller files
    return out.getvalue()


def card_svg(
    result: VerifiedLicence | QrsealError,
    *,
    view: View | str = View.VERIFIER,
    lang: str = "zh",
    mask: bool = False,
    code: str | None = None,
    now: datetime | None = None,
    fonts: FontStack | None = None,
) -> str:
    """The card as a standalone SVG document (same layout and options as
    :func:`render_card`; text is SVG text set in the stack's font families)."""
    from .draw import draw_svg

    ops, stack = _ops_and_fonts(result, view, lang, mask, code, now, fonts)
    return draw_svg(ops, stack)


def save_card(
    result: VerifiedLicence | QrsealError,
    path: str | os.PathLike[str],
    *,
    view: View | str = View.VERIFIER,
    lang: str = "zh",
    mask: bool = False,
    code: str | None = None,
    now: datetime | None = None,
    fonts: FontStack | None = None,
) -> None:
    """Write the card to ``path``: SVG for a ``.svg`` name, else PNG."""
    target = Path(path)
    if target.suffix.lower() == ".svg":
        svg = card_svg(result, view=view, lang=lang, mask=mask, code=code, now=now, fonts=fonts)
        target.write_text(svg, encoding="utf-8")
    elif target.suffix.lower() == ".png":
        png = card_png(result, view=view, lang=lang, mask=mask, code=code, now=now, fonts=fonts)
        target.write_bytes(png)
    else:
        raise InvalidArgument("the card file must end in .png or .svg")
