"""The card's layout: a verified licence (or a rejection) → a list of drawing operations
in card pixels, drawn by :mod:`qrseal.card.draw` as a PIL image or as SVG (one layout, two
back ends, so PNG and SVG show the same facts).

What the card shows follows the 12123 e-licence (licence-model.md §2.10): portrait, names
in national characters and Latin, sex, birth date, nationality, document number (masked
on request), file number, classes with their ISO categories, validity (or 长期), status
letters with their meaning, points with their as-of time, issuing authority, the next
deadlines, and the verification facts. The header and the QR code are black when the
status is normal and red when it is not (§2.9: :func:`code_colour`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from ..errors import InvalidArgument, QrsealError
from ..licence import china as cn
from ..licence.china import CN_UTC_OFFSET, DrivePermitted
from ..licence.deadlines import upcoming_deadlines
from ..licence.model import Licence
from ..qr.render import DEFAULT_BORDER, qr_version
from ..verifier import VerifiedLicence
from .labels import DEADLINES, LABELS, SEX, STATUS_MEANINGS

__all__ = [
    "CARD_SIZE",
    "CodeColour",
    "ImageOp",
    "Op",
    "QrOp",
    "RectOp",
    "TextOp",
    "View",
    "canvas_size",
    "code_colour",
    "layout",
    "mask_number",
]

#: Card size in pixels (width, height); the holder view grows to fit a large code.
CARD_SIZE: Final = (1100, 660)
_W, _H = CARD_SIZE
#: The holder view's code is at least this many pixels square...
_QR_SIDE: Final = 280
#: ...and at least this many pixels per module, so that a phone photographing the screen
#: still resolves a dense code (a portrait's v24 would be 2 px/module at 280 px).
QR_MIN_MODULE_PX: Final = 4
_SIDE_X: Final = 780
_INK: Final = "#111111"
_GREY: Final = "#666666"
_PAPER: Final = "#fbfaf5"
_GREEN: Final = "#0a7d32"
_RED: Final = "#c8102e"


class View(StrEnum):
    """Whose card: the verifier's (with the verdict) or the holder's (with the QR code)."""

    VERIFIER = "verifier"
    HOLDER = "holder"


class CodeColour(StrEnum):
    """The colour of the code and header: black when all is normal, red when not."""

    BLACK = "#111111"
    RED = _RED


@dataclass(frozen=True, slots=True)
class RectOp:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1
    fill: str | None
    outline: str | None = None


@dataclass(frozen=True, slots=True)
class TextOp:
    xy: tuple[int, int]  # top-left
    text: str
    size: int
    fill: str
    max_width: int | None = None  # shrink the size until the text fits


@dataclass(frozen=True, slots=True)
class ImageOp:
    box: tuple[int, int, int, int]
    data: bytes  # the encoded portrait, decoded (bounded) only by the back end


@dataclass(frozen=True, slots=True)
class QrOp:
    xy: tuple[int, int]
    side: int
    text: str
    colour: str


Op = RectOp | TextOp | ImageOp | QrOp


def canvas_size(ops: list[Op]) -> tuple[int, int]:
    """The card's size: :data:`CARD_SIZE`, or larger to hold every box in ``ops``."""
    width, height = CARD_SIZE
    for op in ops:
        if isinstance(op, RectOp | ImageOp):
            width, height = max(width, op.box[2]), max(height, op.box[3])
        elif isinstance(op, QrOp):
            width, height = max(width, op.xy[0] + op.side), max(height, op.xy[1] + op.side)
    return width, height


def _qr_side(code: str) -> int:
    """Side in pixels of the holder view's code: at least :data:`QR_MIN_MODULE_PX` a module
    (quiet zone included, as the back ends draw it)."""
    modules = 17 + 4 * qr_version(code) + 2 * DEFAULT_BORDER
    return max(_QR_SIDE, QR_MIN_MODULE_PX * modules)


def _holder_size(code: str) -> tuple[int, int]:
    """The holder card's size: wider and taller than :data:`CARD_SIZE` for a large code."""
    side = _qr_side(code)
    return max(_W, _SIDE_X + side + 40), max(_H, 112 + side + 90)


def code_colour(licence: Licence, on: datetime) -> CodeColour:
    """RED when the licence is not normal on ``on`` (its China-local date): a status that
    does not permit driving or needs a check (满分, 暂扣, 吊销, 逾期未换证, 逾期未审验, ...),
    an expired licence, or 12 points or more; else BLACK (§2.9)."""
    today = on.astimezone(CN_UTC_OFFSET).date()
    normal = licence.drive_permitted(today) is DrivePermitted.YES and licence.points < 12
    return CodeColour.BLACK if normal else CodeColour.RED


def mask_number(number: str) -> str:
    """Keep the first four and last four characters; star the rest."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _local(moment: datetime) -> str:
    return moment.astimezone(CN_UTC_OFFSET).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+8)"


def _age(delta: timedelta, lang: str) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "未来" if lang == "zh" else "in the future"
    for zh, en, size in (("天", "d", 86400), ("小时", "h", 3600), ("分钟", "min", 60)):
        if seconds >= size:
            return f"{seconds // size} {zh if lang == 'zh' else en}"
    return f"{seconds} {'秒' if lang == 'zh' else 's'}"


def _rejected(error: QrsealError, lang: str, now: datetime) -> list[Op]:
    words = LABELS[lang]
    return [
        RectOp((0, 0, _W, _H), _PAPER),
        RectOp((0, 0, _W, 80), _RED),
        TextOp((40, 18), words["title"], 34, "#ffffff"),
        TextOp((40, 160), words["rejected"], 72, _RED),
        TextOp((40, 280), f"{words['reason']}: {error.reason.value}", 36, _INK, _W - 80),
        TextOp((40, 340), error.message, 24, _GREY, _W - 80),
        TextOp((40, 560), f"{words['now']}: {_local(now)}", 24, _INK),
    ]


def layout(
    result: VerifiedLicence | QrsealError,
    *,
    view: View | str = View.VERIFIER,
    lang: str = "zh",
    mask: bool = False,
    code: str | None = None,
    now: datetime | None = None,
) -> list[Op]:
    """The drawing operations for one card (see :func:`qrseal.card.render_card`)."""
    if lang not in LABELS:
        raise InvalidArgument(f"lang must be one of {sorted(LABELS)}")
    view = View(view)
    if isinstance(result, QrsealError):
        if now is None:
            raise InvalidArgument("a rejected card needs now=")
        return _rejected(result, lang, now)
    if not isinstance(result, VerifiedLicence):
        raise InvalidArgument("render_card needs a VerifiedLicence or a QrsealError")
    if view is View.HOLDER and not code:
        raise InvalidArgument("the holder view needs code= (the text its QR code shows)")
    now = now or result.verified_at
    lic, words = result.licence, LABELS[lang]
    colour = code_colour(lic, now).value
    today = now.astimezone(CN_UTC_OFFSET).date()
    width, height = _holder_size(code) if view is View.HOLDER and code else CARD_SIZE
    ops: list[Op] = [
        RectOp((0, 0, width, height), _PAPER),
        RectOp((0, 0, width, 80), colour),
        TextOp((40, 18), words["title"], 34, "#ffffff"),
    ]
    # Portrait (decoded by the back end, within bounds, only now: after verification).
    box = (40, 110, 240, 360)
    ops.append(RectOp(box, "#e8e6df", _GREY))
    if lic.portrait:
        ops.append(ImageOp(box, lic.portrait))
    else:
        ops.append(TextOp((80, 220), words["no_portrait"], 22, _GREY))
    national = lic.full_name_national_character or (
        lic.family_name_national_character + lic.given_name_national_character
    )
    codes = tuple(p.class_code for p in lic.domestic_privileges)
    classes = "".join(codes)
    # The ISO categories the licence carries; else the informative §2.12 mapping ("≈").
    carried = [q.vehicle_category_code for q in lic.driving_privileges]
    mapped = sorted(cn.derivable_iso_categories(codes, lic.issue_date))
    iso = " ".join(carried) if carried else "≈ " + " ".join(mapped) if mapped else "-"
    expiry = lic.expiry_date.isoformat() if lic.expiry_date else words["long_term"]
    meanings = STATUS_MEANINGS[lang]
    status = " · ".join(f"{letter} {meanings.get(letter, '?')}" for letter in lic.status)
    as_of = lic.points_as_of or result.issued_at
    number = mask_number(lic.document_number) if mask else lic.document_number
    authority = lic.issuing_authority_national_character if lang == "zh" else None
    authority = authority or lic.issuing_authority or result.issuer
    rows = [
        ("name", f"{national}  {lic.family_name} {lic.given_name}", _INK),
        ("sex", SEX[lang].get(int(lic.sex), str(int(lic.sex))), _INK),
        ("birth", lic.birth_date.isoformat(), _INK),
        ("nationality", lic.nationality, _INK),
        ("number", number, _INK),
        ("file", lic.administrative_number, _INK),
        ("classes", f"{classes}   ({words['iso']} {iso})", _INK),
        ("validity", f"{lic.issue_date.isoformat()} {words['to']} {expiry}", _INK),
        ("status", status, _INK if colour == CodeColour.BLACK else _RED),
        (
            "points",
            f"{lic.points}/12   ({words['as_of']} {_local(as_of)})",
            _INK if lic.points < 12 else _RED,
        ),
        ("authority", authority, _INK),
    ]
    y = 104
    for key, value, fill in rows:
        ops.append(TextOp((270, y), words[key], 20, _GREY, 112))
        ops.append(TextOp((390, y - 2), value, 24, fill, 350))
        y += 40
    due = upcoming_deadlines(lic, today)[:3]
    names = DEADLINES[lang]
    listed = "   ".join(f"{names[d.kind.value]} {d.due.isoformat()}" for d in due)
    ops.append(TextOp((40, 560), f"{words['deadlines']}: {listed}", 20, _INK, _W - 80))
    ops.append(TextOp((40, 600), f"{words['now']}: {_local(now)}", 20, _INK))
    ops.extend(_side(result, view, lang, code, now, colour))
    return ops


def _side(
    result: VerifiedLicence, view: View, lang: str, code: str | None, now: datetime, colour: str
) -> list[Op]:
    words = LABELS[lang]
    x = _SIDE_X
    generated = f"{words['generated']}: {_local(result.issued_at)}"
    if view is View.HOLDER and code:
        side = _qr_side(code)
        y = 112 + side
        return [
            RectOp((x - 20, 100, x + side + 20, max(540, y + 72)), "#ffffff", "#cccccc"),
            QrOp((x, 112), side, code, colour),
            TextOp((x, y + 8), generated, 15, _INK, max(290, side)),
            TextOp((x, y + 33), f"{words['now']}: {_local(now)}", 15, _INK, max(290, side)),
        ]
    ops: list[Op] = [RectOp((x - 20, 100, _W - 30, 540), "#ffffff", "#cccccc")]
    live = result.presentation.value == "live"
    facts = [
        (words["live"] if live else words["static"], _INK),
        (f"{words['data_age']}: {_local(result.data_as_of)}", _INK),
        (f"  ({_age(now - result.data_as_of, lang)} {words['ago']})", _GREY),
        (generated, _INK),
    ]
    if result.presentation_age is not None and result.presented_at is not None:
        facts.append((f"{words['presented']}: {_local(result.presented_at)}", _INK))
        facts.append((f"  ({_age(result.presentation_age, lang)} {words['ago']})", _GREY))
    ops.append(TextOp((x, 118), words["valid"], 48, _GREEN))
    y = 200
    for text, fill in facts:
        ops.append(TextOp((x, y), text, 16, fill, 290))
        y += 34
    return ops
