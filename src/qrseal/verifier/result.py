"""What a verifier returns: :class:`VerifiedLicence`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import (
    FieldsWithheld,
    LicenceProblem,
)
from ..licence.model import Licence
from ..licence.views import Disclosure
from ..licence.writers import write_json_fields
from ..status.check import status_json, status_warning
from ..status.snapshots import StatusResult
from ..wire.algorithms import Algorithm, spec
from ..wire.cwt import Claim, Claims
from ..wire.presentation import (
    LivePresentation,
    PresentationKind,
)

if TYPE_CHECKING:
    pass


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class VerifiedLicence:
    """A licence whose credential verified. ``data_age`` is how old the points/status
    data was at ``verified_at`` (from ``points_as_of``, else the signing time).

    ``presentation`` says what was shown: ``live`` (a device-signed ``DP1`` code; ``live``
    holds its evidence: time, age, device key, nonce, audience) or ``static`` (a ``DL1``
    credential: a screenshot is as good as the phone; ``live``, ``presented_at`` and
    ``presentation_age`` are None). ``holder_bound`` says whether the credential names a
    device key.

    ``status`` is the credential's status as the verifier's snapshot states it (value,
    meaning, snapshot age, ``stale``); None when the verifier holds no status store or the
    credential carries no status reference. A credential accepted without a fresh snapshot
    (``Policy(status_unavailable=WhenUnavailable.WARN)``) has ``status.stale`` set and a
    ``status_unavailable`` entry in :meth:`warnings`.
    """

    disclosure: Disclosure
    issuer: str
    kid: bytes
    algorithm: Algorithm
    issued_at: datetime
    expires_at: datetime
    data_as_of: datetime
    data_age: timedelta
    verified_at: datetime
    claims: Claims = field(repr=False)
    # One field, not five: the static path builds this object on every call.
    live: LivePresentation | None = None
    status: StatusResult | None = None

    @property
    def licence(self) -> Licence:
        """The whole licence. Raises ``FieldsWithheld`` (``missing``: the required fields not
        shown) for a code that shows a partial view (docs/format.md §17): read
        :attr:`elements` then, or require the fields in the policy."""
        licence = self.disclosure.licence
        if licence is None:
            raise FieldsWithheld(
                "the code shows a partial view, not the whole licence",
                missing=self.disclosure.withheld,
            )
        return licence

    @property
    def elements(self) -> Mapping[str, object]:
        """The data elements the code shows, by name (licence fields as in
        :class:`Licence`, ``age_over_NN`` bools, ``age_in_years``, ``age_birth_year``)."""
        return self.disclosure.elements

    @property
    def disclosed(self) -> frozenset[str]:
        """The names of the elements the code shows."""
        return self.disclosure.disclosed

    @property
    def withheld(self) -> frozenset[str]:
        """The elements every licence holds that this code does not show (empty for a whole
        licence). Whether optional elements exist is not revealed."""
        return self.disclosure.withheld

    @property
    def is_partial(self) -> bool:
        """Whether the code shows a partial view rather than the whole licence."""
        return self.disclosure.licence is None

    @property
    def presentation(self) -> PresentationKind:
        """``live`` for a verified ``DP1`` presentation, ``static`` for a ``DL1`` credential."""
        return PresentationKind.STATIC if self.live is None else PresentationKind.LIVE

    @property
    def presented_at(self) -> datetime | None:
        """When the device signed the live code (its clock, whole seconds); None if static."""
        return None if self.live is None else self.live.presented_at

    @property
    def presentation_age(self) -> timedelta | None:
        """``verified_at`` minus ``presented_at`` (negative when the code is dated slightly
        ahead of this verifier's clock); None if static."""
        return None if self.live is None else self.live.age

    @property
    def holder_bound(self) -> bool:
        """Whether the credential is bound to a device key (carries ``cnf``)."""
        return Claim.CNF in self.claims.extra

    def warnings(self) -> tuple[LicenceProblem, ...]:
        """Non-fatal findings about the licence data at verification time, and a
        ``status_unavailable`` finding (field ``credential_status``) when the credential was
        accepted without a fresh status snapshot."""
        licence = self.disclosure.licence
        found = () if licence is None else licence.warnings(self.verified_at.date())
        status = self.status
        if status is not None and status.stale:
            found = (*found, status_warning(status))
        return found

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the CLI's ``--json`` output)."""
        today = self.verified_at.date()
        return {
            "valid": True,
            "issuer": self.issuer,
            "kid": self.kid.hex(),
            "algorithm": spec(self.algorithm).name,
            "issued_at": _iso(self.issued_at),
            "expires_at": _iso(self.expires_at),
            "data_as_of": _iso(self.data_as_of),
            "data_age_seconds": int(self.data_age.total_seconds()),
            "presentation": self.presentation.value,
            "presented_at": None if self.presented_at is None else _iso(self.presented_at),
            "presentation_age_seconds": (
                None
                if self.presentation_age is None
                else int(self.presentation_age.total_seconds())
            ),
            "holder_bound": self.holder_bound,
            "status": None if self.status is None else status_json(self.status),
            "drive_permitted": None
            if self.is_partial
            else self.licence.drive_permitted(today).value,
            "licence": write_json_fields(self.elements)
            if self.is_partial
            else self.licence.to_json(),
            "disclosed": sorted(self.disclosed),
            "withheld": sorted(self.withheld),
            "warnings": [
                {"field": w.field, "code": w.code, "message": w.message} for w in self.warnings()
            ],
        }
