"""Signed trust lists: a COSE_Sign1 (protected ``typ`` = :data:`TRUST_LIST_TYPE`) over the
payload of :mod:`qrseal.trust.codec`, signed by a root key the verifier app pins
(docs/format.md §14.1, §14.7).

Issuer side: :func:`sign_trust_list`. Verifier side: :func:`load_trust_list` (signature and
the root's window, not the time) and :func:`verify_trust_list` (also the list's expiry at
``now``), which returns a :class:`VerifiedTrustList`: the list with the root that verified it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ..errors import InvalidArgument, MalformedTrustList, UnknownKey
from ..wire.algorithms import PUBLIC_KEY_TYPES
from ..wire.cose import (
    Algorithm,
    HeaderLabel,
    PublicKey,
    decode_sign1,
    encode_sign1,
    verify_with_candidates,
)
from ..wire.keys import LocalSigner, PrivateKey, Signer, generate_private_key, require_keyword
from .codec import MAX_TRUST_LIST_BYTES, decode_trust_list, encode_trust_list
from .entries import TrustListEntry
from .keyform import spki_of
from .model import Freshness, TrustList
from .store import ListValidity, PinnedRoot, TrustedKey, TrustStore

__all__ = [
    "TRUST_LIST_ALGORITHMS",
    "TRUST_LIST_TYPE",
    "Roots",
    "VerifiedTrustList",
    "generate_issuer_key",
    "generate_root_key",
    "load_trust_list",
    "sign_trust_list",
    "verify_trust_list",
]

#: Protected ``typ`` (COSE label 16) of a signed trust list.
TRUST_LIST_TYPE: Final = "application/qrseal-trustlist+cbor"
#: Algorithms a root may sign a trust list with. SM2 and ML-DSA-44 are here (unlike in a
#: verifier's default policy) because a root is pinned by the app: pinning an SM2 or ML-DSA-44
#: root is the opt-in, and the key decides the algorithm.
TRUST_LIST_ALGORITHMS: Final = frozenset(
    {Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA, Algorithm.SM2, Algorithm.ML_DSA_44}
)
_PUBLIC_TYPES: Final = PUBLIC_KEY_TYPES

#: Pinned root key(s): a bare key is a root without a window (docs/format.md §14.7).
Roots = PublicKey | PinnedRoot | Sequence[PublicKey | PinnedRoot]


def generate_root_key(alg: Algorithm = Algorithm.ES256) -> PrivateKey:
    """A new root key; verifier apps pin its public half."""
    return generate_private_key(alg)


def generate_issuer_key(alg: Algorithm = Algorithm.ES256) -> PrivateKey:
    """A new issuing (document-signer) key."""
    return generate_private_key(alg)


def sign_trust_list(
    tl: TrustList,
    _signer: Signer | PrivateKey | None = None,
    /,
    *,
    signer: Signer | PrivateKey | None = None,
) -> bytes:
    """The signed trust list (tagged COSE_Sign1) as published, signed by the root key
    ``signer`` (a :class:`~qrseal.wire.keys.Signer` or a private key). The positional form
    ``sign_trust_list(tl, root)`` still works and warns (deprecated)."""
    require_keyword(_signer, signer, name="signer", owner="sign_trust_list")
    key = signer if _signer is None else _signer
    if key is None:
        raise InvalidArgument("sign_trust_list needs signer=")
    local = key if isinstance(key, Signer) else LocalSigner(key)
    return encode_sign1(
        encode_trust_list(tl),
        alg=local.algorithm,
        sign=local.sign,
        kid=local.kid,
        protected_extra={int(HeaderLabel.TYP): TRUST_LIST_TYPE},
    )


@dataclass(frozen=True, slots=True)
class VerifiedTrustList:
    """A trust list whose signature verified: the list, the pinned root that verified it,
    and the grace it was checked with (:func:`verify_trust_list`).

    The list's own attributes (``list_id``, ``sequence``, ``entries``, ...) are readable here
    too, as when :func:`verify_trust_list` returned the bare :class:`TrustList`.
    """

    trust_list: TrustList
    root: PinnedRoot
    grace: timedelta = timedelta(0)

    def to_trust_store(
        self, *, grace: timedelta | None = None, root: PinnedRoot | None = None
    ) -> TrustStore:
        """:meth:`TrustList.to_trust_store` with this list's grace and the root that
        verified it (so the store also stops at the end of that root's window)."""
        return self.trust_list.to_trust_store(
            grace=self.grace if grace is None else grace,
            root=self.root if root is None else root,
        )

    def validity(self) -> ListValidity:
        """When the list may be used (its expiry + grace, the root's window)."""
        return self.trust_list.validity(grace=self.grace, root=self.root)

    # The list's attributes, read through (the former return type of verify_trust_list).
    @property
    def list_id(self) -> str:
        return self.trust_list.list_id

    @property
    def sequence(self) -> int:
        return self.trust_list.sequence

    @property
    def issued_at(self) -> datetime:
        return self.trust_list.issued_at

    @property
    def next_update(self) -> datetime:
        return self.trust_list.next_update

    @property
    def expires_at(self) -> datetime:
        return self.trust_list.expires_at

    @property
    def entries(self) -> tuple[TrustListEntry, ...]:
        return self.trust_list.entries

    def entries_for(self, kid: bytes) -> tuple[TrustListEntry, ...]:
        """Every entry with this ``kid``."""
        return self.trust_list.entries_for(kid)

    def entry_for(self, key: TrustedKey) -> TrustListEntry:
        """:meth:`TrustList.entry_for`."""
        return self.trust_list.entry_for(key)

    def freshness(self, now: datetime) -> Freshness:
        """:meth:`TrustList.freshness`."""
        return self.trust_list.freshness(now)


def pinned_roots(root: Roots) -> tuple[PinnedRoot, ...]:
    """The pinned roots as :class:`PinnedRoot` values. Raises ``InvalidArgument``."""
    try:
        items = (root,) if isinstance(root, (*_PUBLIC_TYPES, PinnedRoot)) else tuple(root)
    except TypeError as exc:
        raise InvalidArgument("pin a root public key, a PinnedRoot or a sequence of them") from exc
    if not items:
        raise InvalidArgument("pin at least one root key")
    roots = tuple(r if isinstance(r, PinnedRoot) else PinnedRoot(r) for r in items)
    if len({spki_of(r.public_key) for r in roots}) != len(roots):
        # Two windows for one key would make its lists both older and newer than themselves.
        raise InvalidArgument("a root key is pinned twice")
    return roots


def _roots_arg(positional: Roots | None, keyword: Roots | None) -> Roots:
    value = keyword if positional is None else positional
    if value is None:
        raise InvalidArgument("pin a root key: root=")
    return value


def _root_key(root: PinnedRoot) -> PublicKey:
    return root.public_key


def load_signed(
    data: bytes, roots: tuple[PinnedRoot, ...], max_bytes: int = MAX_TRUST_LIST_BYTES
) -> VerifiedTrustList:
    """The verified, decoded list and the pinned root whose signature verified, without
    looking at the time (:func:`load_trust_list`)."""
    if not isinstance(data, bytes):
        raise InvalidArgument("a signed trust list is bytes")
    msg = decode_sign1(data, max_bytes=max_bytes)
    if msg.protected.get(int(HeaderLabel.TYP)) != TRUST_LIST_TYPE:
        raise MalformedTrustList(f"protected typ is not {TRUST_LIST_TYPE!r}")
    kid = msg.protected.get(int(HeaderLabel.KID))
    matching = [r for r in roots if r.kid == kid]
    if not matching:
        raise UnknownKey("trust list is not signed by a pinned root key", kid=msg.kid)
    # Equal kids of two pinned roots are astronomically unlikely; try each all the same.
    signer, _ = verify_with_candidates(
        msg, matching, key_of=_root_key, allowed=TRUST_LIST_ALGORITHMS
    )
    tl = decode_trust_list(msg.payload, max_bytes=max_bytes)
    signer.check_at(tl.issued_at)  # a root signs only inside its window
    return VerifiedTrustList(tl, signer)


def verify_signed(
    data: bytes,
    roots: tuple[PinnedRoot, ...],
    *,
    now: datetime,
    grace: timedelta,
    max_bytes: int = MAX_TRUST_LIST_BYTES,
) -> VerifiedTrustList:
    """:func:`load_signed`, then the list's validity at ``now`` (:func:`verify_trust_list`)."""
    loaded = load_signed(data, roots, max_bytes)
    verified = VerifiedTrustList(loaded.trust_list, loaded.root, grace)
    verified.validity().check(now)
    return verified


def load_trust_list(
    data: bytes,
    _root: Roots | None = None,
    /,
    *,
    root: Roots | None = None,
    max_bytes: int = MAX_TRUST_LIST_BYTES,
) -> TrustList:
    """Verify a signed trust list against the pinned root(s) ``root`` and decode it, without
    looking at the time (see :func:`verify_trust_list`); its ``issued_at`` must lie in the
    window of the root that signed it. The positional root still works and warns.

    Raises ``TooLarge``, ``MalformedCbor``/``MalformedCose``, ``MalformedTrustList`` (wrong
    ``typ`` or payload), ``UnknownKey`` (not signed by a pinned root),
    ``AlgorithmNotAllowed``, ``SignatureInvalid`` or ``KeyNotValidAtTime`` (issued outside
    the root's window).
    """
    require_keyword(_root, root, name="root", owner="load_trust_list")
    roots = pinned_roots(_roots_arg(_root, root))
    return load_signed(data, roots, max_bytes).trust_list


def verify_trust_list(
    data: bytes,
    _root: Roots | None = None,
    /,
    *,
    root: Roots | None = None,
    now: datetime,
    grace: timedelta = timedelta(0),
    max_bytes: int = MAX_TRUST_LIST_BYTES,
) -> VerifiedTrustList:
    """:func:`load_trust_list`, then refuse the list when the root that signed it is not
    valid at ``now`` (``KeyNotValidAtTime``) or ``now`` is past ``expires_at + grace``
    (``TrustListExpired``). A list issued after ``now`` is accepted (clocks drift).
    The positional root still works and warns."""
    require_keyword(_root, root, name="root", owner="verify_trust_list")
    roots = pinned_roots(_roots_arg(_root, root))
    return verify_signed(data, roots, now=now, grace=grace, max_bytes=max_bytes)
