"""File arguments of the ``qrseal`` command: the one place a path from the command line is
read or written. Internal.

Every file option is declared with :func:`add_file_argument` (or its ``type=`` is a
:class:`FileRole`), which marks it in ``--help`` and lets the tests find it. Every command
reads and writes through :func:`read_input`, :func:`read_text` and :func:`write_output`, so
each file argument accepts ``-`` (standard input or output) and turns every way a file can be
wrong (missing, a folder, unreadable, unwritable, empty, binary, too large) into a plain
:class:`~qrseal.cli.args.UsageError` (exit 2) instead of a traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import stat
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO, Final, TextIO

from .args import UsageError

__all__ = [
    "MAX_INPUT_BYTES",
    "STDIO",
    "FileKind",
    "FileRole",
    "add_file_argument",
    "check_outputs",
    "credential_text",
    "existing_dir",
    "output_dir",
    "read_input",
    "read_text",
    "refuse_existing",
    "write_output",
]

log = logging.getLogger("qrseal.cli")

#: The path that names standard input (for an input) or standard output (for an output).
STDIO: Final = "-"
#: The largest file any command reads (a PNG photo of a QR code is the largest input).
MAX_INPUT_BYTES: Final = 32 * 1024 * 1024
#: The largest credential text file read (a QR code holds under 8 KB; the verifier caps lower).
MAX_TEXT_BYTES: Final = 1024 * 1024


class FileKind(Enum):
    """What a file argument names."""

    INPUT = "input"  # a file read
    OUTPUT = "output"  # a file written
    INPUT_DIR = "input folder"  # a folder read
    OUTPUT_DIR = "output folder"  # a folder written into (created when missing)


@dataclass(frozen=True, slots=True)
class FileRole:
    """The ``type=`` of a file argument: returns the path unchanged (it is opened when the
    command runs, so that errors come in the command's order) and records what it is.

    ``subject`` marks the input a command judges (a credential, a QR image, a trust list
    shown): its *content* being wrong is a verdict (exit 1), while any other file with
    wrong content is a set-up error (exit 2)."""

    kind: FileKind
    what: str
    subject: bool = False

    def __call__(self, value: str) -> str:
        if not value:
            raise argparse.ArgumentTypeError("an empty file name")
        if "\x00" in value:
            raise argparse.ArgumentTypeError("a file name cannot hold a NUL character")
        return value


def add_file_argument(
    parser: argparse._ActionsContainer,  # a parser, or a group of its options
    *flags: str,
    kind: FileKind,
    what: str,
    subject: bool = False,
    **kwargs: Any,
) -> argparse.Action:
    """Add a file argument; ``help`` gains where ``-`` reads or writes."""
    role = FileRole(kind, what, subject)
    help_text = kwargs.pop("help", what)
    if kind is FileKind.INPUT:
        help_text += " ('-': standard input)"
    elif kind is FileKind.OUTPUT:
        help_text += " ('-': standard output)"
    return parser.add_argument(*flags, type=role, help=help_text, **kwargs)


def check_outputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Before a command does any work: every file or folder it will write can be written
    (its folder exists, it is not a folder, it is writable). ``UsageError`` otherwise, so
    that nothing is signed, drawn or half written for an output that then fails."""
    command = parser
    while True:
        sub = next((a for a in command._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or getattr(args, sub.dest, None) not in sub.choices:
            break
        command = sub.choices[getattr(args, sub.dest)]
    for action in command._actions:
        role = action.type
        if not isinstance(role, FileRole) or role.kind not in (
            FileKind.OUTPUT,
            FileKind.OUTPUT_DIR,
        ):
            continue
        value = getattr(args, action.dest, None)
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and name != STDIO:
                label = action.option_strings[-1] if action.option_strings else role.what
                _check_writable(Path(name), role, label)


def _check_writable(path: Path, role: FileRole, what: str) -> None:
    if role.kind is FileKind.OUTPUT:
        if path.is_dir():
            raise UsageError(f"cannot write {what} {path}: it is a folder; give a file name")
        folder = path.parent
    else:
        if path.exists() and not path.is_dir():
            raise UsageError(f"cannot use {what} {path}: it is a file, not a folder")
        folder = path
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # the folder is created: its nearest existing parent counts
    if not folder.exists():
        raise UsageError(f"cannot write {what} {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"cannot write {what} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {what} {path}: permission denied in {folder}")


def _stdin() -> BinaryIO:
    return sys.stdin.buffer


def read_input(
    path: str | os.PathLike[str], *, what: str, max_bytes: int = MAX_INPUT_BYTES
) -> bytes:
    """The bytes of the file at ``path`` (``-``: standard input), at most ``max_bytes``.

    Raises ``UsageError`` naming ``what`` and the path when the file is missing, a folder,
    unreadable, empty or larger than ``max_bytes``."""
    name = os.fspath(path)
    if name == STDIO:
        data = _stdin().read(max_bytes + 1)
        source = "standard input"
    else:
        source = name
        try:
            with open(name, "rb") as fh:
                info = os.fstat(fh.fileno())
                if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
                    raise UsageError(_too_large(what, name, max_bytes, info.st_size))
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise UsageError(_cannot("read", what, name, exc)) from exc
        except ValueError as exc:  # a NUL byte in the name
            raise UsageError(f"cannot read {what} {name!r}: not a usable file name") from exc
    if len(data) > max_bytes:
        raise UsageError(_too_large(what, source, max_bytes, None))
    if not data.strip():
        raise UsageError(f"{what} {source} is empty")
    log.debug("read %s %s (%d bytes)", what, source, len(data))
    return data


def read_text(path: str | os.PathLike[str], *, what: str, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of the file at ``path`` (``-``: standard input); ``UsageError`` when
    :func:`read_input` refuses it or it is not text."""
    data = read_input(path, what=what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{what} {os.fspath(path)} is not text (binary data at byte {exc.start})"
        ) from exc


def credential_text(args: argparse.Namespace) -> str:
    """The credential text of a TEXT argument (``-``: standard input) or ``--file``, stripped.
    Bytes that are not ASCII are kept as replacement characters, for the verifier to refuse."""
    source: str | None = getattr(args, "file", None)
    if source is None and getattr(args, "text", None) == STDIO:
        source = STDIO
    if source is not None:
        data = read_input(source, what="credential text file", max_bytes=MAX_TEXT_BYTES)
        return data.decode("ascii", errors="replace").strip()
    if getattr(args, "text", None):
        return str(args.text).strip()
    raise UsageError("give a credential TEXT ('-': standard input) or --file FILE")


def write_output(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    what: str,
    out: TextIO | None = None,
    private: bool = False,
    overwrite: bool = True,
) -> None:
    """Write ``data`` to ``path`` (``-``: standard output, through ``out`` for text).

    ``private`` creates the file owner-only (0600); without ``overwrite`` an existing file is
    refused (``--force`` to replace it). Raises ``UsageError`` naming ``what`` and the path
    when the folder is missing, the path is a folder, or it cannot be written."""
    name = os.fspath(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if name == STDIO:
        if private:
            raise UsageError(f"{what} is secret: give a file name, not '-' (standard output)")
        if isinstance(data, str) and out is not None:
            out.write(data)
            out.flush()
        else:
            if out is not None:
                out.flush()
            sys.stdout.buffer.write(raw)
            sys.stdout.buffer.flush()
        return
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        if Path(name).is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
        fd = os.open(name, flags, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
    except FileExistsError as exc:
        raise UsageError(
            f"{what} {name} exists: not overwritten (use --force to replace it)"
        ) from exc
    except OSError as exc:
        raise UsageError(_cannot("write", what, name, exc)) from exc
    except ValueError as exc:
        raise UsageError(f"cannot write {what} {name!r}: not a usable file name") from exc
    log.debug("wrote %s %s (%d bytes)", what, name, len(raw))


def refuse_existing(path: str | os.PathLike[str], *, what: str, force: bool) -> None:
    """``UsageError`` when ``path`` exists and ``force`` is not set (checked before any
    other file of a command is written, so nothing is half done)."""
    name = os.fspath(path)
    if not force and name != STDIO and os.path.lexists(name):
        raise UsageError(f"{what} {name} exists: not overwritten (use --force to replace it)")


def existing_dir(path: str | os.PathLike[str], *, what: str) -> Path:
    """The folder at ``path``; ``UsageError`` when it is missing or not a folder."""
    folder = Path(path)
    if not folder.exists():
        raise UsageError(f"{what} {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{what} {folder} is not a folder")
    return folder


def output_dir(path: str | os.PathLike[str], *, what: str) -> Path:
    """The folder at ``path``, created when missing; ``UsageError`` when it cannot be."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(_cannot("create", what, str(folder), exc)) from exc
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write into {what} {folder}: permission denied")
    return folder


def _too_large(what: str, name: str, limit: int, size: int | None) -> str:
    got = f"{size:,} bytes" if size is not None else "more"
    return f"{what} {name} is too large ({got}; at most {limit:,} bytes)"


def _cannot(verb: str, what: str, name: str, exc: OSError) -> str:
    """A plain sentence for an ``OSError``: what could not be done, to which file, and why."""
    why = {
        errno.ENOENT: "no such file or folder"
        if verb == "read"
        else f"the folder {Path(name).parent} does not exist",
        errno.EISDIR: "it is a folder; give a file name",
        errno.ENOTDIR: f"{Path(name).parent} is not a folder",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.ENOSPC: "no space left on the device",
        errno.ENAMETOOLONG: "the name is too long",
        errno.EEXIST: "it exists",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return f"cannot {verb} {what} {name}: {why}"
