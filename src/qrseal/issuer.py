"""Issuer: licence -> signed credential text (licence -> claims -> COSE -> bytes -> text)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import InvalidArgument
from .licence.model import Licence
from .licence.profile import DEFAULT_VALIDITY, DL_FORMAT, LICENCE_CLAIM, MAX_VALIDITY
from .status.lists import StatusClaimKey
from .status.reference import StatusReference, encode_status_claim
from .wire.cose import PublicKey, encode_sign1
from .wire.cwt import Claim, Claims, encode_claims, encode_cnf, require_utc, to_numeric_date
from .wire.keys import LocalSigner, PrivateKey, Signer, require_keyword
from .wire.textcodec import pack

__all__ = ["Credential", "Issuer"]


@dataclass(frozen=True, slots=True)
class Credential:
    """One issued credential: its text (what goes in the QR) and the signed COSE bytes."""

    text: str
    cose: bytes
    issued_at: datetime
    expires_at: datetime


_CNF = int(Claim.CNF)
_STATUS = int(StatusClaimKey.STATUS)


def _sorted_top(mapping: dict[int, object]) -> dict[int, object]:
    return {key: mapping[key] for key in sorted(mapping)}


class Issuer:
    """Signs licences as compact credentials.

    ``signer`` (keyword-only; positional is deprecated) is a :class:`~qrseal.wire.keys.Signer`
    or a private key. ``issuer`` is the CWT ``iss`` value; verifiers check it against the name their trust
    store holds for the signing key. ``fields`` selects the optional licence fields that
    travel in the QR (default: the licence module's QR view); ``compress`` is passed to
    the text layer. It defaults to False: on the QR view of the sample licences zlib saved
    0-14 bytes and never a QR version (docs/format.md); None compresses only when shorter.

    >>> from qrseal.testing import FIXED_NOW, make_signer, sample_licence
    >>> issuer = Issuer(signer=make_signer(), issuer="CN-SC")
    >>> issuer.issue(sample_licence(0), now=FIXED_NOW).startswith("DL1:")
    True
    """

    def __init__(
        self,
        _signer: Signer | PrivateKey | None = None,
        /,
        *,
        signer: Signer | PrivateKey | None = None,
        issuer: str,
        fields: Iterable[str] | None = None,
        compress: bool | None = False,
    ) -> None:
        require_keyword(_signer, signer, name="signer", owner="Issuer")
        signer = signer if signer is not None else _signer
        if signer is None:
            raise InvalidArgument("Issuer needs signer=")
        if not isinstance(signer, Signer):
            signer = LocalSigner(signer)
        if not issuer:
            raise InvalidArgument("issuer must be a non-empty string")
        self._signer = signer
        self._issuer = issuer
        self._fields = frozenset(fields) if fields is not None else None
        self._compress = compress

    @property
    def signer(self) -> Signer:
        return self._signer

    @property
    def issuer(self) -> str:
        return self._issuer

    def sign(
        self,
        licence: Licence,
        *,
        now: datetime,
        valid_for: timedelta = DEFAULT_VALIDITY,
        not_before: datetime | None = None,
        cti: bytes | None = None,
        holder_key: PublicKey | None = None,
        status: StatusReference | None = None,
    ) -> Credential:
        """Sign ``licence`` at ``now`` for ``valid_for``; return text and bytes.

        ``holder_key`` binds the credential to the holder's device public key (the ``cnf``
        claim, RFC 8747): only presentations signed by that key are then accepted as live
        (docs/format.md §10). The issuer never needs the device's private key; it should
        receive the public key over an authenticated channel with proof of possession.

        ``status`` adds the status claim (65535, docs/format.md §15.7): the entry of a
        Token Status List where the issuer can later mark the credential revoked or
        suspended (:class:`~qrseal.status.reference.ShardScheme` computes it from a global index).

        Raises ``InvalidArgument`` (naive ``now``, validity outside (0, MAX_VALIDITY],
        ``not_before`` not before the expiry, a private key as ``holder_key``, ``status``
        not a ``StatusReference``), ``InvalidKey`` (a holder key other than P-256 or
        Ed25519) or ``InvalidLicence`` (the licence is not valid at ``now``).
        """
        now = require_utc(now)
        if not timedelta(0) < valid_for <= MAX_VALIDITY:
            raise InvalidArgument(
                f"a credential must be valid for more than 0 and at most {MAX_VALIDITY.days} "
                f"days (asked: {valid_for})"
            )
        # Verifiers refuse nbf >= exp (cwt.check_times), compared in whole seconds as encoded.
        if not_before is not None and to_numeric_date(not_before, "not_before") >= (
            to_numeric_date(now + valid_for)
        ):
            raise InvalidArgument("not_before must be before the expiry (now + valid_for)")
        licence.check_at(now)
        extra: dict[int, object] = {LICENCE_CLAIM: _sorted_top(licence.to_cbor_map(self._fields))}
        if holder_key is not None:
            extra[_CNF] = encode_cnf(holder_key)  # built in deterministic key order
        if status is not None:
            if not isinstance(status, StatusReference):
                raise InvalidArgument("status must be a StatusReference")
            extra[_STATUS] = encode_status_claim(status)  # built in deterministic key order
        claims = Claims(
            issuer=self._issuer,
            issued_at=now,
            expires_at=now + valid_for,
            not_before=not_before,
            cti=cti,
            extra=extra,
        )
        # The licence map's keys are unsigned ints, whose numeric order is their bytewise
        # order, and its sub-maps are built in key order (a test re-encodes every sample to
        # check), so sorting the top level is enough for RFC 8949 §4.2.1 encoding.
        payload = encode_claims(claims, sort_extra=False)
        signer = self._signer
        cose = encode_sign1(payload, alg=signer.algorithm, kid=signer.kid, sign=signer.sign)
        text = pack(cose, DL_FORMAT, compress=self._compress)
        return Credential(
            text,
            cose,
            claims.issued_at.replace(microsecond=0),
            claims.expires_at.replace(microsecond=0),
        )

    def issue(
        self,
        licence: Licence,
        *,
        now: datetime,
        valid_for: timedelta = DEFAULT_VALIDITY,
        not_before: datetime | None = None,
        cti: bytes | None = None,
        holder_key: PublicKey | None = None,
        status: StatusReference | None = None,
    ) -> str:
        """Sign ``licence`` and return the credential text for the QR code (``DL1:...``)."""
        return self.sign(
            licence,
            now=now,
            valid_for=valid_for,
            not_before=not_before,
            cti=cti,
            holder_key=holder_key,
            status=status,
        ).text

    def __repr__(self) -> str:
        return f"Issuer(issuer={self._issuer!r}, signer={self._signer!r})"
