"""QR rendering: ASCII text -> a QR symbol as a PIL image, PNG bytes, SVG or terminal text.

One builder (:func:`qr_matrix`) makes every symbol: ``qrcode`` with mode segmenting, so
``DL1:`` followed by a long run of digits is stored in numeric mode and Base45 text in
alphanumeric mode, the smallest version that holds the text at the chosen
error-correction level, and a quiet zone of ``border`` modules. The output formats only
draw that matrix.

``qrcode`` and Pillow load on the first render, not when this module is imported: the
CLI builds its options from :class:`Ecc` and :data:`DEFAULT_SCALE` without paying for
them. Every error leaving this module is a :class:`~qrseal.errors.QrsealError`.
"""

from __future__ import annotations

import io
import itertools
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from ..errors import InvalidArgument, TooLarge
from ._checks import check_int

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "DEFAULT_BORDER",
    "DEFAULT_SCALE",
    "MAX_BORDER",
    "MAX_SCALE",
    "MAX_TEXT_CHARS",
    "TERMINAL_BORDER",
    "Ecc",
    "qr_matrix",
    "qr_version",
    "render_image",
    "render_png",
    "render_svg",
    "render_terminal",
]

#: Pixels per module: a version 13 code (69 modules + 2 x 4 quiet zone) is 616 px wide.
DEFAULT_SCALE: Final = 8
#: Quiet zone in modules; ISO/IEC 18004 asks for at least 4.
DEFAULT_BORDER: Final = 4
#: Quiet zone of :func:`render_terminal`: a terminal's own margin adds to it, and every
#: module costs a column.
TERMINAL_BORDER: Final = 2
MAX_SCALE: Final = 64
MAX_BORDER: Final = 20
#: Longest text any QR code can hold (version 40-L, numeric mode).
MAX_TEXT_CHARS: Final = 7089
# A run of digits (or alphanumerics inside byte text) at least this long gets its own
# segment. 20 puts "DL1:" + digits into numeric mode; smaller values fragment Base45
# text into many short segments whose headers cost more than they save (measured).
_SEGMENT_MIN_RUN: Final = 20
# Half-block glyphs for two module rows per character, indexed by (top dark) + 2 (bottom
# dark): blank, upper half, lower half, full block (code page 437 255, 223, 220, 219).
_HALF_BLOCKS: Final = ("\xa0", "▀", "▄", "█")


class Ecc(StrEnum):
    """QR error-correction level: recovers about 7 / 15 / 25 / 30 % of the symbol."""

    L = "L"
    M = "M"
    Q = "Q"
    H = "H"


def _fitted(text: str, ecc: Ecc | str, border: int) -> Any:
    """A fitted ``qrcode.QRCode`` (version chosen, matrix not built yet)."""
    if not isinstance(text, str) or not text:
        raise InvalidArgument("text must be a non-empty str")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(
            "text is longer than any QR code holds",
            what="text characters",
            limit=MAX_TEXT_CHARS,
            actual=len(text),
        )
    # zbar guesses a charset for non-ASCII bytes without an ECI header (and can get
    # UTF-8 wrong), so only ASCII is guaranteed to scan back exactly.
    if not text.isascii():
        raise InvalidArgument("text must be ASCII")
    try:
        level = Ecc(ecc)
    except ValueError as exc:
        raise InvalidArgument(f"unknown error-correction level {ecc!r}") from exc
    check_int("border", border, 0, MAX_BORDER)
    import qrcode  # here: heavy (loads Pillow), so on the first render
    import qrcode.constants
    import qrcode.exceptions

    constant = getattr(qrcode.constants, f"ERROR_CORRECT_{level.value}")
    code = qrcode.QRCode(error_correction=constant, box_size=1, border=border)
    code.add_data(text, optimize=_SEGMENT_MIN_RUN)
    try:
        code.best_fit()
    # qrcode 8.2 raises ValueError("Invalid version (was 41...)") before its own
    # DataOverflowError check; nothing else in best_fit raises ValueError for str input.
    except (qrcode.exceptions.DataOverflowError, ValueError) as exc:
        raise TooLarge(
            "text does not fit in a version 40 QR code", what="qr version", limit=40
        ) from exc
    return code


def qr_matrix(
    text: str, *, ecc: Ecc | str = Ecc.M, border: int = DEFAULT_BORDER
) -> list[list[bool]]:
    """The modules of the QR symbol for ``text``, rows top to bottom, ``True`` for dark,
    with ``border`` light modules of quiet zone on every side. Every renderer draws this.

    Raises InvalidArgument (empty, non-ASCII, bad ``ecc`` or ``border``) or TooLarge.
    """
    code = _fitted(text, ecc, border)
    code.make(fit=False)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def qr_version(text: str, ecc: Ecc | str = Ecc.M) -> int:
    """Smallest QR version (1..40) holding ``text`` with the segmenting used for rendering.

    Raises InvalidArgument (empty, non-ASCII, bad ``ecc``) or TooLarge (does not fit).
    """
    version: int = _fitted(text, ecc, 0).version
    return version


def render_image(
    text: str,
    *,
    ecc: Ecc | str = Ecc.M,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
) -> Image.Image:
    """Render ``text`` as a black-on-white mode "1" image, ``scale`` pixels per module.

    ``border`` is the quiet zone in modules. Raises InvalidArgument or TooLarge.
    """
    check_int("scale", scale, 1, MAX_SCALE)
    matrix = qr_matrix(text, ecc=ecc, border=border)
    from PIL import Image  # here: heavy, so only when an image is asked for

    size = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (size, size), pixels)
    if scale > 1:
        image = image.resize((size * scale, size * scale), Image.Resampling.NEAREST)
    return image.convert("1", dither=Image.Dither.NONE)


def render_png(
    text: str,
    *,
    ecc: Ecc | str = Ecc.M,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
) -> bytes:
    """Render ``text`` as 1-bit PNG bytes (see :func:`render_image`)."""
    buffer = io.BytesIO()
    render_image(text, ecc=ecc, scale=scale, border=border).save(buffer, format="PNG")
    return buffer.getvalue()


def render_svg(
    text: str,
    *,
    ecc: Ecc | str = Ecc.M,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
) -> str:
    """Render ``text`` as a standalone SVG: one ``<path>`` on white, ``scale`` px per module."""
    check_int("scale", scale, 1, MAX_SCALE)
    matrix = qr_matrix(text, ecc=ecc, border=border)
    size = len(matrix)
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        for dark, group in itertools.groupby(row):
            length = sum(1 for _ in group)
            if dark:
                runs.append(f"M{x} {y}h{length}v1h-{length}z")
            x += length
    pixels = size * scale
    # The white rect keeps the quiet zone when the SVG is shown on a dark page.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def render_terminal(
    text: str,
    *,
    ecc: Ecc | str = Ecc.M,
    border: int = TERMINAL_BORDER,
    invert: bool = True,
) -> str:
    """Render ``text`` as lines of Unicode half blocks, two module rows per line, one
    column per module (a version-16 code needs 81 + 2 x ``border`` columns).

    ``invert`` (the default) draws the light modules as glyphs, for a terminal with a
    dark background. The half row below an odd-sized symbol is left blank (unless
    inverted without a border). The same drawing as qrcode's ``print_ascii``.
    Raises InvalidArgument or TooLarge.
    """
    matrix = qr_matrix(text, ecc=ecc, border=border)
    size = len(matrix)
    # What print_ascii reads below the last row: dark when inverted with a quiet zone,
    # so that half is blank either way.
    below = [invert and border > 0] * size
    glyphs = _HALF_BLOCKS[::-1] if invert else _HALF_BLOCKS
    lines = []
    for top in range(0, size, 2):
        lower = matrix[top + 1] if top + 1 < size else below
        lines.append("".join(glyphs[a + 2 * b] for a, b in zip(matrix[top], lower, strict=True)))
    return "".join(line + "\n" for line in lines)
