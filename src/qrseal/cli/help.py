"""``--help`` of every ``qrseal`` command, finished in one pass over the parser: examples,
``(required)`` on required options, the format of times and durations. Internal.

A command added later gets the marks for free; its examples go in :data:`EXAMPLES` (or its
own ``epilog=``), and a test checks that every command has some.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Final

from .args import parse_duration, parse_duration_or_zero, parse_time

__all__ = ["EXAMPLES", "finish_parser", "walk_parsers"]

_TIME_FORMAT: Final = "ISO 8601 with a zone, e.g. 2026-11-25T09:00:00Z or 2026-11-25T17:00+08:00"
_DURATION_FORMAT: Final = "a number and a unit: 72s, 5m, 2h, 1d"

#: Examples shown at the end of each command's ``--help``, by command path.
EXAMPLES: Final[dict[str, str]] = {
    "keygen": """\
  qrseal keygen --out issuer.key                 # also writes issuer.pub.pem
  QRSEAL_PW=... qrseal keygen --alg ES384 --out issuer.key --password-env QRSEAL_PW""",
    "device-keygen": """\
  qrseal device-keygen --out device.key          # also writes device.pub.pem""",
    "pub": """\
  qrseal pub issuer.key --out issuer.pub.pem
  qrseal pub issuer.key                          # the PEM on standard output""",
    "issue": """\
  qrseal issue licence.json --key issuer.key --issuer CN-SC > credential.txt
  qrseal issue licence.json --key issuer.key --issuer CN-SC --valid-for 7d --png qr.png
  qrseal issue - --key issuer.key --issuer CN-SC --json < licence.json""",
    "verify": """\
  qrseal verify DL1:6BF... --trust CN-SC=issuer.pub.pem
  qrseal verify --image photo.jpg --trust CN-SC=issuer.pub.pem --json
  qrseal verify --file credential.txt --trust-list national.tl --root root.pub.pem
  qrseal scan photo.jpg | qrseal verify - --trust CN-SC=issuer.pub.pem --require-live""",
    "present": """\
  qrseal present --file credential.txt --device-key device.key
  qrseal present --file credential.txt --device-key device.key --watch 30""",
    "scan": """\
  qrseal scan photo.jpg
  qrseal scan photo.jpg --json
  qrseal scan photo.jpg --debug scan-debug/      # what was tried, for a code that won't scan""",
    "inspect": """\
  qrseal inspect DL1:6BF...                      # NOT verified: for debugging only
  qrseal inspect --file credential.txt""",
    "demo": """\
  qrseal demo
  qrseal demo --out demo/ --sample 2 --now 2026-11-25T09:00:00Z""",
    "trust": """\
  qrseal trust init --key root.key --draft national.draft --list-id cn-national
  qrseal trust show national.tl --root root.pub.pem""",
    "trust init": """\
  qrseal trust init --key root.key --draft national.draft --list-id cn-national""",
    "trust add": """\
  qrseal trust add --draft national.draft --pub sc.pub.pem --issuer CN-SC --jurisdiction CN-SC \\
      --not-before 2026-01-01T00:00:00Z --not-after 2029-01-01T00:00:00Z""",
    "trust retire": """\
  qrseal trust retire --draft national.draft --kid 0123456789abcdef""",
    "trust revoke": """\
  qrseal trust revoke --draft national.draft --kid 0123456789abcdef --compromised""",
    "trust sign": """\
  qrseal trust sign --draft national.draft --key root.key --out national.tl --valid-for 7d""",
    "trust show": """\
  qrseal trust show national.tl --root root.pub.pem
  qrseal trust show national.tl --root root.pub.pem --json""",
    "status": """\
  qrseal status init list.cbor --entries 1000000
  qrseal status show list.cwt --key issuer.pub.pem --index 17""",
    "status init": """\
  qrseal status init list.cbor --entries 1000000 --bits 2""",
    "status set": """\
  qrseal status set list.cbor 17=revoked 42=suspended 43=valid""",
    "status publish": """\
  qrseal status publish list.cbor --key issuer.key --uri https://example.org/status/1 \\
      --out list.cwt --ttl 12h --valid-for 1d""",
    "status show": """\
  qrseal status show list.cwt --key issuer.pub.pem --index 17 --json""",
    "schema": """\
  qrseal schema > licence-record.schema.json
  qrseal schema --view qr                        # the licence of a verified credential""",
    "batch issue": """\
  qrseal batch issue --in records.jsonl --out creds.jsonl --issuer CN-SC --key issuer.key
  qrseal batch issue --in records.csv --out creds.jsonl --issuer CN-SC --pkcs11 "$HSM_URI" \\
      --status-template https://status.example/dl/{shard} --status-dir lists/""",
    "card": """\
  qrseal card DL1:... --trust CN-SC=issuer.pub.pem --out card.png
  qrseal card --file cred.txt --trust CN-SC=issuer.pub.pem --out card.svg --lang en --mask""",
    "deadlines": """\
  qrseal deadlines DL1:... --trust CN-SC=issuer.pub.pem
  qrseal deadlines --file cred.txt --trust CN-SC=issuer.pub.pem --json""",
    "completion": """\
  qrseal completion bash > /etc/bash_completion.d/qrseal
  source <(qrseal completion bash)               # this shell only
  qrseal completion zsh > ~/.zfunc/_qrseal       # a folder on $fpath""",
}


def walk_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (sub)command parser under ``parser`` with its command path, ``parser`` first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk_parsers(child, (*path, name))


def _mark(action: argparse.Action) -> None:
    if action.help == argparse.SUPPRESS:
        return
    notes = []
    if action.type in (parse_time,):
        notes.append(_TIME_FORMAT)
        action.metavar = action.metavar or "TIME"
    elif action.type in (parse_duration, parse_duration_or_zero):
        notes.append(_DURATION_FORMAT)
        action.metavar = action.metavar or "DURATION"
    if action.required and action.option_strings:
        notes.append("required")
    if notes:
        action.help = f"{action.help or ''} ({'; '.join(notes)})".lstrip()


def finish_parser(parser: argparse.ArgumentParser) -> None:
    """Examples in every command's ``--help``, ``(required)`` on required options and the
    format of times and durations, for the whole command tree."""
    for path, command in walk_parsers(parser):
        for action in command._actions:
            _mark(action)
        if not path:
            continue
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        if not any("-v" in a.option_strings for a in command._actions):
            command.add_argument(  # `qrseal verify ... -v` as well as `qrseal -v verify ...`
                "-v",
                "--verbose",
                action="count",
                default=argparse.SUPPRESS,
                help="log each step to standard error (-vv: more detail)",
            )
        examples = EXAMPLES.get(" ".join(path))
        if command.epilog is None and examples is not None:
            command.epilog = f"examples:\n{examples}"
