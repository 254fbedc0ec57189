"""The ``qrseal`` command: a thin shell over the public API. This module parses the
command line and hands each sub-command to the module that runs it, imported only then,
so a command loads what it needs: ``verify --file`` no image library, issuing or holding.

Exit codes: 0 success (``verify``: the credential is valid), 1 rejected or failed with a
reason code printed, 2 usage error. ``main(argv)`` runs in-process for tests.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import TextIO

from ..errors import QrsealError
from ..licence.profile import (
    DEFAULT_MAX_PRESENTATION_AGE,
    DEFAULT_MAX_PRESENTATION_SKEW,
    DEFAULT_REFRESH,
    MAX_VALIDITY,
)
from ..qr.render import DEFAULT_SCALE, TERMINAL_BORDER, Ecc, render_terminal
from .args import (
    ALGS,
    DEVICE_ALGS,
    STATUS_POLICIES,
    UsageError,
    add_now_option,
    parse_duration,
    parse_index,
    parse_nonce,
    parse_positive_int,
)
from .portrait import add_portrait_options
from .shown import add_shown_commands, run_shown
from .status import add_max_entries_option, add_status_commands, run_status
from .trust import add_trust_commands, run_trust

__all__ = ["main", "make_parser", "terminal_qr"]


def terminal_qr(text: str, *, invert: bool = True, border: int = TERMINAL_BORDER) -> str:
    """Deprecated: use :func:`qrseal.qr.render_terminal` (the same drawing)."""
    warnings.warn(
        "qrseal.cli.main.terminal_qr is deprecated; use qrseal.qr.render_terminal",
        DeprecationWarning,
        stacklevel=2,
    )
    return render_terminal(text, invert=invert, border=border)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser (separate so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="qrseal", description="Signed driving licences in QR codes, verified offline."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("keygen", help="generate an issuer key pair")
    p.add_argument("--alg", choices=sorted(ALGS), default="ES256")
    p.add_argument("--out", required=True, help="private key PEM (PKCS#8) to write")
    p.add_argument("--pub", help="public key PEM to write (default: OUT with .pub.pem)")
    p.add_argument(
        "--password-env", help="encrypt the private key with the password in this env variable"
    )

    p = sub.add_parser("device-keygen", help="generate a holder device key pair (for live codes)")
    p.add_argument("--alg", choices=sorted(DEVICE_ALGS), default="ES256")
    p.add_argument("--out", required=True, help="device private key PEM (PKCS#8) to write")
    p.add_argument("--pub", help="public key PEM to write (default: OUT with .pub.pem)")
    p.add_argument(
        "--password-env", help="encrypt the private key with the password in this env variable"
    )

    p = sub.add_parser("issue", help="sign a licence JSON file; print the credential text")
    p.add_argument("licence", help="licence JSON (see docs/format.md)")
    p.add_argument("--key", required=True, help="issuer private key PEM")
    p.add_argument("--password-env", help="env variable holding the key's password")
    p.add_argument(
        "--issuer", required=True, help="issuer name (CWT iss), as verifiers' trust stores know it"
    )
    p.add_argument(
        "--valid-for",
        type=parse_duration,
        default=timedelta(hours=72),
        help="e.g. 72h (default), 30m, 7d",
    )
    p.add_argument(
        "--holder-key",
        metavar="DEVICE.pub.pem",
        help="bind the credential to this holder device public key (cnf), for live codes",
    )
    p.add_argument(
        "--status-uri",
        metavar="URI",
        help="the status list this credential's status is published in (with --status-idx)",
    )
    p.add_argument(
        "--status-idx", type=parse_index, metavar="N", help="the credential's entry in that list"
    )
    p.add_argument("--png", help="also write the QR code as PNG")
    p.add_argument("--svg", help="also write the QR code as SVG")
    add_portrait_options(p)
    p.add_argument("--ecc", choices=[e.value for e in Ecc], default="M")
    p.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="pixels per module")
    add_now_option(p)

    p = sub.add_parser("verify", help="verify a credential text, text file or QR image offline")
    p.add_argument("text", nargs="?", help="credential text (DL1:...)")
    p.add_argument("--file", help="read the credential text from a file")
    p.add_argument("--image", help="read the credential from a QR image (photo or screenshot)")
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="ISSUER=PUB.pem",
        help="a trusted issuer key",
    )
    p.add_argument(
        "--trust-list", metavar="FILE", help="a signed trust list (verified against --root)"
    )
    p.add_argument("--root", metavar="ROOT.pub.pem", help="the pinned trust-list root public key")
    p.add_argument(
        "--trust-list-grace",
        type=parse_duration,
        default=timedelta(0),
        help="keep using the trust list this long after it expires (default: not at all)",
    )
    p.add_argument(
        "--status",
        metavar="DIR",
        help="check the credential's status against the status list tokens in DIR",
    )
    add_max_entries_option(p, "--max-status-entries")
    p.add_argument(
        "--max-status-age",
        type=parse_duration,
        help="oldest status list snapshot that counts as fresh, e.g. 24h (default: until its "
        "exp; a list without exp needs this)",
    )
    p.add_argument(
        "--status-unavailable",
        choices=sorted(STATUS_POLICIES),
        default="reject",
        help="without a fresh status list for the credential: reject (default) or accept "
        "with a warning",
    )
    p.add_argument(
        "--require-status",
        action="store_true",
        help="also reject credentials that carry no status reference",
    )
    p.add_argument(
        "--clock-skew", type=int, default=60, help="seconds of clock skew to tolerate (default 60)"
    )
    p.add_argument(
        "--max-validity",
        type=parse_duration,
        default=MAX_VALIDITY,
        help="longest credential lifetime (exp - iat) accepted, e.g. 72h, 30d (default 366d, "
        "the issuer's own limit)",
    )
    p.add_argument(
        "--require-live",
        action="store_true",
        help="accept only live codes (DP1); refuse static credentials and screenshots of them "
        "(implied by --nonce and --audience)",
    )
    p.add_argument(
        "--max-age",
        type=parse_duration,
        default=DEFAULT_MAX_PRESENTATION_AGE,
        help="oldest live code accepted, e.g. 60s (default), 2m",
    )
    p.add_argument(
        "--max-future-skew",
        type=parse_duration,
        default=DEFAULT_MAX_PRESENTATION_SKEW,
        help="how far a live code may be dated ahead of this clock (default 30s)",
    )
    p.add_argument(
        "--nonce",
        type=parse_nonce,
        help="the nonce (hex) the live code must carry (static credentials are then refused)",
    )
    p.add_argument(
        "--audience",
        help="the audience the live code must be addressed to (static credentials are then "
        "refused)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_now_option(p)

    p = sub.add_parser("present", help="show a fresh live code (DP1) signed by the device key")
    p.add_argument("text", nargs="?", help="the device-bound credential text (DL1:...)")
    p.add_argument("--file", help="read the credential text from a file")
    p.add_argument("--device-key", required=True, help="the holder device private key PEM")
    p.add_argument("--password-env", help="env variable holding the device key's password")
    p.add_argument("--nonce", type=parse_nonce, help="a verifier's challenge (hex) to include")
    p.add_argument("--audience", help="the verifier the code is meant for")
    p.add_argument("--png", help="also write the code as PNG (rewritten at every refresh)")
    p.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="pixels per module")
    p.add_argument(
        "--watch",
        type=parse_positive_int,
        nargs="?",
        const=int(DEFAULT_REFRESH.total_seconds()),
        metavar="SECONDS",
        help="draw the code in the terminal and redraw a fresh one every SECONDS (default 30) "
        "until interrupted",
    )
    p.add_argument("--count", type=parse_positive_int, help="stop after this many codes")
    p.add_argument(
        "--light-terminal", action="store_true", help="draw for a light terminal background"
    )
    add_now_option(p)

    p = sub.add_parser("scan", help="print the text of every QR code in an image")
    p.add_argument("image")
    p.add_argument(
        "--debug",
        metavar="DIR",
        help="write every image variant tried, and report.json with timings, into DIR",
    )

    p = sub.add_parser("inspect", help="decode a credential WITHOUT verifying it (debugging)")
    p.add_argument("text", nargs="?")
    p.add_argument("--file")

    p = sub.add_parser("demo", help="issue -> QR PNG -> scan -> verify, with a fresh key")
    p.add_argument("--out", help="folder for the PNG (default: a temporary folder)")
    p.add_argument(
        "--sample", type=int, choices=range(5), default=0, help="which sample licence (0-4)"
    )
    add_now_option(p)

    add_trust_commands(sub)
    add_status_commands(sub)
    add_shown_commands(sub)
    return parser


def _run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``args.command``, importing its module only now."""
    match args.command:
        case "keygen":
            from .keys import run_keygen

            return run_keygen(args, out)
        case "device-keygen":
            from .keys import run_device_keygen

            return run_device_keygen(args, out)
        case "issue":
            from .credential import run_issue

            return run_issue(args, out)
        case "present":
            from .credential import run_present

            return run_present(args, out)
        case "inspect":
            from .credential import run_inspect

            return run_inspect(args, out)
        case "verify":
            from .verify import run_verify

            return run_verify(args, out)
        case "scan":
            from .scan import run_scan

            return run_scan(args, out)
        case "demo":
            from .demo import run_demo

            return run_demo(args, out)
        case "trust":
            return run_trust(args, out)
        case "status":
            return run_status(args, out)
        case "card" | "deadlines":
            return run_shown(args, out)
    raise UsageError(f"unknown command {args.command!r}")  # argparse allows no other


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the CLI; return the exit code."""
    stream = out if out is not None else sys.stdout
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors this way
        return int(exc.code or 0) if exc.code in (0, None) else 2
    try:
        return _run(args, stream)
    except UsageError as exc:
        print(f"qrseal: error: {exc}", file=sys.stderr)
        return 2
    except QrsealError as exc:
        print(f"qrseal: {exc.reason.value}: {exc.message}", file=sys.stderr)
        return 1
