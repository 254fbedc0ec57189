"""Holder: a device-bound credential -> fresh live codes (``DP1:``), one every few seconds.

The holder's phone generates a device key pair (ideally inside its secure element) and gives
only the public half to the issuer, which binds the credential to it (``cnf``). To show the
licence, the phone signs the credential bytes together with the current time, and optionally
a verifier's nonce and audience, with the device key: :meth:`Holder.present`. A verifier
accepts that code only for a short time (60 s by default), so a screenshot forwarded to
someone else goes stale, and a copy of the static credential cannot be re-signed without the
device key.

>>> from qrseal.testing import FIXED_NOW, make_holder, make_verifier
>>> code = make_holder().present(now=FIXED_NOW)
>>> code[:4], make_verifier().verify(code, now=FIXED_NOW).presentation.value
('DP1:', 'live')
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from .errors import (
    AlgorithmNotAllowed,
    Expired,
    HolderBindingInvalid,
    InvalidArgument,
    InvalidKey,
)
from .issuer import Credential
from .licence.profile import CREDENTIAL_HEADER_LABELS, DEVICE_ALGORITHMS, DL_FORMAT, DP_FORMAT
from .wire.cose import Algorithm, PublicKey, check_key_algorithm, decode_sign1
from .wire.cwt import decode_claims, decode_cnf, require_utc
from .wire.keys import LocalSigner, PrivateKey, generate_private_key, require_keyword
from .wire.presentation import encode_presentation
from .wire.textcodec import pack, unpack

__all__ = ["DeviceSigner", "Holder", "generate_device_key"]

_CNF = 8  # CWT claim key of cnf (RFC 8747)


@runtime_checkable
class DeviceSigner(Protocol):
    """The holder's device key: something that signs with it and tells its public half.

    ``algorithm`` is ES256 (P-256) or EdDSA (Ed25519); ``sign`` receives the proof's
    Sig_structure bytes and returns the signature in COSE form (ECDSA: fixed-size
    ``r || s``, not DER). A phone's secure element (Secure Enclave, StrongBox) plugs in
    here; :class:`qrseal.LocalSigner` is the in-memory implementation.
    """

    @property
    def algorithm(self) -> Algorithm: ...

    @property
    def public_key(self) -> PublicKey: ...

    def sign(self, message: bytes) -> bytes: ...


def generate_device_key(alg: Algorithm = Algorithm.ES256) -> PrivateKey:
    """A fresh device key: P-256 (ES256, the default: what phone secure elements hold),
    Ed25519 (EdDSA) or SM2. Raises ``InvalidArgument`` for any other algorithm."""
    if alg not in DEVICE_ALGORITHMS:
        raise InvalidArgument(f"a device key is ES256, EdDSA or SM2, not {alg!r}")
    return generate_private_key(alg)


def _credential_bytes(credential: str | Credential) -> bytes:
    if isinstance(credential, Credential):
        return credential.cose
    if isinstance(credential, str):
        return unpack(credential.strip(), (DL_FORMAT,))[1]
    raise InvalidArgument("credential must be the credential text (DL1:...) or a Credential")


def _bound_times(cose: bytes, public_key: PublicKey) -> tuple[datetime, datetime]:
    """(iat, exp) of a credential after checking it names ``public_key`` in ``cnf``."""
    claims = decode_claims(decode_sign1(cose, protected_labels=CREDENTIAL_HEADER_LABELS).payload)
    cnf = claims.extra.get(_CNF)
    if cnf is None:
        raise HolderBindingInvalid(
            "the credential is not bound to a device key (issue it with holder_key=)",
            bound=False,
        )
    if decode_cnf(cnf) != public_key:
        raise HolderBindingInvalid("the credential is bound to another device key")
    return claims.issued_at, claims.expires_at


class Holder:
    """A holder's wallet entry: one device-bound credential and the device key it names.

    ``credential`` is one credential, or a wallet of several by view name (as
    :meth:`~qrseal.issuer.Issuer.sign_views` returns them), all bound to this device.
    Construction checks each credential's structure and that its ``cnf`` claim names this
    device's public key; it does NOT verify the issuer's signature (a wallet usually has no
    trust store; it received the credential from its issuer over an authenticated channel).
    ``device_signer`` is keyword-only (positional is deprecated). ``compress`` is passed to
    the text layer: None (default) deflates when that is shorter,
    which keeps the larger samples one QR version smaller.

    Raises ``MalformedText``/``MalformedCbor``/``MalformedCose``/``MalformedClaims`` for a
    broken credential, ``HolderBindingInvalid`` when it is not bound to this device key,
    ``InvalidKey`` or ``InvalidArgument`` for an unusable device signer.
    """

    __slots__ = (
        "_compress",
        "_cose",
        "_default",
        "_expires_at",
        "_issued_at",
        "_signer",
        "_times",
        "_views",
    )

    def __init__(
        self,
        credential: str | Credential | Mapping[str, str | Credential],
        _device_signer: DeviceSigner | PrivateKey | None = None,
        /,
        *,
        device_signer: DeviceSigner | PrivateKey | None = None,
        compress: bool | None = None,
    ) -> None:
        require_keyword(_device_signer, device_signer, name="device_signer", owner="Holder")
        device_signer = device_signer if device_signer is not None else _device_signer
        if device_signer is None:
            raise InvalidArgument("Holder needs device_signer=")
        if compress not in (None, True, False):
            raise InvalidArgument("compress must be None, True or False")
        if not isinstance(device_signer, DeviceSigner):
            device_signer = LocalSigner(device_signer)
        alg = device_signer.algorithm
        if alg not in DEVICE_ALGORITHMS:
            raise InvalidKey(f"a device key signs with ES256, EdDSA or SM2, not {alg!r}")
        public_key = device_signer.public_key
        try:
            check_key_algorithm(alg, public_key)
        except AlgorithmNotAllowed as exc:
            raise InvalidKey(exc.message) from exc
        if isinstance(credential, Mapping):
            if not credential:
                raise InvalidArgument("a Holder needs at least one credential")
            if not all(isinstance(name, str) and name for name in credential):
                raise InvalidArgument("views are named by non-empty strings")
            named = {name: _credential_bytes(c) for name, c in credential.items()}
        else:
            named = {"": _credential_bytes(credential)}
        times = {name: _bound_times(cose, public_key) for name, cose in named.items()}
        default = "full" if "full" in named else next(iter(named))
        self._views = named
        self._times = times
        self._default = default
        self._cose = named[default]
        self._signer: DeviceSigner = device_signer
        self._issued_at, self._expires_at = times[default]
        self._compress = compress

    @property
    def credential(self) -> bytes:
        """The issuer's COSE_Sign1 bytes, exactly as every presentation carries them."""
        return self._cose

    @property
    def device_signer(self) -> DeviceSigner:
        return self._signer

    @property
    def issued_at(self) -> datetime:
        """The credential's signing time (unverified: as the credential states it)."""
        return self._issued_at

    @property
    def expires_at(self) -> datetime:
        """When the credential itself expires; fetch a fresh one before then."""
        return self._expires_at

    def static_text(self) -> str:
        """The static credential text (``DL1:...``) for uses that want a copy, such as a
        driving school keeping a record. A verifier reports it as ``static``."""
        return pack(self._cose, DL_FORMAT, compress=False)

    @property
    def views(self) -> tuple[str, ...]:
        """The names of the views this wallet holds (empty for a single credential)."""
        return tuple(name for name in self._views if name)

    def present(
        self,
        *,
        now: datetime,
        nonce: bytes | None = None,
        audience: str | None = None,
        view: str | None = None,
    ) -> str:
        """A fresh live code (``DP1:...``) signed by the device key at ``now``.

        ``view`` picks the credential of that view from a wallet made of several
        (``Holder({"full": ..., "rental": ..., "age": ...}, ...)``, as
        :meth:`~qrseal.issuer.Issuer.sign_views` issues them); default: ``full`` if held,
        else the first. A verifier sees only that view's elements (docs/format.md §17).

        ``nonce`` (8-64 bytes) is a challenge the verifier gave; ``audience`` (at most 64
        UTF-8 bytes) names the verifier the code is meant for. Regenerate every
        :data:`qrseal.licence.profile.DEFAULT_REFRESH` (30 s): verifiers accept a code for 60 s by
        default. Raises ``InvalidArgument`` (naive ``now``, bad nonce or audience),
        ``Expired`` when the credential has expired at ``now``, and whatever the device
        signer raises; ``InvalidArgument`` for a view the wallet does not hold.
        """
        now = require_utc(now)
        name = self._default if view is None else view
        cose = self._views.get(name) if isinstance(name, str) and (view is None or name) else None
        if cose is None:
            raise InvalidArgument(
                f"this wallet holds no view {view!r}; it holds {sorted(self.views)}"
            )
        expires_at = self._times[name][1]
        if now >= expires_at:
            raise Expired(
                "the credential has expired: fetch a fresh one from the issuer",
                expired_at=expires_at,
                now=now,
            )
        signer = self._signer
        data = encode_presentation(
            cose,
            alg=signer.algorithm,
            sign=signer.sign,
            presented_at=now,
            nonce=nonce,
            audience=audience,
        )
        return pack(data, DP_FORMAT, compress=self._compress)

    def __repr__(self) -> str:
        return f"Holder({self._signer.algorithm.name} device key, device_signer=credential expires {self._expires_at:%Y-%m-%dT%H:%MZ})"
