"""Signed trust lists: the issuer keys a verifier app carries offline (docs/format.md §14).

A trust list is a COSE_Sign1 (protected ``typ`` = :data:`TRUST_LIST_TYPE`) over a CBOR map
with integer keys, signed by a root key that the verifier app pins. Each entry names one
issuer key, what it may sign (jurisdiction, credential types, licence classes), when, and its
state (active, retired = verify-only, revoked, optionally compromised).

This module is the one place to import the trust-list API from; each concept lives in its
own module:

- :mod:`qrseal.trust.entries`: :class:`TrustListEntry`, :class:`KeyState` and the checks the
  verifier applies (:func:`check_entry_state` right after the signature,
  :func:`check_entry_scope` once the licence is decoded; :func:`check_entry` does both);
- :mod:`qrseal.trust.model`: :class:`TrustList` (one version; its edits and next version);
- :mod:`qrseal.trust.codec`: the payload, :func:`encode_trust_list`/:func:`decode_trust_list`;
- :mod:`qrseal.trust.signed`: :func:`sign_trust_list`, :func:`load_trust_list`,
  :func:`verify_trust_list` (a :class:`VerifiedTrustList`);
- :mod:`qrseal.trust.persistence`: :class:`TrustListStore` (rollback-proof, atomically
  persisted), :func:`read_regular_file`, :func:`write_atomic`;
- :mod:`qrseal.trust.store`: :class:`TrustedKey`, :class:`TrustStore`, :class:`PinnedRoot`.

Time is always an argument; nothing here reads the clock.
"""

from __future__ import annotations

from .codec import MAX_TRUST_LIST_BYTES as MAX_TRUST_LIST_BYTES
from .codec import EntryKey as EntryKey
from .codec import ListKey as ListKey
from .codec import decode_trust_list as decode_trust_list
from .codec import encode_trust_list as encode_trust_list
from .entries import DRIVING_LICENCE as DRIVING_LICENCE
from .entries import KeyState as KeyState
from .entries import TrustListEntry as TrustListEntry
from .entries import check_entry as check_entry
from .entries import check_entry_scope as check_entry_scope
from .entries import check_entry_state as check_entry_state
from .model import MAX_TRUST_LIST_ENTRIES as MAX_TRUST_LIST_ENTRIES
from .model import Freshness as Freshness
from .model import TrustList as TrustList
from .model import new_trust_list as new_trust_list
from .persistence import MAX_SEQUENCE_JUMP as MAX_SEQUENCE_JUMP
from .persistence import TrustListStore as TrustListStore
from .persistence import read_regular_file as read_regular_file
from .persistence import write_atomic as write_atomic
from .signed import TRUST_LIST_ALGORITHMS as TRUST_LIST_ALGORITHMS
from .signed import TRUST_LIST_TYPE as TRUST_LIST_TYPE
from .signed import Roots as Roots
from .signed import VerifiedTrustList as VerifiedTrustList
from .signed import generate_issuer_key as generate_issuer_key
from .signed import generate_root_key as generate_root_key
from .signed import load_trust_list as load_trust_list
from .signed import sign_trust_list as sign_trust_list
from .signed import verify_trust_list as verify_trust_list
from .store import PinnedRoot as PinnedRoot

__all__ = [
    "DRIVING_LICENCE",
    "MAX_SEQUENCE_JUMP",
    "MAX_TRUST_LIST_BYTES",
    "MAX_TRUST_LIST_ENTRIES",
    "TRUST_LIST_ALGORITHMS",
    "TRUST_LIST_TYPE",
    "EntryKey",
    "Freshness",
    "KeyState",
    "ListKey",
    "PinnedRoot",
    "Roots",
    "TrustList",
    "TrustListEntry",
    "TrustListStore",
    "VerifiedTrustList",
    "check_entry",
    "check_entry_scope",
    "check_entry_state",
    "decode_trust_list",
    "encode_trust_list",
    "generate_issuer_key",
    "generate_root_key",
    "load_trust_list",
    "new_trust_list",
    "read_regular_file",
    "sign_trust_list",
    "verify_trust_list",
    "write_atomic",
]
