"""The PKCS#11 signer against a fresh SoftHSM2 token: keys made in the token, COSE-form
signatures that verify, the kid computed as for local keys, typed token errors."""

from __future__ import annotations

import pickle

import pkcs11
import pytest
from pkcs11 import Attribute, ObjectClass

from qrseal.errors import Reason
from qrseal.issuer import Issuer
from qrseal.testing import FIXED_NOW, sample_licence
from qrseal.trust.store import TrustedKey, TrustStore
from qrseal.verifier import Verifier
from qrseal.wire.algorithms import Algorithm, verify_signature
from qrseal.wire.keys import Signer, kid_for
from qrseal.wire.pkcs11 import TokenKey, generate_token_key, open_signer
from tests.hsm import SoftHsm
from tests.support import reason_of


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.ES384, Algorithm.EDDSA])
def test_a_token_key_signs_in_cose_form(softhsm: SoftHsm, alg: Algorithm) -> None:
    """A key generated in the token signs; the r||s (or EdDSA) signature verifies with the
    exported public key, whose kid is the local kid rule's."""
    label = f"sign-{alg.name}"
    public = generate_token_key(softhsm.module, softhsm.token, softhsm.pin, label=label, alg=alg)
    with open_signer(softhsm.module, softhsm.token, softhsm.pin, label=label) as signer:
        assert isinstance(signer, Signer)
        assert signer.algorithm is alg
        assert signer.kid == kid_for(public)
        signature = signer.sign(b"Sig_structure bytes")
        verify_signature(alg, public, signature, b"Sig_structure bytes")
        assert (
            reason_of(lambda: verify_signature(alg, public, signature, b"other bytes"))
            is Reason.SIGNATURE_INVALID
        )


def test_a_credential_signed_in_the_token_verifies(softhsm: SoftHsm) -> None:
    """The issuer signs through the token; a verifier trusting the exported key accepts it."""
    public = generate_token_key(softhsm.module, softhsm.token, softhsm.pin, label="issuer")
    key = TokenKey(softhsm.module, softhsm.token, softhsm.pin, label="issuer")
    with key.open() as signer:
        text = Issuer(signer=signer, issuer="CN-SC").issue(sample_licence(0), now=FIXED_NOW)
    verifier = Verifier(TrustStore([TrustedKey(public, "CN-SC")]))
    verified = verifier.verify(text, now=FIXED_NOW)
    assert verified.kid == kid_for(public)
    assert verified.licence.document_number == sample_licence(0).document_number


def test_the_private_key_stays_in_the_token(softhsm: SoftHsm) -> None:
    """The generated private key is sensitive, not extractable, and carries the kid as id."""
    public = generate_token_key(softhsm.module, softhsm.token, softhsm.pin, label="kept")
    session = pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token).open()
    try:
        # Without login the private object is not even visible; with a login, not readable.
        assert not list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
    finally:
        session.close()
    with open_signer(softhsm.module, softhsm.token, softhsm.pin, key_id=kid_for(public)) as s:
        assert s.kid == kid_for(public)
    session = (
        pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token).open(user_pin=softhsm.pin)
    )
    try:
        private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label="kept")
        assert private[Attribute.SENSITIVE] and not private[Attribute.EXTRACTABLE]
        assert reason_of(lambda: pickle.dumps(s)) is Reason.INVALID_ARGUMENT
    finally:
        session.close()


def test_token_errors_are_typed(softhsm: SoftHsm) -> None:
    """Wrong PIN, unknown token, missing module, missing key and a taken label each raise
    their own reason."""
    generate_token_key(softhsm.module, softhsm.token, softhsm.pin, label="errs")
    m, t, pin = softhsm.module, softhsm.token, softhsm.pin
    assert reason_of(lambda: open_signer(m, t, "0000-wrong", label="errs")) is (
        Reason.TOKEN_LOGIN_FAILED
    )
    assert reason_of(lambda: open_signer(m, "no-such-token", pin, label="errs")) is (
        Reason.TOKEN_UNAVAILABLE
    )
    assert reason_of(lambda: open_signer("/nonexistent/libp11.so", t, pin, label="x")) is (
        Reason.TOKEN_UNAVAILABLE
    )
    assert reason_of(lambda: open_signer(m, t, pin, label="absent")) is (Reason.TOKEN_KEY_NOT_FOUND)
    assert reason_of(lambda: generate_token_key(m, t, pin, label="errs")) is (
        Reason.INVALID_ARGUMENT
    )


def test_a_token_key_travels_without_showing_its_pin(softhsm: SoftHsm) -> None:
    """TokenKey pickles (for worker processes) and its repr hides the PIN."""
    key = TokenKey(softhsm.module, softhsm.token, softhsm.pin, label="issuer")
    assert pickle.loads(pickle.dumps(key)) == key  # noqa: S301 (our own bytes)
    assert softhsm.pin not in repr(key)
    assert reason_of(lambda: TokenKey(softhsm.module, softhsm.token, "1")) is (
        Reason.INVALID_ARGUMENT
    )
