"""The ``qrseal`` command: a thin shell over the public API. This module parses the
command line and hands each sub-command to the module that runs it, imported only then,
so a command loads what it needs: ``verify --file`` no image library, issuing or holding.

Exit codes (:mod:`qrseal.cli.exits`): 0 success (``verify``: the credential is valid), 1 the
credential or other object checked was rejected (its reason code printed), 2 the command or
its set-up is wrong. ``main(argv)`` runs in-process for tests.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Final, TextIO

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
    add_allow_alg_option,
    add_json_option,
    add_now_option,
    parse_duration,
    parse_index,
    parse_names,
    parse_nonce,
    parse_positive_int,
    parse_thresholds,
)
from .batch import add_batch_commands, run_batch
from .exits import EXIT_CODES_HELP, EXIT_USAGE, run_guarded
from .files import STDIO, FileKind, add_file_argument, check_outputs
from .help import finish_parser
from .portrait import add_portrait_options
from .schema import add_schema_command
from .shown import add_shown_commands, run_shown
from .signing import add_pin_option, add_signer_options, parse_pkcs11_uri
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
        prog="qrseal",
        description="Signed driving licences in QR codes, verified offline.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="print the version and exit"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log each step to standard error (-vv: more detail)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("keygen", help="generate an issuer key pair (in a file or a token)")
    p.add_argument("--alg", choices=sorted(ALGS), default="ES256")
    _key_pair_options(p, "private key PEM (PKCS#8) to write, owner-only", pkcs11=True)

    p = sub.add_parser("device-keygen", help="generate a holder device key pair (for live codes)")
    p.add_argument("--alg", choices=sorted(DEVICE_ALGS), default="ES256")
    _key_pair_options(p, "device private key PEM (PKCS#8) to write, owner-only")

    p = sub.add_parser("pub", help="write the public key of a private key PEM file")
    add_file_argument(p, "key", kind=FileKind.INPUT, what="private key PEM")
    add_file_argument(
        p, "--out", kind=FileKind.OUTPUT, what="public key PEM to write", default=STDIO
    )
    p.add_argument("--password-env", help="env variable holding the key's password")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")

    p = sub.add_parser("issue", help="sign a licence JSON file; print the credential text")
    add_file_argument(
        p,
        "licence",
        kind=FileKind.INPUT,
        what="licence JSON file",
        help="licence JSON record (docs/format.md §5.4, qrseal schema)",
    )
    p.add_argument(
        "--view",
        choices=("record", "qr"),
        default="record",
        help="record: what an issuer writes (default); qr: the licence of a verified "
        "credential (verify --json), signed again",
    )
    add_signer_options(p, key_help="issuer private key PEM")
    p.add_argument(
        "--issuer", required=True, help="issuer name (CWT iss), as verifiers' trust stores know it"
    )
    p.add_argument(
        "--valid-for",
        type=parse_duration,
        default=timedelta(hours=72),
        help="e.g. 72h (default), 30m, 7d",
    )
    add_file_argument(
        p,
        "--holder-key",
        kind=FileKind.INPUT,
        what="holder device public key PEM",
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
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse to sign a licence with warnings (printed to stderr either way): an "
        "expired document, status letters that forbid driving, 12 points with status A, ...",
    )
    p.add_argument(
        "--views",
        type=parse_names,
        metavar="NAME,...",
        help="issue one credential per disclosure view (full, rental, age, age_over_NN), "
        "printed as a JSON wallet {view: text}; needs --holder-key",
    )
    p.add_argument(
        "--age-thresholds",
        type=parse_thresholds,
        metavar="NN,...",
        help="the age_over_NN the issuer attests (default 16,18,21,60,70)",
    )
    add_file_argument(p, "--png", kind=FileKind.OUTPUT, what="QR code PNG to write")
    add_file_argument(p, "--svg", kind=FileKind.OUTPUT, what="QR code SVG to write")
    add_portrait_options(p)
    p.add_argument("--ecc", choices=[e.value for e in Ecc], default="M")
    p.add_argument(
        "--scale", type=parse_positive_int, default=DEFAULT_SCALE, help="pixels per module"
    )
    add_json_option(p)
    add_now_option(p)

    p = sub.add_parser("verify", help="verify a credential text, text file or QR image offline")
    p.add_argument(
        "text", nargs="?", help="credential text (DL1:... or DP1:...; '-': standard input)"
    )
    add_file_argument(p, "--file", kind=FileKind.INPUT, what="credential text file", subject=True)
    add_file_argument(
        p,
        "--image",
        kind=FileKind.INPUT,
        what="QR image (photo or screenshot)",
        subject=True,
        help="read the credential from a QR image (photo or screenshot)",
    )
    add_allow_alg_option(p)
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="ISSUER=PUB.pem",
        help="a trusted issuer key",
    )
    add_file_argument(
        p,
        "--trust-list",
        kind=FileKind.INPUT,
        what="signed trust list",
        metavar="FILE",
        help="a signed trust list (verified against --root)",
    )
    add_file_argument(
        p,
        "--root",
        kind=FileKind.INPUT,
        what="trust-list root public key PEM",
        metavar="ROOT.pub.pem",
        help="the pinned trust-list root public key",
    )
    p.add_argument(
        "--trust-list-grace",
        type=parse_duration,
        default=timedelta(0),
        help="keep using the trust list this long after it expires (default: not at all)",
    )
    add_file_argument(
        p,
        "--status",
        kind=FileKind.INPUT_DIR,
        what="status list folder",
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
        "--clock-skew",
        type=parse_index,
        default=60,
        metavar="SECONDS",
        help="seconds of clock skew to tolerate (default 60)",
    )
    p.add_argument(
        "--max-validity",
        type=parse_duration,
        default=MAX_VALIDITY,
        help="longest credential lifetime (exp - iat) accepted, e.g. 72h, 30d (default 366d, "
        "the issuer's own limit)",
    )
    p.add_argument(
        "--require-fields",
        type=parse_names,
        metavar="NAME,...",
        help="refuse a code whose disclosure view does not show these data elements",
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
    add_json_option(p)
    add_now_option(p)

    p = sub.add_parser("present", help="show a fresh live code (DP1) signed by the device key")
    p.add_argument(
        "text",
        nargs="?",
        help="the device-bound credential text (DL1:...) or a JSON wallet ('-': standard input)",
    )
    add_file_argument(
        p, "--file", kind=FileKind.INPUT, what="credential text (or JSON wallet) file", subject=True
    )
    p.add_argument("--view", help="the disclosure view to show, from a JSON wallet (issue --views)")
    add_file_argument(
        p, "--device-key", kind=FileKind.INPUT, what="holder device private key PEM", required=True
    )
    p.add_argument("--password-env", help="env variable holding the device key's password")
    p.add_argument("--nonce", type=parse_nonce, help="a verifier's challenge (hex) to include")
    p.add_argument("--audience", help="the verifier the code is meant for")
    add_file_argument(
        p,
        "--png",
        kind=FileKind.OUTPUT,
        what="live code PNG to write",
        help="also write the code as PNG (rewritten at every refresh)",
    )
    p.add_argument(
        "--scale", type=parse_positive_int, default=DEFAULT_SCALE, help="pixels per module"
    )
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
    add_file_argument(p, "image", kind=FileKind.INPUT, what="image", subject=True)
    add_file_argument(
        p,
        "--debug",
        kind=FileKind.OUTPUT_DIR,
        what="debug folder",
        metavar="DIR",
        help="write every image variant tried, and report.json with timings, into DIR",
    )
    add_json_option(p)

    p = sub.add_parser("inspect", help="decode a credential WITHOUT verifying it (debugging)")
    p.add_argument(
        "text", nargs="?", help="credential text (DL1:... or DP1:...; '-': standard input)"
    )
    add_file_argument(p, "--file", kind=FileKind.INPUT, what="credential text file", subject=True)
    add_json_option(p, "always on: the report is JSON")

    p = sub.add_parser("demo", help="issue -> QR PNG -> scan -> verify, with a fresh key")
    add_file_argument(
        p,
        "--out",
        kind=FileKind.OUTPUT_DIR,
        what="demo folder",
        help="folder for the PNG (default: a temporary folder)",
    )
    p.add_argument(
        "--sample", type=int, choices=range(5), default=0, help="which sample licence (0-4)"
    )
    add_now_option(p)

    add_trust_commands(sub)
    add_status_commands(sub)
    add_schema_command(sub)
    add_batch_commands(sub)
    add_shown_commands(sub)

    p = sub.add_parser("completion", help="print a shell completion script")
    p.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete for")
    finish_parser(parser)
    return parser


def _key_pair_options(
    p: argparse.ArgumentParser, private_help: str, *, pkcs11: bool = False
) -> None:
    if pkcs11:
        where = p.add_mutually_exclusive_group(required=True)
        add_file_argument(
            where, "--out", kind=FileKind.OUTPUT, what="private key PEM", help=private_help
        )
        where.add_argument(
            "--pkcs11",
            type=parse_pkcs11_uri,
            metavar="URI",
            help="generate the key pair inside this PKCS#11 token, labelled by the URI's "
            "object (the private key never leaves it; needs --pub)",
        )
        add_pin_option(p)
    else:
        add_file_argument(
            p,
            "--out",
            kind=FileKind.OUTPUT,
            what="private key PEM",
            help=private_help,
            required=True,
        )
    add_file_argument(
        p,
        "--pub",
        kind=FileKind.OUTPUT,
        what="public key PEM",
        help="public key PEM to write (default: OUT with .pub.pem)",
    )
    p.add_argument(
        "--password-env", help="encrypt the private key with the password in this env variable"
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite existing key files (default: refuse)"
    )


#: The module (under ``qrseal.cli``) and function that run each command, imported only then.
_LAZY_COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "keygen": ("keys", "run_keygen"),
    "pub": ("keys", "run_pub"),
    "device-keygen": ("keys", "run_device_keygen"),
    "issue": ("credential", "run_issue"),
    "present": ("credential", "run_present"),
    "inspect": ("credential", "run_inspect"),
    "verify": ("verify", "run_verify"),
    "scan": ("scan", "run_scan"),
    "demo": ("demo", "run_demo"),
    "schema": ("schema", "run_schema"),
}
#: Commands whose runner the parser's own modules already hold.
_LOADED_COMMANDS: Final[dict[str, Callable[[argparse.Namespace, TextIO], int]]] = {
    "trust": run_trust,
    "status": run_status,
    "batch": run_batch,
    "card": run_shown,
    "deadlines": run_shown,
}


def _run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``args.command``, importing its module only now."""
    if args.command == "completion":
        from .completion import run_completion

        return run_completion(args, out, make_parser())
    if args.command in _LOADED_COMMANDS:
        return _LOADED_COMMANDS[args.command](args, out)
    if args.command not in _LAZY_COMMANDS:
        raise UsageError(f"unknown command {args.command!r}")  # argparse allows no other
    module, function = _LAZY_COMMANDS[args.command]
    run: Callable[[argparse.Namespace, TextIO], int] = getattr(
        importlib.import_module(f"{__package__}.{module}"), function
    )
    return run(args, out)


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked (importlib.metadata costs start-up time)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from importlib import metadata

        try:
            version = metadata.version("qrseal")
        except metadata.PackageNotFoundError:  # a source tree that is not installed
            version = "unknown (not installed)"
        print(f"qrseal {version}")
        parser.exit()


@contextmanager
def _logging(verbosity: int) -> Iterator[None]:
    """``-v``: the ``qrseal`` loggers write to standard error for this run only."""
    if verbosity <= 0:
        yield
        return
    logger = logging.getLogger("qrseal")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("qrseal: %(levelname)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the CLI; return the exit code (:mod:`qrseal.cli.exits`). Nothing a user can type
    or name on the command line ends in a traceback."""
    stream = out if out is not None else sys.stdout
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors (and --help, --version) this way
        return 0 if exc.code in (0, None) else EXIT_USAGE
    log = logging.getLogger("qrseal.cli")
    with _logging(args.verbose):
        log.info("qrseal %s", " ".join(sys.argv[1:] if argv is None else argv))
        return run_guarded(
            lambda: _checked_run(parser, args, stream),
            stream,
            json_errors=bool(getattr(args, "json", False)),
        )


def _checked_run(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    check_outputs(parser, args)  # before any work: every output can be written
    return _run(args, out)
