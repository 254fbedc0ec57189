"""``qrseal verify``: a credential text, text file or QR image, verified offline.

Loads what verifying needs and no more: the image libraries load only for ``--image``
(through :meth:`~qrseal.verifier.Verifier.verify_image`); issuing, holding and rendering
are not imported at all.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TextIO

from ..errors import QrsealError, Reason, SetupError
from ..licence.writers import write_json_fields
from ..status.snapshots import StatusResult, StatusSnapshots
from ..verifier import Policy, TrustedKey, TrustStore, VerifiedLicence, Verifier
from ..wire.algorithms import spec as algorithm_spec
from ..wire.presentation import PresentationKind
from .args import STATUS_POLICIES, UsageError, allowed_of, now_of
from .exits import describe, setup_step
from .files import STDIO, credential_text, existing_dir, read_input
from .keyfiles import public_key_file
from .status import status_snapshots_from_dir
from .trust import trust_store_from_files

__all__ = ["run_verify", "summary", "verifier_trust"]

log = logging.getLogger("qrseal.cli")


def _trust_store(specs: Sequence[str]) -> TrustStore:
    if not specs:
        raise UsageError(
            "give at least one --trust ISSUER=PUBLIC_KEY.pem, or --trust-list FILE --root "
            "ROOT.pub.pem (a verifier needs a trust store)"
        )
    keys = []
    for spec in specs:
        issuer, sep, path = spec.partition("=")
        if not sep or not issuer or not path:
            raise UsageError(
                f"--trust takes ISSUER=PUBLIC_KEY.pem (e.g. CN-SC=issuer.pub.pem), got {spec!r}"
            )
        keys.append(
            TrustedKey(public_key_file(path, option="--trust", shown=f"--trust {spec}"), issuer)
        )
    return TrustStore(keys)


def verifier_trust(args: argparse.Namespace, now: datetime) -> TrustStore:
    """The keys of --trust, plus those of a signed trust list (--trust-list, --root)."""
    if bool(args.trust_list) != bool(args.root):
        raise UsageError("--trust-list and --root go together")
    if not args.trust_list:
        return _trust_store(args.trust)
    if args.root != STDIO:  # the plain message for a wrong kind of file (stdin is read once)
        public_key_file(args.root, option="--root")
    try:
        listed = trust_store_from_files(
            args.trust_list, args.root, now=now, grace=args.trust_list_grace
        )
    except QrsealError as exc:
        if exc.reason is Reason.TRUST_LIST_EXPIRED:
            raise  # every credential is refused until a fresh list comes: a verdict (exit 1)
        raise UsageError(
            f"--trust-list {args.trust_list}: not a usable trust list signed by --root "
            f"{args.root}: {describe(exc)}",
            reason=exc.reason,
        ) from exc
    if len(listed) == 0:
        raise UsageError(f"--trust-list {args.trust_list} lists no issuer keys: nothing to trust")
    return listed.with_keys(*_trust_store(args.trust)) if args.trust else listed


def _status(
    args: argparse.Namespace, trust: TrustStore, now: datetime, policy: Policy
) -> StatusSnapshots:
    """The snapshots of ``--status DIR``; a folder that is missing, unreadable or holds no
    status list token at all is a set-up error (exit 2). Tokens that do not verify are
    reported and left out: the policy then decides (``--status-unavailable``)."""
    folder = existing_dir(args.status, what="--status folder")
    skipped = io.StringIO()
    with setup_step(f"--status {folder}"):
        snapshots = status_snapshots_from_dir(
            folder,
            trust,
            now=now,
            max_entries=args.max_status_entries,
            errors=skipped,
            allowed=policy.allowed_algorithms,
        )
    sys.stderr.write(skipped.getvalue())
    if len(snapshots) == 0 and not skipped.getvalue():
        raise UsageError(
            f"--status {folder} holds no status list token (*.cwt from status publish)"
        )
    return snapshots


def run_verify(args: argparse.Namespace, out: TextIO) -> int:
    """Verify one credential; exit 0 valid, 1 rejected (the reason printed)."""
    policy = Policy(
        clock_skew=timedelta(seconds=args.clock_skew),
        require_live=args.require_live,
        max_presentation_age=args.max_age,
        max_presentation_skew=args.max_future_skew,
        expected_nonce=args.nonce,
        expected_audience=args.audience,
        max_status_age=args.max_status_age,
        status_unavailable=STATUS_POLICIES[args.status_unavailable],
        require_status=args.require_status,
        max_validity=args.max_validity,
        required_fields=None if args.require_fields is None else frozenset(args.require_fields),
        allowed_algorithms=allowed_of(args),
    )
    if args.require_status and not args.status:
        raise UsageError("--require-status needs --status DIR")
    now = now_of(args)
    try:
        # The set-up (exit 2 when wrong), except an expired trust list: a verdict (exit 1).
        trust = verifier_trust(args, now)
        status = _status(args, trust, now, policy) if args.status else None
        log.info("trust store: %d key(s)", len(trust))
        if status is not None:
            log.info("status lists held: %d", len(status))
        verifier = Verifier(trust, policy, status=status)
        if args.image:
            # Read here, so that a missing image is a set-up error (exit 2), not invalid_image.
            image = read_input(args.image, what="--image file")
            verified = verifier.verify_image(image, now=now)
        else:
            verified = verifier.verify(credential_text(args), now=now)
    except QrsealError as exc:
        if isinstance(exc, SetupError):
            raise  # the verifier's own set-up (a key, a folder): exit 2, not a verdict
        if args.json:
            json.dump(
                {"valid": False, "reason": exc.reason.value, "message": describe(exc)},
                out,
                ensure_ascii=False,
            )
            print(file=out)
        else:
            print(f"REJECTED  {exc.reason.value}: {describe(exc)}", file=out)
        return 1
    if args.json:
        json.dump(verified.to_json(), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        print(summary(verified), file=out)
    return 0


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


def _shown_as(verified: VerifiedLicence) -> tuple[str, str]:
    if verified.presentation is PresentationKind.LIVE and verified.presentation_age is not None:
        seconds = int(verified.presentation_age.total_seconds())
        when = f"{seconds} s ago" if seconds >= 0 else f"{-seconds} s ahead of this clock"
        return ("shown as", f"LIVE code, signed by the holder's device key {when} (亮码)")
    bound = ", device-bound" if verified.holder_bound else ""
    return ("shown as", f"STATIC credential{bound}: a screenshot or copy would look the same")


def _view_summary(verified: VerifiedLicence) -> str:
    """The verdict for a partial disclosure view: each shown element, then what is withheld."""
    rows = [_shown_as(verified)]
    for name, value in write_json_fields(verified.elements).items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((name, shown))
    rows.append(("withheld", ", ".join(sorted(verified.withheld)) or "-"))
    rows.append(
        (
            "issuer",
            f"{verified.issuer} (kid {verified.kid.hex()}, {algorithm_spec(verified.algorithm).name})",
        )
    )
    if verified.status is not None:
        rows.append(("status list", _status_row(verified.status)))
    width = max(11, *(len(label) + 1 for label, _ in rows))
    lines = ["VALID  disclosure view of an electronic driving licence, signature verified offline"]
    lines += [f"  {label:<{width}}{value}" for label, value in rows]
    return "\n".join(lines)


def summary(verified: VerifiedLicence) -> str:
    """A human-readable verdict for a verified licence (or the view of one it shows)."""
    if verified.is_partial:
        return _view_summary(verified)
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
        (
            "issuer",
            f"{verified.issuer} (kid {verified.kid.hex()}, {algorithm_spec(verified.algorithm).name})",
        )
    )
    if verified.status is not None:
        rows.append(("status list", _status_row(verified.status)))
    rows.append(
        (
            "credential",
            f"signed {verified.issued_at:%Y-%m-%d %H:%MZ}, valid until {verified.expires_at:%Y-%m-%d %H:%MZ}",
        )
    )
    rows.insert(0, _shown_as(verified))
    warnings = verified.warnings()
    lines = ["VALID  electronic driving licence, signature verified offline"]
    width = max(len(label) for label, _ in rows) + 2  # "status list" needs its space
    lines += [f"  {label:<{width}}{value}" for label, value in rows]
    lines += [f"  {'warning':<{width}}{w.field}: {w.message}" for w in warnings]
    return "\n".join(lines)
