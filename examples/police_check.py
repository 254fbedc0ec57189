"""Police check: accept only live codes (亮码), and show how old the code is.

    python examples/police_check.py photo.jpg --trust CN-SC=issuer.pub.pem [--max-age 60]
    python examples/police_check.py --text DP1:... --trust CN-SC=issuer.pub.pem

A static credential (``DL1``: a screenshot, a printout, a forwarded copy) is refused with
``presentation_required``; a live code older than ``--max-age`` seconds with
``stale_presentation``; a code not signed by the phone the licence was issued to with
``holder_binding_invalid``. A verified live code proves that the phone holding the device key
produced it moments ago; whether the person in front of you is the licence holder is still
for the officer to judge (the ID card's portrait).

Exit code 0 when a live code verified, 1 when rejected (reason printed), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qrseal import (
    Policy,
    QrsealError,
    Reason,
    TrustedKey,
    TrustStore,
    Verifier,
    load_public_key_pem,
)

ADVICE = {
    Reason.PRESENTATION_REQUIRED: "a static code (screenshot, printout or copy): ask the holder "
    "to open the live code in the app",
    Reason.STALE_PRESENTATION: "the code is too old: a screenshot, or a phone that did not "
    "refresh; ask for a fresh code",
    Reason.PRESENTATION_IN_FUTURE: "the code is dated ahead of this device's clock: check both clocks",
    Reason.HOLDER_BINDING_INVALID: "the code was not made by the phone this licence was issued to",
    Reason.EXPIRED: "the credential on the phone has expired: the holder must refresh it online",
    Reason.FIELDS_WITHHELD: "the code shows a partial view (rental or age): ask the holder to "
    "show the full licence view",
}

#: What this check prints, so what a code must disclose (a rental or age view does not).
SHOWN = frozenset(
    {"family_name", "given_name", "document_number", "domestic_privileges", "status", "points"}
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("image", nargs="?", type=Path, help="photo or screenshot of the code")
    parser.add_argument("--text", help="the scanned code text instead of an image")
    parser.add_argument("--trust", action="append", required=True, metavar="ISSUER=PUB.pem")
    parser.add_argument("--max-age", type=int, default=60, help="seconds (default 60)")
    parser.add_argument("--now", help="verification time, ISO 8601 with zone (default: now)")
    args = parser.parse_args(argv)
    if (args.image is None) == (args.text is None):
        parser.error("give an IMAGE or --text")

    keys = []
    for spec in args.trust:
        issuer, _, path = spec.partition("=")
        keys.append(TrustedKey(load_public_key_pem(Path(path).read_bytes()), issuer))
    policy = Policy(
        require_live=True,
        max_presentation_age=timedelta(seconds=args.max_age),
        required_fields=SHOWN,
    )
    verifier = Verifier(TrustStore(keys), policy)
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else datetime.now(UTC)

    try:
        if args.text is not None:
            result = verifier.verify(args.text.strip(), now=now)
        else:
            result = verifier.verify_image(args.image, now=now)
    except QrsealError as exc:
        print(f"NOT ACCEPTED ({exc.reason.value})")
        print(f"  {ADVICE.get(exc.reason, exc.message)}")
        return 1

    lic = result.licence
    age = result.presentation_age or timedelta(0)
    seconds = int(age.total_seconds())
    name = lic.full_name_national_character or (
        f"{lic.family_name_national_character or ''}{lic.given_name_national_character or ''}"
    )
    print("LIVE CODE VERIFIED (offline; device signature and issuer signature)")
    print(
        f"  generated     {result.presented_at:%H:%M:%S}Z, "
        + (f"{seconds} s ago" if seconds >= 0 else f"{-seconds} s ahead of this clock")
    )
    print(f"  holder        {name}  {lic.family_name} {lic.given_name}  (compare with the person)")
    print(f"  licence no.   {lic.document_number}")
    print(f"  classes       {''.join(p.class_code for p in lic.domestic_privileges)}")
    print(f"  may drive     {lic.drive_permitted(now.date()).value}  (status {lic.status})")
    print(
        f"  points        {lic.points}  (data {int(result.data_age.total_seconds() // 60)} min old)"
    )
    print(f"  issued by     {result.issuer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
