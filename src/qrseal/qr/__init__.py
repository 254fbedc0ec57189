"""QR layer: render text as a QR code and scan QR codes in images back to text.

It knows nothing about credentials. One concept per module:

- :mod:`qrseal.qr.render`: ASCII text -> QR symbol (PIL image, PNG, SVG, terminal text);
- :mod:`qrseal.qr.scanning`: the scan entry (:func:`scan`, :func:`scan_report`);
- :mod:`qrseal.qr.image`: image input (open, cap, normalise to upright greyscale);
- :mod:`qrseal.qr.pipeline`: decoders over image variants within a time budget;
- :mod:`qrseal.qr.decoders`: the zxing-cpp and zbar bindings;
- :mod:`qrseal.qr.results`: what a scan returns (``ScanResult``, ``ScanReport``, ...).

Importing this package loads none of Pillow, numpy, qrcode, zxing-cpp or pyzbar: the
rendering names are light (qrcode and Pillow load on the first render), and the scanning
names load their modules on first use, so verifying a credential *text* never pays for
image libraries.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from .render import DEFAULT_BORDER as DEFAULT_BORDER
from .render import DEFAULT_SCALE as DEFAULT_SCALE
from .render import MAX_BORDER as MAX_BORDER
from .render import MAX_SCALE as MAX_SCALE
from .render import MAX_TEXT_CHARS as MAX_TEXT_CHARS
from .render import TERMINAL_BORDER as TERMINAL_BORDER
from .render import Ecc as Ecc
from .render import qr_matrix as qr_matrix
from .render import qr_version as qr_version
from .render import render_image as render_image
from .render import render_png as render_png
from .render import render_svg as render_svg
from .render import render_terminal as render_terminal

if TYPE_CHECKING:  # the names __getattr__ loads on first use, as mypy should see them
    from .decoders import available_decoders as available_decoders
    from .image import ALLOWED_FORMATS as ALLOWED_FORMATS
    from .image import IMAGE_RSS_BOUND as IMAGE_RSS_BOUND
    from .image import IMAGE_TIME_BOUND_S as IMAGE_TIME_BOUND_S
    from .image import MAX_DECODE_BYTES as MAX_DECODE_BYTES
    from .image import MAX_PIXELS as MAX_PIXELS
    from .image import SCAN_MAX_SIDE as SCAN_MAX_SIDE
    from .image import ImageSource as ImageSource
    from .image import full_size_bytes_per_pixel as full_size_bytes_per_pixel
    from .image import max_pixels_for as max_pixels_for
    from .pipeline import DEFAULT_BUDGET_S as DEFAULT_BUDGET_S
    from .pipeline import MAX_BUDGET_S as MAX_BUDGET_S
    from .pipeline import Clock as Clock
    from .results import Attempt as Attempt
    from .results import Decoder as Decoder
    from .results import ScanReport as ScanReport
    from .results import ScanResult as ScanResult
    from .results import Variant as Variant
    from .scanning import DEFAULT_DECODERS as DEFAULT_DECODERS
    from .scanning import scan as scan
    from .scanning import scan_one as scan_one
    from .scanning import scan_report as scan_report

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_BORDER",
    "DEFAULT_BUDGET_S",
    "DEFAULT_DECODERS",
    "DEFAULT_SCALE",
    "IMAGE_RSS_BOUND",
    "IMAGE_TIME_BOUND_S",
    "MAX_BORDER",
    "MAX_BUDGET_S",
    "MAX_DECODE_BYTES",
    "MAX_PIXELS",
    "MAX_SCALE",
    "MAX_TEXT_CHARS",
    "SCAN_MAX_SIDE",
    "TERMINAL_BORDER",
    "Attempt",
    "Clock",
    "Decoder",
    "Ecc",
    "ImageSource",
    "ScanReport",
    "ScanResult",
    "Variant",
    "available_decoders",
    "full_size_bytes_per_pixel",
    "max_pixels_for",
    "qr_matrix",
    "qr_version",
    "render_image",
    "render_png",
    "render_svg",
    "render_terminal",
    "scan",
    "scan_one",
    "scan_report",
]

# Scanning names -> the submodule defining them (scanning, image, pipeline and decoders
# import Pillow and zxing-cpp).
_LAZY: Final = MappingProxyType(
    {
        **dict.fromkeys(
            (
                "ALLOWED_FORMATS",
                "IMAGE_RSS_BOUND",
                "IMAGE_TIME_BOUND_S",
                "MAX_DECODE_BYTES",
                "MAX_PIXELS",
                "SCAN_MAX_SIDE",
                "ImageSource",
                "full_size_bytes_per_pixel",
                "max_pixels_for",
            ),
            "image",
        ),
        **dict.fromkeys(("DEFAULT_BUDGET_S", "MAX_BUDGET_S", "Clock"), "pipeline"),
        **dict.fromkeys(("Attempt", "Decoder", "ScanReport", "ScanResult", "Variant"), "results"),
        "available_decoders": "decoders",
        **dict.fromkeys(("DEFAULT_DECODERS", "scan", "scan_one", "scan_report"), "scanning"),
    }
)


def __getattr__(name: str) -> object:
    """Load a scanning name's module on first use (PEP 562); later lookups find it bound."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
