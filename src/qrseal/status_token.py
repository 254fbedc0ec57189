"""Status List Tokens (draft-ietf-oauth-status-list §5.2): sign and verify.

A Status List Token is a COSE_Sign1 CWT with protected ``typ`` (16)
``"application/statuslist+cwt"`` and the claims ``sub`` (2, the list's URI), ``iat`` (6),
optionally ``exp`` (4), ``ttl`` (65534, seconds) and ``iss`` (1), and ``status_list``
(65533, the map of :mod:`qrseal.status`).

:func:`verify_status_list` checks, in this order, stopping at the first failure: token size,
strict COSE, ``typ``, key lookup by ``kid``, algorithm, signature, claims (only now is the
payload decoded), ``sub``, times, and finally inflates the list under its cap. It returns a
:class:`VerifiedStatusList` or raises a :class:`~qrseal.errors.QrsealError`. Keep verified
lists in a :class:`~qrseal.status_store.StatusSnapshots`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .cose import (
    Algorithm,
    HeaderLabel,
    PublicKey,
    Sign1,
    decode_sign1,
    dumps_in_order,
    encode_sign1,
    strict_loads,
    verify_sign1,
)
from .cwt import MAX_NUMERIC_DATE, Claim, from_numeric_date, require_utc, to_numeric_date
from .errors import (
    AlgorithmNotAllowed,
    Expired,
    InvalidArgument,
    IssuedInFuture,
    MalformedCbor,
    MalformedClaims,
    NotYetValid,
    SignatureInvalid,
    StatusListInvalid,
    TooLarge,
    UnknownKey,
)
from .keys import Signer
from .profile import DEFAULT_ALGORITHMS
from .status import MAX_LIST_BYTES, Compression, StatusClaimKey, StatusList

__all__ = [
    "MAX_TOKEN_BYTES",
    "STATUS_LIST_TYP",
    "KeyResolver",
    "VerifiedStatusList",
    "sign_status_list",
    "verify_status_list",
]

#: The protected ``typ`` (COSE header 16, RFC 9596) of a Status List Token.
STATUS_LIST_TYP: Final = "application/statuslist+cwt"
#: Default cap on the bytes of a Status List Token (its compressed list dominates): 64 MiB.
MAX_TOKEN_BYTES: Final = 1 << 26

#: ``kid`` (None when the token has none) -> candidate public keys.
KeyResolver = Callable[[bytes | None], Iterable[PublicKey]]

_SUB, _EXP, _NBF, _IAT, _ISS = (
    int(c) for c in (Claim.SUB, Claim.EXP, Claim.NBF, Claim.IAT, Claim.ISS)
)
_STATUS_LIST, _TTL = int(StatusClaimKey.STATUS_LIST), int(StatusClaimKey.TTL)
_ZERO: Final = timedelta(0)


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
    read-only. ``kid`` is None when the token named no key (a resolver accepted it)."""

    uri: str
    issued_at: datetime
    expires_at: datetime | None
    ttl: timedelta | None
    status_list: StatusList
    issuer: str | None
    kid: bytes | None
    algorithm: Algorithm

    @property
    def refresh_after(self) -> datetime | None:
        """``iat + ttl``: after this a cached copy SHOULD be replaced (the draft counts ttl
        from when the list was fetched, which is never before ``iat``)."""
        return None if self.ttl is None else self.issued_at + self.ttl


def _candidate_keys(
    keys: Iterable[tuple[bytes, PublicKey]] | KeyResolver, kid: bytes | None
) -> list[PublicKey]:
    if callable(keys):
        return list(keys(kid))
    pairs = list(keys)
    if not pairs:
        raise InvalidArgument("verifying a status list needs at least one trusted key")
    return [key for key_id, key in pairs if kid is not None and key_id == kid]


def _verify_signature(
    msg: Sign1,
    keys: Iterable[tuple[bytes, PublicKey]] | KeyResolver,
    allowed: frozenset[Algorithm],
) -> Algorithm:
    candidates = _candidate_keys(keys, msg.kid)
    if not candidates:
        raise UnknownKey("no trusted key for this status list token", kid=msg.kid)
    failure: SignatureInvalid | AlgorithmNotAllowed | None = None
    for key in candidates:
        try:
            return verify_sign1(msg, key, allowed=allowed)
        except (SignatureInvalid, AlgorithmNotAllowed) as exc:
            failure = exc
    if isinstance(failure, AlgorithmNotAllowed):
        raise failure
    raise SignatureInvalid("status list token signature does not verify", kid=msg.kid)


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


def _check_times(
    claims: _TokenClaims, now: datetime, clock_skew: timedelta, expiry_grace: timedelta
) -> None:
    if claims.issued_at > now + clock_skew:
        raise IssuedInFuture(
            "status list was issued in the future", issued_at=claims.issued_at, now=now
        )
    if claims.not_before is not None and claims.not_before > now + clock_skew:
        raise NotYetValid("status list is not valid yet", not_before=claims.not_before, now=now)
    if claims.expires_at is not None and now >= claims.expires_at + clock_skew + expiry_grace:
        raise Expired("status list has expired", expired_at=claims.expires_at, now=now)


def verify_status_list(
    token: bytes,
    *,
    keys: Iterable[tuple[bytes, PublicKey]] | KeyResolver,
    now: datetime,
    expected_uri: str | None = None,
    allowed: frozenset[Algorithm] = DEFAULT_ALGORITHMS,
    clock_skew: timedelta = _ZERO,
    expiry_grace: timedelta = _ZERO,
    max_bytes: int = MAX_TOKEN_BYTES,
    max_list_bytes: int = MAX_LIST_BYTES,
) -> VerifiedStatusList:
    """Verify a Status List Token and return its read-only list.

    ``keys`` is either ``(kid, public key)`` pairs (the token's ``kid`` selects candidates;
    several may share one) or a resolver ``kid -> public keys``. ``expected_uri`` is the URI
    the token was fetched for; its ``sub`` must equal it. ``expiry_grace`` lets a policy
    accept a list for a while after its ``exp`` (offline verifiers); ``clock_skew`` applies
    to ``iat``, ``nbf`` and ``exp``.

    Raises ``TooLarge`` (token over ``max_bytes``, or the list inflates beyond
    ``max_list_bytes``), ``MalformedCbor``/``MalformedCose``, ``StatusListInvalid`` (wrong
    ``typ``, ``sub`` mismatch, bad ``status_list``), ``UnknownKey``,
    ``AlgorithmNotAllowed``, ``SignatureInvalid``, ``MalformedClaims``,
    ``IssuedInFuture``, ``NotYetValid``, ``Expired`` or ``MalformedCompression``.
    """
    now = require_utc(now)
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
    algorithm = _verify_signature(msg, keys, allowed)
    claims = _decode_claims(msg.payload, max_bytes)
    del msg  # drop the payload copy before the list is inflated next to it
    if expected_uri is not None and claims.uri != expected_uri:
        raise StatusListInvalid(f"token is for {claims.uri!r}, not {expected_uri!r}")
    _check_times(claims, now, clock_skew, expiry_grace)
    status_list = StatusList.from_cbor_map(
        claims.status_list, max_list_bytes=max_list_bytes, readonly=True
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
    )
