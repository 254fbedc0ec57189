"""atheris target: ``inspect_unverified``, which decodes without verifying.

    python -m fuzz.fuzz_inspect [libFuzzer options] CORPUS_DIR [SEED_DIR ...]

A crash is an exception other than ``QrsealError``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["qrseal", "cbor2", "fuzz"]):
    from fuzz.targets import check_inspect
    from fuzz.world import world


def main() -> None:
    world()  # build keys, lists and seeds before fuzzing starts
    atheris.Setup(sys.argv, check_inspect)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
