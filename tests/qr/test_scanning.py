"""Tests for qrseal.qr.scanning: round trips through each real decoder, options, decoder choice."""

from __future__ import annotations

import math

import pytest
import qrcode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from qrseal import qr
from qrseal.errors import (
    InvalidArgument,
    NoQrFound,
    Reason,
    TooLarge,
)
from qrseal.qr import Decoder

from .samples import (
    B45_TEXT,
    DECODERS,
    NUM_TEXT,
    PAYLOAD,
    b45encode,
    code,
    encode,
    needs_zbar,
    on_canvas,
)


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


def test_zero_budget_still_reads_a_clean_code() -> None:
    """budget_s=0 is allowed and still tries the image as it is, which reads a clean code."""
    assert qr.scan_one(code("DL1:ZERO", 4), budget_s=0) == "DL1:ZERO"


def test_budget_at_its_maximum_is_accepted_and_just_over_is_refused() -> None:
    """budget_s may be exactly MAX_BUDGET_S; the next float above it is InvalidArgument."""
    image = code("DL1:MAX", 4)
    assert qr.scan_one(image, budget_s=qr.MAX_BUDGET_S) == "DL1:MAX"
    with pytest.raises(InvalidArgument):
        qr.scan(image, budget_s=math.nextafter(qr.MAX_BUDGET_S, math.inf))


def test_max_pixels_lower_limit_is_one() -> None:
    """max_pixels=1 is a valid option (a real image is then TooLarge); 0 is InvalidArgument."""
    image = code("DL1:LOW", 2)
    with pytest.raises(TooLarge):
        qr.scan(image, max_pixels=1)
    with pytest.raises(InvalidArgument):
        qr.scan(image, max_pixels=0)
