"""Tests for the QR layer: rendering, scanning through real decoders, hostile images."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import random
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qrcode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from qrseal import qr
from qrseal.errors import (
    InvalidArgument,
    InvalidImage,
    NoQrFound,
    QrsealError,
    Reason,
    TooLarge,
)
from qrseal.qr import Decoder, Ecc, ScanResult
from qrseal.qr import pipeline as scanpipeline

_B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_RNG = random.Random(20240601)
PAYLOAD = bytes(_RNG.randrange(256) for _ in range(300))


def b45encode(data: bytes) -> str:
    """Base45 (RFC 9285), enough for building realistic payload text."""
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += [_B45_ALPHABET[n % 45], _B45_ALPHABET[n // 45 % 45], _B45_ALPHABET[n // 2025]]
    if len(data) % 2:
        out += [_B45_ALPHABET[data[-1] % 45], _B45_ALPHABET[data[-1] // 45]]
    return "".join(out)


def numeric_encode(data: bytes) -> str:
    """Each 7-byte chunk as a fixed-width decimal number (17 digits for a full chunk)."""
    parts = []
    for i in range(0, len(data), 7):
        chunk = data[i : i + 7]
        width = len(str(256 ** len(chunk) - 1))
        parts.append(str(int.from_bytes(chunk, "big")).zfill(width))
    return "".join(parts)


B45_TEXT = "DL1:" + b45encode(PAYLOAD)  # 454 characters
NUM_TEXT = "DL1:" + "".join(_RNG.choice("0123456789") for _ in range(650))

needs_zbar = pytest.mark.skipif(
    Decoder.ZBAR not in qr.available_decoders(), reason="libzbar0 (zbar shared library) missing"
)
DECODERS = [pytest.param(Decoder.ZBAR, marks=needs_zbar), Decoder.ZXING]


@functools.cache
def code(text: str, scale: int = 4) -> Image.Image:
    """A rendered code as an "L" image (cached: rendering is the slow part)."""
    return qr.render_image(text, scale=scale).convert("L")


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """Save ``image`` to bytes in ``fmt``."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_header_only(width: int, height: int, depth: int = 1, colour: int = 0) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels of bit ``depth`` and ``colour``
    type (0 grey, 2 RGB, 3 palette with a transparent entry, 6 RGBA) but carries no
    pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    palette = chunk(b"PLTE", bytes(range(6))) + chunk(b"tRNS", b"\x00") if colour == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + palette
        + chunk(b"IDAT", b"")
        + chunk(b"IEND", b"")
    )


def on_canvas(
    image: Image.Image, size: tuple[int, int], at: tuple[int, int], colour: int = 255
) -> Image.Image:
    """``image`` pasted into a plain canvas at ``at``."""
    canvas = Image.new("L", size, colour)
    canvas.paste(image, at)
    return canvas


# --------------------------------------------------------------------------- rendering


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


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("text", [B45_TEXT, NUM_TEXT], ids=["base45", "numeric"])
def test_round_trip_through_each_decoder(decoder: Decoder, text: str) -> None:
    """Default PNG output scans back to the exact text with each decoder forced."""
    (result,) = qr.scan(qr.render_png(text), decoders=(decoder,))
    assert result.text == text
    assert result.decoder is decoder


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("scale", [2, 4, 8])
def test_round_trip_at_several_scales(decoder: Decoder, scale: int) -> None:
    """Codes rendered at 2, 4 and 8 px per module scan back."""
    assert qr.scan_one(qr.render_image(NUM_TEXT, scale=scale), decoders=(decoder,)) == NUM_TEXT


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("angle", [90, 180, 270])
def test_rotated_code_scans(decoder: Decoder, angle: int) -> None:
    """A code turned by a right angle still scans."""
    turned = code(B45_TEXT).rotate(angle, expand=True)
    assert qr.scan_one(turned, decoders=(decoder,)) == B45_TEXT


@pytest.mark.parametrize("decoder", DECODERS)
def test_code_rotated_15_degrees_on_white_canvas_scans(decoder: Decoder) -> None:
    """A code at 15 degrees, resampled onto a white canvas, still scans."""
    canvas = on_canvas(code(B45_TEXT), (800, 800), (100, 100))
    tilted = canvas.rotate(15, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    assert qr.scan_one(tilted, decoders=(decoder,)) == B45_TEXT


@pytest.mark.parametrize("decoder", DECODERS)
def test_jpeg_recompressed_at_quality_60_scans(decoder: Decoder) -> None:
    """JPEG artefacts at quality 60 do not stop either decoder."""
    jpeg = encode(code(NUM_TEXT).convert("RGB"), "JPEG", quality=60)
    assert qr.scan_one(jpeg, decoders=(decoder,)) == NUM_TEXT


@pytest.mark.parametrize("decoder", DECODERS)
def test_code_in_a_screenshot_is_found_with_its_position(decoder: Decoder) -> None:
    """A code pasted into a busy 1280x720 screenshot is found, and located."""
    shot = Image.new("RGB", (1280, 720), (236, 239, 244))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, 1280, 40), fill=(30, 30, 60))
    for row in range(8):
        draw.text(
            (60, 80 + 40 * row), f"Licence field {row}: value {row * 7919}", fill=(20, 20, 20)
        )
    draw.rectangle((880, 400, 1200, 650), outline=(0, 0, 0), width=3)
    shot.paste(code(B45_TEXT).convert("RGB"), (480, 160))
    (result,) = qr.scan(encode(shot, "PNG"), decoders=(decoder,))
    assert result.text == B45_TEXT
    quiet = 4 * 4  # border modules x scale
    symbol = code(B45_TEXT).width - 2 * quiet
    assert result.position is not None
    left, top, width, height = result.position
    assert abs(left - (480 + quiet)) <= 4
    assert abs(top - (160 + quiet)) <= 4
    assert abs(width - symbol) <= 6
    assert abs(height - symbol) <= 6


@pytest.mark.parametrize("decoder", DECODERS)
def test_two_codes_in_one_image_are_both_returned(decoder: Decoder) -> None:
    """Every distinct code in the image is returned, once each."""
    other = "DL1:" + b45encode(PAYLOAD[:100])
    canvas = on_canvas(code(B45_TEXT), (1400, 700), (20, 20))
    canvas.paste(code(other), (760, 60))
    results = qr.scan(canvas, decoders=(decoder,))
    assert sorted(r.text for r in results) == sorted([B45_TEXT, other])


def test_same_code_twice_is_returned_once() -> None:
    """Results are deduplicated by text."""
    small = code("DL1:HELLO", 4)
    canvas = on_canvas(small, (small.width * 2 + 40, small.height + 20), (10, 10))
    canvas.paste(small, (small.width + 30, 10))
    assert [r.text for r in qr.scan(canvas)] == ["DL1:HELLO"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=120))
def test_any_printable_ascii_round_trips(text: str) -> None:
    """Any printable ASCII text scans back exactly (whatever segments it is split into)."""
    assert qr.scan_one(qr.render_image(text, scale=2)) == text


# --------------------------------------------------------------------------- input kinds


def test_png_bytes_bytearray_path_and_pil_inputs(tmp_path: Path) -> None:
    """Bytes, bytearray, str path, Path and PIL images are all accepted."""
    png = qr.render_png("DL1:INPUTS", scale=3)
    path = tmp_path / "code.png"
    path.write_bytes(png)
    with Image.open(path) as opened:
        sources: list[qr.ImageSource] = [png, bytearray(png), str(path), path, opened]
        for source in sources:
            assert qr.scan_one(source) == "DL1:INPUTS"


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a,
        lambda a: np.stack([a, a, a], axis=2),
        lambda a: np.dstack([a, a, a, np.full_like(a, 255)]),
        lambda a: a[:, :, None],
        lambda a: a.astype(np.uint16) * 257,
        lambda a: a.astype(np.float32) / 255.0,
        lambda a: a > 127,
        lambda a: np.asfortranarray(a),
    ],
    ids=["grey", "rgb", "rgba", "hxwx1", "uint16", "float", "bool", "fortran"],
)
def test_numpy_inputs(convert: Callable[[NDArray[np.uint8]], NDArray[Any]]) -> None:
    """uint8 grey/RGB/RGBA arrays scan; other numeric dtypes are scaled to 0..255."""
    grey = np.asarray(code("DL1:NUMPY", 3))
    assert qr.scan_one(convert(grey)) == "DL1:NUMPY"


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((10, 10), dtype=np.complex64),
        np.zeros((10, 10), dtype=object),
        np.zeros((10, 10, 2), dtype=np.uint8),
        np.zeros((10,), dtype=np.uint8),
        np.zeros((0, 10), dtype=np.uint8),
        np.full((10, 10), np.nan),
    ],
    ids=["complex", "object", "two-channel", "1d", "empty", "nan"],
)
def test_unusable_arrays_are_invalid_images(array: object) -> None:
    """Arrays that are not greyscale/RGB/RGBA numbers raise InvalidImage."""
    with pytest.raises(InvalidImage):
        qr.scan(array)  # type: ignore[arg-type]


def test_exif_orientation_is_applied() -> None:
    """A sideways-stored JPEG with an EXIF orientation is scanned upright (positions upright)."""
    upright = on_canvas(code("DL1:EXIF", 4), (700, 300), (20, 20))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 undoes this
    exif = Image.Exif()
    exif[0x0112] = 6
    (result,) = qr.scan(encode(stored, "JPEG", quality=90, exif=exif))
    assert result.text == "DL1:EXIF"
    assert result.position is not None
    assert abs(result.position[0] - (20 + 16)) <= 4
    assert abs(result.position[1] - (20 + 16)) <= 4


def test_transparent_background_is_composited_onto_white() -> None:
    """Black modules on a transparent background (RGB all black) scan."""
    grey = code("DL1:ALPHA", 3)
    black = Image.new("RGB", grey.size, (0, 0, 0))
    rgba = black.copy()
    rgba.putalpha(grey.point(lambda v: 255 - v))  # opaque where dark, clear where light
    assert qr.scan_one(encode(rgba, "PNG")) == "DL1:ALPHA"
    assert qr.scan_one(rgba) == "DL1:ALPHA"


def test_palette_images_scan_with_and_without_transparency() -> None:
    """Palette PNGs scan, including one whose white is the transparent index."""
    palette = code("DL1:PALETTE", 3).convert("RGB").convert("P")
    assert qr.scan_one(encode(palette, "PNG")) == "DL1:PALETTE"
    white_index = palette.getpixel((0, 0))
    assert qr.scan_one(encode(palette, "PNG", transparency=white_index)) == "DL1:PALETTE"


def test_16_bit_image_is_contrast_stretched() -> None:
    """A 16-bit image whose levels all exceed 255 scans (a clipping conversion would be blank)."""
    grey = code("DL1:SIXTEEN", 3).convert("I")
    wide = grey.point(lambda v: v * (59000 / 255) + 1000).convert("I;16")
    assert qr.scan_one(encode(wide, "PNG")) == "DL1:SIXTEEN"


def test_cmyk_image_scans() -> None:
    """CMYK images (as from print workflows) are converted safely."""
    cmyk = code("DL1:CMYK", 3).convert("RGB").convert("CMYK")
    assert qr.scan_one(encode(cmyk, "TIFF")) == "DL1:CMYK"
    assert qr.scan_one(encode(cmyk, "JPEG", quality=95)) == "DL1:CMYK"


def test_large_image_is_downscaled_and_positions_map_back() -> None:
    """A 3200x2400 image is scanned downscaled; the position is in input pixels."""
    big = on_canvas(code("DL1:BIG", 10), (3200, 2400), (1500, 1200))
    jpeg = encode(big.convert("RGB"), "JPEG", quality=90)
    for source in (big, jpeg):
        (result,) = qr.scan(source)
        assert result.text == "DL1:BIG"
        assert result.position is not None
        assert abs(result.position[0] - (1500 + 40)) <= 12
        assert abs(result.position[1] - (1200 + 40)) <= 12


def test_scan_does_not_modify_a_pil_input() -> None:
    """The caller's PIL image keeps its mode, size and pixels."""
    image = code("DL1:SAME", 3).convert("RGBA")
    before = image.tobytes()
    qr.scan(image)
    assert (image.mode, image.tobytes()) == ("RGBA", before)


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 64, bytes(random.Random(3).randrange(256) for _ in range(4096)), b"hello\n"],
    ids=["empty", "zeros", "random", "text"],
)
def test_non_images_are_invalid_images(data: bytes) -> None:
    """Bytes that are not an image raise InvalidImage."""
    with pytest.raises(InvalidImage) as caught:
        qr.scan(data)
    assert caught.value.reason is Reason.INVALID_IMAGE


def test_text_file_and_missing_path_are_invalid_images(tmp_path: Path) -> None:
    """A text file, a missing file and a directory raise InvalidImage, chained to the cause."""
    text_file = tmp_path / "notes.txt"
    text_file.write_text("DL1:NOT AN IMAGE\n")
    for path in (text_file, tmp_path / "missing.png", tmp_path):
        with pytest.raises(InvalidImage) as caught:
            qr.scan(path)
        assert isinstance(caught.value.__cause__, OSError)


def test_truncated_png_is_an_invalid_image() -> None:
    """A PNG cut short raises InvalidImage, not OSError."""
    png = qr.render_png("DL1:TRUNCATED")
    with pytest.raises(InvalidImage):
        qr.scan(png[: len(png) // 2])


def test_disallowed_format_is_rejected() -> None:
    """Formats outside ALLOWED_FORMATS (here PCX) are rejected unread."""
    with pytest.raises(InvalidImage):
        qr.scan(encode(code("DL1:PCX", 2), "PCX"))


def test_blank_image_has_no_qr() -> None:
    """A blank image raises NoQrFound."""
    with pytest.raises(NoQrFound) as caught:
        qr.scan(encode(Image.new("L", (640, 480), 255), "PNG"))
    assert caught.value.reason is Reason.NO_QR_FOUND


def test_non_utf8_symbol_is_skipped() -> None:
    """A symbol whose bytes are not UTF-8 is not returned as text."""
    raw = qrcode.QRCode(box_size=4)
    raw.add_data(b"\xff\xfe\x00binary")
    with pytest.raises(NoQrFound):
        qr.scan(raw.make_image().get_image(), decoders=(Decoder.ZXING,))


def test_header_over_pixel_cap_is_too_large_before_decoding() -> None:
    """An 8000x6000 header with no pixel data is refused from the header alone."""
    with pytest.raises(TooLarge) as caught:
        qr.scan(png_header_only(8000, 6000))
    assert (caught.value.limit, caught.value.actual) == (qr.MAX_PIXELS, 48_000_000)


def test_decompression_bomb_header_is_too_large() -> None:
    """A tiny PNG declaring 50000x50000 pixels raises TooLarge (Pillow's bomb check)."""
    with pytest.raises(TooLarge) as caught:
        qr.scan(png_header_only(50_000, 50_000))
    assert caught.value.reason is Reason.TOO_LARGE


@pytest.mark.parametrize(
    ("depth", "colour", "mode"),
    [(8, 3, "P"), (8, 6, "RGBA"), (16, 0, "I;16"), (8, 2, "RGB"), (8, 0, "L")],
    ids=["palette-alpha", "rgba", "16-bit", "rgb", "grey"],
)
def test_image_over_the_decode_budget_is_refused_from_its_header(
    depth: int, colour: int, mode: str
) -> None:
    """Issue 9 item 5: a header whose mode makes decoding cost more than MAX_DECODE_BYTES is
    TooLarge before any pixel is decoded, though it is under the pixel cap."""
    pixels = qr.max_pixels_for(mode, "PNG") + 1
    width = math.isqrt(pixels) + 1
    header = png_header_only(width, width, depth, colour)
    assert width * width < qr.MAX_PIXELS
    with pytest.raises(TooLarge) as caught:
        qr.scan(header)
    assert caught.value.reason is Reason.TOO_LARGE
    assert caught.value.what == "decode bytes"
    assert caught.value.actual == width * width * qr.full_size_bytes_per_pixel(mode, "PNG")


def test_png_with_many_compressed_text_chunks_is_refused_before_inflating() -> None:
    """Issue 9 item 5: 70 zTXt chunks of 1 KB, each inflating to 1 MB (+65 MiB in Pillow
    before it gave up), are TooLarge from the chunk headers alone; eight are fine."""

    def with_ztxt(count: int) -> bytes:
        png = qr.render_png("DL1:TEXT", scale=3)
        bomb = zlib.compress(b"a" * 1_000_000, 9)
        chunks = b"".join(
            struct.pack(">I", len(body))
            + b"zTXt"
            + body
            + struct.pack(">I", zlib.crc32(b"zTXt" + body))
            for body in (b"k%d\x00\x00" % i + bomb for i in range(count))
        )
        return png[:33] + chunks + png[33:]  # after the IHDR chunk

    with pytest.raises(TooLarge) as caught:
        qr.scan(with_ztxt(70))
    assert caught.value.what == "png compressed chunks"
    assert qr.scan_one(with_ztxt(8)) == "DL1:TEXT"


def test_progressive_jpeg_is_charged_its_full_size_coefficients() -> None:
    """Issue 9 item 5: a progressive JPEG keeps every DCT coefficient whatever the reduced
    output, so a 12-megapixel one (3 bytes a pixel at 4:2:0) is TooLarge unread."""
    blank = Image.new("RGB", (4000, 3000), "white")
    data = encode(blank, "JPEG", quality=50, progressive=True)
    with pytest.raises(TooLarge) as caught:
        qr.scan(data)
    assert caught.value.actual is not None and caught.value.actual > qr.MAX_DECODE_BYTES
    assert qr.scan_one(encode(on_canvas(code("DL1:BASE", 4), (4000, 3000), (900, 900)), "JPEG"))


_RSS_CHILD = """
import sys
from qrseal import qr
from qrseal.errors import QrsealError

def hwm():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))

qr.scan(qr.render_png("DL1:WARM", scale=3))
data = open(sys.argv[1], "rb").read()
base = hwm()
try:
    qr.scan(data)
except QrsealError:
    pass
print(hwm() - base)
"""


def _at_cap_rgba(text: str) -> bytes:
    pixels = qr.max_pixels_for("RGBA", "PNG")
    width = math.isqrt(pixels)
    canvas = on_canvas(code(text, 8), (width, pixels // width), (100, 100))
    rgba = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    rgba.putalpha(canvas.point(lambda v: 255 - v))
    return encode(rgba, "PNG")


def _at_cap_palette_alpha(text: str) -> bytes:
    pixels = qr.max_pixels_for("P", "PNG")
    width = math.isqrt(pixels)
    palette = on_canvas(code(text, 8), (width, pixels // width), (100, 100)).convert("P")
    return encode(palette, "PNG", transparency=palette.getpixel((0, 0)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (VmHWM)")
@pytest.mark.parametrize("build", [_at_cap_rgba, _at_cap_palette_alpha], ids=["rgba", "palette"])
def test_worst_images_at_the_cap_stay_within_the_memory_bound(
    build: Callable[[str], bytes], tmp_path: Path
) -> None:
    """Issue 9 item 5: scanning the largest RGBA or palette+alpha PNG the caps accept raises
    the process's peak RSS by at most IMAGE_RSS_BOUND (measured in a fresh process)."""
    path = tmp_path / "image.png"
    path.write_bytes(build("DL1:BOUND"))
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, str(path)], capture_output=True, text=True, check=True
    )
    assert 0 <= int(done.stdout) <= qr.IMAGE_RSS_BOUND


def test_max_pixels_applies_to_every_input_kind() -> None:
    """max_pixels caps bytes, PIL and numpy inputs alike."""
    image = code("DL1:CAP", 2)
    for source in (encode(image, "PNG"), image, np.asarray(image)):
        with pytest.raises(TooLarge) as caught:
            qr.scan(source, max_pixels=image.width * image.height - 1)
        assert caught.value.actual == image.width * image.height


@pytest.mark.parametrize(
    ("kwargs", "source"),
    [
        ({"decoders": "zbar"}, b"x"),
        ({"decoders": ("zbar", "quirc")}, b"x"),
        ({"decoders": ()}, b"x"),
        ({"max_pixels": 0}, b"x"),
        ({}, 42),
    ],
)
def test_scan_rejects_bad_arguments(kwargs: dict[str, object], source: object) -> None:
    """Bad decoders, max_pixels or input types raise InvalidArgument."""
    with pytest.raises(InvalidArgument):
        qr.scan(source, **kwargs)  # type: ignore[arg-type]


_SEEDS = (
    qr.render_png("DL1:FUZZ", scale=2),
    encode(code("DL1:FUZZ", 2), "JPEG", quality=80),
    encode(code("DL1:FUZZ", 2), "GIF"),
    encode(code("DL1:FUZZ", 2), "TIFF"),
)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on corrupt EXIF
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@settings(max_examples=150, deadline=None)
@given(
    seed=st.sampled_from(_SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    cut=st.integers(1, 10**6),
)
def test_mutated_images_raise_only_qrseal_errors(
    seed: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    """Corrupted image bytes either scan or raise a QrsealError, never a library error."""
    data = bytearray(seed[: max(1, cut % (len(seed) + 1))])
    for position, value in edits:
        data[position % len(data)] = value
    with contextlib.suppress(QrsealError):
        qr.scan(bytes(data))


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on corrupt EXIF
def test_tiff_with_a_text_strip_offset_is_an_invalid_image() -> None:
    """A TIFF cut short whose strip offset tag became ASCII made Pillow raise TypeError
    (found by the mutation test below); it is InvalidImage."""
    data = bytearray(_SEEDS[3][:120])
    data[72] = 2  # the strip offsets entry's field type: LONG -> ASCII
    with pytest.raises(InvalidImage):
        qr.scan(bytes(data))


# --------------------------------------------------------------------------- decoders


def test_scan_result_is_frozen() -> None:
    """ScanResult is immutable."""
    result = ScanResult("DL1:X", Decoder.ZXING, None)
    with pytest.raises(AttributeError):
        result.text = "other"  # type: ignore[misc]


def test_zxing_is_always_available() -> None:
    """zxing-cpp is a hard dependency, so it is always listed."""
    assert Decoder.ZXING in qr.available_decoders()


@needs_zbar
def test_zxing_is_tried_first_by_default() -> None:
    """With both decoders available, zxing (the faster) reads a clean code first."""
    (result,) = qr.scan(code("DL1:ORDER", 3))
    assert result.decoder is Decoder.ZXING
    assert qr.available_decoders() == qr.DEFAULT_DECODERS == (Decoder.ZXING, Decoder.ZBAR)


@needs_zbar
def test_decoder_order_is_the_callers() -> None:
    """Decoders are tried in the order given: zbar first when asked."""
    (result,) = qr.scan(code("DL1:ORDER", 3), decoders=(Decoder.ZBAR, Decoder.ZXING))
    assert result.decoder is Decoder.ZBAR


def test_without_zbar_library_zxing_still_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """When importing pyzbar fails (no libzbar), scanning falls back to zxing."""
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", None)  # import now raises ImportError
    monkeypatch.setattr(
        scanpipeline, "_load_pyzbar", functools.cache(scanpipeline._load_pyzbar.__wrapped__)
    )
    assert qr.available_decoders() == (Decoder.ZXING,)
    (result,) = qr.scan(qr.render_png("DL1:NOZBAR", scale=3))
    assert (result.text, result.decoder) == ("DL1:NOZBAR", Decoder.ZXING)
    with pytest.raises(InvalidArgument):
        qr.scan(qr.render_png("DL1:NOZBAR", scale=3), decoders=(Decoder.ZBAR,))


@pytest.mark.parametrize(
    ("decoder", "target", "error"),
    [
        (Decoder.ZXING, "zxingcpp.read_barcodes", RuntimeError),
        pytest.param(Decoder.ZBAR, "_zbar_symbols", ValueError, marks=needs_zbar),
        pytest.param(Decoder.ZBAR, "_zbar_symbols", OSError, marks=needs_zbar),
    ],
)
def test_decoder_binding_errors_are_translated(
    monkeypatch: pytest.MonkeyPatch, decoder: Decoder, target: str, error: type[Exception]
) -> None:
    """Issue 9 item 8: whatever a decoder's binding raises is caught where it is called,
    recorded on the attempt, and the scan ends typed (NoQrFound), never untyped."""

    def fail(*args: object, **kwargs: object) -> object:
        raise error("binding failed")

    monkeypatch.setattr(f"qrseal.qr.pipeline.{target}", fail)
    image = code("DL1:FAIL", 3)
    report = qr.scan_report(image, decoders=(decoder,), budget_s=0)
    assert [a.error for a in report.attempts] == [error.__name__]
    with pytest.raises(NoQrFound):
        qr.scan(image, decoders=(decoder,))
