"""Validate CBOR against docs/qrseal.cddl with pycddl, following the ``bstr .cbor RULE``
controls of the envelopes by hand.

pycddl 0.6.4 (the Rust ``cddl`` crate) checks a ``.cbor`` control inside an array against
the wrong element (``[bstr .cbor a, {}, bstr .cbor b, bstr]`` reports element 1 not being a
byte string), so the schema is compiled with each ``bstr .cbor RULE`` read as ``bstr``, and
the byte strings those members hold are validated against ``RULE`` separately. Which member
holds which rule is read from the CDDL text itself, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import cbor2
import pycddl

CDDL_PATH = Path(__file__).resolve().parents[2] / "docs" / "qrseal.cddl"
TEXT = CDDL_PATH.read_text(encoding="utf-8")
_EMBEDDED = re.compile(r"bstr \.cbor ([\w-]+)")
FLAT = _EMBEDDED.sub("bstr", TEXT)
_RULE_START = re.compile(r"^([\w-]+) = ", re.MULTILINE)


def rules() -> dict[str, str]:
    """Each top-level rule's name and its text (comments removed)."""
    text = re.sub(r";.*", "", TEXT)
    starts = list(_RULE_START.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return {m.group(1): text[m.end() : end].strip() for m, end in zip(starts, ends, strict=True)}


def members(rule: str) -> list[str]:
    """The types of the members of an array rule (``name: type`` lines), in order."""
    return [
        t.strip().rstrip(",") for t in re.findall(r"^\s*[\w-]+: (.+?),?\s*$", rules()[rule], re.M)
    ]


def map_keys(rule: str) -> dict[int, bool]:
    """The integer keys of a map rule, each with whether it is optional (``?``)."""
    found = re.findall(r"^\s*(\?\s*)?(-?\d+):", rules()[rule], re.MULTILINE)
    return {int(key): bool(optional) for optional, key in found}


@cache
def _schema(rule: str) -> pycddl.Schema:
    return pycddl.Schema(f"root = {rule}\n{FLAT}")


def validate(rule: str, data: bytes) -> None:
    """Raise ``pycddl.ValidationError`` unless ``data`` matches ``rule``, embedded CBOR
    included."""
    _schema(rule).validate_cbor(data)
    kinds = members(rule) if rule in rules() and "[" in rules()[rule] else []
    if not any(_EMBEDDED.fullmatch(k) or k in _ENVELOPES for k in kinds):
        return
    item = cbor2.loads(data)
    array = item.value if isinstance(item, cbor2.CBORTag) else item
    for element, kind in zip(array, kinds, strict=True):
        embedded = _EMBEDDED.fullmatch(kind)
        if embedded:
            validate(embedded.group(1), element)
        elif kind in _ENVELOPES:
            validate(kind, cbor2.dumps(element))


#: Array rules that hold embedded CBOR somewhere.
_ENVELOPES = frozenset(name for name, body in rules().items() if "[" in body and ".cbor" in body)
