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
from typing import Any, Protocol, TextIO, runtime_checkable

from ..errors import QrsealError, StorageFailed
from ..trust.codec import MAX_TRUST_LIST_BYTES, decode_trust_list, encode_trust_list
from ..trust.entries import TrustListEntry
from ..trust.model import TrustList
from ..trust.persistence import read_regular_file, write_atomic
from ..trust.signed import generate_root_key, load_trust_list, sign_trust_list, verify_trust_list
from ..trust.store import TrustStore
from ..wire.algorithms import PublicKey, spec
from ..wire.keys import (
    Signer,
    kid_for,
    load_public_key_pem,
    private_key_to_pem,
    public_key_to_pem,
)
from .args import ALGS as _ALGS
from .args import UsageError as _UsageError
from .args import add_json_option, add_now_option
from .args import now_of as _now
from .args import parse_duration as _parse_duration
from .args import parse_time as _parse_time
from .args import password_of as _password
from .exits import setup_step
from .files import STDIO, FileKind, add_file_argument, read_input, refuse_existing, write_output
from .keyfiles import public_key_file
from .signing import add_signer_options, open_signer_of

__all__ = ["add_trust_commands", "run_trust", "trust_store_from_files"]


def _kid(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise _UsageError(f"--kid takes hex, got {value!r}") from exc


def _read(path: str, what: str = "file") -> bytes:
    return read_input(path, what=what, max_bytes=MAX_TRUST_LIST_BYTES)


def _load_draft(path: str) -> TrustList:
    if path == STDIO:
        raise _UsageError("--draft is read and rewritten: give a file name, not '-'")
    data = _read(path, "--draft")
    with setup_step(f"--draft {path} is not a trust list draft (made by trust init)"):
        return decode_trust_list(data)


def _save_draft(path: str, tl: TrustList) -> None:
    if path == STDIO:
        raise _UsageError("--draft is read and rewritten: give a file name, not '-'")
    write_atomic(path, encode_trust_list(tl))


def _root_record(draft: str) -> Path:
    """Where ``trust init`` records the root public key of a draft, so that ``trust sign``
    can refuse a key that is not the list's root."""
    return Path(f"{draft}.root.pub.pem")


@runtime_checkable
class _KnowsPublicKey(Protocol):
    """A signer that can tell its public key (local keys and PKCS#11 tokens can)."""

    @property
    def public_key(self) -> PublicKey: ...


def _public_of(signer: Signer) -> PublicKey:
    if isinstance(signer, _KnowsPublicKey):
        return signer.public_key
    raise _UsageError("this signer cannot tell its public key, so the root cannot be checked")


def _check_root(args: argparse.Namespace, key: PublicKey) -> None:
    """Refuse to sign with a key no verifier of this list pins: one other than ``--root``,
    the root ``trust init`` recorded for the draft, or the key that signed the list now at
    ``--out``. Checked before the draft's sequence moves."""
    mine = public_key_to_pem(key)
    pinned: list[tuple[str, bytes]] = []
    if args.root:
        pinned.append(
            (f"--root {args.root}", public_key_to_pem(public_key_file(args.root, option="--root")))
        )
    record = _root_record(args.draft)
    if record.is_file():
        pinned.append((f"the root recorded by trust init ({record})", _read(str(record))))
    for source, pem in pinned:
        with setup_step(source):
            root = public_key_to_pem(load_public_key_pem(pem))
        if root != mine:
            raise _UsageError(
                f"{_key_option(args)} is not this list's root key ({source}): verifiers pinned to "
                "the root would refuse the list; nothing signed, the sequence is unchanged"
            )
    previous = Path(args.out)
    if previous.is_file() and not pinned:
        try:
            load_trust_list(_read(args.out, "--out"), root=key)
        except QrsealError as exc:
            raise _UsageError(
                f"{_key_option(args)} did not sign the list now at --out {args.out} "
                f"({exc.reason.value}): it is not this list's root key; nothing signed, the "
                "sequence is unchanged (give --root ROOT.pub.pem to sign with a new root)",
                reason=exc.reason,
            ) from exc


def _key_option(args: argparse.Namespace) -> str:
    return f"--key {args.key}" if getattr(args, "key", None) else "the --pkcs11 key"


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
        if os.fspath(path) == STDIO:
            return read_input(path, what="trust list", max_bytes=MAX_TRUST_LIST_BYTES)
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
    password = _password(args)
    now = _now(args)
    draft = TrustList(args.list_id, 0, now, now, now)
    # Never overwrite a root key, its public key or a draft: checked before anything is written.
    refuse_existing(private_path, what="root private key", force=False)
    refuse_existing(public_path, what="root public key", force=False)
    refuse_existing(args.draft, what="draft", force=False)
    if args.draft == STDIO:
        raise _UsageError("--draft is read and rewritten later: give a file name, not '-'")
    write_output(
        private_path,
        private_key_to_pem(key, password),
        what="root private key",
        private=True,
        overwrite=False,
    )
    write_output(public_path, public_key_to_pem(key), what="root public key")
    write_output(_root_record(args.draft), public_key_to_pem(key), what="root record")
    _save_draft(args.draft, draft)
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
        cert_data, iaca_data = _read(args.cert, "--cert"), _read(args.iaca, "--iaca")
        with setup_step(f"--cert {args.cert}"):
            certificate = load_certificates(cert_data)[0]
        with setup_step(f"--iaca {args.iaca}"):
            authorities = IssuingAuthorities.from_pem(iaca_data)
        # The chain check is the verdict on the certificate (exit 1 when refused).
        entry = entry_from_certificate(
            certificate,
            authorities,
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
            public_key=public_key_file(args.pub, option="--pub"),
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
    with open_signer_of(args) as signer:
        _check_root(args, _public_of(signer))
        tl = draft.next_version(
            now=_now(args), next_update_in=args.next_update, valid_for=args.valid_for
        )
        signed = sign_trust_list(tl, signer=signer)
    if args.out == STDIO:
        write_output(args.out, signed, what="signed trust list")
    else:
        write_atomic(args.out, signed)
    _save_draft(args.draft, tl)
    report = sys.stderr if args.out == STDIO else out  # standard output holds the list
    print(f"signed {tl.list_id} #{tl.sequence} ({len(tl.entries)} keys) -> {args.out}", file=report)
    return 0


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    root = public_key_file(args.root, option="--root")
    tl = load_trust_list(_read(args.file, "trust list"), root=root)
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
                "algorithm": spec(e.algorithm).name,
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
    add_file_argument(
        p, "--key", kind=FileKind.OUTPUT, what="root private key PEM to create", required=True
    )
    add_file_argument(
        p,
        "--pub",
        kind=FileKind.OUTPUT,
        what="root public key PEM",
        help="root public key PEM (default: KEY with .pub.pem)",
    )
    add_file_argument(
        p, "--draft", kind=FileKind.OUTPUT, what="draft file to create", required=True
    )
    p.add_argument("--list-id", required=True, help="list id, e.g. cn-national")
    p.add_argument("--alg", choices=sorted(_ALGS), default="ES256")
    p.add_argument("--password-env", help="encrypt the root key with this env variable")
    add_now_option(p)
    p.set_defaults(trust_handler=_cmd_init)

    p = sub.add_parser("add", help="add an issuer key to the draft")
    add_file_argument(p, "--draft", kind=FileKind.INPUT, what="draft file", required=True)
    add_file_argument(p, "--pub", kind=FileKind.INPUT, what="issuer public key PEM")
    add_file_argument(
        p,
        "--cert",
        kind=FileKind.INPUT,
        what="document-signer certificate",
        help="or: document-signer certificate (validated against --iaca)",
    )
    add_file_argument(
        p, "--iaca", kind=FileKind.INPUT, what="issuing-authority root certificate(s) PEM"
    )
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
        add_file_argument(p, "--draft", kind=FileKind.INPUT, what="draft file", required=True)
        p.add_argument("--kid", required=True, help="hex kid of the key")
        p.add_argument("--at", type=_parse_time, help="effective time (default: now)")
        if name == "revoke":
            p.add_argument(
                "--compromised", action="store_true", help="refuse everything it ever signed"
            )
        add_now_option(p)
        p.set_defaults(trust_handler=handler)

    p = sub.add_parser("sign", help="sign the draft as the next version (sequence + 1)")
    add_file_argument(p, "--draft", kind=FileKind.INPUT, what="draft file", required=True)
    add_signer_options(p, key_help="root private key PEM", key_noun="root key")
    add_file_argument(
        p, "--out", kind=FileKind.OUTPUT, what="signed trust list to write", required=True
    )
    add_file_argument(
        p,
        "--root",
        kind=FileKind.INPUT,
        what="root public key PEM",
        help="the root public key verifiers pin: --key must be its private key",
    )
    p.add_argument("--next-update", type=_parse_duration, default=timedelta(days=1))
    p.add_argument("--valid-for", type=_parse_duration, default=timedelta(days=7))
    add_now_option(p)
    p.set_defaults(trust_handler=_cmd_sign)

    p = sub.add_parser("show", help="verify a signed trust list and print it")
    add_file_argument(p, "file", kind=FileKind.INPUT, what="signed trust list", subject=True)
    add_file_argument(
        p, "--root", kind=FileKind.INPUT, what="pinned root public key PEM", required=True
    )
    add_json_option(p)
    add_now_option(p)
    p.set_defaults(trust_handler=_cmd_show)


def run_trust(args: argparse.Namespace, out: TextIO) -> int:
    """Run a parsed ``trust`` command; errors propagate to ``cli.main``, which maps them to
    exit codes (:mod:`qrseal.cli.exits`)."""
    code: int = args.trust_handler(args, out)
    return code
