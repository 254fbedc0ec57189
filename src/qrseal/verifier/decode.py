"""The verifier's input side, shared by :class:`~qrseal.verifier.Verifier` and :func:`inspect_unverified`: text caps, the strict credential envelope, and the unverified look for support and debugging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from ..errors import (
    InvalidArgument,
    MalformedCbor,
    MalformedClaims,
    MalformedCose,
    MalformedText,
    QrsealError,
    TooLarge,
)
from ..licence.model import Licence
from ..licence.profile import (
    CREDENTIAL_HEADER_LABELS,
    DL_FORMAT,
    DP_FORMAT,
    LICENCE_CLAIM,
)
from ..licence.views import decode_disclosure
from ..wire.algorithms import Algorithm
from ..wire.cose import (
    Sign1,
    decode_sign1,
)
from ..wire.cwt import Claims, decode_claims
from ..wire.presentation import (
    ProofClaims,
    decode_presentation,
    decode_proof_claims,
)
from ..wire.textcodec import unpack

if TYPE_CHECKING:
    pass
from .policy import Policy


def credential_text_of(text: str | bytes, max_chars: int) -> str:
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


CREDENTIAL_FORMATS: Final = (DL_FORMAT, DP_FORMAT)


def decode_credential(data: bytes, policy: Policy) -> Sign1:
    """The credential's envelope, strictly (docs/format.md §2, §4): deterministic encoding,
    exactly ``alg`` and ``kid`` protected, nothing unprotected."""
    return decode_sign1(
        data, max_bytes=policy.max_cose_bytes, protected_labels=CREDENTIAL_HEADER_LABELS
    )


@dataclass(frozen=True, slots=True)
class UnverifiedCredential:
    """What a credential says about itself, NOT verified. For debugging only.

    For a live presentation (``prefix`` ``"DP"``) the first fields describe the credential
    it carries, and ``proof_algorithm``, ``presented_at``, ``nonce`` and ``audience`` what
    its (unchecked) proof claims.
    """

    prefix: str
    version: int
    cose_bytes: int
    protected: Mapping[object, object]
    unprotected: Mapping[object, object]
    signature: bytes
    claims: Claims | None
    licence: Licence | None
    problem: QrsealError | None
    proof_algorithm: Algorithm | None = None
    presented_at: datetime | None = None
    nonce: bytes | None = None
    audience: str | None = None
    #: The elements of a disclosure view (docs/format.md §17), whole licence or partial.
    elements: Mapping[str, object] | None = None


def inspect_unverified(text: str | bytes, *, policy: Policy | None = None) -> UnverifiedCredential:
    """Decode a credential or live presentation WITHOUT checking any signature, for
    debugging and support.

    Nothing returned here is trustworthy. Envelope errors raise; an envelope that parses
    but breaks the credential's strict rules (docs/format.md §2, §4), and a payload that
    does not decode, are reported in ``problem`` so that as much as possible is shown.
    """
    policy = policy or Policy()
    fmt, data = unpack(
        credential_text_of(text, policy.max_text_chars),
        CREDENTIAL_FORMATS,
        max_text_chars=policy.max_text_chars,
        max_bytes=policy.max_cose_bytes,
    )
    problem: QrsealError | None = None
    proof: ProofClaims | None = None
    proof_alg: Algorithm | None = None
    if fmt is DP_FORMAT:
        parts = decode_presentation(data, max_bytes=policy.max_cose_bytes)
        data, proof_alg = parts.credential, parts.alg
        try:
            proof = decode_proof_claims(parts.proof.payload)
        except QrsealError as exc:
            problem = exc
    try:
        msg = decode_credential(data, policy)
    except (MalformedCbor, MalformedCose) as exc:  # show what the lenient envelope holds
        msg = decode_sign1(data, max_bytes=policy.max_cose_bytes)
        problem = problem or exc
    claims: Claims | None = None
    licence: Licence | None = None
    elements: Mapping[str, object] | None = None
    try:
        claims = decode_claims(msg.payload)
        raw = claims.extra.get(LICENCE_CLAIM)
        if raw is None:
            raise MalformedClaims("licence claim missing")
        disclosure = decode_disclosure(raw)
        licence, elements = disclosure.licence, disclosure.elements
    except QrsealError as exc:
        problem = problem or exc
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
        proof_alg,
        None if proof is None else proof.presented_at,
        None if proof is None else proof.nonce,
        None if proof is None else proof.audience,
        elements,
    )
