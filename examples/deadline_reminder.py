"""Deadline reminders: which holders must act soon (renewal, 体检, 审验, end of probation).

    python examples/deadline_reminder.py licences.json [--today 2032-03-01] [--within 60]

Reads a JSON array of unified-JSON licences (the issuer's records, e.g. the samples of
``qrseal.testing``), and prints one reminder per deadline that is overdue or falls due within
``--within`` days of ``--today`` (default: today's China-local date), with the rule it comes
from. Without a file it uses the five sample licences. Exit code 0.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path

from qrseal.licence.china import CN_UTC_OFFSET
from qrseal.licence.deadlines import DeadlineState, upcoming_deadlines
from qrseal.licence.model import Licence
from qrseal.testing import sample_licences


def reminders(licences: list[Licence], today: date, within: int) -> list[str]:
    """One line per deadline overdue or due within ``within`` days, soonest first."""
    lines = []
    for licence in licences:
        name = licence.full_name_national_character or licence.family_name
        for d in upcoming_deadlines(licence, today):
            left = d.days_left(today)
            if d.state is DeadlineState.OVERDUE or left <= within:
                what = d.kind.value + (f" {d.subject}" if d.subject else "")
                when = f"OVERDUE by {-left} d" if left < 0 else f"due in {left} d"
                lines.append(f"{d.due.isoformat()}  {name}: {what}, {when} [{d.source.section}]")
    return sorted(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("licences", nargs="?", help="JSON array of licences (default: samples)")
    parser.add_argument("--today", type=date.fromisoformat)
    parser.add_argument("--within", type=int, default=60, help="days ahead (default 60)")
    args = parser.parse_args(argv)
    if args.licences:
        data = json.loads(Path(args.licences).read_text(encoding="utf-8"))
        licences = [Licence.from_json(item) for item in data]
    else:
        licences = list(sample_licences())
    # The clock is read here, at the edge; the library takes the date as an argument.
    today = args.today or datetime.now(UTC).astimezone(CN_UTC_OFFSET).date()
    for line in reminders(licences, today, args.within):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
