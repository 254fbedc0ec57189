"""Verifier app: read a licence QR from a photo or screenshot and verify it offline.

    python examples/verifier_app.py photo.jpg --trust CN-SC=issuer.pub.pem

Prints a clear verdict. Exit code 0 when the licence verified, 1 when it was rejected
(the reason code is printed), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from qrseal import QrsealError, TrustedKey, TrustStore, Verifier, load_public_key_pem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path, help="photo or screenshot containing the QR code")
    parser.add_argument("--trust", action="append", required=True, metavar="ISSUER=PUB.pem")
    parser.add_argument("--now", help="verification time, ISO 8601 with zone (default: now)")
    args = parser.parse_args(argv)

    keys = []
    for spec in args.trust:
        issuer, _, path = spec.partition("=")
        keys.append(TrustedKey(load_public_key_pem(Path(path).read_bytes()), issuer))
    verifier = Verifier(TrustStore(keys))
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)

    try:
        result = verifier.verify_image(args.image, now=now)
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
    print(f"  issued by     {result.issuer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
