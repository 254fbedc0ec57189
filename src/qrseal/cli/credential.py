"""``qrseal issue``, ``present`` and ``inspect``: make, show and look inside a credential.

QR images are drawn by :mod:`qrseal.qr.render`, whose image libraries load only when
``--png``, ``--svg`` or ``--watch`` asks for a drawing.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from ..errors import QrsealError
from ..holder import Holder
from ..issuer import Issuer
from ..licence.model import Licence
from ..licence.profile import DEFAULT_REFRESH
from ..qr.render import Ecc, render_png, render_svg, render_terminal
from ..status.lists import StatusClaimKey
from ..status.reference import StatusReference, decode_status_claim
from ..verifier import inspect_unverified
from ..wire.cwt import Claim
from ..wire.keys import load_private_key_pem, load_public_key_pem
from .args import UsageError, credential_text, now_of, password_of, read_bytes
from .portrait import apply_portrait

__all__ = ["run_inspect", "run_issue", "run_present"]

_STATUS_CLAIM = int(StatusClaimKey.STATUS)


def run_issue(args: argparse.Namespace, out: TextIO) -> int:
    """Sign a licence JSON file; print the credential text (and draw it on request)."""
    key = load_private_key_pem(read_bytes(args.key), password_of(args))
    holder_key = load_public_key_pem(read_bytes(args.holder_key)) if args.holder_key else None
    try:
        data = json.loads(read_bytes(args.licence).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{args.licence} is not JSON: {exc}") from exc
    licence = Licence.from_json(data)
    if (args.status_uri is None) != (args.status_idx is None):
        raise UsageError("--status-uri and --status-idx go together")
    status = None if args.status_uri is None else StatusReference(args.status_uri, args.status_idx)
    now = now_of(args)
    licence, fields = apply_portrait(licence, args, now)
    issuer = Issuer(signer=key, issuer=args.issuer, fields=fields)
    text = issuer.issue(
        licence, now=now, valid_for=args.valid_for, holder_key=holder_key, status=status
    )
    ecc = Ecc(args.ecc)
    if args.png:
        Path(args.png).write_bytes(render_png(text, ecc=ecc, scale=args.scale))
    if args.svg:
        Path(args.svg).write_text(render_svg(text, ecc=ecc, scale=args.scale), encoding="utf-8")
    print(text, file=out)
    return 0


def run_present(args: argparse.Namespace, out: TextIO) -> int:
    """Print (or, with ``--watch``, draw and keep refreshing) a live code."""
    device_key = load_private_key_pem(read_bytes(args.device_key), password_of(args))
    if args.watch and args.now is not None and args.count is None:
        raise UsageError("with --now the clock is simulated: give --count to end --watch")
    holder = Holder(credential_text(args), device_signer=device_key)
    interval = timedelta(seconds=args.watch) if args.watch else DEFAULT_REFRESH
    frames: int | None = args.count if args.count is not None else (None if args.watch else 1)
    # With --now the clock is simulated: frames are `interval` apart without waiting.
    start: datetime | None = args.now
    frame = 0
    try:
        while frames is None or frame < frames:
            now = start + frame * interval if start is not None else datetime.now(UTC)
            code = holder.present(now=now, nonce=args.nonce, audience=args.audience)
            if args.png:
                Path(args.png).write_bytes(render_png(code, ecc=Ecc.M, scale=args.scale))
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
        report["proof_algorithm"] = info.proof_algorithm.name
    if info.presented_at is not None:
        report["presented_at"] = info.presented_at.isoformat()
    if info.nonce is not None:
        report["nonce"] = info.nonce.hex()
    if info.audience is not None:
        report["audience"] = info.audience
    if info.licence is not None:
        report["licence"] = info.licence.to_json()
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
