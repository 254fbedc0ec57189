"""Regenerate what the licence field table decides outside the code: the JSON Schema files
the package ships (one per JSON view), the valid example records of examples/records/ (the
package's synthetic sample licences, one file each) and the licence-JSON tables of
docs/format.md §5.4 (spellings, required fields per view, code tables). A test checks that
all of them are current.

    .venv/bin/python scripts/gen_licence_doc.py          # rewrite them
    .venv/bin/python scripts/gen_licence_doc.py --check  # exit 1 if one is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from qrseal.licence import china as cn
from qrseal.licence.fields import (
    JSON_VIEW_REQUIRED,
    LICENCE,
    PROFILE_VERSIONS,
    QR_OMITTED_BY_DEFAULT,
    DocumentNumberType,
    FieldKind,
    FieldSpec,
    JsonView,
    NamedIntEnum,
    PointsScheme,
    Sex,
    ValidityTerm,
    json_values,
)
from qrseal.licence.rules import FORMATS
from qrseal.licence.schema import SCHEMA_FILES, schema_text
from qrseal.licence.wire import JSON_DATE_FORMAT, derived, read_json
from qrseal.testing import sample_licence_json

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "format.md"
DATA = ROOT / "src" / "qrseal" / "data"
RECORDS = ROOT / "examples" / "records"
#: File names of the five sample records, in the order of the package's samples.
SAMPLE_NAMES = ("probation", "long-term", "suspended", "professional", "foreign-national")

_K = FieldKind
_MEANINGS = {
    Sex: "ISO/IEC 5218 (= GB/T 2261.1)",
    DocumentNumberType: "what `document_number` is",
    ValidityTerm: "有效期限: `expiry_date` is `issue_date` + 6 or 10 years, or null (长期)",
    PointsScheme: "how `points` count",
}


def sample_records() -> dict[Path, str]:
    """examples/records/<n>-<name>.json: each sample licence as the package holds it."""
    out: dict[Path, str] = {}
    for index, name in enumerate(SAMPLE_NAMES):
        record = sample_licence_json(index)
        path = RECORDS / f"{index + 1}-{name}.json"
        out[path] = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    return out


def schema_files() -> dict[Path, str]:
    """src/qrseal/data/licence-<view>.schema.json for each JSON view."""
    return {DATA / SCHEMA_FILES[view]: schema_text(view) for view in JsonView}


def _spelling(name: str, spec: FieldSpec) -> str:
    kind = spec.kind
    if values := json_values(spec):
        return " ".join(f"`{json.dumps(v)}`" for v in values)
    if name in FORMATS:
        return f"string: {FORMATS[name][1]}"
    if name == "points":
        return "integer 0–255"
    return {
        _K.DATE: f'`"{JSON_DATE_FORMAT}"`',
        _K.TIME: '`"YYYY-MM-DDTHH:MM:SSZ"` (whole seconds; an offset is converted to UTC)',
        _K.UINT: "integer ≥ 0",
        _K.BYTES: "string, standard base64 (JPEG or JPEG 2000)",
        _K.DOMESTIC: "array of `{class_code, issue_date?, probation_end_date?, codes?}`",
        _K.DRIVING: "array of `{vehicle_category_code, issue_date?, expiry_date?, codes?}`",
        _K.NAME: "string, national characters (§5.3)",
        _K.NATIONAL: "string, national characters (§5.3)",
    }.get(kind, "string, Latin-1 (§5.3)")


def _required(name: str, view: JsonView) -> str:
    if name in JSON_VIEW_REQUIRED[view]:
        return "required"
    if name in LICENCE.json_nullable:
        return "required unless long-term (then `null` or absent)"
    return "optional"


def json_fields() -> str:
    """The licence JSON: each field's spelling and whether each view requires it."""
    restored = {name for name, _, _ in derived(read_json(sample_licence_json(0)))}
    rows = [
        "| field | JSON spelling | record (`issue`) | QR view (`verify --json`) | compact map |",
        "|---|---|---|---|---|",
    ]
    for name, spec in LICENCE.specs.items():
        if name in restored:
            compact = "left out when derivable"
        elif name in QR_OMITTED_BY_DEFAULT:
            compact = "opt-in (`Issuer(fields=...)`)"
        else:
            compact = f"key {spec.key}"
        record, qr = _required(name, JsonView.RECORD), _required(name, JsonView.QR)
        rows.append(f"| `{name}` | {_spelling(name, spec)} | {record} | {qr} | {compact} |")
    return "\n".join(rows)


def code_tables() -> str:
    """The enumerations: JSON value, compact value, meaning."""
    rows = ["| field | JSON | compact | meaning |", "|---|---|---|---|"]
    for number, profile in PROFILE_VERSIONS.items():
        rows.append(f'| `profile` | `"{profile}"` | {number} (key 0) | China profile, version 1 |')
    for name, spec in LICENCE.specs.items():
        enum = spec.enum
        if enum is None:
            continue
        for member in enum:
            value = member.json_name if isinstance(member, NamedIntEnum) else int(member)
            words = member.name.lower().replace("_", " ")
            rows.append(f"| `{name}` | `{json.dumps(value)}` | {int(member)} | {words} |")
    notes = [f"- `{e.__name__}`: {meaning}." for e, meaning in _MEANINGS.items()]
    return "\n".join([*rows, "", *notes])


def status_letters() -> str:
    """GA 581.5 status letters: meaning and drive-permitted verdict per table version."""
    now, old = cn.StatusTable.CURRENT, cn.StatusTable.GA581_5_2005
    rows = [
        f"| letter | meaning (`{now}`) | drive permitted | `{old}` wording, where it differs |",
        "|---|---|---|---|",
    ]
    for letter in sorted(cn.STATUS_LETTERS):
        meaning, verdict = cn.STATUS_MEANINGS[now][letter], cn.STATUS_VERDICTS[now][letter]
        before = cn.STATUS_MEANINGS[old][letter]
        differs = (
            f"{before}: {cn.STATUS_VERDICTS[old][letter]}"
            if (before, cn.STATUS_VERDICTS[old][letter]) != (meaning, verdict)
            else ""
        )
        rows.append(f"| `{letter}` | {meaning} | {verdict} | {differs} |")
    return "\n".join(rows)


def classes() -> str:
    """CN classes: what each implies and the ISO categories a licence may carry for it."""
    cutoff = cn.REGULATION_2022
    rows = [
        "| CN class | implies (2022 table) | ISO category (§2.12 mapping) "
        f"| ISO categories derivable (issued on or after {cutoff}) |",
        "|---|---|---|---|",
    ]
    for code in cn.CLASS_ORDER:
        implied = " ".join(c for c in cn.CLASS_ORDER if c in cn.IMPLIES_2022.get(code, ()))
        own = " ".join(sorted(cn.CN_TO_ISO.get(code, ()))) or "—"
        derivable = " ".join(sorted(cn.derivable_iso_categories([code], cutoff))) or "—"
        rows.append(f"| `{code}` | {implied or '—'} | {own} | {derivable} |")
    older = sorted(c for c in cn.IMPLIES_2022 if cn.IMPLIES_2022[c] != cn.IMPLIES_PRE_2022[c])
    rows += [
        "",
        f"Before {cutoff} (no C6 yet) the table differs only in: "
        + ", ".join(
            f"`{c}` implies {' '.join(x for x in cn.CLASS_ORDER if x in cn.IMPLIES_PRE_2022[c])}"
            for c in older
        )
        + ".",
    ]
    return "\n".join(rows)


def provinces() -> str:
    """GB/T 2260 province codes and their ISO 3166-2:CN subdivisions."""
    rows = [
        "| code | `issuing_jurisdiction` | code | `issuing_jurisdiction` |",
        "|---|---|---|---|",
    ]
    pairs = sorted(cn.PROVINCE_JURISDICTION.items())
    half = (len(pairs) + 1) // 2
    padding = [("", "")] * (2 * half - len(pairs))
    for left, right in zip(pairs[:half], [*pairs[half:], *padding], strict=True):
        cells = [
            f"`{left[0]}` | `{left[1]}`",
            f"`{right[0]}` | `{right[1]}`" if right[0] else " | ",
        ]
        rows.append(f"| {' | '.join(cells)} |")
    extra = sorted(cn.PROVINCE_CODES - set(cn.PROVINCE_JURISDICTION))
    also = ", ".join(f"`{code}`" for code in extra)
    rows += ["", f"Also valid as an ID or file-number prefix, without a subdivision: {also}."]
    return "\n".join(rows)


_VALIDITY_EXAMPLES = (
    (date(2026, 5, 20), ValidityTerm.SIX_YEARS),
    (date(2024, 2, 29), ValidityTerm.SIX_YEARS),
    (date(2020, 2, 29), ValidityTerm.TEN_YEARS),
    (date(2016, 2, 29), ValidityTerm.TEN_YEARS),
    (date(2014, 4, 10), ValidityTerm.LONG_TERM),
)


def validity() -> str:
    """validity_term and expiry_date, computed by the rule the validator uses."""
    years = {ValidityTerm.SIX_YEARS: 6, ValidityTerm.TEN_YEARS: 10}
    rows = ["| `issue_date` | `validity_term` | `expiry_date` |", "|---|---|---|"]
    for issued, term in _VALIDITY_EXAMPLES:
        expiry = cn.add_years(issued, years[term]) if term in years else None
        shown = "null" if expiry is None else f"`{expiry}`"
        rows.append(f"| `{issued}` | `{term.json_name}` | {shown} |")
    return "\n".join(rows)


_SCORING_EXAMPLES = (
    (date(2026, 5, 20), date(2026, 11, 25)),
    (date(1992, 4, 10), date(2026, 11, 25)),
    (date(1992, 4, 10), date(2027, 4, 10)),
    (date(2004, 2, 29), date(2026, 11, 25)),
)


def scoring() -> str:
    """scoring_cycle_end from first_issue_date and the points date, by the validator's rule."""
    rows = [
        "| `first_issue_date` | points as of (China date) | `scoring_cycle_end` |",
        "|---|---|---|",
    ]
    for first, as_of in _SCORING_EXAMPLES:
        rows.append(f"| `{first}` | `{as_of}` | `{cn.scoring_cycle_end(first, as_of)}` |")
    return "\n".join(rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "licence-json": json_fields,
    "licence-codes": code_tables,
    "licence-status": status_letters,
    "licence-classes": classes,
    "licence-provinces": provinces,
    "licence-validity": validity,
    "licence-scoring": scoring,
}


def _replacement(content: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return match.group(1) + content + "\n" + match.group(2)

    return replace


def render(doc: str) -> str:
    """``doc`` with each licence section replaced by freshly generated content."""
    for name, make in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED {name} -->\n).*?(<!-- END GENERATED {name} -->)", re.DOTALL
        )
        if not pattern.search(doc):
            raise SystemExit(f"docs/format.md has no generated section {name!r}")
        doc = pattern.sub(_replacement(make()), doc)
    return doc


def outputs() -> dict[Path, str]:
    """Every file this script writes, with its fresh content."""
    return {
        **schema_files(),
        **sample_records(),
        DOC: render(DOC.read_text(encoding="utf-8")),
    }


def stale() -> list[Path]:
    """The generated files that differ from their fresh content (or are missing)."""
    return [
        path
        for path, text in outputs().items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that all are current")
    args = parser.parse_args()
    if args.check:
        if out_of_date := stale():
            names = ", ".join(str(p.relative_to(ROOT)) for p in out_of_date)
            print(f"out of date: {names}; run scripts/gen_licence_doc.py", file=sys.stderr)
            return 1
        return 0
    RECORDS.mkdir(parents=True, exist_ok=True)
    for path, text in outputs().items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
