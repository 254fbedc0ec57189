"""The QR decoders ``scan`` drives: zxing-cpp, and zbar through ``pyzbar`` (optional at
run time: without libzbar it is skipped). Each reads one greyscale image; whatever its
binding raises is caught here and reported, never passed on."""

from __future__ import annotations

import ctypes
import functools
import importlib
from collections.abc import Callable, Sequence
from types import MappingProxyType, ModuleType
from typing import Final, NamedTuple

import zxingcpp
from PIL import Image

from .results import Decoder, ScanResult, Variant

__all__ = ["Decoded", "Quad", "available_decoders", "decode", "missing_reason"]

#: Four (x, y) corners of a symbol in the decoded image's pixels: top left, top right,
#: bottom right, bottom left.
Quad = tuple[tuple[float, float], ...]


@functools.cache
def _load_pyzbar() -> ModuleType | None:
    """``pyzbar.pyzbar``, or None without libzbar (cached: a failed import shells out)."""
    try:
        return importlib.import_module("pyzbar.pyzbar")
    except (ImportError, OSError):
        return None


def available_decoders() -> tuple[Decoder, ...]:
    """The decoders usable on this machine, in default order."""
    return tuple(d for d in (Decoder.ZXING, Decoder.ZBAR) if missing_reason(d) is None)


def missing_reason(decoder: Decoder) -> str | None:
    """Why ``decoder`` cannot run here, or None when it can."""
    if decoder is Decoder.ZBAR and _load_pyzbar() is None:
        return "pyzbar or the zbar shared library (libzbar0) is not installed"
    return None


def _result(
    data: bytes,
    decoder: Decoder,
    variant: Variant,
    xs: Sequence[float],
    ys: Sequence[float],
    factor: float,
    *,
    structured: bool = False,
) -> list[ScanResult]:
    """One result with its bounding box scaled back to input pixels; none if not UTF-8
    (unless part of a Structured Append sequence, which is always reported)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if not structured:
            return []
        text = data.decode("utf-8", "replace")
    left, top, right, bottom = (round(v * factor) for v in (min(xs), min(ys), max(xs), max(ys)))
    box = (left, top, right - left, bottom - top)
    return [ScanResult(text, decoder, box, variant, structured_append=structured)]


class _DecoderFailed(Exception):
    """A decoder's binding raised on one image: translated here, recorded in the report."""

    def __init__(self, decoder: Decoder, cause: BaseException) -> None:
        super().__init__(f"{decoder.value}: {type(cause).__name__}")
        self.error = type(cause).__name__


# zbar's four-character code for 8-bit greyscale pixels ("Y800").
_ZBAR_Y800: Final = 0x30303859
# What the ctypes calls into libzbar can raise besides crashing: bad arguments, an
# allocation failure reported as a null pointer, a failed library symbol lookup.
_ZBAR_ERRORS: Final = (ctypes.ArgumentError, ValueError, OSError, AttributeError)


@functools.cache
def _zbar_components() -> Callable[[object], object] | None:
    """libzbar's ``zbar_symbol_get_components`` (non-null for a symbol assembled from a
    Structured Append sequence), bound through ``pyzbar.wrapper``; None if unavailable."""
    try:
        wrapper = importlib.import_module("pyzbar.wrapper")
        function: Callable[[object], object] = wrapper.zbar_function(
            "zbar_symbol_get_components", ctypes.c_void_p, ctypes.POINTER(wrapper.zbar_symbol)
        )
    except (ImportError, *_ZBAR_ERRORS):
        return None
    return function


def _zbar_symbols(image: Image.Image) -> list[tuple[bytes, list[int], list[int], bool]]:
    """(data, xs, ys, structured append) of each QR symbol zbar finds in ``image`` ("L").

    Calls libzbar through ``pyzbar.wrapper`` instead of ``pyzbar.decode``, which raises
    ``ValueError`` on the orientation zbar reports for Structured Append symbols (-1).
    """
    w = importlib.import_module("pyzbar.wrapper")  # loaded with pyzbar.pyzbar
    components = _zbar_components()
    pixels = image.tobytes()
    found = []
    scanner = w.zbar_image_scanner_create()
    if not scanner:
        raise OSError("zbar could not allocate a scanner")
    try:
        w.zbar_image_scanner_set_config(scanner, 0, w.ZBarConfig.CFG_ENABLE, 0)  # 0: all
        w.zbar_image_scanner_set_config(scanner, w.ZBarSymbol.QRCODE, w.ZBarConfig.CFG_ENABLE, 1)
        zimage = w.zbar_image_create()
        if not zimage:
            raise OSError("zbar could not allocate an image")
        try:
            w.zbar_image_set_format(zimage, _ZBAR_Y800)
            w.zbar_image_set_size(zimage, image.width, image.height)
            w.zbar_image_set_data(zimage, pixels, len(pixels), None)  # pixels outlive the scan
            if w.zbar_scan_image(scanner, zimage) < 0:
                raise OSError("zbar refused the image format")
            symbol = w.zbar_image_first_symbol(zimage)
            while symbol:
                data = ctypes.string_at(
                    w.zbar_symbol_get_data(symbol), w.zbar_symbol_get_data_length(symbol)
                )
                points = range(w.zbar_symbol_get_loc_size(symbol))
                xs = [w.zbar_symbol_get_loc_x(symbol, i) for i in points]
                ys = [w.zbar_symbol_get_loc_y(symbol, i) for i in points]
                structured = components is not None and bool(components(symbol))
                found.append((data, xs or [0], ys or [0], structured))
                symbol = w.zbar_symbol_next(symbol)
        finally:
            w.zbar_image_destroy(zimage)
    finally:
        w.zbar_image_scanner_destroy(scanner)
    return found


def _scan_zbar(
    image: Image.Image, variant: Variant, factor: float
) -> tuple[list[ScanResult], list[Quad]]:
    if _load_pyzbar() is None:
        return [], []
    try:
        symbols = _zbar_symbols(image)
    except _ZBAR_ERRORS as exc:
        # zbar could not run on this image (allocation, binding): no result, so the next
        # attempt gets its turn; the report names the error.
        raise _DecoderFailed(Decoder.ZBAR, exc) from exc
    found = []
    for data, xs, ys, structured in symbols:
        found += _result(data, Decoder.ZBAR, variant, xs, ys, factor, structured=structured)
    return found, []


# Only QR Code model 2, what qrcode renders and zbar reads. zxing's "QRCode" is the whole
# family: with Micro QR included it read a 6-digit Micro QR (M1: error detection only)
# out of thresholded photo noise on the corpus.
_ZXING_QR: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2)
_QR_FAMILY: Final = frozenset({zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.QRCodeModel2})
# Variants read with zxing's global-histogram binariser instead of its default local
# average: on the corpus it reads many codes the default misses, for about 1 ms.
_ZXING_GLOBAL: Final = frozenset({Variant.GLOBAL, Variant.HALF, Variant.DOUBLE})


def _scan_zxing(
    image: Image.Image, variant: Variant, factor: float
) -> tuple[list[ScanResult], list[Quad]]:
    """What zxing reads, and the corners of each QR symbol it located but could not
    decode (``return_errors``: the resampling stage's starting point)."""
    view = memoryview(image.tobytes()).cast("B", (image.height, image.width))
    binarizer = (
        zxingcpp.Binarizer.GlobalHistogram
        if variant in _ZXING_GLOBAL
        else zxingcpp.Binarizer.LocalAverage
    )
    try:
        barcodes = zxingcpp.read_barcodes(
            view, formats=_ZXING_QR, binarizer=binarizer, return_errors=True
        )
    except (ValueError, RuntimeError, TypeError) as exc:  # what its bindings raise
        raise _DecoderFailed(Decoder.ZXING, exc) from exc
    found: list[ScanResult] = []
    located: list[Quad] = []
    for barcode in barcodes:
        p = barcode.position
        corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        if not barcode.valid:
            if barcode.format in _QR_FAMILY:  # zxing names an undecoded symbol's family
                # pixel indices -> continuous coordinates of the pixel centres
                located.append(tuple((c.x + 0.5, c.y + 0.5) for c in corners))
            continue
        xs, ys = [c.x for c in corners], [c.y for c in corners]
        found += _result(barcode.bytes, Decoder.ZXING, variant, xs, ys, factor)
    return found, located


_DECODE: Final = MappingProxyType({Decoder.ZBAR: _scan_zbar, Decoder.ZXING: _scan_zxing})


class Decoded(NamedTuple):
    """One decoder's attempt on one image."""

    #: the codes read (UTF-8 only)
    found: list[ScanResult]
    #: the error the binding raised (then nothing is read), else None
    error: str | None
    #: corners (in ``image`` pixels) of QR symbols located but not decoded
    located: list[Quad]


def decode(decoder: Decoder, image: Image.Image, variant: Variant, factor: float) -> Decoded:
    """What ``decoder`` reads in ``image``, the error its binding raised (then nothing
    is read and the next attempt gets its turn), and the symbols it located but could
    not decode."""
    try:
        found, located = _DECODE[decoder](image, variant, factor)
    except _DecoderFailed as failed:
        return Decoded([], failed.error, [])
    return Decoded(found, None, located)
