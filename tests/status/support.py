"""Shared set-ups for the status tests: the draft's vectors, signed lists, verified lists."""

from __future__ import annotations

import base64
import json
import re
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from qrseal.status.lists import (
    StatusList,
)
from qrseal.status.token import (
    VerifiedStatusList,
    sign_status_list,
    verify_status_list,
)
from qrseal.testing import FIXED_NOW, make_signer
from qrseal.wire.cose import PublicKey
from qrseal.wire.keys import (
    LocalSigner,
)
from tests.vectors import vector_path

ROOT = Path(__file__).resolve().parents[2]


NOW = FIXED_NOW


URI = "https://status.example.cn/dl/0"


HOUR = timedelta(hours=1)


def draft_hex(name: str) -> bytes:
    """The hex bytes of one of the draft's example files (skips when the vectors are absent)."""
    text = vector_path("token-status-list", name).read_text(encoding="ascii")
    return bytes.fromhex("".join(re.findall(r"^[0-9a-f]+$", text, re.MULTILINE)))


def draft_key() -> PublicKey:
    """The P-256 public key of the draft's example signer (README's JWK, kid "12")."""
    readme = vector_path("token-status-list", "README.md").read_text(encoding="utf-8")
    jwk = json.loads(re.findall(r"^\{.*\}$", readme, re.MULTILINE)[0])

    def coord(name: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(jwk[name] + "=" * (-len(jwk[name]) % 4)))

    return ec.EllipticCurvePublicNumbers(coord("x"), coord("y"), ec.SECP256R1()).public_key()


def reference_pack(values: list[int], bits: int) -> bytes:
    """Pack values the obvious way (LSB first), as the draft's §4.1 describes it."""
    per = 8 // bits
    out = bytearray((len(values) + per - 1) // per)
    for i, value in enumerate(values):
        out[i // per] |= value << (bits * (i % per))
    return bytes(out)


def signed(status_list: StatusList, **kwargs: Any) -> tuple[bytes, LocalSigner]:
    signer = kwargs.pop("signer", make_signer())
    options: dict[str, Any] = {"uri": URI, "now": NOW, "ttl": HOUR, "valid_for": 24 * HOUR}
    options.update(kwargs)
    return sign_status_list(status_list, signer=signer, **options), signer


def keys_of(signer: LocalSigner) -> list[tuple[bytes, PublicKey]]:
    return [(signer.kid, signer.public_key)]


def sample_list(size: int = 1000, bits: int = 2) -> StatusList:
    status_list = StatusList(size, bits)
    status_list.set(0, 1)
    status_list.set(7, 2)
    status_list.set(size - 1, 1)
    return status_list


def verified_list(
    status_list: StatusList | None = None,
    *,
    uri: str = URI,
    now: datetime = NOW,
    valid_for: timedelta | None = 24 * HOUR,
) -> VerifiedStatusList:
    token, signer = signed(status_list or sample_list(), uri=uri, now=now, valid_for=valid_for)
    return verify_status_list(token, keys=keys_of(signer), now=now)


def zeros_stream(size: int) -> bytes:
    """A zlib stream of ``size`` zero bytes, built without holding them."""
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    out = [
        comp.compress(chunk[: min(len(chunk), size - done)]) for done in range(0, size, len(chunk))
    ]
    return b"".join(out) + comp.flush()


# Appendix C of the draft: every entry not listed is 0.
DRAFT_LONG = {
    "status_list_encoding1_long_cbor.md": (
        1,
        {i: 1 for i in (0, 1993, 25460, 159495, 495669, 554353, 645645, 723232, 854545, 934534, 1000345)},
    ),
    "status_list_encoding2_long_cbor.md": (
        2,
        {0: 1, 1993: 2, 25460: 1, 159495: 3, 495669: 1, 554353: 1, 645645: 2, 723232: 1,
         854545: 1, 934534: 2, 1000345: 3},
    ),
    "status_list_encoding4_cbor.md": (
        4,
        {0: 1, 1993: 2, 35460: 3, 459495: 4, 595669: 5, 754353: 6, 845645: 7, 923232: 8,
         924445: 9, 934534: 10, 1004534: 11, 1000345: 12, 1030203: 13, 1030204: 14, 1030205: 15},
    ),
}  # fmt: skip


# §4.1: the 16-entry 1-bit list (bytes b9 a3) and the 12-entry 2-bit list (c9 44 f9).
DRAFT_SHORT = {
    "status_list_encoding_cbor.md": (1, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]),
    "status_list_encoding2_cbor.md": (2, [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]),
}
