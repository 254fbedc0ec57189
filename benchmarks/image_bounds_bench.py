"""Image bounds benchmark: extra peak memory and wall time of ``Verifier.verify_image``
for the worst image formats and modes at the size caps.

    .venv/bin/python benchmarks/image_bounds_bench.py [--only NAME] [--sizes old,cap]
        [--child-pythonpath OLD_SRC]

Each case is built once (a genuine credential's QR code on a large canvas, encoded
in the format and mode under test), then verified in a fresh subprocess that first
loads every library and verifies a small image, so the figure is what the large
image adds: the rise of the process's peak resident set (``VmHWM`` in
``/proc/self/status``) and the wall time of one ``verify_image`` call. A case passes
when the image verifies or is refused with a typed error within the published bound
(``qr.IMAGE_RSS_BOUND`` extra bytes, ``qr.IMAGE_TIME_BOUND_S`` seconds).

Sizes: ``old`` is 8000x5000 (40 megapixels, the pixel cap before issue 9);
``cap`` is the largest 8:5 image the current limits accept for the case's decoded
mode and format (``qr.max_pixels_for``; bisected for JPEG). Not a test: nothing here asserts (the memory bound is also
asserted by ``tests/test_qr.py``); timing depends on the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from qrseal import qr
from qrseal.errors import QrsealError, TooLarge
from qrseal.testing import FIXED_NOW, make_issuer, sample_licence

_CHILD = r"""
import json, sys, time
from qrseal import QrsealError
from qrseal.qr import render_png
from qrseal.testing import FIXED_NOW, make_issuer, make_verifier, sample_licence

def hwm():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")

verifier = make_verifier()
warm = render_png(make_issuer().issue(sample_licence(0), now=FIXED_NOW), scale=4)
verifier.verify_image(warm, now=FIXED_NOW)
with open(sys.argv[1], "rb") as f:
    data = f.read()
base = hwm()
t0 = time.perf_counter()
try:
    verifier.verify_image(data, now=FIXED_NOW)
    outcome = "verified"
except QrsealError as exc:
    outcome = exc.reason.value
seconds = time.perf_counter() - t0
print(json.dumps({"extra": hwm() - base, "seconds": seconds, "outcome": outcome}))
"""


def _canvas(width: int, height: int, text: str) -> Image.Image:
    """A white "L" canvas with the credential's code large enough to survive downscaling."""
    longest = max(width, height)
    scale = max(3, math.ceil(longest / qr.SCAN_MAX_SIDE) * 3)
    code = qr.render_image(text, scale=min(scale, qr.MAX_SCALE)).convert("L")
    canvas = Image.new("L", (width, height), 255)
    canvas.paste(
        code, (min(width - code.width, width // 7), min(height - code.height, height // 9))
    )
    return canvas


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _palette_alpha(c: Image.Image) -> bytes:
    p = c.convert("P")
    return _save(p, "PNG", transparency=p.getpixel((0, 0)))


def _rgba(c: Image.Image) -> bytes:
    rgba = Image.new("RGBA", c.size, (0, 0, 0, 0))
    rgba.putalpha(c.point(lambda v: 255 - v))
    return _save(rgba, "PNG")


def _sixteen(c: Image.Image) -> bytes:
    return _save(c.point(lambda v: v * 200 + 1000, "I").convert("I;16"), "PNG")


def _cmyk_jpeg(c: Image.Image) -> bytes:
    return _save(c.convert("RGB").convert("CMYK"), "JPEG", quality=90)


def _progressive(c: Image.Image) -> bytes:
    return _save(c.convert("RGB"), "JPEG", quality=90, progressive=True)


def _exif_jpeg(c: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(c.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90, exif=exif)


def _ztxt_bomb(c: Image.Image) -> bytes:
    """A small grey PNG with 70 zTXt chunks of 1 KB, each inflating to 1 MB."""
    png = _save(c.resize((c.width // 8, c.height // 8)), "PNG")
    bomb = zlib.compress(b"a" * 1_000_000, 9)
    chunks = b"".join(
        struct.pack(">I", len(body))
        + b"zTXt"
        + body
        + struct.pack(">I", zlib.crc32(b"zTXt" + body))
        for body in (b"k%d\x00\x00" % i + bomb for i in range(70))
    )
    return png[:33] + chunks + png[33:]


def _gif_frames(c: Image.Image) -> bytes:
    frames = [c.convert("P")] + [Image.new("P", c.size, i % 2) for i in range(1, 40)]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:])


CASES: dict[str, tuple[str, str, Callable[[Image.Image], bytes]]] = {
    # name: (decoded mode, format, builder)
    "png-1bit": ("1", "PNG", lambda c: _save(c.convert("1"), "PNG")),
    "png-grey": ("L", "PNG", lambda c: _save(c, "PNG")),
    "png-palette-alpha": ("P", "PNG", _palette_alpha),
    "png-rgba": ("RGBA", "PNG", _rgba),
    "png-16bit": ("I;16", "PNG", _sixteen),
    "png-rgb": ("RGB", "PNG", lambda c: _save(c.convert("RGB"), "PNG")),
    "tiff-i32": ("I", "TIFF", lambda c: _save(c.convert("I"), "TIFF", compression="tiff_deflate")),
    "tiff-float": (
        "F",
        "TIFF",
        lambda c: _save(c.convert("F"), "TIFF", compression="tiff_deflate"),
    ),
    "tiff-cmyk": (
        "CMYK",
        "TIFF",
        lambda c: _save(c.convert("CMYK"), "TIFF", compression="tiff_deflate"),
    ),
    "webp-rgba": ("RGBA", "WEBP", lambda c: _save(c.convert("RGBA"), "WEBP", lossless=True)),
    "gif-40-frames": ("P", "GIF", _gif_frames),
    "bmp-8bit": ("P", "BMP", lambda c: _save(c.convert("P"), "BMP")),
    "png-ztxt-bomb": ("L", "PNG", _ztxt_bomb),
    "jpeg-cmyk": ("CMYK", "JPEG", _cmyk_jpeg),
    "jpeg-progressive": ("RGB", "JPEG", _progressive),
    "jpeg-exif-rotated": ("RGB", "JPEG", _exif_jpeg),
}


def _accepted(name: str, width: int, height: int, text: str) -> bool:
    """Whether ``qr.scan`` takes the case at this size (it refuses from the header)."""
    data = CASES[name][2](_canvas(width, height, text))
    try:
        qr.scan(data, budget_s=0)
    except TooLarge:
        return False
    except QrsealError:
        return True
    return True


def _dims(pixels: int) -> tuple[int, int]:
    width = math.isqrt(pixels * 8 // 5)
    return width, pixels // width


def _size(name: str, which: str, text: str) -> tuple[int, int]:
    """8000x5000 (``old``), or the largest 8:5 size the current caps accept (``cap``)."""
    if which == "old":
        return 8000, 5000
    mode, fmt, _ = CASES[name]
    if fmt != "JPEG":
        return _dims(qr.max_pixels_for(mode, fmt))
    low, high = 1 << 16, qr.MAX_PIXELS  # JPEG: bisect, the cost depends on sampling
    while high - low > high // 100:
        middle = (low + high) // 2
        low, high = (middle, high) if _accepted(name, *_dims(middle), text) else (low, middle)
    return _dims(low)


def _run(path: Path, child_path: str | None) -> dict[str, object]:
    env = dict(os.environ)
    if child_path is not None:
        env["PYTHONPATH"] = child_path
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        return {"extra": -1, "seconds": -1.0, "outcome": "CRASH " + done.stderr.strip()[-200:]}
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only cases whose name contains this")
    parser.add_argument("--sizes", default="old,cap", help="comma list of: old, cap")
    parser.add_argument(
        "--child-pythonpath",
        help="PYTHONPATH of the measured process (e.g. an older src/ for a before/after table)",
    )
    args = parser.parse_args(argv)
    text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
    rss_bound, time_bound = qr.IMAGE_RSS_BOUND, qr.IMAGE_TIME_BOUND_S
    print(f"bound: +{rss_bound / 2**20:.0f} MiB peak RSS, {time_bound:.1f} s per verify_image")
    header = f"{'case':<20} {'size':>11} {'file':>9} {'extra RSS':>10} {'time':>7}  outcome"
    print(f"{header}  result")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for which in args.sizes.split(","):
            for name, (_, _, build) in CASES.items():
                if args.only and args.only not in name:
                    continue
                width, height = _size(name, which, text)
                data = build(_canvas(width, height, text))
                path = Path(tmp) / f"{name}-{which}"
                path.write_bytes(data)
                r = _run(path, args.child_pythonpath)
                extra, seconds = int(str(r["extra"])), float(str(r["seconds"]))
                ok = 0 <= extra <= rss_bound and 0 <= seconds <= time_bound
                failures += not ok
                print(
                    f"{name:<20} {f'{width}x{height}':>11} {len(data) / 1024:>7.0f}KB "
                    f"{extra / 2**20:>7.1f}MiB {seconds:>6.2f}s  {str(r['outcome'])[:40]:<18}"
                    f"  {'pass' if ok else 'FAIL'}",
                    flush=True,
                )
    print(f"{failures} case(s) over the bound")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
