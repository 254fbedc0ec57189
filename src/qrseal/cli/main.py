"""The ``qrseal`` command: a thin shell over the public API.

Exit codes: 0 success (``verify``: the credential is valid), 1 rejected or failed with a
reason code printed, 2 usage error. ``main(argv)`` runs in-process for tests.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import qrcode
import qrcode.constants
import qrcode.exceptions

from .. import qr as qr
from ..errors import QrsealError, TooLarge
from ..holder import Holder, generate_device_key
from ..issuer import Issuer
from ..licence.model import Licence
from ..licence.profile import (
    DEFAULT_MAX_PRESENTATION_AGE,
    DEFAULT_MAX_PRESENTATION_SKEW,
    DEFAULT_REFRESH,
    MAX_VALIDITY,
)
from ..status.lists import StatusClaimKey
from ..status.reference import StatusReference, decode_status_claim
from ..status.snapshots import StatusResult, WhenUnavailable
from ..verifier import Policy, TrustedKey, TrustStore, VerifiedLicence, Verifier, inspect_unverified
from ..wire.cose import Algorithm
from ..wire.cwt import Claim
from ..wire.keys import (
    generate_private_key,
    kid_for,
    load_private_key_pem,
    load_public_key_pem,
    private_key_to_pem,
    public_key_to_pem,
)
from ..wire.presentation import MAX_NONCE_BYTES, MIN_NONCE_BYTES, PresentationKind
from . import status as cli_status
from . import trust as cli_trust
from .args import ALGS as _ALGS
from .args import UsageError as _UsageError
from .args import add_now_option
from .args import now_of as _now
from .args import parse_duration as _parse_duration
from .args import password_of as _password
from .args import read_bytes as _read

__all__ = ["main", "make_parser", "terminal_qr"]

_STATUS_POLICIES = {"reject": WhenUnavailable.RAISE, "warn": WhenUnavailable.FLAG}
_STATUS_CLAIM = int(StatusClaimKey.STATUS)
_DEVICE_ALGS = {"ES256": Algorithm.ES256, "EdDSA": Algorithm.EDDSA}
# The renderer's segmenting (qrseal.qr): header alphanumeric, digits in numeric mode.
_SEGMENT_MIN_RUN = 20


def _index(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if number <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return number


def _parse_nonce(value: str) -> bytes:
    try:
        nonce = bytes.fromhex(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not hexadecimal: {value!r}") from exc
    if not MIN_NONCE_BYTES <= len(nonce) <= MAX_NONCE_BYTES:
        raise argparse.ArgumentTypeError(
            f"a nonce is {MIN_NONCE_BYTES}-{MAX_NONCE_BYTES} bytes ({2 * MIN_NONCE_BYTES}-"
            f"{2 * MAX_NONCE_BYTES} hex digits)"
        )
    return nonce


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _trust_store(specs: Sequence[str]) -> TrustStore:
    if not specs:
        raise _UsageError(
            "give at least one --trust ISSUER=PUBLIC_KEY.pem, or --trust-list FILE --root "
            "ROOT.pub.pem (a verifier needs a trust store)"
        )
    keys = []
    for spec in specs:
        issuer, sep, path = spec.partition("=")
        if not sep or not issuer or not path:
            raise _UsageError(f"--trust takes ISSUER=PATH, got {spec!r}")
        keys.append(TrustedKey(load_public_key_pem(_read(path)), issuer))
    return TrustStore(keys)


def _verifier_trust(args: argparse.Namespace, now: datetime) -> TrustStore:
    """The keys of --trust, plus those of a signed trust list (--trust-list, --root)."""
    if bool(args.trust_list) != bool(args.root):
        raise _UsageError("--trust-list and --root go together")
    if not args.trust_list:
        return _trust_store(args.trust)
    listed = cli_trust.trust_store_from_files(
        args.trust_list, args.root, now=now, grace=args.trust_list_grace
    )
    return listed.with_keys(*_trust_store(args.trust)) if args.trust else listed


# --- commands ---------------------------------------------------------------------------


def _cmd_keygen(args: argparse.Namespace, out: TextIO) -> int:
    key = generate_private_key(_ALGS[args.alg])
    private_path = Path(args.out)
    public_path = Path(args.pub) if args.pub else private_path.with_suffix(".pub.pem")
    _write_private(private_path, private_key_to_pem(key, _password(args)))
    public_path.write_bytes(public_key_to_pem(key))
    print(f"private key: {private_path} (keep secret)", file=out)
    print(f"public key:  {public_path}", file=out)
    print(f"kid:         {kid_for(key).hex()}  algorithm: {args.alg}", file=out)
    return 0


def _cmd_device_keygen(args: argparse.Namespace, out: TextIO) -> int:
    key = generate_device_key(_DEVICE_ALGS[args.alg])
    private_path = Path(args.out)
    public_path = Path(args.pub) if args.pub else private_path.with_suffix(".pub.pem")
    _write_private(private_path, private_key_to_pem(key, _password(args)))
    public_path.write_bytes(public_key_to_pem(key))
    print(f"device private key: {private_path} (stays on the device)", file=out)
    print(
        f"device public key:  {public_path} (give it to the issuer: issue --holder-key)", file=out
    )
    print(f"algorithm:          {args.alg}", file=out)
    return 0


def _cmd_issue(args: argparse.Namespace, out: TextIO) -> int:
    key = load_private_key_pem(_read(args.key), _password(args))
    holder_key = load_public_key_pem(_read(args.holder_key)) if args.holder_key else None
    try:
        data = json.loads(_read(args.licence).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _UsageError(f"{args.licence} is not JSON: {exc}") from exc
    licence = Licence.from_json(data)
    if (args.status_uri is None) != (args.status_idx is None):
        raise _UsageError("--status-uri and --status-idx go together")
    status = None if args.status_uri is None else StatusReference(args.status_uri, args.status_idx)
    issuer = Issuer(key, issuer=args.issuer)
    text = issuer.issue(
        licence, now=_now(args), valid_for=args.valid_for, holder_key=holder_key, status=status
    )
    _write_images(text, args)
    print(text, file=out)
    return 0


def _write_images(text: str, args: argparse.Namespace) -> None:
    ecc = qr.Ecc(args.ecc)
    if args.png:
        Path(args.png).write_bytes(qr.render_png(text, ecc=ecc, scale=args.scale))
    if args.svg:
        Path(args.svg).write_text(qr.render_svg(text, ecc=ecc, scale=args.scale), encoding="utf-8")


def _credential_text(args: argparse.Namespace) -> str:
    if args.file:
        return _read(args.file).decode("ascii", errors="replace").strip()
    if args.text:
        return str(args.text).strip()
    raise _UsageError("give a credential TEXT, --file FILE or --image IMAGE")


def terminal_qr(text: str, *, invert: bool = True, border: int = 2) -> str:
    """``text`` as a QR code (ECC M) drawn with Unicode half blocks, two module rows per
    line, by qrcode's ``print_ascii``. ``invert`` (the default) suits a terminal with a
    dark background. A version-16 code needs 81 + 2 x ``border`` columns. Raises
    ``TooLarge`` if the text fits no QR code."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(text, optimize=_SEGMENT_MIN_RUN)
    try:
        code.make(fit=True)
    except (qrcode.exceptions.DataOverflowError, ValueError) as exc:
        raise TooLarge("text does not fit in a QR code", what="qr version", limit=40) from exc
    buffer = io.StringIO()
    code.print_ascii(out=buffer, invert=invert)
    return buffer.getvalue()


def _cmd_present(args: argparse.Namespace, out: TextIO) -> int:
    device_key = load_private_key_pem(_read(args.device_key), _password(args))
    if args.watch and args.now is not None and args.count is None:
        raise _UsageError("with --now the clock is simulated: give --count to end --watch")
    holder = Holder(_credential_text(args), device_key)
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
                Path(args.png).write_bytes(qr.render_png(code, ecc=qr.Ecc.M, scale=args.scale))
            if args.watch:
                if out.isatty():
                    out.write("\x1b[H\x1b[2J")  # home + clear: redraw in place
                out.write(terminal_qr(code, invert=not args.light_terminal))
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


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    policy = Policy(
        clock_skew=timedelta(seconds=args.clock_skew),
        require_live=args.require_live,
        max_presentation_age=args.max_age,
        max_presentation_skew=args.max_future_skew,
        expected_nonce=args.nonce,
        expected_audience=args.audience,
        max_status_age=args.max_status_age,
        status_unavailable=_STATUS_POLICIES[args.status_unavailable],
        require_status=args.require_status,
        max_validity=args.max_validity,
    )
    if args.require_status and not args.status:
        raise _UsageError("--require-status needs --status DIR")
    now = _now(args)
    try:
        # Inside the try: an expired or damaged trust list is a verdict (exit 1), too.
        trust = _verifier_trust(args, now)
        status = (
            cli_status.status_snapshots_from_dir(
                args.status,
                trust,
                now=now,
                max_entries=args.max_status_entries,
                errors=sys.stderr,
            )
            if args.status
            else None
        )
        verifier = Verifier(trust, policy, status=status)
        if args.image:
            verified = verifier.verify_image(args.image, now=now)
        else:
            verified = verifier.verify(_credential_text(args), now=now)
    except QrsealError as exc:
        if args.json:
            json.dump(
                {"valid": False, "reason": exc.reason.value, "message": exc.message},
                out,
                ensure_ascii=False,
            )
            print(file=out)
        else:
            print(f"REJECTED  {exc.reason.value}: {exc.message}", file=out)
        return 1
    if args.json:
        json.dump(verified.to_json(), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        print(summary(verified), file=out)
    return 0


def _cmd_scan(args: argparse.Namespace, out: TextIO) -> int:
    if args.debug is None:
        results = qr.scan(args.image)
    else:
        report = qr.scan_report(args.image, keep_images=True)
        _write_scan_debug(report, Path(args.debug))
        results = report.require_results()
    for result in results:
        print(result.text, file=out)
    return 0


def _write_scan_debug(report: qr.ScanReport, folder: Path) -> None:
    """Each variant tried as ``NN-variant.png`` plus ``report.json`` (attempts, timings,
    decoders skipped), for working out in the field why a code does not scan."""
    files: dict[str, str] = {}
    attempts = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for attempt in report.attempts:
            name = files.get(attempt.variant)
            if name is None and attempt.image is not None:
                name = files[attempt.variant] = f"{len(files):02d}-{attempt.variant.value}.png"
                attempt.image.save(folder / name)
            attempts.append(
                {
                    "variant": attempt.variant.value,
                    "decoder": attempt.decoder.value,
                    "codes_found": attempt.found,
                    "ms": round(attempt.seconds * 1e3, 2),
                    "image": name,
                    "error": attempt.error,
                }
            )
        summary = {
            "results": [
                {
                    "text": r.text,
                    "decoder": r.decoder.value,
                    "variant": r.variant.value,
                    "position": r.position,
                    "structured_append": r.structured_append,
                }
                for r in report.results
            ],
            "attempts": attempts,
            "skipped_decoders": [
                {"decoder": d.value, "why": why} for d, why in report.skipped_decoders
            ],
            "budget_exhausted": report.budget_exhausted,
            "ms": round(report.seconds * 1e3, 2),
        }
        (folder / "report.json").write_text(json.dumps(summary, indent=2) + "\n")
    except OSError as exc:
        raise _UsageError(f"cannot write debug output to {folder}: {exc.strerror}") from exc
    print(
        f"qrseal: {len(files)} variant image(s) and report.json written to {folder}",
        file=sys.stderr,
    )


def _cmd_inspect(args: argparse.Namespace, out: TextIO) -> int:
    info = inspect_unverified(_credential_text(args))
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


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from ..testing import sample_licence

    folder = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="qrseal-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    now = _now(args)
    key = generate_private_key(Algorithm.ES256)
    issuer = Issuer(key, issuer="CN-DEMO")
    licence = sample_licence(args.sample)
    text = issuer.issue(licence, now=now)
    png = folder / "licence-qr.png"
    png.write_bytes(qr.render_png(text))
    print(
        f"1. issued    {len(text)} characters, QR version {qr.qr_version(text, qr.Ecc.M)} (ECC M)",
        file=out,
    )
    print(f"2. rendered  {png}", file=out)
    scanned = qr.scan(png)
    print(f"3. scanned   {len(scanned)} code(s) with {scanned[0].decoder}", file=out)
    verifier = Verifier(TrustStore([TrustedKey(key.public_key(), "CN-DEMO")]))
    verified = verifier.verify(scanned[0].text, now=now)
    print("4. verified offline against the issuer's public key\n", file=out)
    print(summary(verified), file=out)
    return 0


# --- output -----------------------------------------------------------------------------


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _status_row(status: StatusResult) -> str:
    if status.status is None or status.snapshot_age is None:
        return "NOT CHECKED: no usable status list (accepted by policy)"
    stale = ", STALE: accepted by policy" if status.stale else ""
    return f"{status.meaning.value} (snapshot of {_age(status.snapshot_age)}{stale})"


def summary(verified: VerifiedLicence) -> str:
    """A human-readable verdict for a verified licence."""
    lic = verified.licence
    today = verified.verified_at.date()
    national = lic.full_name_national_character or (
        (lic.family_name_national_character or "") + (lic.given_name_national_character or "")
    )
    classes = "".join(p.class_code for p in lic.domestic_privileges)
    implied = " ".join(sorted(lic.permitted_classes()))
    expiry = lic.expiry_date.isoformat() if lic.expiry_date else "long-term (长期)"
    rows = [
        ("name", f"{national} ({lic.family_name} {lic.given_name})".strip()),
        ("number", lic.document_number),
        ("classes", f"{classes} (permits {implied})"),
        ("validity", f"{lic.issue_date.isoformat()} to {expiry}"),
        (
            "points",
            f"{lic.points} (data as of {verified.data_as_of:%Y-%m-%d %H:%MZ}, {_age(verified.data_age)})",
        ),
        ("status", f"{lic.status} -> drive permitted: {lic.drive_permitted(today).value}"),
    ]
    probation = [
        p.probation_end_date
        for p in lic.domestic_privileges
        if p.probation_end_date and p.probation_end_date >= today
    ]
    if probation:
        rows.append(("probation", f"until {max(probation).isoformat()} (实习期)"))
    rows.append(
        ("issuer", f"{verified.issuer} (kid {verified.kid.hex()}, {verified.algorithm.name})")
    )
    if verified.status is not None:
        rows.append(("status list", _status_row(verified.status)))
    rows.append(
        (
            "credential",
            f"signed {verified.issued_at:%Y-%m-%d %H:%MZ}, valid until {verified.expires_at:%Y-%m-%d %H:%MZ}",
        )
    )
    if verified.presentation is PresentationKind.LIVE and verified.presentation_age is not None:
        seconds = int(verified.presentation_age.total_seconds())
        when = f"{seconds} s ago" if seconds >= 0 else f"{-seconds} s ahead of this clock"
        rows.insert(
            0,
            ("shown as", f"LIVE code, signed by the holder's device key {when} (亮码)"),
        )
    else:
        bound = ", device-bound" if verified.holder_bound else ""
        rows.insert(
            0, ("shown as", f"STATIC credential{bound}: a screenshot or copy would look the same")
        )
    warnings = verified.warnings()
    lines = ["VALID  electronic driving licence, signature verified offline"]
    lines += [f"  {label:<11}{value}" for label, value in rows]
    lines += [f"  warning    {w.field}: {w.message}" for w in warnings]
    return "\n".join(lines)


# --- parser -----------------------------------------------------------------------------


def make_parser() -> argparse.ArgumentParser:
    """The argument parser (separate so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="qrseal", description="Signed driving licences in QR codes, verified offline."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("keygen", help="generate an issuer key pair")
    p.add_argument("--alg", choices=sorted(_ALGS), default="ES256")
    p.add_argument("--out", required=True, help="private key PEM (PKCS#8) to write")
    p.add_argument("--pub", help="public key PEM to write (default: OUT with .pub.pem)")
    p.add_argument(
        "--password-env", help="encrypt the private key with the password in this env variable"
    )

    p = sub.add_parser("device-keygen", help="generate a holder device key pair (for live codes)")
    p.add_argument("--alg", choices=sorted(_DEVICE_ALGS), default="ES256")
    p.add_argument("--out", required=True, help="device private key PEM (PKCS#8) to write")
    p.add_argument("--pub", help="public key PEM to write (default: OUT with .pub.pem)")
    p.add_argument(
        "--password-env", help="encrypt the private key with the password in this env variable"
    )

    p = sub.add_parser("issue", help="sign a licence JSON file; print the credential text")
    p.add_argument("licence", help="licence JSON (see docs/format.md)")
    p.add_argument("--key", required=True, help="issuer private key PEM")
    p.add_argument("--password-env", help="env variable holding the key's password")
    p.add_argument(
        "--issuer", required=True, help="issuer name (CWT iss), as verifiers' trust stores know it"
    )
    p.add_argument(
        "--valid-for",
        type=_parse_duration,
        default=timedelta(hours=72),
        help="e.g. 72h (default), 30m, 7d",
    )
    p.add_argument(
        "--holder-key",
        metavar="DEVICE.pub.pem",
        help="bind the credential to this holder device public key (cnf), for live codes",
    )
    p.add_argument(
        "--status-uri",
        metavar="URI",
        help="the status list this credential's status is published in (with --status-idx)",
    )
    p.add_argument(
        "--status-idx", type=_index, metavar="N", help="the credential's entry in that list"
    )
    p.add_argument("--png", help="also write the QR code as PNG")
    p.add_argument("--svg", help="also write the QR code as SVG")
    p.add_argument("--ecc", choices=[e.value for e in qr.Ecc], default="M")
    p.add_argument("--scale", type=int, default=qr.DEFAULT_SCALE, help="pixels per module")
    add_now_option(p)

    p = sub.add_parser("verify", help="verify a credential text, text file or QR image offline")
    p.add_argument("text", nargs="?", help="credential text (DL1:...)")
    p.add_argument("--file", help="read the credential text from a file")
    p.add_argument("--image", help="read the credential from a QR image (photo or screenshot)")
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="ISSUER=PUB.pem",
        help="a trusted issuer key",
    )
    p.add_argument(
        "--trust-list", metavar="FILE", help="a signed trust list (verified against --root)"
    )
    p.add_argument("--root", metavar="ROOT.pub.pem", help="the pinned trust-list root public key")
    p.add_argument(
        "--trust-list-grace",
        type=_parse_duration,
        default=timedelta(0),
        help="keep using the trust list this long after it expires (default: not at all)",
    )
    p.add_argument(
        "--status",
        metavar="DIR",
        help="check the credential's status against the status list tokens in DIR",
    )
    cli_status.add_max_entries_option(p, "--max-status-entries")
    p.add_argument(
        "--max-status-age",
        type=_parse_duration,
        help="oldest status list snapshot that counts as fresh, e.g. 24h (default: until its "
        "exp; a list without exp needs this)",
    )
    p.add_argument(
        "--status-unavailable",
        choices=sorted(_STATUS_POLICIES),
        default="reject",
        help="without a fresh status list for the credential: reject (default) or accept "
        "with a warning",
    )
    p.add_argument(
        "--require-status",
        action="store_true",
        help="also reject credentials that carry no status reference",
    )
    p.add_argument(
        "--clock-skew", type=int, default=60, help="seconds of clock skew to tolerate (default 60)"
    )
    p.add_argument(
        "--max-validity",
        type=_parse_duration,
        default=MAX_VALIDITY,
        help="longest credential lifetime (exp - iat) accepted, e.g. 72h, 30d (default 366d, "
        "the issuer's own limit)",
    )
    p.add_argument(
        "--require-live",
        action="store_true",
        help="accept only live codes (DP1); refuse static credentials and screenshots of them "
        "(implied by --nonce and --audience)",
    )
    p.add_argument(
        "--max-age",
        type=_parse_duration,
        default=DEFAULT_MAX_PRESENTATION_AGE,
        help="oldest live code accepted, e.g. 60s (default), 2m",
    )
    p.add_argument(
        "--max-future-skew",
        type=_parse_duration,
        default=DEFAULT_MAX_PRESENTATION_SKEW,
        help="how far a live code may be dated ahead of this clock (default 30s)",
    )
    p.add_argument(
        "--nonce",
        type=_parse_nonce,
        help="the nonce (hex) the live code must carry (static credentials are then refused)",
    )
    p.add_argument(
        "--audience",
        help="the audience the live code must be addressed to (static credentials are then "
        "refused)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_now_option(p)

    p = sub.add_parser("present", help="show a fresh live code (DP1) signed by the device key")
    p.add_argument("text", nargs="?", help="the device-bound credential text (DL1:...)")
    p.add_argument("--file", help="read the credential text from a file")
    p.add_argument("--device-key", required=True, help="the holder device private key PEM")
    p.add_argument("--password-env", help="env variable holding the device key's password")
    p.add_argument("--nonce", type=_parse_nonce, help="a verifier's challenge (hex) to include")
    p.add_argument("--audience", help="the verifier the code is meant for")
    p.add_argument("--png", help="also write the code as PNG (rewritten at every refresh)")
    p.add_argument("--scale", type=int, default=qr.DEFAULT_SCALE, help="pixels per module")
    p.add_argument(
        "--watch",
        type=_positive_int,
        nargs="?",
        const=int(DEFAULT_REFRESH.total_seconds()),
        metavar="SECONDS",
        help="draw the code in the terminal and redraw a fresh one every SECONDS (default 30) "
        "until interrupted",
    )
    p.add_argument("--count", type=_positive_int, help="stop after this many codes")
    p.add_argument(
        "--light-terminal", action="store_true", help="draw for a light terminal background"
    )
    add_now_option(p)

    p = sub.add_parser("scan", help="print the text of every QR code in an image")
    p.add_argument("image")
    p.add_argument(
        "--debug",
        metavar="DIR",
        help="write every image variant tried, and report.json with timings, into DIR",
    )

    p = sub.add_parser("inspect", help="decode a credential WITHOUT verifying it (debugging)")
    p.add_argument("text", nargs="?")
    p.add_argument("--file")

    p = sub.add_parser("demo", help="issue -> QR PNG -> scan -> verify, with a fresh key")
    p.add_argument("--out", help="folder for the PNG (default: a temporary folder)")
    p.add_argument(
        "--sample", type=int, choices=range(5), default=0, help="which sample licence (0-4)"
    )
    add_now_option(p)

    cli_trust.add_trust_commands(sub)
    cli_status.add_status_commands(sub)
    return parser


_COMMANDS = {
    "keygen": _cmd_keygen,
    "device-keygen": _cmd_device_keygen,
    "issue": _cmd_issue,
    "verify": _cmd_verify,
    "present": _cmd_present,
    "scan": _cmd_scan,
    "inspect": _cmd_inspect,
    "demo": _cmd_demo,
    "trust": cli_trust.run_trust,
    "status": cli_status.run_status,
}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the CLI; return the exit code."""
    stream = out if out is not None else sys.stdout
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors this way
        return int(exc.code or 0) if exc.code in (0, None) else 2
    try:
        return _COMMANDS[args.command](args, stream)
    except _UsageError as exc:
        print(f"qrseal: error: {exc}", file=sys.stderr)
        return 2
    except QrsealError as exc:
        print(f"qrseal: {exc.reason.value}: {exc.message}", file=sys.stderr)
        return 1
