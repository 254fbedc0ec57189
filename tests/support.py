"""Helpers shared by the test modules; the fixtures built on them are in conftest.py."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from qrseal.cli.main import main
from qrseal.errors import QrsealError, Reason

__all__ = ["Cli", "reason_of"]


def reason_of(fn: Callable[[], object]) -> Reason:
    """The reason of the QrsealError that ``fn()`` raises (the test fails if it raises none)."""
    try:
        fn()
    except QrsealError as exc:
        return exc.reason
    raise AssertionError(f"{fn!r} raised no QrsealError")


class Cli:
    """The ``qrseal`` command line run in-process through ``main(argv, out=)``."""

    def __call__(self, *argv: str | Path) -> tuple[int, str]:
        """Run ``qrseal ARGV``: the exit code and what it wrote to ``out``."""
        out = io.StringIO()
        code = main([str(arg) for arg in argv], out=out)
        return code, out.getvalue()

    def ok(self, *argv: str | Path) -> str:
        """Run ``qrseal ARGV``, require exit 0, and return its output."""
        code, out = self(*argv)
        assert code == 0, out
        return out
