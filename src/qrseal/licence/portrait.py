"""The signed portrait element (``portrait``, ISO/IEC 18013-5; key 9 of the compact map):
which encodings it may hold and the bounds a verifier decodes it within. Pure: no image
library here (decoding happens above the verifier, after the signature is checked:
:mod:`qrseal.card`).

The allowed encodings are recognised by their first bytes (the one table:
:data:`qrseal.licence.rules.PORTRAIT_MAGIC`): JPEG and JPEG 2000 (both allowed by ISO/IEC
18013-5 for ``portrait``; JPEG 2000 as a JP2 file or a bare codestream).
"""

from __future__ import annotations

from typing import Final

from .rules import PORTRAIT_MAGIC

__all__ = [
    "PORTRAIT_FORMATS",
    "PORTRAIT_MAX_PIXELS",
    "portrait_mime",
]

#: Pillow format names a portrait is decoded as (nothing else is opened).
PORTRAIT_FORMATS: Final = ("JPEG", "JPEG2000")
#: Pixel cap for decoding a portrait, checked from its header before any pixel is
#: decoded: an ISO portrait is at most a few hundred thousand pixels, a QR thumbnail a
#: few thousand.
PORTRAIT_MAX_PIXELS: Final = 1_000_000
_MIMES: Final = ("image/jpeg", "image/jp2", "image/jp2")


def portrait_mime(data: bytes) -> str | None:
    """The media type of an allowed portrait encoding, or None."""
    for magic, mime in zip(PORTRAIT_MAGIC, _MIMES, strict=True):
        if data.startswith(magic):
            return mime
    return None
