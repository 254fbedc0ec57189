"""Draw a card layout (:mod:`qrseal.card.layout`) as a PIL image or as SVG text.

Text goes through the :class:`~qrseal.card.fonts.FontStack`: each run in the first font
that holds its characters; a character no installed font holds is drawn as a framed hex
box with its code point, never as a font's missing-glyph box. The portrait is decoded here,
after verification, by :func:`qrseal.qr.image.open_small_image` (pixel and decode-cost caps);
a portrait that cannot be decoded within them is shown as a crossed box.
"""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING, Final

from ..errors import QrsealError
from ..licence.portrait import PORTRAIT_FORMATS, PORTRAIT_MAX_PIXELS, portrait_mime
from ..qr.render import qr_matrix
from .fonts import FontStack
from .layout import ImageOp, Op, QrOp, RectOp, TextOp, canvas_size

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

__all__ = ["draw_image", "draw_svg", "text_width"]

_MIN_SIZE: Final = 10


def _box_width(size: int, char: str) -> int:
    return int(size * (0.5 + 0.32 * len(f"{ord(char):X}")))


def text_width(fonts: FontStack, text: str, size: int) -> int:
    """Width in pixels of ``text`` at ``size`` as :func:`draw_image` draws it."""
    width = 0.0
    for run in fonts.runs(text):
        if run.font is None:
            width += sum(_box_width(size, c) for c in run.text)
        else:
            width += fonts.sized(run.font, size).getlength(run.text)
    return int(width + 0.5)


def _fit(fonts: FontStack, op: TextOp) -> int:
    size = op.size
    if op.max_width is not None:
        while size > _MIN_SIZE and text_width(fonts, op.text, size) > op.max_width:
            size -= 1
    return size


def _hex_box(
    draw: ImageDraw.ImageDraw, fonts: FontStack, x: float, y: int, char: str, size: int, fill: str
) -> float:
    """A framed box holding the code point (``U+`` omitted) in two rows of small digits."""
    width = _box_width(size, char)
    draw.rectangle((x + 1, y + 2, x + width - 2, y + size), outline=fill, width=1)
    digits = f"{ord(char):X}"
    small = fonts.sized(0, max(_MIN_SIZE - 2, size * 4 // 10))
    half = (len(digits) + 1) // 2
    for row, part in enumerate((digits[:half], digits[half:])):
        draw.text((x + 4, y + 4 + row * (size * 4 // 10 + 1)), part, font=small, fill=fill)
    return width


def _portrait(data: bytes, box: tuple[int, int, int, int]) -> Image.Image | None:
    from PIL import Image

    from ..qr.image import open_small_image

    try:
        image = open_small_image(data, max_pixels=PORTRAIT_MAX_PIXELS, formats=PORTRAIT_FORMATS)
    except QrsealError:
        return None
    width, height = box[2] - box[0], box[3] - box[1]
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def draw_image(ops: list[Op], fonts: FontStack) -> Image.Image:
    """The card as an RGB PIL image of :func:`~qrseal.card.layout.canvas_size`."""
    from PIL import Image, ImageDraw

    card = Image.new("RGB", canvas_size(ops), "#ffffff")
    draw = ImageDraw.Draw(card)
    for op in ops:
        if isinstance(op, RectOp):
            draw.rectangle(op.box, fill=op.fill, outline=op.outline, width=2)
        elif isinstance(op, TextOp):
            size = _fit(fonts, op)
            x: float = op.xy[0]
            for run in fonts.runs(op.text):
                if run.font is None:
                    for char in run.text:
                        x += _hex_box(draw, fonts, x, op.xy[1], char, size, op.fill)
                    continue
                font = fonts.sized(run.font, size)
                draw.text((x, op.xy[1]), run.text, font=font, fill=op.fill)
                x += font.getlength(run.text)
        elif isinstance(op, ImageOp):
            face = _portrait(op.data, op.box)
            x0, y0, x1, y1 = op.box
            if face is None:
                draw.line((x0, y0, x1, y1), fill="#c8102e", width=3)
                draw.line((x0, y1, x1, y0), fill="#c8102e", width=3)
            else:
                card.paste(
                    face, (x0 + (x1 - x0 - face.width) // 2, y0 + (y1 - y0 - face.height) // 2)
                )
        elif isinstance(op, QrOp):
            matrix = qr_matrix(op.text)
            module = op.side // len(matrix)
            x0 = op.xy[0] + (op.side - module * len(matrix)) // 2
            y0 = op.xy[1] + (op.side - module * len(matrix)) // 2
            draw.rectangle(
                (op.xy[0], op.xy[1], op.xy[0] + op.side, op.xy[1] + op.side), fill="#ffffff"
            )
            for row, cells in enumerate(matrix):
                for col, dark in enumerate(cells):
                    if dark:
                        left, top = x0 + col * module, y0 + row * module
                        draw.rectangle(
                            (left, top, left + module - 1, top + module - 1), fill=op.colour
                        )
    return card


def draw_svg(ops: list[Op], fonts: FontStack) -> str:
    """The card as a standalone SVG document. Text is SVG text in the stack's font families
    (the viewer's fonts draw it); the portrait is embedded as its signed bytes."""
    width, height = canvas_size(ops)
    family = ", ".join(f"'{name}'" for name in (*fonts.family_names(), "sans-serif"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{escape(family)}">'
    ]
    for op in ops:
        if isinstance(op, RectOp):
            x0, y0, x1, y1 = op.box
            stroke = f' stroke="{op.outline}" stroke-width="2"' if op.outline else ""
            parts.append(
                f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
                f'fill="{op.fill or "none"}"{stroke}/>'
            )
        elif isinstance(op, TextOp):
            size = _fit(fonts, op)
            parts.append(
                f'<text x="{op.xy[0]}" y="{op.xy[1] + size}" font-size="{size}" '
                f'fill="{op.fill}">{escape(op.text)}</text>'
            )
        elif isinstance(op, ImageOp):
            x0, y0, x1, y1 = op.box
            mime = portrait_mime(op.data)
            if mime is not None:
                data = base64.b64encode(op.data).decode("ascii")
                parts.append(
                    f'<image x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
                    f'href="data:{mime};base64,{data}"/>'
                )
        elif isinstance(op, QrOp):
            matrix = qr_matrix(op.text)
            scale = op.side / len(matrix)
            runs = [
                f"M{col} {row}h1v1h-1z"
                for row, cells in enumerate(matrix)
                for col, dark in enumerate(cells)
                if dark
            ]
            parts.append(
                f'<g transform="translate({op.xy[0]} {op.xy[1]}) scale({scale:.4f})" '
                f'shape-rendering="crispEdges"><rect width="{len(matrix)}" '
                f'height="{len(matrix)}" fill="#fff"/><path fill="{op.colour}" '
                f'd="{"".join(runs)}"/></g>'
            )
    parts.append("</svg>")
    return "".join(parts)
