"""Exit codes and error messages of the ``qrseal`` command: the one place where whatever a
command raises becomes an exit code and a plain sentence on standard error. Internal.

====  ==================================================================================
code  meaning
====  ==================================================================================
0     success; ``verify``: the credential is valid
1     the credential (or the code, image, trust list or status token a command was asked
      to check) was rejected; the reason code is printed
2     the command or its set-up is wrong: usage, a file that cannot be read or written,
      a key of the wrong kind, a trust list or status folder that is unusable, an option
      out of range
130   interrupted (Ctrl-C)
141   the output was closed early (``| head``) before the command finished
====  ==================================================================================
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Final, TextIO

from ..errors import QrsealError, Reason, SetupError
from ..errors.validity import DataTooOld, Expired, IssuedInFuture, NotYetValid
from .args import UsageError

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE_CLOSED",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "describe",
    "run_guarded",
    "setup_step",
]

log = logging.getLogger("qrseal.cli")

EXIT_OK: Final = 0
EXIT_REJECTED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130
EXIT_PIPE_CLOSED: Final = 141  # 128 + SIGPIPE, as a shell reports `yes | head`

#: The exit codes, as ``qrseal --help`` prints them.
EXIT_CODES_HELP: Final = """\
examples:
  qrseal demo                                    # the whole chain, with a fresh key
  qrseal keygen --out issuer.key
  qrseal issue licence.json --key issuer.key --issuer CN-SC > credential.txt
  qrseal verify --file credential.txt --trust CN-SC=issuer.pub.pem
  qrseal COMMAND --help                          # each command's options and examples

exit codes:
  0    success (verify: the credential is valid)
  1    the credential, code, image, trust list or status token checked was rejected
       (its reason code is printed)
  2    the command or its set-up is wrong: usage, a file that cannot be read or written,
       a key of the wrong kind, an unusable trust list or status folder, an option out
       of range
  130  interrupted (Ctrl-C)
  141  the output was closed early (e.g. | head)

Every file argument takes '-' for standard input or output. -v shows each step on
standard error."""


def _ago(delta: timedelta) -> str:
    seconds = abs(int(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _at(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%SZ}"


def describe(exc: QrsealError) -> str:
    """``exc``'s message in plain language, with *when* for a validity error: the instant it
    carries and how long before or after the time of checking."""
    match exc:
        case Expired():
            when = f"expired at {_at(exc.expired_at)}"
            gap = f"{_ago(exc.now - exc.expired_at)} before {_at(exc.now)}"
        case NotYetValid():
            when = f"not valid before {_at(exc.not_before)}"
            gap = f"{_ago(exc.not_before - exc.now)} after {_at(exc.now)}"
        case IssuedInFuture():
            when = f"issued in the future, at {_at(exc.issued_at)}"
            gap = f"{_ago(exc.issued_at - exc.now)} after {_at(exc.now)}: is this clock right?"
        case DataTooOld():
            when = f"its data is as of {_at(exc.as_of)}"
            gap = f"{_ago(exc.now - exc.as_of)} before {_at(exc.now)}"
        case _:
            return exc.message
    if when in exc.message:
        return f"{exc.message}, {gap}"
    return f"{exc.message} ({when}, {gap})"


@contextmanager
def setup_step(what: str) -> Iterator[None]:
    """Inside, a ``QrsealError`` is a fault of the command's set-up (``what``, e.g.
    ``--trust-list FILE``), not a verdict: it becomes a ``UsageError`` (exit 2)."""
    try:
        yield
    except QrsealError as exc:
        raise UsageError(f"{what}: {describe(exc)}", reason=exc.reason) from exc


def _report(
    out: TextIO, *, json_errors: bool, code: int, message: str, reason: Reason | None
) -> None:
    name = reason.value if reason is not None else "usage"
    if code == EXIT_USAGE:
        print(f"qrseal: error: {message}", file=sys.stderr)
    else:
        print(f"qrseal: {name}: {message}", file=sys.stderr)
    if json_errors:
        json.dump({"error": name, "message": message, "exit_code": code}, out, ensure_ascii=False)
        print(file=out)


def run_guarded(command: Callable[[], int], out: TextIO, *, json_errors: bool = False) -> int:
    """Run ``command`` and return its exit code; whatever it raises that a user can cause
    becomes exit 1 or 2 with a plain message on standard error (and a JSON object on
    ``out`` when ``json_errors``), never a traceback."""
    code: int | None = None
    try:
        code = command()
        out.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return code if code is not None else EXIT_PIPE_CLOSED
    except KeyboardInterrupt:
        print("qrseal: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as exc:
        log.debug("usage error", exc_info=True)
        code = EXIT_USAGE
        _report(out, json_errors=json_errors, code=code, message=str(exc), reason=exc.reason)
    except QrsealError as exc:
        log.debug("%s", exc.reason.value, exc_info=True)
        code = EXIT_USAGE if isinstance(exc, SetupError) else EXIT_REJECTED
        _report(out, json_errors=json_errors, code=code, message=describe(exc), reason=exc.reason)
    except OSError as exc:  # a file the command did not open through cli.files
        log.debug("OS error", exc_info=True)
        code = EXIT_USAGE
        where = f" {exc.filename}" if exc.filename else ""
        _report(
            out,
            json_errors=json_errors,
            code=code,
            message=f"cannot use{where}: {exc.strerror or exc}",
            reason=None,
        )
    try:
        out.flush()
    except BrokenPipeError:
        _silence_stdout()
    return code


def _silence_stdout() -> None:
    """The reader of standard output has gone: point it at /dev/null, so that the flush at
    exit does not print a second error (the recipe of the Python ``signal`` docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (tests capture stdout)
        pass
