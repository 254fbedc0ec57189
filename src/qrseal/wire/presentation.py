"""Live presentations: a credential plus a device signature made at a time (docs/format.md §10).

A live presentation (``DP1:``) carries the issuer's credential bytes unchanged next to a
*proof*: a COSE_Sign1 by the holder's device key whose payload is a tiny claims set (the
presentation time, optionally a verifier nonce and an audience) and whose external AAD is the
credential bytes. The credential names the device key in its ``cnf`` claim (RFC 8747), so a
verifier that has checked the issuer's signature learns which key must have made the proof.

Credential-agnostic: this module never looks inside the credential. It parses the envelope
(strict CBOR, exact shapes) and, once the caller has a trusted device key, verifies the proof
and only then decodes the proof's claims. Nothing unauthenticated is decoded beyond the
envelope: the credential travels as an opaque byte string and the proof's payload is parsed
only after its signature verified.

Lower-level API. Most users want :class:`qrseal.Holder` and :class:`qrseal.Verifier`.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Final

import cbor2
from cryptography.hazmat.primitives import hashes

from ..errors import (
    AlgorithmNotAllowed,
    AudienceMismatch,
    HolderBindingInvalid,
    InvalidArgument,
    MalformedCbor,
    MalformedClaims,
    MalformedCose,
    NonceMismatch,
    PresentationInFuture,
    PresentationReplayed,
    SignatureInvalid,
    StalePresentation,
    TooLarge,
)
from .algorithms import Algorithm, PublicKey, parse_algorithm, verify_signature
from .cbor import deterministic_dumps, dumps_in_order, strict_loads
from .cose import (
    COSE_SIGN1_TAG,
    MAX_COSE_BYTES,
    HeaderLabel,
    Sign1,
    read_bstr,
    read_canonical_sign1,
    sig_structure,
)
from .cwt import from_numeric_date, require_utc, to_numeric_date

__all__ = [
    "MAX_AUDIENCE_BYTES",
    "MAX_NONCE_BYTES",
    "MIN_NONCE_BYTES",
    "LivePresentation",
    "PresentationKind",
    "PresentationParts",
    "ProofClaim",
    "ProofClaims",
    "ReplayCache",
    "check_audience",
    "check_challenge",
    "check_nonce",
    "check_presentation_time",
    "decode_presentation",
    "decode_proof_claims",
    "encode_presentation",
    "verify_proof",
]

#: Nonce length bounds of the EAT ``eat_nonce`` claim whose key the proof reuses (RFC 9711 §4.1).
MIN_NONCE_BYTES: Final = 8
MAX_NONCE_BYTES: Final = 64
#: Longest audience (UTF-8 bytes): a verifier's name, not a document.
MAX_AUDIENCE_BYTES: Final = 64


class PresentationKind(StrEnum):
    """What a verifier saw: a live, device-signed presentation or a static credential."""

    LIVE = "live"
    STATIC = "static"


class ProofClaim(IntEnum):
    """Claim keys of the proof's payload: registered CWT/EAT claim keys, same meaning."""

    AUD = 3  #: RFC 8392 ``aud``: whom the holder addressed the presentation to
    IAT = 6  #: RFC 8392 ``iat``: when the device signed it (the presentation time)
    NONCE = 10  #: RFC 9711 ``eat_nonce``: a verifier-supplied challenge


_AUD, _IAT, _NONCE = (int(c) for c in ProofClaim)
_PROOF_KEYS: Final = frozenset((_AUD, _IAT, _NONCE))
_ALG: Final = int(HeaderLabel.ALG)

# The one accepted encoding of each proof protected header {1: alg}: deterministic, no kid
# (the key comes from the credential's cnf claim), nothing else.
_PROTECTED: Final = MappingProxyType({deterministic_dumps({_ALG: int(a)}): a for a in Algorithm})
_PROTECTED_BY_ALG: Final = MappingProxyType({a: b for b, a in _PROTECTED.items()})
_HEADER_BY_ALG: Final[Mapping[Algorithm, Mapping[object, object]]] = MappingProxyType(
    {a: MappingProxyType({_ALG: int(a)}) for a in Algorithm}
)
_EMPTY: Final[Mapping[object, object]] = MappingProxyType({})
_PAIR_HEAD: Final = b"\x82"  # a two-element array: [credential, proof]


@dataclass(frozen=True, slots=True)
class ProofClaims:
    """The decoded payload of a verified proof."""

    presented_at: datetime
    nonce: bytes | None = None
    audience: str | None = None


@dataclass(frozen=True, slots=True)
class LivePresentation:
    """What a verified live presentation showed: when the device signed it (``presented_at``,
    its clock, whole seconds), its ``age`` at verification (negative when dated slightly
    ahead of the verifier's clock), the ``device_key`` that signed it (the credential's
    ``cnf``), and the ``nonce`` and ``audience`` it carried."""

    presented_at: datetime
    age: timedelta
    device_key: PublicKey = field(repr=False)
    nonce: bytes | None = None
    audience: str | None = None


@dataclass(frozen=True, slots=True)
class PresentationParts:
    """A structurally valid presentation whose signatures have NOT been checked yet.

    ``credential`` is the issuer's COSE_Sign1 bytes, opaque here; ``proof`` the device's
    COSE_Sign1 (its payload still undecoded); ``alg`` the proof's protected algorithm.
    """

    credential: bytes
    proof: Sign1
    alg: Algorithm

    def to_be_signed(self) -> bytes:
        """The proof's Sig_structure: ``["Signature1", protected, credential, payload]``."""
        return sig_structure(self.proof.protected_bytes, self.proof.payload, self.credential)

    def replay_key(self) -> bytes:
        """SHA-256 of the signed content (not of the signature bytes, which an ECDSA signer
        can vary for the same content): the key a :class:`ReplayCache` remembers."""
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self.to_be_signed())
        return digest.finalize()


def check_nonce(nonce: object, name: str = "nonce") -> bytes:
    """Return ``nonce`` if it is 8-64 bytes, else raise ``InvalidArgument``."""
    if not isinstance(nonce, bytes) or not MIN_NONCE_BYTES <= len(nonce) <= MAX_NONCE_BYTES:
        raise InvalidArgument(f"{name} must be {MIN_NONCE_BYTES}-{MAX_NONCE_BYTES} bytes")
    return nonce


def check_audience(audience: object, name: str = "audience") -> str:
    """Return ``audience`` if it is a non-empty str of at most 64 UTF-8 bytes, else raise
    ``InvalidArgument``."""
    if (
        not isinstance(audience, str)
        or not audience
        or len(audience.encode("utf-8", "surrogatepass")) > MAX_AUDIENCE_BYTES
    ):
        raise InvalidArgument(
            f"{name} must be a non-empty str of at most {MAX_AUDIENCE_BYTES} UTF-8 bytes"
        )
    return audience


def encode_presentation(
    credential: bytes,
    *,
    alg: Algorithm,
    sign: Callable[[bytes], bytes],
    presented_at: datetime,
    nonce: bytes | None = None,
    audience: str | None = None,
) -> bytes:
    """Build the presentation bytes ``[credential, proof]``.

    ``sign`` receives the proof's Sig_structure (the credential bytes are its external AAD)
    and returns a COSE-form signature by the device key. The presentation time is written
    in whole seconds. Raises ``InvalidArgument`` for an empty credential, a naive time or a
    nonce/audience outside their bounds.
    """
    if not isinstance(credential, bytes) or not credential:
        raise InvalidArgument("credential must be non-empty bytes")
    protected = _PROTECTED_BY_ALG.get(alg)
    if protected is None:
        raise InvalidArgument(f"unsupported algorithm {alg!r}")
    claims: dict[int, object] = {}  # built in deterministic key order: 3, 6, 10
    if audience is not None:
        claims[_AUD] = check_audience(audience)
    claims[_IAT] = to_numeric_date(presented_at, "presented_at")
    if nonce is not None:
        claims[_NONCE] = check_nonce(nonce)
    payload = dumps_in_order(claims)
    signature = sign(sig_structure(protected, payload, credential))
    proof = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])
    return dumps_in_order([credential, proof])


def _proof_alg(protected_bytes: bytes) -> Algorithm:
    alg = _PROTECTED.get(protected_bytes)
    if alg is not None:
        return alg
    try:
        header = strict_loads(protected_bytes)
    except MalformedCbor as exc:
        raise MalformedCose(f"proof protected header is not strict CBOR: {exc.message}") from exc
    if isinstance(header, Mapping) and set(header) == {_ALG}:
        parse_algorithm(header[_ALG])  # AlgorithmNotAllowed for an unknown algorithm
    raise MalformedCose(
        "proof protected header must be exactly {1: alg}, deterministically encoded"
    )


def _credential_bytes(credential: object) -> bytes:
    if not isinstance(credential, bytes) or not credential:
        raise MalformedCose("the presentation's credential is not a non-empty byte string")
    return credential


def decode_presentation(data: bytes, *, max_bytes: int = MAX_COSE_BYTES) -> PresentationParts:
    """Parse presentation bytes without verifying anything.

    Checks: strict, deterministically encoded CBOR (as :func:`qrseal.wire.cose.strict_loads`;
    the credential's own encoding is checked when it is decoded); an array of exactly two
    elements, a byte string (the credential, not parsed here) and a tag-18 COSE_Sign1 (the
    proof) of ``[protected, {}, payload, signature]`` byte strings and an empty unprotected
    map; a protected header that is exactly the deterministic encoding of ``{1: alg}``.

    Raises ``TooLarge``, ``MalformedCbor``, ``MalformedCose`` or ``AlgorithmNotAllowed``
    (an unknown algorithm).
    """
    body: object = None
    if type(data) is bytes and len(data) <= max_bytes and data[:1] == _PAIR_HEAD:
        # the shape every holder writes, read in place
        first = read_bstr(data, 1)
        if first is not None:
            credential, end = first
            body = read_canonical_sign1(data, end)
    if body is None:  # anything else: the general strict decoder decides
        item = strict_loads(data, max_bytes=max_bytes, deterministic=True)
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise MalformedCose("a presentation is an array [credential, proof]")
        credential, proof = _credential_bytes(item[0]), item[1]
        if not isinstance(proof, cbor2.CBORTag) or proof.tag != COSE_SIGN1_TAG:
            raise MalformedCose("the presentation's proof is not a tagged COSE_Sign1")
        body = proof.value
    credential = _credential_bytes(credential)
    if not isinstance(body, list | tuple) or len(body) != 4:
        raise MalformedCose("the proof is not an array of four elements")
    protected_bytes, unprotected, payload, signature = body
    if not (
        isinstance(protected_bytes, bytes)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise MalformedCose("the proof's protected header, payload and signature must be bytes")
    if not isinstance(unprotected, Mapping) or unprotected:
        raise MalformedCose("the proof's unprotected header must be an empty map")
    alg = _proof_alg(protected_bytes)
    sign1 = Sign1(protected_bytes, _HEADER_BY_ALG[alg], _EMPTY, payload, signature)
    return PresentationParts(credential, sign1, alg)


def verify_proof(parts: PresentationParts, device_key: PublicKey) -> None:
    """Verify the proof's signature under ``device_key`` (from the verified credential's
    ``cnf``). Returns None or raises ``HolderBindingInvalid``: the algorithm does not fit the
    key, or the signature is wrong, made by another key, or over other content."""
    try:
        # verify_signature checks first that the algorithm fits the key.
        verify_signature(parts.alg, device_key, parts.proof.signature, parts.to_be_signed())
    except AlgorithmNotAllowed as exc:
        raise HolderBindingInvalid(
            f"the proof's algorithm {parts.alg.name} does not fit the credential's device key"
        ) from exc
    except SignatureInvalid as exc:
        raise HolderBindingInvalid(
            "the device signature does not verify under the key the credential is bound to"
        ) from exc


def decode_proof_claims(payload: bytes) -> ProofClaims:
    """Decode a verified proof's payload ``{? 3: aud, 6: iat, ? 10: nonce}``.

    Raises ``MalformedClaims`` for anything else: CBOR that is not deterministically
    encoded, other keys, a missing or non-integer
    ``iat``, a nonce outside 8-64 bytes, an empty or over-long audience.
    """
    try:
        item = strict_loads(payload, max_bytes=256, max_depth=2, deterministic=True)
    except (MalformedCbor, TooLarge) as exc:
        raise MalformedClaims(
            f"proof payload is not a small strict CBOR map: {exc.message}"
        ) from exc
    if not isinstance(item, Mapping):
        raise MalformedClaims("proof payload is not a map")
    if not set(item) <= _PROOF_KEYS or _IAT not in item:
        raise MalformedClaims("proof payload must be {? 3: aud, 6: iat, ? 10: nonce}")
    presented_at = from_numeric_date(item[_IAT], "iat")
    nonce = item.get(_NONCE)
    audience = item.get(_AUD)
    try:
        if nonce is not None:
            check_nonce(nonce)
        if audience is not None:
            check_audience(audience)
    except InvalidArgument as exc:
        raise MalformedClaims(f"proof claim {exc.message}") from exc
    return ProofClaims(presented_at, nonce, audience)


def check_challenge(
    proof: ProofClaims, *, expected_nonce: bytes | None, expected_audience: str | None
) -> None:
    """Check a verified proof's nonce and audience against what the verifier expects.

    Raises ``NonceMismatch`` when a nonce is expected and the proof carries another or none
    (a nonce the verifier did not ask for is ignored), and ``AudienceMismatch`` unless the
    proof's audience equals the expected one: an addressed presentation is refused by
    anyone who does not identify with its audience, and a verifier that expects one requires
    it (the semantics of RFC 7519 §4.1.3).
    """
    if expected_nonce is not None and proof.nonce != expected_nonce:
        raise NonceMismatch(
            "the presentation does not carry this verifier's nonce"
            if proof.nonce is not None
            else "this verifier requires a nonce and the presentation has none",
            expected=expected_nonce,
            actual=proof.nonce,
        )
    if proof.audience != expected_audience:
        raise AudienceMismatch(
            _audience_message(proof.audience, expected_audience),
            expected=expected_audience,
            actual=proof.audience,
        )


def _audience_message(actual: str | None, expected: str | None) -> str:
    if expected is None:
        return f"the live code is addressed to {actual!r} and this verifier names no audience"
    if actual is None:
        return f"the live code names no audience and this verifier requires {expected!r}"
    return f"the live code is addressed to {actual!r}, not to this verifier ({expected!r})"


def check_presentation_time(
    presented_at: datetime, *, now: datetime, max_age: timedelta, max_skew: timedelta
) -> timedelta:
    """Return the presentation's age at ``now`` (negative when dated slightly ahead).

    Raises ``PresentationInFuture`` when ``presented_at > now + max_skew`` and
    ``StalePresentation`` when ``now - presented_at > max_age``.
    """
    age = now - presented_at
    if -age > max_skew:
        raise PresentationInFuture(
            f"presentation is dated {-age} ahead of this verifier's clock",
            presented_at=presented_at,
            now=now,
        )
    if age > max_age:
        raise StalePresentation(
            f"presentation is {age} old, more than {max_age}: a replayed screenshot or a "
            "phone without a fresh code",
            presented_at=presented_at,
            now=now,
            max_age=max_age,
        )
    return age


class ReplayCache:
    """Remembers the live presentations a verifier accepted, to refuse a second showing of
    the same one while it is still fresh (``presentation_replayed``).

    An explicit object: pass it to :class:`qrseal.Verifier` (``replay_cache=``) and share it
    between verifiers only if they should share the memory. Entries are keyed on the proof's
    signed content (credential, time, nonce, audience), not on its signature bytes, and
    forgotten once the presentation would be stale anyway. Bounded: when ``max_entries``
    fresh entries are held, the one closest to expiry is dropped, so a size below the number
    of codes a verifier accepts per maximum age weakens the check. Thread-safe. Time enters
    only as the ``now`` of each call.
    """

    __slots__ = ("_entries", "_heap", "_lock", "_max_entries")

    def __init__(self, max_entries: int = 10_000) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidArgument("max_entries must be a positive int")
        self._max_entries = max_entries
        self._entries: dict[bytes, datetime] = {}
        self._heap: list[tuple[datetime, bytes]] = []
        self._lock = threading.Lock()

    @property
    def max_entries(self) -> int:
        return self._max_entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _drop_oldest(self) -> None:
        until, key = heapq.heappop(self._heap)
        if self._entries.get(key) == until:
            del self._entries[key]

    def check_and_record(
        self, key: bytes, *, presented_at: datetime, until: datetime, now: datetime
    ) -> None:
        """Record ``key`` as seen until ``until``; raise ``PresentationReplayed`` if it is
        already recorded and not yet past its ``until`` at ``now``."""
        now = require_utc(now)
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                self._drop_oldest()
            # What is left after the purge is still fresh at `now`.
            if key in self._entries:
                raise PresentationReplayed(
                    "this live presentation was already accepted once", presented_at=presented_at
                )
            while len(self._entries) >= self._max_entries:
                self._drop_oldest()
            self._entries[key] = until
            heapq.heappush(self._heap, (until, key))

    def __repr__(self) -> str:
        return f"ReplayCache({len(self)} of {self._max_entries} entries)"
