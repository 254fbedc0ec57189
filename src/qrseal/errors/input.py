"""The input cannot be read as what it claims to be (:class:`~qrseal.errors.InputError`):
too large, an unknown version, not well-formed at some layer, not a valid licence, or an
image without exactly one readable single-symbol QR code."""

from __future__ import annotations

from .base import InputError, Reason

__all__ = [
    "AmbiguousImage",
    "InvalidImage",
    "InvalidLicence",
    "LicenceNotIssuable",
    "LicenceProblem",
    "Malformed",
    "MalformedCbor",
    "MalformedClaims",
    "MalformedCompression",
    "MalformedCose",
    "MalformedRecord",
    "MalformedText",
    "MalformedTrustList",
    "NoQrFound",
    "StatusListInvalid",
    "StructuredAppend",
    "TooLarge",
    "UnknownCriticalHeader",
    "UnsupportedVersion",
]


class TooLarge(InputError):
    """An input exceeds a size cap before or during decoding."""

    reason = Reason.TOO_LARGE

    def __init__(self, message: str, *, what: str, limit: int, actual: int | None = None) -> None:
        super().__init__(message)
        self.what = what
        self.limit = limit
        self.actual = actual


class UnsupportedVersion(InputError):
    """The text prefix names a credential type or format version this reader does not know."""

    reason = Reason.UNSUPPORTED_VERSION

    def __init__(self, message: str, *, prefix: str | None = None) -> None:
        super().__init__(message)
        self.prefix = prefix


class Malformed(InputError):
    """Input is not well-formed at some layer. Subclasses name the layer."""

    reason = Reason.ERROR


class MalformedText(Malformed):
    """The text body is not valid for its text encoding (Base45 or numeric)."""

    reason = Reason.MALFORMED_TEXT


class MalformedCompression(Malformed):
    """The zlib stream is corrupt or truncated."""

    reason = Reason.MALFORMED_COMPRESSION


class MalformedCbor(Malformed):
    """The bytes are not strictly valid CBOR (duplicates, indefinite lengths, depth, trailing)."""

    reason = Reason.MALFORMED_CBOR


class MalformedCose(Malformed):
    """Valid CBOR that is not a well-formed COSE structure (tag, shape, headers)."""

    reason = Reason.MALFORMED_COSE


class UnknownCriticalHeader(MalformedCose):
    """The protected ``crit`` header lists a label this implementation does not understand."""

    reason = Reason.UNKNOWN_CRITICAL_HEADER

    def __init__(self, message: str, *, labels: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.labels = labels


class MalformedClaims(Malformed):
    """The signed payload is not a valid CWT claims set (checked only after the signature)."""

    reason = Reason.MALFORMED_CLAIMS


class MalformedTrustList(Malformed):
    """A trust list's payload (checked only after its signature) is not a valid trust list,
    or its protected ``typ`` does not name one."""

    reason = Reason.MALFORMED_TRUST_LIST


class StatusListInvalid(Malformed):
    """A Status List Token or status list is well-formed CBOR/COSE but not a valid status list:
    a wrong protected ``typ``, a bad ``bits`` or ``lst``, a ``sub`` other than the URI asked
    for, or an index outside the list."""

    reason = Reason.STATUS_LIST_INVALID


class LicenceProblem:
    """One validation finding: the offending field (dotted path), a short code and a message."""

    __slots__ = ("code", "field", "message")

    def __init__(self, field: str, code: str, message: str) -> None:
        self.field = field
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"LicenceProblem({self.field!r}, {self.code!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LicenceProblem):
            return NotImplemented
        return (self.field, self.code, self.message) == (other.field, other.code, other.message)

    def __hash__(self) -> int:
        return hash((self.field, self.code, self.message))


class InvalidLicence(InputError, ValueError):
    """Licence data fails validation. ``field`` names the first offending field;
    ``problems`` lists every error found."""

    reason = Reason.INVALID_LICENCE

    def __init__(
        self, message: str, *, field: str, problems: tuple[LicenceProblem, ...] = ()
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problems = problems or (LicenceProblem(field, "invalid", message),)


class LicenceNotIssuable(InvalidLicence):
    """A strict issuer (``Issuer(strict=True)``) refused a valid licence with warnings:
    ``problems`` lists them (e.g. ``document_expired``, ``drive_not_permitted``). The
    reason stays ``invalid_licence``."""


class NoQrFound(InputError):
    """The image holds no readable QR code."""

    reason = Reason.NO_QR_FOUND


class InvalidImage(InputError):
    """The input is not a decodable image, or exceeds the pixel cap."""

    reason = Reason.INVALID_IMAGE


class AmbiguousImage(InputError):
    """The image holds more than one different credential: which one the holder meant to
    show is unknown, so none is verified. ``texts`` are the credential codes found (read
    them all with :func:`qrseal.qr.scan`)."""

    reason = Reason.AMBIGUOUS_IMAGE

    def __init__(self, message: str, *, texts: tuple[str, ...]) -> None:
        super().__init__(message)
        self.texts = texts


class StructuredAppend(InputError):
    """A QR symbol in the image is one part of a Structured Append sequence (ISO/IEC 18004
    mode 0011): its text is not a whole message. qrseal codes are single symbols."""

    reason = Reason.STRUCTURED_APPEND


class MalformedRecord(InputError):
    """A batch input record is not one object with a text ``id`` and a ``licence`` (a
    line that is not JSON, a CSV row of the wrong shape)."""

    reason = Reason.MALFORMED_RECORD

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message)
        self.line = line


class DuplicateRecord(InputError):
    """A batch input record has the id of a record already issued in the same batch: a
    batch is idempotent by record id, so it is not issued a second time."""

    reason = Reason.DUPLICATE_RECORD

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message)
        self.line = line
