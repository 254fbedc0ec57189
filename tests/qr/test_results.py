"""Tests for qrseal.qr.results: the values a scan returns."""

from __future__ import annotations

import pytest
from PIL import Image

from qrseal import qr
from qrseal.errors import (
    NoQrFound,
)
from qrseal.qr import Decoder, ScanResult, Variant


def test_scan_result_is_frozen() -> None:
    """ScanResult is immutable."""
    result = ScanResult("DL1:X", Decoder.ZXING, None)
    with pytest.raises(AttributeError):
        result.text = "other"  # type: ignore[misc]


def test_scan_result_keeps_its_three_field_constructor() -> None:
    """ScanResult(text, decoder, position) still works; the variant defaults to ORIGINAL."""
    assert ScanResult("DL1:X", Decoder.ZXING, None).variant is Variant.ORIGINAL


def test_require_results_raises_no_qr_found() -> None:
    """An empty report raises NoQrFound when results are required."""
    with pytest.raises(NoQrFound):
        qr.scan_report(Image.new("L", (320, 240), 255), budget_s=0).require_results()
