"""``qrseal issue``, ``present`` and ``inspect``: make, show and look inside a credential.

QR images are drawn by :mod:`qrseal.qr.render`, whose image libraries load only when
``--png``, ``--svg`` or ``--watch`` asks for a drawing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from ..errors import QrsealError
from ..holder import Holder
from ..issuer import Issuer
from ..licence.fields import JsonView
from ..licence.model import Licence
from ..licence.profile import DEFAULT_REFRESH, DP_FORMAT
from ..licence.views import DEFAULT_AGE_THRESHOLDS
from ..licence.writers import write_json_fields
from ..qr.render import Ecc, render_png, render_svg, render_terminal
from ..status.lists import StatusClaimKey
from ..status.reference import StatusReference, decode_status_claim
from ..verifier import inspect_unverified
from ..wire.algorithms import PublicKey, spec
from ..wire.cwt import Claim
from .args import UsageError, now_of
from .files import credential_text, read_text, write_output
from .keyfiles import private_key_file, public_key_file
from .portrait import apply_portrait
from .signing import open_signer_of

__all__ = ["run_inspect", "run_issue", "run_present"]

log = logging.getLogger("qrseal.cli")

_STATUS_CLAIM = int(StatusClaimKey.STATUS)
_LIVE_PREFIX = DP_FORMAT.header  # "DP1:"


def run_issue(args: argparse.Namespace, out: TextIO) -> int:
    """Sign a licence JSON file; print the credential text (and draw it on request)."""
    if (args.status_uri is None) != (args.status_idx is None):
        raise UsageError("--status-uri and --status-idx go together")
    holder_key = (
        public_key_file(args.holder_key, option="--holder-key") if args.holder_key else None
    )
    record = read_text(args.licence, what="licence JSON file")
    try:
        json.loads(record)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{args.licence} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    # The text, not the parsed object: the loader refuses a key given twice.
    licence = Licence.from_json(record, view=JsonView(args.view))
    status = None if args.status_uri is None else StatusReference(args.status_uri, args.status_idx)
    now = now_of(args)
    licence, fields = apply_portrait(licence, args, now)
    with open_signer_of(args) as signer:
        issuer = Issuer(signer=signer, issuer=args.issuer, strict=args.strict, fields=fields)
        if args.views is not None or args.age_thresholds is not None:
            return _issue_views(args, out, issuer, licence, holder_key, status)
        credential = issuer.sign(
            licence, now=now, valid_for=args.valid_for, holder_key=holder_key, status=status
        )
    for warning in credential.warnings:
        print(
            f"qrseal: warning: {warning.field}: {warning.message} ({warning.code})", file=sys.stderr
        )
    text = credential.text
    log.info(
        "signed %s: %d characters, valid until %s", args.issuer, len(text), now + args.valid_for
    )
    ecc = Ecc(args.ecc)
    if args.png:
        write_output(args.png, render_png(text, ecc=ecc, scale=args.scale), what="PNG file")
    if args.svg:
        svg = render_svg(text, ecc=ecc, scale=args.scale)
        write_output(args.svg, svg, what="SVG file", out=out)
    if args.json:
        report = {
            "credential": text,
            "characters": len(text),
            "issuer": args.issuer,
            "issued_at": now.isoformat(),
            "expires_at": (now + args.valid_for).isoformat(),
            "holder_bound": holder_key is not None,
            "status_reference": (
                None if status is None else {"uri": status.uri, "idx": status.idx}
            ),
        }
        json.dump(report, out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        print(text, file=out)
    return 0


def _issue_views(
    args: argparse.Namespace,
    out: TextIO,
    issuer: Issuer,
    licence: Licence,
    holder_key: PublicKey | None,
    status: StatusReference | None,
) -> int:
    """``issue --views``: one credential per view, printed as a JSON wallet {view: text}."""
    if holder_key is None:
        raise UsageError("--views issues live-only view credentials: give --holder-key")
    if args.png or args.svg:
        raise UsageError("--views prints a JSON wallet; draw each view with `present --view`")
    wallet = issuer.sign_views(
        licence,
        now=now_of(args),
        holder_key=holder_key,
        views=args.views or ("full", "rental", "age"),
        valid_for=args.valid_for,
        status=status,
        age_thresholds=args.age_thresholds or DEFAULT_AGE_THRESHOLDS,
    )
    json.dump({name: c.text for name, c in wallet.items()}, out, indent=2)
    print(file=out)
    return 0


def _wallet_of(text: str) -> str | dict[str, str]:
    """A credential text, or the {view: text} wallet ``issue --views`` printed."""
    if not text.startswith("{"):
        return text
    try:
        wallet = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"not a credential text nor a JSON wallet: {exc}") from exc
    if not isinstance(wallet, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in wallet.items()
    ):
        raise UsageError("a JSON wallet maps view names to credential texts")
    return wallet


def run_present(args: argparse.Namespace, out: TextIO) -> int:
    """Print (or, with ``--watch``, draw and keep refreshing) a live code."""
    if args.watch and args.now is not None and args.count is None:
        raise UsageError("with --now the clock is simulated: give --count to end --watch")
    device_key = private_key_file(args.device_key, args, option="--device-key")
    text = credential_text(args)
    if text.upper().startswith(_LIVE_PREFIX):
        raise UsageError(
            "this is a live code (DP1:...), the fresh code a holder's device shows a verifier; "
            "present needs the device-bound credential (DL1:...) the issuer gave, to make "
            "live codes from (check a live code with: qrseal verify)"
        )
    holder = Holder(
        _wallet_of(text), device_signer=device_key
    )  # refusals of the credential: exit 1
    interval = timedelta(seconds=args.watch) if args.watch else DEFAULT_REFRESH
    frames: int | None = args.count if args.count is not None else (None if args.watch else 1)
    # With --now the clock is simulated: frames are `interval` apart without waiting.
    start: datetime | None = args.now
    frame = 0
    try:
        while frames is None or frame < frames:
            now = start + frame * interval if start is not None else datetime.now(UTC)
            code = holder.present(now=now, nonce=args.nonce, audience=args.audience, view=args.view)
            if args.png:
                write_output(
                    args.png, render_png(code, ecc=Ecc.M, scale=args.scale), what="PNG file"
                )
            if args.watch:
                if out.isatty():
                    out.write("\x1b[H\x1b[2J")  # home + clear: redraw in place
                out.write(render_terminal(code, invert=not args.light_terminal))
                print(
                    f"live code signed {now:%Y-%m-%d %H:%M:%SZ} by this device; a new one every "
                    f"{int(interval.total_seconds())} s (frame {frame + 1}; Ctrl-C stops)",
                    file=out,
                )
            else:
                print(code, file=out)
            out.flush()
            frame += 1
            if start is None and (frames is None or frame < frames):
                time.sleep(interval.total_seconds())
    except KeyboardInterrupt:
        print("stopped", file=out)
    return 0


def run_inspect(args: argparse.Namespace, out: TextIO) -> int:
    """Decode a credential WITHOUT verifying it, as JSON marked unverified."""
    info = inspect_unverified(credential_text(args))
    report: dict[str, Any] = {
        "WARNING": "NOT VERIFIED: nothing below is trustworthy",
        "format": f"{info.prefix}{info.version}",
        "cose_bytes": info.cose_bytes,
        "protected": {str(k): _jsonable(v) for k, v in info.protected.items()},
        "unprotected": {str(k): _jsonable(v) for k, v in info.unprotected.items()},
    }
    if info.claims is not None:
        report["iss"] = info.claims.issuer
        report["iat"] = info.claims.issued_at.isoformat()
        report["exp"] = info.claims.expires_at.isoformat()
    if info.claims is not None:
        report["holder_bound"] = Claim.CNF in info.claims.extra
        if _STATUS_CLAIM in info.claims.extra:
            try:
                ref = decode_status_claim(info.claims.extra[_STATUS_CLAIM])
                report["status_reference"] = {"uri": ref.uri, "idx": ref.idx}
            except QrsealError as exc:
                report["status_reference"] = exc.reason.value
    if info.proof_algorithm is not None:
        report["proof_algorithm"] = spec(info.proof_algorithm).name
    if info.presented_at is not None:
        report["presented_at"] = info.presented_at.isoformat()
    if info.nonce is not None:
        report["nonce"] = info.nonce.hex()
    if info.audience is not None:
        report["audience"] = info.audience
    if info.licence is not None:
        report["licence"] = info.licence.to_json()
    elif info.elements is not None:  # a partial disclosure view
        report["elements"] = write_json_fields(info.elements)
    if info.problem is not None:
        report["problem"] = info.problem.reason.value
    json.dump(report, out, ensure_ascii=False, indent=2)
    print(file=out)
    return 0


def _jsonable(value: object) -> object:
    return (
        value.hex()
        if isinstance(value, bytes)
        else value
        if isinstance(value, int | str)
        else repr(value)
    )
