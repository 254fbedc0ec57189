"""Verifier: credential text or QR image -> :class:`VerifiedLicence`, offline.

Checks run in a fixed order, each on the output of the one before, and the first
failure raises its typed error: size caps -> prefix/version -> text decode -> bounded
inflate -> strict CBOR -> COSE structure -> key lookup and algorithm -> signature ->
claims (only now is the payload decoded) -> issuer -> time -> licence validation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .cose import (
    MAX_COSE_BYTES,
    Algorithm,
    HeaderLabel,
    PublicKey,
    Sign1,
    check_key_algorithm,
    decode_sign1,
    parse_algorithm,
    verify_signature,
)
from .cwt import Claims, check_times, decode_claims, require_utc
from .errors import (
    AlgorithmNotAllowed,
    DataTooOld,
    InvalidArgument,
    InvalidKey,
    IssuerMismatch,
    KeyNotValidAtTime,
    LicenceProblem,
    MalformedClaims,
    MalformedCose,
    MalformedText,
    QrsealError,
    SignatureInvalid,
    TooLarge,
    UnknownKey,
    UnsupportedVersion,
)
from .keys import algorithm_for_key, kid_for
from .licence import Licence
from .profile import DEFAULT_ALGORITHMS, DL_FORMAT, LICENCE_CLAIM
from .qr import scan
from .textcodec import MAX_TEXT_CHARS, TextFormat, peek_header, unpack

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
class TrustedKey:
    """One issuer key a verifier trusts.

    ``kid`` defaults to :func:`qrseal.keys.kid_for` and ``algorithm`` to the key's one
    algorithm. ``not_before``/``not_after`` bound the signing time (the credential's
    ``iat``) the key may be used for.
    """

    public_key: PublicKey
    issuer: str
    algorithm: Algorithm = None  # type: ignore[assignment]  # filled in __post_init__
    kid: bytes = b""
    not_before: datetime | None = None
    not_after: datetime | None = None

    def __post_init__(self) -> None:
        if self.algorithm is None:
            object.__setattr__(self, "algorithm", algorithm_for_key(self.public_key))
        try:
            check_key_algorithm(self.algorithm, self.public_key)
        except AlgorithmNotAllowed as exc:
            raise InvalidKey(exc.message) from exc
        if not self.kid:
            object.__setattr__(self, "kid", kid_for(self.public_key))
        if not self.issuer:
            raise InvalidArgument("a trusted key needs an issuer name")
        for name in ("not_before", "not_after"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, name))

    def valid_at(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside the key's validity window."""
        if self.not_before is not None and moment < self.not_before:
            return False
        return self.not_after is None or moment <= self.not_after


class TrustStore:
    """An immutable set of :class:`TrustedKey`, looked up by ``kid``. Several keys may
    share a ``kid``; the verifier tries each of them."""

    __slots__ = ("_by_kid", "_keys")

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self._keys = tuple(keys)
        by_kid: dict[bytes, tuple[TrustedKey, ...]] = {}
        for key in self._keys:
            if not isinstance(key, TrustedKey):
                raise InvalidArgument("a TrustStore holds TrustedKey values")
            by_kid[key.kid] = (*by_kid.get(key.kid, ()), key)
        self._by_kid: Mapping[bytes, tuple[TrustedKey, ...]] = MappingProxyType(by_kid)

    @classmethod
    def from_pem(cls, pems: Mapping[str, bytes | Iterable[bytes]]) -> TrustStore:
        """Build a store from ``{issuer name: PEM public key(s)}``."""
        from .keys import load_public_key_pem

        keys: list[TrustedKey] = []
        for issuer, value in pems.items():
            for pem in [value] if isinstance(value, bytes) else value:
                keys.append(TrustedKey(load_public_key_pem(pem), issuer))
        return cls(keys)

    def candidates(self, kid: bytes) -> tuple[TrustedKey, ...]:
        """Every trusted key with this ``kid`` (empty when none)."""
        return self._by_kid.get(kid, ())

    def with_keys(self, *keys: TrustedKey) -> TrustStore:
        """A new store with ``keys`` added."""
        return TrustStore((*self._keys, *keys))

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def __repr__(self) -> str:
        return f"TrustStore({len(self._keys)} keys)"


@dataclass(frozen=True, slots=True)
class Policy:
    """What a verifier accepts. Immutable; make variants with ``dataclasses.replace``.

    ``clock_skew`` is the leeway applied to ``iat``, ``nbf`` and ``exp``;
    ``max_data_age`` (optional) caps how old the licence data (``points_as_of``, else
    ``iat``) may be at verification time.
    """

    allowed_algorithms: frozenset[Algorithm] = DEFAULT_ALGORITHMS
    clock_skew: timedelta = timedelta(seconds=60)
    max_text_chars: int = MAX_TEXT_CHARS
    max_cose_bytes: int = MAX_COSE_BYTES
    max_data_age: timedelta | None = None

    def __post_init__(self) -> None:
        if self.clock_skew < timedelta(0):
            raise InvalidArgument("clock_skew must not be negative")
        if self.max_text_chars <= 0 or self.max_cose_bytes <= 0:
            raise InvalidArgument("size caps must be positive")
        if not self.allowed_algorithms:
            raise InvalidArgument("allowed_algorithms must not be empty")


@dataclass(frozen=True, slots=True)
class VerifiedLicence:
    """A licence whose credential verified. ``data_age`` is how old the points/status
    data was at ``verified_at`` (from ``points_as_of``, else the signing time)."""

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

    def warnings(self) -> tuple[LicenceProblem, ...]:
        """Non-fatal findings about the licence data at verification time."""
        return self.licence.warnings(self.verified_at.date())

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
            "drive_permitted": self.licence.drive_permitted(today).value,
            "licence": self.licence.to_json(),
            "warnings": [
                {"field": w.field, "code": w.code, "message": w.message} for w in self.warnings()
            ],
        }


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


def _parse_envelope(text: str | bytes, policy: Policy, formats: tuple[TextFormat, ...]) -> Sign1:
    _, data = unpack(
        _as_text(text, policy.max_text_chars),
        formats,
        max_text_chars=policy.max_text_chars,
        max_bytes=policy.max_cose_bytes,
    )
    return decode_sign1(data, max_bytes=policy.max_cose_bytes)


class Verifier:
    """Verifies driving-licence credentials against a :class:`TrustStore`, offline.

    ``verify`` returns a :class:`VerifiedLicence` or raises a :class:`QrsealError`
    whose ``reason`` says why; it never returns a "not valid" value.
    """

    __slots__ = ("_formats", "_policy", "_trust")

    def __init__(self, trust: TrustStore, policy: Policy | None = None) -> None:
        if not isinstance(trust, TrustStore):
            raise InvalidArgument("a Verifier needs a TrustStore")
        if len(trust) == 0:
            raise InvalidArgument("a Verifier with an empty TrustStore would reject everything")
        self._trust = trust
        self._policy = policy if policy is not None else Policy()
        self._formats = (DL_FORMAT,)

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def trust(self) -> TrustStore:
        return self._trust

    def _check_signature(self, msg: Sign1) -> tuple[TrustedKey, Algorithm]:
        if HeaderLabel.ALG not in msg.protected:
            raise AlgorithmNotAllowed(
                "alg is not in the protected header", alg=msg.alg, kid=msg.kid
            )
        kid = msg.protected.get(HeaderLabel.KID)
        if not isinstance(kid, bytes):
            raise MalformedCose("kid is not in the protected header")
        candidates = self._trust.candidates(kid)
        if not candidates:
            raise UnknownKey(f"no trusted key has kid {kid.hex()}", kid=kid)
        alg = parse_algorithm(msg.protected[HeaderLabel.ALG])
        if alg not in self._policy.allowed_algorithms:
            raise AlgorithmNotAllowed(f"{alg.name} is not allowed by policy", alg=alg, kid=kid)
        matching = [key for key in candidates if key.algorithm is alg]
        if not matching:
            raise AlgorithmNotAllowed(
                f"key {kid.hex()} is not registered for {alg.name}", alg=alg, kid=kid
            )
        tbs = msg.to_be_signed()
        for key in matching:
            try:
                verify_signature(alg, key.public_key, msg.signature, tbs)
            except SignatureInvalid:
                continue
            return key, alg
        raise SignatureInvalid(f"signature does not verify under key {kid.hex()}", kid=kid)

    def verify(self, text: str | bytes, *, now: datetime) -> VerifiedLicence:
        """Verify credential ``text`` at time ``now`` (timezone-aware).

        Raises a :class:`QrsealError` subclass: ``TooLarge``, ``UnsupportedVersion``,
        ``MalformedText``/``MalformedCompression``/``MalformedCbor``/``MalformedCose``,
        ``UnknownCriticalHeader``, ``UnknownKey``, ``AlgorithmNotAllowed``,
        ``SignatureInvalid``, ``MalformedClaims``, ``KeyNotValidAtTime``,
        ``IssuerMismatch``, ``IssuedInFuture``, ``NotYetValid``, ``Expired``,
        ``InvalidLicence`` or ``DataTooOld``.
        """
        now = require_utc(now)
        policy = self._policy
        msg = _parse_envelope(text, policy, self._formats)
        key, alg = self._check_signature(msg)
        # Only now, with the signature checked, is the payload decoded.
        claims = decode_claims(msg.payload, max_bytes=policy.max_cose_bytes)
        if not key.valid_at(claims.issued_at):
            raise KeyNotValidAtTime(
                "signing time is outside the key's validity", kid=key.kid, at=claims.issued_at
            )
        if claims.issuer != key.issuer:
            raise IssuerMismatch(
                f"credential names issuer {claims.issuer!r} but key {key.kid.hex()} belongs to {key.issuer!r}",
                kid=key.kid,
                claimed=claims.issuer,
                trusted=key.issuer,
            )
        check_times(claims, now=now, leeway=policy.clock_skew)
        raw = claims.extra.get(LICENCE_CLAIM)
        if raw is None:
            raise MalformedClaims(f"the licence claim ({LICENCE_CLAIM}) is missing")
        licence = Licence.from_cbor_map(raw)
        licence.check_at(claims.issued_at)
        as_of = licence.points_as_of or claims.issued_at
        age = now - as_of
        if policy.max_data_age is not None and age > policy.max_data_age:
            raise DataTooOld("licence data is older than the policy allows", as_of=as_of, now=now)
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
        )

    def verify_image(
        self,
        image: str | os.PathLike[str] | bytes | Image.Image | npt.NDArray[Any],
        *,
        now: datetime,
    ) -> VerifiedLicence:
        """Read QR codes from a photo or screenshot and verify the first credential found.

        Codes with a known prefix are tried in order; the first that verifies wins. If
        none verifies, the first one's error is raised. Raises ``InvalidImage``,
        ``TooLarge`` and ``NoQrFound`` for the image, and the errors of :meth:`verify`.
        """
        results = scan(image)
        texts = [r.text for r in results]
        ours = [
            t for t in texts if peek_header(t) in {(f.prefix, f.version) for f in self._formats}
        ]
        first_error: QrsealError | None = None
        for text in ours or texts[:1]:
            try:
                return self.verify(text, now=now)
            except QrsealError as exc:
                first_error = first_error or exc
        if first_error is None:  # pragma: no cover - scan() raises NoQrFound instead
            raise UnsupportedVersion("no credential in the image")
        raise first_error


@dataclass(frozen=True, slots=True)
class UnverifiedCredential:
    """What a credential says about itself, NOT verified. For debugging only."""

    prefix: str
    version: int
    cose_bytes: int
    protected: Mapping[object, object]
    unprotected: Mapping[object, object]
    signature: bytes
    claims: Claims | None
    licence: Licence | None
    problem: QrsealError | None


def inspect_unverified(text: str | bytes, *, policy: Policy | None = None) -> UnverifiedCredential:
    """Decode a credential WITHOUT checking its signature, for debugging and support.

    Nothing returned here is trustworthy. Envelope errors raise; a payload that does not
    decode is reported in ``problem`` so that as much as possible is shown.
    """
    policy = policy or Policy()
    fmt, data = unpack(
        _as_text(text, policy.max_text_chars),
        (DL_FORMAT,),
        max_text_chars=policy.max_text_chars,
        max_bytes=policy.max_cose_bytes,
    )
    msg = decode_sign1(data, max_bytes=policy.max_cose_bytes)
    claims: Claims | None = None
    licence: Licence | None = None
    problem: QrsealError | None = None
    try:
        claims = decode_claims(msg.payload)
        raw = claims.extra.get(LICENCE_CLAIM)
        if raw is None:
            raise MalformedClaims("licence claim missing")
        licence = Licence.from_cbor_map(raw)
    except QrsealError as exc:
        problem = exc
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
    )
