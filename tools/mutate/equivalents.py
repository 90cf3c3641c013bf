"""The mutants judged equivalent: no test could tell them from the original. Each says why.

The file (``tools/mutation-equivalents.toml``) lists them as::

    [[equivalent]]
    file = "fsm/secret.py"
    scope = "Secret.__eq__"          # Class.method, function, a module-level name, or <module>
    original = "..."                 # as the report prints it; a trailing … matches any rest
    mutant = "..."
    why = "one line: why no test can tell them apart"

A mutant is matched by file, scope and both texts, not by line, so the list survives edits elsewhere in the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tools.mutate.finder import Mutant

FIELDS = ("file", "scope", "original", "mutant", "why")


@dataclass(frozen=True)
class Equivalent:
    file: str
    scope: str
    original: str
    mutant: str
    why: str

    def matches(self, m: Mutant) -> bool:
        return (
            self.file == m.file and self.scope == m.scope
            and _same(self.original, m.original) and _same(self.mutant, m.mutant)
        )


def _same(listed: str, actual: str) -> bool:
    listed, actual = " ".join(listed.split()), " ".join(actual.split())
    if listed.endswith("…"):
        return actual.startswith(listed[:-1])
    return listed == actual


def load(path: Path) -> list[Equivalent]:
    """The entries of ``path`` (none when it does not exist); an entry without one of its fields is an error."""
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = []
    for i, entry in enumerate(data.get("equivalent", []), 1):
        missing = [k for k in FIELDS if not str(entry.get(k, "")).strip()]
        if missing:
            raise ValueError(f"{path}: entry {i} has no {', '.join(missing)}")
        found.append(Equivalent(*(str(entry[k]) for k in FIELDS)))
    return found
