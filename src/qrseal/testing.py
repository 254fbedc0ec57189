"""Helpers for tests of applications built on qrseal: deterministic keys, a fixed
clock, the synthetic sample licences, and a matching issuer/verifier pair.

Never use these keys outside tests: their private halves are derived from public seeds.

>>> from qrseal.testing import FIXED_NOW, make_issuer, make_verifier, sample_licence
>>> text = make_issuer().issue(sample_licence(0), now=FIXED_NOW)
>>> make_verifier().verify(text, now=FIXED_NOW).licence.document_number
'510107200503151422'
>>> make_verifier().verify(make_holder().present(now=FIXED_NOW), now=FIXED_NOW).presentation.value
'live'
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .errors import InvalidArgument
from .holder import Holder
from .issuer import Issuer
from .licence.model import Licence
from .licence.profile import DEVICE_ALGORITHMS, ISSUER_ALGORITHMS
from .trust.store import TrustedKey, TrustStore
from .verifier import Policy, Verifier
from .wire.algorithms import ALGORITHMS
from .wire.cose import Algorithm, PublicKey
from .wire.keys import LocalSigner, PrivateKey, kid_for
from .wire.sm2 import N as SM2_ORDER
from .wire.sm2 import Sm2PrivateKey

__all__ = [
    "FIXED_NOW",
    "TEST_ISSUER",
    "DeterministicSigner",
    "make_device_key",
    "make_device_signer",
    "make_holder",
    "make_issuer",
    "make_private_key",
    "make_signer",
    "make_trust_store",
    "make_verifier",
    "make_verifier_all",
    "sample_licence",
    "sample_licence_json",
    "sample_licences",
]

#: The sample licences are stated "as of" 2026-11-25T08:00Z; this clock is one hour later.
FIXED_NOW: Final = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)
#: The ``iss`` name the test issuer signs with and the test trust store expects.
TEST_ISSUER: Final = "CN-TEST"


def make_private_key(alg: Algorithm = Algorithm.ES256, index: int = 0) -> PrivateKey:
    """A deterministic private key: the same ``(alg, index)`` always gives the same key."""
    return _derive_key(alg, f"qrseal test key {alg.name} {index}")


def _derive_key(alg: Algorithm, label: str) -> PrivateKey:
    seed = hashlib.sha512(label.encode()).digest()
    if alg is Algorithm.EDDSA:
        return ed25519.Ed25519PrivateKey.from_private_bytes(seed[:32])
    if alg is Algorithm.ML_DSA_44:
        return mldsa.MLDSA44PrivateKey.from_seed_bytes(seed[:32])
    if alg is Algorithm.SM2:
        return Sm2PrivateKey.derive(int.from_bytes(seed, "big") % (SM2_ORDER - 2) + 1)
    curve = ALGORITHMS[alg].curve if alg in ALGORITHMS else None
    if curve is None:
        raise InvalidArgument(f"no test key for {alg!r}")
    # Reducing a 512-bit value modulo the group order leaves a negligible bias: test keys only.
    order = curve.group_order
    return ec.derive_private_key(int.from_bytes(seed, "big") % (order - 1) + 1, curve)


def make_signer(alg: Algorithm = Algorithm.ES256, index: int = 0) -> LocalSigner:
    """A :class:`LocalSigner` over :func:`make_private_key`."""
    return LocalSigner(make_private_key(alg, index))


class DeterministicSigner:
    """A :class:`~qrseal.wire.keys.Signer` (and holder device signer) whose signatures are
    reproducible: RFC 6979 deterministic ECDSA, and Ed25519, which is deterministic anyway.
    The worked examples of docs/format.md and the conformance vectors (``vectors/``) are
    signed with it, so regenerating them gives the same bytes.

    >>> signer = DeterministicSigner(make_private_key())
    >>> signer.sign(b"x") == signer.sign(b"x")
    True
    """

    __slots__ = ("_algorithm", "_key", "_kid")

    def __init__(self, private_key: PrivateKey) -> None:
        self._key = private_key
        self._algorithm = LocalSigner(private_key).algorithm  # the key's one algorithm
        self._kid = kid_for(private_key)

    @property
    def algorithm(self) -> Algorithm:
        return self._algorithm

    @property
    def kid(self) -> bytes:
        return self._kid

    @property
    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def sign(self, message: bytes) -> bytes:
        key = self._key
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(message)  # EdDSA: deterministic by definition
        entry = ALGORITHMS[self._algorithm]
        if entry.hash is None:  # every EC entry of the registry has its hash
            raise InvalidArgument(f"{self._algorithm!r} has no hash")
        der = key.sign(message, ec.ECDSA(entry.hash, deterministic_signing=True))
        r, s = decode_dss_signature(der)
        size = entry.coordinate_size
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def __repr__(self) -> str:
        return f"DeterministicSigner({self._algorithm.name}, kid={self._kid.hex()})"


def make_device_key(alg: Algorithm = Algorithm.ES256, index: int = 0) -> PrivateKey:
    """A deterministic holder device key (ES256, EdDSA or SM2), distinct from every issuer
    test key: the same ``(alg, index)`` always gives the same key."""
    if alg not in DEVICE_ALGORITHMS:
        raise InvalidArgument(f"a device key is ES256, EdDSA or SM2, not {alg!r}")
    return _derive_key(alg, f"qrseal test device key {alg.name} {index}")


def make_device_signer(alg: Algorithm = Algorithm.ES256, index: int = 0) -> LocalSigner:
    """A :class:`LocalSigner` over :func:`make_device_key`, usable as a holder's device signer."""
    return LocalSigner(make_device_key(alg, index))


def make_holder(
    licence_index: int = 0,
    *,
    device_alg: Algorithm = Algorithm.ES256,
    device_index: int = 0,
    issuer_alg: Algorithm = Algorithm.ES256,
    now: datetime = FIXED_NOW,
    valid_for: timedelta = timedelta(hours=72),
) -> Holder:
    """A :class:`Holder` whose credential (sample licence ``licence_index``, signed by the
    test issuer at ``now``) is bound to the test device key ``(device_alg, device_index)``."""
    signer = make_device_signer(device_alg, device_index)
    credential = make_issuer(issuer_alg).sign(
        sample_licence(licence_index), now=now, valid_for=valid_for, holder_key=signer.public_key
    )
    return Holder(credential, device_signer=signer)


def make_issuer(
    alg: Algorithm = Algorithm.ES256, index: int = 0, *, issuer: str = TEST_ISSUER
) -> Issuer:
    """An :class:`Issuer` signing with the deterministic test key."""
    return Issuer(signer=make_signer(alg, index), issuer=issuer)


def make_trust_store(
    algs: tuple[Algorithm, ...] = (Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA),
    *,
    issuer: str = TEST_ISSUER,
) -> TrustStore:
    """A trust store holding the public halves of the test keys (index 0) for ``algs``."""
    return TrustStore(TrustedKey(make_private_key(alg).public_key(), issuer) for alg in algs)


def make_verifier(policy: Policy | None = None) -> Verifier:
    """A :class:`Verifier` trusting the test keys of the default algorithms (ES256, ES384,
    EdDSA); :func:`make_verifier_all` also trusts and allows SM2 and ML-DSA-44."""
    return Verifier(make_trust_store(), policy)


def make_verifier_all(policy: Policy | None = None) -> Verifier:
    """A :class:`Verifier` trusting the test keys of every issuer algorithm, SM2 and
    ML-DSA-44 included, under ``policy`` (default: one that allows all of them)."""
    if policy is None:
        policy = Policy(allowed_algorithms=ISSUER_ALGORITHMS)
    return Verifier(make_trust_store(tuple(sorted(ISSUER_ALGORITHMS))), policy)


def sample_licence_json(index: int) -> dict[str, Any]:
    """The ``index``-th synthetic sample licence (0-4) as a JSON object, comments included."""
    samples = _load_samples()
    if not 0 <= index < len(samples):
        raise InvalidArgument(f"there are {len(samples)} sample licences")
    sample: dict[str, Any] = json.loads(json.dumps(samples[index]))  # a private deep copy
    return sample


def sample_licence(index: int) -> Licence:
    """The ``index``-th sample licence (0-4) as a :class:`Licence`."""
    return Licence.from_json(sample_licence_json(index))


def sample_licences() -> tuple[Licence, ...]:
    """All five synthetic sample licences."""
    return tuple(Licence.from_json(s) for s in _load_samples())


def _load_samples() -> list[dict[str, Any]]:
    raw = resources.files("qrseal").joinpath("data/samples.json").read_text(encoding="utf-8")
    samples: list[dict[str, Any]] = json.loads(raw)
    return samples
