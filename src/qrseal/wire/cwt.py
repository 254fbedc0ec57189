"""CWT layer: the claims set (RFC 8392) carried as a COSE_Sign1 payload, time checks, and the
proof-of-possession key a credential is bound to (``cnf``, RFC 8747, as a COSE_Key).

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

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..errors import (
    Expired,
    InvalidArgument,
    InvalidKey,
    IssuedInFuture,
    MalformedCbor,
    MalformedClaims,
    NotYetValid,
    TooLarge,
    ValidityTooLong,
)
from .algorithms import ALGORITHMS, PRIVATE_KEY_TYPES, Algorithm, PublicKey
from .cbor import deterministic_order, dumps_in_order, head, sort_key, strict_loads
from .sm2 import Sm2PublicKey

__all__ = [
    "MAX_NUMERIC_DATE",
    "Claim",
    "Claims",
    "ClaimsWriter",
    "CoseKeyParam",
    "check_instants",
    "check_times",
    "decode_claims",
    "decode_cnf",
    "decode_cose_key",
    "encode_claims",
    "encode_cnf",
    "encode_cose_key",
    "from_numeric_date",
    "require_leeway",
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
_INT_KEYS: Final = frozenset((int,))


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


class ClaimsWriter:
    """:func:`encode_claims` for many claims sets that share ``iss``, ``iat``, ``exp``,
    ``nbf`` and ``cti`` (``shared``, without extra claims), say every credential an issuer
    signs at one time: the shared claims are encoded once, and :meth:`encode` adds each
    set's extra claims. Same bytes as :func:`encode_claims` with ``sort_extra=False``.

    >>> from datetime import UTC, datetime
    >>> shared = Claims("CN-SC", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    >>> claims = Claims(shared.issuer, shared.issued_at, shared.expires_at, extra={-65537: {1: "A"}})
    >>> ClaimsWriter(shared).encode({-65537: {1: "A"}}) == encode_claims(claims, sort_extra=False)
    True
    """

    __slots__ = ("_count", "_entries", "_last", "_shared")

    def __init__(self, shared: Claims) -> None:
        if shared.extra:
            raise InvalidArgument("the shared claims of a ClaimsWriter have no extra claims")
        data = encode_claims(shared)
        self._shared = shared
        self._count = 3 + (shared.not_before is not None) + (shared.cti is not None)
        self._entries = data[1:]  # after the head of a map of at most 5 entries: one byte
        self._last = sort_key(_CTI if shared.cti is not None else _IAT)

    @property
    def shared(self) -> Claims:
        return self._shared

    def encode(self, extra: Mapping[int, object]) -> bytes:
        """The deterministic CBOR of the shared claims with ``extra`` (values encoded as
        given); raises as :func:`encode_claims`."""
        keys = sorted(extra, key=sort_key)
        if keys and (sort_key(keys[0]) <= self._last or not _MODELLED.isdisjoint(keys)):
            # A key among or before the shared ones (or colliding): the general writer.
            shared = self._shared
            return encode_claims(
                Claims(shared.issuer, shared.issued_at, shared.expires_at,
                       shared.not_before, shared.cti, extra),
                sort_extra=False,
            )  # fmt: skip
        # Every extra key sorts after the shared ones: the map is the shared entries, then
        # the extra entries in key order (cbor2 writes them; the sub-map's head is dropped).
        written = dumps_in_order({key: extra[key] for key in keys})
        skip = len(head(5, len(keys)))
        return head(5, self._count + len(keys)) + self._entries + written[skip:]


def decode_claims(payload: bytes, *, max_bytes: int = 4096) -> Claims:
    """Decode a verified payload into :class:`Claims`.

    The payload must be strict, deterministically encoded CBOR (docs/format.md §4: dates
    only as tag 100, times only as integer tag 1). Requires ``iss`` (text), ``iat`` and
    ``exp`` (integer NumericDates, ``exp > iat``); accepts ``nbf`` and ``cti``; every other
    integer key goes to ``extra`` undecoded. Raises ``MalformedClaims`` (or ``TooLarge``).
    """
    try:
        item = strict_loads(payload, max_bytes=max_bytes, raw_tags=False, deterministic=True)
    except MalformedCbor as exc:
        raise MalformedClaims(f"payload is not strict CBOR: {exc.message}") from exc
    except TooLarge:
        raise
    if not isinstance(item, dict):
        raise MalformedClaims("claims set is not a map")
    if not set(map(type, item)) <= _INT_KEYS:  # bool is a type of its own, not an int here
        for key in item:
            if isinstance(key, bool) or not isinstance(key, int):
                raise MalformedClaims(f"claim key {key!r} is not an integer")
    extra = {key: value for key, value in item.items() if key not in _MODELLED}
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


def check_times(
    claims: Claims,
    *,
    now: datetime,
    leeway: timedelta = timedelta(0),
    max_lifetime: timedelta | None = None,
) -> None:
    """Check the claims' validity window, then ``iat``, ``nbf`` and ``exp`` against ``now``
    with ``leeway`` for clock skew.

    The window first, whatever ``now`` is: ``MalformedClaims`` if ``nbf >= exp`` (the
    window ``[nbf, exp)`` is empty: no time exists at which the credential is valid), and
    ``ValidityTooLong`` if ``max_lifetime`` is given and ``exp - iat`` exceeds it (leeway
    does not stretch it). Then :func:`check_instants`: ``IssuedInFuture`` (iat > now +
    leeway), ``NotYetValid`` (nbf > now + leeway) or ``Expired`` (now >= exp + leeway).
    """
    now = require_utc(now)
    if claims.not_before is not None and claims.not_before >= claims.expires_at:
        raise MalformedClaims("nbf is not before exp: the credential is never valid")
    lifetime = claims.expires_at - claims.issued_at
    if max_lifetime is not None and lifetime > max_lifetime:
        raise ValidityTooLong(
            f"credential is valid for {lifetime}, longer than the {max_lifetime} allowed",
            issued_at=claims.issued_at,
            expires_at=claims.expires_at,
            lifetime=lifetime,
            limit=max_lifetime,
        )
    check_instants(
        issued_at=claims.issued_at,
        not_before=claims.not_before,
        expires_at=claims.expires_at,
        now=now,
        leeway=leeway,
    )


_ZERO: Final = timedelta(0)
_US: Final = timedelta(microseconds=1)


def require_leeway(value: object, name: str) -> timedelta:
    """``value`` if it is a non-negative ``timedelta`` (a clock skew, a grace period, an
    age limit), else ``InvalidArgument``: a negative leeway would turn every check it
    loosens into a stricter one nobody asked for, or silently refuse everything."""
    if not isinstance(value, timedelta) or value < _ZERO:
        raise InvalidArgument(f"{name} must be a non-negative duration, not {value!r}")
    return value


def check_instants(
    *,
    issued_at: datetime,
    not_before: datetime | None,
    expires_at: datetime | None,
    now: datetime,
    leeway: timedelta,
    expiry_grace: timedelta = _ZERO,
    subject: str = "credential",
) -> None:
    """The time checks of a signed object (a credential, a status list) at ``now``, in this
    order: ``IssuedInFuture`` if ``issued_at - now > leeway``, ``NotYetValid`` if
    ``not_before - now > leeway``, ``Expired`` if ``now - expires_at >= leeway +
    expiry_grace``. ``not_before`` and ``expires_at`` may be None (absent). ``subject``
    names the object in the messages.

    Differences, never sums of datetimes: an instant near 9999-12-31 plus a leeway would
    overflow; ``leeway + expiry_grace`` is summed in whole microseconds (integers), so two
    near-maximal timedeltas do not overflow either.
    """
    require_leeway(leeway, "leeway")
    if expiry_grace:
        require_leeway(expiry_grace, "expiry_grace")
    if issued_at - now > leeway:
        raise IssuedInFuture(
            f"{subject} was issued in the future, at {issued_at:%Y-%m-%d %H:%M:%SZ}",
            issued_at=issued_at,
            now=now,
        )
    if not_before is not None and not_before - now > leeway:
        raise NotYetValid(
            f"{subject} is not valid before {not_before:%Y-%m-%d %H:%M:%SZ}",
            not_before=not_before,
            now=now,
        )
    if expires_at is None:
        return
    late = now - expires_at
    expired = (
        late >= leeway if not expiry_grace else late // _US >= leeway // _US + expiry_grace // _US
    )
    if expired:
        raise Expired(
            f"{subject} expired at {expires_at:%Y-%m-%d %H:%M:%SZ}", expired_at=expires_at, now=now
        )


# --- proof-of-possession key (cnf, RFC 8747) as a COSE_Key (RFC 9052 §7, RFC 9053) ----------


class CoseKeyParam(IntEnum):
    """COSE_Key labels (IANA "COSE Key Common Parameters" / "COSE Key Type Parameters")."""

    KTY = 1
    KID = 2
    ALG = 3
    CRV = -1
    X = -2
    Y = -3


# The holder-key algorithms and their COSE_Key (kty, crv), from the registry.
_ES256: Final = ALGORITHMS[Algorithm.ES256]
_EDDSA: Final = ALGORITHMS[Algorithm.EDDSA]
_SM2: Final = ALGORITHMS[Algorithm.SM2]
_KTY_OKP: Final = int(_EDDSA.key_type)
_KTY_EC2: Final = int(_ES256.key_type)
_CRV_P256: Final = int(_ES256.cose_crv or 0)
_CRV_ED25519: Final = int(_EDDSA.cose_crv or 0)
_CRV_SM2: Final = int(_SM2.cose_crv or 0)
_CNF: Final = int(Claim.CNF)
_CNF_COSE_KEY: Final = 1  # RFC 8747 §3.1: the confirmation method "COSE_Key"
_KTY, _KID, _ALG, _CRV, _X, _Y = (int(p) for p in CoseKeyParam)
_OKP_LABELS: Final = frozenset((_KTY, _KID, _ALG, _CRV, _X))
_EC2_LABELS: Final = frozenset((_KTY, _KID, _ALG, _CRV, _X, _Y))
# Ed25519 public keys under which anyone can make signatures that verify (OpenSSL accepts
# the identity key with R = identity, S = 0 for every message): the points of order 1, 2, 4
# and 8, compared without the sign bit, as libsodium does; plus every non-canonical y >= p.
_ED25519_P: Final = 2**255 - 19
_ED25519_SMALL_ORDER: Final = frozenset(
    bytes.fromhex(point)
    for point in (
        "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
        "0100000000000000000000000000000000000000000000000000000000000000",  # identity
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    )
)


def _weak_ed25519(raw: bytes) -> bool:
    y = raw[:31] + bytes((raw[31] & 0x7F,))
    return y in _ED25519_SMALL_ORDER or int.from_bytes(y, "little") >= _ED25519_P


def encode_cose_key(public_key: PublicKey) -> dict[int, object]:
    """The compact COSE_Key of a P-256, SM2 or Ed25519 public key, in deterministic key order.

    Ed25519: ``{1: 1 (OKP), -1: 6 (Ed25519), -2: x}``; P-256: ``{1: 2 (EC2), -1: 1 (P-256),
    -2: x, -3: sign bit of y}`` with point compression (RFC 9053 §7.1.1), 33 bytes shorter
    than the uncompressed point; SM2 the same with ``-1: -65537`` (docs/format.md "SM2"). No ``alg``: qrseal uses one algorithm per key type. Raises
    ``InvalidArgument`` for a private key (only the public half ever leaves the device) and
    ``InvalidKey`` for any other key type or curve, or a small-order Ed25519 key.
    """
    if isinstance(public_key, PRIVATE_KEY_TYPES):
        raise InvalidArgument(
            "a holder key must be a public key (the private half stays on the device)"
        )
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if _weak_ed25519(raw):
            raise InvalidKey("a small-order Ed25519 key binds nothing: anyone can sign for it")
        return {_KTY: _KTY_OKP, _CRV: _CRV_ED25519, _X: raw}
    if (
        isinstance(public_key, ec.EllipticCurvePublicKey)
        and public_key.curve.name == _ES256.curve_name
    ):
        point = public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        return {_KTY: _KTY_EC2, _CRV: _CRV_P256, _X: point[1:], _Y: point[0] == 3}
    if isinstance(public_key, Sm2PublicKey):
        return {
            _KTY: _KTY_EC2,
            _CRV: _CRV_SM2,
            _X: public_key.x.to_bytes(32, "big"),
            _Y: bool(public_key.y & 1),
        }
    raise InvalidKey(f"a holder key must be P-256, SM2 or Ed25519, not {type(public_key).__name__}")


def decode_cose_key(value: object) -> PublicKey:
    """Decode a COSE_Key holding a P-256 or SM2 (compressed or uncompressed) or Ed25519
    public key.

    Accepts the labels kty, crv, x (and y for EC2) plus an optional ``kid`` (ignored) and an
    optional ``alg`` that must be the key type's one algorithm (ES256, SM2, EdDSA). Raises
    ``MalformedClaims`` for anything else, including a point not on the curve and an Ed25519
    key of small order (under which anyone can sign) or with a non-canonical encoding.
    """
    if not isinstance(value, Mapping):
        raise MalformedClaims("COSE_Key is not a map")
    kty, crv, x = value.get(_KTY), value.get(_CRV), value.get(_X)
    if kty == _KTY_OKP and crv == _CRV_ED25519 and type(kty) is int and type(crv) is int:
        labels, alg = _OKP_LABELS, int(Algorithm.EDDSA)
    elif kty == _KTY_EC2 and crv == _CRV_P256 and type(kty) is int and type(crv) is int:
        labels, alg = _EC2_LABELS, int(Algorithm.ES256)
    elif kty == _KTY_EC2 and crv == _CRV_SM2 and type(kty) is int and type(crv) is int:
        labels, alg = _EC2_LABELS, int(Algorithm.SM2)
    else:
        raise MalformedClaims("COSE_Key is not an Ed25519 (OKP), P-256 or SM2 (EC2) key")
    if not set(value) <= labels:
        raise MalformedClaims("COSE_Key has labels qrseal does not use")
    if _ALG in value and (type(value[_ALG]) is not int or value[_ALG] != alg):
        raise MalformedClaims("COSE_Key alg does not match its key type")
    if _KID in value and not isinstance(value[_KID], bytes):
        raise MalformedClaims("COSE_Key kid is not a byte string")
    if not isinstance(x, bytes) or len(x) != 32:
        raise MalformedClaims("COSE_Key x is not 32 bytes")
    try:
        if kty == _KTY_OKP:
            if _weak_ed25519(x):
                raise MalformedClaims("COSE_Key is a small-order or non-canonical Ed25519 key")
            return ed25519.Ed25519PublicKey.from_public_bytes(x)
        y = value.get(_Y)
        if isinstance(y, bool):
            point = (b"\x03" if y else b"\x02") + x
        elif isinstance(y, bytes) and len(y) == 32:
            point = b"\x04" + x + y
        else:
            raise MalformedClaims("COSE_Key y is neither a sign bit nor 32 bytes")
        if crv == _CRV_SM2:
            return Sm2PublicKey.from_encoded_point(point)
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, InvalidKey) as exc:  # not a point on the curve
        raise MalformedClaims("COSE_Key is not a valid public key") from exc


def encode_cnf(public_key: PublicKey) -> dict[int, object]:
    """The value of the ``cnf`` claim binding a credential to ``public_key``: ``{1: COSE_Key}``
    (RFC 8747 §3.2). Raises as :func:`encode_cose_key`."""
    return {_CNF_COSE_KEY: encode_cose_key(public_key)}


def decode_cnf(value: object) -> PublicKey:
    """The public key of a ``cnf`` claim value ``{1: COSE_Key}``. Other confirmation methods
    (encrypted keys, key ids) are not supported. Raises ``MalformedClaims``."""
    if not isinstance(value, Mapping) or set(value) != {_CNF_COSE_KEY}:
        raise MalformedClaims("cnf is not a map holding exactly one COSE_Key (label 1)")
    return decode_cose_key(value[_CNF_COSE_KEY])
