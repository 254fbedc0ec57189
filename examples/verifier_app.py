"""Verifier app: read a licence QR from a photo or screenshot and verify it offline.

    python examples/verifier_app.py photo.jpg --trust CN-SC=issuer.pub.pem
    python examples/verifier_app.py photo.jpg --trust-list trust.tl --root root.pub.pem \\
        --status status-snapshots/

Trust comes from issuer keys (``--trust``) or from a signed trust list checked against the
pinned root key (``--trust-list``/``--root``: revoked, retired and out-of-scope keys are then
refused). ``--status DIR`` holds the Status List Tokens last downloaded while online: a revoked
or suspended licence is refused, and the verdict says how old that knowledge is. Without a
fresh snapshot for the licence the app refuses it, or with ``--accept-without-status`` shows
it with a warning.

Prints a clear verdict. Exit code 0 when the licence verified, 1 when it was rejected
(the reason code is printed), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qrseal import (
    Policy,
    QrsealError,
    StatusSnapshots,
    TrustedKey,
    TrustStore,
    Verifier,
    WhenUnavailable,
    load_public_key_pem,
)
from qrseal.status.token import verify_status_list
from qrseal.trust.lists import verify_trust_list


def load_trust(args: argparse.Namespace, now: datetime) -> TrustStore:
    """Issuer keys from --trust, plus the keys of a verified trust list."""
    keys = []
    for spec in args.trust:
        issuer, _, path = spec.partition("=")
        keys.append(TrustedKey(load_public_key_pem(Path(path).read_bytes()), issuer))
    if args.trust_list is None:
        return TrustStore(keys)
    root = load_public_key_pem(args.root.read_bytes())
    # A day of grace: an app that was offline over a weekend keeps working a little longer.
    grace = timedelta(days=1)
    listed = verify_trust_list(args.trust_list.read_bytes(), root=root, now=now, grace=grace)
    # The store carries the list's validity: a verifier built from it refuses everything
    # once the list (plus the same grace) has expired.
    return listed.to_trust_store(grace=grace).with_keys(*keys)


def load_status(folder: Path, trust: TrustStore, now: datetime) -> StatusSnapshots:
    """The status list snapshots in ``folder`` (``*.cwt``), verified with the issuer keys."""
    verified = []
    for path in sorted(folder.glob("*.cwt")):
        try:
            verified.append(
                verify_status_list(path.read_bytes(), keys=trust.status_key_resolver(), now=now)
            )
        except QrsealError as exc:  # an unusable snapshot is as good as none: the policy decides
            print(f"  (ignoring {path.name}: {exc.reason.value})")
    return StatusSnapshots(verified)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path, help="photo or screenshot containing the QR code")
    parser.add_argument("--trust", action="append", default=[], metavar="ISSUER=PUB.pem")
    parser.add_argument("--trust-list", type=Path, help="signed trust list (needs --root)")
    parser.add_argument("--root", type=Path, help="pinned root public key of the trust list")
    parser.add_argument("--status", type=Path, metavar="DIR", help="status list snapshots")
    parser.add_argument(
        "--accept-without-status",
        action="store_true",
        help="show a licence whose status snapshot is missing or stale, with a warning",
    )
    parser.add_argument("--now", help="verification time, ISO 8601 with zone (default: now)")
    args = parser.parse_args(argv)
    if (args.trust_list is None) != (args.root is None):
        parser.error("--trust-list and --root go together")
    if not args.trust and args.trust_list is None:
        parser.error("give --trust ISSUER=PUB.pem or --trust-list FILE --root ROOT.pub.pem")

    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    policy = Policy(
        # what this app prints, so what a code must disclose (a rental or age view does not)
        required_fields=frozenset(
            {
                "family_name",
                "given_name",
                "document_number",
                "domestic_privileges",
                "status",
                "points",
            }
        ),
        max_status_age=timedelta(days=2),
        status_unavailable=(
            WhenUnavailable.WARN if args.accept_without_status else WhenUnavailable.REJECT
        ),
    )
    try:
        trust = load_trust(args, now)
        status = load_status(args.status, trust, now) if args.status else None
        result = Verifier(trust, policy, status=status).verify_image(args.image, now=now)
    except QrsealError as exc:
        print(f"NOT ACCEPTED ({exc.reason.value})\n  {exc.message}")
        return 1

    lic = result.licence
    today = now.date()
    name = (
        lic.full_name_national_character
        or f"{lic.family_name_national_character or ''}{lic.given_name_national_character or ''}"
    )
    print("LICENCE VERIFIED (offline signature check)")
    print(f"  holder        {name}  {lic.family_name} {lic.given_name}")
    print(f"  licence no.   {lic.document_number}")
    print(f"  classes       {''.join(p.class_code for p in lic.domestic_privileges)}")
    print(f"  valid until   {lic.expiry_date or 'long-term (长期)'}")
    print(f"  points        {lic.points}")
    print(f"  may drive     {lic.drive_permitted(today).value}  (status {lic.status})")
    print(f"  data age      {int(result.data_age.total_seconds() // 60)} min")
    if result.status is not None:
        age = result.status.snapshot_age
        known = (
            "no snapshot" if age is None else f"snapshot {int(age.total_seconds() // 60)} min old"
        )
        print(f"  status list   {result.status.meaning.value}  ({known})")
    print(f"  issued by     {result.issuer}")
    for warning in result.warnings():
        print(f"  WARNING       {warning.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
