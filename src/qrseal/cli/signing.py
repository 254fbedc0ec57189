"""The signing-key options every signing command shares (``issue``, ``trust sign``,
``status publish``, ``batch issue``): a PEM file (``--key``, ``--password-env``) or a key in a
PKCS#11 token (``--pkcs11 URI``, the PIN from ``--pin-env`` or a prompt, never the command
line). Internal.

The token is named by an RFC 7512 PKCS#11 URI, e.g.
``pkcs11:token=issuer-hsm;object=dl-2026?module-path=/usr/lib/softhsm/libsofthsm2.so``:
``token`` and ``object`` (the key label) or ``id`` (its ``CKA_ID``, percent-encoded) in the
path, ``module-path`` in the query. A ``pin-value`` is refused: a PIN in argv is visible to
every user of the machine.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote_to_bytes

from ..wire.keys import LocalSigner, PrivateKey, Signer
from .args import UsageError
from .files import FileKind, add_file_argument
from .keyfiles import private_key_file

if TYPE_CHECKING:
    from ..wire.pkcs11 import TokenKey

__all__ = [
    "DEFAULT_PIN_ENV",
    "Pkcs11Uri",
    "add_pin_option",
    "add_signer_options",
    "open_signer_of",
    "parse_pkcs11_uri",
    "pin_of",
    "signing_source_of",
    "token_key_of",
]

#: The environment variable ``--pin-env`` names by default.
DEFAULT_PIN_ENV: Final = "QRSEAL_PKCS11_PIN"
_PATH_ATTRS: Final = frozenset({"token", "object", "id", "type", "manufacturer", "model", "serial"})
_QUERY_ATTRS: Final = frozenset({"module-path"})


@dataclass(frozen=True, slots=True)
class Pkcs11Uri:
    """The parts of a PKCS#11 URI the CLI uses (no PIN: that comes from elsewhere)."""

    module: str
    token: str
    label: str | None
    key_id: bytes | None


def _attributes(part: str, separator: str, allowed: frozenset[str], uri: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in filter(None, part.split(separator)):
        name, sep, value = item.partition("=")
        if not sep or name in found:
            raise argparse.ArgumentTypeError(f"bad or repeated attribute {name!r} in {uri!r}")
        if name.startswith("pin-"):
            raise argparse.ArgumentTypeError(
                "a PIN never goes on the command line: use --pin-env or the prompt"
            )
        if name not in allowed:
            raise argparse.ArgumentTypeError(f"unsupported PKCS#11 URI attribute {name!r}")
        found[name] = value
    return found


def parse_pkcs11_uri(value: str) -> Pkcs11Uri:
    """An RFC 7512 URI naming a token, a key (``object`` label or ``id``) and the module."""
    scheme, _, rest = value.partition(":")
    if scheme != "pkcs11":
        raise argparse.ArgumentTypeError(f"not a pkcs11: URI: {value!r}")
    path, _, query = rest.partition("?")
    attrs = _attributes(path, ";", _PATH_ATTRS, value)  # RFC 7512: path attributes by ";"
    attrs.update(_attributes(query, "&", _QUERY_ATTRS, value))  # query attributes by "&"
    if attrs.get("type", "private") != "private":
        raise argparse.ArgumentTypeError("the URI must name the private key (type=private)")
    try:
        text = {
            name: unquote_to_bytes(v).decode("utf-8") for name, v in attrs.items() if name != "id"
        }
    except UnicodeDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not UTF-8 after percent-decoding: {value!r}") from exc
    if "module-path" not in text or "token" not in text:
        raise argparse.ArgumentTypeError("the URI needs token=... and ?module-path=...")
    key_id = unquote_to_bytes(attrs["id"]) if "id" in attrs else None
    if "object" not in text and key_id is None:
        raise argparse.ArgumentTypeError("the URI needs the key's object=LABEL or id=...")
    return Pkcs11Uri(text["module-path"], text["token"], text.get("object"), key_id)


def add_signer_options(
    parser: argparse.ArgumentParser, *, key_help: str, key_noun: str = "key"
) -> None:
    """``--key PEM`` or ``--pkcs11 URI`` (one of them required), ``--password-env`` for the
    PEM and ``--pin-env`` for the token."""
    group = parser.add_mutually_exclusive_group(required=True)
    add_file_argument(group, "--key", kind=FileKind.INPUT, what=key_help)
    group.add_argument(
        "--pkcs11",
        type=parse_pkcs11_uri,
        metavar="URI",
        help="sign with a key in a PKCS#11 token: "
        "'pkcs11:token=T;object=LABEL?module-path=/path/to/module.so' (RFC 7512)",
    )
    parser.add_argument("--password-env", help=f"env variable holding the {key_noun}'s password")
    add_pin_option(parser)


def add_pin_option(parser: argparse.ArgumentParser) -> None:
    """``--pin-env NAME``: where the token PIN is read from (else a prompt)."""
    parser.add_argument(
        "--pin-env",
        default=DEFAULT_PIN_ENV,
        metavar="NAME",
        help=f"env variable holding the token PIN (default {DEFAULT_PIN_ENV}); "
        "without it the PIN is asked for on the terminal",
    )


def pin_of(args: argparse.Namespace) -> str:
    """The token PIN: the variable ``--pin-env`` names, else a terminal prompt."""
    name: str = getattr(args, "pin_env", None) or DEFAULT_PIN_ENV
    pin = os.environ.get(name)
    if pin is not None:
        return pin
    if not sys.stdin.isatty():
        raise UsageError(f"set {name} to the token PIN (there is no terminal to ask on)")
    return getpass.getpass("token PIN: ")


def token_key_of(args: argparse.Namespace) -> TokenKey | None:
    """The ``--pkcs11`` key with its PIN, or None when the key is a PEM file."""
    uri: Pkcs11Uri | None = getattr(args, "pkcs11", None)
    if uri is None:
        return None
    from ..wire.pkcs11 import TokenKey  # loads only when asked

    return TokenKey(uri.module, uri.token, pin_of(args), label=uri.label, key_id=uri.key_id)


def signing_source_of(args: argparse.Namespace) -> TokenKey | PrivateKey:
    """What signs, as a value a worker process can receive: the ``TokenKey`` or the
    private key loaded from its PEM."""
    token_key = token_key_of(args)
    if token_key is not None:
        return token_key
    return private_key_file(args.key, args, option="--key")


@contextmanager
def open_signer_of(args: argparse.Namespace) -> Iterator[Signer]:
    """The signer the options name, open for the ``with`` block (a token session ends
    with it)."""
    token_key = token_key_of(args)
    if token_key is None:
        yield LocalSigner(private_key_file(args.key, args, option="--key"))
        return
    with token_key.open() as signer:
        yield signer
