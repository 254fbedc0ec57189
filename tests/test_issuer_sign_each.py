"""Issuer.sign_each: many licences signed in one run give what sign gives, one by one."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from qrseal import Issuer
from qrseal.errors import QrsealError, Reason
from qrseal.issuer import Credential
from qrseal.status.reference import ShardScheme
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    DeterministicSigner,
    make_private_key,
    sample_licence,
)


def test_sign_each_same_bytes_and_errors_in_place() -> None:
    """Each pair gets the credential sign gives (byte for byte, with the deterministic test
    signer), and a licence not valid at now the error sign raises, in input order."""
    issuer = Issuer(signer=DeterministicSigner(make_private_key()), issuer=TEST_ISSUER)
    scheme = ShardScheme("https://status.example/{shard}", 1024)
    future = dataclasses.replace(sample_licence(2), points_as_of=FIXED_NOW + timedelta(hours=1))
    pairs = [
        (sample_licence(0), None),
        (future, None),
        (sample_licence(3), scheme.reference(7)),
    ]
    results = issuer.sign_each(pairs, now=FIXED_NOW, valid_for=timedelta(days=3))
    assert len(results) == 3
    error = results[1]
    assert isinstance(error, QrsealError)
    assert error.reason is Reason.INVALID_LICENCE
    for (licence, status), result in zip(pairs[::2], results[::2], strict=True):
        assert isinstance(result, Credential)
        one = issuer.sign(licence, now=FIXED_NOW, valid_for=timedelta(days=3), status=status)
        assert result == one


def test_sign_one_after_another_at_other_times_and_claims() -> None:
    """Calls of sign in a row (which share the work of one time) each carry their own
    times, not-before and cti: the same bytes as a fresh issuer's for each call."""
    from qrseal.wire.cose import decode_sign1
    from qrseal.wire.cwt import decode_claims

    key = make_private_key()
    issuer = Issuer(signer=DeterministicSigner(key), issuer=TEST_ISSUER)
    licence = sample_licence(0)
    calls: list[dict[str, object]] = [
        {},
        {},
        {"valid_for": timedelta(days=3)},
        {"not_before": FIXED_NOW + timedelta(hours=1)},
        {"cti": b"\x01\x02"},
        {"cti": b"\x01\x03"},
        {"now": FIXED_NOW + timedelta(seconds=1)},
        {},
    ]
    for extra in calls:
        args: dict[str, object] = {"now": FIXED_NOW, **extra}
        got = issuer.sign(licence, **args)  # type: ignore[arg-type]
        fresh = Issuer(signer=DeterministicSigner(key), issuer=TEST_ISSUER)
        assert got == fresh.sign(licence, **args)  # type: ignore[arg-type]
        claims = decode_claims(decode_sign1(got.cose).payload)
        assert claims.issued_at == args["now"] and claims.cti == extra.get("cti")
        assert claims.not_before == extra.get("not_before")
