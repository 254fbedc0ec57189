"""``qrseal keygen`` and ``qrseal device-keygen``: key pairs written as PEM files."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from ..holder import generate_device_key
from ..wire.keys import generate_private_key, kid_for, private_key_to_pem, public_key_to_pem
from .args import ALGS, DEVICE_ALGS, UsageError, password_of
from .signing import pin_of

__all__ = ["run_device_keygen", "run_keygen"]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def run_keygen(args: argparse.Namespace, out: TextIO) -> int:
    """An issuer key pair: the private key (mode 0600) and its public key; or, with
    ``--pkcs11``, a key pair generated inside the token and its public key."""
    if args.pkcs11 is not None:
        return _token_keygen(args, out)
    key = generate_private_key(ALGS[args.alg])
    private_path = Path(args.out)
    public_path = Path(args.pub) if args.pub else private_path.with_suffix(".pub.pem")
    _write_private(private_path, private_key_to_pem(key, password_of(args)))
    public_path.write_bytes(public_key_to_pem(key))
    print(f"private key: {private_path} (keep secret)", file=out)
    print(f"public key:  {public_path}", file=out)
    print(f"kid:         {kid_for(key).hex()}  algorithm: {args.alg}", file=out)
    return 0


def _token_keygen(args: argparse.Namespace, out: TextIO) -> int:
    from ..wire.pkcs11 import generate_token_key  # loads only when asked

    uri = args.pkcs11
    if args.pub is None:
        raise UsageError("keygen --pkcs11 needs --pub PUBLIC.pem to write the public key to")
    if uri.label is None:
        raise UsageError("keygen --pkcs11 needs the new key's label: object=LABEL in the URI")
    if args.password_env:
        raise UsageError("--password-env is for key files; a token key is guarded by its PIN")
    public = generate_token_key(
        uri.module, uri.token, pin_of(args), label=uri.label, alg=ALGS[args.alg]
    )
    Path(args.pub).write_bytes(public_key_to_pem(public))
    print(f"private key: in token {uri.token!r}, label {uri.label!r} (never leaves it)", file=out)
    print(f"public key:  {args.pub}", file=out)
    print(f"kid:         {kid_for(public).hex()}  algorithm: {args.alg}", file=out)
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
