"""``to_mdoc``: a licence as an ISO/IEC 18013-5 ``IssuerSigned`` structure (docs/format.md §18.2).

The same licence record and the same issuer signer as the QR credential; the document-signer
certificate chain travels in ``issuerAuth`` (``x5chain``, label 33). Each element is an
``IssuerSignedItem`` with 16 random bytes from the operating system's CSPRNG; the MSO holds
the SHA-256 digest of each item's ``#6.24`` encoding, the device key and the validity. Digest
IDs are assigned in a random order per namespace, so that an ID does not tell which element
it digests.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..errors import InvalidArgument, InvalidKey
from ..licence.model import Licence
from ..licence.profile import DEFAULT_VALIDITY
from ..licence.views import DEFAULT_AGE_THRESHOLDS
from ..wire.cose import PublicKey, sig_structure
from ..wire.cwt import require_utc
from ..wire.keys import LocalSigner, PrivateKey, Signer, kid_for
from .elements import MDL_DOCTYPE, licence_elements

__all__ = ["RANDOM_BYTES", "device_cose_key", "device_response", "to_mdoc"]

#: Bytes of ``random`` per IssuerSignedItem (ISO/IEC 18013-5 §9.1.2.5: at least 16).
RANDOM_BYTES: Final = 16
_X5CHAIN: Final = 33
_TAG24: Final = 24


def _tdate(moment: datetime) -> cbor2.CBORTag:
    return cbor2.CBORTag(0, moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def device_cose_key(public_key: PublicKey) -> dict[int, object]:
    """The MSO ``deviceKey``: an uncompressed EC2 key (P-256, P-384, P-521) or an OKP
    Ed25519 key, as mDL readers expect. Raises ``InvalidKey`` for other keys."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        crv = {"secp256r1": 1, "secp384r1": 2, "secp521r1": 3}.get(public_key.curve.name)
        if crv is None:
            raise InvalidKey(f"unsupported device key curve {public_key.curve.name}")
        size = (public_key.curve.key_size + 7) // 8
        numbers = public_key.public_numbers()
        return {
            1: 2,
            -1: crv,
            -2: numbers.x.to_bytes(size, "big"),
            -3: numbers.y.to_bytes(size, "big"),
        }
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {1: 1, -1: 6, -2: raw}
    raise InvalidKey(f"unsupported device key {type(public_key).__name__}")


def _item(digest_id: int, random: bytes, name: str, value: object) -> bytes:
    item = {
        "digestID": digest_id,
        "random": random,
        "elementIdentifier": name,
        "elementValue": value,
    }
    return cbor2.dumps(cbor2.CBORTag(_TAG24, cbor2.dumps(item)))


def to_mdoc(
    licence: Licence,
    *,
    signer: Signer | PrivateKey,
    certificate_chain: Sequence[x509.Certificate],
    device_key: PublicKey,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
    age_thresholds: Iterable[int] = DEFAULT_AGE_THRESHOLDS,
    elements: Iterable[str] | None = None,
    random: Callable[[int], bytes] = secrets.token_bytes,
) -> bytes:
    """The licence as the CBOR of an ISO/IEC 18013-5 ``IssuerSigned``: ``nameSpaces`` (the
    ISO namespace and the CN one, :mod:`qrseal.mdoc.elements`) and ``issuerAuth``, an
    untagged COSE_Sign1 over the MSO by ``signer`` with ``certificate_chain`` (the
    document-signer certificate first) in ``x5chain``.

    ``elements`` limits the elements issued (default: all the record holds); ``random``
    supplies each item's random bytes (the OS CSPRNG; a test may pass a deterministic one).
    Raises ``InvalidArgument`` (naive ``now``, empty chain, a certificate whose key is not
    the signer's, no element), ``InvalidKey`` (device key) and ``InvalidLicence``.
    """
    now = require_utc(now).replace(microsecond=0)
    if not isinstance(signer, Signer):
        signer = LocalSigner(signer)
    chain = list(certificate_chain)
    if not chain or not all(isinstance(c, x509.Certificate) for c in chain):
        raise InvalidArgument("certificate_chain needs the document-signer certificate first")
    der = serialization.Encoding.DER
    ds_key = chain[0].public_key()
    if not isinstance(ds_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise InvalidArgument("the document signer's key is not an EC or Ed25519 key")
    if kid_for(ds_key) != signer.kid:
        raise InvalidArgument("the first certificate is not the signer's")
    licence.check_at(now)
    spaces = licence_elements(licence, now=now, age_thresholds=age_thresholds)
    wanted = None if elements is None else frozenset(elements)
    name_spaces: dict[str, list[cbor2.CBORTag]] = {}
    digests: dict[str, dict[int, bytes]] = {}
    order = secrets.SystemRandom()
    for namespace, values in spaces.items():
        names = [n for n in values if wanted is None or n in wanted]
        if not names:
            continue
        ids = order.sample(range(len(names)), len(names))
        items = []
        digests[namespace] = {}
        for digest_id, name in sorted(zip(ids, names, strict=True)):
            encoded = _item(digest_id, random(RANDOM_BYTES), name, values[name])
            sha = hashes.Hash(hashes.SHA256())
            sha.update(encoded)
            digests[namespace][digest_id] = sha.finalize()
            items.append(cbor2.loads(encoded))
        name_spaces[namespace] = items
    if not name_spaces:
        raise InvalidArgument("no element to issue")
    mso = {
        "version": "1.0",
        "digestAlgorithm": "SHA-256",
        "valueDigests": digests,
        "deviceKeyInfo": {"deviceKey": device_cose_key(device_key)},
        "docType": MDL_DOCTYPE,
        "validityInfo": {
            "signed": _tdate(now),
            "validFrom": _tdate(now),
            "validUntil": _tdate(now + valid_for),
        },
    }
    payload = cbor2.dumps(cbor2.CBORTag(_TAG24, cbor2.dumps(mso)))
    protected = cbor2.dumps({1: int(signer.algorithm)})
    signature = signer.sign(sig_structure(protected, payload))
    x5chain: object = (
        chain[0].public_bytes(der) if len(chain) == 1 else [c.public_bytes(der) for c in chain]
    )
    issuer_auth = [protected, {_X5CHAIN: x5chain}, payload, signature]
    return cbor2.dumps({"nameSpaces": name_spaces, "issuerAuth": issuer_auth})


def device_authentication_bytes(
    session_transcript: bytes, doc_type: str, device_name_spaces: bytes
) -> bytes:
    """``DeviceAuthenticationBytes`` (ISO/IEC 18013-5 §9.1.3.4): ``#6.24(bstr .cbor
    ["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes])`` built from
    the bytes as they travel: ``session_transcript`` is the SessionTranscriptBytes
    (``#6.24``), ``device_name_spaces`` the DeviceNameSpacesBytes (``#6.24``). Raises
    ``InvalidArgument`` when either is not a ``#6.24`` byte string."""
    parts = []
    for what, data in (("session transcript", session_transcript),
                       ("device namespaces", device_name_spaces)):  # fmt: skip
        try:
            item = cbor2.loads(data)
        except (ValueError, cbor2.CBORDecodeError) as exc:
            raise InvalidArgument(f"the {what} is not CBOR") from exc
        if not isinstance(item, cbor2.CBORTag) or item.tag != _TAG24:
            raise InvalidArgument(f"the {what} is not #6.24(bstr)")
        if not isinstance(item.value, bytes):
            raise InvalidArgument(f"the {what} is not #6.24(bstr)")
        parts.append(item.value)
    transcript = parts[0]
    authentication = (
        b"\x84"
        + cbor2.dumps("DeviceAuthentication")
        + transcript
        + cbor2.dumps(doc_type)
        + device_name_spaces
    )
    return cbor2.dumps(cbor2.CBORTag(_TAG24, authentication))


def device_response(
    issuer_signed: bytes | Mapping[str, object],
    *,
    device_signer: Signer | PrivateKey | None = None,
    session_transcript: bytes | None = None,
) -> bytes:
    """A ``DeviceResponse`` carrying one mDL document with this ``IssuerSigned``.

    With ``device_signer`` (the device key the MSO names) and ``session_transcript`` (the
    SessionTranscriptBytes of the reader's session), the document is device-authenticated
    with a ``deviceSignature`` (ISO/IEC 18013-5 §9.1.3.6, no device-signed elements);
    without them it carries the issuer's data only, and a reader can check the issuer side
    alone. Raises ``InvalidArgument`` when only one of the two is given."""
    if (device_signer is None) != (session_transcript is None):
        raise InvalidArgument("device_signer and session_transcript go together")
    signed = cbor2.loads(issuer_signed) if isinstance(issuer_signed, bytes) else issuer_signed
    document: dict[str, object] = {"docType": MDL_DOCTYPE, "issuerSigned": signed}
    if device_signer is not None and session_transcript is not None:
        if not isinstance(device_signer, Signer):
            device_signer = LocalSigner(device_signer)
        names = cbor2.dumps(cbor2.CBORTag(_TAG24, cbor2.dumps({})))
        payload = device_authentication_bytes(session_transcript, MDL_DOCTYPE, names)
        protected = cbor2.dumps({1: int(device_signer.algorithm)})
        signature = device_signer.sign(sig_structure(protected, payload))
        document["deviceSigned"] = {
            "nameSpaces": cbor2.loads(names),
            "deviceAuth": {"deviceSignature": [protected, {}, None, signature]},
        }
    return cbor2.dumps({"version": "1.0", "documents": [document], "status": 0})
