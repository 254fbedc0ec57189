"""Hostile input for the opt-in algorithms (issue 15): SM2 and ML-DSA-44 credentials under
mutation, keys of one algorithm presented for another, wrong-length signatures."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import mldsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal.errors import QrsealError, Reason
from qrseal.licence.profile import DL_FORMAT, LICENCE_CLAIM
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    make_issuer,
    make_signer,
    make_verifier_all,
    sample_licence,
)
from qrseal.wire.algorithms import Algorithm, algorithm_for_key, check_key_algorithm
from qrseal.wire.cose import COSE_SIGN1_TAG, deterministic_dumps, sig_structure
from qrseal.wire.cwt import Claims, encode_claims
from qrseal.wire.keys import LocalSigner, PrivateKey
from qrseal.wire.textcodec import pack, unpack
from tests.support import reason_of

OPT_IN = [Algorithm.SM2, Algorithm.ML_DSA_44]
_PAYLOAD = encode_claims(
    Claims(
        issuer=TEST_ISSUER,
        issued_at=FIXED_NOW,
        expires_at=FIXED_NOW + timedelta(hours=1),
        extra={LICENCE_CLAIM: sample_licence(0).to_cbor_map()},
    )
)


def _forge(alg: int, kid: bytes, signer: LocalSigner, *, signature: bytes | None = None) -> str:
    """A credential whose protected header says ``alg``/``kid``, signed by ``signer``."""
    protected = deterministic_dumps({1: alg, 4: kid})
    sig = signer.sign(sig_structure(protected, _PAYLOAD)) if signature is None else signature
    body = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, _PAYLOAD, sig])
    return pack(cbor2.dumps(body), DL_FORMAT, compress=False)


@pytest.mark.parametrize(
    ("claimed", "actual"),
    [
        (Algorithm.SM2, Algorithm.ES256),
        (Algorithm.ES256, Algorithm.SM2),
        (Algorithm.ML_DSA_44, Algorithm.EDDSA),
        (Algorithm.EDDSA, Algorithm.ML_DSA_44),
        (Algorithm.SM2, Algorithm.ML_DSA_44),
    ],
    ids=lambda a: a.name,
)
def test_key_of_one_algorithm_presented_for_another(claimed: Algorithm, actual: Algorithm) -> None:
    """A credential whose alg names one algorithm but whose kid (and signature) is another
    algorithm's trusted key is algorithm_not_allowed, even with every algorithm allowed."""
    signer = make_signer(actual)
    text = _forge(int(claimed), signer.kid, signer)
    assert reason_of(lambda: make_verifier_all().verify(text, now=FIXED_NOW)) is (
        Reason.ALGORITHM_NOT_ALLOWED
    )


@pytest.mark.parametrize("alg", OPT_IN, ids=lambda a: a.name)
@pytest.mark.parametrize("length", ["short", "long", "other"])
def test_wrong_length_signature_is_signature_invalid(alg: Algorithm, length: str) -> None:
    """A credential whose signature is a byte short or long, or has the other algorithm's
    length (64 for ML-DSA-44, 2,420 for SM2), is signature_invalid."""
    signer = make_signer(alg)
    good = signer.sign(sig_structure(deterministic_dumps({1: int(alg), 4: signer.kid}), _PAYLOAD))
    other = 64 if alg is Algorithm.ML_DSA_44 else 2420
    bad = {"short": good[:-1], "long": good + b"\0", "other": (good * 40)[:other]}[length]
    text = _forge(int(alg), signer.kid, signer, signature=bad)
    assert reason_of(lambda: make_verifier_all().verify(text, now=FIXED_NOW)) is (
        Reason.SIGNATURE_INVALID
    )


def test_other_ml_dsa_parameter_sets_are_not_ml_dsa_44() -> None:
    """An ML-DSA-65 key has no algorithm here (invalid_key) and does not fit ML-DSA-44."""
    key = mldsa.MLDSA65PrivateKey.generate()
    hostile = cast(PrivateKey, key)  # deliberately a key type qrseal does not take
    assert reason_of(lambda: algorithm_for_key(hostile)) is Reason.INVALID_KEY
    assert reason_of(lambda: check_key_algorithm(Algorithm.ML_DSA_44, key.public_key())) is (
        Reason.ALGORITHM_NOT_ALLOWED
    )


_VALID = {alg: make_issuer(alg).issue(sample_licence(0), now=FIXED_NOW) for alg in OPT_IN}
_VERIFIER = make_verifier_all()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alg=st.sampled_from(OPT_IN), data=st.data())
def test_byte_mutations_only_raise_qrseal_errors(alg: Algorithm, data: st.DataObject) -> None:
    """Random byte edits of an SM2 or ML-DSA-44 credential raise only QrsealError (GmSSL and
    cryptography errors are translated) and never accept changed content."""
    original = _VALID[alg]
    cose = bytearray(unpack(original, (DL_FORMAT,))[1])
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(cose) - 1))
        cose[pos] = data.draw(st.integers(0, 255))
    text = pack(bytes(cose), DL_FORMAT, compress=False)
    try:
        result = _VERIFIER.verify(text, now=FIXED_NOW)
    except QrsealError:
        return
    assert result.claims == _VERIFIER.verify(original, now=FIXED_NOW).claims
