"""Verifier: credential text or QR image -> :class:`VerifiedLicence`, offline.

Checks run in a fixed order, each on the output of the one before, and the first
failure raises its typed error: size caps -> prefix/version -> text decode -> bounded
inflate -> strict CBOR -> COSE structure -> key lookup and algorithm -> signature -> for
a trust-list key flagged compromised, ``key_revoked`` -> claims (only now is the payload
decoded) -> key window, or for a trust-list key its state at ``iat`` (revoked, retired) ->
issuer -> time -> licence validation -> for a trust-list
key its scope (jurisdiction, credential type, classes) -> data age -> with a status store,
the credential's status (docs/format.md §6).

A live presentation (``DP1:``, docs/format.md §10) runs the same steps on the credential it
carries, then checks the holder binding: the device key from the verified ``cnf`` claim ->
the device signature -> the proof's claims (only now decoded) -> presentation time -> nonce
and audience -> the optional replay cache.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from .errors import (
    AlgorithmNotAllowed,
    AmbiguousImage,
    DataTooOld,
    HolderBindingInvalid,
    InvalidArgument,
    IssuerMismatch,
    KeyNotValidAtTime,
    LicenceProblem,
    MalformedCbor,
    MalformedClaims,
    MalformedCose,
    MalformedText,
    PresentationRequired,
    QrsealError,
    TooLarge,
)
from .licence.model import Licence
from .licence.profile import (
    CREDENTIAL_HEADER_LABELS,
    DEFAULT_ALGORITHMS,
    DEFAULT_MAX_PRESENTATION_AGE,
    DEFAULT_MAX_PRESENTATION_SKEW,
    DEVICE_ALGORITHMS,
    DL_FORMAT,
    DP_FORMAT,
    LICENCE_CLAIM,
    MAX_VALIDITY,
)
from .status.check import StatusChecker, status_json, status_warning
from .status.snapshots import StatusResult, StatusSnapshots, WhenUnavailable
from .trust.lists import DRIVING_LICENCE, check_entry_scope, check_entry_state
from .trust.store import TrustedKey, TrustStore
from .wire.algorithms import Algorithm, PublicKey
from .wire.cose import (
    MAX_COSE_BYTES,
    HeaderLabel,
    Sign1,
    decode_sign1,
    verify_with_candidates,
)
from .wire.cwt import Claim, Claims, check_times, decode_claims, decode_cnf, require_utc
from .wire.presentation import (
    LivePresentation,
    PresentationKind,
    ProofClaims,
    ReplayCache,
    check_audience,
    check_challenge,
    check_nonce,
    check_presentation_time,
    decode_presentation,
    decode_proof_claims,
    verify_proof,
)
from .wire.textcodec import MAX_TEXT_CHARS, peek_header, unpack

if TYPE_CHECKING:
    import numpy.typing as npt
    from PIL import Image

__all__ = [
    "Policy",
    "TrustStore",
    "TrustedKey",
    "UnverifiedCredential",
    "VerifiedLicence",
    "Verifier",
    "inspect_unverified",
]


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

    def __post_init__(self) -> None:
        if self.clock_skew < timedelta(0):
            raise InvalidArgument("clock_skew must not be negative")
        if not isinstance(self.max_validity, timedelta) or self.max_validity <= timedelta(0):
            raise InvalidArgument("max_validity must be a positive timedelta")
        if self.max_presentation_age < timedelta(0) or self.max_presentation_skew < timedelta(0):
            raise InvalidArgument(
                "max_presentation_age and max_presentation_skew must not be negative"
            )
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

    licence: Licence
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
        return _CNF in self.claims.extra

    def warnings(self) -> tuple[LicenceProblem, ...]:
        """Non-fatal findings about the licence data at verification time, and a
        ``status_unavailable`` finding (field ``credential_status``) when the credential was
        accepted without a fresh status snapshot."""
        found = self.licence.warnings(self.verified_at.date())
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
            "algorithm": self.algorithm.name,
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
            "drive_permitted": self.licence.drive_permitted(today).value,
            "licence": self.licence.to_json(),
            "warnings": [
                {"field": w.field, "code": w.code, "message": w.message} for w in self.warnings()
            ],
        }


_CNF = int(Claim.CNF)
_KID = int(HeaderLabel.KID)


def _public_key(key: TrustedKey) -> PublicKey:
    return key.public_key


def _registered_algorithm(key: TrustedKey) -> Algorithm:
    return key.algorithm


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_text(text: str | bytes, max_chars: int) -> str:
    if isinstance(text, bytes | str) and len(text) > max_chars:
        raise TooLarge(
            f"credential text of {len(text)} characters exceeds the cap",
            what="text",
            limit=max_chars,
        )
    if isinstance(text, bytes):
        try:
            return text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedText("credential text is not ASCII") from exc
    if not isinstance(text, str):
        raise InvalidArgument("credential text must be str or bytes")
    return text


_FORMATS: Final = (DL_FORMAT, DP_FORMAT)


def _decode_credential(data: bytes, policy: Policy) -> Sign1:
    """The credential's envelope, strictly (docs/format.md §2, §4): deterministic encoding,
    exactly ``alg`` and ``kid`` protected, nothing unprotected."""
    return decode_sign1(
        data, max_bytes=policy.max_cose_bytes, protected_labels=CREDENTIAL_HEADER_LABELS
    )


class Verifier:
    """Verifies driving-licence credentials against a :class:`TrustStore`, offline.

    ``verify`` returns a :class:`VerifiedLicence` or raises a :class:`QrsealError`
    whose ``reason`` says why; it never returns a "not valid" value. It reads static
    credentials (``DL1:``) and live presentations (``DP1:``) and says which it saw.

    Keys from a trust list (:meth:`qrseal.trust.lists.TrustList.to_trust_store`) carry their
    entries, and the verifier enforces them: ``key_revoked``, ``key_not_valid_at_time``,
    ``key_not_authorised`` (docs/format.md §14.4). A store built from a trust list also
    carries the list's validity: past it, ``verify`` refuses everything
    (``trust_list_expired``, or ``key_not_valid_at_time`` once the list's root ended).

    ``status`` (optional) holds verified status list snapshots (docs/format.md §15): a
    credential that carries a status reference is then looked up after every other check
    passed, revoked and suspended ones are refused, and the result states the status and the
    snapshot's age; ``Policy`` decides about missing or stale snapshots. A list counts for a
    credential only if the key that verified it (``VerifiedStatusList.signer``) is a key of
    the credential's issuer that this trust store holds and lets sign at the list's ``iat``;
    another issuer's list for the same URI is never consulted (docs/format.md §15.9).

    ``replay_cache`` (optional, explicit) remembers accepted live presentations so that
    the same one shown twice within its window is refused (``presentation_replayed``);
    the verifier holds no other state.
    """

    __slots__ = ("_formats", "_policy", "_replay_cache", "_status", "_trust")

    def __init__(
        self,
        trust: TrustStore,
        policy: Policy | None = None,
        *,
        status: StatusSnapshots | None = None,
        replay_cache: ReplayCache | None = None,
    ) -> None:
        if not isinstance(trust, TrustStore):
            raise InvalidArgument("a Verifier needs a TrustStore")
        if len(trust) == 0:
            raise InvalidArgument("a Verifier with an empty TrustStore would reject everything")
        if replay_cache is not None and not isinstance(replay_cache, ReplayCache):
            raise InvalidArgument("replay_cache must be a ReplayCache")
        self._trust = trust
        self._policy = policy = policy if policy is not None else Policy()
        if policy.require_status and status is None:
            raise InvalidArgument("Policy(require_status=True) needs a status store (status=)")
        self._formats = _FORMATS
        self._replay_cache = replay_cache
        self._status = (
            None
            if status is None
            else StatusChecker(
                status,
                trust,
                max_age=policy.max_status_age,
                when_unavailable=policy.status_unavailable,
                require=policy.require_status,
            )
        )

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def trust(self) -> TrustStore:
        return self._trust

    @property
    def replay_cache(self) -> ReplayCache | None:
        return self._replay_cache

    @property
    def status(self) -> StatusSnapshots | None:
        """The status list snapshots this verifier checks credentials against, if any."""
        return None if self._status is None else self._status.store

    def _check_signature(self, msg: Sign1) -> tuple[TrustedKey, Algorithm]:
        kid = msg.protected.get(_KID)
        if not isinstance(kid, bytes):
            raise MalformedCose("kid is not in the protected header")
        return verify_with_candidates(
            msg,
            self._trust.candidates(kid),
            key_of=_public_key,
            algorithm_of=_registered_algorithm,
            allowed=self._policy.allowed_algorithms,
        )

    def verify(self, text: str | bytes, *, now: datetime) -> VerifiedLicence:
        """Verify a static credential (``DL1:``) or a live presentation (``DP1:``) at time
        ``now`` (timezone-aware); the result's ``presentation`` says which it was.

        Raises a :class:`QrsealError` subclass: ``TooLarge``, ``UnsupportedVersion``,
        ``MalformedText``/``MalformedCompression``/``MalformedCbor``/``MalformedCose``,
        ``UnknownCriticalHeader``, ``UnknownKey``, ``AlgorithmNotAllowed``,
        ``SignatureInvalid``, ``MalformedClaims``, ``KeyNotValidAtTime``,
        ``IssuerMismatch``, ``ValidityTooLong``, ``IssuedInFuture``, ``NotYetValid``,
        ``Expired``, ``InvalidLicence`` or ``DataTooOld``; for keys from a trust list also
        ``KeyRevoked`` and ``KeyNotAuthorised``, and first of all ``TrustListExpired`` (or
        ``KeyNotValidAtTime`` for the list's root) when the store's list no longer holds; with
        a status store also ``Revoked``, ``Suspended``, ``StatusUnavailable`` and
        ``StatusListInvalid``; for live presentations also ``HolderBindingInvalid``,
        ``PresentationInFuture``, ``StalePresentation``, ``NonceMismatch``,
        ``AudienceMismatch`` and ``PresentationReplayed``; for a static credential under
        ``Policy(require_live=True)`` or a policy expecting a nonce or an audience,
        ``PresentationRequired``.
        """
        now = require_utc(now)
        self._trust.check_usable(now)  # a store from a trust list dies with the list
        policy = self._policy
        fmt, data = unpack(
            _as_text(text, policy.max_text_chars),
            self._formats,
            max_text_chars=policy.max_text_chars,
            max_bytes=policy.max_cose_bytes,
        )
        if fmt is DP_FORMAT:
            return self._verify_live(data, now)
        if policy.live_required:
            raise PresentationRequired(
                "this verifier requires a live code (DP1); a static credential (DL1) may be "
                "a screenshot or a printout"
            )
        return self._check_credential(_decode_credential(data, policy), now)

    def _check_credential(self, msg: Sign1, now: datetime) -> VerifiedLicence:
        """Every check of an issuer credential after its envelope parsed: key, signature,
        claims (decoded only now), key window or trust-list state, issuer, times, licence,
        trust-list scope, data age, status."""
        policy = self._policy
        key, alg = self._check_signature(msg)
        entry = key.entry
        if entry is not None and entry.compromised:
            # Nothing a compromised key signed is decoded: key_revoked needs no time.
            check_entry_state(entry, signed_at=None)
        # Only now, with the signature checked, is the payload decoded.
        claims = decode_claims(msg.payload, max_bytes=policy.max_cose_bytes)
        if entry is None:
            if not key.valid_at(claims.issued_at):
                raise KeyNotValidAtTime(
                    "signing time is outside the key's validity", kid=key.kid, at=claims.issued_at
                )
        else:  # a trust-list key: revoked, compromised, outside its window or retired
            check_entry_state(entry, signed_at=claims.issued_at)
        if claims.issuer != key.issuer:
            raise IssuerMismatch(
                f"credential names issuer {claims.issuer!r} but key {key.kid.hex()} belongs to {key.issuer!r}",
                kid=key.kid,
                claimed=claims.issuer,
                trusted=key.issuer,
            )
        check_times(claims, now=now, leeway=policy.clock_skew, max_lifetime=policy.max_validity)
        raw = claims.extra.get(LICENCE_CLAIM)
        if raw is None:
            raise MalformedClaims(f"the licence claim ({LICENCE_CLAIM}) is missing")
        licence = Licence.from_cbor_map(raw)
        licence.check_at(claims.issued_at)
        if entry is not None:  # may this key sign for this jurisdiction and these classes?
            check_entry_scope(
                entry,
                jurisdiction=licence.issuing_jurisdiction,
                credential_type=DRIVING_LICENCE,
                classes=[p.class_code for p in licence.domestic_privileges]
                if entry.classes
                else (),
            )
        as_of = licence.points_as_of or claims.issued_at
        age = now - as_of
        if policy.max_data_age is not None and age > policy.max_data_age:
            raise DataTooOld("licence data is older than the policy allows", as_of=as_of, now=now)
        checker = self._status
        status = None if checker is None else checker.check(claims, now)
        return VerifiedLicence(
            licence=licence,
            issuer=claims.issuer,
            kid=key.kid,
            algorithm=alg,
            issued_at=claims.issued_at,
            expires_at=claims.expires_at,
            data_as_of=as_of,
            data_age=age,
            verified_at=now,
            claims=claims,
            status=status,
        )

    def _verify_live(self, data: bytes, now: datetime) -> VerifiedLicence:
        """Steps 5-17 of docs/format.md §10.4 on the bytes of a ``DP1`` presentation."""
        policy = self._policy
        # The envelope only: the credential stays an opaque byte string, the proof's payload
        # undecoded; the proof's protected header is one of a few fixed byte strings.
        parts = decode_presentation(data, max_bytes=policy.max_cose_bytes)
        if parts.alg not in DEVICE_ALGORITHMS or parts.alg not in policy.allowed_algorithms:
            raise AlgorithmNotAllowed(
                f"device signature algorithm {parts.alg.name} is not allowed here",
                alg=parts.alg,
            )
        # The carried credential gets exactly the static checks, issuer signature first.
        verified = self._check_credential(_decode_credential(parts.credential, policy), now)
        claims = verified.claims
        cnf = claims.extra.get(_CNF)
        if cnf is None:
            raise HolderBindingInvalid(
                "the credential is not bound to a device key, so it cannot be presented live",
                bound=False,
            )
        device_key = decode_cnf(cnf)
        verify_proof(parts, device_key)
        # Only now, with the device signature checked, is the proof's payload decoded.
        proof = decode_proof_claims(parts.proof.payload)
        presentation_age = check_presentation_time(
            proof.presented_at,
            now=now,
            max_age=policy.max_presentation_age,
            max_skew=policy.max_presentation_skew,
        )
        check_challenge(
            proof, expected_nonce=policy.expected_nonce, expected_audience=policy.expected_audience
        )
        if self._replay_cache is not None:
            self._replay_cache.check_and_record(
                parts.replay_key(),
                presented_at=proof.presented_at,
                until=proof.presented_at + policy.max_presentation_age,
                now=now,
            )
        return dataclasses.replace(
            verified,
            live=LivePresentation(
                presented_at=proof.presented_at,
                age=presentation_age,
                device_key=device_key,
                nonce=proof.nonce,
                audience=proof.audience,
            ),
        )

    def verify_image(
        self,
        image: str | os.PathLike[str] | bytes | Image.Image | npt.NDArray[Any],
        *,
        now: datetime,
    ) -> VerifiedLicence:
        """Read QR codes from a photo or screenshot and verify the credential in it.

        Codes with a known prefix are credentials; other codes (a URL beside it) are
        ignored. Copies of one credential count once; two different credentials make the
        image ``AmbiguousImage`` (read them all with :func:`qrseal.qr.scan`). With no
        credential, the first code's error is raised. Raises ``InvalidImage``,
        ``TooLarge``, ``NoQrFound`` and ``StructuredAppend`` for the image, and the errors
        of :meth:`verify`.
        """
        from .qr.scanning import scan  # here: image libraries load on first image use

        texts = list(dict.fromkeys(r.text for r in scan(image)))
        known = {(f.prefix, f.version) for f in self._formats}
        ours = [t for t in texts if peek_header(t) in known]
        if len(ours) > 1:
            raise AmbiguousImage(
                f"the image holds {len(ours)} different credentials", texts=tuple(ours)
            )
        return self.verify((ours or texts)[0], now=now)


@dataclass(frozen=True, slots=True)
class UnverifiedCredential:
    """What a credential says about itself, NOT verified. For debugging only.

    For a live presentation (``prefix`` ``"DP"``) the first fields describe the credential
    it carries, and ``proof_algorithm``, ``presented_at``, ``nonce`` and ``audience`` what
    its (unchecked) proof claims.
    """

    prefix: str
    version: int
    cose_bytes: int
    protected: Mapping[object, object]
    unprotected: Mapping[object, object]
    signature: bytes
    claims: Claims | None
    licence: Licence | None
    problem: QrsealError | None
    proof_algorithm: Algorithm | None = None
    presented_at: datetime | None = None
    nonce: bytes | None = None
    audience: str | None = None


def inspect_unverified(text: str | bytes, *, policy: Policy | None = None) -> UnverifiedCredential:
    """Decode a credential or live presentation WITHOUT checking any signature, for
    debugging and support.

    Nothing returned here is trustworthy. Envelope errors raise; an envelope that parses
    but breaks the credential's strict rules (docs/format.md §2, §4), and a payload that
    does not decode, are reported in ``problem`` so that as much as possible is shown.
    """
    policy = policy or Policy()
    fmt, data = unpack(
        _as_text(text, policy.max_text_chars),
        _FORMATS,
        max_text_chars=policy.max_text_chars,
        max_bytes=policy.max_cose_bytes,
    )
    problem: QrsealError | None = None
    proof: ProofClaims | None = None
    proof_alg: Algorithm | None = None
    if fmt is DP_FORMAT:
        parts = decode_presentation(data, max_bytes=policy.max_cose_bytes)
        data, proof_alg = parts.credential, parts.alg
        try:
            proof = decode_proof_claims(parts.proof.payload)
        except QrsealError as exc:
            problem = exc
    try:
        msg = _decode_credential(data, policy)
    except (MalformedCbor, MalformedCose) as exc:  # show what the lenient envelope holds
        msg = decode_sign1(data, max_bytes=policy.max_cose_bytes)
        problem = problem or exc
    claims: Claims | None = None
    licence: Licence | None = None
    try:
        claims = decode_claims(msg.payload)
        raw = claims.extra.get(LICENCE_CLAIM)
        if raw is None:
            raise MalformedClaims("licence claim missing")
        licence = Licence.from_cbor_map(raw)
    except QrsealError as exc:
        problem = problem or exc
    return UnverifiedCredential(
        fmt.prefix,
        fmt.version,
        len(data),
        msg.protected,
        msg.unprotected,
        msg.signature,
        claims,
        licence,
        problem,
        proof_alg,
        None if proof is None else proof.presented_at,
        None if proof is None else proof.nonce,
        None if proof is None else proof.audience,
    )
