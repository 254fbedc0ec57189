"""The rules relating fields of a licence or privilege (§3.1-§3.4): ID numbers against
the birth date and sex, date order, age at first issue, long-term expiry, duplicate and
derivable privileges. Each runs only on fields that passed their own checks
(:mod:`qrseal.licence.rules`), which hand over the names of the unusable ones. Section
numbers (§) refer to ``licence-model.md``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Final

from . import china as cn
from .fields import DocumentNumberType, LicenceField, Problem, Sex, ValidityTerm
from .rules import Found

__all__ = ["ID_TYPES", "driving_cross_problems", "id_problems", "licence_cross_problems"]

_F, _P = LicenceField, Problem
_ID18: Final = re.compile("[0-9]{17}[0-9X]")
_PR2017: Final = re.compile("[A-Z]{3}[0-9]{12}")
#: Document types whose number is an 18-character Chinese ID number (§3.1).
ID_TYPES: Final = frozenset({
    DocumentNumberType.CN_RESIDENT_ID, DocumentNumberType.CN_HMT_RESIDENCE_PERMIT,
    DocumentNumberType.CN_FOREIGN_PR_ID_2023,
})  # fmt: skip


# Enum members as module constants: attribute access on an Enum class is slow, and these
# rules run for every licence a verifier reads.
_MALE, _FEMALE, _LONG_TERM = Sex.MALE, Sex.FEMALE, ValidityTerm.LONG_TERM
_PR_2017 = DocumentNumberType.CN_FOREIGN_PR_ID_2017
_PR_2023 = DocumentNumberType.CN_FOREIGN_PR_ID_2023
_HMT = DocumentNumberType.CN_HMT_RESIDENCE_PERMIT


def id_problems(
    number: str, kind: DocumentNumberType, born: date | None, sex: Sex | None
) -> list[tuple[Problem, str]]:
    """§3.1 rules for an 18-character ID number; ``born``/``sex`` are None when unusable."""
    if not _ID18.fullmatch(number):
        return [(_P.INVALID_FORMAT, "must be 17 digits and a check digit or X")]
    found: list[tuple[Problem, str]] = []
    if cn.id_check_character(number[:17]) != number[17]:
        found.append((_P.ID_CHECKSUM, "MOD 11-2 check character does not match"))
    pr_card = kind is _PR_2023
    if pr_card and number[0] != "9":
        found.append((_P.UNKNOWN_REGION, "a 2023 permanent-residence number starts with 9"))
    elif not pr_card and number[:2] not in cn.PROVINCE_CODES:
        found.append((_P.UNKNOWN_REGION, "unknown province code"))
    elif kind is _HMT and number[:6] not in cn.HMT_ADDRESS_CODES:
        found.append((_P.UNKNOWN_REGION, "address code must be 810000, 820000 or 830000"))
    digits = int(number[6:14])
    if born is not None:
        # The digits match a valid birth date exactly when they spell it.
        matches = digits == born.year * 10000 + born.month * 100 + born.day
    else:  # birth_date unusable: only whether the digits spell a date at all
        try:
            matches = bool(date(digits // 10000, digits // 100 % 100, digits % 100))
        except ValueError:
            matches = False
    if not matches:
        found.append((_P.ID_BIRTH_DATE, "digits 7-14 do not match birth_date"))
    # Sequence parity encodes sex on citizen IDs; on the 2023 PR card it is unconfirmed [V].
    parity_sex = _MALE if number[16] in "13579" else _FEMALE
    if not pr_card and (sex is _MALE or sex is _FEMALE) and sex is not parity_sex:
        found.append((_P.ID_SEX, "digit 17 parity does not match sex"))
    return found


def driving_cross_problems(v: Any, bad: frozenset[str]) -> list[Found]:
    """The rule relating fields of a driving privilege: its dates in order."""
    issued, expires = v.issue_date, v.expiry_date
    if issued is None or expires is None or "issue_date" in bad or "expiry_date" in bad:
        return []
    return [("expiry_date", _P.DATE_ORDER, "before issue_date")] if issued > expires else []


def _duplicates(group: str, codes: list[str]) -> list[Found]:
    return [
        (f"{group}[{i}]", _P.DUPLICATE, f"{code} listed twice")
        for i, code in enumerate(codes)
        if code in codes[:i]
    ]


# Field names as plain str: hashing a StrEnum member runs Python code, and these rules
# run for every licence a verifier reads.
_BIRTH_DATE: Final = str(_F.BIRTH_DATE)
_DOCUMENT_NUMBER: Final = str(_F.DOCUMENT_NUMBER)
_DOCUMENT_NUMBER_TYPE: Final = str(_F.DOCUMENT_NUMBER_TYPE)
_DOMESTIC_PRIVILEGES: Final = str(_F.DOMESTIC_PRIVILEGES)
_DRIVING_PRIVILEGES: Final = str(_F.DRIVING_PRIVILEGES)
_EXPIRY_DATE: Final = str(_F.EXPIRY_DATE)
_FIRST_ISSUE_DATE: Final = str(_F.FIRST_ISSUE_DATE)
_ISSUE_DATE: Final = str(_F.ISSUE_DATE)
_ISSUING_COUNTRY: Final = str(_F.ISSUING_COUNTRY)
_ISSUING_JURISDICTION: Final = str(_F.ISSUING_JURISDICTION)
_SEX: Final = str(_F.SEX)
_VALIDITY_TERM: Final = str(_F.VALIDITY_TERM)


def licence_cross_problems(v: Any, bad: frozenset[str]) -> list[Found]:
    """The rules relating fields of licence ``v``; a field named in ``bad`` is unusable."""
    found: list[Found] = []
    if _ISSUING_JURISDICTION not in bad and _ISSUING_COUNTRY not in bad:
        jurisdiction, country = v.issuing_jurisdiction, v.issuing_country
        if not jurisdiction.startswith(country + "-"):
            found.append(
                (_ISSUING_JURISDICTION, _P.JURISDICTION_MISMATCH, "not in issuing_country")
            )
        elif country == "CN" and jurisdiction not in cn.JURISDICTIONS:
            found.append((_ISSUING_JURISDICTION, _P.UNKNOWN_REGION, "not an ISO 3166-2:CN code"))
    if _DOCUMENT_NUMBER not in bad and _DOCUMENT_NUMBER_TYPE not in bad:
        number, kind = v.document_number, v.document_number_type
        if kind is _PR_2017:
            if not _PR2017.fullmatch(number):
                message = "must be 3 capital letters + 12 digits"
                found.append((_DOCUMENT_NUMBER, _P.INVALID_FORMAT, message))
        elif kind in ID_TYPES:  # other document types are opaque Latin-1 text
            born = None if _BIRTH_DATE in bad else v.birth_date
            sex = None if _SEX in bad else v.sex
            if wrong := id_problems(number, kind, born, sex):
                found += [(_DOCUMENT_NUMBER, *p) for p in wrong]
    first, issued, expiry = v.first_issue_date, v.issue_date, v.expiry_date
    if _FIRST_ISSUE_DATE not in bad:
        if _BIRTH_DATE not in bad and cn.full_years(v.birth_date, first) < 18:
            found.append((_FIRST_ISSUE_DATE, _P.UNDERAGE, "holder younger than 18 at first issue"))
        if _ISSUE_DATE not in bad and first > issued:
            found.append((_FIRST_ISSUE_DATE, _P.DATE_ORDER, "after issue_date"))
    # expiry_date is None for a long-term licence: usable unless it failed its check.
    expiry_ok = expiry is None or _EXPIRY_DATE not in bad
    if expiry is not None and expiry_ok and _ISSUE_DATE not in bad and issued > expiry:
        found.append((_EXPIRY_DATE, _P.DATE_ORDER, "before issue_date"))
    long_term = expiry_ok and _VALIDITY_TERM not in bad
    if long_term and (v.validity_term is _LONG_TERM) != (expiry is None):
        message = "null exactly when validity_term is long_term"
        found.append((_EXPIRY_DATE, _P.LONG_TERM_EXPIRY, message))
    if _DOMESTIC_PRIVILEGES not in bad:
        classes = [p.class_code for p in v.domestic_privileges]
        if len(set(classes)) != len(classes):
            found += _duplicates(_DOMESTIC_PRIVILEGES, classes)
        if _DRIVING_PRIVILEGES not in bad and (driving := v.driving_privileges):
            categories = [p.vehicle_category_code for p in driving]
            if len(set(categories)) != len(categories):
                found += _duplicates(_DRIVING_PRIVILEGES, categories)
            if _ISSUE_DATE not in bad:
                # Catches a Chinese C1 (car) copied as ISO C1 (medium truck): §2.12, §3.4.
                allowed = cn.derivable_iso_categories(classes, issued)
                for i, category in enumerate(categories):
                    if category not in allowed:
                        where = f"{_DRIVING_PRIVILEGES}[{i}].vehicle_category_code"
                        message = "not derivable from the CN classes"
                        found.append((where, _P.CATEGORY_NOT_DERIVABLE, message))
    elif _DRIVING_PRIVILEGES not in bad:
        categories = [p.vehicle_category_code for p in v.driving_privileges]
        found += _duplicates(_DRIVING_PRIVILEGES, categories)
    return found
