"""fsm paths: transcripts that together take every edge a run can take, and replay to their outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from fsm.cli import main
from fsm.flows import FLOWS
from fsm.options import make_options
from fsm.paths import generate, machine_edges
from fsm.transcript import Transcript, replay


@pytest.mark.parametrize("name", list(FLOWS))
def test_paths_cover_the_flow_and_replay(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", name, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "states: " in out and "(100.0%)" in out
    files = sorted(tmp_path.glob(f"{name}-*.json"))
    assert files
    taken: set[tuple[str, str, str]] = set()
    for file in files:
        t = Transcript.loads(file.read_text())
        assert t.outcome is not None
        r = replay(t)
        assert r.ok, (file.name, r.mismatches)
        assert r.outcome.state == t.outcome["state"]
        taken |= {(e.state, e.outcome, e.target) for e in r.outcome.trace}
    flow = FLOWS[name]
    assert {s.name for s in flow.states} <= {x for e in taken for x in (e[0], e[2])}
    missing = machine_edges(flow) - taken
    # Only the "no bound left" alternative of a guarded outcome may be left out: no run can take it.
    for src, outcome, _ in missing:
        alternatives = flow.state(src).alternatives(outcome)
        assert len(alternatives) > 1 and alternatives[-1].guard is None, (src, outcome)


def test_paths_report_the_edges_no_run_takes() -> None:
    _, cov = generate("update-pin", make_options())
    assert cov.state_percent == 100.0
    assert cov.edges + len(cov.missing_edges) == cov.edges_total


def test_paths_use_the_other_method_for_the_states_the_options_rule_out() -> None:
    transcripts, cov = generate("enrollment", make_options(max_pin_attempts=1, max_code_attempts=1))
    assert cov.missing_states == ()
    methods = {t.options["method"] for t in transcripts}
    assert methods >= {"auto", "full"}
