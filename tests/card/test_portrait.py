"""Portraits (card/portrait, licence/portrait): the one-call producer meets its byte budget
and the QR target, crops on the face, refuses what the licence cannot carry; the portrait
is inside the signature and is never decoded by verify; decoding it is bounded; the
measurement table in docs/format.md is current."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qrseal.card.portrait import (
    DEFAULT_BUDGET,
    PortraitFormat,
    crop_box,
    make_portrait,
    prepare_portrait,
    ssim,
)
from qrseal.errors import InvalidArgument, InvalidImage, Reason, SignatureInvalid, TooLarge
from qrseal.issuer import Issuer
from qrseal.licence.fields import QR_DEFAULT_FIELDS, LicenceField
from qrseal.licence.portrait import PORTRAIT_FORMATS, PORTRAIT_MAX_PIXELS, portrait_mime
from qrseal.licence.profile import DL_FORMAT
from qrseal.qr.image import open_small_image
from qrseal.qr.render import qr_version
from qrseal.testing import FIXED_NOW, TEST_ISSUER, make_signer, make_verifier, sample_licence
from qrseal.wire.textcodec import pack, unpack

from ..fresh_process import heavy_in, modules_after

ROOT = Path(__file__).resolve().parents[2]
skimage_data = pytest.importorskip("skimage.data", reason="the bundled astronaut photo")
_FACE = (174, 66, 96, 96)  # the LBP cascade's box on astronaut (scripts/render_cards.py)
_PORTRAIT = frozenset(QR_DEFAULT_FIELDS | {LicenceField.PORTRAIT})


@pytest.fixture(scope="module")
def photo() -> Any:
    from PIL import Image

    return Image.fromarray(skimage_data.astronaut())


def _issue(portrait: bytes, index: int = 0) -> str:
    licence = dataclasses.replace(
        sample_licence(index), portrait=portrait, portrait_capture_date=FIXED_NOW
    )
    return Issuer(signer=make_signer(), issuer=TEST_ISSUER, fields=_PORTRAIT).issue(
        licence, now=FIXED_NOW
    )


def test_astronaut_is_bundled_not_downloaded() -> None:
    """The face photo is a file inside the scikit-image package (no download at test time)."""
    import skimage

    assert (Path(skimage.__file__).parent / "data" / "astronaut.png").is_file()


def test_default_portrait_fits_budget_and_qr_target(photo: Any) -> None:
    """The default portrait is a JPEG 2000 codestream within 600 bytes; signed into sample
    licence 0 it verifies, comes back byte for byte, and the code is at most version 25 (M)."""
    portrait = make_portrait(photo, face=_FACE)
    assert len(portrait.data) <= DEFAULT_BUDGET and portrait.data.startswith(b"\xff\x4f\xff\x51")
    assert portrait.format is PortraitFormat.JPEG2000 and portrait.size == (64, 80)
    text = _issue(portrait.data)
    verified = make_verifier().verify(text, now=FIXED_NOW)
    assert verified.licence.portrait == portrait.data
    assert verified.licence.portrait_capture_date == FIXED_NOW
    assert qr_version(text) <= 25


@pytest.mark.parametrize("budget", [400, 800, 1200])
@pytest.mark.parametrize("fmt", [PortraitFormat.JPEG, PortraitFormat.JPEG2000])
def test_budget_is_met_and_used(photo: Any, fmt: PortraitFormat, budget: int) -> None:
    """Each allowed encoding meets the budget, and a larger budget buys a closer image."""
    small = make_portrait(photo, face=_FACE, fmt=fmt, budget=budget)
    assert len(small.data) <= budget and portrait_mime(small.data) is not None
    reference = prepare_portrait(photo, face=_FACE)
    from PIL import Image

    def score(data: bytes) -> float:
        with Image.open(io.BytesIO(data)) as decoded:
            return ssim(reference, decoded.convert("L"))

    larger = make_portrait(photo, face=_FACE, fmt=fmt, budget=budget + 400)
    assert score(larger.data) > score(small.data)


def test_colour_portrait(photo: Any) -> None:
    """colour=True keeps three channels."""
    from PIL import Image

    portrait = make_portrait(photo, face=_FACE, colour=True, fmt=PortraitFormat.JPEG, budget=900)
    with Image.open(io.BytesIO(portrait.data)) as decoded:
        assert decoded.mode == "RGB" and portrait.colour


def test_face_centred_crop() -> None:
    """The crop is 4:5, centred on the face box (slightly above), clamped inside the photo;
    without a box it is the centre of the photo."""
    left, top, right, bottom = crop_box(512, 512, _FACE)
    assert (right - left) * 5 == pytest.approx((bottom - top) * 4, abs=5)
    assert left < 174 + 48 < right and top < 66 + 48 < bottom
    assert abs((left + right) / 2 - (174 + 48)) <= 1
    assert crop_box(400, 500) == (0, 0, 400, 500)
    assert crop_box(1000, 500) == (300, 0, 700, 500)
    assert crop_box(100, 100, (90, 90, 50, 50))[2] == 100  # clamped at the edge
    with pytest.raises(InvalidArgument):
        crop_box(100, 100, (0, 0, 0, 10))


def test_refused_options(photo: Any) -> None:
    """WebP or AVIF (not allowed in the licence), a budget nothing fits, a silly size."""
    for fmt in (PortraitFormat.WEBP, PortraitFormat.AVIF):
        with pytest.raises(InvalidArgument):
            make_portrait(photo, fmt=fmt)
    with pytest.raises(InvalidArgument) as info:
        make_portrait(photo, budget=100, size=(512, 640))
    assert info.value.reason is Reason.INVALID_ARGUMENT
    with pytest.raises(InvalidArgument):
        make_portrait(photo, size=(4, 5))


def test_photo_input_is_bounded(tmp_path: Path) -> None:
    """A photo file claiming more pixels than the cap is refused before decoding; bytes
    that are no image are InvalidImage."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    with pytest.raises(TooLarge):
        make_portrait(bomb)
    (tmp_path / "x.jpg").write_bytes(b"not an image")
    with pytest.raises(InvalidImage):
        make_portrait(tmp_path / "x.jpg")


def test_portrait_decode_is_bounded() -> None:
    """Decoding a portrait refuses, from the header, more than PORTRAIT_MAX_PIXELS, and
    formats other than JPEG and JPEG 2000."""
    from PIL import Image

    big = io.BytesIO()
    Image.new("L", (1200, 1000), 0).save(big, "JPEG2000", no_jp2=True, quality_layers=[300])
    with pytest.raises(TooLarge):
        open_small_image(big.getvalue(), max_pixels=PORTRAIT_MAX_PIXELS, formats=PORTRAIT_FORMATS)
    png = io.BytesIO()
    Image.new("L", (10, 10), 0).save(png, "PNG")
    with pytest.raises(InvalidImage):
        open_small_image(png.getvalue(), max_pixels=PORTRAIT_MAX_PIXELS, formats=PORTRAIT_FORMATS)


def test_tampered_portrait_fails_the_signature_first(photo: Any) -> None:
    """A credential whose portrait bytes were changed is refused with signature_invalid:
    the portrait is inside the signature."""
    portrait = make_portrait(photo, face=_FACE).data
    text = _issue(portrait)
    _, raw = unpack(text, [DL_FORMAT])
    index = raw.find(portrait[20:40])
    assert index > 0
    changed = bytearray(raw)
    changed[index] ^= 0x01
    with pytest.raises(SignatureInvalid):
        make_verifier().verify(pack(bytes(changed), DL_FORMAT), now=FIXED_NOW)


def test_verify_never_decodes_the_portrait() -> None:
    """Verifying a credential with a portrait whose image data is garbage succeeds (only
    the first bytes are checked) and loads no image library in a fresh process."""
    junk = b"\xff\x4f\xff\x51" + bytes(range(256)) * 2
    text = _issue(junk)
    assert make_verifier().verify(text, now=FIXED_NOW).licence.portrait == junk
    code = (
        "import sys\nfrom qrseal.testing import FIXED_NOW, make_verifier\n"
        "assert make_verifier().verify(sys.argv[1], now=FIXED_NOW).licence.portrait\n"
    )
    assert heavy_in(modules_after(code, text)) == []


def test_portrait_table_in_format_md_is_current() -> None:
    """docs/format.md §5.5 equals what scripts/portrait_table.py measures now."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "portrait_table.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""},
    )
    assert done.returncode == 0, done.stdout + done.stderr
