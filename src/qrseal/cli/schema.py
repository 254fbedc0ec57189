"""``qrseal schema``: print the JSON Schema of the licence JSON (the file the package
ships, built from the field table by :mod:`qrseal.licence.schema`)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

__all__ = ["add_schema_command", "run_schema"]

_VIEWS = ("record", "qr")


def add_schema_command(sub: Any) -> None:
    """Register ``schema`` on the sub-command parsers ``sub``."""
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema (draft 2020-12) of the licence JSON",
        description="Print the JSON Schema of the licence JSON. Example: "
        "qrseal schema > licence.schema.json; qrseal schema --view qr",
    )
    p.add_argument(
        "--view",
        choices=_VIEWS,
        default="record",
        help="record: what an issuer writes (default); qr: the licence of a verified "
        "credential (verify --json), which lacks what the QR leaves out",
    )


def run_schema(args: argparse.Namespace, out: TextIO) -> int:
    """Write the shipped schema of ``args.view`` to ``out``."""
    from ..licence.fields import JsonView
    from ..licence.schema import shipped_schema

    out.write(shipped_schema(JsonView(args.view)))
    return 0
