"""ISO/IEC 18013-5 alignment: a licence as mDL data elements, and back (docs/format.md §18.1).

Elements ISO/IEC 18013-5 defines go in its namespace ``org.iso.18013.5.1`` under their ISO
identifiers (which are the licence's own field names); elements only China's licence has go
in ``org.iso.18013.5.1.CN`` (the pattern of AAMVA's ``org.iso.18013.5.1.aamva``), never mixed
in: the domestic classes (准驾车型, Chinese C1 is a car) stay out of the ISO
``driving_privileges``, whose categories are the ISO ones (ISO C1 is a medium truck).

Dates are ``full-date`` (tag 1004, ``YYYY-MM-DD``), times ``tdate`` (tag 0, RFC 3339 in UTC),
as ISO/IEC 18013-5 §7.2.1 requires. A long-term licence (长期) has no expiry date, but the ISO
``expiry_date`` is mandatory: it is written as ``9999-12-31``, and the CN namespace's
``validity_term`` says ``long_term``; reading maps it back to no expiry.

>>> from qrseal.testing import FIXED_NOW, sample_licence
>>> spaces = licence_elements(sample_licence(1), now=FIXED_NOW)
>>> spaces[ISO_NAMESPACE]["expiry_date"], spaces[CN_NAMESPACE]["validity_term"]
(CBORTag(1004, '9999-12-31'), 'long_term')
>>> spaces[ISO_NAMESPACE]["un_distinguishing_sign"], spaces[ISO_NAMESPACE]["issuing_country"]
('CHN', 'CN')
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Final

import cbor2

from ..errors import InvalidArgument, InvalidLicence
from ..licence.fields import JSON_REQUIRED, LicenceField, NamedIntEnum
from ..licence.model import Licence
from ..licence.privileges import DomesticPrivilege, DrivingPrivilege, PrivilegeCode
from ..licence.views import DEFAULT_AGE_THRESHOLDS, Disclosure, age_elements, key_name

__all__ = [
    "CN_ELEMENTS",
    "CN_NAMESPACE",
    "ISO_ELEMENTS",
    "ISO_MANDATORY",
    "ISO_NAMESPACE",
    "LONG_TERM_EXPIRY",
    "MDL_DOCTYPE",
    "licence_elements",
    "read_elements",
]

_F = LicenceField
#: The mDL document type and the ISO namespace (ISO/IEC 18013-5 §7.1, §7.2).
MDL_DOCTYPE: Final = "org.iso.18013.5.1.mDL"
ISO_NAMESPACE: Final = "org.iso.18013.5.1"
#: The namespace of the China-only elements.
CN_NAMESPACE: Final = "org.iso.18013.5.1.CN"
#: The ISO ``expiry_date`` of a long-term (长期) licence.
LONG_TERM_EXPIRY: Final = date(9999, 12, 31)
#: The elements ISO/IEC 18013-5 Table 5 makes mandatory.
ISO_MANDATORY: Final = frozenset({
    "family_name", "given_name", "birth_date", "issue_date", "expiry_date", "issuing_country",
    "issuing_authority", "document_number", "portrait", "driving_privileges",
    "un_distinguishing_sign",
})  # fmt: skip
#: Licence fields that are ISO/IEC 18013-5 data elements of the same name.
ISO_ELEMENTS: Final = tuple(map(str, (
    _F.FAMILY_NAME, _F.GIVEN_NAME, _F.BIRTH_DATE, _F.ISSUE_DATE, _F.EXPIRY_DATE,
    _F.ISSUING_COUNTRY, _F.ISSUING_AUTHORITY, _F.DOCUMENT_NUMBER, _F.PORTRAIT,
    _F.DRIVING_PRIVILEGES, _F.UN_DISTINGUISHING_SIGN, _F.ADMINISTRATIVE_NUMBER, _F.SEX,
    _F.NATIONALITY, _F.FAMILY_NAME_NATIONAL_CHARACTER, _F.GIVEN_NAME_NATIONAL_CHARACTER,
    _F.ISSUING_JURISDICTION, _F.RESIDENT_ADDRESS, _F.BIRTH_PLACE, _F.PORTRAIT_CAPTURE_DATE,
)))  # fmt: skip
#: Licence fields with no ISO element: the CN namespace (``profile`` is implied by it).
CN_ELEMENTS: Final = tuple(
    str(name) for name in LicenceField if str(name) not in ISO_ELEMENTS and name != _F.PROFILE
)


def _full_date(day: date) -> cbor2.CBORTag:
    return cbor2.CBORTag(1004, day.isoformat())


def _tdate(moment: datetime) -> cbor2.CBORTag:
    return cbor2.CBORTag(0, moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _codes(codes: tuple[PrivilegeCode, ...]) -> list[dict[str, str]]:
    return [
        {k: v for k, v in (("code", c.code), ("sign", c.sign), ("value", c.value)) if v}
        for c in codes
    ]


def _privilege(p: DomesticPrivilege | DrivingPrivilege) -> dict[str, object]:
    if isinstance(p, DomesticPrivilege):
        out: dict[str, object] = {"class_code": p.class_code}
        later = ("probation_end_date", p.probation_end_date)
    else:
        out = {"vehicle_category_code": p.vehicle_category_code}
        later = ("expiry_date", p.expiry_date)
    if p.issue_date is not None:
        out["issue_date"] = _full_date(p.issue_date)
    if later[1] is not None:
        out[later[0]] = _full_date(later[1])
    if p.codes:
        out["codes"] = _codes(p.codes)
    return out


def _element(value: object) -> object:
    if isinstance(value, datetime):
        return _tdate(value)
    if isinstance(value, date):
        return _full_date(value)
    if isinstance(value, NamedIntEnum):
        return value.json_name
    if isinstance(value, tuple):
        return [_privilege(p) for p in value]
    if isinstance(value, int):
        return int(value)  # sex: the ISO/IEC 5218 number
    return value


def licence_elements(
    licence: Licence,
    *,
    now: datetime,
    age_thresholds: Iterable[int] = DEFAULT_AGE_THRESHOLDS,
) -> dict[str, dict[str, object]]:
    """The licence as mDL data elements by namespace, with the issuer's age elements at
    ``now`` in the ISO namespace. Raises ``InvalidArgument`` when the licence lacks the
    ISO-mandatory ``issuing_authority`` (the portrait, also mandatory, travels when the record
    holds one: the synthetic samples have none)."""
    if licence.issuing_authority is None:
        raise InvalidArgument("an mDL needs issuing_authority (ISO/IEC 18013-5 Table 5)")
    iso: dict[str, object] = {}
    cn: dict[str, object] = {}
    for name in ISO_ELEMENTS:
        value = getattr(licence, name)
        if name == _F.EXPIRY_DATE and value is None:
            value = LONG_TERM_EXPIRY
        if value is not None:
            iso[name] = _element(value)
    for name in CN_ELEMENTS:
        value = getattr(licence, name)
        if value is not None:
            cn[name] = _element(value)
    for key, value in age_elements(licence, now=now, thresholds=age_thresholds).items():
        age_name = key_name(key)
        if age_name is not None:
            iso[age_name] = value
    return {ISO_NAMESPACE: iso, CN_NAMESPACE: cn}


# --- reading -----------------------------------------------------------------------------


def _plain(value: object) -> object:
    """An element value with its tags read: full-date and tdate to their text (the unified
    JSON form), arrays and maps recursively; other tags as they are."""
    if isinstance(value, cbor2.CBORTag) and value.tag in (0, 1004) and type(value.value) is str:
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _decoded(value: object) -> object:
    """An element value for the result: dates and times as ``date``/``datetime``."""
    if isinstance(value, cbor2.CBORTag) and type(value.value) is str:
        try:
            if value.tag == 1004:
                return date.fromisoformat(value.value)
            if value.tag == 0:
                return datetime.fromisoformat(value.value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return tuple(_decoded(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: _decoded(v) for k, v in value.items()})
    return value


def read_elements(namespaces: Mapping[str, Mapping[str, object]]) -> Disclosure:
    """The result of a verified mdoc's elements (ISO and CN namespaces; others ignored).

    When the elements hold a whole China licence it is rebuilt and validated as any licence
    (:meth:`Licence.from_json`); otherwise the elements are a partial view, their values as
    decoded (dates and times as ``date``/``datetime``), and ``withheld`` names the
    ISO-mandatory elements not shown. Raises ``InvalidLicence`` when a whole licence is there
    but invalid."""
    iso = dict(namespaces.get(ISO_NAMESPACE, {}))
    cn = dict(namespaces.get(CN_NAMESPACE, {}))
    names = set(iso) | set(cn)
    if cn and names | {str(_F.PROFILE)} >= JSON_REQUIRED:
        data: dict[str, Any] = {
            k: _plain(v) for k, v in {**iso, **cn}.items() if k in set(ISO_ELEMENTS + CN_ELEMENTS)
        }
        data["profile"] = "CN"  # the CN namespace is the China profile
        if data.get("validity_term") == "long_term" and data.get("expiry_date") == str(
            LONG_TERM_EXPIRY
        ):
            data["expiry_date"] = None
        if isinstance(data.get("portrait"), bytes):
            data["portrait"] = base64.b64encode(data["portrait"]).decode("ascii")
        licence = Licence.from_json(data)
        ages = {k: v for k, v in iso.items() if k not in ISO_ELEMENTS}
        return Disclosure(licence, MappingProxyType(ages), frozenset())
    if not names:
        raise InvalidLicence("the mdoc shows no element", field="$", problems=())
    elements = {k: _decoded(v) for k, v in {**iso, **cn}.items()}
    return Disclosure(None, MappingProxyType(elements), ISO_MANDATORY - names)
