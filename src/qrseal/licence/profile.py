"""The driving-licence credential profile: the constants that bind the generic layers
(text, COSE, CWT) to one credential type. ``docs/format.md`` is the normative text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from ..wire.cose import Algorithm, HeaderLabel
from ..wire.textcodec import TextEncoding, TextFormat

__all__ = [
    "CREDENTIAL_HEADER_LABELS",
    "DEFAULT_ALGORITHMS",
    "DEFAULT_MAX_PRESENTATION_AGE",
    "DEFAULT_MAX_PRESENTATION_SKEW",
    "DEFAULT_REFRESH",
    "DEFAULT_VALIDITY",
    "DEVICE_ALGORITHMS",
    "DL_FORMAT",
    "DP_FORMAT",
    "ISSUER_ALGORITHMS",
    "LICENCE_CLAIM",
    "MAX_VALIDITY",
]

#: Private-use CWT claim key (RFC 8392 §9.1: keys below -65536 are private use) under
#: which the compact licence map travels.
LICENCE_CLAIM: Final = -65537

#: The protected header of a credential holds exactly ``alg`` and ``kid``, and its
#: unprotected header nothing (docs/format.md §2): ``decode_sign1(protected_labels=...)``.
CREDENTIAL_HEADER_LABELS: Final = frozenset({int(HeaderLabel.ALG), int(HeaderLabel.KID)})

#: Text framing of a static driving-licence credential: ``DL1:`` + decimal digits.
#: Numeric mode was chosen over Base45 by measurement (docs/format.md, "Text encoding").
DL_FORMAT: Final = TextFormat("DL", 1, TextEncoding.NUMERIC)

#: Text framing of a live presentation (docs/format.md §10): ``DP1:`` + decimal digits, the
#: same text layer as ``DL1:`` so that one scanner and one QR segmenting serve both.
DP_FORMAT: Final = TextFormat("DP", 1, TextEncoding.NUMERIC)

#: Algorithms a verifier accepts unless its policy says otherwise.
DEFAULT_ALGORITHMS: Final = frozenset({Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA})
#: Algorithms an issuer may sign with: the defaults plus the two a verifier opts into with
#: ``Policy(allowed_algorithms=DEFAULT_ALGORITHMS | {...})``: SM2 (national deployments,
#: GB/T 32918) and ML-DSA-44 (post-quantum, FIPS 204; docs/format.md).
ISSUER_ALGORITHMS: Final = DEFAULT_ALGORITHMS | {Algorithm.SM2, Algorithm.ML_DSA_44}

#: How long a credential is valid by default. Points and status change, so a credential
#: is short-lived; 72 h lets a holder who is offline over a weekend still show it.
DEFAULT_VALIDITY: Final = timedelta(hours=72)
#: Longest credential validity the issuer accepts.
MAX_VALIDITY: Final = timedelta(days=366)

#: Device (holder) key algorithms: P-256 and Ed25519, the keys phone secure elements hold
#: (Secure Enclave and StrongBox offer P-256), and SM2 (the secure elements of phones sold
#: in China offer it). One algorithm per key type. ML-DSA-44 is not one: a 2,420-byte
#: signature in every live code would not fit beside the credential.
DEVICE_ALGORITHMS: Final = frozenset({Algorithm.ES256, Algorithm.EDDSA, Algorithm.SM2})
#: How often a holder app regenerates its live code. Half the default maximum age, so a
#: code shown at the end of its refresh period still has half its window left.
DEFAULT_REFRESH: Final = timedelta(seconds=30)
#: How old a live presentation may be when verified (verifier clock minus presentation time).
DEFAULT_MAX_PRESENTATION_AGE: Final = timedelta(seconds=60)
#: How far a live presentation may be dated ahead of the verifier's clock (phone clocks drift).
DEFAULT_MAX_PRESENTATION_SKEW: Final = timedelta(seconds=30)
