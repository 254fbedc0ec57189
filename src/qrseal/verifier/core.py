"""The :class:`Verifier` recipe: the checks in their fixed order (see :mod:`qrseal.verifier`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import (
    AlgorithmNotAllowed,
    AmbiguousImage,
    DataTooOld,
    FieldsWithheld,
    HolderBindingInvalid,
    InvalidArgument,
    IssuerMismatch,
    KeyNotValidAtTime,
    MalformedClaims,
    MalformedCose,
    PresentationRequired,
)
from ..licence.model import check_fields_at
from ..licence.profile import (
    DEVICE_ALGORITHMS,
    DP_FORMAT,
    LICENCE_CLAIM,
)
from ..licence.views import decode_disclosure
from ..status.check import StatusChecker
from ..status.snapshots import StatusSnapshots
from ..trust.entries import DRIVING_LICENCE, check_entry_scope, check_entry_state
from ..trust.store import TrustedKey, TrustStore
from ..wire.algorithms import Algorithm, PublicKey
from ..wire.cose import (
    HeaderLabel,
    Sign1,
    verify_with_candidates,
)
from ..wire.cwt import Claim, check_times, decode_claims, decode_cnf, require_utc
from ..wire.presentation import (
    LivePresentation,
    ReplayCache,
    check_challenge,
    check_presentation_time,
    decode_presentation,
    decode_proof_claims,
    verify_proof,
)
from ..wire.textcodec import peek_header, unpack

if TYPE_CHECKING:
    import numpy.typing as npt
    from PIL import Image
from .decode import CREDENTIAL_FORMATS, credential_text_of, decode_credential
from .policy import Policy
from .result import VerifiedLicence

_CNF = int(Claim.CNF)
_JURISDICTION, _DOMESTIC, _POINTS_AS_OF = (
    "issuing_jurisdiction",
    "domestic_privileges",
    "points_as_of",
)
_KID = int(HeaderLabel.KID)


def _public_key(key: TrustedKey) -> PublicKey:
    return key.public_key


def _registered_algorithm(key: TrustedKey) -> Algorithm:
    return key.algorithm


def _verifier_of(key: TrustedKey, alg: Algorithm) -> Callable[[bytes, bytes], None]:
    return key.verifying_function(alg)


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
        self._formats = CREDENTIAL_FORMATS
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
            verifier_of=_verifier_of,
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
            credential_text_of(text, policy.max_text_chars),
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
        return self._check_credential(decode_credential(data, policy), now)

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
        # A whole licence, or the elements of one view (docs/format.md §17).
        disclosure = decode_disclosure(raw)
        licence = disclosure.licence
        elements = disclosure.elements
        if licence is not None:
            licence.check_at(claims.issued_at)
        else:  # the same rule on what a partial view shows
            check_fields_at(elements, claims.issued_at)
        required = policy.required_fields
        if required is not None and not required <= disclosure.disclosed:
            missing = required - disclosure.disclosed
            raise FieldsWithheld(
                f"the code does not show {', '.join(sorted(missing))}", missing=missing
            )
        if entry is not None:  # may this key sign for this jurisdiction and these classes?
            # A view that withholds the jurisdiction passes only a country-level entry.
            jurisdiction = elements.get(_JURISDICTION)
            privileges = elements.get(_DOMESTIC, ())
            check_entry_scope(
                entry,
                jurisdiction=jurisdiction if isinstance(jurisdiction, str) else None,
                credential_type=DRIVING_LICENCE,
                classes=[p.class_code for p in privileges]
                if entry.classes and isinstance(privileges, tuple)
                else (),
            )
        as_of_value = elements.get(_POINTS_AS_OF)
        as_of = as_of_value if isinstance(as_of_value, datetime) else claims.issued_at
        age = now - as_of
        if policy.max_data_age is not None and age > policy.max_data_age:
            raise DataTooOld("licence data is older than the policy allows", as_of=as_of, now=now)
        checker = self._status
        status = None if checker is None else checker.check(claims, now)
        return VerifiedLicence(
            disclosure=disclosure,
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
        verified = self._check_credential(decode_credential(parts.credential, policy), now)
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
        from ..qr.scanning import scan  # here: image libraries load on first image use

        texts = list(dict.fromkeys(r.text for r in scan(image)))
        known = {(f.prefix, f.version) for f in self._formats}
        ours = [t for t in texts if peek_header(t) in known]
        if len(ours) > 1:
            raise AmbiguousImage(
                f"the image holds {len(ours)} different credentials", texts=tuple(ours)
            )
        return self.verify((ours or texts)[0], now=now)
