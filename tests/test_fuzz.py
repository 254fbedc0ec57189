"""The fuzz targets' checks (fuzz/targets.py) on every seed and every saved crash, without
atheris: what the fuzzer found once stays fixed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cbor2
import pytest
from fuzz.corpus import seed_inputs
from fuzz.targets import Forgery, check_inspect, check_verify, decode_input
from fuzz.world import NOW, signed_content, world

from qrseal import QrsealError, Reason, Verifier

REGRESSIONS = sorted((Path(__file__).parent.parent / "fuzz" / "regressions").glob("*.bin"))


def _accepts(verifier: Verifier, text: str) -> bool:
    try:
        verifier.verify(text, now=NOW)
    except QrsealError:
        return False
    return True


def test_seeds_pass_both_checks() -> None:
    """Every seed input, in every mode, passes the verify and inspect checks."""
    seeds = seed_inputs()
    assert len(seeds) > 2 * len(world().seeds)
    assert {data[0] for data in seeds.values()} == {0, 1, 2, 3, 4}
    for data in seeds.values():
        check_verify(data)
        check_inspect(data)


def test_world_has_accepted_and_refused_seeds() -> None:
    """The seeds include genuine credentials that verify, live codes, and refused content
    (compromised, retired, device and root keys, trust and status lists)."""
    w = world()
    accepted = {s.name for s in w.seeds if any(_accepts(v, s.text) for v in w.verifiers)}
    assert {"dl1-es256-sample0", "dp1-es256", "dp1-eddsa-challenge"} <= accepted
    assert (
        not {
            "dl1-compromised",
            "dl1-retired-after",
            "dl1-device-key",
            "dl1-root-key",
            "dl1-trust-list",
            "dl1-status-token",
            "dl1-status-revoked",
        }
        & accepted
    )


def test_oracle_flags_an_accepted_forgery() -> None:
    """The oracle is live: content outside the genuine set raises Forgery when accepted."""
    w = world()
    genuine = next(s for s in w.seeds if s.name == "dl1-es256-sample0")
    data = b"\x00" + genuine.text.encode()
    check_verify(data, w)
    with pytest.raises(Forgery):
        check_verify(data, dataclasses.replace(w, accepted=frozenset()))


def _text(data: bytes) -> bytes:
    item = decode_input(data)
    assert item is not None
    return item.text


def test_input_modes() -> None:
    """Mode 0 is text as given; 1 and 2 pack raw bytes as DL1 and DP1; 3 signs a payload
    with a chosen key; 4 signs a proof payload with the device key over a bound credential."""
    assert decode_input(b"") is None
    assert _text(b"\x00DL1:1") == b"DL1:1"
    assert _text(b"\x01\xa0").startswith(b"DL1:")
    assert _text(b"\x02\xa0").startswith(b"DP1:")
    assert decode_input(b"\x01" + bytes(100_000)) is None  # too large for any QR code
    assert decode_input(b"\x03") is None
    for key in range(6):
        item = decode_input(bytes((3, key)) + b"\xa0")
        assert item is not None and item.text.startswith(b"DL1:")
        assert item.genuine_only is (key >= 3)  # compromised, device, root: never accepted
    assert _text(b"\x04\xa1\x06\x1a\x69\x25\x70\x90").startswith(b"DP1:")


def test_signed_modes_reach_the_deep_checks() -> None:
    """A well-formed payload signed by the trusted key verifies; by the compromised key it
    is key_revoked; a device-signed proof with the right time verifies live."""
    w = world()
    genuine = next(s for s in w.seeds if s.name == "dl1-eddsa").text
    payload = signed_content(genuine)[1]
    for key, expected in ((0, None), (3, Reason.KEY_REVOKED), (5, Reason.UNKNOWN_KEY)):
        item = decode_input(bytes((3, key)) + payload)
        assert item is not None
        try:
            w.verifiers[0].verify(item.text, now=NOW)
            reason = None
        except QrsealError as exc:
            reason = exc.reason
        assert reason is expected
        check_verify(bytes((3, key)) + payload)
    proof = cbor2.dumps({6: int(NOW.timestamp())})
    item = decode_input(b"\x04" + proof)
    assert item is not None
    assert w.verifiers[0].verify(item.text, now=NOW).presentation == "live"


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_fuzz_regression(path: Path) -> None:
    """A saved fuzzer finding now passes both checks."""
    data = path.read_bytes()
    check_verify(data)
    check_inspect(data)


def test_seeds_verify_at_the_fixed_time() -> None:
    """The world's clock is the test clock, so seeds stay valid whenever the suite runs."""
    w = world()
    text = next(s for s in w.seeds if s.name == "dl1-es256-sample0").text
    assert w.verifiers[0].verify(text, now=NOW).issuer == "CN-TEST"
    with pytest.raises(QrsealError):
        w.verifiers[1].verify(text, now=NOW)
