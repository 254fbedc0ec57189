"""The licence validator: the time-independent error rules of §3, compiled once from the
field table (:mod:`qrseal.licence.fields`) into one checker per field plus the rules that
relate fields. It is the only validator: construction of a licence or privilege runs it,
whichever wire form the values came from, so JSON and compact-map input get the same
problems with the same paths.

Each field checker returns ``()`` for a valid value (the common case, tested first with
the cheapest sufficient test, e.g. one full match of the allow-list pattern) and otherwise
the problems the rule finds. A rule relating fields runs only when its fields passed their
own checks. Section numbers (§) refer to ``licence-model.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType, SimpleNamespace
from typing import Any, Final, NamedTuple, cast

from ..errors import InvalidArgument, InvalidLicence, LicenceProblem
from . import china as cn
from . import text as licence_text
from .fields import (
    ALLOW,
    DATE_MAX,
    DATE_MIN,
    FIELD_ORDER,
    LIST_KINDS,
    TEXT_KINDS,
    TIME_END,
    TIME_MIN,
    FieldKind,
    FieldSpec,
    LicenceField,
    Problem,
    Profile,
    Struct,
)

__all__ = [
    "FORMATS",
    "MESSAGE_PROBLEMS",
    "PORTRAIT_MAGIC",
    "SIGNS",
    "Found",
    "Rule",
    "StructChecker",
    "allowed_words",
    "describe",
    "invalid",
    "join",
    "normalise_text",
    "require_date",
    "text_problem",
]

#: (field path, code, message): one finding before it becomes a LicenceProblem.
Found = tuple[str, Problem, str]
#: (code, message) pairs a field checker finds; ``()`` when the value is valid.
Findings = tuple[tuple[Problem, str], ...]
Check = Callable[[Any], Findings]

_OK: Final[Findings] = ()
_F, _K, _P = LicenceField, FieldKind, Problem

# --- text (§3.6, docs/format.md §5.3) ----------------------------------------------------

_OTHER_DOTS: Final = "\u2022\u2027\u30fb\u22c5"  # bullets and dots that mean U+00B7
_MIDDLE_DOTS: Final = str.maketrans(dict.fromkeys(_OTHER_DOTS, "\u00b7"))
_SPACES: Final = re.compile(r"\s+")


def normalise_text(kind: FieldKind, text: str) -> str:
    """The input normalisation of a text field; stored text must be its fixed point. NFKC
    folds full-width forms, compatibility ideographs and radicals into the characters the
    allow-lists hold; national text also writes every middle dot as U+00B7."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text))
    return text.translate(_MIDDLE_DOTS) if kind is _K.NAME or kind is _K.NATIONAL else text


def text_problem(kind: FieldKind, text: str) -> tuple[Problem, str] | None:
    """The first text rule ``text`` breaks as a field of ``kind`` (§5.3), if any."""
    allow = ALLOW[kind]
    if not text:
        return _P.EMPTY, "must not be empty"
    # A never-allowed character is outside every allow-list: only look for one then.
    outside = allow.first_outside(text)
    if outside is not None and (char := licence_text.first_never_allowed(text)) is not None:
        return _P.FORBIDDEN_CHARACTER, f"U+{ord(char):04X} is not allowed"
    if text != text.strip():
        return _P.WHITESPACE, "leading or trailing whitespace"
    if normalise_text(kind, text) != text:
        return _P.NOT_NORMALISED, "not normalised (NFKC, single spaces, U+00B7 dots)"
    if not allow.spaces and any(c.isspace() for c in text):
        return _P.WHITESPACE, "a national-character name has no spaces"
    if outside is not None:
        if allow.latin1 and outside > "\xff":
            return _P.NOT_LATIN1, "only printable Latin-1 characters are allowed"
        return _P.FORBIDDEN_CHARACTER, f"U+{ord(outside):04X} is not allowed in {allow.what}"
    if len(text) > allow.max_length:
        return _P.TOO_LONG, f"longer than {allow.max_length} code points"
    return None


class Rule(NamedTuple):
    """One field's compiled check: ``check`` returns its findings (``()`` when valid);
    ``fast`` is a Python expression over ``x`` (names from ``env`` in braces) that is true
    only for values ``check`` accepts, inlined by :class:`StructChecker`. The default
    calls ``check`` itself."""

    check: Check
    fast: str = "not {check}(x)"
    env: Mapping[str, object] = MappingProxyType({})


def _text_rule(kind: FieldKind) -> Rule:
    # A full match of the allow-list pattern settles every text rule: each character it
    # admits is its own NFKC form and no mark, and it admits single inner spaces only
    # (tests/licence/test_text.py checks both premises). Anything else gets the rules.
    match = ALLOW[kind].quick.fullmatch

    def check(value: Any) -> Findings:
        if type(value) is str:
            if match(value) is not None:
                return _OK
            found = text_problem(kind, value)
            return _OK if found is None else (found,)
        return ((_P.WRONG_TYPE, "not a str"),)

    return Rule(check, "type(x) is str and {match}(x) is not None", {"match": match})


def _pattern_rule(kind: FieldKind, pattern: re.Pattern[str], what: str) -> Rule:
    """Text of ``kind`` with a format; the formats admit only clean ASCII, so a match also
    settles the text rules."""
    text, match = _text_rule(kind).check, pattern.fullmatch

    def check(value: Any) -> Findings:
        if type(value) is str and match(value) is not None:
            return _OK
        return text(value) or ((_P.INVALID_FORMAT, f"must be {what}"),)

    return Rule(check, "type(x) is str and {match}(x) is not None", {"match": match})


def _vocabulary_rule(kind: FieldKind, words: frozenset[str], problem: Findings) -> Rule:
    """Text of ``kind`` from a vocabulary of clean ASCII codes."""
    text = _text_rule(kind).check

    def check(value: Any) -> Findings:
        if type(value) is str and value in words:
            return _OK
        if found := text(value):
            return found
        if (upper := value.upper()) in words:  # "c1": the code in capitals is one
            return tuple((code, f"{message}; did you mean {upper}?") for code, message in problem)
        return problem

    return Rule(check, "type(x) is str and x in {words}", {"words": words})


# --- dates, times, numbers, lists --------------------------------------------------------

_DATE_RANGE: Final[Findings] = ((_P.DATE_RANGE, "outside 1900-01-01..2999-12-31"),)
_RANGES: Final = {"low": DATE_MIN, "high": DATE_MAX, "start": TIME_MIN, "end": TIME_END}


def _date_check(value: Any) -> Findings:
    if type(value) is date:
        return _OK if DATE_MIN <= value <= DATE_MAX else _DATE_RANGE
    return ((_P.WRONG_TYPE, "not a date"),)


def _time_check(value: Any) -> Findings:
    # Whole UTC seconds: exactly what the compact form (tag 1, integer) can carry.
    if not isinstance(value, datetime):
        return ((_P.WRONG_TYPE, "not a datetime"),)
    if value.utcoffset() != timedelta(0) or value.microsecond:
        return ((_P.NOT_UTC, "must be timezone-aware UTC, whole seconds"),)
    return _OK if TIME_MIN <= value < TIME_END else _DATE_RANGE


def _uint_check(value: Any) -> Findings:
    # Exact type: a bool or an IntEnum member is not a number of points.
    return _OK if type(value) is int else ((_P.WRONG_TYPE, "not an int"),)


_DATE_RULE: Final = Rule(_date_check, "type(x) is {date} and {low} <= x <= {high}", _RANGES)
_TIME_RULE: Final = Rule(
    _time_check,
    "type(x) is {datetime} and x.tzinfo is {UTC} and not x.microsecond and {start} <= x < {end}",
    {**_RANGES, "UTC": UTC},
)
_UINT_RULE: Final = Rule(_uint_check, "type(x) is int")


def _instance_rule(wanted: type[Any]) -> Rule:
    problem: Findings = ((_P.WRONG_TYPE, f"not {wanted.__name__}"),)

    def check(value: Any) -> Findings:
        return _OK if isinstance(value, wanted) else problem

    return Rule(check, "type(x) is {wanted}", {"wanted": wanted})


def _items_rule(item: type[Any]) -> Rule:
    problem: Findings = ((_P.WRONG_TYPE, f"not a tuple of {item.__name__}"),)

    def check(value: Any) -> Findings:
        if type(value) is not tuple:
            return problem
        for element in value:
            if not isinstance(element, item):
                return problem
        return _OK

    return Rule(check, "x == () or not {check}(x)", {})


def _kind_rule(spec: FieldSpec, items: Mapping[FieldKind, type[Any]]) -> Rule:
    """The type and per-kind check of one field."""
    kind = spec.kind
    if kind in TEXT_KINDS:
        return _text_rule(kind)
    if kind is _K.DATE:
        return _DATE_RULE
    if kind is _K.TIME:
        return _TIME_RULE
    if kind is _K.UINT:
        return _UINT_RULE
    if kind in LIST_KINDS:
        return _items_rule(items[kind])
    wanted = {_K.BYTES: bytes, _K.PROFILE: Profile}.get(kind) or spec.enum or type(None)
    return _instance_rule(wanted)


# --- rules on one field of the licence (identifier formats, points, status, portrait) ----

_ALPHA2: Final = re.compile("[A-Z]{2}")
_SUBDIVISION: Final = re.compile("[A-Z]{2}-[A-Z0-9]{1,3}")
_UN_SIGN: Final = re.compile("[A-Z]{1,3}")
_ADMIN_NUMBER: Final = re.compile("[0-9]{12}")
#: A valid status other than "A": known letters, A excluded (it stands alone).
_STATUS_NOT_A: Final = re.compile(f"[{''.join(sorted(cn.STATUS_LETTERS - {'A'}))}]+")
#: The format of each field that has one: its pattern (full match) and what it is, in
#: words. The JSON Schema (:mod:`qrseal.licence.schema`) publishes the same patterns.
FORMATS: Final[Mapping[str, tuple[re.Pattern[str], str]]] = MappingProxyType({
    _F.NATIONALITY: (_ALPHA2, "an ISO 3166-1 alpha-2 code"),
    _F.ISSUING_COUNTRY: (_ALPHA2, "an ISO 3166-1 alpha-2 code"),
    _F.ISSUING_JURISDICTION: (_SUBDIVISION, "an ISO 3166-2 code"),
    _F.UN_DISTINGUISHING_SIGN: (_UN_SIGN, "1-3 capital letters"),
    _F.ADMINISTRATIVE_NUMBER: (_ADMIN_NUMBER, "12 digits"),
    _F.STATUS: (
        re.compile(rf"A|(?!.*(.).*\1){_STATUS_NOT_A.pattern}"),
        "GA 581.5 status letters, each at most once; A stands alone",
    ),
})  # fmt: skip


def allowed_words(words: Iterable[str], order: Iterable[str] = ()) -> str:
    """``words`` for a message: in ``order`` where it names them, the rest sorted."""
    wanted = set(words)
    ordered = [w for w in order if w in wanted]
    return " ".join(ordered + sorted(wanted - set(ordered)))


#: JPEG, JPEG 2000 (JP2) and JPEG 2000 codestream signatures.
PORTRAIT_MAGIC: Final = (b"\xff\xd8\xff", b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")
#: The comparison signs of a restriction code (a warning names others).
SIGNS: Final = frozenset({"=", "<", ">", "<=", ">="})


def _format_rule(kind: FieldKind, name: str) -> Rule:
    return _pattern_rule(kind, *FORMATS[name])


def _un_sign_rule() -> Rule:
    pattern = _format_rule(_K.CODE, _F.UN_DISTINGUISHING_SIGN).check
    rc: Findings = ((_P.UN_SIGN_RC, "RC is Taiwan; the PRC uses CHN"),)

    def check(value: Any) -> Findings:
        return pattern(value) or (rc if value == cn.UN_SIGN_FORBIDDEN else _OK)

    return Rule(check, "x == {default} or not {check}(x)", {"default": cn.UN_SIGN_DEFAULT})


def _admin_number_rule() -> Rule:
    pattern = _format_rule(_K.LATIN_ID, _F.ADMINISTRATIVE_NUMBER).check
    region: Findings = ((_P.UNKNOWN_REGION, "unknown province prefix"),)

    def check(value: Any) -> Findings:
        return pattern(value) or (_OK if value[:2] in cn.PROVINCE_CODES else region)

    fast = "type(x) is str and {match}(x) is not None and x[:2] in {regions}"
    return Rule(check, fast, {"match": _ADMIN_NUMBER.fullmatch, "regions": cn.PROVINCE_CODES})


def _points_check(value: Any) -> Findings:
    if type(value) is int and 0 <= value <= 255:
        return _OK
    return _uint_check(value) or ((_P.POINTS_RANGE, "must be 0..255"),)


def _status_check(status: Any) -> Findings:
    if status == "A" or (
        type(status) is str
        and _STATUS_NOT_A.fullmatch(status) is not None
        and len(set(status)) == len(status)
    ):
        return _OK
    if found := _CODE_TEXT(status):
        return found
    out: list[tuple[Problem, str]] = []
    if unknown := "".join(sorted(set(status) - cn.STATUS_LETTERS)):
        out.append((_P.UNKNOWN_STATUS, f"unknown letters {unknown}; allowed: {_LETTERS}"))
    if len(set(status)) != len(status):
        out.append((_P.DUPLICATE, "a letter appears twice"))
    if "A" in status and len(status) > 1:
        out.append((_P.STATUS_A_NOT_ALONE, "A (normal) must stand alone"))
    return tuple(out)


_CODE_TEXT: Final = _text_rule(_K.CODE).check
_LETTERS: Final = allowed_words(cn.STATUS_LETTERS)


def _portrait_check(value: Any) -> Findings:
    if not isinstance(value, bytes):
        return ((_P.WRONG_TYPE, "not bytes"),)
    if value.startswith(PORTRAIT_MAGIC):
        return _OK
    return ((_P.PORTRAIT_FORMAT, "must be JPEG or JPEG 2000"),)


#: Field rules that add a rule of their own to the kind's check.
_FIELD_RULES: Final[Mapping[str, Rule]] = MappingProxyType({
    _F.NATIONALITY: _format_rule(_K.CODE, _F.NATIONALITY),
    _F.ISSUING_COUNTRY: _format_rule(_K.CODE, _F.ISSUING_COUNTRY),
    _F.ISSUING_JURISDICTION: _format_rule(_K.CODE, _F.ISSUING_JURISDICTION),
    _F.UN_DISTINGUISHING_SIGN: _un_sign_rule(),
    _F.ADMINISTRATIVE_NUMBER: _admin_number_rule(),
    _F.POINTS: Rule(_points_check, "type(x) is int and 0 <= x <= 255"),
    _F.STATUS: Rule(_status_check, "x == 'A' or not {check}(x)"),
    _F.PORTRAIT: Rule(_portrait_check),
    # Privileges: the vocabularies (clean ASCII codes, so membership settles the text).
    "class_code": _vocabulary_rule(
        _K.CODE,
        cn.CLASS_CODES,
        ((_P.UNKNOWN_CLASS, f"not a 2022 class code; allowed: {' '.join(cn.CLASS_ORDER)}"),),
    ),
    "vehicle_category_code": _vocabulary_rule(
        _K.CODE,
        cn.ISO_CATEGORIES,
        ((_P.UNKNOWN_CATEGORY, f"not in Annex B; allowed: {allowed_words(cn.ISO_CATEGORIES)}"),),
    ),
})  # fmt: skip


# --- one structure -----------------------------------------------------------------------


#: Codes of the rules a field checker adds to its kind's check, reported after the type and
#: text findings of every field of a privilege, as they always were.
_RULE_CODES: Final = frozenset({_P.UNKNOWN_CLASS, _P.UNKNOWN_CATEGORY})
#: The rules relating fields of one structure: (value, unusable field names) -> findings.
CrossRules = Callable[[Any, frozenset[str]], list[Found]]
_NOTHING_UNUSABLE: Final = frozenset[str]()


def _no_cross(obj: object, unusable: frozenset[str]) -> list[Found]:
    return []


class StructChecker:
    """The compiled checks of one structure of the field table: per field, whether it is
    required and its rule, then the rules relating its fields. ``items`` names the value
    type of each list kind of the structure.

    :meth:`problems` is compiled at construction into one straight-line function: each
    field's ``fast`` test inlined, then the rules relating fields. The first field whose
    fast test does not settle it hands over to :meth:`all_problems`, which runs every
    field's ``check``; the fast tests only ever accept what the checks accept."""

    __slots__ = ("_cross", "_fields", "problems")

    def __init__(
        self, struct: Struct, items: Mapping[FieldKind, type[Any]], cross: CrossRules | None
    ) -> None:
        rules = [
            (str(name), name in struct.required, _FIELD_RULES.get(name) or _kind_rule(spec, items))
            for name, spec in struct.specs.items()
        ]
        self._fields: tuple[tuple[str, bool, Check], ...] = tuple(
            (name, required, rule.check) for name, required, rule in rules
        )
        self._cross: CrossRules = cross or _no_cross
        self.problems: Callable[[object], list[Found]] = self._compile(rules)

    def _compile(self, rules: list[tuple[str, bool, Rule]]) -> Callable[[object], list[Found]]:
        env: dict[str, object] = {
            "date": date, "datetime": datetime, "_slow": self.all_problems,
            "_cross": self._cross, "_nothing": _NOTHING_UNUSABLE,
        }  # fmt: skip
        lines = ["def problems(v):"]
        for i, (name, required, rule) in enumerate(rules):
            names = {key: f"_{i}_{key}" for key in (*rule.env, "check")}
            env.update({names[key]: value for key, value in rule.env.items()})
            env[names["check"]] = rule.check
            fast = rule.fast.format(**names, date="date", datetime="datetime")
            lines.append(f"    x = v.{name}")
            unsettled = (
                f"x is None or not ({fast})" if required else f"x is not None and not ({fast})"
            )
            lines.append(f"    if {unsettled}: return _slow(v)")
        lines.append("    return _cross(v, _nothing)")
        # Source built here from the field table and the rules above, never from input.
        exec("\n".join(lines), env)  # noqa: S102
        return cast(Callable[[object], list[Found]], env["problems"])

    def field_problems(self, values: Mapping[str, object]) -> list[Found]:
        """The findings of each field's own check on the fields ``values`` holds, and
        nothing about absent or related fields: the check of a partial view (§17), which
        shows some fields and withholds the rest."""
        found: list[Found] = []
        later: list[Found] = []
        for name, _, check in self._fields:
            value = values.get(name)
            if value is not None and (findings := check(value)):
                for code, message in findings:
                    (later if code in _RULE_CODES else found).append((name, code, message))
        return found + later

    def all_problems(self, obj: object) -> list[Found]:
        """Every finding on ``obj``: each field by itself, then the rules relating fields
        that passed their own checks; ``[]`` when ``obj`` is valid."""
        found: list[Found] = []
        later: list[Found] = []
        unusable: list[str] = []
        for name, required, check in self._fields:
            value = getattr(obj, name)
            if value is None:
                unusable.append(name)
                if required:
                    found.append((name, _P.REQUIRED, "is required"))
            elif findings := check(value):
                unusable.append(name)
                for code, message in findings:
                    (later if code in _RULE_CODES else found).append((name, code, message))
        found += later
        return found + self._cross(obj, frozenset(unusable))

    def partial_problems(self, values: Mapping[str, object]) -> list[Found]:
        """Every finding on the fields present in ``values`` (constructor arguments of an
        input that could not be read completely) and the rules relating them; absent
        fields are unusable, not reported: their reader has named them already."""
        fields = dict.fromkeys((name for name, _, _ in self._fields), None)
        view = SimpleNamespace(**(fields | {k: v for k, v in values.items() if k in fields}))
        return [found for found in self.all_problems(view) if found[1] is not _P.REQUIRED]


# --- the error ---------------------------------------------------------------------------


def join(path: str, name: str) -> str:
    """``name`` inside the structure at ``path`` ("" at the top)."""
    return f"{path}.{name}" if path else name


def invalid(found: Iterable[Found | LicenceProblem], ordered: bool = False) -> InvalidLicence:
    """The error for a non-empty list of findings; ``field`` names the first one. With
    ``ordered``, sorted by licence field order (stable), so "the first offending field"
    does not depend on which rule happened to run first."""
    problems = [p if isinstance(p, LicenceProblem) else LicenceProblem(*p) for p in found]
    if ordered:

        def position(problem: LicenceProblem) -> int:
            top = re.split(r"[.\[]", problem.field, maxsplit=1)[0]
            return FIELD_ORDER.get(top, len(FIELD_ORDER))

        problems.sort(key=position)
    return InvalidLicence(describe(problems), field=problems[0].field, problems=tuple(problems))


#: Problems a message spells out: every one of a hand-written record (it has 36 fields), a
#: bounded text for hostile input. The error's ``problems`` always holds them all.
MESSAGE_PROBLEMS: Final = 100


def describe(problems: Sequence[LicenceProblem]) -> str:
    """One line for one problem, else a count and every problem on a line of its own (the
    first :data:`MESSAGE_PROBLEMS`)."""
    lines = [f"{p.field}: {p.message}" for p in problems[:MESSAGE_PROBLEMS]]
    if len(problems) == 1:
        return lines[0]
    if len(problems) > MESSAGE_PROBLEMS:
        lines.append(f"... {len(problems) - MESSAGE_PROBLEMS} more in the error's problems")
    return "\n  ".join((f"{len(problems)} problems:", *lines))


def require_date(value: object, name: str) -> date:
    """``value`` if it is a ``datetime.date`` (not a datetime), else InvalidArgument."""
    # datetime is a subclass of date, and comparing one with a date raises TypeError.
    if type(value) is not date:
        raise InvalidArgument(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value
