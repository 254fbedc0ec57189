"""The licence JSON Schema: built from the field table, shipped in the package, checked by an
independent draft 2020-12 validator (jsonschema) against the example records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from qrseal.errors import InvalidArgument, InvalidLicence
from qrseal.licence import china as cn
from qrseal.licence.fields import (
    JSON_VIEW_REQUIRED,
    LICENCE,
    FieldKind,
    JsonView,
    NamedIntEnum,
    Profile,
)
from qrseal.licence.model import Licence
from qrseal.licence.rules import FORMATS
from qrseal.licence.schema import DIALECT, licence_schema, schema_text, shipped_schema

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "examples" / "records"


def _validator(view: JsonView = JsonView.RECORD) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        licence_schema(view), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _valid_records() -> list[Path]:
    return sorted(p for p in RECORDS.glob("*.json") if p.name != "mistakes.json")


@pytest.mark.parametrize("view", list(JsonView))
def test_schema_is_a_valid_draft_2020_12_schema(view: JsonView) -> None:
    """Each view's schema is itself valid under the draft 2020-12 meta-schema."""
    schema = licence_schema(view)
    assert schema["$schema"] == DIALECT
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("view", list(JsonView))
def test_shipped_schema_equals_the_built_one(view: JsonView) -> None:
    """The file in the package is exactly what the field table builds now."""
    assert shipped_schema(view) == schema_text(view)
    assert json.loads(shipped_schema(view)) == licence_schema(view)


@pytest.mark.parametrize("view", list(JsonView))
def test_schema_agrees_with_the_field_specs(view: JsonView) -> None:
    """Properties, required fields, types, enums and formats follow the field table."""
    schema = licence_schema(view)
    props = schema["properties"]
    assert list(props) == [str(name) for name in LICENCE.specs]
    assert set(schema["required"]) == JSON_VIEW_REQUIRED[view]
    assert schema["additionalProperties"] is False
    for name, spec in LICENCE.specs.items():
        prop = props[name]
        assert prop["x-cbor-key"] == spec.key
        if spec.kind is FieldKind.DATE:
            assert prop["format"] == "date"
        elif spec.kind is FieldKind.TIME:
            assert prop["format"] == "date-time"
        elif spec.kind is FieldKind.PROFILE:
            assert prop["enum"] == [p.value for p in Profile]
        elif spec.enum is not None:
            expected: list[Any] = [
                m.json_name if isinstance(m, NamedIntEnum) else int(m) for m in spec.enum
            ]
            assert prop["enum"] == expected
        elif spec.kind in (FieldKind.DOMESTIC, FieldKind.DRIVING):
            assert prop["type"] == "array"
        if name in FORMATS:
            assert prop["pattern"] == f"^(?:{FORMATS[name][0].pattern})$"
        if name in LICENCE.json_nullable:
            assert "null" in prop["type"]
    defs = schema["$defs"]
    assert defs["domestic_privilege"]["properties"]["class_code"]["enum"] == list(cn.CLASS_ORDER)
    categories = defs["driving_privilege"]["properties"]["vehicle_category_code"]["enum"]
    assert set(categories) == cn.ISO_CATEGORIES


def test_schema_view_must_be_known() -> None:
    """Another view is an InvalidArgument, not a KeyError."""
    with pytest.raises(InvalidArgument):
        licence_schema("draft")  # type: ignore[arg-type]  # the wrong type is the test


@pytest.mark.parametrize("path", _valid_records(), ids=lambda p: p.name)
def test_example_records_are_valid_under_the_schema(path: Path) -> None:
    """Each valid example record passes the schema (both views) and qrseal's validator."""
    record = json.loads(path.read_text(encoding="utf-8"))
    for view in JsonView:
        _validator(view).validate(record)
    Licence.from_json(record)


def test_mistakes_record_is_refused_by_the_schema_too() -> None:
    """The schema also refuses the record with mistakes, on the same top-level fields."""
    record = json.loads((RECORDS / "mistakes.json").read_text(encoding="utf-8"))
    errors = list(_validator().iter_errors(record))
    assert errors
    text = " ".join(e.message for e in errors) + " " + " ".join(map(str, (e.path for e in errors)))
    for field, _code in record["_expected_problems"]:
        top = re.split(r"[.\[]", field)[0]
        assert top in text, field


@pytest.mark.parametrize("status", ["A", "B", "BD", "DH", "AB", "HH", "Q", "a", "ABCD", "DBD"])
def test_status_pattern_is_the_validators_rule(status: str) -> None:
    """The published status pattern accepts exactly what the validator accepts."""
    record = json.loads((_valid_records()[0]).read_text(encoding="utf-8"))
    record["status"] = status
    schema_ok = _validator().is_valid(record)
    try:
        Licence.from_json(record)
        qrseal_ok = True
    except InvalidLicence:
        qrseal_ok = False
    assert schema_ok == qrseal_ok
