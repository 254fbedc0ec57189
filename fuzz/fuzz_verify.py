"""atheris target: ``Verifier.verify`` under every policy of :mod:`fuzz.world`.

    python -m fuzz.fuzz_verify [libFuzzer options] CORPUS_DIR [SEED_DIR ...]

A crash is an exception other than ``QrsealError`` or a :class:`fuzz.targets.Forgery`
(an accepted input whose signed content no genuine seed has). See fuzz/README.md.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["qrseal", "cbor2", "fuzz"]):
    from fuzz.targets import check_verify
    from fuzz.world import world


def main() -> None:
    world()  # build keys, lists and seeds before fuzzing starts
    atheris.Setup(sys.argv, check_verify)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
