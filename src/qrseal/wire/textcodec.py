"""Text layer: signed bytes <-> QR-friendly text with a versioned header (credential-agnostic).

A credential text is ``HEADER BODY``. The header ``f"{prefix}{version}:"`` (e.g. ``"DL1:"``)
uses only QR alphanumeric characters and routes the text to a :class:`TextFormat`. The body is
the transport bytes in Base45 (RFC 9285, QR alphanumeric mode) or in decimal digits (QR numeric
mode: 8.03 QR bits per byte against 8.25 for Base45, but decoding is slower).

The transport bytes are either the raw data or a zlib stream (RFC 1950). The reader tells them
apart by the first byte alone: ``0x78`` means zlib, anything else is raw. This relies on the
caller's contract that raw data never starts with ``0x78``: our raw data is CBOR, a tag-18
COSE_Sign1 starting with ``0xD2`` (``0x78`` would be a bare CBOR text string). :func:`pack`
refuses raw data that would be ambiguous.

:func:`unpack` trims nothing: callers strip line terminators themselves, and must not strip
spaces, since ``" "`` is a Base45 symbol. Decoding is strict (one accepted text per transport
byte string) and bounded (sizes are capped before each stage; inflation stops at the cap). Only
:class:`~qrseal.errors.QrsealError` subclasses leave this module. The same data may travel raw
or as different zlib streams, so identify a credential by its signed bytes, never by its text.
"""

from __future__ import annotations

import re
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ..errors import (
    InvalidArgument,
    MalformedCompression,
    MalformedText,
    TooLarge,
    UnsupportedVersion,
)

__all__ = [
    "MAX_BYTES",
    "MAX_TEXT_CHARS",
    "ZLIB_FIRST_BYTE",
    "TextEncoding",
    "TextFormat",
    "b45decode",
    "b45encode",
    "numeric_decode",
    "numeric_encode",
    "pack",
    "peek_header",
    "unpack",
]

MAX_TEXT_CHARS: Final = 7089
"""Default cap on text length: no QR code holds more characters (version 40-L, numeric mode)."""
MAX_BYTES: Final = 4096
"""Default cap on decoded or inflated bytes (a version 40 QR code carries at most 2953 bytes)."""
ZLIB_FIRST_BYTE: Final = 0x78
"""First transport byte that marks a zlib stream (CMF for deflate with a 32 KiB window)."""
_ZLIB_MARKER: Final = bytes((ZLIB_FIRST_BYTE,))

_B45_ALPHABET: Final = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_ENCODE: Final = _B45_ALPHABET + bytes(256 - 45)  # bytes.translate table: value -> symbol
_B45_INVALID: Final = 0xFF
_B45_DECODE: Final = bytes(
    _B45_ALPHABET.index(b) if b in _B45_ALPHABET else _B45_INVALID for b in range(256)
)

_BLOCK_BYTES: Final = 22  # densest block size <= 32 bytes: 53 digits, 2.409 digits per byte
_BLOCK_DIGITS: Final = 53
# _DIGITS[n] = D(n), the digits needed for any n-byte value; D is strictly increasing.
_DIGITS: Final = (0, *(len(str(256**n - 1)) for n in range(1, _BLOCK_BYTES + 1)))
# Tail length (len % 53) -> byte count of the short last block, or -1 if no block has that length.
_TAIL_BYTES: Final = tuple(
    _DIGITS.index(t) if t in _DIGITS[:_BLOCK_BYTES] else -1 for t in range(_BLOCK_DIGITS)
)

_PREFIX_RE: Final = re.compile(r"[A-Z]{1,4}")
# Canonical header only: no leading zero and no version 0, so each header has one spelling.
_HEADER_RE: Final = re.compile(r"([A-Z]{1,4})([1-9][0-9]?):")


def b45encode(data: bytes) -> str:
    """Encode bytes as Base45 (RFC 9285). Raises nothing for bytes input."""
    pairs, odd = divmod(len(data), 2)
    # SWAR: each 16-bit pair v gets a 40-bit lane of one big int, so the per-pair divisions run
    # as a few C-level bigint operations instead of a Python loop (about 6x faster). Every lane
    # stays in 0..2**40, so no carry or borrow ever crosses a lane.
    lanes = bytearray(5 * pairs)
    lanes[3::5] = data[0 : 2 * pairs : 2]
    lanes[4::5] = data[1 : 2 * pairs : 2]
    v = int.from_bytes(lanes, "big")
    low = int.from_bytes(b"\0\0\0\0\xff" * pairs, "big")  # the low byte of every lane
    e = (v * 2120972 >> 32) & low  # == v // 2025 for every v < 65536 (tested exhaustively)
    r = v - 2025 * e
    d = (r * 1457 >> 16) & low  # == r // 45 for every r < 2025
    c = r - 45 * d
    out = bytearray(3 * pairs + 2 * odd)
    out[0 : 3 * pairs : 3] = c.to_bytes(5 * pairs, "big")[4::5]
    out[1 : 3 * pairs : 3] = d.to_bytes(5 * pairs, "big")[4::5]
    out[2 : 3 * pairs : 3] = e.to_bytes(5 * pairs, "big")[4::5]
    if odd:
        out[-1], out[-2] = divmod(data[-1], 45)
    return out.translate(_B45_ENCODE).decode("ascii")


def b45decode(text: str) -> bytes:
    """Decode strict Base45 (RFC 9285).

    Raises MalformedText for a character outside the 45-symbol alphabet (lowercase included), a
    dangling single character, a triple above 65535 or a final pair above 255.
    """
    if not text.isascii():
        raise MalformedText("Base45 text contains a non-ASCII character")
    raw = text.encode("ascii").translate(_B45_DECODE)
    if _B45_INVALID in raw:
        raise MalformedText("Base45 text contains a character outside the alphabet")
    triples, rest = divmod(len(raw), 3)
    if rest == 1:
        raise MalformedText("Base45 text ends with a dangling single character")
    # SWAR: raw holds 3-byte lanes (c, d, e); one lane-wise c + 45d + 2025e (< 2**24) gives
    # every 16-bit value at once, and a nonzero top byte in a lane means a value > 65535.
    x = int.from_bytes(raw[: 3 * triples], "big")
    low = int.from_bytes(b"\0\0\xff" * triples, "big")
    v = ((x >> 16) & low) + 45 * ((x >> 8) & low) + 2025 * (x & low)
    out = bytearray(v.to_bytes(3 * triples, "big"))
    if out[0::3].strip(b"\0"):
        raise MalformedText("Base45 triple exceeds 65535 (RFC 9285 section 4.2)")
    del out[0::3]
    if rest:
        value = raw[-2] + 45 * raw[-1]
        if value > 255:
            raise MalformedText("Base45 final pair exceeds 255")
        out.append(value)
    return bytes(out)


def numeric_encode(data: bytes) -> str:
    """Encode bytes as decimal digits for QR numeric mode. Raises nothing for bytes input.

    Each 22-byte block (the last one 1..21 bytes) becomes its big-endian unsigned value,
    zero-padded to exactly D(n) = len(str(256**n - 1)) digits (53 for a full block).
    """
    full = len(data) - len(data) % _BLOCK_BYTES
    parts = [
        str(int.from_bytes(data[i : i + _BLOCK_BYTES], "big")).zfill(_BLOCK_DIGITS)
        for i in range(0, full, _BLOCK_BYTES)
    ]
    if full < len(data):
        parts.append(str(int.from_bytes(data[full:], "big")).zfill(_DIGITS[len(data) - full]))
    return "".join(parts)


def numeric_decode(text: str) -> bytes:
    """Decode the digits written by :func:`numeric_encode`.

    Raises MalformedText for any character but ASCII ``0-9``, a length of the form
    ``53*k + t`` where no block has ``t`` digits, or a non-canonical block (value >= 256**n).
    """
    # bytes.isdigit is ASCII-only and ~10x faster than str.isdigit, which also accepts "²".
    if text and not (text.isascii() and text.encode("ascii").isdigit()):
        raise MalformedText("numeric text contains a character other than 0-9")
    full_blocks, tail = divmod(len(text), _BLOCK_DIGITS)
    tail_bytes = _TAIL_BYTES[tail]
    if tail_bytes < 0:
        raise MalformedText(f"numeric text length {len(text)} fits no block layout")
    full = full_blocks * _BLOCK_DIGITS
    try:  # int() cannot fail on <= 53 ASCII digits; to_bytes overflows on non-canonical blocks
        parts = [
            int(text[i : i + _BLOCK_DIGITS]).to_bytes(_BLOCK_BYTES, "big")
            for i in range(0, full, _BLOCK_DIGITS)
        ]
        if tail_bytes:
            parts.append(int(text[full:]).to_bytes(tail_bytes, "big"))
    except OverflowError as exc:
        raise MalformedText("numeric block value too large for its length") from exc
    return b"".join(parts)


class TextEncoding(StrEnum):
    """How the transport bytes are written after the header."""

    BASE45 = "base45"
    NUMERIC = "numeric"


@dataclass(frozen=True, slots=True)
class TextFormat:
    """A text format: header ``f"{prefix}{version}:"`` plus a body encoding.

    Raises InvalidArgument unless ``prefix`` is 1-4 ASCII uppercase letters, ``version`` an
    int in 1..99 and ``encoding`` a :class:`TextEncoding`.
    """

    prefix: str
    version: int
    encoding: TextEncoding

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not _PREFIX_RE.fullmatch(self.prefix):
            raise InvalidArgument(f"prefix must be 1-4 letters A-Z, got {self.prefix!r}")
        if type(self.version) is not int or not 1 <= self.version <= 99:
            raise InvalidArgument(f"version must be an int in 1..99, got {self.version!r}")
        if not isinstance(self.encoding, TextEncoding):
            raise InvalidArgument(f"encoding must be a TextEncoding, got {self.encoding!r}")

    @property
    def header(self) -> str:
        """The header string, e.g. ``"DL1:"``."""
        return f"{self.prefix}{self.version}:"


def peek_header(text: str) -> tuple[str, int] | None:
    """Return ``(prefix, version)`` from a well-formed header, or None. Raises nothing."""
    match = _HEADER_RE.match(text)
    return None if match is None else (match[1], int(match[2]))


def pack(data: bytes, fmt: TextFormat, *, compress: bool | None = None, zlib_level: int = 9) -> str:
    """Write ``data`` as text in format ``fmt``, optionally zlib-compressed.

    ``compress=None`` compresses only if that is shorter (or if raw data starts with ``0x78``,
    which only a zlib stream may); True always compresses; False never does.
    Raises InvalidArgument for a zlib level outside -1..9 or, with ``compress=False``, data
    starting with ``0x78``; TooLarge if data exceeds MAX_BYTES or the text MAX_TEXT_CHARS,
    since :func:`unpack` would reject it by default.
    """
    if type(zlib_level) is not int or not -1 <= zlib_level <= 9:
        raise InvalidArgument(f"zlib_level must be an int in -1..9, got {zlib_level!r}")
    if len(data) > MAX_BYTES:
        raise TooLarge("data exceeds MAX_BYTES", what="data", limit=MAX_BYTES, actual=len(data))
    ambiguous = data[:1] == _ZLIB_MARKER
    payload = data
    if compress is not False:
        deflated = zlib.compress(data, zlib_level)
        if compress or ambiguous or len(deflated) < len(data):
            payload = deflated
    elif ambiguous:
        raise InvalidArgument("uncompressed data must not start with 0x78 (the zlib marker)")
    body = b45encode(payload) if fmt.encoding is TextEncoding.BASE45 else numeric_encode(payload)
    text = fmt.header + body
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge("text too long", what="text", limit=MAX_TEXT_CHARS, actual=len(text))
    return text


def unpack(
    text: str,
    formats: Sequence[TextFormat],
    *,
    max_text_chars: int = MAX_TEXT_CHARS,
    max_bytes: int = MAX_BYTES,
) -> tuple[TextFormat, bytes]:
    """Read text written by :func:`pack`; return its format and the (inflated) data.

    Checks, in order: text length (TooLarge, what="text"); header (MalformedText if missing or
    not canonical, e.g. lowercase or ``"DL01:"``; UnsupportedVersion with ``prefix`` set to the
    header if no format in ``formats`` has it); body (MalformedText); then either inflation
    (TooLarge, what="inflated", beyond ``max_bytes``; MalformedCompression if corrupt, truncated
    or followed by trailing bytes) or the raw size (TooLarge, what="decoded").
    Raises InvalidArgument first if ``formats`` is empty or repeats a header, or a cap is
    negative.
    """
    by_header = {(f.prefix, f.version): f for f in formats}
    if not by_header or len(by_header) != len(formats):
        raise InvalidArgument("formats must be non-empty, with distinct headers")
    if max_text_chars < 0 or not 0 <= max_bytes < sys.maxsize:
        raise InvalidArgument("max_text_chars and max_bytes must be non-negative")
    if len(text) > max_text_chars:
        raise TooLarge("text too long", what="text", limit=max_text_chars, actual=len(text))
    match = _HEADER_RE.match(text)
    if match is None:
        raise MalformedText("text does not start with a header such as 'DL1:'")
    fmt = by_header.get((match[1], int(match[2])))
    if fmt is None:
        raise UnsupportedVersion(f"unsupported text header {match[0]!r}", prefix=match[0])
    body = text[match.end() :]
    data = b45decode(body) if fmt.encoding is TextEncoding.BASE45 else numeric_decode(body)
    if data[:1] == _ZLIB_MARKER:
        return fmt, _inflate(data, max_bytes)
    if len(data) > max_bytes:
        raise TooLarge("decoded data too large", what="decoded", limit=max_bytes, actual=len(data))
    return fmt, data


def _inflate(stream: bytes, max_bytes: int) -> bytes:
    """Inflate one complete zlib stream, never producing more than ``max_bytes + 1`` bytes."""
    inflater = zlib.decompressobj()  # max_length below must never be 0: that means unlimited
    try:
        out = inflater.decompress(stream, max_bytes + 1)
    except zlib.error as exc:
        raise MalformedCompression("corrupt zlib stream") from exc
    if len(out) > max_bytes:
        raise TooLarge("inflated data too large", what="inflated", limit=max_bytes)
    if not inflater.eof:
        raise MalformedCompression("truncated zlib stream")
    if inflater.unused_data:
        raise MalformedCompression("trailing bytes after the zlib stream")
    return out
