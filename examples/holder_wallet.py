"""Holder wallet: keep a device-bound credential and its device key, show a refreshing live code.

    python examples/holder_wallet.py init WALLET                  # make the device key pair
    python examples/holder_wallet.py store WALLET credential.txt  # keep what the issuer sent
    python examples/holder_wallet.py show WALLET [--interval 30] [--frames N] [--png code.png]

``init`` writes ``WALLET/device.key`` (private, mode 0600) and ``WALLET/device.pub.pem``, the
public half to give the issuer (``qrseal issue --holder-key WALLET/device.pub.pem``). On a
phone the private key would live in the secure element and never be exported; anything with
``algorithm``, ``public_key`` and ``sign`` can stand in for it (``qrseal.DeviceSigner``).

``store`` checks that the credential is bound to this device's key before keeping it.

``show`` draws the live code (亮码) in the terminal with the time it was generated, and replaces
it with a fresh one every ``--interval`` seconds until Ctrl-C (or ``--frames`` codes). A
verifier accepts each code for about a minute, so a screenshot sent to someone else is
useless by the time it arrives. ``--png`` also writes the current code as an image. With
``--now`` the clock is simulated (frames ``--interval`` apart, no waiting): for demos and tests.

Exit codes: 0 ok, 1 a qrseal error (its reason is printed), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qrseal import (
    Algorithm,
    Holder,
    QrsealError,
    generate_device_key,
    load_private_key_pem,
    render_png,
)
from qrseal.qr import render_terminal
from qrseal.wire.keys import private_key_to_pem, public_key_to_pem

DEVICE_KEY = "device.key"
DEVICE_PUB = "device.pub.pem"
CREDENTIAL = "credential.txt"


def init(wallet: Path, alg: str) -> int:
    wallet.mkdir(parents=True, exist_ok=True)
    key = generate_device_key(Algorithm.EDDSA if alg == "EdDSA" else Algorithm.ES256)
    fd = os.open(wallet / DEVICE_KEY, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_key_to_pem(key))
    (wallet / DEVICE_PUB).write_bytes(public_key_to_pem(key))
    print(f"device key created; give {wallet / DEVICE_PUB} to the issuer")
    return 0


def open_wallet(wallet: Path, credential: str | None = None) -> Holder:
    key = load_private_key_pem((wallet / DEVICE_KEY).read_bytes())
    text = credential if credential is not None else (wallet / CREDENTIAL).read_text("ascii")
    return Holder(text.strip(), device_signer=key)  # checks the credential names this device key


def store(wallet: Path, credential_file: Path) -> int:
    text = credential_file.read_text("ascii").strip()
    holder = open_wallet(wallet, text)
    (wallet / CREDENTIAL).write_text(text + "\n", encoding="ascii")
    print(f"credential stored; valid until {holder.expires_at:%Y-%m-%d %H:%M}Z")
    return 0


def show(
    wallet: Path, *, interval: int, frames: int | None, png: Path | None, now: datetime | None
) -> int:
    holder = open_wallet(wallet)
    frame = 0
    try:
        while frames is None or frame < frames:
            moment = now + timedelta(seconds=frame * interval) if now else datetime.now(UTC)
            code = holder.present(now=moment)
            if png is not None:
                png.write_bytes(render_png(code))
            if sys.stdout.isatty():
                print("\x1b[H\x1b[2J", end="")  # redraw in place
            print(render_terminal(code), end="")
            print(f"电子驾驶证 亮码  generated {moment:%H:%M:%S}Z  (refreshes every {interval} s)")
            left = holder.expires_at - moment
            if left < timedelta(hours=12):
                print(f"credential expires in {left}: connect to refresh it")
            sys.stdout.flush()
            frame += 1
            if now is None and (frames is None or frame < frames):
                time.sleep(interval)
    except KeyboardInterrupt:
        print("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="create the device key pair")
    p.add_argument("wallet", type=Path)
    p.add_argument("--alg", choices=["ES256", "EdDSA"], default="ES256")
    p = sub.add_parser("store", help="keep a credential bound to this device")
    p.add_argument("wallet", type=Path)
    p.add_argument("credential", type=Path)
    p = sub.add_parser("show", help="show a refreshing live code")
    p.add_argument("wallet", type=Path)
    p.add_argument("--interval", type=int, default=30, help="seconds between codes (default 30)")
    p.add_argument("--frames", type=int, help="stop after this many codes")
    p.add_argument("--png", type=Path, help="also write the current code as PNG")
    p.add_argument("--now", help="simulated start time, ISO 8601 with zone")
    args = parser.parse_args(argv)

    try:
        if args.command == "init":
            return init(args.wallet, args.alg)
        if args.command == "store":
            return store(args.wallet, args.credential)
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else None
        if args.interval <= 0 or (now is not None and args.frames is None):
            parser.error("--interval must be positive; with --now give --frames")
        return show(args.wallet, interval=args.interval, frames=args.frames, png=args.png, now=now)
    except QrsealError as exc:
        print(f"wallet: {exc.reason.value}: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"wallet: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
