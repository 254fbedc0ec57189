"""The JSON reader compiled from the field table reads exactly what the general reader
reads: the same licence, or the same problems, for any input (it settles the common shapes
and hands everything else over)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, cast
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrseal.errors import InvalidLicence
from qrseal.licence import wire
from qrseal.licence.fields import ALL_FIELDS, JsonView, LicenceField
from qrseal.licence.model import Licence
from qrseal.testing import sample_licence_json

_SAMPLES = [sample_licence_json(i) for i in range(5)]


def _never_settles(required: frozenset[str]) -> wire._Reader:
    def read(obj: object) -> dict[str, Any]:
        raise wire._Unsettled

    return read


@contextmanager
def _general_reader_only() -> Iterator[None]:
    with mock.patch.object(wire, "_json_reader", _never_settles):
        yield


def _outcome(record: object, view: JsonView) -> object:
    """The licence read from ``record``, or its problems as (field, code, message)."""
    try:
        return Licence.from_json(cast(Any, copy.deepcopy(record)), view=view)
    except InvalidLicence as exc:
        return [(p.field, p.code, p.message) for p in exc.problems]


def _assert_same(record: object, view: JsonView = JsonView.RECORD) -> object:
    compiled = _outcome(record, view)
    with _general_reader_only():
        general = _outcome(record, view)
    assert compiled == general
    return compiled


def test_the_compiled_reader_settles_every_sample() -> None:
    """Each sample record (comments included) is read without handing over."""
    for view in JsonView:
        read = wire._json_reader(wire._VIEW_REQUIRED_SET[view])
        for sample in _SAMPLES:
            values = read(sample)
            assert "_sample" not in values and LicenceField.FAMILY_NAME in values


def _variant(index: int, **changes: object) -> dict[str, Any]:
    record = copy.deepcopy(_SAMPLES[index])
    for name, value in changes.items():
        if value is _DROP:
            del record[name]
        else:
            record[name] = value
    return record


_DROP = object()


def _with_key(key: object) -> dict[object, Any]:
    record: dict[object, Any] = {}
    record.update(_variant(2))
    record[key] = "one"
    return record


class _Key(str):
    """A str subclass as a key: still the field it spells."""


@pytest.mark.parametrize(
    "record",
    [
        _variant(0, family_name="ＬＩ", given_name="ZI  HAN"),  # normalised by the decoder
        _variant(4, full_name_national_character="安娜•穆勒"),  # another middle dot
        _variant(0, given_name_national_character="子 涵"),
        _variant(0, domestic_privileges=({"class_code": "C1"},)),  # a tuple, not a list
        _variant(1, expiry_date=_DROP),
        _variant(1, codes=[]),
        _variant(0, birth_date="2005-02-30", sex=True, points=3.0),
        _variant(0, birth_date="20050315", points_as_of="2026-11-25T08:00:00+08:00"),
        _variant(0, issuing_authority=_DROP, portrait="/9j/4AAQ"),
        _variant(0, document_number="5101-0720 0503151422"),
        _variant(3, domestic_privileges=[{"class_code": "A2"}, {"class_code": "A1", "_x": 1}]),
        _variant(3, driving_privileges=[{"vehicle_category_code": "D", "codes": []}]),
        _variant(2, profile="cn", validity_term="10Y", status="DB"),
        {**_variant(2), _Key("family_name"): "ZHANG", "_": None},
        _with_key(1),
        [],
    ],
)
def test_odd_shapes_read_as_the_general_reader_reads_them(record: object) -> None:
    """Text to normalise, other sequence and key types, absent, unknown and malformed
    fields: the same licence or the same problems as the general reader."""
    for view in JsonView:
        _assert_same(record, view)


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 300),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.text(alphabet="ABCZ019 -ÜüＡ１\u00a0\u3000\t·•・子涵", max_size=16),
    st.dates(min_value=date(1890, 1, 1), max_value=date(3100, 1, 1)).map(date.isoformat),
    st.sampled_from(["CN", "CHN", "C1", "B", "A", "BD", "6y", "long_term", "2026-13-01"]),
    st.sampled_from([[], [{}], [{"code": "02"}], {"class_code": "C1"}, ()]),
)


def _mutate(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """``value`` with a few fields replaced, dropped or added, privileges included."""
    for _ in range(data.draw(st.integers(1, 3))):
        if isinstance(value, dict) and value:
            key = data.draw(st.sampled_from(sorted(value)))
            action = data.draw(st.sampled_from(["replace", "drop", "add", "inside"]))
            if action == "replace":
                value[key] = data.draw(_VALUES)
            elif action == "drop":
                del value[key]
            elif action == "add":
                name = st.sampled_from(sorted(ALL_FIELDS)) | st.text(max_size=8)
                value[data.draw(name)] = data.draw(_VALUES)
            elif depth < 3 and isinstance(value[key], list | dict):
                value[key] = _mutate(data, value[key], depth + 1)
        elif isinstance(value, list) and value:
            index = data.draw(st.integers(0, len(value) - 1))
            value[index] = _mutate(data, value[index], depth + 1)
    return value


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_records_read_as_the_general_reader_reads_them(data: st.DataObject) -> None:
    """Random mutations of the samples give the compiled and the general reader the same
    licence or the same problems (paths, codes, messages), in both views."""
    record = _mutate(data, copy.deepcopy(_SAMPLES[data.draw(st.integers(0, 4))]))
    _assert_same(record, data.draw(st.sampled_from(list(JsonView))))
