"""The public root: a small sorted __all__ of recipes, every 0.1 root name still resolving (the
moved ones with a DeprecationWarning naming their new home), and all of them visible to mypy."""

from __future__ import annotations

import ast
import importlib
import re
import warnings
from pathlib import Path

import pytest

import qrseal

ROOT_SOURCE = Path(qrseal.__file__)

#: The root's names: the recipes a user starts from, the error families and the subpackages.
ROOT_NAMES = [
    "Algorithm", "Credential", "Holder", "InputError", "Issuer", "Licence", "PinnedRoot",
    "Policy", "PresentationError", "QrsealError", "Reason", "SetupError", "StatusError",
    "StatusReference", "StatusSnapshots", "TrustError", "TrustListError", "TrustListStore",
    "TrustStore", "TrustedKey", "ValidityError", "VerifiedLicence", "Verifier",
    "WhenUnavailable", "__version__", "errors", "generate_device_key", "generate_private_key",
    "inspect_unverified", "licence", "load_private_key_pem", "load_public_key_pem", "qr",
    "render_png", "render_svg", "scan", "status", "trust", "wire",
]  # fmt: skip

#: qrseal 0.1's root __all__: every one of these names must keep resolving for one release.
NAMES_0_1 = [
    "Algorithm", "AlgorithmNotAllowed", "AmbiguousImage", "AudienceMismatch",
    "CertificateInvalid", "CertificateUntrusted", "Credential", "DataTooOld", "DeviceSigner",
    "DomesticPrivilege", "DrivePermitted", "DrivingPrivilege", "Ecc", "Expired", "Holder",
    "HolderBindingInvalid", "InvalidArgument", "InvalidImage", "InvalidKey", "InvalidLicence",
    "IssuedInFuture", "Issuer", "IssuerMismatch", "KeyNotAuthorised", "KeyNotValidAtTime",
    "KeyRevoked", "KeyState", "Licence", "LicenceProblem", "LivePresentation", "LocalSigner",
    "Malformed", "MalformedCbor", "MalformedClaims", "MalformedCompression", "MalformedCose",
    "MalformedText", "MalformedTrustList", "NoQrFound", "NonceMismatch", "NotYetValid",
    "PinnedRoot", "Policy", "PresentationInFuture", "PresentationKind", "PresentationReplayed",
    "PresentationRequired", "PrivilegeCode", "QrsealError", "Reason", "ReplayCache", "Revoked",
    "ShardScheme", "SignatureInvalid", "Signer", "StalePresentation", "StatusList",
    "StatusListInvalid", "StatusMeaning", "StatusReference", "StatusResult", "StatusSnapshots",
    "StatusUnavailable", "StorageFailed", "StructuredAppend", "Suspended", "TooLarge",
    "TrustList", "TrustListEntry", "TrustListExpired", "TrustListMismatch", "TrustListMissing",
    "TrustListRollback", "TrustListSequenceJump", "TrustListStore", "TrustStore", "TrustedKey",
    "UnknownCriticalHeader", "UnknownKey", "UnsupportedVersion", "ValidityTooLong",
    "VerifiedLicence", "VerifiedStatusList", "Verifier", "WhenUnavailable", "__version__",
    "cose", "cwt", "generate_device_key", "generate_private_key", "inspect_unverified",
    "kid_for", "load_private_key_pem", "load_public_key_pem", "new_trust_list", "presentation",
    "private_key_to_pem", "public_key_to_pem", "qr", "render_image", "render_png",
    "render_svg", "scan", "sign_status_list", "sign_trust_list", "textcodec",
    "verify_status_list", "verify_trust_list",
]  # fmt: skip

MOVED = sorted(set(NAMES_0_1) - set(ROOT_NAMES))


def test_root_exports_exactly_the_recipes_sorted() -> None:
    """qrseal.__all__ is the short list of recipes, families and subpackages, sorted."""
    assert list(qrseal.__all__) == sorted(qrseal.__all__) == ROOT_NAMES


def test_every_root_name_exists_without_a_warning() -> None:
    """Every name in __all__ resolves, and none of them is deprecated."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in qrseal.__all__:
            assert getattr(qrseal, name) is not None, name


def test_star_import_gives_the_root_names() -> None:
    """`from qrseal import *` binds exactly __all__ (loading the image layer on the way)."""
    namespace: dict[str, object] = {}
    exec("from qrseal import *", namespace)  # noqa: S102 - a fixed statement
    assert set(namespace) - {"__builtins__"} == set(ROOT_NAMES)


def test_families_at_the_root_are_the_error_families() -> None:
    """The seven error families a caller catches are all at the root."""
    assert {family.__name__ for family in qrseal.errors.FAMILIES} <= set(qrseal.__all__)


@pytest.mark.parametrize("name", MOVED)
def test_a_moved_name_still_resolves_with_a_deprecation_warning(name: str) -> None:
    """A 0.1 root name now in a subpackage resolves to the same object, and warns where it went."""
    with pytest.warns(DeprecationWarning, match=rf"^qrseal\.{name} moved to ") as caught:
        value = getattr(qrseal, name)
    found = re.search(r"moved to ([\w.]+):", str(caught[0].message))
    assert found is not None
    home = importlib.import_module(found.group(1))
    assert value is (home if home.__name__.endswith(f".{name}") else getattr(home, name))
    assert home.__name__ != "qrseal"


def test_from_import_of_a_moved_name_warns() -> None:
    """`from qrseal import Malformed` (the usual spelling) warns too, and still works."""
    with pytest.warns(DeprecationWarning, match="qrseal.errors"):
        from qrseal import Malformed
    assert Malformed is qrseal.errors.Malformed


def test_an_unknown_name_is_an_attribute_error() -> None:
    """Names the root never had raise AttributeError, not a warning or an import."""
    name = "no_such_name"
    with pytest.raises(AttributeError, match=name):
        getattr(qrseal, name)


def test_every_root_and_deprecated_name_is_visible_to_type_checkers() -> None:
    """Each name resolved at run time by the root's __getattr__ is declared to mypy, either
    imported at module level or under `if TYPE_CHECKING:` (no hidden magic)."""
    tree = ast.parse(ROOT_SOURCE.read_text(encoding="utf-8"))
    declared: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            declared.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Assign):
            declared.update(t.id for t in node.targets if isinstance(t, ast.Name))
    assert set(NAMES_0_1) | set(ROOT_NAMES) <= declared
