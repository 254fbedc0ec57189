"""SM2 signatures with SM3: GB/T 32918.2-2016 (GM/T 0003.2-2012) over the recommended curve
of GB/T 32918.5-2017 (GM/T 0003.5-2012), hash SM3 (GB/T 32905-2016).

qrseal signs ``e = SM3(Z || M)`` where ``Z = SM3(ENTL || ID || a || b || xG || yG || xA ||
yA)`` binds the signer's distinguishing identifier ``ID`` and public key (GB/T 32918.2 §5.5,
§6.1), with ``ID`` fixed to the standard's default ``1234567812345678`` (docs/format.md,
"SM2"). The curve arithmetic of signing and verifying runs in GmSSL 3 (the ``gmssl-pyx``
wheel, loaded on first use); this module computes ``Z`` and ``e``, checks public keys and
signature ranges, and reads and writes the two DER forms OpenSSL 3 uses for SM2 keys
(SubjectPublicKeyInfo and PKCS#8 with ``id-ecPublicKey`` and the curve OID
1.2.156.10197.1.301). A key's Z is computed once, when the key is made.

Lower-level API: :mod:`qrseal.wire.algorithms` wraps these keys like any other.
"""

from __future__ import annotations

import base64
import re
from typing import Final, Protocol, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ..errors import InvalidArgument, InvalidKey, SignatureInvalid

__all__ = [
    "DEFAULT_DISTID",
    "SIGNATURE_LENGTH",
    "SM2_CURVE_OID",
    "Sm2PrivateKey",
    "Sm2PublicKey",
    "is_sm2_der",
    "sm3",
    "z_value",
]

#: The default distinguishing identifier (GB/T 32918.2 and GM/T 0009: ``1234567812345678``),
#: the one qrseal's wire format uses.
DEFAULT_DISTID: Final = b"1234567812345678"
#: The SM2 curve's OID (GM/T 0006), the SPKI ``namedCurve`` under ``id-ecPublicKey``.
SM2_CURVE_OID: Final = "1.2.156.10197.1.301"
#: An SM2 signature in COSE form: ``r || s``, 32 bytes each.
SIGNATURE_LENGTH: Final = 64

# The recommended curve (GB/T 32918.5-2017 §2): y^2 = x^3 + ax + b over F_p, order n, h = 1.
P: Final = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
A: Final = P - 3
B: Final = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)
N: Final = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
GX: Final = int("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7", 16)
GY: Final = int("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0", 16)
_CURVE_BYTES: Final = b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))

# The DER forms OpenSSL 3 writes (and qrseal reads, byte for byte): SPKI = SEQUENCE {
# SEQUENCE { id-ecPublicKey, sm2 }, BIT STRING { 04 || X || Y } }; PKCS#8 = SEQUENCE {
# 0, SEQUENCE { id-ecPublicKey, sm2 }, OCTET STRING { ECPrivateKey { 1, d, [1] point } } }.
_ALG_ID: Final = bytes.fromhex("301306072a8648ce3d020106082a811ccf5501822d")
SPKI_PREFIX: Final = bytes.fromhex("3059") + _ALG_ID + bytes.fromhex("03420004")
SPKI_LENGTH: Final = len(SPKI_PREFIX) + 64
_PKCS8_PREFIX: Final = bytes.fromhex("308187020100") + _ALG_ID + bytes.fromhex("046d306b0201010420")
_PKCS8_MIDDLE: Final = bytes.fromhex("a14403420004")
_PKCS8_LENGTH: Final = len(_PKCS8_PREFIX) + 32 + len(_PKCS8_MIDDLE) + 64
_PEM: Final = re.compile(rb"-----BEGIN ([A-Z ]+)-----\s+([A-Za-z0-9+/=\s]+?)-----END \1-----\s*")


class _GmSSL(Protocol):
    """The part of ``gmssl_pyx.gmsslext`` (GmSSL 3) qrseal calls; its errors subclass
    ``GmsslInnerError``."""

    GmsslInnerError: type[Exception]

    def sm3_hash(self, message: bytes) -> bytes: ...
    def sm2_key_generate(self) -> tuple[bytes, bytes]: ...
    def sm2_sign_sm3_digest(self, private_key: bytes, digest: bytes) -> bytes: ...
    def sm2_verify_sm3_digest(self, public_key: bytes, digest: bytes, signature: bytes) -> bool: ...


def _gmssl() -> _GmSSL:
    # Loaded on first SM2 use: deployments without SM2 never pay for it.
    from gmssl_pyx import gmsslext

    return cast(_GmSSL, gmsslext)


def sm3(data: bytes) -> bytes:
    """The SM3 digest of ``data`` (GB/T 32905-2016), 32 bytes."""
    return _gmssl().sm3_hash(data)


def on_curve(x: int, y: int) -> bool:
    """Whether ``(x, y)`` is an affine point of the SM2 curve with coordinates below p
    (the curve has cofactor 1, so every such point is in the group)."""
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x + A) * x - B) % P == 0


def z_value(x: int, y: int, distid: bytes = DEFAULT_DISTID) -> bytes:
    """``Z_A`` of GB/T 32918.2 §5.5 for the public key ``(x, y)`` and identifier ``distid``."""
    bits = 8 * len(distid)
    if bits > 0xFFFF:
        raise InvalidArgument("an SM2 distinguishing identifier is at most 8191 bytes")
    return sm3(
        bits.to_bytes(2, "big")
        + distid
        + _CURVE_BYTES
        + x.to_bytes(32, "big")
        + y.to_bytes(32, "big")
    )


_Jacobian = tuple[int, int, int]  # (X, Y, Z) for the affine point (X/Z^2, Y/Z^3); Z = 0: infinity


def _double(p1: _Jacobian) -> _Jacobian:
    x, y, z = p1
    if not y or not z:
        return (1, 1, 0)
    yy = y * y % P
    s = 4 * x * yy % P
    zz = z * z % P
    m = 3 * (x - zz) * (x + zz) % P  # a = -3
    x3 = (m * m - 2 * s) % P
    return x3, (m * (s - x3) - 8 * yy * yy) % P, 2 * y * z % P


def _add(p1: _Jacobian, p2: _Jacobian) -> _Jacobian:
    if not p1[2]:
        return p2
    if not p2[2]:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    h, r = (u2 - u1) % P, (s2 - s1) % P
    if not h:
        return _double(p1) if not r else (1, 1, 0)
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return x3, (r * (v - x3) - s1 * hhh) % P, h * z1 * z2 % P


def public_point(d: int) -> tuple[int, int]:
    """``[d]G`` in plain Python integers: NOT constant-time, so only for keys whose private
    half is public anyway (deterministic test keys, the standard's examples)."""
    result: _Jacobian = (1, 1, 0)
    for bit in bin(d % N)[2:]:
        result = _double(result)
        if bit == "1":
            result = _add(result, (GX, GY, 1))
    x, y, z = result
    if not z:
        raise InvalidKey("the SM2 private scalar is zero modulo n")
    zinv = pow(z, -1, P)
    zinv2 = zinv * zinv % P
    return x * zinv2 % P, y * zinv2 * zinv % P


def decompress(x: int, odd: bool) -> tuple[int, int]:
    """The point with abscissa ``x`` and the given parity of y. Raises ``InvalidKey``."""
    if not 0 <= x < P:
        raise InvalidKey("SM2 x coordinate is not below p")
    rhs = ((x * x + A) * x + B) % P
    y = pow(rhs, (P + 1) // 4, P)  # p = 3 mod 4
    if y * y % P != rhs:
        raise InvalidKey("no point of the SM2 curve has this x coordinate")
    if (y & 1) != odd:
        y = P - y
    return x, y


class Sm2PublicKey:
    """An SM2 public key: a point of the recommended curve (checked when made), with its Z
    value under the default identifier. Equal points are equal keys."""

    __slots__ = ("_point", "_x", "_y", "_z")

    def __init__(self, x: int, y: int) -> None:
        if not on_curve(x, y):
            raise InvalidKey("not a point of the SM2 curve")
        self._x, self._y = x, y
        self._point = x.to_bytes(32, "big") + y.to_bytes(32, "big")
        self._z = z_value(x, y)

    @classmethod
    def from_encoded_point(cls, data: bytes) -> Sm2PublicKey:
        """From SEC 1 bytes: ``04 || X || Y`` (65) or ``02/03 || X`` (33). Raises ``InvalidKey``."""
        if len(data) == 65 and data[0] == 4:
            return cls(int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
        if len(data) == 33 and data[0] in (2, 3):
            return cls(*decompress(int.from_bytes(data[1:], "big"), data[0] == 3))
        raise InvalidKey("an SM2 point is 65 bytes (04 X Y) or 33 bytes (02/03 X)")

    @property
    def x(self) -> int:
        return self._x

    @property
    def y(self) -> int:
        return self._y

    @property
    def z(self) -> bytes:
        """``Z_A`` under :data:`DEFAULT_DISTID`."""
        return self._z

    def public_bytes(
        self, encoding: serialization.Encoding, format: serialization.PublicFormat
    ) -> bytes:
        """SPKI (DER or PEM) or the X9.62 point (compressed or uncompressed), as
        ``cryptography`` keys offer. Raises ``InvalidArgument`` for other forms."""
        if format is serialization.PublicFormat.SubjectPublicKeyInfo:
            der = SPKI_PREFIX + self._point
            if encoding is serialization.Encoding.DER:
                return der
            if encoding is serialization.Encoding.PEM:
                return _pem("PUBLIC KEY", der)
        elif encoding is serialization.Encoding.X962:
            if format is serialization.PublicFormat.UncompressedPoint:
                return b"\x04" + self._point
            if format is serialization.PublicFormat.CompressedPoint:
                return bytes((2 + (self._y & 1),)) + self._point[:32]
        raise InvalidArgument(f"SM2 public keys have no {encoding}/{format} form")

    def verify(self, signature: bytes, message: bytes) -> None:
        """Verify an ``r || s`` signature over ``message`` (ID: the default). Raises
        ``SignatureInvalid``: wrong length, ``r`` or ``s`` outside ``[1, n-1]``, or no match."""
        if len(signature) != SIGNATURE_LENGTH:
            raise SignatureInvalid(
                f"SM2 signature must be {SIGNATURE_LENGTH} bytes, got {len(signature)}"
            )
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < N and 0 < s < N):
            raise SignatureInvalid("SM2 signature r or s is outside [1, n-1]")
        gm = _gmssl()
        digest = sm3(self._z + message)
        try:
            ok = gm.sm2_verify_sm3_digest(self._point, digest, encode_dss_signature(r, s))
        except gm.GmsslInnerError as exc:  # InvalidValueError is a subclass
            raise SignatureInvalid("signature does not verify") from exc
        if ok is not True:
            raise SignatureInvalid("signature does not verify")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sm2PublicKey) and other._point == self._point

    def __hash__(self) -> int:
        return hash(self._point)

    def __repr__(self) -> str:
        return f"Sm2PublicKey(x={self._x:064x})"


class Sm2PrivateKey:
    """An SM2 private key ``d`` in ``[1, n-2]`` (GB/T 32918.1 §6.1) with its public key."""

    __slots__ = ("_d", "_public")

    def __init__(self, d: bytes, public_key: Sm2PublicKey) -> None:
        value = int.from_bytes(d, "big")
        if len(d) != 32 or not 0 < value < N - 1:
            raise InvalidKey("an SM2 private key is 32 bytes holding d in [1, n-2]")
        self._d = d
        self._public = public_key

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        """A fresh key from GmSSL's generator."""
        point, d = _gmssl().sm2_key_generate()
        return cls(d, Sm2PublicKey.from_encoded_point(b"\x04" + point))

    @classmethod
    def derive(cls, d: int) -> Sm2PrivateKey:
        """The key with private scalar ``d``, its public point computed in Python (not
        constant-time: for test keys and the standard's examples only)."""
        if not 0 < d < N - 1:
            raise InvalidKey("an SM2 private scalar lies in [1, n-2]")
        return cls(d.to_bytes(32, "big"), Sm2PublicKey(*public_point(d)))

    def public_key(self) -> Sm2PublicKey:
        return self._public

    def sign(self, message: bytes) -> bytes:
        """``r || s`` over ``message`` with the default ID. Raises ``InvalidKey`` if GmSSL
        refuses the key."""
        gm = _gmssl()
        digest = sm3(self._public.z + message)
        try:
            r, s = decode_dss_signature(gm.sm2_sign_sm3_digest(self._d, digest))
        except (gm.GmsslInnerError, ValueError) as exc:
            raise InvalidKey("GmSSL could not sign with this SM2 key") from exc
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        """Unencrypted PKCS#8 (DER or PEM) in OpenSSL 3's form. Raises ``InvalidArgument``
        for other forms, including an encrypted one (keep SM2 keys in an HSM or protect the
        file by other means)."""
        if not isinstance(encryption_algorithm, serialization.NoEncryption):
            raise InvalidArgument("qrseal cannot encrypt SM2 private keys; store them unencrypted")
        if format is serialization.PrivateFormat.PKCS8:
            der = (
                _PKCS8_PREFIX
                + self._d
                + _PKCS8_MIDDLE
                + self._public.public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )[1:]
            )
            if encoding is serialization.Encoding.DER:
                return der
            if encoding is serialization.Encoding.PEM:
                return _pem("PRIVATE KEY", der)
        raise InvalidArgument(f"SM2 private keys have no {encoding}/{format} form")

    def __repr__(self) -> str:
        return f"Sm2PrivateKey({self._public!r})"


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"".join(
        (
            f"-----BEGIN {label}-----\n".encode(),
            *(ln + b"\n" for ln in lines),
            f"-----END {label}-----\n".encode(),
        )
    )


def pem_der(data: bytes, label: str) -> bytes | None:
    """The DER inside a PEM block with ``label`` (None when ``data`` is not one)."""
    match = _PEM.fullmatch(data.strip() + b"\n")
    if match is None or match.group(1).decode() != label:
        return None
    try:
        return base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except ValueError:
        return None


def is_sm2_der(der: bytes) -> bool:
    """Whether a DER SPKI or PKCS#8 names the SM2 curve in its algorithm identifier (then
    :func:`load_spki` or :func:`load_pkcs8` must read it: cryptography cannot)."""
    return der[2:23] == _ALG_ID or der[6:27] == _ALG_ID


def load_spki(der: bytes) -> Sm2PublicKey:
    """An SM2 SPKI in the one DER form (uncompressed point). Raises ``InvalidKey``."""
    if len(der) != SPKI_LENGTH or not der.startswith(SPKI_PREFIX):
        raise InvalidKey("not an SM2 SubjectPublicKeyInfo in its DER form")
    return Sm2PublicKey.from_encoded_point(b"\x04" + der[len(SPKI_PREFIX) :])


def load_pkcs8(der: bytes) -> Sm2PrivateKey:
    """An unencrypted SM2 PKCS#8 in OpenSSL 3's DER form (with the public point, which must
    belong to ``d``: a signature by ``d`` is checked under it). Raises ``InvalidKey``."""
    split = len(_PKCS8_PREFIX) + 32
    if (
        len(der) != _PKCS8_LENGTH
        or not der.startswith(_PKCS8_PREFIX)
        or der[split : split + len(_PKCS8_MIDDLE)] != _PKCS8_MIDDLE
    ):
        raise InvalidKey("not an unencrypted SM2 PKCS#8 key in OpenSSL's DER form")
    public = Sm2PublicKey.from_encoded_point(b"\x04" + der[split + len(_PKCS8_MIDDLE) :])
    key = Sm2PrivateKey(der[len(_PKCS8_PREFIX) : split], public)
    try:  # pairwise consistency: a file whose point is not [d]G would sign unverifiably
        public.verify(key.sign(b"qrseal SM2 key check"), b"qrseal SM2 key check")
    except SignatureInvalid as exc:
        raise InvalidKey(
            "the SM2 key file's public point does not belong to its private key"
        ) from exc
    return key
