"""Disclosure views of a licence and the issuer's age attestations (docs/format.md §17).

A *view* is a named set of data elements: the licence fields (their JSON names) plus the
ISO/IEC 18013-5 age elements ``age_over_NN``, ``age_in_years`` and ``age_birth_year``. The
issuer signs one credential per view (the mechanism chosen by measurement, §17.2); the
holder shows the one a verifier needs, and the verifier learns exactly that view's elements
and which of the always-present licence fields it withholds.

Age elements are computed here, by the issuer, from the birth date at the signing time, in
China-local dates (licence dates are local): a verifier never computes them from a hidden
birth date.

>>> from qrseal.testing import FIXED_NOW, sample_licence
>>> elements = view_elements(sample_licence(0), AGE, now=FIXED_NOW)
>>> elements  # age_over_18's key is -1 - 18
{-19: True}
>>> sorted(element_names(elements))
['age_over_18']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from ..errors import InvalidArgument
from ..wire.cbor import sort_key
from . import china as cn
from .fields import LICENCE, LicenceField, Problem
from .model import Licence, check_fields
from .rules import Found, invalid
from .wire import read_cbor_fields

__all__ = [
    "AGE",
    "AGE_BIRTH_YEAR",
    "AGE_IN_YEARS",
    "ALWAYS_PRESENT",
    "DEFAULT_AGE_THRESHOLDS",
    "FULL",
    "RENTAL",
    "VIEWS",
    "Disclosure",
    "View",
    "age_elements",
    "age_over_key",
    "decode_disclosure",
    "element_names",
    "key_name",
    "resolve_view",
    "view_elements",
]

_F = LicenceField

#: Compact-map keys of the age elements (after the licence keys 0-36): ``age_in_years``,
#: ``age_birth_year``, and for ``age_over_NN`` (a bool) the negative integer ``-1 - NN``,
#: whose CBOR head carries NN itself: one byte for the usual thresholds up to 23 (16, 18,
#: 21), so that a one-element age view costs 3 bytes of licence map.
AGE_IN_YEARS: Final = 37
AGE_BIRTH_YEAR: Final = 38


def age_over_key(threshold: int) -> int:
    """The compact key of ``age_over_NN`` for NN = ``threshold`` (0-99): ``-1 - NN``."""
    return -1 - threshold


#: The thresholds an issuer attests by default (ISO/IEC 18013-5 allows any NN in 00-99).
DEFAULT_AGE_THRESHOLDS: Final = (16, 18, 21, 60, 70)
_AGE_OVER_NAME: Final = re.compile(r"age_over_([0-9]{2})")
_AGE_NAMES: Final = MappingProxyType(
    {"age_in_years": AGE_IN_YEARS, "age_birth_year": AGE_BIRTH_YEAR}
)
#: Element name -> compact key, every licence field and the two scalar age elements.
ELEMENT_KEYS: Final[Mapping[str, int]] = MappingProxyType(
    {**{str(name): spec.key for name, spec in LICENCE.specs.items()}, **_AGE_NAMES}
)
_KEY_NAMES: Final = MappingProxyType({key: name for name, key in ELEMENT_KEYS.items()})


@dataclass(frozen=True, slots=True)
class View:
    """A named disclosure view: the element names it shows (licence fields by their JSON
    names, ``age_over_NN``, ``age_in_years``, ``age_birth_year``).

    Construction checks the names; raises ``InvalidArgument`` for an unknown element or an
    empty view. ``profile`` always travels (it says how to read the rest)."""

    name: str
    elements: frozenset[str]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[a-z0-9_]{1,16}", self.name):
            raise InvalidArgument("a view name is 1-16 characters of a-z, 0-9 and _")
        if not isinstance(self.elements, frozenset) or not self.elements:
            raise InvalidArgument("a view names a non-empty frozenset of elements")
        for element in self.elements:
            if element not in ELEMENT_KEYS and not (
                isinstance(element, str) and _AGE_OVER_NAME.fullmatch(element)
            ):
                raise InvalidArgument(f"unknown data element {element!r}")

    @property
    def age_over(self) -> tuple[int, ...]:
        """The ``age_over_NN`` thresholds this view shows, ascending."""
        return tuple(
            sorted(int(m.group(1)) for e in self.elements if (m := _AGE_OVER_NAME.fullmatch(e)))
        )


_NAMES: Final = frozenset({
    _F.FAMILY_NAME, _F.GIVEN_NAME, _F.FAMILY_NAME_NATIONAL_CHARACTER,
    _F.GIVEN_NAME_NATIONAL_CHARACTER, _F.FULL_NAME_NATIONAL_CHARACTER,
})  # fmt: skip
#: Police: every licence element the QR carries, with the ISO-mandatory issuing authority
#: and the portrait when the record has one (the address stays out: counterpart page).
FULL: Final = View(
    "full",
    frozenset(
        map(
            str,
            set(_F)
            - {
                _F.RESIDENT_ADDRESS,
                _F.RESIDENT_ADDRESS_NATIONAL_CHARACTER,
                _F.ISSUING_AUTHORITY_NATIONAL_CHARACTER,
            },
        )
    ),
)
#: A car-rental desk: names, portrait, classes, validity, status and points; no ID number,
#: birth date or address. The classes are the domestic ones (准驾车型): every ISO category
#: derives from them (§5.1), and leaving the ISO list out keeps the view at QR version 14.
RENTAL: Final = View(
    "rental",
    frozenset(
        map(
            str,
            _NAMES
            | {
                _F.PROFILE, _F.PORTRAIT, _F.DOMESTIC_PRIVILEGES, _F.ISSUE_DATE,
                _F.EXPIRY_DATE, _F.VALIDITY_TERM, _F.POINTS, _F.POINTS_SCHEME, _F.POINTS_AS_OF, _F.SCORING_CYCLE_END, _F.STATUS,
                _F.SUSPENSION_END_DATE,
            },
        )
    ),
)  # fmt: skip
#: A bar: one ``age_over_18`` attestation and nothing identifying.
AGE: Final = View("age", frozenset({"age_over_18"}))
#: The built-in views by name.
VIEWS: Final[Mapping[str, View]] = MappingProxyType({v.name: v for v in (FULL, RENTAL, AGE)})


def resolve_view(view: str | View) -> View:
    """A :class:`View` from itself or a built-in name; ``age_over_NN`` names the one-element
    age view for that threshold. Raises ``InvalidArgument`` for anything else."""
    if isinstance(view, View):
        return view
    if isinstance(view, str):
        if view in VIEWS:
            return VIEWS[view]
        if _AGE_OVER_NAME.fullmatch(view):
            return View(view.replace("age_over_", "age"), frozenset({view}))
    raise InvalidArgument(f"unknown view {view!r}: one of {sorted(VIEWS)}, age_over_NN or a View")


def age_elements(
    licence: Licence, *, now: datetime, thresholds: Iterable[int] = DEFAULT_AGE_THRESHOLDS
) -> dict[int, object]:
    """The age elements at ``now`` (the signing time), by compact key: age in whole years
    on the China-local date, the birth year, and ``{NN: age >= NN}`` for each threshold.
    Raises ``InvalidArgument`` for a naive ``now`` or a threshold outside 0-99."""
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise InvalidArgument("now must be a timezone-aware datetime")
    marks = sorted(set(thresholds))
    if any(isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= 99 for t in marks):
        raise InvalidArgument("age thresholds are integers 0-99 (age_over_NN)")
    age = cn.full_years(licence.birth_date, now.astimezone(cn.CN_UTC_OFFSET).date())
    out: dict[int, object] = {AGE_IN_YEARS: age, AGE_BIRTH_YEAR: licence.birth_date.year}
    out.update({age_over_key(t): age >= t for t in marks})
    return out


def record_elements(
    licence: Licence, *, now: datetime, thresholds: Iterable[int] = DEFAULT_AGE_THRESHOLDS
) -> dict[int, object]:
    """Every element the issuer's record holds, by compact key: the whole licence map
    (derivable values left out as usual) and the age elements."""
    out: dict[int, object] = licence.to_cbor_map(frozenset(_F))
    out.update(age_elements(licence, now=now, thresholds=thresholds))
    return out


def view_elements(
    licence: Licence,
    view: str | View,
    *,
    now: datetime,
    thresholds: Iterable[int] = DEFAULT_AGE_THRESHOLDS,
) -> dict[int, object]:
    """The compact map a view's credential signs, keys in deterministic order: the view's elements the
    record holds (``profile`` whenever a licence field travels). An ``age_over_NN`` the
    issuer does not attest is left out. Raises ``InvalidArgument`` for an unknown view."""
    view = resolve_view(view)
    record = record_elements(licence, now=now, thresholds=thresholds)
    keys = {ELEMENT_KEYS[e] for e in view.elements if e in ELEMENT_KEYS}
    if keys - set(_AGE_NAMES.values()):
        keys.add(LICENCE.specs[_F.PROFILE].key)
    keys.update(age_over_key(t) for t in view.age_over)
    return {k: record[k] for k in sorted(keys, key=sort_key) if k in record}


def key_name(key: int) -> str | None:
    """The element name of a compact key, None for a key that names no element."""
    if -100 <= key <= -1:
        return f"age_over_{-1 - key:02d}"
    return _KEY_NAMES.get(key)


def element_names(elements: Mapping[int, object]) -> frozenset[str]:
    """The element names of a compact map; keys that name no element are skipped."""
    return frozenset(name for key in elements if (name := key_name(key)) is not None)


#: Elements every licence of the profile holds (the model's required fields and the
#: derived country and UN sign): a verifier knows they exist, so a view that does not show
#: one withholds it. Whether an optional element exists is not revealed (§17.3).
ALWAYS_PRESENT: Final = frozenset(
    str(name) for name in LICENCE.required | {_F.ISSUING_COUNTRY, _F.EXPIRY_DATE}
) - {str(_F.PROFILE)}
_LICENCE_KEYS: Final = frozenset(LICENCE.by_key)
_FIELD_NAMES: Final = tuple(map(str, LICENCE.specs))
_NOTHING: Final[Mapping[str, object]] = MappingProxyType({})
#: Compact keys of the required fields a whole licence map carries (the derivable country
#: and UN sign are restored, not sent).
_REQUIRED_KEYS: Final = frozenset(LICENCE.specs[n].key for n in LICENCE.required) - {
    LICENCE.specs[_F.ISSUING_COUNTRY].key,
    LICENCE.specs[_F.UN_DISTINGUISHING_SIGN].key,
}
#: What travels or is restored with any licence field, and shows nothing by itself.
_BOOKKEEPING: Final = frozenset({str(_F.PROFILE), str(_F.UN_DISTINGUISHING_SIGN)})


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What a verified credential shows: ``licence`` when every required field is there (a
    whole licence), else None; ``shown``, the other elements by name (a partial view's
    fields decoded as in :class:`Licence`; ``age_in_years`` and ``age_birth_year`` ints;
    ``age_over_NN`` bools); ``withheld``, the elements every licence has that were not
    shown. :attr:`elements` joins the licence's fields and ``shown``."""

    licence: Licence | None
    shown: Mapping[str, object]
    withheld: frozenset[str]

    @property
    def elements(self) -> Mapping[str, object]:
        """Every element shown, by name (built when asked: a verifier that reads the
        licence pays nothing for it)."""
        if self.licence is None:
            return self.shown
        values = {n: v for n in _FIELD_NAMES if (v := getattr(self.licence, n)) is not None}
        values.update(self.shown)
        return MappingProxyType(values)

    @property
    def disclosed(self) -> frozenset[str]:
        return frozenset(self.elements)


def _age_problems(raw: Mapping[object, object], out: dict[str, object]) -> list[Found]:
    found: list[Found] = []
    for key, value in raw.items():
        if type(key) is not int:
            found.append((f"{key!r:.40}", Problem.UNKNOWN_FIELD, "unknown field"))
            continue
        if key in _LICENCE_KEYS:
            continue
        name = key_name(key)
        if name is None:
            found.append((str(key), Problem.UNKNOWN_FIELD, "unknown field"))
        elif key < 0:
            if type(value) is not bool:
                found.append((name, Problem.WRONG_TYPE, "must be a bool"))
            out[name] = value
        elif type(value) is not int:
            found.append((name, Problem.WRONG_TYPE, "must be an unsigned integer"))
        elif not (0 <= value <= 199 if key == AGE_IN_YEARS else 1900 <= value <= 2999):
            found.append((name, Problem.INVALID_VALUE, "out of range"))
        else:
            out[name] = value
    return found


def decode_disclosure(raw: object) -> Disclosure:
    """Strictly decode the licence map of a verified credential, full or partial view.

    A map holding every required licence field is a whole :class:`Licence` (validated with
    every rule); any other map is a partial view, each shown field checked by its own rule.
    Age elements are checked by type and range. Raises only :class:`InvalidLicence`
    (unknown keys, wrong types, invalid values, an empty view)."""
    if not isinstance(raw, Mapping) or not raw:
        raise invalid([("$", Problem.WRONG_TYPE, "must be a non-empty map")])
    keys = raw.keys()
    if keys >= _REQUIRED_KEYS and all(type(k) is int and 0 <= k < AGE_IN_YEARS for k in keys):
        # The common case, a whole licence and nothing else: the licence's own decoder.
        return Disclosure(Licence.from_cbor_map(raw), _NOTHING, frozenset())
    ages: dict[str, object] = {}
    if found := _age_problems(raw, ages):
        raise invalid(found)
    fields = {k: v for k, v in raw.items() if k in _LICENCE_KEYS}
    licence: Licence | None = None
    values: dict[str, Any] = {}
    if fields:
        values = read_cbor_fields(fields)
        if ALWAYS_PRESENT - {str(_F.EXPIRY_DATE)} <= set(values):
            values.setdefault(str(_F.EXPIRY_DATE), None)
            licence = Licence(**values)
            return Disclosure(licence, MappingProxyType(ages), frozenset())
        check_fields(values)
    shown = {k: v for k, v in values.items() if v is not None}
    if not ages and not set(shown) - _BOOKKEEPING:
        raise invalid([("$", Problem.REQUIRED, "the view shows no element")])
    long_term = values.get(str(_F.VALIDITY_TERM)) == 3
    withheld = ALWAYS_PRESENT - set(shown) - ({str(_F.EXPIRY_DATE)} if long_term else set())
    return Disclosure(None, MappingProxyType({**shown, **ages}), withheld)
