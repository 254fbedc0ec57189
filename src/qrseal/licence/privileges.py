"""The privileges of a licence: granted Chinese classes, ISO vehicle categories and their
restriction codes. Immutable values, valid by construction (the validator of
:mod:`qrseal.licence.rules`, compiled from the field table). Section numbers (§) refer to
``licence-model.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from .fields import CODE, DOMESTIC, DRIVING, FieldKind
from .relations import driving_cross_problems
from .rules import StructChecker, invalid

__all__ = ["ITEM_CHECKS", "DomesticPrivilege", "DrivingPrivilege", "PrivilegeCode"]


@dataclass(frozen=True, slots=True)
class PrivilegeCode:
    """A restriction or condition code (ISO/IEC 18013-2 Annex A shape), e.g. ``02``.

    Raises :class:`~qrseal.errors.InvalidLicence` when a value breaks a rule."""

    code: str
    sign: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        if found := _CODE_CHECK.problems(self):
            raise invalid(found)


_CODE_CHECK: Final = StructChecker(CODE, {}, None)
_WITH_CODES: Final = {FieldKind.CODES: PrivilegeCode}


@dataclass(frozen=True, slots=True)
class DomesticPrivilege:
    """One granted 准驾车型 class (§2.5) with its 增驾 date and inclusive 实习期 end.

    Raises :class:`~qrseal.errors.InvalidLicence` when a value breaks a rule."""

    class_code: str
    issue_date: date | None = None
    probation_end_date: date | None = None
    codes: tuple[PrivilegeCode, ...] = ()

    def __post_init__(self) -> None:
        if found := _DOMESTIC_CHECK.problems(self):
            raise invalid(found)


_DOMESTIC_CHECK: Final = StructChecker(DOMESTIC, _WITH_CODES, None)


@dataclass(frozen=True, slots=True)
class DrivingPrivilege:
    """One ISO/IEC 18013-1 Annex B vehicle category (never a Chinese class code).

    Raises :class:`~qrseal.errors.InvalidLicence` when a value breaks a rule."""

    vehicle_category_code: str
    issue_date: date | None = None
    expiry_date: date | None = None
    codes: tuple[PrivilegeCode, ...] = ()

    def __post_init__(self) -> None:
        if found := _DRIVING_CHECK.problems(self):
            raise invalid(found)


_DRIVING_CHECK: Final = StructChecker(DRIVING, _WITH_CODES, driving_cross_problems)

#: The validator of each list item type (to check what could be read of a broken item).
ITEM_CHECKS: Final[Mapping[type, StructChecker]] = MappingProxyType({
    PrivilegeCode: _CODE_CHECK,
    DomesticPrivilege: _DOMESTIC_CHECK,
    DrivingPrivilege: _DRIVING_CHECK,
})  # fmt: skip
