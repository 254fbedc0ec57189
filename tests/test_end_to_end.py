"""Issue -> QR image -> scan -> verify, through each real decoder, as a verifier app sees it;
and issue -> verify at each time limit of the policy, exactly at it and one second past."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from PIL import Image

from qrseal import Algorithm, Policy, QrsealError, Reason, qr
from qrseal.qr import Decoder
from qrseal.testing import FIXED_NOW, make_issuer, make_verifier, sample_licence

DECODERS = [d for d in (Decoder.ZBAR, Decoder.ZXING) if d in qr.available_decoders()]


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def _screenshot(code: Image.Image, angle: float = 0) -> Image.Image:
    canvas = Image.new("RGB", (1280, 720), (245, 245, 245))
    code = code.convert("RGB").rotate(angle, expand=True, fillcolor=(255, 255, 255))
    canvas.paste(code, ((1280 - code.width) // 2, (720 - code.height) // 2))
    return canvas


def test_zxing_decoder_is_always_available() -> None:
    """The wheel-installed fallback decoder is present, so scanning works on a fresh machine."""
    assert Decoder.ZXING in qr.available_decoders()


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("index", range(5))
def test_every_sample_through_each_decoder(decoder: Decoder, index: int) -> None:
    """Every sample licence survives render -> scan (each decoder alone) -> verify."""
    licence = sample_licence(index)
    text = make_issuer().issue(licence, now=FIXED_NOW)
    found = qr.scan(qr.render_image(text), decoders=(decoder,))
    assert [r.text for r in found] == [text]
    assert (
        make_verifier().verify(found[0].text, now=FIXED_NOW).licence.document_number
        == licence.document_number
    )


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize(
    ("scale", "angle", "quality"),
    [(3, 0, None), (5, 90, None), (8, 180, None), (4, 270, 60), (6, 12, 75), (4, 0, 50)],
)
def test_screenshots_scales_rotations_and_jpeg(
    decoder: Decoder, scale: int, angle: float, quality: int | None
) -> None:
    """A code in a 1280x720 screenshot verifies at several scales, rotations and JPEG qualities."""
    text = make_issuer(Algorithm.EDDSA).issue(sample_licence(3), now=FIXED_NOW)
    image = _screenshot(qr.render_image(text, scale=scale), angle)
    if quality is not None:
        image = _jpeg(image, quality)
    result = make_verifier().verify_image(image, now=FIXED_NOW)
    assert result.licence.document_number == "32050519760508205X"
    assert qr.scan(image, decoders=(decoder,))[0].text == text


def test_verify_image_reports_the_credentials_reason() -> None:
    """An image whose code is an expired credential is rejected as expired, not as an image error."""
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    png = qr.render_png(text)
    with pytest.raises(QrsealError) as info:
        make_verifier().verify_image(png, now=FIXED_NOW.replace(year=2027))
    assert info.value.reason is Reason.EXPIRED


def test_verify_image_picks_the_credential_among_other_codes() -> None:
    """With an unrelated QR code beside the credential, the credential is found and verified."""
    text = make_issuer().issue(sample_licence(1), now=FIXED_NOW)
    canvas = Image.new("L", (1400, 800), 255)
    canvas.paste(qr.render_image("HTTPS://EXAMPLE.COM/PAY", scale=6), (20, 20))
    canvas.paste(qr.render_image(text, scale=6), (600, 100))
    assert make_verifier().verify_image(canvas, now=FIXED_NOW).licence.points == 0


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (b"", Reason.INVALID_IMAGE),
        (b"not an image at all", Reason.INVALID_IMAGE),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, Reason.INVALID_IMAGE),
        (Image.new("L", (640, 480), 255), Reason.NO_QR_FOUND),
        (qr.render_png("HTTPS://EXAMPLE.COM"), Reason.MALFORMED_TEXT),
        (qr.render_png("XY7:0123"), Reason.UNSUPPORTED_VERSION),
    ],
)
def test_garbage_images_rejected(image: object, reason: Reason) -> None:
    """Non-images, blank images and images with a foreign code each get their reason."""
    with pytest.raises(QrsealError) as info:
        make_verifier().verify_image(image, now=FIXED_NOW)  # type: ignore[arg-type]
    assert info.value.reason is reason


def _two_codes(first: str, second: str) -> Image.Image:
    canvas = Image.new("L", (1500, 800), 255)
    canvas.paste(qr.render_image(first, scale=5), (20, 20))
    canvas.paste(qr.render_image(second, scale=5), (780, 60))
    return canvas


def test_image_with_two_different_credentials_is_ambiguous() -> None:
    """Issue 9 item 7: two different genuine credentials in one image are refused as
    AmbiguousImage (not verified as whichever reads first), both codes as evidence."""
    first = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    second = make_issuer().issue(sample_licence(1), now=FIXED_NOW)
    image = _two_codes(first, second)
    with pytest.raises(QrsealError) as info:
        make_verifier().verify_image(image, now=FIXED_NOW)
    assert info.value.reason is Reason.AMBIGUOUS_IMAGE
    assert sorted(getattr(info.value, "texts", ())) == sorted([first, second])
    assert sorted(r.text for r in qr.scan(image)) == sorted([first, second])  # all codes


def test_image_with_two_copies_of_one_credential_verifies() -> None:
    """Issue 9 item 7: identical copies of one credential are not ambiguous."""
    text = make_issuer().issue(sample_licence(2), now=FIXED_NOW)
    verified = make_verifier().verify_image(_two_codes(text, text), now=FIXED_NOW)
    assert verified.licence.document_number == sample_licence(2).document_number


def _low_contrast_structured_append() -> bytes:
    """The first of two Structured Append symbols of a genuine credential, 8 grey levels
    of contrast: too faint for zxing-cpp on the image as it is, read there by zbar."""
    segno = pytest.importorskip("segno")
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    buffer = io.BytesIO()
    segno.make_sequence(text, symbol_count=2, error="m")[0].save(
        buffer, kind="png", scale=4, dark=(120, 120, 120), light=(128, 128, 128)
    )
    return buffer.getvalue()


@pytest.mark.skipif(Decoder.ZBAR not in qr.available_decoders(), reason="libzbar0 missing")
def test_low_contrast_structured_append_symbol_is_a_typed_refusal() -> None:
    """Issue 9 item 8: a faint Structured Append symbol made pyzbar raise ValueError (bad
    orientation) out of verify_image and scan; now it is StructuredAppend everywhere."""
    data = _low_contrast_structured_append()
    for call in (
        lambda: make_verifier().verify_image(data, now=FIXED_NOW),
        lambda: qr.scan(data, decoders=("zbar",)),
        lambda: qr.scan(data),
    ):
        with pytest.raises(QrsealError) as info:
            call()
        assert info.value.reason is Reason.STRUCTURED_APPEND
    (result,) = qr.scan_report(data, decoders=("zbar",)).results
    assert result.structured_append


# --- the policy's time limits at their boundaries ----------------------------------------------

SECOND = timedelta(seconds=1)
HOUR_CREDENTIAL = make_issuer().issue(
    sample_licence(0), now=FIXED_NOW, valid_for=timedelta(hours=1)
)


def _outcome(policy: Policy, now: datetime) -> Reason | None:
    try:
        make_verifier(policy).verify(HOUR_CREDENTIAL, now=now)
    except QrsealError as exc:
        return exc.reason
    return None


@pytest.mark.parametrize("skew", [timedelta(0), timedelta(seconds=60)])
def test_expiry_holds_until_exp_plus_skew(skew: timedelta) -> None:
    """A credential verifies one second before exp + clock_skew and is expired at it."""
    policy, end = Policy(clock_skew=skew), FIXED_NOW + timedelta(hours=1) + skew
    assert _outcome(policy, end - SECOND) is None
    assert _outcome(policy, end) is Reason.EXPIRED


@pytest.mark.parametrize("skew", [timedelta(0), timedelta(seconds=60)])
def test_issued_at_may_lead_the_clock_by_exactly_the_skew(skew: timedelta) -> None:
    """iat may be ahead of the verifier's clock by exactly clock_skew, not one second more."""
    policy = Policy(clock_skew=skew)
    assert _outcome(policy, FIXED_NOW - skew) is None
    assert _outcome(policy, FIXED_NOW - skew - SECOND) is Reason.ISSUED_IN_FUTURE


def test_lifetime_may_equal_max_validity_but_not_exceed_it() -> None:
    """A one-hour credential passes max_validity=1 h and is refused at 1 h minus one second."""
    assert _outcome(Policy(max_validity=timedelta(hours=1)), FIXED_NOW) is None
    limit = timedelta(hours=1) - SECOND
    assert _outcome(Policy(max_validity=limit), FIXED_NOW) is Reason.VALIDITY_TOO_LONG
