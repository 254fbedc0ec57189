"""The example records of examples/records/: the valid ones issue and verify, the one with
mistakes gives every expected problem at once, and the licence JSON of every verified
sample is acceptable input again (round trip)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qrseal.errors import InvalidLicence, Reason
from qrseal.licence.fields import JsonView, Problem
from qrseal.licence.model import Licence
from qrseal.testing import FIXED_NOW, make_issuer, make_verifier, sample_licence_json

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "examples" / "records"
VALID = sorted(p for p in RECORDS.glob("*.json") if p.name != "mistakes.json")


def _load(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return record


def test_the_five_samples_ship_as_records() -> None:
    """examples/records holds the five sample licences, each equal to the package's sample."""
    assert len(VALID) == 5
    for index, path in enumerate(VALID):
        assert _load(path) == sample_licence_json(index), path.name


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_record_issues_and_verifies(path: Path) -> None:
    """Each valid record loads, is signed, and verifies to the same licence data."""
    licence = Licence.from_json(_load(path))
    text = make_issuer().issue(licence, now=FIXED_NOW)
    verified = make_verifier().verify(text, now=FIXED_NOW)
    assert verified.licence.document_number == licence.document_number
    assert verified.licence.to_cbor_map() == licence.to_cbor_map()


def test_mistakes_record_gives_every_expected_problem() -> None:
    """The record with typical mistakes is refused with exactly its expected problems."""
    record = _load(RECORDS / "mistakes.json")
    expected = {(field, Problem(code)) for field, code in record["_expected_problems"]}
    with pytest.raises(InvalidLicence) as caught:
        Licence.from_json(record)
    exc = caught.value
    assert exc.reason is Reason.INVALID_LICENCE
    assert {(p.field, p.code) for p in exc.problems} == expected
    assert len(exc.problems) == len(expected)


@pytest.mark.parametrize("index", range(5))
def test_verified_qr_view_json_is_input_again(index: int) -> None:
    """The licence JSON of a verified credential (verify --json) loads as the QR view and
    gives back the same licence; the record view names what the QR left out."""
    licence = Licence.from_json(sample_licence_json(index))
    text = make_issuer().issue(licence, now=FIXED_NOW)
    verified = make_verifier().verify(text, now=FIXED_NOW)
    exported = json.loads(json.dumps(verified.to_json()["licence"], ensure_ascii=False))
    again = Licence.from_json(exported, view=JsonView.QR)
    assert again == verified.licence
    assert again.to_cbor_map() == licence.to_cbor_map()
    assert Licence.from_json(json.dumps(exported), view=JsonView.QR) == again
    with pytest.raises(InvalidLicence) as caught:
        Licence.from_json(exported)
    assert {p.code for p in caught.value.problems} == {Problem.REQUIRED}
    assert {p.field for p in caught.value.problems} == {
        "issuing_authority",
        "issuing_authority_national_character",
    }
