"""Files named on the command line, checked before any work: a bad one is one line on stderr and exit 2.

Every command checks the files it will write (``--out``, ``--record``, ``--draw``, ``--counterexamples``,
``--json FILE``) and read (``--answers``, a transcript) before it runs, so a typo never costs a run, and a
run is never lost to a path that cannot be written at the end. A check raises :class:`UsageError`;
``fsm.cli.main`` prints ``fsm COMMAND: <message>`` and exits 2.

Writability is tried, not guessed from permission bits (which say nothing for root or a read-only mount):
a new file is created and removed at once, an existing one opened for appending (its content untouched).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path


class UsageError(Exception):
    """A misuse of the command line, said in one line (no traceback, exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the message held


def _named(option: str, path: Path) -> str:
    """``--record run.json``, or just the path for a positional argument (``option`` empty)."""
    return f"{option} {path}" if option else str(path)


def _problem(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _parent(path: Path, option: str) -> Path:
    parent = path.parent
    if not parent.exists():
        raise UsageError(f"{_named(option, path)}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"{_named(option, path)}: {parent} is not a directory")
    return parent


def output_file(path: Path, *, option: str, suffixes: Sequence[str] = ()) -> Path:
    """``path`` as a file this command can write, checked now: extension, parent directory, writable."""
    if suffixes and path.suffix.lower() not in suffixes:
        raise UsageError(f"{_named(option, path)}: the file must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise UsageError(f"{_named(option, path)}: is a directory; a file is wanted")
    _parent(path, option)
    try:
        if path.exists():
            with path.open("ab"):  # the content is left as it is
                pass
        else:
            with path.open("xb"):
                pass
            path.unlink()
    except OSError as exc:
        raise UsageError(f"{_named(option, path)}: cannot be written: {_problem(exc)}") from None
    return path


def output_dir(path: Path, *, option: str) -> Path:
    """``path`` as a directory this command can write files in, made now if it is missing (its parent must
    exist)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{_named(option, path)}: is a file; a directory is wanted")
    if not path.exists():
        _parent(path, option)
        try:
            path.mkdir(exist_ok=True)  # another process may make it meanwhile (fsm paths run side by side)
        except OSError as exc:
            raise UsageError(f"{_named(option, path)}: cannot be made: {_problem(exc)}") from None
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UsageError(f"{_named(option, path)}: cannot be written: {_problem(exc)}") from None
    return path


def input_file(path: Path, *, option: str) -> str:
    """The text of ``path``, a file this command reads."""
    if path.is_dir():
        raise UsageError(f"{_named(option, path)}: is a directory; a file is wanted")
    if not path.exists():
        raise UsageError(f"{_named(option, path)}: no such file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{_named(option, path)}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{_named(option, path)}: cannot be read: {_problem(exc)}") from None


def json_file(path: Path, *, option: str) -> object:
    """The JSON value in ``path``; bad JSON names the file, line and column."""
    text = input_file(path, option=option)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise UsageError(f"{_named(option, path)}: not JSON at {where}: {exc.msg}") from None


def drawing_file(path: Path, *, option: str) -> Path:
    """``path`` as a drawing to write: an extension Graphviz renders (``.svg``, ``.png``, ``.pdf``; Graphviz
    needed) or ``.dot`` (the source)."""
    from fsm.diagrams import FORMATS, INSTALL_HINT, dot_available

    output_file(path, option=option, suffixes=tuple(f".{f}" for f in FORMATS))
    if path.suffix.lower() != ".dot" and not dot_available():
        raise UsageError(f"{_named(option, path)}: {INSTALL_HINT}, or draw to a .dot file")
    return path
