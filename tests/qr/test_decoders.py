"""Tests for qrseal.qr.decoders: which decoders are available, and their bindings' errors
caught and reported."""

from __future__ import annotations

import functools
import sys

import pytest

from qrseal import qr
from qrseal.errors import (
    InvalidArgument,
    NoQrFound,
)
from qrseal.qr import Decoder, decoders

from .samples import (
    code,
    needs_zbar,
)


def test_zxing_is_always_available() -> None:
    """zxing-cpp is a hard dependency, so it is always listed."""
    assert Decoder.ZXING in qr.available_decoders()


def test_without_zbar_library_zxing_still_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """When importing pyzbar fails (no libzbar), scanning falls back to zxing."""
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", None)  # import now raises ImportError
    monkeypatch.setattr(
        decoders, "_load_pyzbar", functools.cache(decoders._load_pyzbar.__wrapped__)
    )
    assert qr.available_decoders() == (Decoder.ZXING,)
    (result,) = qr.scan(qr.render_png("DL1:NOZBAR", scale=3))
    assert (result.text, result.decoder) == ("DL1:NOZBAR", Decoder.ZXING)
    with pytest.raises(InvalidArgument):
        qr.scan(qr.render_png("DL1:NOZBAR", scale=3), decoders=(Decoder.ZBAR,))


@pytest.mark.parametrize(
    ("decoder", "target", "error"),
    [
        (Decoder.ZXING, "zxingcpp.read_barcodes", RuntimeError),
        pytest.param(Decoder.ZBAR, "_zbar_symbols", ValueError, marks=needs_zbar),
        pytest.param(Decoder.ZBAR, "_zbar_symbols", OSError, marks=needs_zbar),
    ],
)
def test_decoder_binding_errors_are_translated(
    monkeypatch: pytest.MonkeyPatch, decoder: Decoder, target: str, error: type[Exception]
) -> None:
    """Issue 9 item 8: whatever a decoder's binding raises is caught where it is called,
    recorded on the attempt, and the scan ends typed (NoQrFound), never untyped."""

    def fail(*args: object, **kwargs: object) -> object:
        raise error("binding failed")

    monkeypatch.setattr(f"qrseal.qr.decoders.{target}", fail)
    image = code("DL1:FAIL", 3)
    report = qr.scan_report(image, decoders=(decoder,), budget_s=0)
    assert [a.error for a in report.attempts] == [error.__name__]
    with pytest.raises(NoQrFound):
        qr.scan(image, decoders=(decoder,))


def test_missing_zbar_is_skipped_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libzbar, zxing alone scans and the report says why zbar was skipped."""
    monkeypatch.setattr(decoders, "_load_pyzbar", lambda: None)
    assert qr.available_decoders() == (Decoder.ZXING,)
    report = qr.scan_report(code("DL1:NOZBAR", 4), budget_s=0)
    assert [d for d, _ in report.skipped_decoders] == [Decoder.ZBAR]
    assert "zbar" in report.skipped_decoders[0][1]
    assert report.results[0].decoder is Decoder.ZXING
    with pytest.raises(InvalidArgument):
        qr.scan(code("DL1:NOZBAR", 4), decoders=(Decoder.ZBAR,))
