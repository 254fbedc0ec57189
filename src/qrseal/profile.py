"""The driving-licence credential profile: the constants that bind the generic layers
(text, COSE, CWT) to one credential type. ``docs/format.md`` is the normative text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from .cose import Algorithm
from .textcodec import TextEncoding, TextFormat

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_VALIDITY",
    "DL_FORMAT",
    "LICENCE_CLAIM",
    "MAX_VALIDITY",
]

#: Private-use CWT claim key (RFC 8392 §9.1: keys below -65536 are private use) under
#: which the compact licence map travels.
LICENCE_CLAIM: Final = -65537

#: Text framing of a static driving-licence credential: ``DL1:`` + decimal digits.
#: Numeric mode was chosen over Base45 by measurement (docs/format.md, "Text encoding").
DL_FORMAT: Final = TextFormat("DL", 1, TextEncoding.NUMERIC)

#: Algorithms a verifier accepts unless its policy says otherwise.
DEFAULT_ALGORITHMS: Final = frozenset({Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA})

#: How long a credential is valid by default. Points and status change, so a credential
#: is short-lived; 72 h lets a holder who is offline over a weekend still show it.
DEFAULT_VALIDITY: Final = timedelta(hours=72)
#: Longest credential validity the issuer accepts.
MAX_VALIDITY: Final = timedelta(days=366)
