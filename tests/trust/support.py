"""Shared keys, times and builders of the trust tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from qrseal.issuer import Issuer
from qrseal.testing import FIXED_NOW, make_private_key, sample_licence
from qrseal.trust import lists as trustlist
from qrseal.trust.lists import (
    TrustList,
    TrustListEntry,
    new_trust_list,
)
from qrseal.wire.cose import Algorithm, HeaderLabel, encode_sign1
from qrseal.wire.keys import (
    LocalSigner,
    PrivateKey,
)
from tests.support import reason_of

NOW = FIXED_NOW
HOUR = timedelta(hours=1)

_reason = reason_of  # the name these modules use

ROOT = make_private_key(Algorithm.ES256, 100)
OLD = make_private_key(Algorithm.ES256, 101)
NEW = make_private_key(Algorithm.ES256, 102)
OTHER = make_private_key(Algorithm.EDDSA, 103)


def _entry(key: PrivateKey, issuer: str = "CN-SC", **kw: object) -> TrustListEntry:
    args: dict[str, object] = {
        "jurisdiction": "CN-SC",
        "not_before": NOW - timedelta(days=30),
        "not_after": NOW + timedelta(days=365),
    }
    args.update(kw)
    return TrustListEntry(key.public_key(), issuer, **args)  # type: ignore[arg-type]


def _list(*entries: TrustListEntry, sequence: int = 1) -> TrustList:
    tl = new_trust_list("cn-national", now=NOW - HOUR, entries=entries)
    return TrustList(tl.list_id, sequence, tl.issued_at, tl.next_update, tl.expires_at, tl.entries)


def _sign_payload(payload: bytes, typ: str = trustlist.TRUST_LIST_TYPE) -> bytes:
    signer = LocalSigner(ROOT)
    return encode_sign1(
        payload,
        alg=signer.algorithm,
        sign=signer.sign,
        kid=signer.kid,
        protected_extra={int(HeaderLabel.TYP): typ},
    )


def _credential(key: PrivateKey, at: datetime, index: int = 0, issuer: str = "CN-SC") -> str:
    return Issuer(signer=key, issuer=issuer).issue(sample_licence(index), now=at)
