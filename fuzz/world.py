"""The fuzzed verifier's world, built from the deterministic test keys of
:mod:`qrseal.testing`: a signed trust list (trusted, retired, compromised keys), status
lists, a :class:`~qrseal.Verifier` over them, the genuine seed inputs, and the oracle that
says whether an accepted input is genuine.

Everything here is deterministic except ECDSA signatures (random nonces); the oracle
therefore compares *signed content* (protected header and payload bytes, which the
signature covers), never signature bytes: nothing may depend on those.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from qrseal import (
    Algorithm,
    Holder,
    Issuer,
    Policy,
    QrsealError,
    StatusReference,
    StatusSnapshots,
    TrustStore,
    Verifier,
)
from qrseal.licence.profile import DL_FORMAT, DP_FORMAT
from qrseal.status.lists import StatusList
from qrseal.status.token import sign_status_list, verify_status_list
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_device_key,
    make_private_key,
    sample_licence,
)
from qrseal.trust.lists import KeyState, TrustListEntry, new_trust_list, sign_trust_list
from qrseal.wire.cose import decode_sign1
from qrseal.wire.keys import LocalSigner, PrivateKey
from qrseal.wire.presentation import decode_presentation
from qrseal.wire.textcodec import pack, unpack

__all__ = [
    "AUDIENCE",
    "FORMATS",
    "NONCE",
    "NOW",
    "Seed",
    "World",
    "signed_content",
    "world",
]

NOW = FIXED_NOW
HOUR = timedelta(hours=1)
STATUS_URI = "https://status.example.cn/dl/v1/0"
NONCE = bytes.fromhex("00112233445566778899aabbccddeeff")
AUDIENCE = "fuzz-desk-1"
FORMATS = (DL_FORMAT, DP_FORMAT)

ROOT = make_private_key(Algorithm.ES256, 100)  # signs the trust list
TRUSTED = make_private_key(Algorithm.ES256, 0)  # active
TRUSTED_ED = make_private_key(Algorithm.EDDSA, 0)  # active
RETIRED = make_private_key(Algorithm.ES256, 102)  # retired half an hour ago
COMPROMISED = make_private_key(Algorithm.ES256, 101)  # revoked, compromised
DEVICE = make_device_key(Algorithm.ES256, 0)
DEVICE_ED = make_device_key(Algorithm.EDDSA, 0)

#: (credential COSE protected bytes, payload, proof protected bytes, proof payload)
SignedContent = tuple[bytes, bytes, bytes | None, bytes | None]


@dataclass(frozen=True, slots=True)
class Seed:
    """One seed input: a name (its corpus file name) and the credential text."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class World:
    """The verifiers under test, the seeds, and the signed content of the genuine inputs
    that verify (``accepted``): the only content a verifier may accept.

    ``signers`` sign fuzzed payloads as credentials, each with whether what it signs may
    ever be accepted (a trusted or retired issuer key: yes; a compromised, device or root
    key: never); ``device`` signs fuzzed proof payloads over ``bound``, a genuine credential
    bound to it."""

    verifiers: tuple[Verifier, ...]
    seeds: tuple[Seed, ...]
    accepted: frozenset[SignedContent]
    signers: tuple[tuple[LocalSigner, bool], ...]
    device: LocalSigner
    bound: bytes


def _entry(
    key: PrivateKey,
    state: KeyState = KeyState.ACTIVE,
    *,
    retired_at: datetime | None = None,
    revoked_at: datetime | None = None,
    compromised: bool = False,
) -> TrustListEntry:
    return TrustListEntry(
        key.public_key(),
        TEST_ISSUER,
        "CN",
        NOW - timedelta(days=30),
        NOW + timedelta(days=365),
        state=state,
        retired_at=retired_at,
        revoked_at=revoked_at,
        compromised=compromised,
    )


def _trust() -> tuple[TrustStore, bytes]:
    entries = (
        _entry(TRUSTED),
        _entry(TRUSTED_ED),
        _entry(RETIRED, KeyState.RETIRED, retired_at=NOW - HOUR / 2),
        _entry(
            COMPROMISED,
            KeyState.REVOKED,
            revoked_at=NOW - HOUR,
            compromised=True,
        ),
    )
    tl = new_trust_list("fuzz", now=NOW - HOUR, entries=entries)
    return tl.to_trust_store(), sign_trust_list(tl, signer=ROOT)


def _status_token(key: PrivateKey, values: dict[int, int]) -> bytes:
    status_list = StatusList(64, 2)
    for idx, value in values.items():
        status_list.set(idx, value)
    return sign_status_list(
        status_list,
        signer=LocalSigner(key),
        uri=STATUS_URI,
        now=NOW - HOUR,
        ttl=HOUR,
        valid_for=24 * HOUR,
    )


def _status(trust: TrustStore, token: bytes) -> StatusSnapshots:
    # The status API of the day (issue 9 rebinds lists to issuers): keep it in this one place.
    verified = verify_status_list(token, keys=trust.status_key_resolver(), now=NOW)
    return StatusSnapshots([verified])


def _texts(status_token: bytes, trust_list: bytes) -> Iterator[tuple[str, str]]:
    ok, ed = (
        Issuer(signer=TRUSTED, issuer=TEST_ISSUER),
        Issuer(signer=TRUSTED_ED, issuer=TEST_ISSUER),
    )
    for i in range(5):
        yield f"dl1-es256-sample{i}", ok.issue(sample_licence(i), now=NOW)
    yield "dl1-eddsa", ed.issue(sample_licence(1), now=NOW - HOUR)
    yield "dl1-compressed", pack(ok.sign(sample_licence(2), now=NOW).cose, DL_FORMAT, compress=True)
    yield (
        "dl1-status-valid",
        ok.issue(sample_licence(0), now=NOW, status=StatusReference(STATUS_URI, 5)),
    )
    yield (
        "dl1-status-revoked",
        ok.issue(sample_licence(0), now=NOW, status=StatusReference(STATUS_URI, 6)),
    )
    yield (
        "dl1-nbf-cti",
        ok.issue(sample_licence(3), now=NOW - HOUR, not_before=NOW - HOUR, cti=b"\x01\x02\x03\x04"),
    )
    yield "dl1-max-validity", ok.issue(sample_licence(4), now=NOW, valid_for=timedelta(days=366))
    yield (
        "dl1-retired-before",
        Issuer(signer=RETIRED, issuer=TEST_ISSUER).issue(sample_licence(0), now=NOW - HOUR),
    )
    yield (
        "dl1-retired-after",
        Issuer(signer=RETIRED, issuer=TEST_ISSUER).issue(sample_licence(0), now=NOW),
    )
    yield (
        "dl1-compromised",
        Issuer(signer=COMPROMISED, issuer=TEST_ISSUER).issue(sample_licence(0), now=NOW - HOUR),
    )
    yield (
        "dl1-device-key",
        Issuer(signer=DEVICE, issuer=TEST_ISSUER).issue(sample_licence(0), now=NOW),
    )
    yield "dl1-root-key", Issuer(signer=ROOT, issuer=TEST_ISSUER).issue(sample_licence(0), now=NOW)
    for name, device in (("es256", DEVICE), ("eddsa", DEVICE_ED)):
        credential = ok.sign(sample_licence(1), now=NOW, holder_key=device.public_key())
        holder = Holder(credential, device_signer=device)
        yield f"dl1-bound-{name}", holder.static_text()
        yield f"dp1-{name}", holder.present(now=NOW)
        yield f"dp1-{name}-challenge", holder.present(now=NOW, nonce=NONCE, audience=AUDIENCE)
    yield "dl1-trust-list", pack(trust_list, DL_FORMAT)
    yield "dl1-status-token", pack(status_token, DL_FORMAT)
    yield "dp1-status-token", pack(status_token, DP_FORMAT)


def signed_content(text: str | bytes) -> SignedContent:
    """What the signatures of a credential text cover. Raises ``QrsealError``."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    fmt, data = unpack(text, FORMATS)
    if fmt is DP_FORMAT:
        parts = decode_presentation(data)
        cred = decode_sign1(parts.credential)
        return (
            cred.protected_bytes,
            cred.payload,
            parts.proof.protected_bytes,
            parts.proof.payload,
        )
    cred = decode_sign1(data)
    return cred.protected_bytes, cred.payload, None, None


@cache
def world() -> World:
    """The world, built once per process."""
    trust, trust_list = _trust()
    token = _status_token(TRUSTED, {6: 1})
    seeds = tuple(Seed(name, text) for name, text in _texts(token, trust_list))
    verifiers = (
        Verifier(trust, status=_status(trust, token)),
        Verifier(trust, Policy(expected_nonce=NONCE, expected_audience=AUDIENCE)),
    )
    accepted: set[SignedContent] = set()
    for seed in seeds:
        for verifier in verifiers:
            try:
                verifier.verify(seed.text, now=NOW)
            except QrsealError:
                continue
            accepted.add(signed_content(seed.text))
    # Ed25519 first: deterministic signatures, so an input always means the same bytes.
    signers = (
        (LocalSigner(TRUSTED_ED), True),
        (LocalSigner(TRUSTED), True),
        (LocalSigner(RETIRED), True),
        (LocalSigner(COMPROMISED), False),
        (LocalSigner(DEVICE_ED), False),
        (LocalSigner(ROOT), False),
    )
    device = LocalSigner(DEVICE_ED)
    bound = Issuer(signer=TRUSTED_ED, issuer=TEST_ISSUER).sign(
        sample_licence(1), now=NOW, holder_key=device.public_key
    )
    return World(verifiers, seeds, frozenset(accepted), signers, device, bound.cose)
