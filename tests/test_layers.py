"""Dependencies point one way: the core never imports the tools built on it; transitions lives in one module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

FSM = Path(__file__).resolve().parents[1] / "fsm"
TOOLS = {"fsm.diagrams", "fsm.docs", "fsm.check", "fsm.explore", "fsm.paths", "fsm.replay", "fsm.cli",
         "fsm.environment", "fsm.properties", "fsm.search", "fsm.witness", "fsm.promela", "fsm.spin", "fsm.export",
         "fsm.export_schema", "fsm.bridge"}
CORE = sorted(p for p in FSM.rglob("*.py")
              if not any(p.match(f"{t.split('.')[1]}.py") for t in TOOLS)
              and "cli" not in p.parts and "diagrams" not in p.parts and p.name != "__main__.py")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", CORE, ids=[str(p.relative_to(FSM)) for p in CORE])
def test_the_core_never_imports_the_tools(path: Path) -> None:
    bad = {m for m in imports(path) if any(m == t or m.startswith(t + ".") for t in TOOLS)}
    assert bad == set()


def test_only_machine_imports_transitions() -> None:
    users = {str(p.relative_to(FSM)) for p in FSM.rglob("*.py")
             if any(m == "transitions" or m.startswith("transitions.") for m in imports(p))}
    assert users == {"machine.py"}


def test_import_fsm_loads_no_optional_part() -> None:
    """`import fsm` loads the core only: the tools, asyncio support, snapshots and transcripts load on use."""
    code = "import sys, fsm; print('\\n'.join(m for m in sys.modules if m.startswith('fsm.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(out.split())
    optional = TOOLS | {"fsm.aio", "fsm.snapshot", "fsm.restore", "fsm.reach", "fsm.transcript",
                        "fsm.ports.simulator", "fsm.logging"}
    assert loaded & optional == set()
    assert "fsm.machine" in loaded
