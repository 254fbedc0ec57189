"""Regenerate the generated sections of docs/format.md: the encoding measurement, the
worked example (bytes at every stage), and the live-code (DP1) measurement and worked example.
A test checks the file is current.

    .venv/bin/python scripts/gen_format_doc.py          # rewrite docs/format.md
    .venv/bin/python scripts/gen_format_doc.py --check  # exit 1 if it is out of date

Deterministic: the test ES256 keys (issuer and device) sign with RFC 6979 deterministic
ECDSA, Ed25519 is deterministic anyway, at the fixed clock of qrseal.testing.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import re
import sys
import textwrap
import zlib
from collections.abc import Callable
from pathlib import Path

import cbor2
from vectorkit import key_json

from qrseal import Holder, Issuer, qr
from qrseal.licence.model import ALL_FIELDS
from qrseal.licence.profile import DL_FORMAT, DP_FORMAT
from qrseal.testing import (
    FIXED_NOW,
    TEST_ISSUER,
    DeterministicSigner,
    make_device_key,
    make_private_key,
    sample_licences,
)
from qrseal.wire.cose import Algorithm, sig_structure
from qrseal.wire.presentation import decode_presentation
from qrseal.wire.textcodec import (
    TextEncoding,
    TextFormat,
    b45encode,
    numeric_decode,
    numeric_encode,
    pack,
    unpack,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "format.md"


def _device(alg: Algorithm) -> DeterministicSigner:
    """The test device key of ``alg``, signing deterministically."""
    return DeterministicSigner(make_device_key(alg))


def _holder(index: int, alg: Algorithm) -> Holder:
    device = _device(alg)
    credential = _issuer().sign(
        sample_licences()[index], now=FIXED_NOW, holder_key=device.public_key
    )
    return Holder(credential, device_signer=device)


def _issuer(fields: frozenset[str] | None = None) -> Issuer:
    signer = DeterministicSigner(make_private_key(Algorithm.ES256))
    return Issuer(signer=signer, issuer=TEST_ISSUER, fields=fields)


def qr_bits(text: str) -> int:
    """QR data bits for versions 10-26: header as an alphanumeric segment, then the body in
    its own mode (numeric or alphanumeric), each with a 4-bit mode and a count field."""
    header, body = text[: text.index(":") + 1], text[text.index(":") + 1 :]

    def alnum(n: int) -> int:
        return 4 + 11 + 11 * (n // 2) + 6 * (n % 2)

    if body.isdigit():
        return alnum(len(header)) + 4 + 12 + 10 * (len(body) // 3) + (0, 4, 7)[len(body) % 3]
    return alnum(len(text))


def measurement() -> str:
    """The encoding comparison table over the five sample licences."""
    b45 = TextFormat("DL", 1, TextEncoding.BASE45)
    rows = [
        "| sample | view | COSE bytes | zlib bytes | Base45 chars (QR bits) | numeric chars (QR bits) "
        "| QR v (M) Base45 | Base45+zlib | numeric | numeric+zlib |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    totals = {"b45": 0, "b45z": 0, "num": 0, "numz": 0}
    for view, fields in (("QR default", None), ("all fields", ALL_FIELDS)):
        issuer = _issuer(fields)
        for i, licence in enumerate(sample_licences(), 1):
            cose = issuer.sign(licence, now=FIXED_NOW).cose
            texts = {
                "b45": pack(cose, b45, compress=False),
                "b45z": pack(cose, b45, compress=True),
                "num": pack(cose, DL_FORMAT, compress=False),
                "numz": pack(cose, DL_FORMAT, compress=True),
            }
            versions = {k: qr.qr_version(t, qr.Ecc.M) for k, t in texts.items()}
            if fields is None:
                for k, v in versions.items():
                    totals[k] += v
            rows.append(
                f"| {i} | {view} | {len(cose)} | {len(zlib.compress(cose, 9))} "
                f"| {len(texts['b45'])} ({qr_bits(texts['b45'])}) "
                f"| {len(texts['num'])} ({qr_bits(texts['num'])}) | {versions['b45']} | {versions['b45z']} | {versions['num']} "
                f"| {versions['numz']} |"
            )
    rows.append("")
    rows.append(
        "Sum of QR versions over the five QR-default credentials: "
        f"Base45 {totals['b45']}, Base45+zlib {totals['b45z']}, numeric {totals['num']}, "
        f"numeric+zlib {totals['numz']}."
    )
    return "\n".join(rows)


def _hex_block(data: bytes, width: int = 64) -> str:
    return "\n".join(textwrap.wrap(data.hex(), width))


def _diag(value: object) -> str:
    if isinstance(value, cbor2.CBORTag):
        return f"{value.tag}({_diag(value.value)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_diag(k)}: {_diag(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_diag(v) for v in value) + "]"
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    if isinstance(value, str):
        return '"' + value + '"'
    return repr(value).lower() if isinstance(value, bool) else repr(value)


def worked_example() -> str:
    """Sample licence 1, ES256, at the fixed clock: every stage's bytes."""
    from qrseal.wire.cose import decode_sign1, strict_loads

    licence = sample_licences()[0]
    issuer = _issuer()
    credential = issuer.sign(licence, now=FIXED_NOW)
    msg = decode_sign1(credential.cose)
    claims = strict_loads(msg.payload)
    licence_map = licence.to_cbor_map()
    text = credential.text
    _, recovered = unpack(text, (DL_FORMAT,))
    issuer_key = key_json(DeterministicSigner(make_private_key(Algorithm.ES256)))
    parts = [
        f"Signed at `{FIXED_NOW.isoformat()}` with the deterministic ES256 test key "
        f"(`qrseal.testing.make_private_key()`, kid `{msg.kid.hex() if msg.kid else ''}`), "
        "RFC 6979 deterministic ECDSA so that these bytes are reproducible. A verifier trusts "
        f"this public key for the issuer name `{TEST_ISSUER}` (the same key in "
        "`vectors/dl1/valid-es256.json`):",
        "",
        "```",
        issuer_key["pem"].rstrip("\n"),
        "```",
        "",
        f"As a JWK: `{json.dumps(issuer_key['jwk'])}`",
        "",
        f"**1. Licence map** (claim {-65537}), {len(cbor2.dumps(licence_map))} bytes, in diagnostic notation:",
        "",
        "```",
        textwrap.fill(_diag(licence_map), 100),
        "```",
        "",
        f"**2. Claims set** (COSE payload), {len(msg.payload)} bytes:",
        "",
        "```",
        textwrap.fill(_diag(claims), 100),
        "```",
        "```",
        _hex_block(msg.payload),
        "```",
        "",
        f"**3. Protected header** `{_diag(dict(msg.protected))}`, {len(msg.protected_bytes)} bytes: "
        f"`{msg.protected_bytes.hex()}`",
        "",
        f"**4. Sig_structure** (what is signed), {len(msg.to_be_signed())} bytes:",
        "",
        "```",
        _hex_block(msg.to_be_signed()),
        "```",
        "",
        f"**5. COSE_Sign1** (tag 18), {len(credential.cose)} bytes; signature `r‖s` = "
        f"`{msg.signature.hex()}`:",
        "",
        "```",
        _hex_block(credential.cose),
        "```",
        "",
        f"**6. Transport bytes**: zlib would give {len(zlib.compress(credential.cose, 9))} bytes, "
        f"not shorter{' ' if len(zlib.compress(credential.cose, 9)) >= len(credential.cose) else ' (!)'}"
        "so the COSE bytes travel raw (first byte `d2`).",
        "",
        f"**7. Text** ({len(text)} characters, QR version {qr.qr_version(text, qr.Ecc.M)} at ECC M; "
        f"Base45 of the same bytes would be {len(b45encode(credential.cose))} characters):",
        "",
        "```",
        "\n".join(textwrap.wrap(text, 100)),
        "```",
        "",
        f"Decoding the text gives back the {len(recovered)} COSE bytes "
        f"({'identical' if recovered == credential.cose else 'DIFFERENT'}); the first numeric block is "
        f"`{numeric_encode(credential.cose)[:53]}` = the first 22 bytes "
        f"`{credential.cose[:22].hex()}` as a 53-digit decimal number.",
    ]
    return "\n".join(parts)


_ISO_ELEMENTS = {
    "family_name", "given_name", "family_name_national_character", "given_name_national_character",
    "birth_date", "sex", "nationality", "birth_place", "resident_address", "portrait",
    "portrait_capture_date", "issuing_country", "issuing_jurisdiction", "issuing_authority",
    "un_distinguishing_sign", "document_number", "administrative_number", "issue_date",
    "expiry_date", "driving_privileges",
}  # fmt: skip
# CBOR types of fields that no sample licence carries.
_TYPES_NOT_IN_SAMPLES = {"birth_place": "tstr", "resident_address": "tstr",
                         "portrait": "bstr (JPEG / JPEG 2000)", "portrait_capture_date": "time",
                         "points_scheme": "uint", "physical_exam_due": "date",
                         "suspension_end_date": "date", "review_valid_until": "date"}  # fmt: skip


def _cbor_type(value: object) -> str:
    if isinstance(value, cbor2.CBORTag):
        return {100: "date", 1: "time"}.get(value.tag, f"tag {value.tag}")
    if isinstance(value, str):
        return "tstr"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "uint"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def licence_keys() -> str:
    """The licence map's key table, from the code."""
    from qrseal.licence.fields import LICENCE, QR_OMITTED_BY_DEFAULT, FieldKind, LicenceField

    latin_kinds = (FieldKind.LATIN_NAME, FieldKind.LATIN_TEXT, FieldKind.LATIN_ID)
    seen: dict[int, str] = {}
    for licence in sample_licences():
        for key, value in licence.to_cbor_map(ALL_FIELDS).items():
            seen.setdefault(key, _cbor_type(value))
    rows = [
        "| key | field | CBOR type | ISO 18013-5 element | in the QR view |",
        "|---|---|---|---|---|",
    ]
    for field in sorted(LicenceField, key=lambda f: f.key):
        name = field.value
        ctype = seen.get(field.key) or _TYPES_NOT_IN_SAMPLES.get(name, "derived, never sent")
        if LICENCE.specs[field].kind in latin_kinds:  # the text classes the code checks
            ctype += " (Latin-1)"
        if name in ("issuing_country", "un_distinguishing_sign", "full_name_national_character"):
            in_qr = "derived (sent only when it differs)"
        elif field in QR_OMITTED_BY_DEFAULT:
            in_qr = "no (opt-in)"
        else:
            in_qr = "yes"
        iso = "yes" if name in _ISO_ELEMENTS else "China profile"
        rows.append(f"| {field.key} | `{name}` | {ctype} | {iso} | {in_qr} |")
    return "\n".join(rows)


_NONCE = hashlib.sha256(b"qrseal doc nonce").digest()[:16]  # as incompressible as a real one


def live_measurement() -> str:
    """Sizes and QR versions of the live codes of the five samples (ES256 issuer key)."""
    rows = [
        "| sample | static COSE bytes | bound credential bytes | presentation bytes (ES256 device), raw / zlib "
        "| DP1 chars | QR v (M) static | live, ES256 device | live, EdDSA device "
        "| ES256, 8-byte nonce | ES256, 16-byte nonce |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    worst = 0
    for i, licence in enumerate(sample_licences()):
        static = _issuer().sign(licence, now=FIXED_NOW)
        es = _holder(i, Algorithm.ES256)
        ed = _holder(i, Algorithm.EDDSA)
        code = es.present(now=FIXED_NOW)
        data = unpack(code, (DP_FORMAT,))[1]
        raw = zlib.decompress(data) if data[:1] == b"\x78" else data
        versions = [
            qr.qr_version(static.text, qr.Ecc.M),
            qr.qr_version(code, qr.Ecc.M),
            qr.qr_version(ed.present(now=FIXED_NOW), qr.Ecc.M),
            qr.qr_version(es.present(now=FIXED_NOW, nonce=_NONCE[:8]), qr.Ecc.M),
            qr.qr_version(es.present(now=FIXED_NOW, nonce=_NONCE), qr.Ecc.M),
        ]
        worst = max(worst, *versions[1:3])
        rows.append(
            f"| {i + 1} | {len(static.cose)} | {len(es.credential)} | {len(raw)} / "
            f"{len(zlib.compress(raw, 9))} | {len(code)} | " + " | ".join(map(str, versions)) + " |"
        )
    rows.append("")
    rows.append(
        f"Largest live code without a nonce: QR version {worst} at ECC M. The holder deflates "
        "when that is shorter (`Holder(compress=None)`, the default), so the DP1 characters "
        "count the shorter of the two."
    )
    return "\n".join(rows)


def live_example() -> str:
    """Sample licence 1, ES256 issuer and device keys, presented at the fixed clock."""
    from qrseal.wire.cose import strict_loads

    holder = _holder(0, Algorithm.ES256)
    credential = holder.credential
    claims = strict_loads(decode_sign1_payload(credential))
    cnf = claims[8] if isinstance(claims, dict) else None
    code = holder.present(now=FIXED_NOW)
    transport = numeric_decode(code[len(DP_FORMAT.header) :])
    raw = unpack(code, (DP_FORMAT,))[1]
    deflated = transport[:1] == b"\x78"
    parts = decode_presentation(raw)
    tbs = sig_structure(parts.proof.protected_bytes, parts.proof.payload, credential)
    lines = [
        "Sample licence 1 and the issuer key of §9, issued with a `cnf` claim naming the "
        "deterministic ES256 test device key (`qrseal.testing.make_device_key()`), presented at "
        f"`{FIXED_NOW.isoformat()}`; the device also signs with RFC 6979 deterministic ECDSA.",
        "",
        f"**1. cnf claim** (key 8 of the claims set): `{_diag(cnf)}`, a {len(cbor2.dumps(cnf))}-byte "
        f"value (the claim entry with its key is one byte more): `{cbor2.dumps(cnf).hex()}`. The bound credential is "
        f"{len(credential)} bytes (the unbound one: {len(_issuer().sign(sample_licences()[0], now=FIXED_NOW).cose)}).",
        "",
        f"**2. Proof protected header** `{_diag(dict(parts.proof.protected))}`: "
        f"`{parts.proof.protected_bytes.hex()}`",
        "",
        f"**3. Proof payload** `{_diag(strict_loads(parts.proof.payload))}`, "
        f"{len(parts.proof.payload)} bytes: `{parts.proof.payload.hex()}`",
        "",
        f'**4. Sig_structure** `["Signature1", protected, external_aad = credential, payload]`, '
        f"{len(tbs)} bytes:",
        "",
        "```",
        _hex_block(tbs),
        "```",
        "",
        f"**5. Presentation** `[credential, proof]`, {len(raw)} bytes; device signature `r‖s` = "
        f"`{parts.proof.signature.hex()}`:",
        "",
        "```",
        _hex_block(raw),
        "```",
        "",
        f"**6. Transport bytes**: zlib gives {len(zlib.compress(raw, 9))} bytes, so the "
        + (
            "deflated stream travels (first byte `78`): `Holder` deflates when that is shorter."
            if deflated
            else "raw bytes travel (first byte `82`)."
        ),
        "",
        f"**7. Text** ({len(code)} characters, QR version {qr.qr_version(code, qr.Ecc.M)} at ECC M):",
        "",
        "```",
        "\n".join(textwrap.wrap(code, 100)),
        "```",
    ]
    return "\n".join(lines)


def views_measurement() -> str:
    """The three selective-disclosure mechanisms on the samples (benchmarks/views_bench.py)."""
    bench = DOC.parents[1] / "benchmarks"
    if str(bench) not in sys.path:
        sys.path.insert(0, str(bench))
    module = importlib.import_module("views_bench")
    return str(module.measurement_table())


def decode_sign1_payload(cose: bytes) -> bytes:
    from qrseal.wire.cose import decode_sign1

    return decode_sign1(cose).payload


SECTIONS = {
    "licence-keys": licence_keys,
    "measurement": measurement,
    "worked-example": worked_example,
    "live-measurement": live_measurement,
    "live-example": live_example,
    "views-measurement": views_measurement,
}


def _replacement(content: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return match.group(1) + content + "\n" + match.group(2)

    return replace


def render(doc: str) -> str:
    """``doc`` with every generated section replaced by freshly generated content."""
    for name, fn in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED {name} -->\n).*?(<!-- END GENERATED {name} -->)", re.DOTALL
        )
        if not pattern.search(doc):
            raise SystemExit(f"docs/format.md has no generated section {name!r}")
        content = fn()
        doc = pattern.sub(_replacement(content), doc)
    return doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check that docs/format.md is current"
    )
    args = parser.parse_args()
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print("docs/format.md is out of date: run scripts/gen_format_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
