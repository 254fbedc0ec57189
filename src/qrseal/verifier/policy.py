"""What a verifier accepts: :class:`Policy`, an immutable value passed to a :class:`~qrseal.verifier.Verifier`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from ..errors import (
    InvalidArgument,
)
from ..licence.profile import (
    DEFAULT_ALGORITHMS,
    DEFAULT_MAX_PRESENTATION_AGE,
    DEFAULT_MAX_PRESENTATION_SKEW,
    MAX_VALIDITY,
)
from ..licence.views import View
from ..status.snapshots import WhenUnavailable
from ..wire.algorithms import Algorithm
from ..wire.cose import (
    MAX_COSE_BYTES,
)
from ..wire.cwt import require_leeway
from ..wire.presentation import (
    check_audience,
    check_nonce,
)
from ..wire.textcodec import MAX_TEXT_CHARS

if TYPE_CHECKING:
    pass


@dataclass(frozen=True, slots=True)
class Policy:
    """What a verifier accepts. Immutable; make variants with ``dataclasses.replace``.

    ``clock_skew`` is the leeway applied to ``iat``, ``nbf`` and ``exp``;
    ``max_validity`` (default :data:`~qrseal.licence.profile.MAX_VALIDITY`, 366 days, the longest
    validity the issuer signs) caps a credential's lifetime ``exp - iat``
    (``validity_too_long``), so that a key signing just before its retirement cannot make a
    credential accepted for years; ``max_data_age`` (optional) caps how old the licence data
    (``points_as_of``, else ``iat``) may be at verification time.

    Live presentations (docs/format.md §10): ``require_live`` refuses static credentials
    (``presentation_required``); ``max_presentation_age`` (60 s) and
    ``max_presentation_skew`` (30 s, how far a code may be dated ahead of this clock) bound
    the presentation time; ``expected_nonce`` (8-64 bytes) and ``expected_audience``, when
    set, must be what the presentation carries. A presentation addressed to an audience is
    refused unless the policy expects exactly that audience. A policy that expects a nonce
    or an audience requires a live code, whatever ``require_live`` says: a static
    credential cannot answer a challenge (:attr:`live_required`). ``allowed_algorithms``
    also applies to the device signature.

    Status lists (docs/format.md §15), used when the verifier holds a status store
    (``Verifier(..., status=...)``): ``max_status_age`` (optional) is the oldest snapshot
    (``now`` minus the list's ``iat``) that counts as fresh; ``status_unavailable`` decides
    what happens when no fresh snapshot covers a credential: ``WhenUnavailable.REJECT``
    (the default: reject, ``status_unavailable``) or ``WhenUnavailable.WARN`` (accept, with
    a warning in the result). A list that says revoked or suspended is obeyed even when
    stale. ``require_status`` also rejects credentials that carry no status reference.

    Disclosure views (docs/format.md §17): ``required_fields`` (element names: licence
    fields, ``age_over_NN``, ``age_in_years``, ``age_birth_year``) refuses a code whose view
    does not show every one of them (``fields_withheld``); None (the default) accepts any
    view, and the result says what was shown and withheld.
    """

    allowed_algorithms: frozenset[Algorithm] = DEFAULT_ALGORITHMS
    clock_skew: timedelta = timedelta(seconds=60)
    max_text_chars: int = MAX_TEXT_CHARS
    max_cose_bytes: int = MAX_COSE_BYTES
    max_data_age: timedelta | None = None
    require_live: bool = False
    max_presentation_age: timedelta = DEFAULT_MAX_PRESENTATION_AGE
    max_presentation_skew: timedelta = DEFAULT_MAX_PRESENTATION_SKEW
    expected_nonce: bytes | None = None
    expected_audience: str | None = None
    max_status_age: timedelta | None = None
    status_unavailable: WhenUnavailable = WhenUnavailable.REJECT
    require_status: bool = False
    max_validity: timedelta = MAX_VALIDITY  # issue 9: verifier policy
    required_fields: frozenset[str] | None = None  # issue 13: disclosure views

    def __post_init__(self) -> None:
        require_leeway(self.clock_skew, "clock_skew")
        if not isinstance(self.max_validity, timedelta) or self.max_validity <= timedelta(0):
            raise InvalidArgument("max_validity must be a positive timedelta")
        require_leeway(self.max_presentation_age, "max_presentation_age")
        require_leeway(self.max_presentation_skew, "max_presentation_skew")
        if self.expected_nonce is not None:
            check_nonce(self.expected_nonce, "expected_nonce")
        if self.expected_audience is not None:
            check_audience(self.expected_audience, "expected_audience")
        if self.max_text_chars <= 0 or self.max_cose_bytes <= 0:
            raise InvalidArgument("size caps must be positive")
        if not self.allowed_algorithms:
            raise InvalidArgument("allowed_algorithms must not be empty")
        if self.max_status_age is not None and self.max_status_age < timedelta(0):
            raise InvalidArgument("max_status_age must not be negative")
        if not isinstance(self.status_unavailable, WhenUnavailable):
            raise InvalidArgument("status_unavailable must be a WhenUnavailable value")
        if self.required_fields is not None:
            View("required", self.required_fields)  # checks the element names

    @property
    def live_required(self) -> bool:
        """Whether only live codes (``DP1``) are accepted: ``require_live``, or a nonce or an
        audience is expected (a verifier that sends a challenge must get an answer to it, not
        a screenshot of a static credential)."""
        return (
            self.require_live
            or self.expected_nonce is not None
            or self.expected_audience is not None
        )
