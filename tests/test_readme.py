"""The README stays true: its demo output is what the demo prints, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fsm.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_demo_output_is_what_the_demo_prints(capsys: pytest.CaptureFixture[str]) -> None:
    m = re.search(r"```text\n\$ \./dev demo (?P<args>[^\n]*)\n(?P<out>.*?)```", README, re.S)
    assert m is not None, "the README shows a demo run"
    assert main(["run", "enrollment", *m["args"].split()]) == 0
    assert capsys.readouterr().out == m["out"]


def test_ci_runs_the_readme_test_command() -> None:
    quick = re.search(r"## Quick start.*?```sh\n(?P<cmds>.*?)```", README, re.S)
    assert quick is not None
    test_cmd = next(line.split("#")[0].strip() for line in quick["cmds"].splitlines() if "test" in line)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1].strip() == test_cmd
