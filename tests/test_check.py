"""The model checker proves the shipped flows and catches seeded defects with replayable counterexamples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsm import machine, spec
from fsm.catalog import CATALOG, Param
from fsm.check import PROPERTIES, Explorer, Result, check, replay_steps
from fsm.cli import main
from fsm.flows import FLOWS
from fsm.flows.common import fail
from fsm.options import make_options
from fsm.secret import SECRET_NAMES, Secret
from fsm.spec import Edge, FlowSpec, State
from fsm.transcript import Transcript

SMALL = make_options(max_pin_attempts=2, max_code_attempts=1, max_transient_retries=1)


def edit(flow: FlowSpec, name: str, *, edges: tuple[Edge, ...]) -> FlowSpec:
    """A copy of ``flow`` whose state ``name`` has ``edges``."""
    states = tuple(attrs.evolve(s, edges=edges) if s.name == name else s for s in flow.states)
    return attrs.evolve(flow, states=states)


def edges_of(flow: FlowSpec, name: str) -> tuple[Edge, ...]:
    return flow.state(name).edges


def bounded_2306(flow: FlowSpec) -> FlowSpec:
    """Enrollment with "SMS code expired" bounded like a refused code (the shipped flow loops on it)."""
    if any(e.outcome == "sms_expired" and e.guard is not None for e in edges_of(flow, "6")):
        return flow  # the shipped flow bounds it now
    edges = (
        *(e for e in edges_of(flow, "6") if e.outcome != "sms_expired"),
        Edge(outcome="sms_expired", target="5", guard=spec.below("code_attempts"), count="code_attempts"),
        fail("sms_expired", "code_attempts_exhausted"),
    )
    return edit(flow, "6", edges=edges)


def shows(result: Result, prop: str, flow: FlowSpec | str) -> Transcript:
    """The counterexample of ``prop``: present, written as JSON, and replayed by the flow it was found in."""
    assert not result.holds(prop), f"{prop} should be violated"
    assert not result.ok
    transcript = Transcript.loads(result.transcripts[prop].dumps())
    assert transcript.events
    _, mismatches = replay_steps(flow, transcript)
    assert [m for m in mismatches if "raised" not in m] == []
    return transcript


@pytest.fixture(scope="module")
def shipped() -> dict[str, Result]:
    names = [n for n in FLOWS if n != "enrollment"]
    out = {n: check(n, make_options()) for n in names}
    out["enrollment"] = check(bounded_2306(FLOWS["enrollment"]), make_options())
    return out


@pytest.mark.parametrize("name", list(FLOWS))
def test_the_flows_prove_every_property(shipped: dict[str, Result], name: str) -> None:
    r = shipped[name]
    assert {p: [v.text for v in r.violations[p]] for p in PROPERTIES if not r.holds(p)} == {}
    assert r.ok and r.longest is not None and r.longest > 0
    assert r.transitions >= r.machine_steps > 0 and r.configurations > 1


def test_a_loop_without_progress_is_caught_with_the_shortest_lasso() -> None:
    """Step 6 answering 2306 ("expired") by going back to 5 with no bound (as PROTOCOL.md's table reads, and as
    the flow shipped before the checker found it): an SDK that always says "expired" keeps the run going."""
    flow = FLOWS["enrollment"]
    edges = (*(e for e in edges_of(flow, "6") if e.outcome != "sms_expired"),
             Edge(outcome="sms_expired", target="5"))
    bad = edit(flow, "6", edges=edges)
    r = check(bad, SMALL)
    t = shows(r, "terminates", bad)
    assert r.longest is None and t.outcome is None
    codes = [e["message"].get("error", {}).get("code") for e in t.events if "message" in e]
    assert codes.count(2306) == 1 and len(t.events) <= 8  # 1, 2, 3, 5, code, 6 (2306), 5, code: back where it was


def test_dropping_the_pin_bound_at_8_is_caught() -> None:
    flow = bounded_2306(FLOWS["enrollment"])
    edges = tuple(
        Edge(outcome="pin_rejected", target="8:pinCode") if e.outcome == "pin_rejected" and e.guard else e
        for e in edges_of(flow, "8") if not (e.outcome == "pin_rejected" and e.guard is None)
    )
    bad = edit(flow, "8", edges=edges)
    r = check(bad, SMALL)
    t = shows(r, "pin_bound", bad)
    pins = [e for e in t.events if e.get("step") == "8" and "call" in e]
    assert len(pins) > SMALL.max_pin_attempts
    assert not r.holds("terminates")  # and the run can now go on for ever


def test_an_outcome_left_unhandled_is_caught() -> None:
    flow = FLOWS["reset-pin"]
    bad = edit(flow, "B:request", edges=tuple(e for e in edges_of(flow, "B:request") if e.outcome != spec.MALFORMED))
    r = check(bad, make_options())
    t = shows(r, "handled", bad)
    assert any("malformed" in v.text for v in r.violations["handled"])
    assert "message" in t.events[-1] and "status" not in t.events[-1]["message"]
    assert not r.holds("definition")


def test_2317_to_a_without_the_restarts_guard_is_caught() -> None:
    flow = bounded_2306(FLOWS["enrollment"])
    edges = (*(e for e in edges_of(flow, "5") if e.outcome != spec.ERROR_2317),
             Edge(outcome=spec.ERROR_2317, target="A", count="restarts"))
    bad = edit(flow, "5", edges=edges)
    r = check(bad, SMALL)
    t = shows(r, "restart_bound", bad)
    f, _ = replay_steps(bad, t)  # the run ends as it enters A once more
    assert f.state == "A"
    assert sum(1 for e in t.events if e.get("step") == "A") + 1 > SMALL.max_restarts


def test_a_without_blocked_or_2317_is_caught() -> None:
    flow = bounded_2306(FLOWS["enrollment"])
    edges = tuple(Edge(outcome="no_phone", target="A") if e.outcome == "no_phone" else e
                  for e in edges_of(flow, "3") if not (e.outcome == "no_phone" and e.guard is not None))
    bad = edit(flow, "3", edges=edges)
    r = check(bad, SMALL)
    t = shows(r, "remove_safety", bad)
    assert t.events[-1]["step"] == "3"


def test_enrolled_without_a_successful_enroll_is_caught() -> None:
    flow = bounded_2306(FLOWS["enrollment"])
    edges = tuple(Edge(outcome="not_enrolled", target=spec.ENROLLED) if e.outcome == "not_enrolled" else e
                  for e in edges_of(flow, "6"))
    bad = edit(flow, "6", edges=edges)
    r = check(bad, SMALL)
    t = shows(r, "enrolled_safety", bad)
    assert t.events[-1]["message"]["result"] == {"status": "NotEnrolled"}


def test_an_unreachable_state_is_caught() -> None:
    flow = FLOWS["remove-vehicle"]
    lost = State(name="Z", step="Z", title="lost", kind="call", call="is_device_activated",
                 edges=tuple(edges_of(flow, "E")))
    bad = attrs.evolve(flow, states=(*flow.states, lost))
    r = check(bad, make_options())
    assert not r.holds("reachable") and not r.holds("definition")
    assert any("'Z'" in v.text for v in r.violations["reachable"])


def test_an_unbounded_transient_retry_is_caught() -> None:
    flow = FLOWS["modify-phone"]
    edges = tuple(Edge(outcome=spec.TRANSIENT, target="3") if e.outcome == spec.TRANSIENT else e
                  for e in edges_of(flow, "3") if not (e.outcome == spec.TRANSIENT and e.guard is None))
    bad = edit(flow, "3", edges=edges)
    r = check(bad, make_options())
    t = shows(r, "retry_bound", bad)
    f, _ = replay_steps(bad, t)  # the run ends as it makes the call once more
    assert f.state == "3"
    assert sum(1 for e in t.events if e.get("step") == "3") + 1 > make_options().max_transient_retries + 1
    assert not r.holds("terminates")


def test_a_guard_with_no_fallback_leaves_no_way_out() -> None:
    flow = FLOWS["update-pin"]
    bad = edit(flow, "C", edges=tuple(e for e in edges_of(flow, "C")
                                      if not (e.outcome == "pin_rejected" and e.guard is None)))
    r = check(bad, make_options())
    shows(r, "way_out", bad)


@pytest.fixture
def wrong_slot(monkeypatch: pytest.MonkeyPatch) -> FlowSpec:
    """The enroll call reads its pinCode from the SMS code the person gave."""
    entry = CATALOG["enroll"]
    params = tuple(Param(name="pinCode", slot="smsCode") if p.name == "pinCode" else p for p in entry.params)
    patched = dict(CATALOG, enroll=attrs.evolve(entry, params=params))
    monkeypatch.setattr(machine, "CATALOG", patched)
    return attrs.evolve(bounded_2306(FLOWS["enrollment"]))


def test_a_secret_from_the_wrong_slot_is_caught(wrong_slot: FlowSpec) -> None:
    r = check(wrong_slot, SMALL)
    t = shows(r, "secrets", wrong_slot)
    assert t.events[-1]["call"]["parameters"]["pinCode"] == "***"
    assert any("pinCode" in v.text for v in r.violations["secrets"])


def test_a_call_with_other_parameters_than_the_catalog_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = CATALOG["trusted_phone_number"]
    patched = dict(CATALOG, trusted_phone_number=attrs.evolve(entry, params=(Param(name="type", value="x"),)))
    monkeypatch.setattr(machine, "CATALOG", patched)
    flow = attrs.evolve(FLOWS["modify-phone"])
    r = check(flow, make_options())
    shows(r, "parameters", flow)


def test_parameters_are_checked_for_every_dialect_and_platform() -> None:
    for platform in ("android", "ios"):
        for dialect in ("tutorial", "reference"):
            r = check("remove-vehicle", make_options(platform=platform, dialect=dialect))
            assert r.holds("parameters") and r.holds("secrets")


def test_a_flow_the_sdk_version_rules_out_is_skipped() -> None:
    r = check("remove-vehicle", make_options(sdk_version="2.0.0"))
    assert r.skipped is not None and "2.1" in r.skipped
    assert r.ok and not r.incomplete  # nothing to prove is not a failure


def test_a_check_stopped_by_its_limit_proves_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    r = check("update-pin", make_options(), limit=50)
    assert r.incomplete and not r.ok and r.skipped is not None
    assert main(["check", "update-pin", "--max-configurations", "50"]) == 1
    assert "skipped" in capsys.readouterr().out


def test_cli_check_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "remove-vehicle", "reset-pin"]) == 0
    out = capsys.readouterr().out
    assert "remove-vehicle: all properties hold" in out and "transitions/s" in out
    assert main(["check", "remove-vehicle", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["flow"] == "remove-vehicle" and data[0]["ok"] is True
    assert set(data[0]["properties"]) == set(PROPERTIES)


def test_cli_check_exits_1_when_a_property_is_not_proved(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "update-pin", "--max-configurations", "40"]) == 1
    assert "nothing is proved" in capsys.readouterr().out


def test_counterexamples_are_written_and_drawn_on_the_diagram(tmp_path: Path) -> None:
    from fsm.cli.check import _write

    flow = FLOWS["modify-phone"]
    edges = tuple(Edge(outcome=spec.TRANSIENT, target="3") if e.outcome == spec.TRANSIENT else e
                  for e in edges_of(flow, "3") if not (e.outcome == spec.TRANSIENT and e.guard is None))
    r = check(edit(flow, "3", edges=edges), make_options())
    r.shipped = True  # every edge of these runs is one of the shipped flow's, so they can be drawn on its diagram
    written = _write(r, tmp_path)
    names = sorted(p.name for p in written)
    assert "modify-phone-retry_bound.json" in names
    assert any(n.startswith("modify-phone-retry_bound.") and n.endswith((".svg", ".dot")) for n in names)
    canary = Explorer(flow, make_options()).canary
    secrets = [canary[s.name] for s in flow.states if s.kind == "question" and s.ask in SECRET_NAMES]
    assert secrets
    for path in written:  # a secret the person gave is never in a transcript or a drawing
        text = path.read_text()
        assert not [c for c in secrets if c in text]


def test_cli_check_refuses_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--max-restarts", "-1"]) == 2
    assert "max_restarts" in capsys.readouterr().err


def test_a_harmless_edit_breaks_no_property() -> None:
    """No false alarm: ending remove-vehicle failed after a successful OTP is odd but breaks no property."""
    flow = FLOWS["remove-vehicle"]
    edges = tuple(Edge(outcome=spec.SUCCEEDED, target=spec.FAILED, cause="unexpected_error")
                  if e.outcome == spec.SUCCEEDED else e for e in edges_of(flow, "E:otp"))
    r = check(edit(flow, "E:otp", edges=edges), make_options())
    assert r.ok and not r.transcripts


def _graph(flow: FlowSpec | str, learn: bool) -> set[tuple[object, int, object]]:
    ex = Explorer(flow, SMALL, learn=learn)
    for _ in ex.shortest_paths():
        pass

    def named(i: int) -> object:
        state, counters, vid = ex.cfgs[i]
        return (state, counters, tuple((k, v.reveal() if isinstance(v, Secret) else v) for k, v in ex.vals[vid]))

    return {(named(i), k, named(j)) for i in range(len(ex.cfgs)) for k, j, _ in ex.succ[i] or []}


@pytest.mark.parametrize("name", ["reset-pin", "update-pin", "modify-phone", "remove-vehicle", "pin-unbounded",
                                  "enrollment"])
def test_learned_moves_give_the_graph_the_machine_gives_from_every_configuration(name: str) -> None:
    """The explorer replays one real move on configurations alike; moving the machine from each gives the same."""
    flow: FlowSpec | str = name
    if name == "pin-unbounded":
        base = FLOWS["update-pin"]
        flow = edit(base, "C", edges=tuple(Edge(outcome="pin_rejected", target="C:oldPIN")
                                           if e.outcome == "pin_rejected" and e.guard else e
                                           for e in edges_of(base, "C")
                                           if not (e.outcome == "pin_rejected" and e.guard is None)))
    learned = _graph(flow, True)
    assert learned == _graph(flow, False)
    assert len(learned) > 10


@settings(max_examples=15, deadline=None)
@given(pins=st.integers(1, 4), codes=st.integers(1, 3), restarts=st.integers(0, 2), retries=st.integers(0, 2),
       name=st.sampled_from(["update-pin", "reset-pin", "modify-phone", "remove-vehicle"]))
def test_any_bounds_prove_the_properties_and_learning_changes_nothing(
    pins: int, codes: int, restarts: int, retries: int, name: str
) -> None:
    opts = make_options(max_pin_attempts=pins, max_code_attempts=codes, max_restarts=restarts,
                        max_transient_retries=retries)
    r = check(name, opts)
    assert r.ok, {p: [v.text for v in vs] for p, vs in r.violations.items() if vs}
    exact = check(name, opts, learn=False)
    assert (exact.configurations, exact.transitions, exact.longest) == (r.configurations, r.transitions, r.longest)


def test_a_machine_that_reads_messages_its_own_way_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine must read every message as fsm.classify does: an unknown code read as transient is caught."""
    from fsm import classify as classify_module

    def lenient(state: State, entry: object, message: Any) -> str:
        if message.error_code == 9999:
            return spec.TRANSIENT
        return classify_module.classify(state, entry, message)  # type: ignore[arg-type]  # the real entry

    monkeypatch.setattr(machine, "classify", lenient)
    r = check("remove-vehicle", make_options())
    t = shows(r, "classified", "remove-vehicle")
    assert t.events[-1]["message"]["error"]["code"] == 9999
