"""The JSON Schema (draft 2020-12) of the licence JSON, built from the field table of
:mod:`qrseal.licence.fields`, the formats of :mod:`qrseal.licence.rules` and the JSON
spellings of :mod:`qrseal.licence.wire`, so it cannot say something the reader does not
do. The package ships it for each view as ``data/licence-<view>.schema.json`` (written by
``scripts/gen_licence_doc.py``; a test checks the files equal :func:`licence_schema`), and
``qrseal schema`` prints it.

The schema states the shape: names, types, spellings, vocabularies, lengths and
required fields. The rules across fields (the ID check character against the birth date,
date order, derivable ISO categories, ...) and the per-character text allow-lists are
qrseal's validator's alone: an input the schema accepts may still be refused, never the
other way round (tests check both on the example records).

>>> schema = licence_schema()
>>> schema["properties"]["sex"]["enum"]
[0, 1, 2, 9]
>>> "issuing_authority" in licence_schema(JsonView.QR)["required"]
False
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final

from ..errors import InvalidArgument
from . import china as cn
from .fields import (
    ALLOW,
    CODE,
    DOMESTIC,
    DRIVING,
    JSON_VIEW_REQUIRED,
    LICENCE,
    TEXT_KINDS,
    FieldKind,
    FieldSpec,
    JsonView,
    LicenceField,
    NamedIntEnum,
    Struct,
    json_values,
)
from .rules import FORMATS
from .wire import JSON_DATE, JSON_DATE_FORMAT, JSON_TIME, JSON_TIME_FORMAT

__all__ = ["DIALECT", "SCHEMA_FILES", "licence_schema", "schema_text", "shipped_schema"]

#: The JSON Schema dialect of the licence schema.
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
#: The package file holding each view's schema (under ``qrseal/data/``).
SCHEMA_FILES: Final = {view: f"licence-{view.value}.schema.json" for view in JsonView}

_K, _F = FieldKind, LicenceField
_DEFS: Final = {
    _K.DOMESTIC: ("domestic_privilege", DOMESTIC),
    _K.DRIVING: ("driving_privilege", DRIVING),
    _K.CODES: ("code", CODE),
}
#: Vocabularies of the privilege codes, in their canonical order.
_VOCABULARIES: Final = {
    "class_code": (list(cn.CLASS_ORDER), "China class (准驾车型), 2022 table"),
    "vehicle_category_code": (
        sorted(cn.ISO_CATEGORIES),
        "ISO/IEC 18013-1 Annex B vehicle category (never a Chinese class code)",
    ),
}
_TITLES: Final = {
    JsonView.RECORD: "qrseal licence record (what an issuer writes)",
    JsonView.QR: "qrseal licence, QR view (the licence of a verified credential)",
}


def _anchored(pattern: str) -> str:
    # JSON Schema patterns search (ECMA-262); the reader matches the whole value.
    return f"^(?:{pattern})$"


def _enum_description(spec: FieldSpec) -> str:
    if spec.enum is None:
        return "the profile: decides required fields and vocabularies"
    if issubclass(spec.enum, NamedIntEnum):
        return ", ".join(f"{m.json_name} (compact {int(m)})" for m in spec.enum)
    return ", ".join(f"{int(m)} {m.name.lower().replace('_', ' ')}" for m in spec.enum)


def _property(name: str, spec: FieldSpec, nullable: bool) -> dict[str, Any]:
    kind = spec.kind
    prop: dict[str, Any]
    if name in _VOCABULARIES:
        words, what = _VOCABULARIES[name]
        prop = {"description": what, "enum": words}
    elif kind in TEXT_KINDS:
        allow = ALLOW[kind]
        prop = {
            "description": f"{allow.what} (docs/format.md §5.3)",
            "type": "string",
            "minLength": 1,
            "maxLength": allow.max_length,
        }
        if name in FORMATS:
            pattern, what = FORMATS[name]
            prop["description"] = what
            prop["pattern"] = _anchored(pattern.pattern)
    elif kind is _K.DATE:
        prop = {
            "description": f"a date, {JSON_DATE_FORMAT}",
            "type": "string",
            "format": "date",
            "pattern": _anchored(JSON_DATE.pattern),
        }
    elif kind is _K.TIME:
        prop = {
            "description": f"a time in whole seconds, {JSON_TIME_FORMAT}",
            "type": "string",
            "format": "date-time",
            "pattern": _anchored(JSON_TIME.pattern),
        }
    elif kind is _K.UINT:
        prop = {"type": "integer", "minimum": 0}
        if name == _F.POINTS:
            prop |= {"description": "points (记分), not capped at 12", "maximum": 255}
    elif kind is _K.BYTES:
        prop = {
            "description": "a JPEG or JPEG 2000 image, standard base64",
            "type": "string",
            "contentEncoding": "base64",
        }
    elif kind is _K.ENUM or kind is _K.PROFILE:
        prop = {"description": _enum_description(spec), "enum": list(json_values(spec))}
    else:
        ref, _ = _DEFS[kind]
        prop = {"type": "array", "items": {"$ref": f"#/$defs/{ref}"}}
        if kind is _K.CODES:
            prop |= {"description": "omit rather than send an empty array", "minItems": 1}
    if nullable:
        prop["type"] = [prop.get("type", "string"), "null"]
        prop["description"] = f"{prop.get('description', '')}; null when long-term (长期)"
    prop["x-cbor-key"] = spec.key
    return prop


def _object(struct: Struct, required: frozenset[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            str(name): _property(str(name), spec, name in struct.json_nullable)
            for name, spec in struct.specs.items()
        },
        "required": [str(name) for name in struct.specs if name in required],
        "patternProperties": {"^_": {"description": "a comment: ignored"}},
        "additionalProperties": False,
    }


def licence_schema(view: JsonView = JsonView.RECORD) -> dict[str, Any]:
    """The JSON Schema of the licence JSON in ``view`` (``record``: what an issuer writes;
    ``qr``: what a verified credential gives back). Raises ``InvalidArgument`` for
    another view."""
    if view not in JSON_VIEW_REQUIRED:
        raise InvalidArgument(f"view must be one of {', '.join(JSON_VIEW_REQUIRED)}")
    view = JsonView(view)
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"urn:qrseal:licence:{view.value}:1",
        "title": _TITLES[view],
        "description": (
            "A driving licence in qrseal's unified model, China profile (docs/format.md §5). "
            "Fields starting with _ are comments. The schema states names, types, spellings "
            "and vocabularies; qrseal's validator also checks the rules across fields and "
            "the characters of each text field."
        ),
    }
    schema |= _object(LICENCE, JSON_VIEW_REQUIRED[view])
    schema["$defs"] = {name: _object(struct, struct.required) for name, struct in _DEFS.values()}
    return schema


def schema_text(view: JsonView = JsonView.RECORD) -> str:
    """:func:`licence_schema` as the shipped file holds it: indented JSON, UTF-8, one
    trailing newline."""
    return json.dumps(licence_schema(view), ensure_ascii=False, indent=2) + "\n"


def shipped_schema(view: JsonView = JsonView.RECORD) -> str:
    """The schema file shipped in the package for ``view``."""
    if view not in SCHEMA_FILES:
        raise InvalidArgument(f"view must be one of {', '.join(SCHEMA_FILES)}")
    data = resources.files("qrseal").joinpath("data", SCHEMA_FILES[JsonView(view)])
    return data.read_text(encoding="utf-8")
