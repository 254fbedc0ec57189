"""The fuzz targets' checks, in plain Python (no atheris): the atheris entry points call
them, and so do the regression tests, on every seed and every saved crash.

An input is one mode byte (taken modulo 5), then a body:

* mode 0: the body is credential text (``DL1:...`` / ``DP1:...``) as bytes;
* mode 1 / 2: the body is raw bytes packed as ``DL1`` / ``DP1`` text, so that mutations
  reach the CBOR and COSE layers instead of dying in the decimal text decoder;
* mode 3: the body's first byte picks a key of ``World.signers`` (trusted, retired,
  compromised, device, root), the rest is a payload it signs as a ``DL1`` credential: what
  a rogue or careless key holder can make, reaching the claims and licence decoders;
* mode 4: the body is a proof payload the holder's device key signs over a genuine bound
  credential, as a ``DP1`` code: reaching the proof's decoder and the presentation checks.

The properties checked:

* only :class:`~qrseal.QrsealError` escapes ``Verifier.verify`` and ``inspect_unverified``;
* whatever a verifier accepts has the signed content (protected header and payload bytes,
  and for a live code the proof's too) of a genuine seed that verified, unless a key that
  may sign (mode 3: a trusted or retired issuer key; mode 4: the device key) signed it
  here; content signed by a compromised, device or root key is never accepted
  (:class:`Forgery` otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import cbor2

from fuzz.world import FORMATS, NOW, World, signed_content, world
from qrseal import QrsealError, inspect_unverified
from qrseal.wire.cose import COSE_SIGN1_TAG, encode_sign1, sig_structure
from qrseal.wire.textcodec import pack

__all__ = [
    "Forgery",
    "Input",
    "check_inspect",
    "check_verify",
    "decode_input",
    "encode_input",
]

_MODES = 5
# The protected header of an Ed25519 proof, {1: -8} (docs/format.md §10.2).
_EDDSA_PROTECTED = cbor2.dumps({1: -8})


class Forgery(Exception):  # the name says what was found
    """A verifier accepted content that no genuine seed or permitted key signed."""


@dataclass(frozen=True, slots=True)
class Input:
    """The credential text an input stands for, and whether a verifier may accept it only
    as a genuine seed (``genuine_only``)."""

    text: bytes
    genuine_only: bool


def decode_input(data: bytes, w: World | None = None) -> Input | None:
    """What a fuzz input stands for; None if it cannot make credential text."""
    if not data:
        return None
    w = w or world()
    mode, body = data[0] % _MODES, data[1:]
    genuine_only = True
    if mode == 3:
        if not body:
            return None
        signer, may_sign = w.signers[body[0] % len(w.signers)]
        body = encode_sign1(body[1:], alg=signer.algorithm, kid=signer.kid, sign=signer.sign)
        genuine_only = not may_sign
    elif mode == 4:
        signature = w.device.sign(sig_structure(_EDDSA_PROTECTED, body, w.bound))
        proof = cbor2.CBORTag(COSE_SIGN1_TAG, [_EDDSA_PROTECTED, {}, body, signature])
        body = cbor2.dumps([w.bound, proof])
        genuine_only = False
    if mode == 0:
        return Input(body, genuine_only)
    try:
        text = pack(body, FORMATS[1 if mode in (2, 4) else 0])
    except QrsealError:  # too large for a QR code, or empty: not an input a verifier sees
        return None
    return Input(text.encode("ascii"), genuine_only)


def encode_input(text: str) -> bytes:
    """The mode-0 input for a credential text."""
    return b"\x00" + text.encode("ascii")


def check_verify(data: bytes, w: World | None = None) -> None:
    """Every verifier of the world (default :func:`fuzz.world.world`) on the input: a typed
    refusal, or an acceptance the oracle allows."""
    w = w or world()
    item = decode_input(data, w)
    if item is None:
        return
    for verifier in w.verifiers:
        try:
            verifier.verify(item.text, now=NOW)
        except QrsealError:
            continue
        if item.genuine_only and signed_content(item.text) not in w.accepted:
            raise Forgery(f"accepted content no genuine seed signed: {item.text[:80]!r}...")


def check_inspect(data: bytes) -> None:
    """``inspect_unverified`` on the input: a result or a typed error, nothing else."""
    item = decode_input(data)
    if item is None:
        return
    try:
        inspect_unverified(item.text)
    except QrsealError:
        return
