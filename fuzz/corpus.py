"""Write the seed corpus: every genuine input of :mod:`fuzz.world`, as credential text
(mode 0) and as raw bytes (mode 1 for ``DL1``, 2 for ``DP1``), some payloads signed by
every key (mode 3) and proof payloads (mode 4); see :mod:`fuzz.targets`.

    python -m fuzz.corpus DIR

The seeds are built at run time from the deterministic test keys, so nothing binary is
committed; only ECDSA signature bytes differ from run to run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fuzz.targets import encode_input
from fuzz.world import FORMATS, signed_content, world
from qrseal.licence.profile import DP_FORMAT
from qrseal.wire.textcodec import unpack

#: Seeds whose payload every key of ``World.signers`` also signs (mode 3).
_RESIGNED = ("dl1-es256-sample3", "dl1-status-valid", "dl1-nbf-cti", "dl1-bound-eddsa")


def seed_inputs() -> dict[str, bytes]:
    """File name -> fuzz input: every seed as text (mode 0) and as raw bytes (mode 1, 2);
    some payloads re-signed by every key (mode 3); the live codes' proof payloads (mode 4)."""
    w = world()
    out: dict[str, bytes] = {}
    for seed in w.seeds:
        out[f"{seed.name}.txt"] = encode_input(seed.text)
        fmt, data = unpack(seed.text, FORMATS)
        out[f"{seed.name}.bin"] = bytes((1 + FORMATS.index(fmt),)) + data
        if seed.name in _RESIGNED:
            payload = signed_content(seed.text)[1]
            for key in range(len(w.signers)):
                out[f"{seed.name}.key{key}"] = bytes((3, key)) + payload
        if fmt is DP_FORMAT and seed.name.startswith("dp1-e"):
            proof = signed_content(seed.text)[3]
            if proof is not None:
                out[f"{seed.name}.proof"] = b"\x04" + proof
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m fuzz.corpus DIR", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seed_inputs().items():
        (folder / name).write_bytes(data)
    print(f"{len(seed_inputs())} seeds in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
