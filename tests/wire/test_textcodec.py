"""Tests for qrseal.wire.textcodec: Base45, numeric digits, framing, bounded inflation."""

from __future__ import annotations

import contextlib
import math
import zlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qrseal.errors import (
    InvalidArgument,
    MalformedCompression,
    MalformedText,
    QrsealError,
    TooLarge,
    UnsupportedVersion,
)
from qrseal.wire.textcodec import (
    MAX_BYTES,
    MAX_TEXT_CHARS,
    TextEncoding,
    TextFormat,
    b45decode,
    b45encode,
    numeric_decode,
    numeric_encode,
    pack,
    peek_header,
    unpack,
)

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
DL45 = TextFormat("DL", 1, TextEncoding.BASE45)
DLNUM = TextFormat("DN", 2, TextEncoding.NUMERIC)
FORMATS = (DL45, DLNUM)
COSE_LIKE = b"\xd2\x84" + bytes(range(256)) + b"\x00" * 40  # raw data starts with 0xD2
# Binary with many leading zero bytes, which a naive big-int codec would drop.
BINARY = st.binary(max_size=400) | st.tuples(st.integers(0, 60), st.binary(max_size=60)).map(
    lambda t: bytes(t[0]) + t[1]
)


def ref_b45encode(data: bytes) -> str:
    """Straightforward RFC 9285 encoder, the reference for the fast one."""
    out = []
    for i in range(0, len(data) - 1, 2):
        e, r = divmod(data[i] * 256 + data[i + 1], 2025)
        out += [ALPHABET[r % 45], ALPHABET[r // 45], ALPHABET[e]]
    if len(data) % 2:
        out += [ALPHABET[data[-1] % 45], ALPHABET[data[-1] // 45]]
    return "".join(out)


def digits(n: int) -> int:
    """D(n): the digits needed for any n-byte value."""
    return len(str(256**n - 1)) if n else 0


# --- Base45 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
    ],
)
def test_b45_rfc9285_examples(data: bytes, text: str) -> None:
    """The RFC 9285 section 4 examples encode and decode both ways."""
    assert b45encode(data) == text
    assert b45decode(text) == data


def test_b45_rfc9285_rejects_ggw() -> None:
    """'GGW' decodes to 65536 > 65535 and is rejected (RFC 9285 section 4.2)."""
    with pytest.raises(MalformedText):
        b45decode("GGW")


def test_b45_every_pair_matches_reference() -> None:
    """All 65536 pairs and all 256 single bytes encode as the reference and round-trip."""
    pairs = b"".join(v.to_bytes(2, "big") for v in range(65536))
    assert b45encode(pairs) == ref_b45encode(pairs)
    assert b45decode(b45encode(pairs)) == pairs
    for b in range(256):
        assert b45decode(b45encode(bytes([b]))) == bytes([b])


def test_b45_every_triple_above_65535_rejected() -> None:
    """Each of the 25589 three-character groups worth more than 65535 is rejected."""
    rejected = 0
    for e in range(32, 45):
        for v in range(max(65536, 2025 * e), 2025 * (e + 1)):
            with pytest.raises(MalformedText):
                b45decode("00" + ALPHABET[v % 45] + ALPHABET[v // 45 % 45] + ALPHABET[e])
            rejected += 1
    assert rejected == 45**3 - 65536


def test_b45_pair_above_255_rejected() -> None:
    """A final two-character group worth more than 255 is rejected; 255 itself is accepted."""
    assert b45decode("U5") == b"\xff"  # 30 + 45*5 = 255
    with pytest.raises(MalformedText):
        b45decode("V5")  # 256
    with pytest.raises(MalformedText):
        b45decode("BB8::")  # 44 + 45*44


@pytest.mark.parametrize("text", ["0", "BB8A", "BB8BB8:"])
def test_b45_dangling_char_rejected(text: str) -> None:
    """A length of 3k+1 leaves a dangling character and is rejected."""
    with pytest.raises(MalformedText):
        b45decode(text)


@pytest.mark.parametrize(
    "bad",
    ["a", "z", "#", "!", "_", "=", "\n", "\t", "\r", "\x00", "\x7f", "é", "€", "\ud800", "０"],
)
def test_b45_invalid_characters_rejected(bad: str) -> None:
    """Lowercase, other ASCII, control, non-ASCII and surrogate characters are rejected."""
    with pytest.raises(MalformedText):
        b45decode("BB" + bad)


@given(BINARY)
@example(b"")
@example(b"\x00")
@example(b"\x00\x00\x00")
def test_b45_roundtrip(data: bytes) -> None:
    """Base45 round-trips any bytes and matches the reference encoder."""
    text = b45encode(data)
    assert text == ref_b45encode(data)
    assert b45decode(text) == data


# --- numeric --------------------------------------------------------------------------------


def test_block_size_22_is_densest_up_to_32() -> None:
    """22-byte blocks of 53 digits have the fewest digits per byte among sizes 1..32."""
    assert digits(22) == 53
    assert min(range(1, 33), key=lambda n: digits(n) / n) == 22
    assert digits(22) / 22 - 8 * math.log10(2) < 0.001


@pytest.mark.parametrize("n", range(0, 70))
def test_numeric_length_is_block_layout(n: int) -> None:
    """n bytes take 53 digits per full block plus D(n % 22) for the tail."""
    text = numeric_encode(b"\xff" * n)
    assert len(text) == 53 * (n // 22) + digits(n % 22)
    assert numeric_decode(text) == b"\xff" * n


@given(BINARY)
@example(b"")
@example(b"\x00")
@example(bytes(22))
@example(bytes(23))
def test_numeric_roundtrip(data: bytes) -> None:
    """Numeric round-trips any bytes, leading zero bytes included."""
    text = numeric_encode(data)
    assert text.isascii()
    assert text.isdigit() or not text
    assert numeric_decode(text) == data


def test_numeric_tail_lengths() -> None:
    """Only tail lengths D(0..21) are accepted; every other tail length is rejected."""
    tail_bytes = {digits(r): r for r in range(22)}
    for tail in range(53):
        for full in (0, 1):
            text = "0" * (53 * full + tail)
            if tail in tail_bytes:
                assert numeric_decode(text) == bytes(22 * full + tail_bytes[tail])
            else:
                with pytest.raises(MalformedText):
                    numeric_decode(text)


@pytest.mark.parametrize(
    "text",
    [
        "256",  # 1-byte block
        "65536",  # 2-byte block
        str(256**22),  # full block, smallest non-canonical value
        "9" * 53,
        "0" * 53 + "256",  # non-canonical tail after a good block
        str(256**22) + "000",  # non-canonical full block before a good tail
    ],
)
def test_numeric_noncanonical_block_rejected(text: str) -> None:
    """A block whose value does not fit its byte count is rejected."""
    with pytest.raises(MalformedText):
        numeric_decode(text)


def test_numeric_largest_canonical_block_accepted() -> None:
    """256**n - 1 is the largest value accepted for an n-byte block."""
    assert numeric_decode(str(256**22 - 1)) == b"\xff" * 22
    assert numeric_decode("255") == b"\xff"


@pytest.mark.parametrize(
    "bad", ["A", " ", "+", "-", "_", ".", "\n", "\x00", "٠", "²", "１", "\ud800"]
)
def test_numeric_invalid_characters_rejected(bad: str) -> None:
    """Letters, signs, spaces, underscores and non-ASCII digits are rejected."""
    with pytest.raises(MalformedText):
        numeric_decode("12" + bad)
    with pytest.raises(MalformedText):
        numeric_decode(bad + "1" * 52 + "12")


# --- framing --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("compress", [None, True, False])
@given(data=BINARY.map(lambda b: b"\xd2" + b))
def test_pack_unpack_roundtrip(fmt: TextFormat, compress: bool | None, data: bytes) -> None:
    """pack/unpack round-trip with compression auto, forced and off, in both encodings."""
    text = pack(data, fmt, compress=compress)
    assert text.startswith(fmt.header)
    assert unpack(text, FORMATS) == (fmt, data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_pack_auto_picks_shorter(fmt: TextFormat) -> None:
    """Auto mode compresses compressible data and leaves incompressible data raw."""
    raw = pack(COSE_LIKE, fmt, compress=False)
    assert len(pack(COSE_LIKE, fmt)) < len(raw)
    tiny = b"\xd2\x01"
    assert pack(tiny, fmt) == pack(tiny, fmt, compress=False)


def test_pack_zlib_marker_data() -> None:
    """Raw data starting with 0x78 is refused uncompressed and compressed in auto mode."""
    data = b"\x78\x01"
    with pytest.raises(InvalidArgument):
        pack(data, DL45, compress=False)
    assert unpack(pack(data, DL45), FORMATS) == (DL45, data)


@pytest.mark.parametrize("level", [-2, 10, True])
def test_pack_bad_zlib_level(level: int) -> None:
    """A zlib level outside -1..9 is an InvalidArgument."""
    with pytest.raises(InvalidArgument):
        pack(COSE_LIKE, DL45, zlib_level=level)


def test_pack_refuses_what_unpack_would_reject() -> None:
    """pack raises TooLarge for data over MAX_BYTES or text over MAX_TEXT_CHARS."""
    with pytest.raises(TooLarge):
        pack(b"\xd2" + bytes(MAX_BYTES), DL45, compress=False)
    with pytest.raises(TooLarge) as info:
        pack(b"\xd2" * 3000, DLNUM, compress=False)
    assert info.value.what == "text"


def _text(fmt: TextFormat, transport: bytes) -> str:
    """Frame transport bytes by hand, bypassing pack's checks."""
    encode = b45encode if fmt.encoding is TextEncoding.BASE45 else numeric_encode
    return fmt.header + encode(transport)


@pytest.mark.parametrize("fmt", FORMATS)
def test_decompression_bomb(fmt: TextFormat) -> None:
    """1 MB of zeros compressed fits one QR code but inflating stops at the cap: TooLarge."""
    bomb = zlib.compress(bytes(1_000_000), 9)
    text = _text(fmt, bomb)
    assert len(text) <= MAX_TEXT_CHARS
    with pytest.raises(TooLarge) as info:
        unpack(text, FORMATS, max_bytes=1000)
    assert info.value.what == "inflated"
    assert info.value.limit == 1000


def test_decompression_bomb_stops_at_cap() -> None:
    """A bomb with a bad checksum is TooLarge: inflation stops at the cap, never reading on."""
    bomb = bytearray(zlib.compress(bytes(1_000_000), 9))
    bomb[-1] ^= 1  # only an inflater that ran to the end would notice this
    with pytest.raises(TooLarge):
        unpack(_text(DL45, bytes(bomb)), FORMATS, max_bytes=1000)
    with pytest.raises(MalformedCompression):
        unpack(_text(DL45, bytes(bomb)), FORMATS, max_bytes=1_000_000)


def test_inflate_exactly_at_cap() -> None:
    """Inflated data of exactly max_bytes is accepted; one byte more is TooLarge."""
    text = _text(DL45, zlib.compress(b"\xd2" * 1000))
    assert unpack(text, FORMATS, max_bytes=1000)[1] == b"\xd2" * 1000
    with pytest.raises(TooLarge):
        unpack(text, FORMATS, max_bytes=999)


@pytest.mark.parametrize(
    "stream",
    [
        zlib.compress(COSE_LIKE)[:-1],  # truncated checksum
        zlib.compress(COSE_LIKE)[:20],  # truncated data
        zlib.compress(COSE_LIKE) + b"\x00",  # trailing garbage
        zlib.compress(COSE_LIKE) + zlib.compress(b"x"),  # a second stream
        zlib.compress(COSE_LIKE)[:-1] + b"\x00",  # bad checksum
        b"\x78\x00",  # bad header check bits
        b"\x78",  # header cut short
    ],
)
def test_bad_zlib_stream(stream: bytes) -> None:
    """Truncated, corrupt or trailing-garbage zlib streams raise MalformedCompression."""
    with pytest.raises(MalformedCompression):
        unpack(_text(DL45, stream), FORMATS)


def test_raw_data_over_cap() -> None:
    """Raw data longer than max_bytes raises TooLarge(what='decoded')."""
    text = pack(COSE_LIKE, DLNUM, compress=False)
    with pytest.raises(TooLarge) as info:
        unpack(text, FORMATS, max_bytes=len(COSE_LIKE) - 1)
    assert info.value.what == "decoded"
    assert unpack(text, FORMATS, max_bytes=len(COSE_LIKE))[1] == COSE_LIKE


@pytest.mark.parametrize("body", ["1" * 1_000_000, "garbage" * 150_000])
def test_oversized_text_rejected_before_decoding(body: str) -> None:
    """A text over the cap is TooLarge even when it has no header or an invalid body."""
    for text in (body, DLNUM.header + body):
        with pytest.raises(TooLarge) as info:
            unpack(text, FORMATS)
        assert (info.value.what, info.value.limit, info.value.actual) == (
            "text",
            MAX_TEXT_CHARS,
            len(text),
        )


@pytest.mark.parametrize("header", ["XX1:", "DL2:", "DN1:", "DL99:", "ABCD1:"])
def test_unknown_header_unsupported(header: str) -> None:
    """A well-formed header with an unknown prefix or version is UnsupportedVersion."""
    with pytest.raises(UnsupportedVersion) as info:
        unpack(header + "BB8", FORMATS)
    assert info.value.prefix == header


@pytest.mark.parametrize(
    "text",
    ["", "BB8", "DL1", "DL:BB8", "1DL:", "dl1:BB8", "Dl1:BB8", "DL01:BB8", "DL0:BB8",
     "DL100:BB8", "ABCDE1:BB8", " DL1:BB8", "DL1 :BB8", "\nDL1:BB8"],
)  # fmt: skip
def test_missing_or_malformed_header(text: str) -> None:
    """No header, lowercase, leading zero, version 0, 3 digits or 5 letters: MalformedText."""
    with pytest.raises(MalformedText):
        unpack(text, FORMATS)
    assert peek_header(text) is None


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\t"])
def test_no_trimming(suffix: str) -> None:
    """unpack does not trim: a trailing newline, space or tab breaks the body."""
    text = pack(COSE_LIKE, DLNUM, compress=False) + suffix
    with pytest.raises(MalformedText):
        unpack(text, FORMATS)


def test_peek_header() -> None:
    """peek_header returns (prefix, version) for a canonical header, else None."""
    assert peek_header("DL1:BB8") == ("DL", 1)
    assert peek_header("ABCD99:") == ("ABCD", 99)
    assert peek_header("dl1:") is None
    assert peek_header("") is None


B45 = TextEncoding.BASE45


@pytest.mark.parametrize(
    ("prefix", "version", "encoding"),
    [("", 1, B45), ("dl", 1, B45), ("ABCDE", 1, B45), ("D1", 1, B45), ("É", 1, B45),
     ("DL", 0, B45), ("DL", 100, B45), ("DL", True, B45), ("DL", 1.0, B45), ("DL", 1, "base45")],
)  # fmt: skip
def test_textformat_validation(prefix: str, version: int, encoding: TextEncoding) -> None:
    """TextFormat rejects bad prefixes, versions and plain-string encodings: InvalidArgument."""
    with pytest.raises(InvalidArgument):
        TextFormat(prefix, version, encoding)


def test_textformat_header() -> None:
    """The header is prefix, version and a colon, all QR-alphanumeric."""
    assert TextFormat("DL", 1, TextEncoding.NUMERIC).header == "DL1:"
    assert set(TextFormat("ABCD", 99, TextEncoding.BASE45).header) <= set(ALPHABET)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"formats": ()},
        {"formats": (DL45, TextFormat("DL", 1, TextEncoding.NUMERIC))},
        {"formats": (DL45, DL45)},
        {"max_bytes": -1},
        {"max_text_chars": -1},
    ],
)
def test_unpack_argument_validation(kwargs: dict[str, object]) -> None:
    """Empty formats, a repeated header and negative caps are InvalidArgument."""
    with pytest.raises(InvalidArgument):
        unpack(pack(COSE_LIKE, DL45), **{"formats": FORMATS, **kwargs})  # type: ignore[arg-type]


HEADERS = st.sampled_from(["DL1:", "DN2:", "XX1:", "DL", ""])
BODIES = st.text(alphabet=ALPHABET) | st.text(alphabet="0123456789") | st.text()


@given(st.text() | st.builds(str.__add__, HEADERS, BODIES))
def test_unpack_random_text_raises_only_qrseal_errors(text: str) -> None:
    """unpack on arbitrary text returns or raises a QrsealError, never anything else."""
    with contextlib.suppress(QrsealError):
        unpack(text, FORMATS, max_bytes=64)


@given(st.sampled_from(FORMATS), BINARY, st.data())
def test_unpack_mutated_text_raises_only_qrseal_errors(
    fmt: TextFormat, data: bytes, draw: st.DataObject
) -> None:
    """Mutating one character of a (compressed) packed text never leaks a non-qrseal error."""
    text = pack(b"\xd2" + data + bytes(50), fmt, compress=True)
    i = draw.draw(st.integers(0, len(text) - 1))
    char = draw.draw(st.sampled_from(ALPHABET + "0123456789") | st.characters())
    mutated = text[:i] + char + text[i + 1 :]
    with contextlib.suppress(QrsealError):
        unpack(mutated, FORMATS, max_bytes=len(data) + 40)
