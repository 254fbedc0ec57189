"""Sample texts, rendered codes and image builders shared by the QR tests."""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib

import pytest
from PIL import Image

from qrseal import qr
from qrseal.qr import Decoder

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
