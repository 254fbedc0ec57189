"""ISO/IEC 18013-5 mdoc export and verification (docs/format.md §18).

The same licence record and issuer signer as the QR credential, as an mDL ``IssuerSigned``
structure (:func:`to_mdoc`), and the reader side (:func:`verify_mdoc`,
:func:`verify_device_response`) returning the :class:`~qrseal.verifier.result.VerifiedLicence`
a QR code gives. Elements: :mod:`qrseal.mdoc.elements` (the ISO namespace and the CN one).
"""

from __future__ import annotations

from .elements import (
    CN_NAMESPACE as CN_NAMESPACE,
)
from .elements import (
    ISO_NAMESPACE as ISO_NAMESPACE,
)
from .elements import (
    MDL_DOCTYPE as MDL_DOCTYPE,
)
from .elements import (
    licence_elements as licence_elements,
)
from .issue import device_response as device_response
from .issue import to_mdoc as to_mdoc
from .verify import verify_device_response as verify_device_response
from .verify import verify_mdoc as verify_mdoc

__all__ = [
    "CN_NAMESPACE",
    "ISO_NAMESPACE",
    "MDL_DOCTYPE",
    "device_response",
    "licence_elements",
    "to_mdoc",
    "verify_device_response",
    "verify_mdoc",
]
