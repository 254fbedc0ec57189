"""The byte strings and COSE structures qrseal writes by hand are what cbor2 writes."""

from __future__ import annotations

import cbor2
import pytest

from qrseal.errors import QrsealError, Reason
from qrseal.testing import make_private_key
from qrseal.wire.cbor import bstr, head
from qrseal.wire.cose import encode_sign1, sig_structure
from qrseal.wire.keys import LocalSigner

_SIZES = (0, 1, 23, 24, 255, 256, 65535, 65536)


@pytest.mark.parametrize("size", _SIZES)
def test_bstr_matches_cbor2(size: int) -> None:
    """A byte string of any head length is encoded as cbor2 encodes it."""
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert bstr(data) == cbor2.dumps(data)


@pytest.mark.parametrize("value", [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1])
def test_head_matches_cbor2(value: int) -> None:
    """An unsigned integer's head is its preferred serialisation; 2**64 is refused."""
    assert head(0, value) == cbor2.dumps(value)
    with pytest.raises(QrsealError) as err:
        head(0, 2**64)
    assert err.value.reason is Reason.INVALID_ARGUMENT


@pytest.mark.parametrize("aad", [b"", b"x" * 30])
def test_sig_structure_matches_cbor2(aad: bytes) -> None:
    """The Sig_structure is the cbor2 encoding of ["Signature1", protected, aad, payload]."""
    protected, payload = cbor2.dumps({1: -7}), b"p" * 300
    assert sig_structure(protected, payload, aad) == cbor2.dumps(
        ["Signature1", protected, aad, payload]
    )


@pytest.mark.parametrize("unprotected", [None, {4: b"kid"}])
def test_sign1_matches_cbor2(unprotected: dict[int, object] | None) -> None:
    """encode_sign1 writes the cbor2 encoding of the tagged four-element array."""
    signer = LocalSigner(make_private_key())
    payload = b"\xa1\x01\x62ab" * 20
    message = encode_sign1(
        payload, alg=signer.algorithm, kid=signer.kid, sign=signer.sign, unprotected=unprotected
    )
    item = cbor2.loads(message)
    assert message == cbor2.dumps(
        cbor2.CBORTag(18, [item.value[0], unprotected or {}, payload, item.value[3]])
    )
