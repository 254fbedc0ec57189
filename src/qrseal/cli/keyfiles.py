"""Key files named on the command line, loaded with a plain message when a file holds the
wrong kind of key (a private key where a public key belongs, and the reverse). Internal."""

from __future__ import annotations

import argparse
import os

from ..errors import QrsealError
from ..wire.algorithms import PrivateKey, PublicKey
from ..wire.keys import load_private_key_pem, load_public_key_pem
from .args import UsageError, password_of
from .files import read_input

__all__ = ["private_key_file", "public_key_file"]

_MAX_KEY_BYTES = 64 * 1024


def public_key_file(
    path: str | os.PathLike[str], *, option: str, shown: str | None = None
) -> PublicKey:
    """The public key in the PEM file at ``path``; ``UsageError`` (exit 2) naming ``option``
    (or ``shown``, the argument as typed) when the file cannot be read, holds a private key,
    or holds no usable public key."""
    name = shown or f"{option} {os.fspath(path)}"
    data = read_input(path, what=f"{option} key file", max_bytes=_MAX_KEY_BYTES)
    if b"PRIVATE KEY-----" in data:
        raise UsageError(
            f"{name} holds a PRIVATE key; give the PUBLIC key here "
            f"(make it with: qrseal pub {os.fspath(path)} --out KEY.pub.pem)"
        )
    try:
        return load_public_key_pem(data)
    except QrsealError as exc:
        raise UsageError(
            f"{name} is not a public key PEM file ({exc.message})",
            reason=exc.reason,
        ) from exc


def private_key_file(
    path: str | os.PathLike[str], args: argparse.Namespace, *, option: str
) -> PrivateKey:
    """The private key in the PEM file at ``path``, decrypted with ``--password-env`` when
    given; ``UsageError`` (exit 2) naming ``option`` when it cannot be loaded."""
    data = read_input(path, what=f"{option} key file", max_bytes=_MAX_KEY_BYTES)
    if b"PRIVATE KEY-----" not in data and b"PUBLIC KEY-----" in data:
        raise UsageError(
            f"{option} {os.fspath(path)} holds a PUBLIC key; this needs the PRIVATE key"
        )
    password = password_of(args)
    encrypted = b"ENCRYPTED PRIVATE KEY-----" in data
    if encrypted and password is None:
        raise UsageError(
            f"{option} {os.fspath(path)} is encrypted: name the environment variable that "
            "holds its password with --password-env"
        )
    if password is not None and not encrypted and b"PRIVATE KEY-----" in data:
        raise UsageError(f"{option} {os.fspath(path)} is not encrypted: leave out --password-env")
    try:
        return load_private_key_pem(data, password)
    except QrsealError as exc:
        hint = " or the password is wrong" if encrypted else ""
        raise UsageError(
            f"{option} {os.fspath(path)} is not a usable private key PEM file{hint} "
            f"({exc.message})",
            reason=exc.reason,
        ) from exc
