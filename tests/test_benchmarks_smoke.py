"""The benchmark command keeps working (tiny sizes; no timing is asserted: benchmarks are not tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_one_command_prints_the_table_and_writes_the_same_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=600)
    figures = json.loads(out.read_text())
    assert set(figures) >= {"machine", "step", "flows", "snapshot", "check", "imports", "xstate"}
    assert figures["xstate"]["xstate_us"] > 0 and figures["xstate"]["engine_us"] > 0 and figures["xstate"]["ratio"] > 0
    assert set(figures["step"]) == {"engine", "transitions", "dict"}
    assert set(figures["flows"]) == {"engine", "transitions Machine per model", "transitions add_model"}
    assert all(row["verdict"] == "ok" for row in figures["check"]["defaults"])
    # the import is measured against fsm with attrs' own methods on every class records.py serves
    served = sum(f.read_text().count("@methods\n@attrs.") for f in ROOT.joinpath("fsm").rglob("*.py"))
    assert served > 0 and figures["imports"]["attrs_classes"] == served
    assert figures["imports"]["fsm_attrs_methods_ms"] > 0
    assert [row["agree"] for row in figures["check"]["spin"]] == [True]  # fsm check and SPIN, side by side
    for words in ("raw transitions trigger", "dict dispatch", "add_model", "snapshot + resume", "model checker",
                  "fsm check vs SPIN", "import", "XState: flow.receive(msg); flow.action"):
        assert words in done.stdout


def test_the_full_run_names_every_size_the_quick_one_does() -> None:
    """The smoke run uses QUICK; FULL (what ./dev bench runs) must not miss a size it needs (it once lacked one
    and failed after minutes of measuring)."""
    from benchmarks.__main__ import FULL, QUICK

    assert set(FULL) == set(QUICK)
