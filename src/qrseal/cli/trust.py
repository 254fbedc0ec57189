"""``qrseal trust ...``: build, sign and inspect trust lists (docs/format.md §14).

Wired into the main command by ``cli.make_parser`` calling :func:`add_trust_commands` and
dispatching the ``trust`` command to :func:`run_trust`; :func:`main` runs the trust
commands on their own (for tests). The issuer side keeps an unsigned *draft* (the CBOR
payload of the next version) that ``add``/``retire``/``revoke`` edit and ``sign`` publishes.

Exit codes as in :mod:`qrseal.cli.main`: 0 success, 1 refused with a reason code, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from ..errors import StorageFailed
from ..trust.codec import MAX_TRUST_LIST_BYTES, decode_trust_list, encode_trust_list
from ..trust.entries import TrustListEntry
from ..trust.model import TrustList
from ..trust.persistence import read_regular_file, write_atomic
from ..trust.signed import generate_root_key, load_trust_list, sign_trust_list, verify_trust_list
from ..trust.store import TrustStore
from ..wire.keys import (
    kid_for,
    load_public_key_pem,
    private_key_to_pem,
    public_key_to_pem,
)
from .args import ALGS as _ALGS
from .args import UsageError as _UsageError
from .args import add_now_option
from .args import now_of as _now
from .args import parse_duration as _parse_duration
from .args import parse_time as _parse_time
from .args import password_of as _password
from .args import read_bytes as _read
from .signing import add_signer_options, open_signer_of

__all__ = ["add_trust_commands", "run_trust", "trust_store_from_files"]


def _kid(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise _UsageError(f"--kid takes hex, got {value!r}") from exc


def _load_draft(path: str) -> TrustList:
    return decode_trust_list(_read(path))


def _save_draft(path: str, tl: TrustList) -> None:
    write_atomic(path, encode_trust_list(tl))


def trust_store_from_files(
    list_path: str | os.PathLike[str],
    root_pub_path: str | os.PathLike[str],
    *,
    now: datetime,
    grace: timedelta = timedelta(0),
) -> TrustStore:
    """The :class:`TrustStore` of a signed trust list file, verified against the root public
    key PEM at ``root_pub_path`` and refused past its expiry + ``grace`` (for
    ``qrseal verify --trust-list FILE --root ROOT.pub``); the store carries that validity.
    Both files must be regular files (not symlinks, FIFOs or devices) within the trust-list
    size cap. Raises ``QrsealError`` (``storage_failed`` when a file cannot be read,
    ``too_large``)."""

    def read(path: str | os.PathLike[str]) -> bytes:
        data = read_regular_file(path, max_bytes=MAX_TRUST_LIST_BYTES)
        if data is None:
            raise StorageFailed(f"cannot read {path}: no such file", path=str(path))
        return data

    root = load_public_key_pem(read(root_pub_path))
    verified = verify_trust_list(read(list_path), root=root, now=now, grace=grace)
    return verified.to_trust_store()


# --- commands ---------------------------------------------------------------------------


def _cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    key = generate_root_key(_ALGS[args.alg])
    private_path = Path(args.key)
    public_path = Path(args.pub) if args.pub else private_path.with_suffix(".pub.pem")
    try:  # never overwrite a root key
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _UsageError(f"cannot create {private_path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_key_to_pem(key, _password(args)))
    public_path.write_bytes(public_key_to_pem(key))
    now = _now(args)
    _save_draft(args.draft, TrustList(args.list_id, 0, now, now, now))
    print(f"root private key: {private_path} (keep offline)", file=out)
    print(f"root public key:  {public_path} (pin it in verifier apps)", file=out)
    print(f"root kid:         {kid_for(key).hex()}", file=out)
    print(f"draft:            {args.draft} (list {args.list_id!r}, empty)", file=out)
    return 0


def _cmd_add(args: argparse.Namespace, out: TextIO) -> int:
    tl = _load_draft(args.draft)
    if args.cert:
        # Loaded on use: cryptography.x509 costs ~100 ms of start-up every other command skips.
        from ..trust.x509 import IssuingAuthorities, entry_from_certificate, load_certificates

        if not args.iaca:
            raise _UsageError("--cert needs --iaca ROOT.pem")
        entry = entry_from_certificate(
            load_certificates(_read(args.cert))[0],
            IssuingAuthorities.from_pem(_read(args.iaca)),
            now=_now(args),
            issuer=args.issuer,
            jurisdiction=args.jurisdiction,
            credential_types=args.type,
            classes=args.cls,
        )
    else:
        if not (args.pub and args.not_before and args.not_after):
            raise _UsageError("give --pub, --not-before and --not-after (or --cert and --iaca)")
        entry = TrustListEntry(
            public_key=load_public_key_pem(_read(args.pub)),
            issuer=args.issuer,
            jurisdiction=args.jurisdiction,
            not_before=args.not_before,
            not_after=args.not_after,
            kid=_kid(args.kid) if args.kid else b"",
            credential_types=frozenset(args.type),
            classes=frozenset(args.cls),
        )
    _save_draft(args.draft, tl.with_entries(entry))
    print(f"added {entry.kid.hex()} ({entry.issuer}, {entry.jurisdiction})", file=out)
    return 0


def _cmd_retire(args: argparse.Namespace, out: TextIO) -> int:
    tl = _load_draft(args.draft)
    at = args.at or _now(args)
    _save_draft(args.draft, tl.retire(_kid(args.kid), at=at))
    print(f"retired {args.kid} at {at.isoformat()}", file=out)
    return 0


def _cmd_revoke(args: argparse.Namespace, out: TextIO) -> int:
    tl = _load_draft(args.draft)
    at = args.at or _now(args)
    _save_draft(args.draft, tl.revoke(_kid(args.kid), at=at, compromised=args.compromised))
    flag = " (compromised)" if args.compromised else ""
    print(f"revoked {args.kid} at {at.isoformat()}{flag}", file=out)
    return 0


def _cmd_sign(args: argparse.Namespace, out: TextIO) -> int:
    draft = _load_draft(args.draft)
    tl = draft.next_version(
        now=_now(args), next_update_in=args.next_update, valid_for=args.valid_for
    )
    with open_signer_of(args) as signer:
        token = sign_trust_list(tl, signer=signer)
    write_atomic(args.out, token)
    _save_draft(args.draft, tl)
    print(f"signed {tl.list_id} #{tl.sequence} ({len(tl.entries)} keys) -> {args.out}", file=out)
    return 0


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    tl = load_trust_list(_read(args.file), root=load_public_key_pem(_read(args.root)))
    report: dict[str, Any] = {
        "list_id": tl.list_id,
        "sequence": tl.sequence,
        "issued_at": _time(tl.issued_at),
        "next_update": _time(tl.next_update),
        "expires_at": _time(tl.expires_at),
        "freshness": tl.freshness(_now(args)).value,
        "entries": [
            {
                "kid": e.kid.hex(),
                "issuer": e.issuer,
                "jurisdiction": e.jurisdiction,
                "algorithm": e.algorithm.name,
                "credential_types": sorted(e.credential_types),
                "classes": sorted(e.classes),
                "not_before": _time(e.not_before),
                "not_after": _time(e.not_after),
                "state": e.state.name.lower(),
                "retired_at": _time(e.retired_at),
                "revoked_at": _time(e.revoked_at),
                "compromised": e.compromised,
            }
            for e in tl.entries
        ],
    }
    if args.json:
        json.dump(report, out, ensure_ascii=False, indent=2)
        print(file=out)
        return 0
    print(
        f"trust list {tl.list_id} #{tl.sequence}  signature verified  {report['freshness']}"
        f"  (next update {report['next_update']}, expires {report['expires_at']})",
        file=out,
    )
    for e in report["entries"]:
        scope = ",".join(e["classes"]) or "any class"
        state = e["state"] + (" COMPROMISED" if e["compromised"] else "")
        print(
            f"  {e['kid']}  {e['issuer']:<10} {e['jurisdiction']:<6} {e['algorithm']:<6}"
            f" {e['not_before']}..{e['not_after']}  {scope}  {state}",
            file=out,
        )
    return 0


# --- parser -----------------------------------------------------------------------------


def add_trust_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``trust init|add|retire|revoke|sign|show`` to a ``qrseal`` sub-command set.
    Dispatch the ``trust`` command to :func:`run_trust`."""
    trust = subparsers.add_parser("trust", help="build, sign and inspect signed trust lists")
    sub = trust.add_subparsers(dest="trust_command", required=True)

    p = sub.add_parser("init", help="generate a root key and an empty draft list")
    p.add_argument("--key", required=True, help="root private key PEM to create")
    p.add_argument("--pub", help="root public key PEM (default: KEY with .pub.pem)")
    p.add_argument("--draft", required=True, help="draft file to create")
    p.add_argument("--list-id", required=True, help="list id, e.g. cn-national")
    p.add_argument("--alg", choices=sorted(_ALGS), default="ES256")
    p.add_argument("--password-env", help="encrypt the root key with this env variable")
    add_now_option(p)
    p.set_defaults(trust_handler=_cmd_init)

    p = sub.add_parser("add", help="add an issuer key to the draft")
    p.add_argument("--draft", required=True)
    p.add_argument("--pub", help="issuer public key PEM")
    p.add_argument("--cert", help="or: document-signer certificate (validated against --iaca)")
    p.add_argument("--iaca", help="issuing-authority root certificate(s) PEM")
    p.add_argument("--issuer", required=True, help="the iss name credentials carry")
    p.add_argument("--jurisdiction", required=True, help="e.g. CN-SC, or CN for national")
    p.add_argument("--type", action="append", default=[], help="credential type (repeat)")
    p.add_argument("--class", dest="cls", action="append", default=[], help="licence class")
    p.add_argument("--not-before", type=_parse_time)
    p.add_argument("--not-after", type=_parse_time)
    p.add_argument("--kid", help="hex kid (default: SHA-256 of the key, 8 bytes)")
    add_now_option(p)
    p.set_defaults(trust_handler=_cmd_add)

    for name, handler, text in (
        ("retire", _cmd_retire, "retire a key (it keeps verifying what it signed before)"),
        ("revoke", _cmd_revoke, "revoke a key"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--draft", required=True)
        p.add_argument("--kid", required=True, help="hex kid of the key")
        p.add_argument("--at", type=_parse_time, help="effective time (default: now)")
        if name == "revoke":
            p.add_argument(
                "--compromised", action="store_true", help="refuse everything it ever signed"
            )
        add_now_option(p)
        p.set_defaults(trust_handler=handler)

    p = sub.add_parser("sign", help="sign the draft as the next version (sequence + 1)")
    p.add_argument("--draft", required=True)
    add_signer_options(
        p,
        key_help="root private key PEM",
        key_noun="root key",
    )
    p.add_argument("--out", required=True, help="signed trust list to write")
    p.add_argument("--next-update", type=_parse_duration, default=timedelta(days=1))
    p.add_argument("--valid-for", type=_parse_duration, default=timedelta(days=7))
    add_now_option(p)
    p.set_defaults(trust_handler=_cmd_sign)

    p = sub.add_parser("show", help="verify a signed trust list and print it")
    p.add_argument("file")
    p.add_argument("--root", required=True, help="pinned root public key PEM")
    p.add_argument("--json", action="store_true")
    add_now_option(p)
    p.set_defaults(trust_handler=_cmd_show)


def run_trust(args: argparse.Namespace, out: TextIO) -> int:
    """Run a parsed ``trust`` command. Usage errors print and return 2; ``QrsealError``
    propagates (``cli.main`` maps it to exit code 1)."""
    try:
        code: int = args.trust_handler(args, out)
    except _UsageError as exc:
        print(f"qrseal: error: {exc}", file=sys.stderr)
        return 2
    return code
