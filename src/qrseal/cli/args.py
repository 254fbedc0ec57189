"""Argument parsing shared by the CLI modules: the one place where loose strings from the
command line become typed values. Internal."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from typing import Final

from ..errors import Reason
from ..licence.profile import DEFAULT_ALGORITHMS, DEVICE_ALGORITHMS, ISSUER_ALGORITHMS
from ..status.snapshots import WhenUnavailable
from ..wire.algorithms import ALGORITHMS, Algorithm
from ..wire.presentation import MAX_NONCE_BYTES, MIN_NONCE_BYTES

__all__ = [
    "ALGS",
    "DEVICE_ALGS",
    "STATUS_POLICIES",
    "UsageError",
    "add_allow_alg_option",
    "add_json_option",
    "add_now_option",
    "allowed_of",
    "now_of",
    "parse_duration",
    "parse_duration_or_zero",
    "parse_index",
    "parse_nonce",
    "parse_positive_int",
    "parse_time",
    "password_of",
]

#: The algorithms of ``keygen --alg`` and ``verify --allow-alg`` (the issuer algorithms).
ALGS: Final = {spec.name: alg for alg, spec in ALGORITHMS.items() if alg in ISSUER_ALGORITHMS}
#: The algorithms a holder device key may use (``device-keygen --alg``).
DEVICE_ALGS: Final = {
    spec.name: alg for alg, spec in ALGORITHMS.items() if alg in DEVICE_ALGORITHMS
}
#: ``verify --status-unavailable``.
STATUS_POLICIES: Final = {policy.value: policy for policy in WhenUnavailable}  # reject, warn
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Larger whole numbers are refused at the command line: no option means more, and a
# timedelta or a C integer built from one would overflow (a traceback, not a message).
_MAX_WHOLE: Final = 10**12


def add_allow_alg_option(parser: argparse.ArgumentParser) -> None:
    """``--allow-alg NAME`` (repeatable): accept an opt-in algorithm (SM2, ML-DSA-44) besides
    the defaults (ES256, ES384, EdDSA)."""
    parser.add_argument(
        "--allow-alg",
        action="append",
        default=[],
        choices=sorted(set(ALGS) - {ALGORITHMS[a].name for a in DEFAULT_ALGORITHMS}),
        help="also accept signatures with this algorithm (repeatable; default: ES256, ES384, "
        "EdDSA)",
    )


def allowed_of(args: argparse.Namespace) -> frozenset[Algorithm]:
    """The algorithms a verifying command accepts: the defaults plus ``--allow-alg``."""
    return DEFAULT_ALGORITHMS | {ALGS[name] for name in args.allow_alg}


class UsageError(Exception):
    """Bad command-line input or set-up (exit 2). ``reason`` is the reason code of the
    library error behind it, if any (a key that does not load, a malformed trust list)."""

    def __init__(self, message: str, *, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.reason = reason


def parse_time(value: str) -> datetime:
    """An ISO 8601 time with a zone (``Z`` allowed), in UTC."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not a time: {value!r} (ISO 8601 with a zone, e.g. 2026-11-25T09:00:00Z)"
        ) from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"give a time zone: {value}Z for UTC, or e.g. {value}+08:00"
        )
    return moment.astimezone(UTC)


def _duration(value: str, *, allow_zero: bool) -> timedelta:
    # A unit is required: `--valid-for 72` meaning 72 seconds surprised people (issue 11).
    text = value.strip().lower()
    try:
        amount, unit = (int(text[:-1]), text[-1]) if text[-1:] in _UNITS else (int(text), "")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not a duration: {value!r} (a number and a unit: 72s, 5m, 2h, 1d)"
        ) from exc
    if not unit and amount != 0:
        raise argparse.ArgumentTypeError(
            f"give a unit: {value}s, {value}m, {value}h or {value}d (s seconds, m minutes, "
            "h hours, d days)"
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise argparse.ArgumentTypeError(
            "a duration cannot be negative" if allow_zero else "a duration must be positive"
        )
    seconds = amount * _UNITS.get(unit, 0)
    if seconds > _MAX_WHOLE:
        raise argparse.ArgumentTypeError(f"too long a duration: {value!r}")
    return timedelta(seconds=seconds)


def parse_duration(value: str) -> timedelta:
    """A positive duration with its unit: ``72s``, ``30m``, ``2h``, ``7d``."""
    return _duration(value, allow_zero=False)


def parse_duration_or_zero(value: str) -> timedelta:
    """Like :func:`parse_duration`, but ``0`` (no unit needed) is allowed."""
    return _duration(value, allow_zero=True)


def parse_index(value: str) -> int:
    """A whole number, zero or more (a status list index)."""
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    if number > _MAX_WHOLE:
        raise argparse.ArgumentTypeError(f"too large: at most {_MAX_WHOLE:,}")
    return number


def parse_positive_int(value: str) -> int:
    """A whole number, one or more."""
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if number <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    if number > _MAX_WHOLE:
        raise argparse.ArgumentTypeError(f"too large: at most {_MAX_WHOLE:,}")
    return number


def parse_nonce(value: str) -> bytes:
    """A presentation nonce in hex, of the length live codes allow."""
    try:
        nonce = bytes.fromhex(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not hexadecimal: {value!r}") from exc
    if not MIN_NONCE_BYTES <= len(nonce) <= MAX_NONCE_BYTES:
        raise argparse.ArgumentTypeError(
            f"a nonce is {MIN_NONCE_BYTES}-{MAX_NONCE_BYTES} bytes ({2 * MIN_NONCE_BYTES}-"
            f"{2 * MAX_NONCE_BYTES} hex digits)"
        )
    return nonce


def parse_names(value: str) -> tuple[str, ...]:
    """A comma-separated list of names (views or data elements), none empty."""
    names = tuple(part.strip() for part in value.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"an empty name in {value!r}")
    return names


def parse_thresholds(value: str) -> tuple[int, ...]:
    """A comma-separated list of ages 0-99 (the age_over_NN an issuer attests)."""
    try:
        ages = tuple(int(part) for part in value.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of ages: {value!r}") from exc
    if not all(0 <= age <= 99 for age in ages):
        raise argparse.ArgumentTypeError("ages are 0-99")
    return ages


def add_json_option(parser: argparse.ArgumentParser, help: str = "machine-readable output") -> None:
    """``--json``: the command reports as one JSON object on standard output (errors, too:
    ``{"error": REASON, "message": ..., "exit_code": N}``)."""
    parser.add_argument("--json", action="store_true", help=help)


def add_now_option(parser: argparse.ArgumentParser) -> None:
    """``--now``: a fixed time instead of the clock, for reproducible runs and tests."""
    parser.add_argument("--now", type=parse_time, help="use this time instead of the clock")


def now_of(args: argparse.Namespace) -> datetime:
    """``--now`` when given, else the clock (the CLI is where the clock may be read)."""
    now: datetime | None = getattr(args, "now", None)
    return now if now is not None else datetime.now(UTC)


def password_of(args: argparse.Namespace) -> bytes | None:
    """The password from the environment variable named by ``--password-env``, if any."""
    name: str | None = getattr(args, "password_env", None)
    if not name:
        return None
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"--password-env {name}: the environment variable {name} is not set")
    if not value:
        raise UsageError(
            f"--password-env {name}: the environment variable {name} is empty (an empty "
            "password would leave the key unprotected; leave out --password-env for that)"
        )
    return value.encode()
