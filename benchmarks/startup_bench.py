"""Fresh-process cost of verifying one credential text, against the floor, in one run.

    .venv/bin/python benchmarks/startup_bench.py [--runs N]

Three commands, each run N times in fresh interpreters, interleaved so machine noise hits
all three alike; medians printed with ratios to the floor:

- floor: a process that imports cryptography and cbor2, loads a PEM public key and performs
  one raw ES256 verify — what any verifier has to pay;
- library: ``import qrseal``, build a ``Verifier`` from a PEM key, verify one text;
- CLI: ``qrseal verify --file TEXT --trust ISSUER=PUB.pem --now ...``, run as the console
  script runs it (``from qrseal.cli import main; sys.exit(main())``) by this interpreter,
  so it measures the ``qrseal`` on this interpreter's path (``PYTHONPATH=src`` in a worktree),
  not whichever checkout the installed ``qrseal`` script points at.

Bytecode is cached as for an installed package (pip compiles ``.pyc`` files): the runs
ignore ``PYTHONDONTWRITEBYTECODE``, keep their ``.pyc`` files under a temporary
``PYTHONPYCACHEPREFIX`` (the source tree stays clean) and one untimed warm-up round writes
them. With ``--no-bytecode-cache`` every run compiles qrseal from source instead, as a
checkout run with ``PYTHONDONTWRITEBYTECODE=1`` does.

It also lists which heavy modules (Pillow, numpy, qrcode, zxing-cpp, pyzbar) the library
and CLI processes imported: verifying text should import none of them.

Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qrseal import Issuer
from qrseal.testing import FIXED_NOW, make_private_key, sample_licence
from qrseal.wire.keys import public_key_to_pem

HEAVY = ("PIL", "numpy", "qrcode", "zxingcpp", "pyzbar")

FLOOR = """
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
import cbor2
key = serialization.load_pem_public_key(open(sys.argv[1], "rb").read())
cbor2.loads(cbor2.dumps([1, b"x"]))
key.verify(bytes.fromhex(sys.argv[2]), b"message", ec.ECDSA(hashes.SHA256()))
"""

LIBRARY = """
import sys
from datetime import datetime
from qrseal import TrustedKey, TrustStore, Verifier, load_public_key_pem
key = load_public_key_pem(open(sys.argv[1], "rb").read())
verifier = Verifier(TrustStore([TrustedKey(key, "CN-BENCH")]))
verifier.verify(open(sys.argv[2]).read(), now=datetime.fromisoformat(sys.argv[3]))
heavy = [m for m in {heavy!r} if m in sys.modules]
print(",".join(heavy))
"""

# What the installed ``qrseal`` console script does.
CLI = "import sys; from qrseal.cli import main; sys.exit(main())"
# The same, then the heavy modules it loaded (one run, not timed).
CLI_HEAVY = (
    "import io, sys; from qrseal.cli import main; main(out=io.StringIO()); "
    "print(','.join(m for m in {heavy!r} if m in sys.modules))"
)


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {done.stderr[-500:]}")
    return elapsed, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="compile from source in every run (no .pyc files), as PYTHONDONTWRITEBYTECODE=1",
    )
    options = parser.parse_args()
    runs = options.runs
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = make_private_key()
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SystemExit("ES256 test key expected")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if options.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env["PYTHONPYCACHEPREFIX"] = str(d / "pycache")
        (d / "pub.pem").write_bytes(public_key_to_pem(key.public_key()))
        text = Issuer(signer=key, issuer="CN-BENCH").issue(sample_licence(0), now=FIXED_NOW)
        (d / "text").write_text(text)
        sig = key.sign(b"message", ec.ECDSA(hashes.SHA256())).hex()
        now = FIXED_NOW.isoformat()
        commands = {
            "floor (cryptography+cbor2, 1 raw verify)": [
                sys.executable,
                "-c",
                FLOOR,
                str(d / "pub.pem"),
                sig,
            ],
            "library (import qrseal, verify text)": [
                sys.executable,
                "-c",
                LIBRARY.replace("{heavy!r}", repr(HEAVY)),
                str(d / "pub.pem"),
                str(d / "text"),
                now,
            ],
            "CLI (qrseal verify --file)": [
                sys.executable,
                "-c",
                CLI,
                "verify",
                "--file",
                str(d / "text"),
                "--trust",
                f"CN-BENCH={d / 'pub.pem'}",
                "--now",
                now,
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        heavy = ""
        for cmd in commands.values():  # warm-up: writes the bytecode cache
            run(cmd, env)
        for _ in range(runs):
            for name, cmd in commands.items():
                elapsed, out = run(cmd, env)
                times[name].append(elapsed)
                if name.startswith("library"):
                    heavy = out
        cli_cmd = commands["CLI (qrseal verify --file)"]
        _, cli_heavy = run(
            [sys.executable, "-c", CLI_HEAVY.replace("{heavy!r}", repr(HEAVY)), *cli_cmd[3:]],
            env,
        )
    floor = statistics.median(times[next(iter(commands))])
    cache = "no bytecode cache" if options.no_bytecode_cache else "bytecode cached"
    print(f"== fresh-process cost, median of {runs} interleaved runs, {cache} ==")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:<42} {med * 1e3:7.1f} ms  = {med / floor:4.2f}x floor")
    print(f"  heavy modules imported by the library run: {heavy or 'none'}")
    print(f"  heavy modules imported by the CLI run:     {cli_heavy or 'none'}")
    print("  targets: library <= 1.5x floor, CLI <= 1.7x floor, no heavy modules")


if __name__ == "__main__":
    main()
