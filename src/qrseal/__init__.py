"""qrseal: signed credentials in QR codes, verifiable offline. Electronic driving licences first.

The root holds the recipes a user starts from; everything else lives in its subpackage.

- Issuing: :class:`Issuer` (licence -> :class:`Credential` text), :class:`Licence`,
  :class:`StatusReference`, :class:`Algorithm`, :func:`generate_private_key`,
  :func:`load_private_key_pem`, :func:`load_public_key_pem`.
- Verifying: :class:`Verifier` (text or image -> :class:`VerifiedLicence`, or a typed
  :class:`QrsealError`) under a :class:`Policy`; :func:`inspect_unverified` looks without
  verifying.
- Holding: :class:`Holder` (a device-bound credential -> a fresh ``DP1:`` code every few
  seconds) and :func:`generate_device_key`.
- Trust and status: :class:`TrustStore` of :class:`TrustedKey` values, or one kept current by
  a :class:`TrustListStore` pinned to a :class:`PinnedRoot`; :class:`StatusSnapshots` and
  :class:`WhenUnavailable` for offline revocation checks.
- Images: :func:`render_png`, :func:`render_svg`, :func:`scan` (loaded on first use, with
  Pillow, qrcode and the decoders: ``import qrseal`` does not load them).
- Errors: :class:`QrsealError`, its stable :class:`Reason` codes and the seven families a
  caller can catch (:class:`InputError`, :class:`TrustError`, :class:`ValidityError`,
  :class:`PresentationError`, :class:`StatusError`, :class:`TrustListError`,
  :class:`SetupError`); the leaves are in :mod:`qrseal.errors`.

The layers underneath are public too, for other signed-CBOR-in-QR formats and for issuing
authorities: :mod:`qrseal.wire` (text codec, COSE, keys, CWT, live presentations),
:mod:`qrseal.licence`, :mod:`qrseal.trust` (trust lists, X.509), :mod:`qrseal.status` (status
lists and tokens) and :mod:`qrseal.qr`. :mod:`qrseal.testing` ships deterministic keys, a
fixed clock and sample licences for applications' own tests.

Names the root exported in 0.1 and no longer does still resolve, with a
``DeprecationWarning`` naming their new home, for one release.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Final

from . import errors as errors
from .errors import InputError as InputError
from .errors import PresentationError as PresentationError
from .errors import QrsealError as QrsealError
from .errors import Reason as Reason
from .errors import SetupError as SetupError
from .errors import StatusError as StatusError
from .errors import TrustError as TrustError
from .errors import TrustListError as TrustListError
from .errors import ValidityError as ValidityError

if TYPE_CHECKING:
    # The recipes and subpackages, loaded on first use by __getattr__ below: `import qrseal`
    # costs only the errors; `from qrseal import Verifier` loads what verifying needs.
    from . import licence as licence
    from . import status as status
    from . import trust as trust
    from . import wire as wire
    from .holder import Holder as Holder
    from .holder import generate_device_key as generate_device_key
    from .issuer import Credential as Credential
    from .issuer import Issuer as Issuer
    from .licence.model import Licence as Licence
    from .status.reference import StatusReference as StatusReference
    from .status.snapshots import StatusSnapshots as StatusSnapshots
    from .status.snapshots import WhenUnavailable as WhenUnavailable
    from .trust.lists import PinnedRoot as PinnedRoot
    from .trust.lists import TrustListStore as TrustListStore
    from .trust.store import TrustedKey as TrustedKey
    from .trust.store import TrustStore as TrustStore
    from .verifier import Policy as Policy
    from .verifier import VerifiedLicence as VerifiedLicence
    from .verifier import Verifier as Verifier
    from .verifier import inspect_unverified as inspect_unverified
    from .wire.cose import Algorithm as Algorithm
    from .wire.keys import generate_private_key as generate_private_key
    from .wire.keys import load_private_key_pem as load_private_key_pem
    from .wire.keys import load_public_key_pem as load_public_key_pem

if TYPE_CHECKING:
    # The image layer, loaded on first use by __getattr__ below.
    from . import qr as qr
    from .qr import render_png as render_png
    from .qr import render_svg as render_svg
    from .qr import scan as scan

if TYPE_CHECKING:
    # The deprecated 0.1 root names, resolved (with a warning) by __getattr__ below.
    from .errors import AlgorithmNotAllowed as AlgorithmNotAllowed
    from .errors import AmbiguousImage as AmbiguousImage
    from .errors import AudienceMismatch as AudienceMismatch
    from .errors import CertificateInvalid as CertificateInvalid
    from .errors import CertificateUntrusted as CertificateUntrusted
    from .errors import DataTooOld as DataTooOld
    from .errors import Expired as Expired
    from .errors import HolderBindingInvalid as HolderBindingInvalid
    from .errors import InvalidArgument as InvalidArgument
    from .errors import InvalidImage as InvalidImage
    from .errors import InvalidKey as InvalidKey
    from .errors import InvalidLicence as InvalidLicence
    from .errors import IssuedInFuture as IssuedInFuture
    from .errors import IssuerMismatch as IssuerMismatch
    from .errors import KeyNotAuthorised as KeyNotAuthorised
    from .errors import KeyNotValidAtTime as KeyNotValidAtTime
    from .errors import KeyRevoked as KeyRevoked
    from .errors import LicenceProblem as LicenceProblem
    from .errors import Malformed as Malformed
    from .errors import MalformedCbor as MalformedCbor
    from .errors import MalformedClaims as MalformedClaims
    from .errors import MalformedCompression as MalformedCompression
    from .errors import MalformedCose as MalformedCose
    from .errors import MalformedText as MalformedText
    from .errors import MalformedTrustList as MalformedTrustList
    from .errors import NonceMismatch as NonceMismatch
    from .errors import NoQrFound as NoQrFound
    from .errors import NotYetValid as NotYetValid
    from .errors import PresentationInFuture as PresentationInFuture
    from .errors import PresentationReplayed as PresentationReplayed
    from .errors import PresentationRequired as PresentationRequired
    from .errors import Revoked as Revoked
    from .errors import SignatureInvalid as SignatureInvalid
    from .errors import StalePresentation as StalePresentation
    from .errors import StatusListInvalid as StatusListInvalid
    from .errors import StatusUnavailable as StatusUnavailable
    from .errors import StorageFailed as StorageFailed
    from .errors import StructuredAppend as StructuredAppend
    from .errors import Suspended as Suspended
    from .errors import TooLarge as TooLarge
    from .errors import TrustListExpired as TrustListExpired
    from .errors import TrustListMismatch as TrustListMismatch
    from .errors import TrustListMissing as TrustListMissing
    from .errors import TrustListRollback as TrustListRollback
    from .errors import TrustListSequenceJump as TrustListSequenceJump
    from .errors import UnknownCriticalHeader as UnknownCriticalHeader
    from .errors import UnknownKey as UnknownKey
    from .errors import UnsupportedVersion as UnsupportedVersion
    from .errors import ValidityTooLong as ValidityTooLong
    from .holder import DeviceSigner as DeviceSigner
    from .licence.model import DomesticPrivilege as DomesticPrivilege
    from .licence.model import DrivePermitted as DrivePermitted
    from .licence.model import DrivingPrivilege as DrivingPrivilege
    from .licence.model import PrivilegeCode as PrivilegeCode
    from .qr import Ecc as Ecc
    from .qr import render_image as render_image
    from .status.lists import StatusList as StatusList
    from .status.reference import ShardScheme as ShardScheme
    from .status.snapshots import StatusMeaning as StatusMeaning
    from .status.snapshots import StatusResult as StatusResult
    from .status.token import VerifiedStatusList as VerifiedStatusList
    from .status.token import sign_status_list as sign_status_list
    from .status.token import verify_status_list as verify_status_list
    from .trust.lists import KeyState as KeyState
    from .trust.lists import TrustList as TrustList
    from .trust.lists import TrustListEntry as TrustListEntry
    from .trust.lists import new_trust_list as new_trust_list
    from .trust.lists import sign_trust_list as sign_trust_list
    from .trust.lists import verify_trust_list as verify_trust_list
    from .wire import cose as cose
    from .wire import cwt as cwt
    from .wire import presentation as presentation
    from .wire import textcodec as textcodec
    from .wire.keys import LocalSigner as LocalSigner
    from .wire.keys import Signer as Signer
    from .wire.keys import kid_for as kid_for
    from .wire.keys import private_key_to_pem as private_key_to_pem
    from .wire.keys import public_key_to_pem as public_key_to_pem
    from .wire.presentation import LivePresentation as LivePresentation
    from .wire.presentation import PresentationKind as PresentationKind
    from .wire.presentation import ReplayCache as ReplayCache

__version__ = "0.1.0"

__all__ = [
    "Algorithm",
    "Credential",
    "Holder",
    "InputError",
    "Issuer",
    "Licence",
    "PinnedRoot",
    "Policy",
    "PresentationError",
    "QrsealError",
    "Reason",
    "SetupError",
    "StatusError",
    "StatusReference",
    "StatusSnapshots",
    "TrustError",
    "TrustListError",
    "TrustListStore",
    "TrustStore",
    "TrustedKey",
    "ValidityError",
    "VerifiedLicence",
    "Verifier",
    "WhenUnavailable",
    "__version__",
    "errors",
    "generate_device_key",
    "generate_private_key",
    "inspect_unverified",
    "licence",
    "load_private_key_pem",
    "load_public_key_pem",
    "qr",
    "render_png",
    "render_svg",
    "scan",
    "status",
    "trust",
    "wire",
]

# Loaded on first use: the image layer pulls in Pillow, qrcode, zxing-cpp, pyzbar and numpy.
_LAZY_FROM_QR: Final = frozenset({"render_png", "render_svg", "scan"})

# 0.1 root names and their home since 0.2 (deprecated at the root; removed in the next release).
_MOVED: Final[dict[str, str]] = {
    "AlgorithmNotAllowed": "qrseal.errors",
    "AmbiguousImage": "qrseal.errors",
    "AudienceMismatch": "qrseal.errors",
    "CertificateInvalid": "qrseal.errors",
    "CertificateUntrusted": "qrseal.errors",
    "DataTooOld": "qrseal.errors",
    "DeviceSigner": "qrseal.holder",
    "DomesticPrivilege": "qrseal.licence.model",
    "DrivePermitted": "qrseal.licence.model",
    "DrivingPrivilege": "qrseal.licence.model",
    "Ecc": "qrseal.qr",
    "Expired": "qrseal.errors",
    "HolderBindingInvalid": "qrseal.errors",
    "InvalidArgument": "qrseal.errors",
    "InvalidImage": "qrseal.errors",
    "InvalidKey": "qrseal.errors",
    "InvalidLicence": "qrseal.errors",
    "IssuedInFuture": "qrseal.errors",
    "IssuerMismatch": "qrseal.errors",
    "KeyNotAuthorised": "qrseal.errors",
    "KeyNotValidAtTime": "qrseal.errors",
    "KeyRevoked": "qrseal.errors",
    "KeyState": "qrseal.trust.lists",
    "LicenceProblem": "qrseal.errors",
    "LivePresentation": "qrseal.wire.presentation",
    "LocalSigner": "qrseal.wire.keys",
    "Malformed": "qrseal.errors",
    "MalformedCbor": "qrseal.errors",
    "MalformedClaims": "qrseal.errors",
    "MalformedCompression": "qrseal.errors",
    "MalformedCose": "qrseal.errors",
    "MalformedText": "qrseal.errors",
    "MalformedTrustList": "qrseal.errors",
    "NoQrFound": "qrseal.errors",
    "NonceMismatch": "qrseal.errors",
    "NotYetValid": "qrseal.errors",
    "PresentationInFuture": "qrseal.errors",
    "PresentationKind": "qrseal.wire.presentation",
    "PresentationReplayed": "qrseal.errors",
    "PresentationRequired": "qrseal.errors",
    "PrivilegeCode": "qrseal.licence.model",
    "ReplayCache": "qrseal.wire.presentation",
    "Revoked": "qrseal.errors",
    "ShardScheme": "qrseal.status.reference",
    "SignatureInvalid": "qrseal.errors",
    "Signer": "qrseal.wire.keys",
    "StalePresentation": "qrseal.errors",
    "StatusList": "qrseal.status.lists",
    "StatusListInvalid": "qrseal.errors",
    "StatusMeaning": "qrseal.status.snapshots",
    "StatusResult": "qrseal.status.snapshots",
    "StatusUnavailable": "qrseal.errors",
    "StorageFailed": "qrseal.errors",
    "StructuredAppend": "qrseal.errors",
    "Suspended": "qrseal.errors",
    "TooLarge": "qrseal.errors",
    "TrustList": "qrseal.trust.lists",
    "TrustListEntry": "qrseal.trust.lists",
    "TrustListExpired": "qrseal.errors",
    "TrustListMismatch": "qrseal.errors",
    "TrustListMissing": "qrseal.errors",
    "TrustListRollback": "qrseal.errors",
    "TrustListSequenceJump": "qrseal.errors",
    "UnknownCriticalHeader": "qrseal.errors",
    "UnknownKey": "qrseal.errors",
    "UnsupportedVersion": "qrseal.errors",
    "ValidityTooLong": "qrseal.errors",
    "VerifiedStatusList": "qrseal.status.token",
    "kid_for": "qrseal.wire.keys",
    "new_trust_list": "qrseal.trust.lists",
    "private_key_to_pem": "qrseal.wire.keys",
    "public_key_to_pem": "qrseal.wire.keys",
    "render_image": "qrseal.qr",
    "sign_status_list": "qrseal.status.token",
    "sign_trust_list": "qrseal.trust.lists",
    "verify_status_list": "qrseal.status.token",
    "verify_trust_list": "qrseal.trust.lists",
}
_LAZY: Final[dict[str, tuple[str, str | None]]] = {
    "Algorithm": ("qrseal.wire.cose", "Algorithm"),
    "Credential": ("qrseal.issuer", "Credential"),
    "Holder": ("qrseal.holder", "Holder"),
    "Issuer": ("qrseal.issuer", "Issuer"),
    "Licence": ("qrseal.licence.model", "Licence"),
    "PinnedRoot": ("qrseal.trust.lists", "PinnedRoot"),
    "Policy": ("qrseal.verifier", "Policy"),
    "StatusReference": ("qrseal.status.reference", "StatusReference"),
    "StatusSnapshots": ("qrseal.status.snapshots", "StatusSnapshots"),
    "TrustListStore": ("qrseal.trust.lists", "TrustListStore"),
    "TrustStore": ("qrseal.trust.store", "TrustStore"),
    "TrustedKey": ("qrseal.trust.store", "TrustedKey"),
    "VerifiedLicence": ("qrseal.verifier", "VerifiedLicence"),
    "Verifier": ("qrseal.verifier", "Verifier"),
    "WhenUnavailable": ("qrseal.status.snapshots", "WhenUnavailable"),
    "generate_device_key": ("qrseal.holder", "generate_device_key"),
    "generate_private_key": ("qrseal.wire.keys", "generate_private_key"),
    "inspect_unverified": ("qrseal.verifier", "inspect_unverified"),
    "licence": ("qrseal.licence", None),
    "load_private_key_pem": ("qrseal.wire.keys", "load_private_key_pem"),
    "load_public_key_pem": ("qrseal.wire.keys", "load_public_key_pem"),
    "status": ("qrseal.status", None),
    "trust": ("qrseal.trust", None),
    "wire": ("qrseal.wire", None),
}
_MOVED_MODULES: Final[dict[str, str]] = {
    "cose": "qrseal.wire.cose",
    "cwt": "qrseal.wire.cwt",
    "presentation": "qrseal.wire.presentation",
    "textcodec": "qrseal.wire.textcodec",
}


def __getattr__(name: str) -> object:
    """Load the recipes and the image layer on first use, and resolve the deprecated 0.1
    root names."""
    lazy = _LAZY.get(name)
    if lazy is not None:
        module_name, attribute = lazy
        module = importlib.import_module(module_name)
        found: object = module if attribute is None else getattr(module, attribute)
        globals()[name] = found  # later look-ups skip this function
        return found
    if name == "qr" or name in _LAZY_FROM_QR:
        qr_module = importlib.import_module("qrseal.qr")
        value: object = qr_module if name == "qr" else getattr(qr_module, name)
        globals()[name] = value  # later look-ups skip this function
        return value
    home = _MOVED.get(name) or _MOVED_MODULES.get(name)
    if home is not None:
        warnings.warn(
            f"qrseal.{name} moved to {home}: the root name is deprecated and goes in the "
            "next release",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(home)
        return module if name in _MOVED_MODULES else getattr(module, name)
    raise AttributeError(f"module 'qrseal' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
