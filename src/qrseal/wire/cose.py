"""COSE layer: strict CBOR, the algorithm registry and COSE_Sign1 (RFC 9052 / RFC 9053).

Credential-agnostic: this module signs and verifies opaque payload bytes. It never
looks inside the payload; the caller decodes it only after :func:`verify_sign1`
returned.

Lower-level API. Most users want :class:`qrseal.Issuer` and :class:`qrseal.Verifier`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from types import MappingProxyType
from typing import Final, cast

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ..errors import (
    AlgorithmNotAllowed,
    InvalidArgument,
    InvalidKey,
    MalformedCbor,
    MalformedCose,
    SignatureInvalid,
    TooLarge,
    UnknownCriticalHeader,
)

__all__ = [
    "COSE_SIGN1_TAG",
    "MAX_CBOR_DEPTH",
    "MAX_COSE_BYTES",
    "Algorithm",
    "HeaderLabel",
    "PublicKey",
    "Sign1",
    "check_key_algorithm",
    "decode_sign1",
    "deterministic_dumps",
    "deterministic_order",
    "dumps_in_order",
    "encode_sign1",
    "parse_algorithm",
    "sig_structure",
    "sign_bytes",
    "sort_key",
    "strict_loads",
    "verify_sign1",
    "verify_signature",
]

COSE_SIGN1_TAG: Final = 18
#: Cap on the bytes of one COSE message. A QR code (version 40) holds at most 2,953 bytes.
MAX_COSE_BYTES: Final = 4096
#: Deepest container nesting accepted anywhere (a licence needs 6 levels).
MAX_CBOR_DEPTH: Final = 16

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey


class Algorithm(IntEnum):
    """COSE algorithm identifiers (IANA "COSE Algorithms") that qrseal implements."""

    ES256 = -7
    ES384 = -35
    ES512 = -36
    EDDSA = -8


class HeaderLabel(IntEnum):
    """COSE header parameter labels (RFC 9052 §3.1, RFC 9596)."""

    ALG = 1
    CRIT = 2
    CONTENT_TYPE = 3
    KID = 4
    TYP = 16


# Labels whose meaning this implementation knows; only these may be listed in `crit`.
_UNDERSTOOD_LABELS: Final = frozenset(int(label) for label in HeaderLabel)

# ECDSA: the hash and curve bound to each algorithm (RFC 9053 §2.1 suggests this binding;
# qrseal enforces it so that a key can only be used with one hash). The ECDSA objects are
# immutable parameter values, shared to save their construction on every call.
_ECDSA: Final = MappingProxyType(
    {
        Algorithm.ES256: (ec.ECDSA(hashes.SHA256()), "secp256r1", 32),
        Algorithm.ES384: (ec.ECDSA(hashes.SHA384()), "secp384r1", 48),
        Algorithm.ES512: (ec.ECDSA(hashes.SHA512()), "secp521r1", 66),
    }
)

# Every tag cbor2 would otherwise turn into a Python object (datetime, Decimal, shared
# references, string references, ...) is kept as a plain CBORTag instead, so hostile input
# cannot build cyclic graphs or trigger converter code; layers above decide what a tag means.
_BUILTIN_TAGS: Final = (
    0, 1, 4, 5, 21, 22, 23, 24, 25, 28, 29, 30, 32, 33, 34, 35, 36, 37, 38,
    100, 256, 258, 259, 260, 261, 262, 263, 270, 1004, 55799,
)  # fmt: skip
#: Bignums (RFC 8949 §3.4.3): every integer qrseal reads fits the 64-bit range of major
#: types 0 and 1, and an integer of thousands of digits breaks code that formats it.
_BIGNUM_TAGS: Final = (2, 3)


def _raw_tag(tag: int) -> Callable[[object, bool], cbor2.CBORTag]:
    def keep(value: object, immutable: bool) -> cbor2.CBORTag:
        return cbor2.CBORTag(tag, value)

    return keep


def _refuse_bignum(value: object, immutable: bool) -> object:
    raise ValueError("bignums (tags 2 and 3) are not accepted: integers are at most 64 bits")


_NO_BIGNUMS: Final = MappingProxyType(dict.fromkeys(_BIGNUM_TAGS, _refuse_bignum))
_RAW_TAGS: Final = MappingProxyType(
    {**{tag: _raw_tag(tag) for tag in _BUILTIN_TAGS}, **_NO_BIGNUMS}
)


def _unknown_tag(tag: cbor2.CBORTag, immutable: bool) -> cbor2.CBORTag:
    return tag


def strict_loads(
    data: bytes,
    *,
    max_depth: int = MAX_CBOR_DEPTH,
    max_bytes: int = MAX_COSE_BYTES,
    raw_tags: bool = True,
    deterministic: bool = False,
) -> object:
    """Decode exactly one CBOR data item, strictly.

    Rejects (``MalformedCbor``): indefinite lengths, duplicate map keys, nesting deeper
    than ``max_depth``, truncation, trailing bytes and bignums (tags 2 and 3: every integer
    must fit the 64-bit range of CBOR major types 0 and 1). Raises ``TooLarge`` when
    ``len(data) > max_bytes`` (checked first).

    With ``deterministic`` the bytes must also be exactly what :func:`deterministic_dumps`
    writes for the decoded item (RFC 8949 §4.2.1: shortest heads, map keys in bytewise order
    of their encodings, no floating-point values), else ``MalformedCbor``: the rule the
    issuer encodes with is the rule the verifier checks, in one function.

    With ``raw_tags`` (the default, for anything not yet authenticated) every tag is
    returned as a :class:`cbor2.CBORTag` without interpretation. ``raw_tags=False`` lets
    cbor2 convert the tags it knows (1 -> datetime, 100 -> date, ...; bignums still
    refused): about twice as fast, and meant only for payloads whose signature has been
    verified. With ``deterministic``, a date must then have been tag 100 and a time an
    integer tag 1 (tags 1004 and 0 re-encode differently).
    """
    if len(data) > max_bytes:
        raise TooLarge(
            f"CBOR item of {len(data)} bytes exceeds the cap",
            what="cbor",
            limit=max_bytes,
            actual=len(data),
        )
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream,
        tag_hook=_unknown_tag if raw_tags else None,
        semantic_decoders=_RAW_TAGS if raw_tags else _NO_BIGNUMS,
        max_depth=max_depth,
        allow_indefinite=False,
        allow_duplicate_keys=False,
    )
    try:
        value = decoder.decode()
    except (cbor2.CBORDecodeError, RecursionError, MemoryError, ValueError, OverflowError) as exc:
        raise MalformedCbor(f"not strictly valid CBOR: {exc}") from exc
    if stream.tell() != len(data):
        raise MalformedCbor(f"{len(data) - stream.tell()} trailing bytes after the CBOR item")
    if deterministic and not _is_deterministic(value, data):
        raise MalformedCbor(
            "not deterministically encoded (RFC 8949 §4.2.1: shortest heads, sorted keys, "
            "no floats; dates as tag 100 and times as tag 1)"
        )
    return value


def _is_deterministic(value: object, data: bytes) -> bool:
    """Whether ``data`` is what :func:`deterministic_dumps` writes for ``value``, its
    decoding: the same bytes when re-encoded in the decoded key order (so every head was
    shortest, and a converted date or time was tag 100 or an integer tag 1), and every
    map's keys in :func:`sort_key` order with no float anywhere. Checked this way rather
    than by re-encoding a sorted copy: half the cost, the same rule."""
    try:
        # Tags kept raw re-encode as written; with raw_tags=False, date -> tag 100 and
        # datetime -> tag 1 (an integer when the decoded time has whole seconds).
        if cbor2.dumps(value, datetime_as_timestamp=True) != data:
            return False
    except (cbor2.CBOREncodeError, TypeError, ValueError, RecursionError):
        return False  # e.g. a cyclic graph built from shared references
    return _in_order(value)


_CONTAINERS: Final = frozenset((dict, cbor2.frozendict, list, tuple, cbor2.CBORTag))
_INT_ONLY: Final = frozenset((int,))


def _in_order(obj: object) -> bool:
    kind = type(obj)
    values: Iterable[object]
    if kind is dict or kind is cbor2.frozendict:
        mapping = cast(Mapping[object, object], obj)
        keys = list(mapping)
        if set(map(type, keys)) <= _INT_ONLY and (not keys or min(cast(list[int], keys)) >= 0):
            ordered = keys == sorted(cast(list[int], keys))  # ascending = bytewise here
        else:
            try:
                ordered = keys == sorted(keys, key=sort_key)
            except InvalidArgument:  # a key that is no int, byte or text string
                return False
        if not ordered:
            return False
        values = mapping.values()
    elif kind is list or kind is tuple:
        values = cast(Iterable[object], obj)
    elif kind is cbor2.CBORTag:
        values = (cast(cbor2.CBORTag, obj).value,)
    else:
        return kind is not float and not (kind is datetime and cast(datetime, obj).microsecond)
    for item in values:
        sub = type(item)
        if sub in _CONTAINERS:
            if not _in_order(item):
                return False
        elif sub is float or (sub is datetime and cast(datetime, item).microsecond):
            return False  # a float, or a time that was a float in tag 1
    return True


def sort_key(key: object) -> tuple[int, int, bytes]:
    # RFC 8949 §4.2.1: map keys sorted by the bytewise order of their encodings. For the
    # key types qrseal accepts (ints, byte and text strings) that is: unsigned ints
    # ascending, then negative ints by magnitude, then byte strings, then text, each by
    # length and then bytes.
    if isinstance(key, str):
        raw = key.encode("utf-8")
        return (3, len(raw), raw)
    if isinstance(key, bytes):
        return (2, len(key), key)
    if isinstance(key, bool) or not isinstance(key, int):
        raise InvalidArgument(f"unsupported map key type {type(key).__name__}")
    return (0, key, b"") if key >= 0 else (1, -1 - key, b"")


def deterministic_order(obj: object) -> object:
    """A copy of ``obj`` whose maps (at every depth) iterate in RFC 8949 §4.2.1 key order.
    Raises ``InvalidArgument`` for a float (qrseal's formats use none) or a map key that is
    not an int, a byte string or a text string."""
    if isinstance(obj, Mapping):
        return {k: deterministic_order(obj[k]) for k in sorted(obj, key=sort_key)}
    if isinstance(obj, list | tuple):
        return [deterministic_order(item) for item in obj]
    if isinstance(obj, cbor2.CBORTag):
        return cbor2.CBORTag(obj.tag, deterministic_order(obj.value))
    if isinstance(obj, float):
        raise InvalidArgument("floating-point values are not used")
    return obj


def dumps_in_order(obj: object) -> bytes:
    """Encode ``obj`` keeping each map's iteration order (ints and lengths are always in
    preferred serialisation). Deterministic when the maps were built in key order."""
    try:
        return cbor2.dumps(obj)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as exc:
        raise InvalidArgument(f"cannot encode as CBOR: {exc}") from exc


def deterministic_dumps(obj: object) -> bytes:
    """Encode with RFC 8949 §4.2.1 core deterministic encoding (for ints, text, bytes,
    bools, null, arrays, maps and tags: preferred serialisation, bytewise-sorted keys)."""
    return dumps_in_order(deterministic_order(obj))


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
        if HeaderLabel.ALG in self.protected:
            return self.protected[HeaderLabel.ALG]
        return self.unprotected.get(HeaderLabel.ALG)

    def to_be_signed(self, external_aad: bytes = b"") -> bytes:
        """The Sig_structure for this message. An empty protected map, however it was
        encoded, counts as a zero-length bstr (RFC 9052 §4.4)."""
        return sig_structure(
            self.protected_bytes if self.protected else b"", self.payload, external_aad
        )

    @property
    def kid(self) -> bytes | None:
        """The ``kid`` header, protected first; None when absent."""
        kid = self.protected.get(HeaderLabel.KID, self.unprotected.get(HeaderLabel.KID))
        return kid if isinstance(kid, bytes) else None


def _check_header_map(header: object, where: str) -> Mapping[object, object]:
    if not isinstance(header, Mapping):
        raise MalformedCose(f"{where} header is not a map")
    for label, value in header.items():
        if isinstance(label, bool) or not isinstance(label, int | str):
            raise MalformedCose(f"{where} header label {label!r} is not an int or text")
        if label == HeaderLabel.KID and not isinstance(value, bytes):
            raise MalformedCose(f"{where} kid is not a byte string")
        if label == HeaderLabel.ALG and (
            isinstance(value, bool) or not isinstance(value, int | str)
        ):
            raise MalformedCose(f"{where} alg is not an int or text")
    return MappingProxyType(dict(header))


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
    item = strict_loads(data, max_bytes=max_bytes, deterministic=strict)
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
    protected: Mapping[object, object]
    if protected_bytes:
        try:
            decoded = strict_loads(protected_bytes, deterministic=strict)
        except MalformedCbor as exc:
            raise MalformedCose(f"protected header is not strict CBOR: {exc.message}") from exc
        protected = _check_header_map(decoded, "protected")
    else:
        protected = MappingProxyType({})
    unprotected_map = _check_header_map(unprotected, "unprotected")
    both = set(protected) & set(unprotected_map)
    if both:
        raise MalformedCose(f"header labels {sorted(map(str, both))} appear in both buckets")
    if HeaderLabel.CRIT in unprotected_map:
        raise MalformedCose("crit must be in the protected header")
    if HeaderLabel.CRIT in protected:
        crit = protected[HeaderLabel.CRIT]
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
    return cbor2.dumps(["Signature1", protected_bytes, external_aad, payload])


def _ecdsa_params(alg: Algorithm) -> tuple[ec.ECDSA, str, int]:
    params = _ECDSA.get(alg)
    if params is None:
        raise AlgorithmNotAllowed(f"{alg!r} is not an ECDSA algorithm", alg=alg)
    return params


def check_key_algorithm(alg: Algorithm, key: object) -> None:
    """Raise ``AlgorithmNotAllowed`` unless ``key`` (public or private) fits ``alg``."""
    if alg is Algorithm.EDDSA:
        ok = isinstance(
            key,
            ed25519.Ed25519PublicKey
            | ed25519.Ed25519PrivateKey
            | ed448.Ed448PublicKey
            | ed448.Ed448PrivateKey,
        )
    else:
        curve = _ecdsa_params(alg)[1]
        ok = (
            isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey)
            and key.curve.name == curve
        )
    if not ok:
        raise AlgorithmNotAllowed(
            f"key of type {type(key).__name__} cannot be used with {alg.name}", alg=alg
        )


def sign_bytes(alg: Algorithm, private_key: object, message: bytes) -> bytes:
    """Sign ``message`` in COSE form (ECDSA: fixed-size ``r || s``; EdDSA: raw)."""
    check_key_algorithm(alg, private_key)
    if isinstance(private_key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return private_key.sign(message)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise InvalidKey(f"not a private key: {type(private_key).__name__}")
    ecdsa, _, size = _ecdsa_params(alg)
    r, s = decode_dss_signature(private_key.sign(message, ecdsa))
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify_signature(
    alg: Algorithm, public_key: PublicKey, signature: bytes, message: bytes
) -> None:
    """Verify a COSE-form signature. Returns None or raises ``SignatureInvalid``
    (or ``AlgorithmNotAllowed`` when the key does not fit ``alg``)."""
    check_key_algorithm(alg, public_key)
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            ecdsa, _, size = _ecdsa_params(alg)
            if len(signature) != 2 * size:
                raise SignatureInvalid(
                    f"ECDSA signature must be {2 * size} bytes, got {len(signature)}"
                )
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            public_key.verify(der, message, ecdsa)
        else:
            public_key.verify(signature, message)
    except InvalidSignature as exc:
        raise SignatureInvalid("signature does not verify") from exc


def parse_algorithm(value: object) -> Algorithm:
    """Map an ``alg`` header value to :class:`Algorithm` or raise ``AlgorithmNotAllowed``."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Algorithm(value)
        except ValueError:
            pass
    raise AlgorithmNotAllowed(f"unsupported algorithm {value!r}", alg=value)


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
    protected: dict[int, object] = {1: int(alg)}  # plain ints: HeaderLabel.ALG, .KID
    if kid is not None:
        protected[4] = kid
    if protected_extra:
        protected.update(protected_extra)
        protected_bytes = deterministic_dumps(protected)
    else:
        protected_bytes = dumps_in_order(protected)  # {1, 4} is already in key order
    signature = sign(sig_structure(protected_bytes, payload, external_aad))
    message = [protected_bytes, dict(unprotected or {}), payload, signature]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, message))


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
    if require_protected_alg and HeaderLabel.ALG not in msg.protected:
        raise AlgorithmNotAllowed("alg is not in the protected header", alg=msg.alg, kid=msg.kid)
    alg = parse_algorithm(msg.alg)
    if allowed is not None and alg not in allowed:
        raise AlgorithmNotAllowed(f"{alg.name} is not allowed here", alg=alg, kid=msg.kid)
    verify_signature(alg, public_key, msg.signature, msg.to_be_signed(external_aad))
    return alg
