"""Warn before signing something useless: the issuer reports what a verifier will hold
against a credential (by the same rule the verifier shows, drive_permitted), and a strict
issuer refuses it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from qrseal.errors import InvalidArgument, InvalidLicence, LicenceNotIssuable, Reason
from qrseal.issuer import Issuer
from qrseal.licence.china import DrivePermitted
from qrseal.licence.fields import Problem
from qrseal.licence.model import Licence
from qrseal.testing import FIXED_NOW, make_issuer, make_signer, make_verifier, sample_licence_json


def _licence(index: int = 0, **changes: Any) -> Licence:
    return Licence.from_json(sample_licence_json(index) | changes)


def _codes(licence: Licence, *, valid_for: timedelta = timedelta(hours=72)) -> set[str]:
    issuer = Issuer(signer=make_signer(), issuer="CN-SC")
    return {w.code for w in issuer.sign(licence, now=FIXED_NOW, valid_for=valid_for).warnings}


def test_a_plain_sample_signs_without_warnings() -> None:
    """A current licence with status A and few points has no warnings."""
    assert _codes(_licence(0)) == set()


def test_expired_document_warns_and_the_verifier_says_no() -> None:
    """An expired licence warns document_expired, and its verified credential says "no"."""
    licence = _licence(0, expiry_date="2026-11-24", validity_term="other")
    assert Problem.DOCUMENT_EXPIRED in _codes(licence)
    text = make_issuer().issue(licence, now=FIXED_NOW)
    assert make_verifier().verify(text, now=FIXED_NOW).to_json()["drive_permitted"] == "no"


def test_status_that_forbids_driving_warns() -> None:
    """Sample 2 (status BD) warns drive_not_permitted, naming the letters."""
    issuer = Issuer(signer=make_signer(), issuer="CN-SC")
    warnings = issuer.sign(_licence(2), now=FIXED_NOW).warnings
    found = [w for w in warnings if w.code == Problem.DRIVE_NOT_PERMITTED]
    assert len(found) == 1 and found[0].field == "status" and "BD" in found[0].message


def test_status_that_needs_a_look_up_warns_check() -> None:
    """A status whose verdict is "check" (C: record transferred) warns drive_check."""
    licence = _licence(0, status="C")
    assert licence.drive_permitted(FIXED_NOW.date()) is DrivePermitted.CHECK
    assert _codes(licence) == {Problem.DRIVE_CHECK}


def test_twelve_points_with_status_a_warns() -> None:
    """12 points with status A warns points_status (the licence's own warning rule)."""
    assert Problem.POINTS_STATUS in _codes(_licence(0, points=12))


def test_document_expiring_before_the_credential_warns() -> None:
    """A document that expires while the credential is still valid warns."""
    licence = _licence(0, expiry_date="2026-11-26", validity_term="other")
    assert Problem.EXPIRES_BEFORE_CREDENTIAL not in _codes(licence, valid_for=timedelta(hours=24))
    assert Problem.EXPIRES_BEFORE_CREDENTIAL in _codes(licence, valid_for=timedelta(days=3))


def test_signing_warnings_follow_drive_permitted_on_every_sample() -> None:
    """For each sample and status letter, a warning about the verdict appears exactly when
    drive_permitted (the verifier's rule) is not "yes"."""
    on = FIXED_NOW.date()
    verdict_codes = {Problem.DRIVE_NOT_PERMITTED, Problem.DRIVE_CHECK, Problem.DOCUMENT_EXPIRED}
    for index in range(5):
        for status in ("A", "B", "C", "H", "K", "Z", "HI"):
            licence = _licence(index, status=status)
            codes = {w.code for w in licence.signing_warnings(on)}
            permitted = licence.drive_permitted(on) is DrivePermitted.YES
            assert bool(codes & verdict_codes) is not permitted, (index, status)


def test_strict_issuer_refuses_with_the_warnings() -> None:
    """Issuer(strict=True) raises LicenceNotIssuable (reason invalid_licence) listing them."""
    issuer = Issuer(signer=make_signer(), issuer="CN-SC", strict=True)
    assert issuer.strict
    with pytest.raises(LicenceNotIssuable) as caught:
        issuer.sign(_licence(2), now=FIXED_NOW)
    exc = caught.value
    assert isinstance(exc, InvalidLicence) and exc.reason is Reason.INVALID_LICENCE
    assert Problem.DRIVE_NOT_PERMITTED in {p.code for p in exc.problems}
    assert issuer.sign(_licence(0), now=FIXED_NOW).warnings == ()


def test_signing_warnings_want_dates() -> None:
    """signing_warnings takes dates; a datetime is the caller's mistake."""
    licence = _licence(0)
    assert licence.signing_warnings(date(2026, 11, 25), until=date(2026, 11, 28)) == ()
    with pytest.raises(InvalidArgument):
        licence.signing_warnings(date(2026, 11, 25), until=FIXED_NOW)
