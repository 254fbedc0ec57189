"""The error hierarchy: one base, seven catchable families, one leaf per stable reason code."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from qrseal import errors
from qrseal.errors import (
    FAMILIES,
    Expired,
    InputError,
    InvalidArgument,
    InvalidLicence,
    Malformed,
    MalformedCbor,
    QrsealError,
    Reason,
    SetupError,
    ValidityError,
)


def _error_classes() -> list[type[QrsealError]]:
    return [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, QrsealError) and obj.__module__ == errors.__name__
    ]


def _leaves() -> list[type[QrsealError]]:
    """The classes that own a reason code (a leaf may still have a more specific subclass)."""
    return [
        cls for cls in _error_classes() if "reason" in vars(cls) and cls.reason is not Reason.ERROR
    ]


def test_every_family_is_a_direct_documented_subclass_of_the_base() -> None:
    """Each family derives from QrsealError directly, has a docstring and no reason of its own."""
    assert len(FAMILIES) == len(set(FAMILIES)) == 7
    for family in FAMILIES:
        assert family.__bases__ == (QrsealError,), family
        assert family.__doc__, family
        assert family.reason is Reason.ERROR
        assert family.__name__ in errors.__all__


def test_every_leaf_is_in_exactly_one_family() -> None:
    """No leaf is outside the families, and none is in two."""
    for leaf in _leaves():
        families = [family for family in FAMILIES if issubclass(leaf, family)]
        assert len(families) == 1, (leaf, families)


def test_every_reason_has_exactly_one_leaf() -> None:
    """Each Reason except the base's ERROR is the reason of exactly one class."""
    owners: dict[Reason, list[type[QrsealError]]] = {}
    for leaf in _leaves():
        owners.setdefault(leaf.reason, []).append(leaf)
    assert set(owners) == set(Reason) - {Reason.ERROR}
    for reason, classes in owners.items():
        assert len(classes) == 1, (reason, classes)


def test_every_error_class_is_exported() -> None:
    """errors.__all__ names every error class the module defines."""
    assert {cls.__name__ for cls in _error_classes()} <= set(errors.__all__)


def test_a_family_catches_its_leaves() -> None:
    """`except ValidityError` catches Expired; `except InputError` a Malformed leaf."""
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with pytest.raises(ValidityError) as info:
        raise Expired("expired", expired_at=now, now=now)
    assert info.value.reason is Reason.EXPIRED
    with pytest.raises(InputError) as caught:
        raise MalformedCbor("bad cbor")
    assert isinstance(caught.value, Malformed) and caught.value.reason is Reason.MALFORMED_CBOR


def test_families_keep_the_bases_leaves_had() -> None:
    """Grouping removed no base: the Malformed leaves and the ValueErrors stay what they were."""
    assert issubclass(InvalidArgument, SetupError) and issubclass(InvalidArgument, ValueError)
    assert issubclass(InvalidLicence, InputError) and issubclass(InvalidLicence, ValueError)
    for name in (
        "MalformedText",
        "MalformedCompression",
        "MalformedCbor",
        "MalformedCose",
        "UnknownCriticalHeader",
        "MalformedClaims",
        "MalformedTrustList",
        "StatusListInvalid",
    ):
        assert issubclass(getattr(errors, name), Malformed), name
    assert issubclass(errors.UnknownCriticalHeader, errors.MalformedCose)


def test_reason_codes_are_unchanged() -> None:
    """The released reason strings (a public contract) are all still there, spelled the same."""
    released = {
        "error", "invalid_argument", "too_large", "unsupported_version", "malformed_text",
        "malformed_compression", "malformed_cbor", "malformed_cose", "malformed_claims",
        "unknown_critical_header", "invalid_key", "unknown_key", "algorithm_not_allowed",
        "key_not_valid_at_time", "signature_invalid", "issuer_mismatch", "expired",
        "not_yet_valid", "issued_in_future", "data_too_old", "invalid_licence", "no_qr_found",
        "invalid_image", "presentation_required", "holder_binding_invalid",
        "stale_presentation", "presentation_in_future", "nonce_mismatch", "audience_mismatch",
        "presentation_replayed", "key_revoked", "key_not_authorised", "malformed_trust_list",
        "trust_list_rollback", "trust_list_expired", "trust_list_mismatch",
        "trust_list_missing", "storage_failed", "certificate_invalid",
        "certificate_untrusted", "revoked", "suspended", "status_unavailable",
        "status_list_invalid", "trust_list_sequence_jump", "ambiguous_image",
        "structured_append", "validity_too_long", "fields_withheld",
        # issue 14
        "token_unavailable", "token_login_failed", "token_key_not_found", "token_failed",
        "malformed_record", "batch_mismatch", "duplicate_record",
    }  # fmt: skip
    assert {reason.value for reason in Reason} == released
