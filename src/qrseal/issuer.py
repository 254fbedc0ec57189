"""Issuer: licence -> signed credential text (licence -> claims -> COSE -> bytes -> text)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from .errors import (
    InputError,
    InvalidArgument,
    LicenceNotIssuable,
    LicenceProblem,
    ValidityError,
)
from .licence.model import Licence
from .licence.profile import DEFAULT_VALIDITY, DL_FORMAT, LICENCE_CLAIM, MAX_VALIDITY
from .licence.rules import describe
from .licence.views import DEFAULT_AGE_THRESHOLDS, View, resolve_view, view_elements
from .status.lists import StatusClaimKey
from .status.reference import StatusReference, encode_status_claim
from .wire.cose import PublicKey, assemble_sign1, protected_header, sig_structure
from .wire.cwt import Claim, Claims, ClaimsWriter, encode_cnf, require_utc, to_numeric_date
from .wire.keys import LocalSigner, PrivateKey, Signer, require_keyword
from .wire.textcodec import pack

__all__ = ["Credential", "Issuer"]


@dataclass(frozen=True, slots=True)
class Credential:
    """One issued credential: its text (what goes in the QR) and the signed COSE bytes.

    ``warnings`` are what makes it less useful than it looks, found before signing
    (:meth:`~qrseal.licence.model.Licence.signing_warnings`): an expired document, status
    letters that forbid driving, 12 points with status ``A``, ..."""

    text: str
    cose: bytes
    issued_at: datetime
    expires_at: datetime
    warnings: tuple[LicenceProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class _Moment:
    """What every credential signed at one ``now`` for one validity shares: checked once
    per :meth:`Issuer.sign` call, or once for all of :meth:`Issuer.sign_each`."""

    now: datetime
    today: date  # the day of ``now`` and of the expiry, for the warnings
    until: date
    issued_at: datetime  # as the credential reports them: whole seconds
    expires_at: datetime
    claims: ClaimsWriter  # iss, iat, exp (and nbf, cti) encoded once


@dataclass(frozen=True, slots=True)
class _Pending:
    """A credential prepared for signing: its warnings and the message to sign."""

    moment: _Moment
    warnings: tuple[LicenceProblem, ...]
    protected: bytes
    payload: bytes
    to_be_signed: bytes


_CNF = int(Claim.CNF)
_AGES: Final = DEFAULT_AGE_THRESHOLDS
_STATUS = int(StatusClaimKey.STATUS)


class Issuer:
    """Signs licences as compact credentials.

    ``signer`` (keyword-only; positional is deprecated) is a :class:`~qrseal.wire.keys.Signer`
    or a private key. ``issuer`` is the CWT ``iss`` value; verifiers check it against the name their trust
    store holds for the signing key. ``fields`` selects the optional licence fields that
    travel in the QR (default: the licence module's QR view); ``compress`` is passed to
    the text layer. It defaults to False: on the QR view of the sample licences zlib saved
    0-14 bytes and never a QR version (docs/format.md); None compresses only when shorter.
    With ``strict``, a licence with warnings (:attr:`Credential.warnings`) is refused
    (:class:`~qrseal.errors.LicenceNotIssuable`) instead of signed.

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
        strict: bool = False,
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
        self._strict = bool(strict)
        self._protected: bytes | None = None  # the signer's protected header, once
        self._last_moment: tuple[tuple[object, ...], _Moment] | None = None

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
        view: str | View | None = None,
        age_thresholds: Iterable[int] = DEFAULT_AGE_THRESHOLDS,
    ) -> Credential:
        """Sign ``licence`` at ``now`` for ``valid_for``; return text and bytes.

        ``view`` (a :class:`~qrseal.licence.views.View` or a built-in name: ``full``,
        ``rental``, ``age``, ``age_over_NN``) signs only that view's elements, the age
        elements computed here at ``now`` for the ``age_thresholds`` attested
        (docs/format.md §17); without it the issuer's ``fields`` travel, as before.

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
        Ed25519) or ``InvalidLicence`` (the licence is not valid at ``now``; with
        ``strict``, :class:`~qrseal.errors.LicenceNotIssuable` when it has warnings).

        The warnings are those a verifier would hold against it on the day of ``now``
        and until the credential expires (dates as the verifier takes them: the UTC date
        of its clock).
        """
        # One entry: calls at one time (a loop over records, sign_views) share the moment.
        key = (now, valid_for, not_before, cti)
        last = self._last_moment
        if last is not None and last[0] == key:
            moment = last[1]
        else:
            moment = self._moment(now, valid_for, not_before, cti)
            self._last_moment = (key, moment)
        pending = self._prepare(licence, moment, holder_key, status, view, age_thresholds)
        return self._finish(pending, self._signer.sign(pending.to_be_signed))

    def sign_each(
        self,
        requests: Iterable[tuple[Licence, StatusReference | None]],
        *,
        now: datetime,
        valid_for: timedelta = DEFAULT_VALIDITY,
    ) -> list[Credential | InputError | ValidityError]:
        """:meth:`sign` for many ``(licence, status)`` pairs at ``now``, in order: each
        pair's credential, or the input or validity error :meth:`sign` would raise for it
        (any other error is raised). Same bytes as :meth:`sign`, faster: every message is
        built first, then all are signed in one run (the signer's tables stay in the CPU
        cache), then the credentials are assembled."""
        moment: _Moment | None = None
        items: list[_Pending | InputError | ValidityError] = []
        for licence, status in requests:
            if moment is None:  # at the first pair, as sign would check it
                moment = self._moment(now, valid_for, None, None)
            try:
                pending = self._prepare(licence, moment, None, status, None, _AGES)
            except (InputError, ValidityError) as exc:
                items.append(exc)
                continue
            items.append(pending)
        sign = self._signer.sign
        signatures = [
            sign(item.to_be_signed) if isinstance(item, _Pending) else b"" for item in items
        ]
        out: list[Credential | InputError | ValidityError] = []
        for item, signature in zip(items, signatures, strict=True):
            if isinstance(item, _Pending):
                try:
                    out.append(self._finish(item, signature))
                except (InputError, ValidityError) as exc:  # e.g. too large for the text
                    out.append(exc)
            else:
                out.append(item)
        return out

    def _moment(
        self,
        now: datetime,
        valid_for: timedelta,
        not_before: datetime | None,
        cti: bytes | None,
    ) -> _Moment:
        """The checks of :meth:`sign` on its times, and what they give every credential."""
        now = require_utc(now)
        if not timedelta(0) < valid_for <= MAX_VALIDITY:
            raise InvalidArgument(
                f"a credential must be valid for more than 0 and at most {MAX_VALIDITY.days} "
                f"days (asked: {valid_for})"
            )
        expires = now + valid_for
        # Verifiers refuse nbf >= exp (cwt.check_times), compared in whole seconds as encoded.
        if not_before is not None and to_numeric_date(not_before, "not_before") >= (
            to_numeric_date(expires)
        ):
            raise InvalidArgument("not_before must be before the expiry (now + valid_for)")
        shared = Claims(
            issuer=self._issuer,
            issued_at=now,
            expires_at=expires,
            not_before=not_before,
            cti=cti,
        )
        return _Moment(
            now,
            now.date(),
            expires.date(),
            now.replace(microsecond=0),
            expires.replace(microsecond=0),
            ClaimsWriter(shared),
        )

    def _prepare(
        self,
        licence: Licence,
        moment: _Moment,
        holder_key: PublicKey | None,
        status: StatusReference | None,
        view: str | View | None,
        age_thresholds: Iterable[int],
    ) -> _Pending:
        """Everything of :meth:`sign` before the signature: checks, warnings, claims."""
        now = moment.now
        licence.check_at(now)
        warnings = licence.signing_warnings(moment.today, until=moment.until)
        if warnings and self._strict:
            message = f"refused (strict): {describe(warnings)}"
            raise LicenceNotIssuable(message, field=warnings[0].field, problems=warnings)
        # Both come in deterministic key order.
        elements = (
            licence.to_cbor_map(self._fields)
            if view is None
            else view_elements(licence, view, now=now, thresholds=age_thresholds)
        )
        if not elements:
            raise InvalidArgument(f"the licence holds none of the elements of view {view!r}")
        extra: dict[int, object] = {LICENCE_CLAIM: elements}
        if holder_key is not None:
            extra[_CNF] = encode_cnf(holder_key)  # built in deterministic key order
        if status is not None:
            if not isinstance(status, StatusReference):
                raise InvalidArgument("status must be a StatusReference")
            extra[_STATUS] = encode_status_claim(status)  # built in deterministic key order
        # The licence map and its sub-maps are written in key order (unsigned int keys, whose
        # numeric order is their bytewise order; a test re-encodes every sample to check), so
        # only the claims' own keys need sorting for RFC 8949 §4.2.1 encoding.
        payload = moment.claims.encode(extra)
        signer = self._signer
        protected = self._protected
        if protected is None:
            protected = self._protected = protected_header(signer.algorithm, signer.kid)
        to_be_signed = sig_structure(protected, payload)
        return _Pending(moment, warnings, protected, payload, to_be_signed)

    def _finish(self, pending: _Pending, signature: bytes) -> Credential:
        """The credential of a prepared message and its signature."""
        cose = assemble_sign1(pending.protected, pending.payload, signature)
        text = pack(cose, DL_FORMAT, compress=self._compress)
        moment = pending.moment
        return Credential(text, cose, moment.issued_at, moment.expires_at, pending.warnings)

    def sign_views(
        self,
        licence: Licence,
        *,
        now: datetime,
        holder_key: PublicKey,
        views: Iterable[str | View] = ("full", "rental", "age"),
        valid_for: timedelta = DEFAULT_VALIDITY,
        not_before: datetime | None = None,
        status: StatusReference | None = None,
        age_thresholds: Iterable[int] = DEFAULT_AGE_THRESHOLDS,
    ) -> Mapping[str, Credential]:
        """One credential per view, each bound to ``holder_key``, by view name: what a
        holder's wallet keeps (:class:`~qrseal.holder.Holder` takes the mapping) to show
        each verifier only the view it needs (docs/format.md §17). Raises as :meth:`sign`,
        and ``InvalidArgument`` for two views of one name."""
        thresholds = tuple(age_thresholds)
        out: dict[str, Credential] = {}
        for item in views:
            resolved = resolve_view(item)
            if resolved.name in out:
                raise InvalidArgument(f"two views named {resolved.name!r}")
            out[resolved.name] = self.sign(
                licence,
                now=now,
                valid_for=valid_for,
                not_before=not_before,
                holder_key=holder_key,
                status=status,
                view=resolved,
                age_thresholds=thresholds,
            )
        return out

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

    @property
    def strict(self) -> bool:
        """Whether a licence with warnings is refused rather than signed."""
        return self._strict
