"""``verify_mdoc`` and ``verify_device_response``: ISO/IEC 18013-5 issuer data authentication
(and, given the session, device MAC authentication), in a fixed order (docs/format.md §18.3).

1. Strict CBOR (no indefinite lengths, duplicate keys or bignums; bounded size and depth).
2. ``issuerAuth``: a COSE_Sign1 whose ``x5chain`` (label 33) holds the document-signer (DS)
   certificate; the DS is pinned by the caller or chains to the IACA roots
   (:class:`~qrseal.trust.x509.IssuingAuthorities`), valid at ``now``.
3. The signature under the DS key, before anything of the MSO is decoded.
4. The MSO: version, digest algorithm, doc type, validity (``validFrom <= now < validUntil``,
   ``signed`` not after ``now``), device key.
5. Every ``IssuerSignedItem``: its ``#6.24`` bytes hashed and compared in constant time with
   the MSO's digest under its namespace and digest ID; an item whose ID the MSO does not hold
   was not signed. Only then are the element values read.

Errors are the library's typed leaves: ``malformed_cbor``/``malformed_cose``/
``malformed_claims`` for structure, ``certificate_*`` and ``key_not_valid_at_time`` for the
DS, ``signature_invalid`` for the issuer signature and for a value digest that does not
match (or is missing), ``expired``/``not_yet_valid``/``issued_in_future`` for the validity,
``holder_binding_invalid`` for a device MAC that does not verify.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import (
    AlgorithmNotAllowed,
    CertificateInvalid,
    CertificateUntrusted,
    Expired,
    HolderBindingInvalid,
    InvalidArgument,
    IssuedInFuture,
    KeyNotValidAtTime,
    MalformedClaims,
    MalformedCose,
    NotYetValid,
    SignatureInvalid,
)
from ..trust.x509 import IssuingAuthorities, load_der_certificate, verify_document_signer
from ..verifier.result import VerifiedLicence
from ..wire.algorithms import Algorithm
from ..wire.cbor import strict_loads
from ..wire.cose import PublicKey, decode_sign1, verify_sign1
from ..wire.cwt import Claims, decode_cnf, decode_cose_key, encode_cnf, require_utc
from ..wire.keys import kid_for
from .elements import MDL_DOCTYPE, read_elements
from .issue import device_authentication_bytes

__all__ = ["MAX_MDOC_BYTES", "verify_device_response", "verify_mdoc"]

#: Size cap of an mdoc structure (a portrait of some 10-20 KB fits).
MAX_MDOC_BYTES: Final = 64 * 1024
_X5CHAIN: Final = 33
_CNF: Final = 8
_TAG24: Final = 24
_DIGESTS: Final = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}
_ISSUER_ALGORITHMS: Final = frozenset(
    {Algorithm.ES256, Algorithm.ES384, Algorithm.ES512, Algorithm.EDDSA}
)


def _map(value: object, what: str) -> Mapping[object, object]:
    if not isinstance(value, Mapping):
        raise MalformedClaims(f"{what} is not a map")
    return value


def _tag24(value: object, what: str) -> bytes:
    if not isinstance(value, cbor2.CBORTag) or value.tag != _TAG24:
        raise MalformedClaims(f"{what} is not #6.24(bstr)")
    if not isinstance(value.value, bytes):
        raise MalformedClaims(f"{what} is not #6.24(bstr)")
    return value.value


def _tdate(value: object, what: str) -> datetime:
    if not isinstance(value, cbor2.CBORTag) or value.tag != 0 or type(value.value) is not str:
        raise MalformedClaims(f"{what} is not a tdate (tag 0)")
    try:
        moment = datetime.fromisoformat(value.value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedClaims(f"{what} is not an RFC 3339 time") from exc
    if moment.utcoffset() is None:
        raise MalformedClaims(f"{what} has no time zone")
    return moment


def _certificates(sign1_headers: Mapping[object, object]) -> list[x509.Certificate]:
    raw = sign1_headers.get(_X5CHAIN)
    items = [raw] if isinstance(raw, bytes) else list(raw) if isinstance(raw, list | tuple) else []
    ders = [d for d in items if isinstance(d, bytes)]
    if not ders or len(ders) != len(items):
        raise MalformedCose("issuerAuth carries no x5chain (label 33)")
    certificates = [load_der_certificate(d) for d in ders]
    return certificates


def _signer_key(
    chain: list[x509.Certificate],
    authorities: IssuingAuthorities | None,
    pinned: Sequence[x509.Certificate],
    now: datetime,
) -> PublicKey:
    """The DS key, once the DS is pinned or chains to the authorities at ``now``."""
    ds = chain[0]
    subject = ds.subject.rfc4514_string()
    if any(ds == p for p in pinned):
        if not ds.not_valid_before_utc <= now <= ds.not_valid_after_utc:
            raise KeyNotValidAtTime(
                f"certificate {subject} is not valid at {now}", kid=None, at=now
            )
        key = ds.public_key()
        if not isinstance(
            key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
        ):
            raise CertificateInvalid("unsupported DS key type", subject=subject)
        return key
    if authorities is None:
        raise CertificateUntrusted(
            "the document signer is neither pinned nor backed by issuing authorities",
            subject=subject,
        )
    return verify_document_signer(ds, authorities, now=now, intermediates=chain[1:]).public_key


def verify_mdoc(
    issuer_signed: bytes | Mapping[Any, object],
    *,
    now: datetime,
    authorities: IssuingAuthorities | None = None,
    pinned: Sequence[x509.Certificate] = (),
    doc_type: str = MDL_DOCTYPE,
    max_bytes: int = MAX_MDOC_BYTES,
) -> VerifiedLicence:
    """Verify an ``IssuerSigned`` (its CBOR, or the decoded map from a DeviceResponse) at
    ``now`` and return the same :class:`~qrseal.verifier.result.VerifiedLicence` a QR code
    gives: the elements shown (a whole China licence when the ISO and CN namespaces hold
    one), ``issuer`` the DS subject, ``kid`` of the DS key, ``issued_at`` the MSO's
    ``signed``, ``expires_at`` its ``validUntil``, and the MSO device key as ``cnf``.

    Trust: ``authorities`` (IACA roots: the DS must chain to one, ISO/IEC 18013-5 Annex B)
    and/or ``pinned`` DS certificates; with neither, ``CertificateUntrusted``. Raises the
    errors listed in the module docstring, and ``InvalidArgument`` for a naive ``now``."""
    now = require_utc(now)
    if isinstance(issuer_signed, bytes):
        item = strict_loads(issuer_signed, max_bytes=max_bytes)
    else:
        item = issuer_signed
    signed = _map(item, "IssuerSigned")
    auth = signed.get("issuerAuth")
    if not isinstance(auth, list | tuple):
        raise MalformedCose("issuerAuth is not a COSE_Sign1 array")
    msg = decode_sign1(cbor2.dumps(list(auth)), require_tag=False, max_bytes=max_bytes)
    chain = _certificates({**msg.protected, **msg.unprotected})
    key = _signer_key(chain, authorities, pinned, now)
    alg = verify_sign1(msg, key, allowed=_ISSUER_ALGORITHMS)
    # Only now, with the issuer signature checked, is the MSO decoded.
    mso = _map(strict_loads(_tag24(strict_loads(msg.payload, max_bytes=max_bytes), "MSO"),
                            max_bytes=max_bytes), "MSO")  # fmt: skip
    if mso.get("version") != "1.0" or mso.get("docType") != doc_type:
        raise MalformedClaims(f"the MSO is not version 1.0 of {doc_type}")
    algorithm = mso.get("digestAlgorithm")
    digest = _DIGESTS.get(algorithm) if isinstance(algorithm, str) else None
    if digest is None:
        raise MalformedClaims("unsupported MSO digestAlgorithm")
    validity = _map(mso.get("validityInfo"), "validityInfo")
    signed_at = _tdate(validity.get("signed"), "signed")
    valid_from = _tdate(validity.get("validFrom"), "validFrom")
    valid_until = _tdate(validity.get("validUntil"), "validUntil")
    if signed_at > now:
        raise IssuedInFuture("the MSO is signed after now", issued_at=signed_at, now=now)
    if now < valid_from:
        raise NotYetValid("the MSO is not yet valid", not_before=valid_from, now=now)
    if now >= valid_until:
        raise Expired("the MSO has expired", expired_at=valid_until, now=now)
    device_key = decode_cose_key(_map(mso.get("deviceKeyInfo"), "deviceKeyInfo").get("deviceKey"))
    value_digests = _map(mso.get("valueDigests"), "valueDigests")
    shown: dict[str, dict[str, object]] = {}
    for namespace, items in _map(signed.get("nameSpaces"), "nameSpaces").items():
        if not isinstance(namespace, str) or not isinstance(items, list | tuple) or not items:
            raise MalformedClaims("nameSpaces maps a namespace to a non-empty item array")
        expected = _map(value_digests.get(namespace, {}), f"valueDigests[{namespace}]")
        values: dict[str, object] = {}
        for raw in items:
            encoded = cbor2.dumps(raw) if isinstance(raw, cbor2.CBORTag) else b""
            body = _tag24(raw, "IssuerSignedItemBytes")
            item_map = _map(strict_loads(body, max_bytes=max_bytes), "IssuerSignedItem")
            digest_id = item_map.get("digestID")
            want = expected.get(digest_id) if type(digest_id) is int else None
            got = digest(encoded).digest()
            # Constant time: the digest is what binds this value to the issuer's signature.
            if not isinstance(want, bytes) or not hmac.compare_digest(got, want):
                raise SignatureInvalid(
                    f"an element of {namespace} does not match a digest the issuer signed",
                    kid=kid_for(key),
                )
            name, random = item_map.get("elementIdentifier"), item_map.get("random")
            if not isinstance(name, str) or not isinstance(random, bytes) or len(random) < 16:
                raise MalformedClaims("IssuerSignedItem needs elementIdentifier and random")
            if name in values or "elementValue" not in item_map:
                raise MalformedClaims(f"element {name} appears twice or has no value")
            values[name] = item_map["elementValue"]
        shown[namespace] = values
    disclosure = read_elements(shown)
    issuer = chain[0].subject.rfc4514_string()
    claims = Claims(
        issuer=issuer,
        issued_at=signed_at,
        expires_at=valid_until,
        extra={_CNF: encode_cnf(device_key)},  # P-256 or Ed25519: decode_cose_key's keys
    )
    return VerifiedLicence(
        disclosure=disclosure,
        issuer=issuer,
        kid=kid_for(key),
        algorithm=alg,
        issued_at=signed_at,
        expires_at=valid_until,
        data_as_of=signed_at,
        data_age=now - signed_at,
        verified_at=now,
        claims=claims,
    )


def _device_mac_key(
    device_key: PublicKey, reader_key: ec.EllipticCurvePrivateKey, transcript_bytes: bytes
) -> bytes:
    if not isinstance(device_key, ec.EllipticCurvePublicKey):
        raise HolderBindingInvalid("a device MAC needs an EC device key")
    shared = reader_key.exchange(ec.ECDH(), device_key)
    salt = hashlib.sha256(transcript_bytes).digest()
    return HKDF(hashes.SHA256(), 32, salt, b"EMacKey").derive(shared)


def _check_device_auth(
    document: Mapping[object, object],
    device_key: PublicKey,
    reader_key: ec.EllipticCurvePrivateKey | None,
    transcript_bytes: bytes,
    doc_type: str,
) -> None:
    """ISO/IEC 18013-5 §9.1.3: the deviceSignature (COSE_Sign1) or deviceMac (COSE_Mac0,
    needs the reader's ephemeral key) over DeviceAuthenticationBytes, detached."""
    if "deviceSigned" not in document:
        raise HolderBindingInvalid("the document carries no device authentication")
    device_signed = _map(document.get("deviceSigned"), "deviceSigned")
    names = device_signed.get("nameSpaces")
    _tag24(names, "DeviceNameSpacesBytes")
    try:
        payload = device_authentication_bytes(transcript_bytes, doc_type, cbor2.dumps(names))
    except InvalidArgument as exc:
        raise MalformedClaims(exc.message) from exc
    auth = _map(device_signed.get("deviceAuth"), "deviceAuth")
    if set(auth) == {"deviceSignature"}:
        message = auth["deviceSignature"]
        if not isinstance(message, list | tuple) or len(message) != 4 or message[2] is not None:
            raise MalformedCose("deviceSignature is not a detached COSE_Sign1")
        attached = [message[0], message[1], payload, message[3]]
        msg = decode_sign1(cbor2.dumps(attached), require_tag=False)
        try:
            verify_sign1(msg, device_key, allowed=_ISSUER_ALGORITHMS)
        except (SignatureInvalid, AlgorithmNotAllowed) as exc:
            raise HolderBindingInvalid("the device signature does not verify") from exc
        return
    mac0 = auth.get("deviceMac") if set(auth) == {"deviceMac"} else None
    if not isinstance(mac0, list | tuple) or len(mac0) != 4:
        raise HolderBindingInvalid("deviceAuth holds neither a deviceSignature nor a deviceMac")
    protected, _, detached, tag = mac0
    if not isinstance(protected, bytes) or detached is not None or not isinstance(tag, bytes):
        raise MalformedCose("deviceMac is not a detached COSE_Mac0")
    if _map(strict_loads(protected), "deviceMac protected").get(1) != 5:
        raise HolderBindingInvalid("deviceMac is not HMAC 256/256 (alg 5)")
    if reader_key is None:
        raise InvalidArgument("a deviceMac needs the reader's ephemeral key (reader_key=)")
    structure = cbor2.dumps(["MAC0", protected, b"", payload])
    key = _device_mac_key(device_key, reader_key, transcript_bytes)
    expected = hmac.new(key, structure, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, tag):
        raise HolderBindingInvalid("the device MAC does not verify")


def verify_device_response(
    data: bytes,
    *,
    now: datetime,
    authorities: IssuingAuthorities | None = None,
    pinned: Sequence[x509.Certificate] = (),
    session_transcript: bytes | None = None,
    reader_key: ec.EllipticCurvePrivateKey | None = None,
    max_bytes: int = MAX_MDOC_BYTES,
) -> tuple[VerifiedLicence, ...]:
    """Verify every document of a ``DeviceResponse`` as :func:`verify_mdoc` does, and, when
    ``session_transcript`` (the SessionTranscriptBytes) is given, each document's device
    authentication with the MSO's device key: a ``deviceSignature``, or a ``deviceMac``
    (which also needs the reader's ephemeral ``reader_key``); ``holder_binding_invalid`` when
    it does not verify or is missing. Without a transcript the device side is not checked:
    the result then proves the issuer's data only. Raises ``MalformedClaims`` for a response
    that is not ``{version, documents, status}``, ``InvalidArgument`` for a reader key
    without a transcript, or a deviceMac without a reader key."""
    if reader_key is not None and session_transcript is None:
        raise InvalidArgument("reader_key needs session_transcript")
    response = _map(strict_loads(data, max_bytes=max_bytes), "DeviceResponse")
    documents = response.get("documents")
    if response.get("version") != "1.0" or not isinstance(documents, list | tuple):
        raise MalformedClaims("DeviceResponse is not version 1.0 with documents")
    if not documents:
        raise MalformedClaims("DeviceResponse holds no document")
    results = []
    for raw in documents:
        document = _map(raw, "Document")
        doc_type = document.get("docType")
        if not isinstance(doc_type, str):
            raise MalformedClaims("Document has no docType")
        verified = verify_mdoc(
            _map(document.get("issuerSigned"), "issuerSigned"),
            now=now,
            authorities=authorities,
            pinned=pinned,
            doc_type=doc_type,
            max_bytes=max_bytes,
        )
        if session_transcript is not None:
            device_key = decode_cnf(verified.claims.extra[_CNF])
            _check_device_auth(document, device_key, reader_key, session_transcript, doc_type)
        results.append(verified)
    return tuple(results)
