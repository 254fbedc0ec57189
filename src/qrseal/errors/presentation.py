"""Live presentations (docs/format.md §10) failing or missing
(:class:`~qrseal.errors.PresentationError`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .base import PresentationError, Reason

__all__ = [
    "AudienceMismatch",
    "FieldsWithheld",
    "HolderBindingInvalid",
    "NonceMismatch",
    "PresentationInFuture",
    "PresentationReplayed",
    "PresentationRequired",
    "StalePresentation",
]


class PresentationRequired(PresentationError):
    """The policy requires a live presentation (``DP1:``) and a static credential was shown."""

    reason = Reason.PRESENTATION_REQUIRED


class HolderBindingInvalid(PresentationError):
    """The device signature of a live presentation does not verify under the device key the
    credential names (``cnf``): made by another key, altered, or the credential is not bound
    to a device key at all (``bound`` is False then)."""

    reason = Reason.HOLDER_BINDING_INVALID

    def __init__(self, message: str, *, bound: bool = True) -> None:
        super().__init__(message)
        self.bound = bound


class StalePresentation(PresentationError):
    """The live presentation is older than the policy allows (a replayed screenshot)."""

    reason = Reason.STALE_PRESENTATION

    def __init__(
        self, message: str, *, presented_at: datetime, now: datetime, max_age: timedelta
    ) -> None:
        super().__init__(message)
        self.presented_at = presented_at
        self.now = now
        self.max_age = max_age


class PresentationInFuture(PresentationError):
    """The live presentation is dated later than now plus the allowed clock skew."""

    reason = Reason.PRESENTATION_IN_FUTURE

    def __init__(self, message: str, *, presented_at: datetime, now: datetime) -> None:
        super().__init__(message)
        self.presented_at = presented_at
        self.now = now


class NonceMismatch(PresentationError):
    """The presentation does not carry the nonce the verifier expects (``actual`` may be None)."""

    reason = Reason.NONCE_MISMATCH

    def __init__(self, message: str, *, expected: bytes | None, actual: bytes | None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class AudienceMismatch(PresentationError):
    """The presentation is addressed to another audience, or to one this verifier does not
    expect, or lacks the audience the verifier requires."""

    reason = Reason.AUDIENCE_MISMATCH

    def __init__(self, message: str, *, expected: str | None, actual: str | None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class PresentationReplayed(PresentationError):
    """The same live presentation (same signed content) was already accepted by this
    verifier's replay cache within its validity window."""

    reason = Reason.PRESENTATION_REPLAYED

    def __init__(self, message: str, *, presented_at: datetime) -> None:
        super().__init__(message)
        self.presented_at = presented_at


class FieldsWithheld(PresentationError):
    """The code shows a view without elements the verifier needs: its policy requires them
    (``Policy(required_fields=...)``), or the caller asked for the whole licence of a
    partial view. ``missing`` names the elements that were not disclosed."""

    reason = Reason.FIELDS_WITHHELD

    def __init__(self, message: str, *, missing: frozenset[str]) -> None:
        super().__init__(message)
        self.missing = missing
