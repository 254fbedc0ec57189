"""COSE_Sign1 (RFC 9052): parse, build and verify single-signer messages.

Credential-agnostic: this module signs and verifies opaque payload bytes. It never
looks inside the payload; the caller decodes it only after :func:`verify_sign1` (or
:func:`verify_with_candidates`) returned. Strict CBOR lives in :mod:`qrseal.wire.cbor`,
the algorithm registry in :mod:`qrseal.wire.algorithms`.

Lower-level API. Most users want :class:`qrseal.Issuer` and :class:`qrseal.Verifier`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final, TypeVar

import cbor2

from ..errors import (
    AlgorithmNotAllowed,
    MalformedCbor,
    MalformedCose,
    SignatureInvalid,
    UnknownCriticalHeader,
    UnknownKey,
)

# Compatibility re-exports: these names moved to qrseal.wire.algorithms and qrseal.wire.cbor
# (their one home); importing them from here keeps working.
from .algorithms import Algorithm as Algorithm
from .algorithms import PublicKey as PublicKey
from .algorithms import check_key_algorithm as check_key_algorithm
from .algorithms import parse_algorithm as parse_algorithm
from .algorithms import sign_bytes as sign_bytes
from .algorithms import verify_signature as verify_signature
from .algorithms import verifying_function
from .cbor import DETERMINISTIC_RULE, bstr, is_deterministic
from .cbor import MAX_CBOR_DEPTH as MAX_CBOR_DEPTH
from .cbor import deterministic_dumps as deterministic_dumps
from .cbor import deterministic_order as deterministic_order
from .cbor import dumps_in_order as dumps_in_order
from .cbor import sort_key as sort_key
from .cbor import strict_loads as strict_loads

__all__ = [
    "COSE_SIGN1_TAG",
    "MAX_CBOR_DEPTH",
    "MAX_COSE_BYTES",
    "Algorithm",
    "HeaderLabel",
    "PublicKey",
    "Sign1",
    "assemble_sign1",
    "check_key_algorithm",
    "decode_sign1",
    "deterministic_dumps",
    "deterministic_order",
    "dumps_in_order",
    "encode_sign1",
    "parse_algorithm",
    "protected_header",
    "sig_structure",
    "sign_bytes",
    "sort_key",
    "strict_loads",
    "verify_sign1",
    "verify_signature",
    "verify_with_candidates",
]

COSE_SIGN1_TAG: Final = 18
_SIGN1_HEAD: Final = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, None))[:1]
#: Cap on the bytes of one COSE message. A QR code (version 40) holds at most 2,953 bytes.
MAX_COSE_BYTES: Final = 4096


class HeaderLabel(IntEnum):
    """COSE header parameter labels (RFC 9052 §3.1, RFC 9596)."""

    ALG = 1
    CRIT = 2
    CONTENT_TYPE = 3
    KID = 4
    TYP = 16


# Labels whose meaning this implementation knows; only these may be listed in `crit`.
_UNDERSTOOD_LABELS: Final = frozenset(int(label) for label in HeaderLabel)
# Plain ints for lookups in decoded maps: IntEnum members hash through slow Python code.
_ALG: Final = int(HeaderLabel.ALG)
_KID: Final = int(HeaderLabel.KID)
_CRIT: Final = int(HeaderLabel.CRIT)
_K = TypeVar("_K")


@dataclass(frozen=True, slots=True)
class Sign1:
    """A structurally valid COSE_Sign1 whose signature has NOT been checked yet."""

    protected_bytes: bytes
    protected: Mapping[object, object]
    unprotected: Mapping[object, object]
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> object:
        """The ``alg`` header: protected if present there, else unprotected (may be None)."""
        if _ALG in self.protected:
            return self.protected[_ALG]
        return self.unprotected.get(_ALG)

    def to_be_signed(self, external_aad: bytes = b"") -> bytes:
        """The Sig_structure for this message. An empty protected map, however it was
        encoded, counts as a zero-length bstr (RFC 9052 §4.4)."""
        return sig_structure(
            self.protected_bytes if self.protected else b"", self.payload, external_aad
        )

    @property
    def kid(self) -> bytes | None:
        """The ``kid`` header, protected first; None when absent."""
        kid = self.protected.get(_KID, self.unprotected.get(_KID))
        return kid if isinstance(kid, bytes) else None


_EMPTY_HEADER: Final[Mapping[object, object]] = MappingProxyType({})
_EMPTY_MAP: Final[Mapping[object, object]] = cbor2.frozendict()  # cbor2: {} inside a tag
# Tag 18 and the head of a four-element array: how every COSE_Sign1 starts.
_SIGN1_ARRAY_HEAD: Final = _SIGN1_HEAD + b"\x84"
# A four-element array and the text "Signature1": how every Sig_structure starts.
_SIGNATURE1_HEAD: Final = b"\x84" + cbor2.dumps("Signature1")
_EMPTY_MAP_BYTES: Final = cbor2.dumps({})
_MAP_TYPES: Final = (dict, cbor2.frozendict)


def _check_header_map(header: object, where: str) -> Mapping[object, object]:
    if not header and type(header) in _MAP_TYPES:
        return _EMPTY_HEADER
    if not isinstance(header, Mapping):
        raise MalformedCose(f"{where} header is not a map")
    for label, value in header.items():
        if isinstance(label, bool) or not isinstance(label, int | str):
            raise MalformedCose(f"{where} header label {label!r} is not an int or text")
        if label == _KID and not isinstance(value, bytes):
            raise MalformedCose(f"{where} kid is not a byte string")
        if label == _ALG and (isinstance(value, bool) or not isinstance(value, int | str)):
            raise MalformedCose(f"{where} alg is not an int or text")
    return MappingProxyType(dict(header))


def _deterministic_sign1(item: object, data: bytes) -> bool:
    """:func:`~qrseal.wire.cbor.is_deterministic` for a decoded COSE_Sign1. The usual shape,
    tag 18 over ``[bstr, {}, bstr, bstr]``, is checked as the tag's head plus the encoding
    of a plain list (cbor2 encodes lists and dicts in C, tags and frozendicts slowly)."""
    if type(item) is cbor2.CBORTag and item.tag == COSE_SIGN1_TAG:
        body = item.value
        if (
            type(body) is tuple
            and len(body) == 4
            and type(body[0]) is bytes
            and type(body[1]) is cbor2.frozendict
            and not body[1]
            and type(body[2]) is bytes
            and type(body[3]) is bytes
        ):
            return data == _SIGN1_HEAD + cbor2.dumps([body[0], {}, body[2], body[3]])
    return is_deterministic(item, data)


def read_bstr(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """The CBOR byte string whose shortest-form head starts at ``pos`` and the position after
    it; None for anything else (another type, a longer head, a length past 65535)."""
    head = data[pos] if pos < len(data) else 0
    if not 0x40 <= head <= 0x59:
        return None
    if head < 0x58:
        start, size = pos + 1, head - 0x40
    elif head == 0x58:
        start, size = pos + 2, data[pos + 1] if pos + 1 < len(data) else 0
        if size < 24:
            return None
    else:
        start, size = pos + 3, int.from_bytes(data[pos + 1 : pos + 3], "big")
        if size < 256:
            return None
    end = start + size
    return (data[start:end], end) if end <= len(data) else None


def read_canonical_sign1(data: bytes, start: int = 0) -> tuple[bytes, object, bytes, bytes] | None:
    """The four elements of ``data[start:]`` when it is exactly the deterministic encoding
    of tag 18 over ``[bstr, {}, bstr, bstr]`` (what every issuer writes), read in place;
    None for anything else, which the caller then hands to the general strict decoder.

    Accepts exactly the byte strings that :func:`strict_loads` decodes into that shape and
    :func:`~qrseal.wire.cbor.is_deterministic` accepts, without building a decoder: each
    head is read by hand and must be the shortest, and nothing may follow the signature.
    The unprotected map is returned as cbor2 returns it (an empty ``frozendict``)."""
    if data[start : start + 2] != _SIGN1_ARRAY_HEAD:
        return None
    protected = read_bstr(data, start + 2)
    if protected is None or data[protected[1] : protected[1] + 1] != b"\xa0":
        return None
    payload = read_bstr(data, protected[1] + 1)
    if payload is None:
        return None
    signature = read_bstr(data, payload[1])
    if signature is None or signature[1] != len(data):
        return None
    return protected[0], _EMPTY_MAP, payload[0], signature[0]


@functools.lru_cache(maxsize=256)
def _protected_header(protected_bytes: bytes, strict: bool) -> Mapping[object, object]:
    """The checked, read-only protected header map. Cached by its bytes: an issuer key's
    credentials all carry the same few bytes, and the result is immutable (errors are not
    cached)."""
    try:
        decoded = strict_loads(protected_bytes, deterministic=strict)
    except MalformedCbor as exc:
        raise MalformedCose(f"protected header is not strict CBOR: {exc.message}") from exc
    return _check_header_map(decoded, "protected")


def decode_sign1(
    data: bytes,
    *,
    require_tag: bool = True,
    max_bytes: int = MAX_COSE_BYTES,
    protected_labels: frozenset[int] | None = None,
) -> Sign1:
    """Parse a COSE_Sign1 message without verifying it.

    Checks: strict CBOR, tag 18 (or an untagged array when ``require_tag`` is False), a
    4-element array ``[bstr protected, map unprotected, bstr payload, bstr signature]``,
    a protected header that is empty or a strictly encoded map, no label in both
    header buckets, and a ``crit`` header naming only understood labels that are present
    in the protected header. Detached payloads (nil) are rejected.

    ``protected_labels`` switches on a profile's strict envelope (docs/format.md §2; the
    ``DL1`` credential's is ``{1, 4}``): the message and its protected header must be
    deterministically encoded (``MalformedCbor``, ``MalformedCose``), the protected header
    must hold exactly these labels and the unprotected header must be empty
    (``MalformedCose``): nothing unsigned may ride along. Without it, the generic RFC 9052
    rules apply (the COSE WG examples, and the status lists of the Token Status List draft,
    carry unprotected headers).

    Raises ``TooLarge``, ``MalformedCbor``, ``MalformedCose`` or ``UnknownCriticalHeader``.
    """
    strict = protected_labels is not None
    item: object = None
    if strict and require_tag and type(data) is bytes and len(data) <= max_bytes:
        item = read_canonical_sign1(data)
    if item is None:  # not the one shape read in place: the general strict decoder decides
        item = strict_loads(data, max_bytes=max_bytes)
        if strict and not _deterministic_sign1(item, data):
            raise MalformedCbor(DETERMINISTIC_RULE)
        if isinstance(item, cbor2.CBORTag):
            if item.tag != COSE_SIGN1_TAG:
                raise MalformedCose(f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
            item = item.value
        elif require_tag:
            raise MalformedCose("COSE_Sign1 tag 18 is missing")
    # cbor2 hands tag contents over as immutable containers (tuple, frozendict).
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise MalformedCose("COSE_Sign1 is not an array of four elements")
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes):
        raise MalformedCose("protected header is not a byte string")
    if not isinstance(payload, bytes):
        raise MalformedCose("payload is not a byte string (detached payloads are not supported)")
    if not isinstance(signature, bytes):
        raise MalformedCose("signature is not a byte string")
    protected = _protected_header(protected_bytes, strict) if protected_bytes else _EMPTY_HEADER
    unprotected_map = _check_header_map(unprotected, "unprotected")
    both = set(protected) & set(unprotected_map)
    if both:
        raise MalformedCose(f"header labels {sorted(map(str, both))} appear in both buckets")
    if _CRIT in unprotected_map:
        raise MalformedCose("crit must be in the protected header")
    if _CRIT in protected:
        crit = protected[_CRIT]
        if (
            not isinstance(crit, list | tuple)
            or not crit
            or any(isinstance(label, bool) or not isinstance(label, int | str) for label in crit)
        ):
            raise MalformedCose("crit is not a non-empty array of labels")
        unknown = tuple(label for label in crit if label not in _UNDERSTOOD_LABELS)
        if unknown:
            raise UnknownCriticalHeader(
                f"critical header labels not understood: {unknown!r}", labels=unknown
            )
        if any(label not in protected for label in crit):
            raise MalformedCose("crit lists a label that is not in the protected header")
    if protected_labels is not None:  # after crit: an unknown critical label says more
        if unprotected_map:
            raise MalformedCose("the unprotected header must be empty: it is not signed")
        if protected.keys() != protected_labels:
            raise MalformedCose(
                f"the protected header must hold exactly the labels {sorted(protected_labels)}"
            )
    return Sign1(protected_bytes, protected, unprotected_map, payload, signature)


def sig_structure(protected_bytes: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """The ``Sig_structure`` ("Signature1") that is signed (RFC 9052 §4.4)."""
    # Written by hand, as cbor2 would (a test compares): byte strings need only a head.
    return b"".join((_SIGNATURE1_HEAD, bstr(protected_bytes), bstr(external_aad), bstr(payload)))


def encode_sign1(
    payload: bytes,
    *,
    alg: Algorithm,
    sign: Callable[[bytes], bytes],
    kid: bytes | None = None,
    protected_extra: Mapping[int, object] | None = None,
    unprotected: Mapping[int, object] | None = None,
    external_aad: bytes = b"",
) -> bytes:
    """Build a tagged COSE_Sign1 with ``alg`` (and ``kid`` when given) in the protected
    header. ``sign`` receives the Sig_structure bytes and returns the COSE-form signature."""
    protected_bytes = protected_header(alg, kid, protected_extra)
    signature = sign(sig_structure(protected_bytes, payload, external_aad))
    return assemble_sign1(protected_bytes, payload, signature, unprotected)


def protected_header(
    alg: Algorithm, kid: bytes | None = None, extra: Mapping[int, object] | None = None
) -> bytes:
    """The encoded protected header of :func:`encode_sign1`: ``alg``, ``kid`` when given,
    and ``extra``, in deterministic key order."""
    protected: dict[int, object] = {_ALG: int(alg)}
    if kid is not None:
        protected[_KID] = kid
    if extra:
        protected.update(extra)
        return deterministic_dumps(protected)
    return dumps_in_order(protected)  # {1, 4} is already in key order


def assemble_sign1(
    protected_bytes: bytes,
    payload: bytes,
    signature: bytes,
    unprotected: Mapping[int, object] | None = None,
) -> bytes:
    """The tagged COSE_Sign1 of a payload signed apart (``signature`` over
    :func:`sig_structure` of ``protected_bytes`` and ``payload``): what
    :func:`encode_sign1` returns, for callers that sign many messages in one go."""
    # Tag 18, a four-element array, then its items: the byte strings need only a head
    # (cbor2 encodes a CBORTag on a slow path; a test compares with cbor2's encoding).
    header = dumps_in_order(dict(unprotected)) if unprotected else _EMPTY_MAP_BYTES
    return b"".join(
        (_SIGN1_ARRAY_HEAD, bstr(protected_bytes), header, bstr(payload), bstr(signature))
    )


def verify_sign1(
    msg: Sign1,
    public_key: PublicKey,
    *,
    allowed: frozenset[Algorithm] | None = None,
    require_protected_alg: bool = True,
    external_aad: bytes = b"",
) -> Algorithm:
    """Verify ``msg`` under ``public_key`` and return the algorithm used.

    ``alg`` must be in the protected header unless ``require_protected_alg`` is False
    (RFC 9052 allows it unprotected; qrseal's own formats never do), must be in
    ``allowed`` (when given) and must fit the key. Raises ``AlgorithmNotAllowed`` or
    ``SignatureInvalid``.
    """
    if require_protected_alg and _ALG not in msg.protected:
        raise AlgorithmNotAllowed("alg is not in the protected header", alg=msg.alg, kid=msg.kid)
    alg = parse_algorithm(msg.alg)
    if allowed is not None and alg not in allowed:
        raise AlgorithmNotAllowed(f"{alg.name} is not allowed here", alg=alg, kid=msg.kid)
    verify_signature(alg, public_key, msg.signature, msg.to_be_signed(external_aad))
    return alg


def verify_with_candidates(
    msg: Sign1,
    candidates: Sequence[_K],
    *,
    key_of: Callable[[_K], PublicKey],
    algorithm_of: Callable[[_K], Algorithm | None] | None = None,
    allowed: frozenset[Algorithm] | None = None,
    external_aad: bytes = b"",
    verifier_of: Callable[[_K, Algorithm], Callable[[bytes, bytes], None]] | None = None,
) -> tuple[_K, Algorithm]:
    """Verify ``msg`` under the first of ``candidates`` whose key verifies it ("try every
    key with this kid"); return that candidate and the algorithm.

    The one implementation of key selection by kid: the caller looks the candidates up
    (a trust store's keys with the message's kid, pinned roots, status-list signers);
    ``key_of`` gives a candidate's public key and ``algorithm_of`` (optional) the one
    algorithm the candidate is registered for (None: any algorithm its key fits).
    ``verifier_of`` (optional) gives a candidate's verifying function for an algorithm, as
    :func:`~qrseal.wire.algorithms.verifying_function` of its key would (e.g. one the
    candidate keeps: :meth:`qrseal.trust.store.TrustedKey.verifying_function`).

    Checks, in order: ``UnknownKey`` when there is no candidate; ``AlgorithmNotAllowed``
    when ``alg`` is not in the protected header, unknown, not in ``allowed`` (when
    given), or no candidate is registered for it and has a key that fits it; then each
    remaining candidate in turn, ``SignatureInvalid`` when none verifies.
    """
    kid = msg.kid
    if not candidates:
        raise UnknownKey(f"no trusted key has kid {kid.hex() if kid else kid!r}", kid=kid)
    if _ALG not in msg.protected:
        raise AlgorithmNotAllowed("alg is not in the protected header", alg=msg.alg, kid=kid)
    alg = parse_algorithm(msg.protected[_ALG])
    if allowed is not None and alg not in allowed:
        raise AlgorithmNotAllowed(f"{alg.name} is not allowed here", alg=alg, kid=kid)
    usable: list[tuple[_K, Callable[[bytes, bytes], None]]] = []
    for candidate in candidates:
        if algorithm_of is not None:
            registered = algorithm_of(candidate)
            if registered is not None and registered is not alg:
                continue
        try:
            verify = (
                verifying_function(alg, key_of(candidate))
                if verifier_of is None
                else verifier_of(candidate, alg)
            )
        except AlgorithmNotAllowed:
            continue
        usable.append((candidate, verify))
    if not usable:
        raise AlgorithmNotAllowed(
            f"no key with kid {kid.hex() if kid else kid!r} is registered for {alg.name}",
            alg=alg,
            kid=kid,
        )
    tbs = msg.to_be_signed(external_aad)
    for candidate, verify in usable:
        try:
            verify(msg.signature, tbs)
        except SignatureInvalid:
            continue
        return candidate, alg
    raise SignatureInvalid(
        f"signature does not verify under any key with kid {kid.hex() if kid else kid!r}",
        kid=kid,
    )
