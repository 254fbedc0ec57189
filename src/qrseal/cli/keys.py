"""``qrseal keygen``, ``device-keygen`` and ``pub``: key pairs written as PEM files, and the
public key of a private key file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..holder import generate_device_key
from ..wire.algorithms import PrivateKey
from ..wire.keys import generate_private_key, kid_for, private_key_to_pem, public_key_to_pem
from .args import ALGS, DEVICE_ALGS, UsageError, password_of
from .files import STDIO, refuse_existing, write_output
from .keyfiles import private_key_file
from .signing import pin_of

__all__ = ["run_device_keygen", "run_keygen", "run_pub"]


def _write_pair(args: argparse.Namespace, key: PrivateKey, out: TextIO) -> tuple[str, str]:
    """Write the private key (owner-only) and its public key; refuse to replace either
    without ``--force``, before anything is written."""
    private_path = str(args.out)
    if private_path == STDIO:
        raise UsageError("--out: a private key is secret; give a file name, not '-'")
    public_path = args.pub or str(Path(private_path).with_suffix(".pub.pem"))
    if public_path == private_path:
        raise UsageError("--pub must name another file than --out")
    password = password_of(args)
    refuse_existing(private_path, what="private key", force=args.force)
    refuse_existing(public_path, what="public key", force=args.force)
    write_output(private_path, private_key_to_pem(key, password), what="private key", private=True)
    write_output(public_path, public_key_to_pem(key).decode("ascii"), what="public key", out=out)
    return private_path, public_path


def run_keygen(args: argparse.Namespace, out: TextIO) -> int:
    """An issuer key pair: the private key (mode 0600) and its public key; or, with
    ``--pkcs11``, a key pair generated inside the token and its public key."""
    if args.pkcs11 is not None:
        return _token_keygen(args, out)
    key = generate_private_key(ALGS[args.alg])
    private_path, public_path = _write_pair(args, key, out)
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
    private_path, public_path = _write_pair(args, key, out)
    print(f"device private key: {private_path} (stays on the device)", file=out)
    print(
        f"device public key:  {public_path} (give it to the issuer: issue --holder-key)", file=out
    )
    print(f"algorithm:          {args.alg}", file=out)
    return 0


def run_pub(args: argparse.Namespace, out: TextIO) -> int:
    """The public key PEM of a private key file, on standard output or in ``--out``."""
    key = private_key_file(args.key, args, option="KEY")
    refuse_existing(args.out, what="public key", force=args.force)
    write_output(args.out, public_key_to_pem(key).decode("ascii"), what="public key", out=out)
    return 0
