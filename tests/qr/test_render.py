"""Tests for qrseal.qr.render: segmenting, versions, sizes, PNG, SVG, terminal drawing."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import qrcode
from PIL import Image

from qrseal import qr
from qrseal.errors import (
    InvalidArgument,
    QrsealError,
    TooLarge,
)
from qrseal.qr import Ecc

from .samples import (
    B45_TEXT,
    NUM_TEXT,
    PAYLOAD,
    numeric_encode,
)


def test_numeric_payload_is_encoded_in_numeric_mode() -> None:
    """DL1: + 650 digits fits version 12-M, which only numeric mode allows (alnum needs 16)."""
    assert qr.qr_version(NUM_TEXT, Ecc.M) == 12
    whole_alnum = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    whole_alnum.add_data(NUM_TEXT, optimize=0)  # one alphanumeric segment
    assert whole_alnum.version == 16


def test_numeric_text_needs_no_larger_version_than_base45() -> None:
    """For the same 300 bytes, numeric text never needs a larger version than Base45 text.

    Measured (qrcode 8.2): Base45 is 454 chars, one alphanumeric segment, 2 512 bits;
    numeric is 733 chars ("DL1:" as bytes + 729 digits), 2 498 bits. Versions
    numeric/Base45: L 11/11, M 13/13, Q 16/16, H 18/19.
    """
    numeric = "DL1:" + numeric_encode(PAYLOAD)
    for ecc in Ecc:
        assert qr.qr_version(numeric, ecc) <= qr.qr_version(B45_TEXT, ecc)


def test_higher_ecc_never_needs_a_smaller_version() -> None:
    """Versions grow (weakly) with the error-correction level."""
    versions = [qr.qr_version(B45_TEXT, ecc) for ecc in (Ecc.L, Ecc.M, Ecc.Q, Ecc.H)]
    assert versions == sorted(versions)


@pytest.mark.parametrize(("scale", "border"), [(1, 0), (2, 4), (8, 4), (3, 20)])
def test_render_image_size_follows_version_scale_and_border(scale: int, border: int) -> None:
    """Side = (4 * version + 17 + 2 * border) * scale, in a 1-bit or grey mode."""
    image = qr.render_image(B45_TEXT, scale=scale, border=border)
    side = (4 * qr.qr_version(B45_TEXT) + 17 + 2 * border) * scale
    assert image.size == (side, side)
    assert image.mode in ("1", "L")


def test_default_size_suits_a_phone_screen() -> None:
    """A version 13 code renders at about 600 px with the defaults."""
    assert qr.qr_version(B45_TEXT) == 13
    assert 560 <= qr.render_image(B45_TEXT).width <= 640


def test_render_png_is_a_png_of_the_image() -> None:
    """render_png returns PNG bytes holding the render_image pixels."""
    png = qr.render_png("DL1:HELLO", scale=3)
    with Image.open(io.BytesIO(png)) as decoded:
        assert decoded.format == "PNG"
        assert (
            decoded.convert("L").tobytes()
            == qr.render_image("DL1:HELLO", scale=3).convert("L").tobytes()
        )


def test_svg_is_well_formed_with_the_right_size_and_modules() -> None:
    """The SVG parses as XML, has the expected size, and its path draws the same modules."""
    scale, border = 5, 4
    svg = qr.render_svg(B45_TEXT, scale=scale, border=border)
    root = ET.fromstring(svg)  # noqa: S314 - parsing our own output, not untrusted XML
    modules = 4 * qr.qr_version(B45_TEXT) + 17 + 2 * border
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == root.get("height") == str(modules * scale)
    assert root.get("viewBox") == f"0 0 {modules} {modules}"
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    drawn = Image.new("L", (modules, modules), 255)
    for x, y, length in _runs(path.get("d", "")):
        drawn.paste(0, (x, y, x + length, y + 1))
    reference = qr.render_image(B45_TEXT, scale=1, border=border).convert("L")
    assert drawn.tobytes() == reference.tobytes()


def _runs(d: str) -> list[tuple[int, int, int]]:
    """Parse the "MxYhNv1h-Nz" runs render_svg writes."""
    runs = []
    for part in d.split("z")[:-1]:
        move, rest = part[1:].split("h", 1)
        x, y = (int(v) for v in move.split(" "))
        runs.append((x, y, int(rest.split("v", 1)[0])))
    return runs


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": ""}, InvalidArgument),
        ({"text": "Zoë"}, InvalidArgument),
        ({"text": b"DL1:"}, InvalidArgument),
        ({"text": "x", "scale": 0}, InvalidArgument),
        ({"text": "x", "scale": 65}, InvalidArgument),
        ({"text": "x", "scale": True}, InvalidArgument),
        ({"text": "x", "border": -1}, InvalidArgument),
        ({"text": "x", "border": 21}, InvalidArgument),
        ({"text": "x", "ecc": "X"}, InvalidArgument),
        ({"text": "1" * 7090}, TooLarge),
        ({"text": "a" * 3000}, TooLarge),
    ],
)
def test_render_rejects_bad_arguments(kwargs: dict[str, object], error: type[QrsealError]) -> None:
    """Bad text, scale, border or ECC raise InvalidArgument; oversize text raises TooLarge."""
    options = dict(kwargs)  # parametrize shares the dict between runs: do not mutate it
    text = options.pop("text")
    for render in (qr.render_image, qr.render_png, qr.render_svg):
        with pytest.raises(error):
            render(text, **options)  # type: ignore[arg-type]


def test_ecc_accepts_plain_letters() -> None:
    """Ecc is a StrEnum: "H" and Ecc.H mean the same level."""
    assert qr.qr_version(B45_TEXT, "H") == qr.qr_version(B45_TEXT, Ecc.H)


def _print_ascii(text: str, *, border: int, invert: bool) -> str:
    """What qrcode's own print_ascii draws for ``text`` at ECC M with the renderer's
    segmenting: the drawing render_terminal replaced (byte for byte)."""
    raw = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    raw.add_data(text, optimize=20)
    raw.make(fit=True)
    buffer = io.StringIO()
    raw.print_ascii(out=buffer, invert=invert)
    return buffer.getvalue()


@pytest.mark.parametrize("invert", [True, False])
@pytest.mark.parametrize("border", [0, 1, 2, 4])
@pytest.mark.parametrize("text", ["DL1:X", B45_TEXT, NUM_TEXT], ids=["v1", "base45", "numeric"])
def test_terminal_drawing_is_qrcodes_print_ascii(text: str, border: int, invert: bool) -> None:
    """render_terminal draws exactly what qrcode's print_ascii drew, odd and even sizes,
    with and without a quiet zone, inverted or not."""
    assert qr.render_terminal(text, border=border, invert=invert) == _print_ascii(
        text, border=border, invert=invert
    )


def test_terminal_drawing_is_two_module_rows_per_line() -> None:
    """One line per two module rows, one column per module, default quiet zone 2."""
    matrix = qr.qr_matrix(B45_TEXT, border=qr.TERMINAL_BORDER)
    lines = qr.render_terminal(B45_TEXT).splitlines()
    assert len(lines) == (len(matrix) + 1) // 2
    assert {len(line) for line in lines} == {len(matrix)}


def test_every_format_draws_the_same_matrix() -> None:
    """The PNG's pixels are the modules of qr_matrix (one builder; the SVG test above
    checks the SVG draws the same as the image)."""
    matrix = qr.qr_matrix(B45_TEXT, border=3)
    assert len(matrix) == 17 + 4 * qr.qr_version(B45_TEXT) + 2 * 3
    image = Image.open(io.BytesIO(qr.render_png(B45_TEXT, scale=1, border=3))).convert("L")
    assert [
        [image.getpixel((x, y)) == 0 for x in range(image.width)] for y in range(image.height)
    ] == matrix


@pytest.mark.parametrize(("ecc", "fits"), [(Ecc.L, True), (Ecc.M, False)])
def test_longest_numeric_text_fits_version_40_only_at_ecc_l(ecc: Ecc, fits: bool) -> None:
    """MAX_TEXT_CHARS digits is exactly version 40-L's capacity; at M it does not fit."""
    text = "1" * qr.MAX_TEXT_CHARS
    if fits:
        assert qr.qr_version(text, ecc) == 40
    else:
        with pytest.raises(TooLarge):
            qr.qr_version(text, ecc)


def test_one_character_over_the_longest_text_is_refused_before_building() -> None:
    """MAX_TEXT_CHARS + 1 characters is TooLarge with the text-length limit as evidence."""
    with pytest.raises(TooLarge) as caught:
        qr.qr_matrix("1" * (qr.MAX_TEXT_CHARS + 1))
    assert caught.value.limit == qr.MAX_TEXT_CHARS
    assert caught.value.actual == qr.MAX_TEXT_CHARS + 1


@pytest.mark.parametrize(("option", "limit"), [("scale", qr.MAX_SCALE), ("border", qr.MAX_BORDER)])
def test_scale_and_border_at_their_limit_pass_and_one_over_is_refused(
    option: str, limit: int
) -> None:
    """scale MAX_SCALE and border MAX_BORDER render; one more is InvalidArgument; so is 0
    scale and -1 border (the lower limits are 1 and 0)."""
    size = len(qr.qr_matrix("DL1:X", border=limit if option == "border" else 4))
    scale = limit if option == "scale" else qr.DEFAULT_SCALE
    assert qr.render_image("DL1:X", **{option: limit}).width == size * scale  # type: ignore[arg-type]
    low = 0 if option == "scale" else -1
    for bad in (limit + 1, low):
        with pytest.raises(InvalidArgument):
            qr.render_svg("DL1:X", **{option: bad})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        qr.render_terminal("DL1:X", border=qr.MAX_BORDER + 1)
