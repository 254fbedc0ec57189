"""Disclosure views (issue 13, docs/format.md §17): one issuer-signed credential per view,
presented live; the verifier reports what was shown and withheld; hostile variants fail."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrseal import Holder, Issuer, Policy, Reason, Verifier
from qrseal.errors import FieldsWithheld, InvalidArgument, InvalidLicence, QrsealError
from qrseal.issuer import Credential
from qrseal.licence import china as cn
from qrseal.licence.profile import DP_FORMAT, LICENCE_CLAIM
from qrseal.licence.views import (
    AGE,
    ALWAYS_PRESENT,
    DEFAULT_AGE_THRESHOLDS,
    FULL,
    RENTAL,
    View,
    age_elements,
    age_over_key,
    decode_disclosure,
    resolve_view,
    view_elements,
)
from qrseal.qr.render import Ecc, qr_version
from qrseal.testing import (
    FIXED_NOW,
    make_device_signer,
    make_issuer,
    make_signer,
    make_verifier,
    sample_licence,
    sample_licence_json,
)
from qrseal.wire.cose import decode_sign1, encode_sign1
from qrseal.wire.cwt import decode_claims
from qrseal.wire.presentation import ReplayCache, encode_presentation
from qrseal.wire.textcodec import numeric_encode, pack, unpack

from .support import Cli, reason_of

_DEVICE = make_device_signer()


def _wallet(
    index: int = 0,
    device_index: int = 0,
    *,
    views: tuple[str | View, ...] = ("full", "rental", "age"),
    age_thresholds: tuple[int, ...] = DEFAULT_AGE_THRESHOLDS,
    valid_for: timedelta = timedelta(hours=72),
) -> dict[str, Credential]:
    device = make_device_signer(index=device_index)
    wallet = make_issuer().sign_views(
        sample_licence(index),
        now=FIXED_NOW,
        holder_key=device.public_key,
        views=views,
        age_thresholds=age_thresholds,
        valid_for=valid_for,
    )
    return dict(wallet)


def _holder(index: int = 0) -> Holder:
    return Holder(_wallet(index), device_signer=_DEVICE)


def _resign(cose: bytes, change: dict[int, object]) -> bytes:
    """The credential re-signed by the test issuer with its licence map replaced by ``change``."""
    claims = cbor2.loads(decode_sign1(cose).payload)
    claims[LICENCE_CLAIM] = change
    signer = make_signer()
    payload = cbor2.dumps(dict(sorted(claims.items(), key=_key)), canonical=True)
    return encode_sign1(payload, alg=signer.algorithm, kid=signer.kid, sign=signer.sign)


def _key(item: tuple[int, object]) -> tuple[int, int]:
    key = item[0]
    return (0, key) if key >= 0 else (1, -1 - key)


def _live(cose: bytes) -> str:
    data = encode_presentation(
        cose, alg=_DEVICE.algorithm, sign=_DEVICE.sign, presented_at=FIXED_NOW
    )
    return pack(data, DP_FORMAT, compress=None)


# --- the views round-trip ---------------------------------------------------------------


@pytest.mark.parametrize("index", range(5))
def test_every_view_round_trips_issuer_holder_verifier(index: int) -> None:
    """Each built-in view of each sample verifies live and shows exactly that view's elements."""
    holder = _holder(index)
    verifier = make_verifier()
    licence = sample_licence(index)
    for view in (FULL, RENTAL, AGE):
        result = verifier.verify(holder.present(now=FIXED_NOW, view=view.name), now=FIXED_NOW)
        assert result.presentation.value == "live"
        shown = result.disclosed - {"profile", "un_distinguishing_sign", "issuing_country"}
        assert shown <= view.elements | {"full_name_national_character"}
        if view is FULL:
            assert result.licence == dataclasses.replace(
                licence,
                resident_address=None,
                resident_address_national_character=None,
                issuing_authority_national_character=None,
            )
            assert result.withheld == frozenset()
    assert verifier.verify(holder.present(now=FIXED_NOW, view="age"), now=FIXED_NOW).elements == {
        "age_over_18": True
    }


def test_rental_view_hides_identity_and_withholds_what_every_licence_has() -> None:
    """The rental view shows names, classes, validity, status and points, not the ID number,
    birth date or address; the result lists the withheld mandatory elements."""
    result = make_verifier().verify(_holder().present(now=FIXED_NOW, view="rental"), now=FIXED_NOW)
    assert {"family_name", "domestic_privileges", "expiry_date", "status", "points"} <= (
        result.disclosed
    )
    assert not {"document_number", "birth_date", "resident_address"} & result.disclosed
    assert {"document_number", "birth_date", "sex"} <= result.withheld
    assert result.withheld <= ALWAYS_PRESENT
    assert result.is_partial
    assert result.to_json()["licence"]["family_name"] == sample_licence(0).family_name


def test_whole_licence_of_a_partial_view_raises_fields_withheld() -> None:
    """Asking a partial view for the whole licence raises a typed error, never returns None."""
    result = make_verifier().verify(_holder().present(now=FIXED_NOW, view="age"), now=FIXED_NOW)
    with pytest.raises(FieldsWithheld) as info:
        _ = result.licence
    assert info.value.reason is Reason.FIELDS_WITHHELD
    assert "document_number" in info.value.missing


def test_long_term_licence_does_not_count_expiry_as_withheld() -> None:
    """A long-term (长期) licence has no expiry date, so a view showing its validity term does
    not list expiry_date as withheld."""
    index = next(i for i in range(5) if sample_licence(i).expiry_date is None)
    result = make_verifier().verify(
        _holder(index).present(now=FIXED_NOW, view="rental"), now=FIXED_NOW
    )
    assert "expiry_date" not in result.withheld
    assert result.elements["validity_term"] == 3


# --- age attestations ---------------------------------------------------------------------


@pytest.mark.parametrize("index", range(5))
def test_age_elements_are_computed_by_the_issuer_at_signing(index: int) -> None:
    """age_in_years, age_birth_year and age_over_NN follow the birth date at the signing time
    (China-local date), for the issuer's thresholds."""
    licence = sample_licence(index)
    ages = age_elements(licence, now=FIXED_NOW, thresholds=(18, 65))
    age = licence.age_on(FIXED_NOW.astimezone(cn.CN_UTC_OFFSET).date())
    assert ages == {37: age, 38: licence.birth_date.year, age_over_key(18): age >= 18,
                    age_over_key(65): age >= 65}  # fmt: skip


def test_custom_age_view_shows_only_what_it_names() -> None:
    """A custom view of age_in_years and an issuer-chosen threshold verifies with just those."""
    view = View("bar", frozenset({"age_in_years", "age_over_70"}))
    wallet = _wallet(1, views=(view,), age_thresholds=(16, 70))
    result = make_verifier().verify(
        Holder(wallet, device_signer=_DEVICE).present(now=FIXED_NOW, view="bar"), now=FIXED_NOW
    )
    assert set(result.elements) == {"age_in_years", "age_over_70"}
    age = result.elements["age_in_years"]
    assert isinstance(age, int)
    assert result.elements["age_over_70"] is (age >= 70)


def test_threshold_the_issuer_does_not_attest_is_refused_at_issuance() -> None:
    """A view of an age_over_NN the issuer does not attest has nothing to sign."""
    with pytest.raises(InvalidArgument):
        _wallet(views=("age_over_25",))


def test_view_names_are_checked() -> None:
    """Unknown element names, empty views and unknown built-in names are InvalidArgument."""
    assert reason_of(lambda: View("x", frozenset({"nope"}))) is Reason.INVALID_ARGUMENT
    assert reason_of(lambda: View("x", frozenset())) is Reason.INVALID_ARGUMENT
    assert reason_of(lambda: resolve_view("police")) is Reason.INVALID_ARGUMENT
    assert resolve_view("age_over_21").elements == {"age_over_21"}


# --- policy ---------------------------------------------------------------------------------


def test_policy_required_fields_refuses_a_view_that_shows_too_little() -> None:
    """A verifier that requires the document number refuses the rental view, typed."""
    verifier = make_verifier(Policy(required_fields=frozenset({"document_number"})))
    code = _holder().present(now=FIXED_NOW, view="rental")
    with pytest.raises(FieldsWithheld) as info:
        verifier.verify(code, now=FIXED_NOW)
    assert info.value.missing == {"document_number"}
    verifier.verify(_holder().present(now=FIXED_NOW, view="full"), now=FIXED_NOW)


def test_policy_can_demand_an_age_attestation() -> None:
    """A bar's policy requiring age_over_18 accepts the age view and refuses the rental one."""
    verifier = make_verifier(Policy(required_fields=frozenset({"age_over_18"})))
    assert verifier.verify(_holder().present(now=FIXED_NOW, view="age"), now=FIXED_NOW)
    code = _holder().present(now=FIXED_NOW, view="rental")
    assert reason_of(lambda: verifier.verify(code, now=FIXED_NOW)) is Reason.FIELDS_WITHHELD


def test_policy_with_an_unknown_element_is_invalid_argument() -> None:
    """Required fields are element names; anything else is refused when the policy is made."""
    with pytest.raises(InvalidArgument):
        Policy(required_fields=frozenset({"shoe_size"}))


# --- hostile ------------------------------------------------------------------------------


def test_view_of_another_credential_fails_holder_binding() -> None:
    """Another holder's age view, shown with this device's proof, is refused."""
    other = _wallet(device_index=1)["age"].cose
    code = _live(other)
    assert reason_of(lambda: make_verifier().verify(code, now=FIXED_NOW)) is (
        Reason.HOLDER_BINDING_INVALID
    )


def test_modified_value_breaks_the_issuer_signature() -> None:
    """Turning age_over_18 from false to true (or back) inside a signed view is refused."""
    cose = _wallet()["age"].cose
    flipped = cose.replace(b"\x32\xf5", b"\x32\xf4")  # {-19 (age_over_18): true} -> false
    assert flipped != cose
    assert reason_of(lambda: make_verifier().verify(_live(flipped), now=FIXED_NOW)) is (
        Reason.SIGNATURE_INVALID
    )


def test_replayed_view_presentation_is_refused_by_the_replay_cache() -> None:
    """The same live view code shown twice within its window is refused the second time."""
    verifier = Verifier(make_verifier().trust, replay_cache=ReplayCache(16))
    code = _holder().present(now=FIXED_NOW, view="age")
    verifier.verify(code, now=FIXED_NOW)
    assert reason_of(lambda: verifier.verify(code, now=FIXED_NOW)) is (Reason.PRESENTATION_REPLAYED)


@pytest.mark.parametrize(
    "licence_map",
    [
        {0: 1},  # a view claiming to show something, showing only the profile
        {age_over_key(18): 1},  # an age attestation that is not a bool
        {37: 250},  # an age out of range
        {41: True},  # a key that names no element
        {age_over_key(100): True},  # past age_over_99
        {},  # nothing at all
    ],
)
def test_view_whose_signed_map_is_not_a_view_is_invalid_licence(
    licence_map: dict[int, object],
) -> None:
    """A genuinely signed map that shows no element, a wrong type or an unknown key fails."""
    cose = _resign(_wallet()["age"].cose, licence_map)
    assert reason_of(lambda: make_verifier().verify(_live(cose), now=FIXED_NOW)) is (
        Reason.INVALID_LICENCE
    )


def test_partial_view_fields_are_checked_by_their_own_rules() -> None:
    """A signed rental view whose name has a forbidden character is invalid_licence."""
    rental = view_elements(sample_licence(0), RENTAL, now=FIXED_NOW)
    rental[1] = "LI\u200b"
    cose = _resign(_wallet()["rental"].cose, rental)
    assert reason_of(lambda: make_verifier().verify(_live(cose), now=FIXED_NOW)) is (
        Reason.INVALID_LICENCE
    )


def test_element_outside_the_signature_is_refused() -> None:
    """An element appended outside the signed payload (unprotected header, or a third item in
    the presentation) never reaches the result."""
    cose = _wallet()["age"].cose
    parts = list(cbor2.loads(cose).value)
    parts[1] = {LICENCE_CLAIM: {3: cbor2.CBORTag(100, 12857)}}
    smuggled = b"\xd2" + cbor2.dumps(parts)
    assert reason_of(lambda: make_verifier().verify(_live(smuggled), now=FIXED_NOW)) is (
        Reason.MALFORMED_COSE
    )
    data = unpack(_live(cose), (DP_FORMAT,))[1]
    items = cbor2.loads(data)
    extra = cbor2.dumps([*items, {3: "1990-01-01"}])
    code = pack(extra, DP_FORMAT, compress=False)
    assert reason_of(lambda: make_verifier().verify(code, now=FIXED_NOW)) in (
        Reason.MALFORMED_COSE,
        Reason.MALFORMED_CBOR,
    )


def test_decode_disclosure_rejects_non_integer_keys() -> None:
    """A text or boolean key in a licence map is an unknown field, never skipped."""
    with pytest.raises(InvalidLicence):
        decode_disclosure({"age_over_18": True})
    with pytest.raises(InvalidLicence):
        decode_disclosure({True: True})


# --- holder ---------------------------------------------------------------------------------


def test_holder_refuses_a_view_it_does_not_hold_and_a_foreign_credential() -> None:
    """present(view=) names a held view; every wallet credential must name this device."""
    holder = _holder()
    assert set(holder.views) == {"full", "rental", "age"}
    assert reason_of(lambda: holder.present(now=FIXED_NOW, view="police")) is (
        Reason.INVALID_ARGUMENT
    )
    wallet = {**_wallet(), "age": _wallet(device_index=1)["age"]}
    assert reason_of(lambda: Holder(wallet, device_signer=_DEVICE)) is (
        Reason.HOLDER_BINDING_INVALID
    )


def test_view_credentials_share_times_and_holder_binding() -> None:
    """Every view of one issuance has the same iat, exp and cnf."""
    wallet = _wallet(valid_for=timedelta(hours=1))
    claims = [decode_claims(decode_sign1(c.cose).payload) for c in wallet.values()]
    assert len({(c.issued_at, c.expires_at, repr(c.extra[8])) for c in claims}) == 1


def test_age_view_fits_the_size_target_of_the_issue() -> None:
    """The age view's live code fits QR version 11 at ECC M (244 bytes of transport, with
    the 7-character test issuer name; age_over_18's key is one byte, docs/format.md §17.2)."""
    code = _holder().present(now=FIXED_NOW, view="age")
    assert len(unpack(code, (DP_FORMAT,))[1]) <= 244
    assert qr_version(code, ecc=Ecc.M) <= 11


# --- command line ---------------------------------------------------------------------------


def test_cli_issues_a_wallet_presents_a_view_and_verifies_it(tmp_path: Path, cli: Cli) -> None:
    """issue --views prints a JSON wallet; present --view shows one view; verify lists what
    was shown and withheld, and --require-fields refuses a view that shows too little."""
    cli.ok("keygen", "--out", tmp_path / "issuer.pem")
    cli.ok("device-keygen", "--out", tmp_path / "dev.pem")
    (tmp_path / "lic.json").write_text(json.dumps(sample_licence_json(0)), encoding="utf-8")
    now = ("--now", "2026-11-25T09:00:00Z")
    wallet = cli.ok(
        "issue", tmp_path / "lic.json", "--key", tmp_path / "issuer.pem", "--issuer", "CN-SC",
        "--holder-key", tmp_path / "dev.pub.pem", "--views", "full,age", *now,
    )  # fmt: skip
    assert set(json.loads(wallet)) == {"full", "age"}
    (tmp_path / "wallet.json").write_text(wallet, encoding="utf-8")
    code = cli.ok(
        "present", "--file", tmp_path / "wallet.json", "--view", "age",
        "--device-key", tmp_path / "dev.pem", *now,
    ).strip()  # fmt: skip
    trust = ("--trust", f"CN-SC={tmp_path / 'issuer.pub.pem'}")
    report = json.loads(cli.ok("verify", code, *trust, "--json", *now))
    assert report["disclosed"] == ["age_over_18"]
    assert "birth_date" in report["withheld"]
    status, out = cli("verify", code, *trust, "--require-fields", "family_name", *now)
    assert status == 1 and "fields_withheld" in out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_view_code_raises_only_typed_errors(data: st.DataObject) -> None:
    """Any byte of a live age-view presentation changed: verification raises a QrsealError,
    or shows exactly the elements of the genuine code."""
    original = _AGE_BYTES
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]))
    mutated = original[:position] + bytes([value]) + original[position + 1 :]
    code = "DP1:" + numeric_encode(mutated)
    try:
        result = make_verifier().verify(code, now=FIXED_NOW)
    except QrsealError:
        return
    assert dict(result.elements) == {"age_over_18": True}


_AGE_BYTES = unpack(_holder().present(now=FIXED_NOW, view="age"), (DP_FORMAT,))[1]


def test_inspect_shows_the_elements_of_a_partial_view(cli: Cli) -> None:
    """inspect (unverified) of a rental view lists its elements instead of failing on the
    fields it withholds."""
    code = _holder().present(now=FIXED_NOW, view="rental")
    report = json.loads(cli.ok("inspect", code))
    assert report["elements"]["family_name"] == sample_licence(0).family_name
    assert "problem" not in report and "licence" not in report


def test_trust_list_scope_of_a_view_that_withholds_the_jurisdiction() -> None:
    """A provincial trust-list key cannot vouch for an age view (no jurisdiction shown): only
    a country-level entry covers it; the full view is checked as before."""
    from .trust.support import OLD, _entry, _list

    device = make_device_signer()
    wallet = Issuer(signer=OLD, issuer="CN-SC").sign_views(
        sample_licence(0), now=FIXED_NOW, holder_key=device.public_key
    )
    holder = Holder(dict(wallet), device_signer=device)
    later = FIXED_NOW + timedelta(seconds=10)
    provincial = Verifier(_list(_entry(OLD, jurisdiction="CN-SC")).to_trust_store())
    national = Verifier(_list(_entry(OLD, jurisdiction="CN")).to_trust_store())
    age = holder.present(now=FIXED_NOW, view="age")
    assert reason_of(lambda: provincial.verify(age, now=later)) is Reason.KEY_NOT_AUTHORISED
    assert national.verify(age, now=later).elements == {"age_over_18": True}
    assert provincial.verify(holder.present(now=FIXED_NOW, view="full"), now=later).licence


def test_partial_view_dated_after_its_signing_is_invalid() -> None:
    """A view showing an issue date after the credential's signing time fails as a whole
    licence would (in_future), although the fields that relate to it are withheld."""
    rental = view_elements(sample_licence(0), RENTAL, now=FIXED_NOW)
    rental[4] = cbor2.CBORTag(100, (FIXED_NOW.date() - date(1970, 1, 1)).days + 10)
    cose = _resign(_wallet()["rental"].cose, rental)
    with pytest.raises(InvalidLicence) as info:
        make_verifier().verify(_live(cose), now=FIXED_NOW)
    assert info.value.field == "issue_date"
