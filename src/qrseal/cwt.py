"""CWT layer: the claims set (RFC 8392) carried as a COSE_Sign1 payload, and time checks.

Credential-agnostic: a credential type puts its data under a private claim key that the
caller names. Claims are decoded only after the signature has been verified.

Lower-level API. Most users want :class:`qrseal.Issuer` and :class:`qrseal.Verifier`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from types import MappingProxyType
from typing import Final

from .cose import deterministic_order, dumps_in_order, sort_key, strict_loads
from .errors import (
    Expired,
    InvalidArgument,
    IssuedInFuture,
    MalformedCbor,
    MalformedClaims,
    NotYetValid,
    TooLarge,
)

__all__ = [
    "MAX_NUMERIC_DATE",
    "Claim",
    "Claims",
    "check_times",
    "decode_claims",
    "encode_claims",
    "from_numeric_date",
    "require_utc",
    "to_numeric_date",
]

#: 9999-12-31T23:59:59Z: the largest NumericDate qrseal accepts (keeps datetime in range).
MAX_NUMERIC_DATE: Final = 253402300799


class Claim(IntEnum):
    """CWT claim keys (IANA "CBOR Web Token (CWT) Claims")."""

    ISS = 1
    SUB = 2
    AUD = 3
    EXP = 4
    NBF = 5
    IAT = 6
    CTI = 7
    CNF = 8


_EMPTY: Final[Mapping[int, object]] = MappingProxyType({})
_ISS, _EXP, _NBF, _IAT, _CTI = (
    int(c) for c in (Claim.ISS, Claim.EXP, Claim.NBF, Claim.IAT, Claim.CTI)
)
_MODELLED: Final = frozenset((_ISS, _EXP, _NBF, _IAT, _CTI))


@dataclass(frozen=True, slots=True)
class Claims:
    """A decoded claims set. ``extra`` holds every claim not modelled here (``sub``,
    ``aud``, ``cnf``, private claims), undecoded."""

    issuer: str
    issued_at: datetime
    expires_at: datetime
    not_before: datetime | None = None
    cti: bytes | None = None
    extra: Mapping[int, object] = field(default_factory=lambda: _EMPTY)


def require_utc(moment: datetime, name: str = "now") -> datetime:
    """Return ``moment`` in UTC; raise ``InvalidArgument`` for a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidArgument(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(UTC)


def to_numeric_date(moment: datetime, name: str = "time") -> int:
    """Whole seconds since the epoch (sub-second parts are truncated)."""
    return int(require_utc(moment, name).timestamp())


def from_numeric_date(value: object, name: str) -> datetime:
    """Decode a NumericDate: an integer in [0, MAX_NUMERIC_DATE]. Raises ``MalformedClaims``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedClaims(f"claim {name} is not an integer NumericDate")
    if not 0 <= value <= MAX_NUMERIC_DATE:
        raise MalformedClaims(f"claim {name} is out of range")
    return datetime.fromtimestamp(value, UTC)


def encode_claims(claims: Claims, *, sort_extra: bool = True) -> bytes:
    """Deterministic CBOR of the claims set (RFC 8949 §4.2.1).

    The claims map is written in bytewise key order. With ``sort_extra=False`` the values
    of extra claims are encoded as given (dict insertion order): for callers whose maps
    are already built in deterministic order, which saves a full re-ordering walk.
    """
    # Plain int keys: IntEnum members hash through slow Python code.
    items: dict[int, object] = {
        _ISS: claims.issuer,
        _EXP: to_numeric_date(claims.expires_at, "expires_at"),
        _IAT: to_numeric_date(claims.issued_at, "issued_at"),
    }
    if claims.not_before is not None:
        items[_NBF] = to_numeric_date(claims.not_before, "not_before")
    if claims.cti is not None:
        items[_CTI] = claims.cti
    for key, value in claims.extra.items():
        if key in _MODELLED:
            raise InvalidArgument(f"extra claim key {key} collides with a modelled claim")
        items[key] = deterministic_order(value) if sort_extra else value
    out = {key: items[key] for key in sorted(items, key=sort_key)}
    return dumps_in_order(out)


def decode_claims(payload: bytes, *, max_bytes: int = 4096) -> Claims:
    """Decode a verified payload into :class:`Claims`.

    Requires ``iss`` (text), ``iat`` and ``exp`` (integer NumericDates, ``exp > iat``);
    accepts ``nbf`` and ``cti``; every other integer key goes to ``extra`` undecoded.
    Raises ``MalformedClaims`` (or ``TooLarge``).
    """
    try:
        item = strict_loads(payload, max_bytes=max_bytes, raw_tags=False)
    except MalformedCbor as exc:
        raise MalformedClaims(f"payload is not strict CBOR: {exc.message}") from exc
    except TooLarge:
        raise
    if not isinstance(item, dict):
        raise MalformedClaims("claims set is not a map")
    extra: dict[int, object] = {}
    for key, value in item.items():
        if isinstance(key, bool) or not isinstance(key, int):
            raise MalformedClaims(f"claim key {key!r} is not an integer")
        if key not in _MODELLED:
            extra[key] = value
    issuer = item.get(_ISS)
    if not isinstance(issuer, str) or not issuer:
        raise MalformedClaims("claim iss is missing or not text")
    if _IAT not in item or _EXP not in item:
        raise MalformedClaims("claims iat and exp are required")
    issued_at = from_numeric_date(item[_IAT], "iat")
    expires_at = from_numeric_date(item[_EXP], "exp")
    if expires_at <= issued_at:
        raise MalformedClaims("exp is not after iat")
    not_before = from_numeric_date(item[_NBF], "nbf") if _NBF in item else None
    cti = item.get(_CTI)
    if cti is not None and not isinstance(cti, bytes):
        raise MalformedClaims("claim cti is not a byte string")
    return Claims(issuer, issued_at, expires_at, not_before, cti, MappingProxyType(extra))


def check_times(claims: Claims, *, now: datetime, leeway: timedelta = timedelta(0)) -> None:
    """Check ``iat``, ``nbf`` and ``exp`` against ``now`` with ``leeway`` for clock skew.

    Raises ``IssuedInFuture`` (iat > now + leeway), ``NotYetValid`` (nbf > now + leeway)
    or ``Expired`` (now >= exp + leeway).
    """
    now = require_utc(now)
    if claims.issued_at > now + leeway:
        raise IssuedInFuture(
            "credential was issued in the future", issued_at=claims.issued_at, now=now
        )
    if claims.not_before is not None and claims.not_before > now + leeway:
        raise NotYetValid("credential is not valid yet", not_before=claims.not_before, now=now)
    if now >= claims.expires_at + leeway:
        raise Expired("credential has expired", expired_at=claims.expires_at, now=now)
