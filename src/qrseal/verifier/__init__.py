"""Verifier: credential text or QR image -> :class:`VerifiedLicence`, offline.

Checks run in a fixed order, each on the output of the one before, and the first
failure raises its typed error: size caps -> prefix/version -> text decode -> bounded
inflate -> strict CBOR -> COSE structure -> key lookup and algorithm -> signature -> for
a trust-list key flagged compromised, ``key_revoked`` -> claims (only now is the payload
decoded) -> key window, or for a trust-list key its state at ``iat`` (revoked, retired) ->
issuer -> time -> licence validation -> for a trust-list
key its scope (jurisdiction, credential type, classes) -> data age -> with a status store,
the credential's status (docs/format.md §6).

A live presentation (``DP1:``, docs/format.md §10) runs the same steps on the credential it
carries, then checks the holder binding: the device key from the verified ``cnf`` claim ->
the device signature -> the proof's claims (only now decoded) -> presentation time -> nonce
and audience -> the optional replay cache.
"""

from __future__ import annotations

from ..trust.store import TrustedKey, TrustStore
from .core import Verifier
from .decode import UnverifiedCredential, inspect_unverified
from .policy import Policy
from .result import VerifiedLicence

__all__ = [
    "Policy",
    "TrustStore",
    "TrustedKey",
    "UnverifiedCredential",
    "VerifiedLicence",
    "Verifier",
    "inspect_unverified",
]
