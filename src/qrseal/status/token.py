"""Status List Tokens (draft-ietf-oauth-status-list §5.2): sign and verify.

A Status List Token is a COSE_Sign1 CWT with protected ``typ`` (16)
``"application/statuslist+cwt"`` and the claims ``sub`` (2, the list's URI), ``iat`` (6),
optionally ``exp`` (4), ``ttl`` (65534, seconds) and ``iss`` (1), and ``status_list``
(65533, the map of :mod:`qrseal.status.lists`).

:func:`verify_status_list` checks, in this order, stopping at the first failure: token size,
strict COSE, ``typ``, key lookup by ``kid``, algorithm, signature, claims (only now is the
payload decoded), ``sub``, the signing key's state at ``iat``, times, and finally inflates the
list under its cap (``max_entries`` x ``bits``). It returns a :class:`VerifiedStatusList`, which
names the trusted key whose signature verified (``signer``), or raises a
:class:`~qrseal.errors.QrsealError`. Keep verified lists in a
:class:`~qrseal.status.snapshots.StatusSnapshots`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from ..errors import (
    InvalidArgument,
    KeyNotValidAtTime,
    KeyRevoked,
    MalformedCbor,
    MalformedClaims,
    StatusListInvalid,
    TooLarge,
)
from ..trust.entries import check_entry_state
from ..trust.store import TrustedKey
from ..wire.cose import (
    Algorithm,
    HeaderLabel,
    PublicKey,
    Sign1,
    decode_sign1,
    dumps_in_order,
    encode_sign1,
    strict_loads,
    verify_with_candidates,
)
from ..wire.cwt import (
    MAX_NUMERIC_DATE,
    Claim,
    check_instants,
    from_numeric_date,
    require_leeway,
    require_utc,
    to_numeric_date,
)
from ..wire.keys import Signer
from .lists import DEFAULT_MAX_ENTRIES, Compression, StatusClaimKey, StatusList, list_cap

__all__ = [
    "DEFAULT_STATUS_ALGORITHMS",
    "MAX_TOKEN_BYTES",
    "STATUS_LIST_TYP",
    "KeyResolver",
    "VerifiedStatusList",
    "add_clamped",
    "check_status_signer",
    "sign_status_list",
    "token_cap",
    "verify_status_list",
]

#: The protected ``typ`` (COSE header 16, RFC 9596) of a Status List Token.
STATUS_LIST_TYP: Final = "application/statuslist+cwt"
#: Algorithms a Status List Token may be signed with unless the caller says otherwise: the
#: ones a verifier accepts for credentials by default. Status sits below the licence profile
#: and cannot import its ``DEFAULT_ALGORITHMS``; a test keeps the two equal until both come
#: from the wire layer's algorithm registry.
DEFAULT_STATUS_ALGORITHMS: Final = frozenset({Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA})
#: Ceiling on the bytes of a Status List Token, whatever ``max_entries`` allows: 64 MiB.
MAX_TOKEN_BYTES: Final = 1 << 26

#: ``kid`` (None when the token has none) -> candidate keys. A :class:`~qrseal.trust.store.TrustedKey`
#: candidate that verifies is recorded as the list's ``signer`` (what binds the list to an
#: issuer); a bare public key binds it to nobody.
KeyResolver = Callable[[bytes | None], Iterable[PublicKey | TrustedKey]]

_SUB, _EXP, _NBF, _IAT, _ISS = (
    int(c) for c in (Claim.SUB, Claim.EXP, Claim.NBF, Claim.IAT, Claim.ISS)
)
_STATUS_LIST, _TTL = int(StatusClaimKey.STATUS_LIST), int(StatusClaimKey.TTL)
_ZERO: Final = timedelta(0)
_LAST: Final = datetime.max.replace(tzinfo=UTC)
_FIRST: Final = datetime.min.replace(tzinfo=UTC)
# zlib's worst case is 5 bytes per 16 KiB stored block; 1/1024 is a generous bound, and 64 KiB
# covers the claims, the COSE envelope and the zlib framing.
_TOKEN_SLACK: Final = 1 << 16


def token_cap(max_entries: int) -> int:
    """The largest Status List Token worth reading for a list of at most ``max_entries``
    entries of up to 8 bits, even incompressible: ``max_entries`` bytes plus 1/1024 plus
    64 KiB, and never more than ``MAX_TOKEN_BYTES``."""
    widest = list_cap(max_entries, 8)  # the packed bytes at 8 bits; checks max_entries
    return min(widest + (widest >> 10) + _TOKEN_SLACK, MAX_TOKEN_BYTES)


def add_clamped(moment: datetime, *deltas: timedelta) -> datetime:
    """``moment`` plus ``deltas``, clamped to the first and last representable instants
    instead of raising ``OverflowError`` (an ``exp`` of 9999-12-31 plus a grace period)."""
    for delta in deltas:
        try:
            moment = moment + delta
        except OverflowError:
            return _LAST if delta > _ZERO else _FIRST
    return moment


# --- signing ----------------------------------------------------------------------------------


def _positive_seconds(value: timedelta | None, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, timedelta) or value.total_seconds() < 1:
        raise InvalidArgument(f"{name} must be a timedelta of at least one second")
    return int(value.total_seconds())


def sign_status_list(
    status_list: StatusList,
    *,
    signer: Signer,
    uri: str,
    now: datetime,
    ttl: timedelta | None,
    valid_for: timedelta | None,
    issuer: str | None = None,
    compression: Compression = Compression.BEST,
) -> bytes:
    """Sign ``status_list`` as a Status List Token for ``uri`` (its ``sub``), issued ``now``.

    ``ttl`` (the draft's RECOMMENDED cache lifetime) and ``valid_for`` (``exp = now +
    valid_for``, RECOMMENDED) are whole seconds; ``None`` leaves the claim out. ``issuer``
    adds ``iss``. The ``kid`` and ``typ`` go in the protected header. Raises
    ``InvalidArgument``.
    """
    if not isinstance(uri, str) or not uri:
        raise InvalidArgument("a status list token needs a non-empty uri (its sub)")
    if issuer is not None and (not isinstance(issuer, str) or not issuer):
        raise InvalidArgument("issuer must be non-empty text")
    iat = to_numeric_date(now, "now")
    ttl_seconds = _positive_seconds(ttl, "ttl")
    valid_seconds = _positive_seconds(valid_for, "valid_for")
    # Built in ascending key order: the claims map is RFC 8949 §4.2.1 deterministic.
    claims: dict[int, object] = {}
    if issuer is not None:
        claims[_ISS] = issuer
    claims[_SUB] = uri
    if valid_seconds is not None:
        if iat + valid_seconds > MAX_NUMERIC_DATE:
            raise InvalidArgument("valid_for puts exp beyond the largest NumericDate")
        claims[_EXP] = iat + valid_seconds
    claims[_IAT] = iat
    claims[_STATUS_LIST] = status_list.to_cbor_map(compression=compression)
    if ttl_seconds is not None:
        claims[_TTL] = ttl_seconds
    return encode_sign1(
        dumps_in_order(claims),
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        protected_extra={HeaderLabel.TYP: STATUS_LIST_TYP},
    )


# --- verifying --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    """A Status List Token whose signature, claims and times checked out. ``status_list`` is
    read-only. ``kid`` is None when the token named no key (a resolver accepted it).

    ``signer`` is the one trusted key whose signature verified the token, with its
    trust-list entry if it has one (several keys may share a kid; only this one signed). A
    :class:`~qrseal.verifier.Verifier` lets the list speak only for credentials of
    ``signer.issuer`` (docs/format.md §15.9). It is None when the token was verified with
    bare public keys: such a list speaks for no issuer in a verifier.
    """

    uri: str
    issued_at: datetime
    expires_at: datetime | None
    ttl: timedelta | None
    status_list: StatusList
    issuer: str | None
    kid: bytes | None
    algorithm: Algorithm
    signer: TrustedKey | None = None

    @property
    def refresh_after(self) -> datetime | None:
        """``iat + ttl``: after this a cached copy SHOULD be replaced (the draft counts ttl
        from when the list was fetched, which is never before ``iat``)."""
        return None if self.ttl is None else add_clamped(self.issued_at, self.ttl)


def check_status_signer(key: TrustedKey, *, signed_at: datetime) -> None:
    """The key state that may sign a status list at ``signed_at`` (its ``iat``): for a
    trust-list key, not revoked at all (a revoked key signs no new lists; a compromised one
    nothing) and, as for credentials (docs/format.md §14.4), inside its window and not
    retired at ``signed_at``; for a key without an entry, inside its window.

    Applied when a list is verified (:func:`verify_status_list`) and again, against the
    verifier's own trust store, when a verifier selects it. Raises ``KeyRevoked`` or
    ``KeyNotValidAtTime``.
    """
    entry = key.entry
    if entry is None:
        if not key.valid_at(signed_at):
            raise KeyNotValidAtTime(
                "the status list was signed outside its key's validity",
                kid=key.kid,
                at=signed_at,
            )
        return
    if not key.may_sign_status_lists:
        raise KeyRevoked(
            f"key {key.kid.hex()} is revoked: it signs no status lists",
            kid=key.kid,
            revoked_at=entry.revoked_at,
            compromised=entry.compromised,
            signed_at=signed_at,
        )
    check_entry_state(entry, signed_at=signed_at)


def _candidate_keys(
    keys: Iterable[tuple[bytes, PublicKey]] | KeyResolver, kid: bytes | None
) -> list[PublicKey | TrustedKey]:
    if callable(keys):
        return list(keys(kid))
    pairs = list(keys)
    if not pairs:
        raise InvalidArgument("verifying a status list needs at least one trusted key")
    return [key for key_id, key in pairs if kid is not None and key_id == kid]


def _public_key(candidate: PublicKey | TrustedKey) -> PublicKey:
    return candidate.public_key if isinstance(candidate, TrustedKey) else candidate


def _registered_algorithm(candidate: PublicKey | TrustedKey) -> Algorithm | None:
    return candidate.algorithm if isinstance(candidate, TrustedKey) else None


def _verify_signature(
    msg: Sign1,
    keys: Iterable[tuple[bytes, PublicKey]] | KeyResolver,
    allowed: frozenset[Algorithm],
) -> tuple[Algorithm, TrustedKey | None]:
    """The algorithm and the one candidate whose signature verifies (None for a bare public
    key), by :func:`~qrseal.wire.cose.verify_with_candidates`. A trusted key must be
    registered for the token's algorithm, as for credentials."""
    candidate, algorithm = verify_with_candidates(
        msg,
        _candidate_keys(keys, msg.kid),
        key_of=_public_key,
        algorithm_of=_registered_algorithm,
        allowed=allowed,
    )
    return algorithm, candidate if isinstance(candidate, TrustedKey) else None


@dataclass(frozen=True, slots=True)
class _TokenClaims:
    uri: str
    issued_at: datetime
    expires_at: datetime | None
    not_before: datetime | None
    ttl: timedelta | None
    issuer: str | None
    status_list: object


def _decode_claims(payload: bytes, max_bytes: int) -> _TokenClaims:
    try:
        item = strict_loads(payload, max_bytes=max_bytes, max_depth=4)
    except MalformedCbor as exc:
        raise MalformedClaims(f"payload is not strict CBOR: {exc.message}") from exc
    if not isinstance(item, Mapping):
        raise MalformedClaims("claims set is not a map")
    uri = item.get(_SUB)
    if not isinstance(uri, str) or not uri:
        raise MalformedClaims("claim sub (the status list URI) is missing or not text")
    if _IAT not in item:
        raise MalformedClaims("claim iat is required")
    issued_at = from_numeric_date(item[_IAT], "iat")
    expires_at = from_numeric_date(item[_EXP], "exp") if _EXP in item else None
    if expires_at is not None and expires_at <= issued_at:
        raise MalformedClaims("exp is not after iat")
    not_before = from_numeric_date(item[_NBF], "nbf") if _NBF in item else None
    ttl: timedelta | None = None
    if _TTL in item:
        seconds = item[_TTL]
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise MalformedClaims("claim ttl is not a positive integer")
        if seconds > 10**10:
            raise MalformedClaims("claim ttl is out of range")
        ttl = timedelta(seconds=seconds)
    issuer = item.get(_ISS)
    if issuer is not None and (not isinstance(issuer, str) or not issuer):
        raise MalformedClaims("claim iss is not text")
    if _STATUS_LIST not in item:
        raise StatusListInvalid("claim status_list (65533) is missing")
    return _TokenClaims(uri, issued_at, expires_at, not_before, ttl, issuer, item[_STATUS_LIST])


def verify_status_list(
    token: bytes,
    *,
    keys: Iterable[tuple[bytes, PublicKey]] | KeyResolver,
    now: datetime,
    expected_uri: str | None = None,
    allowed: frozenset[Algorithm] = DEFAULT_STATUS_ALGORITHMS,
    clock_skew: timedelta = _ZERO,
    expiry_grace: timedelta = _ZERO,
    max_bytes: int | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> VerifiedStatusList:
    """Verify a Status List Token and return its read-only list.

    ``keys`` is either ``(kid, public key)`` pairs (the token's ``kid`` selects candidates;
    several may share one) or a resolver ``kid -> keys``, such as
    :meth:`qrseal.trust.store.TrustStore.status_key_resolver`, whose trusted keys bind the list to
    the issuer of the one that verifies (``VerifiedStatusList.signer``); that key must have
    been allowed to sign status lists at the list's ``iat`` (:func:`check_status_signer`).
    ``expected_uri`` is the URI the token was fetched for; its ``sub`` must equal it.
    ``expiry_grace`` lets a policy accept a list for a while after its ``exp`` (offline
    verifiers); ``clock_skew`` applies to ``iat``, ``nbf`` and ``exp``.

    ``max_entries`` is the most entries the verifier expects in one list: the list may
    inflate to ``max_entries x bits`` bits and no further (default one shard of
    ``DEFAULT_MAX_ENTRIES``, 2^24; one national list of 500 million entries needs
    ``max_entries=MAX_SINGLE_LIST_ENTRIES``). ``max_bytes`` caps the token (default
    :func:`token_cap` of ``max_entries``).

    Raises ``TooLarge`` (token over ``max_bytes``, or the list inflates beyond its cap),
    ``MalformedCbor``/``MalformedCose``, ``StatusListInvalid`` (wrong ``typ``, ``sub``
    mismatch, bad ``status_list``), ``UnknownKey``, ``AlgorithmNotAllowed``,
    ``SignatureInvalid``, ``MalformedClaims``, ``KeyRevoked``, ``KeyNotValidAtTime``,
    ``IssuedInFuture``, ``NotYetValid``, ``Expired`` or ``MalformedCompression``.
    """
    require_leeway(clock_skew, "clock_skew")
    require_leeway(expiry_grace, "expiry_grace")
    now = require_utc(now)
    cap = token_cap(max_entries)  # checks max_entries
    if max_bytes is None:
        max_bytes = cap
    if len(token) > max_bytes:
        raise TooLarge(
            f"status list token of {len(token)} bytes exceeds the cap",
            what="status_list_token",
            limit=max_bytes,
            actual=len(token),
        )
    msg = decode_sign1(token, max_bytes=max_bytes)
    if msg.protected.get(HeaderLabel.TYP) != STATUS_LIST_TYP:
        raise StatusListInvalid(
            f"protected typ is {msg.protected.get(HeaderLabel.TYP)!r}, not {STATUS_LIST_TYP!r}"
        )
    kid = msg.kid
    algorithm, signer = _verify_signature(msg, keys, allowed)
    claims = _decode_claims(msg.payload, max_bytes)
    del msg  # drop the payload copy before the list is inflated next to it
    if expected_uri is not None and claims.uri != expected_uri:
        raise StatusListInvalid(f"token is for {claims.uri!r}, not {expected_uri!r}")
    if signer is not None:
        check_status_signer(signer, signed_at=claims.issued_at)
    check_instants(
        issued_at=claims.issued_at,
        not_before=claims.not_before,
        expires_at=claims.expires_at,
        now=now,
        leeway=clock_skew,
        expiry_grace=expiry_grace,
        subject="status list",
    )
    status_list = StatusList.from_cbor_map(
        claims.status_list, max_entries=max_entries, readonly=True
    )
    return VerifiedStatusList(
        uri=claims.uri,
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        ttl=claims.ttl,
        status_list=status_list,
        issuer=claims.issuer,
        kid=kid,
        algorithm=algorithm,
        signer=signer,
    )
