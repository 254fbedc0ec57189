"""qrseal: signed credentials in QR codes, verifiable offline. Electronic driving licences first.

The high level: :class:`Issuer` (licence -> credential text) and :class:`Verifier`
(text or image -> :class:`VerifiedLicence`, or a typed :class:`QrsealError`). The
layers underneath are public too, for other signed-CBOR-in-QR formats:
:mod:`qrseal.wire.textcodec`, :mod:`qrseal.wire.cose`, :mod:`qrseal.wire.cwt`, :mod:`qrseal.qr`.

Live codes: :class:`Holder` (a device-bound credential -> a fresh ``DP1:`` code every few
seconds, signed by the phone's device key); :class:`Verifier` tells live from static.

Key lifecycle: signed trust lists (:class:`TrustList`, :class:`TrustListStore`,
:mod:`qrseal.trust.lists`, :mod:`qrseal.trust.x509`); the verifier enforces their entries.
Status: Token Status Lists (:class:`StatusList`, :func:`sign_status_list`,
:class:`StatusSnapshots`); ``Verifier(..., status=snapshots)`` refuses revoked and suspended
credentials offline and says how old its knowledge is.
"""

from . import qr as qr
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
from .errors import QrsealError as QrsealError
from .errors import Reason as Reason
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
from .holder import Holder as Holder
from .holder import generate_device_key as generate_device_key
from .issuer import Credential as Credential
from .issuer import Issuer as Issuer
from .licence.model import DomesticPrivilege as DomesticPrivilege
from .licence.model import DrivePermitted as DrivePermitted
from .licence.model import DrivingPrivilege as DrivingPrivilege
from .licence.model import Licence as Licence
from .licence.model import PrivilegeCode as PrivilegeCode
from .qr import Ecc as Ecc
from .qr import render_image as render_image
from .qr import render_png as render_png
from .qr import render_svg as render_svg
from .qr import scan as scan
from .status.lists import StatusList as StatusList
from .status.reference import ShardScheme as ShardScheme
from .status.reference import StatusReference as StatusReference
from .status.snapshots import StatusMeaning as StatusMeaning
from .status.snapshots import StatusResult as StatusResult
from .status.snapshots import StatusSnapshots as StatusSnapshots
from .status.snapshots import WhenUnavailable as WhenUnavailable
from .status.token import VerifiedStatusList as VerifiedStatusList
from .status.token import sign_status_list as sign_status_list
from .status.token import verify_status_list as verify_status_list
from .trust.lists import KeyState as KeyState
from .trust.lists import PinnedRoot as PinnedRoot
from .trust.lists import TrustList as TrustList
from .trust.lists import TrustListEntry as TrustListEntry
from .trust.lists import TrustListStore as TrustListStore
from .trust.lists import new_trust_list as new_trust_list
from .trust.lists import sign_trust_list as sign_trust_list
from .trust.lists import verify_trust_list as verify_trust_list
from .trust.store import TrustedKey as TrustedKey
from .trust.store import TrustStore as TrustStore
from .verifier import Policy as Policy
from .verifier import VerifiedLicence as VerifiedLicence
from .verifier import Verifier as Verifier
from .verifier import inspect_unverified as inspect_unverified
from .wire import cose as cose
from .wire import cwt as cwt
from .wire import presentation as presentation
from .wire import textcodec as textcodec
from .wire.cose import Algorithm as Algorithm
from .wire.keys import LocalSigner as LocalSigner
from .wire.keys import Signer as Signer
from .wire.keys import generate_private_key as generate_private_key
from .wire.keys import kid_for as kid_for
from .wire.keys import load_private_key_pem as load_private_key_pem
from .wire.keys import load_public_key_pem as load_public_key_pem
from .wire.keys import private_key_to_pem as private_key_to_pem
from .wire.keys import public_key_to_pem as public_key_to_pem
from .wire.presentation import LivePresentation as LivePresentation
from .wire.presentation import PresentationKind as PresentationKind
from .wire.presentation import ReplayCache as ReplayCache

__version__ = "0.1.0"

__all__ = [
    "Algorithm",
    "AlgorithmNotAllowed",
    "AmbiguousImage",
    "AudienceMismatch",
    "CertificateInvalid",
    "CertificateUntrusted",
    "Credential",
    "DataTooOld",
    "DeviceSigner",
    "DomesticPrivilege",
    "DrivePermitted",
    "DrivingPrivilege",
    "Ecc",
    "Expired",
    "Holder",
    "HolderBindingInvalid",
    "InvalidArgument",
    "InvalidImage",
    "InvalidKey",
    "InvalidLicence",
    "IssuedInFuture",
    "Issuer",
    "IssuerMismatch",
    "KeyNotAuthorised",
    "KeyNotValidAtTime",
    "KeyRevoked",
    "KeyState",
    "Licence",
    "LicenceProblem",
    "LivePresentation",
    "LocalSigner",
    "Malformed",
    "MalformedCbor",
    "MalformedClaims",
    "MalformedCompression",
    "MalformedCose",
    "MalformedText",
    "MalformedTrustList",
    "NoQrFound",
    "NonceMismatch",
    "NotYetValid",
    "PinnedRoot",
    "Policy",
    "PresentationInFuture",
    "PresentationKind",
    "PresentationReplayed",
    "PresentationRequired",
    "PrivilegeCode",
    "QrsealError",
    "Reason",
    "ReplayCache",
    "Revoked",
    "ShardScheme",
    "SignatureInvalid",
    "Signer",
    "StalePresentation",
    "StatusList",
    "StatusListInvalid",
    "StatusMeaning",
    "StatusReference",
    "StatusResult",
    "StatusSnapshots",
    "StatusUnavailable",
    "StorageFailed",
    "StructuredAppend",
    "Suspended",
    "TooLarge",
    "TrustList",
    "TrustListEntry",
    "TrustListExpired",
    "TrustListMismatch",
    "TrustListMissing",
    "TrustListRollback",
    "TrustListSequenceJump",
    "TrustListStore",
    "TrustStore",
    "TrustedKey",
    "UnknownCriticalHeader",
    "UnknownKey",
    "UnsupportedVersion",
    "ValidityTooLong",
    "VerifiedLicence",
    "VerifiedStatusList",
    "Verifier",
    "WhenUnavailable",
    "__version__",
    "cose",
    "cwt",
    "generate_device_key",
    "generate_private_key",
    "inspect_unverified",
    "kid_for",
    "load_private_key_pem",
    "load_public_key_pem",
    "new_trust_list",
    "presentation",
    "private_key_to_pem",
    "public_key_to_pem",
    "qr",
    "render_image",
    "render_png",
    "render_svg",
    "scan",
    "sign_status_list",
    "sign_trust_list",
    "textcodec",
    "verify_status_list",
    "verify_trust_list",
]
