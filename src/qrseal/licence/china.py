"""China (电子驾驶证) profile tables: licence classes and their implications, the ISO
category mapping, status letters, region codes and the citizen-ID check character.

Everything here is an immutable module-level constant or a pure function. Section
numbers (§) refer to ``licence-model.md``. Facts the model marks [V] (sources conflict)
are kept switchable: the status-letter table version (:class:`StatusTable`) and the
conditional C5 implication (``include_c5``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta, timezone
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "C5_CONDITIONAL_HOLDERS",
    "CLASS_CODES",
    "CLASS_MIN_AGE",
    "CLASS_ORDER",
    "CN_TO_ISO",
    "CN_UTC_OFFSET",
    "HMT_ADDRESS_CODES",
    "ID_CHECK_CHARACTERS",
    "ID_WEIGHTS",
    "IMPLIES_2022",
    "IMPLIES_PRE_2022",
    "ISO_CATEGORIES",
    "JURISDICTIONS",
    "PROFESSIONAL_CLASSES",
    "PROFESSIONAL_MAX_AGE",
    "PROVINCE_CODES",
    "PROVINCE_JURISDICTION",
    "REGULATION_2022",
    "STATUS_LETTERS",
    "STATUS_MEANINGS",
    "STATUS_VERDICTS",
    "UN_SIGN_DEFAULT",
    "UN_SIGN_FORBIDDEN",
    "DrivePermitted",
    "StatusTable",
    "add_years",
    "derivable_iso_categories",
    "full_years",
    "id_check_character",
    "implication_table",
    "letter_verdicts",
    "permitted_closure",
    "scoring_cycle_end",
    "status_verdict",
]


class DrivePermitted(StrEnum):
    """Whether the holder may drive: ``check`` means "look the record up online"."""

    YES = "yes"
    NO = "no"
    CHECK = "check"


class StatusTable(StrEnum):
    """Which GA 581.5 wording the status letters follow (§2.9; K and R differ) [V]."""

    GA581_5_2005 = "ga581.5-2005"
    CURRENT = "current"


#: China Standard Time has no daylight saving; dates on the licence are local dates.
CN_UTC_OFFSET: Final = timezone(timedelta(hours=8))

#: 162号令 took effect on this day: it added C6 and the A2 → C6 implication (§2.5).
REGULATION_2022: Final = date(2022, 4, 1)

#: GB/T 2260 two-digit province code → ISO 3166-2:CN subdivision (§3.2).
PROVINCE_JURISDICTION: Final[Mapping[str, str]] = MappingProxyType(
    {
        "11": "CN-BJ", "12": "CN-TJ", "13": "CN-HE", "14": "CN-SX", "15": "CN-NM",
        "21": "CN-LN", "22": "CN-JL", "23": "CN-HL",
        "31": "CN-SH", "32": "CN-JS", "33": "CN-ZJ", "34": "CN-AH", "35": "CN-FJ",
        "36": "CN-JX", "37": "CN-SD",
        "41": "CN-HA", "42": "CN-HB", "43": "CN-HN", "44": "CN-GD", "45": "CN-GX", "46": "CN-HI",
        "50": "CN-CQ", "51": "CN-SC", "52": "CN-GZ", "53": "CN-YN", "54": "CN-XZ",
        "61": "CN-SN", "62": "CN-GS", "63": "CN-QH", "64": "CN-NX", "65": "CN-XJ",
        "71": "CN-TW", "81": "CN-HK", "82": "CN-MO",
    }
)  # fmt: skip
#: Province codes an ID or file number may start with; 83 is only used by the Taiwan
#: residents' residence permit (address code 830000) and has no subdivision of its own.
PROVINCE_CODES: Final = frozenset(PROVINCE_JURISDICTION) | {"83"}
#: Valid ``issuing_jurisdiction`` values for ``issuing_country == "CN"``.
JURISDICTIONS: Final = frozenset(PROVINCE_JURISDICTION.values())
#: Address codes of the Hong Kong, Macau and Taiwan residents' residence permits (§2.3).
HMT_ADDRESS_CODES: Final = frozenset({"810000", "820000", "830000"})

#: CN profile ``un_distinguishing_sign``: China has no UN sign; "RC" is Taiwan (§0.4).
UN_SIGN_DEFAULT: Final = "CHN"
UN_SIGN_FORBIDDEN: Final = "RC"

# --- calendar conventions ---------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """Same month and day ``years`` later; 29 February becomes 28 February (§3.3)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def full_years(start: date, end: date) -> int:
    """Completed years from ``start`` to ``end`` (an age, 驾龄); negative before ``start``."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def scoring_cycle_end(first_issue: date, as_of: date) -> date:
    """Last day of the 12-month scoring cycle containing ``as_of``: cycles start on the
    anniversaries of 初次领证日期 (§2.6), so this is the day before the first anniversary
    after ``as_of``."""
    years = max(1, as_of.year - first_issue.year)
    while add_years(first_issue, years) <= as_of:
        years += 1
    return add_years(first_issue, years) - timedelta(days=1)


# --- licence classes (§2.5) -------------------------------------------------------------

#: Canonical (printed) order of the 准驾车型 codes.
CLASS_ORDER: Final = (
    "A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "C4", "C5", "C6", "D", "E", "F", "M", "N", "P",
)  # fmt: skip
CLASS_CODES: Final = frozenset(CLASS_ORDER)

#: Classes directly implied by each class, 2022 table (162号令 附件1).
IMPLIES_2022: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "A1": frozenset({"A3", "B1", "B2", "C1", "C2", "C3", "C4", "M"}),
        "A2": frozenset({"B1", "B2", "C1", "C2", "C3", "C4", "C6", "M"}),
        "A3": frozenset({"C1", "C2", "C3", "C4"}),
        "B1": frozenset({"C1", "C2", "C3", "C4", "M"}),
        "B2": frozenset({"C1", "C2", "C3", "C4", "M"}),
        "C1": frozenset({"C2", "C3", "C4"}),
        "C3": frozenset({"C4"}),
        "D": frozenset({"E", "F"}),
        "E": frozenset({"F"}),
    }
)
#: Before 2022-04-01 there was no C6, so A2 did not imply it. Whether a pre-2022 A2 gains
#: C6 on renewal is not established [V]; the table follows the licence's ``issue_date``.
IMPLIES_PRE_2022: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {code: implied - {"C6"} for code, implied in IMPLIES_2022.items()}
)
#: Holders of these classes may also drive C5 under the "便利残疾人家庭共用车辆" policy
#: only; off unless a caller asks for it (§2.5, [V]).
C5_CONDITIONAL_HOLDERS: Final = frozenset({"A1", "A2", "A3", "B1", "B2", "C1", "C2"})

#: Large/medium passenger and truck classes: stricter ages, 审验 duties (§2.5, §2.7).
PROFESSIONAL_CLASSES: Final = frozenset({"A1", "A2", "A3", "B1", "B2"})
#: Holders of professional classes at this age or older must downgrade. "63周岁以上" in
#: Chinese legal usage includes 63 itself [K, V].
PROFESSIONAL_MAX_AGE: Final = 63
#: Minimum age when a class is granted (warning level only; §2.5 [K, V]).
CLASS_MIN_AGE: Final[Mapping[str, int]] = MappingProxyType(
    {"A1": 22, "A2": 22, "A3": 20, "B1": 20, "B2": 20, "C1": 18, "C2": 18, "C5": 18, "F": 18}
)

#: ISO/IEC 18013-1 Annex B vehicle categories.
ISO_CATEGORIES: Final = frozenset(
    {"AM", "A1", "A2", "A", "B1", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE"}
)
#: Informative CN class → ISO category mapping (§2.12). Not legal equivalence: it only
#: decides which ISO categories a CN-profile licence may carry.
CN_TO_ISO: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "A1": frozenset({"D"}),
        "A2": frozenset({"CE"}),
        "A3": frozenset({"D"}),
        "B1": frozenset({"D1"}),
        "B2": frozenset({"C", "C1"}),
        "C1": frozenset({"B"}),
        "C2": frozenset({"B"}),
        "C5": frozenset({"B"}),
        "C6": frozenset({"BE"}),
        "D": frozenset({"A"}),
        "E": frozenset({"A"}),
        "F": frozenset({"AM"}),
    }
)


def implication_table(issued: date) -> Mapping[str, frozenset[str]]:
    """The implication table of the regulation in force on ``issued``."""
    return IMPLIES_2022 if issued >= REGULATION_2022 else IMPLIES_PRE_2022


def _closures(table: Mapping[str, frozenset[str]]) -> Mapping[str, frozenset[str]]:
    """Each class with every class it implies, transitively: the closure of a set of
    classes is the union of its members' closures, so licences look them up."""

    def closure(code: str) -> frozenset[str]:
        result: set[str] = set()
        todo = [code]
        while todo:
            if (current := todo.pop()) not in result:
                result.add(current)
                todo.extend(table.get(current, ()))
        return frozenset(result)

    return MappingProxyType({code: closure(code) for code in CLASS_ORDER})


def _iso_images(closures: Mapping[str, frozenset[str]]) -> Mapping[str, frozenset[str]]:
    """Each class with the §2.12 ISO categories of its closure."""
    return MappingProxyType({
        code: frozenset(cat for implied in closure for cat in CN_TO_ISO.get(implied, ()))
        for code, closure in closures.items()
    })  # fmt: skip


_CLOSURES_2022: Final = _closures(IMPLIES_2022)
_CLOSURES_PRE_2022: Final = _closures(IMPLIES_PRE_2022)
_ISO_2022: Final = _iso_images(_CLOSURES_2022)
_ISO_PRE_2022: Final = _iso_images(_CLOSURES_PRE_2022)
_NOTHING: Final[frozenset[str]] = frozenset()


def permitted_closure(
    classes: Iterable[str], issued: date, *, include_c5: bool = False
) -> frozenset[str]:
    """``classes`` plus every class they imply, transitively, under the table in force on
    ``issued``; C5 is added for its conditional holders only when ``include_c5``."""
    closures = _CLOSURES_2022 if issued >= REGULATION_2022 else _CLOSURES_PRE_2022
    result = _NOTHING
    for code in classes:
        result |= closures.get(code) or {code}  # an unknown code implies only itself
    if include_c5 and result & C5_CONDITIONAL_HOLDERS:
        result |= {"C5"}
    return result


def derivable_iso_categories(classes: Iterable[str], issued: date) -> frozenset[str]:
    """ISO categories a CN-profile licence may carry: the §2.12 mapping of the closure."""
    images = _ISO_2022 if issued >= REGULATION_2022 else _ISO_PRE_2022
    result = _NOTHING
    for code in classes:
        result |= images.get(code, _NOTHING)
    return result


# --- status letters (§2.9) --------------------------------------------------------------

_Y, _N, _C = DrivePermitted.YES, DrivePermitted.NO, DrivePermitted.CHECK
_CURRENT_VERDICTS: Final = {
    "A": _Y, "B": _N, "C": _C, "D": _N, "E": _N, "F": _N, "G": _N, "H": _Y, "I": _Y, "J": _N,
    "K": _N, "L": _C, "M": _N, "N": _N, "P": _N, "R": _N, "S": _N, "T": _N, "U": _N, "Z": _C,
}  # fmt: skip
#: Our interpretation of each letter, per table version. Only K differs: 协查 (an
#: investigation request, look it up) in 2005 versus 扣押 (seized) now; R means
#: 逾期未体检 or 注销可恢复, "no" either way.
STATUS_VERDICTS: Final[Mapping[StatusTable, Mapping[str, DrivePermitted]]] = MappingProxyType(
    {
        StatusTable.CURRENT: MappingProxyType(_CURRENT_VERDICTS),
        StatusTable.GA581_5_2005: MappingProxyType(_CURRENT_VERDICTS | {"K": _C}),
    }
)
#: Letters accepted in ``status``: the union of the observed tables (O and Q are unused).
STATUS_LETTERS: Final = frozenset(_CURRENT_VERDICTS)
_CURRENT_MEANINGS: Final = {
    "A": "正常 normal", "B": "超分 12 points or more", "C": "转出 record transferred",
    "D": "暂扣 suspended", "E": "撤销 revoked (obtained improperly)",
    "F": "吊销 revoked as a penalty", "G": "注销 cancelled", "H": "违法未处理 unresolved violation",
    "I": "事故未处理 unresolved accident", "J": "停止使用 use stopped", "K": "扣押 seized",
    "L": "锁定 locked", "M": "逾期未换证 expired, not renewed", "N": "延期换证 renewal deferred",
    "P": "延期体检 health check deferred", "R": "注销可恢复 cancelled, restorable",
    "S": "逾期未审验 review overdue", "T": "延期审验 review deferred", "U": "扣留 detained",
    "Z": "其他 other",
}  # fmt: skip
#: What each letter means, per table version (§2.9; the docs' table is generated from it).
STATUS_MEANINGS: Final[Mapping[StatusTable, Mapping[str, str]]] = MappingProxyType(
    {
        StatusTable.CURRENT: MappingProxyType(_CURRENT_MEANINGS),
        StatusTable.GA581_5_2005: MappingProxyType(
            _CURRENT_MEANINGS
            | {"K": "协查 investigation request", "R": "逾期未体检 health check overdue"}
        ),
    }
)


def letter_verdicts(
    letters: str, table: StatusTable = StatusTable.CURRENT
) -> tuple[tuple[str, DrivePermitted], ...]:
    """Each letter with its verdict; an unknown letter gives "check" (never a guessed "yes")."""
    verdicts = STATUS_VERDICTS[table]
    return tuple((letter, verdicts.get(letter, _C)) for letter in letters)


def status_verdict(letters: str, table: StatusTable = StatusTable.CURRENT) -> DrivePermitted:
    """Combine the letters' verdicts (:func:`letter_verdicts`): any "no" wins, then any
    "check", else "yes"; no letters at all give "check"."""
    verdicts = {verdict for _, verdict in letter_verdicts(letters, table)} or {_C}
    return _N if _N in verdicts else _C if _C in verdicts else _Y


# --- citizen ID number (GB 11643, ISO 7064 MOD 11-2; §3.1) -----------------------------

#: Weights of positions 1..17, left to right: 2^(18-i) mod 11.
ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character indexed by (weighted sum mod 11).
ID_CHECK_CHARACTERS: Final = "10X98765432"


def id_check_character(body: str) -> str:
    """The MOD 11-2 check character of the first 17 digits of an 18-character ID.

    ``body`` must be 17 ASCII digits (callers check the pattern first)."""
    if len(body) == 17 and body.isascii() and body.isdigit():
        # The weights are 2^(18-i) mod 11, and 13 = 2 (mod 11): so the weighted sum is
        # 2 * (the digits read in base 13) mod 11, one C call instead of 17 products.
        return ID_CHECK_CHARACTERS[2 * int(body, 13) % 11]
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]
