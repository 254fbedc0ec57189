"""Tests for qrseal.qr.image: every input kind, and hostile or oversized images refused."""

from __future__ import annotations

import contextlib
import math
import random
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image

from qrseal import qr
from qrseal.errors import (
    InvalidImage,
    QrsealError,
    Reason,
    TooLarge,
)

from .samples import (
    code,
    encode,
    on_canvas,
    png_header_only,
)


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


def test_max_pixels_exactly_the_image_size_is_accepted_for_every_input_kind() -> None:
    """max_pixels equal to the image's pixel count scans (the cap is inclusive), for
    bytes, PIL and numpy inputs; the test above refuses one pixel less."""
    image = code("DL1:CAP", 2)
    for source in (encode(image, "PNG"), image, np.asarray(image)):
        assert qr.scan_one(source, max_pixels=image.width * image.height) == "DL1:CAP"


@pytest.mark.parametrize(("height", "error"), [(4096, InvalidImage), (4097, TooLarge)])
def test_decode_bytes_cap_is_inclusive_at_its_exact_size(
    height: int, error: type[Exception]
) -> None:
    """A grey PNG of exactly MAX_DECODE_BYTES // 2 pixels (4096 x 4096) passes the
    decode-cost check (then fails as the empty image it is); one more row is TooLarge."""
    assert 4096 * 4096 * qr.full_size_bytes_per_pixel("L", "PNG") == qr.MAX_DECODE_BYTES
    with pytest.raises(error) as caught:
        qr.scan(png_header_only(4096, height, 8, 0))
    if isinstance(caught.value, TooLarge):
        assert caught.value.what == "decode bytes"
