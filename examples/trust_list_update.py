"""A verifier app that refreshes its trust list when "online" and keeps working offline.

    .venv/bin/python examples/trust_list_update.py [WORKDIR]

A folder stands for the trust-list server: the national root publishes ``list.tl`` there.
The app pins the root public key, keeps its current list in its own folder (written
atomically, reloaded at start), refuses rollbacks, and verifies credentials offline with
the trust store the list produces: the verifier enforces each key's entry (revocation,
retirement, jurisdiction, credential types, classes).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qrseal.errors import QrsealError
from qrseal.issuer import Issuer
from qrseal.testing import sample_licence
from qrseal.trust.lists import (
    DRIVING_LICENCE,
    TrustListEntry,
    TrustListStore,
    generate_issuer_key,
    generate_root_key,
    new_trust_list,
    sign_trust_list,
)
from qrseal.verifier import Verifier
from qrseal.wire.cose import Algorithm
from qrseal.wire.keys import PrivateKey, PublicKey, kid_for

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the example's clock; a real app reads its own


def verify_offline(store: TrustListStore, text: str, *, now: datetime) -> str:
    """Verify one credential with the held list; return a one-line verdict."""
    try:
        # The held list's keys carry their entries: the verifier checks revocation,
        # retirement, jurisdiction, credential type and licence classes itself.
        trust = store.trust_store(now=now, grace=timedelta(days=2))
        verified = Verifier(trust).verify(text, now=now)
    except QrsealError as exc:
        return f"REJECTED  {exc.reason.value}"
    return f"VALID     {verified.licence.document_number} signed by {verified.issuer}"


def sync(store: TrustListStore, server: Path, *, now: datetime) -> str:
    """When online: fetch the published list and take it if it is newer."""
    try:
        token = (server / "list.tl").read_bytes()
    except OSError:
        return "offline: keeping the held list"
    try:
        tl = store.update(token, now=now)
    except QrsealError as exc:
        return f"update refused: {exc.reason.value}"
    return f"now holding list #{tl.sequence} ({len(tl.entries)} keys)"


def main(workdir: Path) -> int:
    server, app = workdir / "server", workdir / "app"
    server.mkdir(parents=True, exist_ok=True)
    app.mkdir(parents=True, exist_ok=True)

    # --- the national root and a provincial issuer ---------------------------------------
    root = generate_root_key(Algorithm.ES256)
    pinned: PublicKey = root.public_key()
    old_key, new_key = generate_issuer_key(), generate_issuer_key()

    def entry(key: PrivateKey, start: datetime) -> TrustListEntry:
        return TrustListEntry(
            key.public_key(),
            "CN-SC",
            "CN-SC",
            start,
            start + timedelta(days=730),
            credential_types=frozenset({DRIVING_LICENCE}),
        )

    v1 = new_trust_list("cn-national", now=T0, entries=[entry(old_key, T0)])
    (server / "list.tl").write_bytes(sign_trust_list(v1, signer=root))
    credential_old = Issuer(signer=old_key, issuer="CN-SC").issue(sample_licence(0), now=T0)

    # --- the app: first start, online ----------------------------------------------------
    store = TrustListStore(app / "trust.tl", root=pinned)
    print("start:", "no list yet" if store.load() is None else "list loaded")
    print("sync: ", sync(store, server, now=T0))
    print("check:", verify_offline(store, credential_old, now=T0 + timedelta(hours=1)))

    # --- the issuer rotates its key and publishes list #2 ---------------------------------
    t1 = T0 + timedelta(hours=2)
    v2 = v1.rotate(kid_for(old_key), entry(new_key, t1), at=t1).next_version(now=t1)
    (server / "list.tl").write_bytes(sign_trust_list(v2, signer=root))
    credential_new = Issuer(signer=new_key, issuer="CN-SC").issue(sample_licence(0), now=t1)

    # --- the app restarts offline, then goes online ---------------------------------------
    store = TrustListStore(app / "trust.tl", root=pinned)
    held = store.load()
    print("restart:", f"list #{held.sequence} from disk" if held else "no list")
    soon = t1 + timedelta(minutes=5)
    print("check:", verify_offline(store, credential_new, now=soon), "(new key, not yet known)")
    print("sync: ", sync(store, server, now=t1 + timedelta(minutes=10)))
    now = t1 + timedelta(hours=1)
    print("check:", verify_offline(store, credential_old, now=now), "(retired key, signed before)")
    print("check:", verify_offline(store, credential_new, now=now), "(new key)")

    # --- an attacker replays list #1 ------------------------------------------------------
    (server / "list.tl").write_bytes(sign_trust_list(v1, signer=root))
    print("sync: ", sync(store, server, now=now))

    # --- the old key is found compromised: list #3 ----------------------------------------
    t3 = now + timedelta(minutes=5)
    v3 = v2.revoke(kid_for(old_key), at=t3, compromised=True).next_version(now=t3)
    (server / "list.tl").write_bytes(sign_trust_list(v3, signer=root))
    print("sync: ", sync(store, server, now=t3))
    print("check:", verify_offline(store, credential_old, now=t3), "(compromised key)")
    print("check:", verify_offline(store, credential_new, now=t3), "(other key unaffected)")

    # --- long offline: past expiry + grace -------------------------------------------------
    late = t3 + timedelta(days=10)
    print("check:", verify_offline(store, credential_new, now=late), "(list too old)")
    return 0


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="qrseal-tl-"))
    raise SystemExit(main(folder))
