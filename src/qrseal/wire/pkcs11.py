"""PKCS#11 tokens (HSMs, smart cards, SoftHSM2): a :class:`~qrseal.wire.keys.Signer` whose
private key never leaves the token.

Built on python-pkcs11 (typed, maintained, a Cython binding that releases the GIL while the
token works). The token signs a digest computed here with ``CKM_ECDSA``, not the message
with ``CKM_ECDSA_SHA256``: every token that does ECDSA has ``CKM_ECDSA`` (SoftHSM2 has no
hashing ECDSA mechanism at all), only 32-64 bytes cross to the token, and the hash stays the
one the algorithm registry binds to the curve. PKCS#11 returns ECDSA signatures as fixed-size
``r || s``, which is COSE's form already; EdDSA (Ed25519, ``CKM_EDDSA``) signs the message.
The ``kid`` is computed from the exported public key exactly as for a local key
(:func:`~qrseal.wire.keys.kid_for`).

A session belongs to one process: :class:`TokenKey` (where the key is, and the PIN) is the
picklable value a worker process opens its own :class:`Pkcs11Signer` from. PKCS#11 keeps the
login per process and token, so a second session in a process that is already logged in
does not ask the token for the PIN again.

Every token error is a :class:`~qrseal.errors.SetupError`: ``TokenUnavailable`` (module or
token missing), ``TokenLoginFailed`` (PIN refused), ``TokenKeyNotFound`` and ``TokenFailed``.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Final

import pkcs11
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.types import SignMixin
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from ..errors import (
    InvalidArgument,
    InvalidKey,
    TokenFailed,
    TokenKeyNotFound,
    TokenLoginFailed,
    TokenUnavailable,
)
from .algorithms import ALGORITHMS, Algorithm, PublicKey, algorithm_for_key
from .keys import kid_for

__all__ = ["Pkcs11Signer", "TokenKey", "generate_token_key", "open_signer"]

_ED25519_OID: Final = "1.3.101.112"
_PIN_ERRORS: Final = (
    p11.PinIncorrect,
    p11.PinInvalid,
    p11.PinLenRange,
    p11.PinLocked,
    p11.PinExpired,
    p11.UserPinNotInitialized,
)
_TOKEN_ERRORS: Final = (
    p11.NoSuchToken,
    p11.MultipleTokensReturned,
    p11.TokenNotPresent,
    p11.TokenNotRecognised,
    p11.DeviceRemoved,
    p11.SlotIDInvalid,
)
#: The named curve of each ECDSA algorithm, in the token's ``CKA_EC_PARAMS`` form.
_EC_PARAMS: Final = MappingProxyType(
    {
        alg: encode_named_curve_parameters(spec.curve_name)
        for alg, spec in ALGORITHMS.items()
        if spec.curve is not None
    }
)


@dataclass(frozen=True, slots=True)
class TokenKey:
    """Where a signing key lives: the PKCS#11 ``module`` (shared library path), the
    ``token`` label, the key's ``label`` and/or ``key_id`` (``CKA_ID``), and the ``pin``
    (never shown by ``repr``). A value, so it can travel to worker processes, each of
    which opens its own session with :meth:`open`."""

    module: str
    token: str
    pin: str = field(repr=False)
    label: str | None = None
    key_id: bytes | None = None

    def __post_init__(self) -> None:
        if not self.module or not self.token:
            raise InvalidArgument("a token key needs a module path and a token label")
        if self.label is None and self.key_id is None:
            raise InvalidArgument("a token key needs a key label or a key id")

    def open(self) -> Pkcs11Signer:
        """A signer with a session of its own on the token. Raises ``TokenUnavailable``,
        ``TokenLoginFailed`` or ``TokenKeyNotFound``."""
        return open_signer(self.module, self.token, self.pin, label=self.label, key_id=self.key_id)


def _session(module: str, token_label: str, pin: str, *, rw: bool) -> pkcs11.Session:
    try:
        token = pkcs11.lib(module).get_token(token_label=token_label)
    except _TOKEN_ERRORS as exc:
        raise TokenUnavailable(
            f"no single token labelled {token_label!r}", token=token_label
        ) from exc
    except p11.PKCS11Error as exc:  # the module itself did not load or initialise
        raise TokenUnavailable(
            f"cannot load PKCS#11 module {module}: {exc}", token=token_label
        ) from exc
    try:
        try:
            return token.open(user_pin=pin, rw=rw)
        except p11.UserAlreadyLoggedIn:  # another session of this process logged in
            return token.open(rw=rw)
    except _PIN_ERRORS as exc:
        raise TokenLoginFailed(
            f"token {token_label!r} refused the PIN ({type(exc).__name__})", token=token_label
        ) from exc
    except p11.PKCS11Error as exc:
        raise TokenUnavailable(
            f"cannot open token {token_label!r}: {exc}", token=token_label
        ) from exc


def _public_key(obj: pkcs11.PublicKey) -> PublicKey:
    """The token public key as a cryptography key (EC: via its SPKI; Ed25519: raw point)."""
    try:
        if obj.key_type == KeyType.EC_EDWARDS:
            if obj[Attribute.EC_PARAMS] != encode_named_curve_parameters(_ED25519_OID):
                raise InvalidKey("only Ed25519 is supported among Edwards curves")
            point = bytes(obj[Attribute.EC_POINT])
            # CKA_EC_POINT is a DER OCTET STRING (04 20 ...) on most tokens, raw on some.
            raw = point[2:] if len(point) == 34 and point[:2] == b"\x04\x20" else point
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
        if obj.key_type != KeyType.EC:
            raise InvalidKey(f"unsupported token key type {obj.key_type!r}")
        key = load_der_public_key(encode_ec_public_key(obj))
    except (p11.PKCS11Error, ValueError, TypeError) as exc:
        raise TokenFailed(f"cannot read the token's public key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidKey(f"unsupported token key type {type(key).__name__}")
    return key


def _find(
    session: pkcs11.Session, cls: ObjectClass, label: str | None, key_id: bytes | None
) -> pkcs11.Key:
    try:
        return session.get_key(object_class=cls, label=label, id=key_id)
    except (p11.NoSuchKey, p11.MultipleObjectsReturned) as exc:
        what = "no" if isinstance(exc, p11.NoSuchKey) else "more than one"
        raise TokenKeyNotFound(
            f"{what} {cls.name.lower()} with label {label!r} and id "
            f"{key_id.hex() if key_id else None} on the token",
            label=label,
            key_id=key_id,
        ) from exc
    except p11.PKCS11Error as exc:
        raise TokenFailed(f"cannot search the token: {exc}") from exc


class Pkcs11Signer:
    """A :class:`~qrseal.wire.keys.Signer` over one private key in a PKCS#11 token.

    Open it with :func:`open_signer` or :meth:`TokenKey.open`; close it (or use ``with``)
    to end the session. ``sign`` is safe to call from several threads (one session serves
    one call at a time). Not picklable: pass the :class:`TokenKey` instead.
    """

    __slots__ = ("_algorithm", "_hash", "_key", "_kid", "_lock", "_public", "_session")

    def __init__(self, session: pkcs11.Session, private: SignMixin, public: PublicKey) -> None:
        self._session = session
        self._key = private
        self._public = public
        self._algorithm = algorithm_for_key(public)
        spec = ALGORITHMS[self._algorithm]
        self._hash = spec.hash.name if spec.hash is not None else None
        self._kid = kid_for(public)
        self._lock = threading.Lock()

    @property
    def algorithm(self) -> Algorithm:
        return self._algorithm

    @property
    def kid(self) -> bytes:
        return self._kid

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def sign(self, message: bytes) -> bytes:
        """The COSE-form signature of ``message`` (ECDSA ``r || s``). Raises
        ``TokenFailed``."""
        if self._hash is None:
            data, mechanism = message, Mechanism.EDDSA
        else:
            data, mechanism = hashlib.new(self._hash, message).digest(), Mechanism.ECDSA
        try:
            with self._lock:
                signature = self._key.sign(data, mechanism=mechanism)
        except p11.PKCS11Error as exc:
            raise TokenFailed(f"the token did not sign: {type(exc).__name__}") from exc
        expected = ALGORITHMS[self._algorithm].signature_length
        if len(signature) != expected:
            raise TokenFailed(
                f"the token returned {len(signature)} signature bytes, not {expected}"
            )
        return bytes(signature)

    def close(self) -> None:
        """End the session (the last session of a process also logs out)."""
        try:
            self._session.close()
        except p11.PKCS11Error as exc:
            raise TokenFailed(f"cannot close the session: {exc}") from exc

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __reduce__(self) -> str | tuple[object, ...]:
        raise InvalidArgument("a token session cannot be pickled; pass its TokenKey")

    def __repr__(self) -> str:
        return f"Pkcs11Signer({self._algorithm.name}, kid={self._kid.hex()})"


def open_signer(
    module: str,
    token: str,
    pin: str,
    *,
    label: str | None = None,
    key_id: bytes | None = None,
) -> Pkcs11Signer:
    """Open a session on the token labelled ``token`` of the PKCS#11 library ``module``, log
    in with ``pin`` and find the key pair by ``label`` and/or ``key_id``. Raises
    ``TokenUnavailable``, ``TokenLoginFailed``, ``TokenKeyNotFound`` or ``InvalidKey`` (a key
    type qrseal does not sign with)."""
    if label is None and key_id is None:
        raise InvalidArgument("give the key's label or id")
    session = _session(module, token, pin, rw=False)
    with contextlib.ExitStack() as on_failure:  # the session closes unless the signer keeps it
        on_failure.callback(session.close)
        private = _find(session, ObjectClass.PRIVATE_KEY, label, key_id)
        public_obj = _find(session, ObjectClass.PUBLIC_KEY, label, key_id)
        if not isinstance(private, SignMixin) or not isinstance(public_obj, pkcs11.PublicKey):
            raise TokenKeyNotFound("the objects found are not a key pair", label=label)
        signer = Pkcs11Signer(session, private, _public_key(public_obj))
        on_failure.pop_all()
    return signer


def generate_token_key(
    module: str,
    token: str,
    pin: str,
    *,
    label: str,
    alg: Algorithm = Algorithm.ES256,
) -> PublicKey:
    """Generate a key pair for ``alg`` inside the token, stored under ``label`` with the
    kid as ``CKA_ID`` (where the token allows the edit), the private half sensitive and not
    extractable. Returns the public key. Raises ``InvalidArgument`` (the label is taken, an algorithm without a token
    mechanism), the token errors of :func:`open_signer`, or ``TokenFailed``."""
    spec = ALGORITHMS.get(alg)
    if spec is None:
        raise InvalidArgument(f"unsupported algorithm {alg!r}")
    if not label:
        raise InvalidArgument("a token key needs a label")
    session = _session(module, token, pin, rw=True)
    try:
        if list(session.get_objects({Attribute.LABEL: label})):
            raise InvalidArgument(f"the token already holds objects labelled {label!r}")
        if spec.curve is None:
            key_type, params, mechanism = (
                KeyType.EC_EDWARDS,
                encode_named_curve_parameters(_ED25519_OID),
                Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
            )
        else:
            key_type, params, mechanism = KeyType.EC, _EC_PARAMS[alg], Mechanism.EC_KEY_PAIR_GEN
        private_template = {
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.SIGN: True,
            Attribute.PRIVATE: True,
        }
        domain = session.create_domain_parameters(
            key_type, {Attribute.EC_PARAMS: params}, local=True
        )
        public_obj, private_obj = domain.generate_keypair(
            store=True,
            label=label,
            mechanism=mechanism,
            private_template=private_template,
        )
        public = _public_key(public_obj)
        kid = kid_for(public)
        try:  # the kid as CKA_ID, so the key can be found by it; some tokens refuse the edit
            public_obj[Attribute.ID] = kid
            private_obj[Attribute.ID] = kid
        except (p11.AttributeReadOnly, p11.AttributeValueInvalid, p11.TemplateInconsistent):
            pass  # still found by its label
        return public
    except p11.PKCS11Error as exc:
        raise TokenFailed(f"the token did not generate the key: {exc}") from exc
    finally:
        session.close()
