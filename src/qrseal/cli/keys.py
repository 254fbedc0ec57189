"""``qrseal keygen`` and ``qrseal device-keygen``: key pairs written as PEM files."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from ..holder import generate_device_key
from ..wire.keys import generate_private_key, kid_for, private_key_to_pem, public_key_to_pem
from .args import ALGS, DEVICE_ALGS, password_of

__all__ = ["run_device_keygen", "run_keygen"]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def run_keygen(args: argparse.Namespace, out: TextIO) -> int:
    """An issuer key pair: the private key (mode 0600) and its public key."""
    key = generate_private_key(ALGS[args.alg])
    private_path = Path(args.out)
    public_path = Path(args.pub) if args.pub else private_path.with_suffix(".pub.pem")
    _write_private(private_path, private_key_to_pem(key, password_of(args)))
    public_path.write_bytes(public_key_to_pem(key))
    print(f"private key: {private_path} (keep secret)", file=out)
    print(f"public key:  {public_path}", file=out)
    print(f"kid:         {kid_for(key).hex()}  algorithm: {args.alg}", file=out)
    return 0


def run_device_keygen(args: argparse.Namespace, out: TextIO) -> int:
    """A holder device key pair, for device-bound credentials and live codes."""
    key = generate_device_key(DEVICE_ALGS[args.alg])
    private_path = Path(args.out)
    public_path = Path(args.pub) if args.pub else private_path.with_suffix(".pub.pem")
    _write_private(private_path, private_key_to_pem(key, password_of(args)))
    public_path.write_bytes(public_key_to_pem(key))
    print(f"device private key: {private_path} (stays on the device)", file=out)
    print(
        f"device public key:  {public_path} (give it to the issuer: issue --holder-key)", file=out
    )
    print(f"algorithm:          {args.alg}", file=out)
    return 0
