"""``qrseal card`` and ``qrseal deadlines``: show a verified licence to a person.

Both verify the credential first (the same trust options as ``verify``): nothing signed is
shown before its signature is checked. ``card`` draws the licence card (the image
libraries load only then); ``deadlines`` prints what falls due.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TextIO

from ..errors import QrsealError
from ..licence.china import CN_UTC_OFFSET
from ..licence.deadlines import Deadline, upcoming_deadlines
from ..verifier import VerifiedLicence, Verifier
from .args import UsageError, add_now_option, now_of, parse_duration
from .exits import setup_step
from .files import FileKind, add_file_argument, credential_text, read_input
from .verify import verifier_trust

__all__ = ["add_shown_commands", "run_shown"]

_LABELS = {
    "renewal": "换证 renewal",
    "physical_exam": "体检 physical-condition report",
    "review": "审验 review",
    "probation_end": "实习期满 end of probation",
    "scoring_cycle_end": "记分周期满 end of scoring cycle",
}


def _add_credential_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "text", nargs="?", help="credential text (DL1:... or DP1:...; '-': standard input)"
    )
    add_file_argument(p, "--file", kind=FileKind.INPUT, what="credential text file", subject=True)
    add_file_argument(
        p, "--image", kind=FileKind.INPUT, what="QR image (photo or screenshot)", subject=True
    )
    p.add_argument(
        "--trust", action="append", default=[], metavar="ISSUER=PUB.pem", help="a trusted key"
    )
    add_file_argument(
        p, "--trust-list", kind=FileKind.INPUT, what="signed trust list", metavar="FILE"
    )
    add_file_argument(
        p,
        "--root",
        kind=FileKind.INPUT,
        what="trust-list root public key PEM",
        metavar="ROOT.pub.pem",
    )
    p.add_argument("--trust-list-grace", type=parse_duration, default=timedelta(0))
    add_now_option(p)


def add_shown_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``card`` and ``deadlines``; :func:`run_shown` runs them."""
    p = sub.add_parser("card", help="verify a credential and draw the licence card (PNG or SVG)")
    _add_credential_options(p)
    add_file_argument(
        p, "--out", kind=FileKind.OUTPUT, what="card file to write: .png or .svg", required=True
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--mask", action="store_true", help="mask the document number")
    p.add_argument(
        "--view", choices=("verifier", "holder"), default="verifier", help="whose view to draw"
    )
    p.set_defaults(shown_handler=_run_card)

    p = sub.add_parser("deadlines", help="verify a credential and print what falls due")
    _add_credential_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(shown_handler=_run_deadlines)


def run_shown(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``card`` or ``deadlines``."""
    code: int = args.shown_handler(args, out)
    return code


def _verify(args: argparse.Namespace) -> VerifiedLicence:
    """Verify the credential the options name. Set-up problems (trust files, an unreadable
    input) raise before the credential is looked at: exit 2, never a rejected card."""
    now = now_of(args)
    with setup_step("the trust options"):
        verifier = Verifier(verifier_trust(args, now))
    if args.image:
        image = read_input(args.image, what="--image file")
        return _checked(lambda: verifier.verify_image(image, now=now))
    text = credential_text(args)
    return _checked(lambda: verifier.verify(text, now=now))


class _Rejected(Exception):
    """The credential itself was refused (exit 1)."""

    def __init__(self, error: QrsealError) -> None:
        super().__init__(error.message)
        self.error = error


def _checked(run: Callable[[], VerifiedLicence]) -> VerifiedLicence:
    try:
        return run()
    except QrsealError as exc:
        raise _Rejected(exc) from exc


def deadline_json(deadline: Deadline, today: Any) -> dict[str, object]:
    """One deadline as JSON."""
    return {
        "kind": deadline.kind.value,
        "due": deadline.due.isoformat(),
        "opens": None if deadline.opens is None else deadline.opens.isoformat(),
        "state": deadline.state.value,
        "days_left": deadline.days_left(today),
        "subject": deadline.subject,
        "overdue_status": deadline.overdue_status,
        "points_remaining": deadline.points_remaining,
        "note": deadline.note,
        "source": f"{deadline.source.text} (licence-model.md {deadline.source.section} "
        f"{deadline.source.confidence})",
    }


def _run_deadlines(args: argparse.Namespace, out: TextIO) -> int:
    try:
        verified = _verify(args)
    except _Rejected as rejected:
        exc = rejected.error
        print(f"REJECTED  {exc.reason.value}: {exc.message}", file=out)
        return 1
    today = verified.verified_at.astimezone(CN_UTC_OFFSET).date()
    found = upcoming_deadlines(verified.licence, today)
    if args.json:
        json.dump([deadline_json(d, today) for d in found], out, ensure_ascii=False, indent=2)
        print(file=out)
        return 0
    print(f"deadlines as of {today.isoformat()} (China local date)", file=out)
    for d in found:
        extra = [d.subject or "", f"opens {d.opens.isoformat()}" if d.opens else ""]
        if d.points_remaining is not None:
            extra.append(f"{d.points_remaining} of 12 points left")
        if d.overdue_status and d.state.value == "overdue":
            extra.append(f"status {d.overdue_status}")
        if d.note:
            extra.append(d.note)
        detail = ", ".join(e for e in extra if e)
        print(
            f"  {d.due.isoformat()}  {d.state.value:<8} {d.days_left(today):>6} d  "
            f"{_LABELS[d.kind.value]}" + (f"  ({detail})" if detail else ""),
            file=out,
        )
    return 0


def _run_card(args: argparse.Namespace, out: TextIO) -> int:
    from ..card import save_card  # the image libraries load here

    try:
        result: VerifiedLicence | QrsealError = _verify(args)
    except _Rejected as rejected:
        result = rejected.error
    if not args.out.lower().endswith((".png", ".svg")):
        raise UsageError("--out must end in .png or .svg")
    # The holder view draws the code the holder shows: the credential as given.
    code = None if args.image or args.view == "verifier" else credential_text(args)
    if args.view == "holder" and code is None:
        raise UsageError("the holder view needs the credential TEXT or --file, not --image")
    save_card(
        result,
        args.out,
        lang=args.lang,
        mask=args.mask,
        view=args.view,
        code=code,
        now=now_of(args),
    )
    verdict = "VALID" if isinstance(result, VerifiedLicence) else f"REJECTED {result.reason}"
    print(f"{verdict}: card written to {args.out}", file=out)
    return 0 if isinstance(result, VerifiedLicence) else 1
