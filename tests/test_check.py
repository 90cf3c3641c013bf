"""The model checker proves the shipped flows and catches seeded defects with replayable counterexamples."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from fsm.options import make_options
from fsm.secret import SECRET_NAMES, Secret
from fsm.spec import Edge, FlowSpec, State
from fsm.transcript import Transcript
from tests import defects
from tests.defects import SMALL, bounded_2306, edges_of, edit


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
    # The bound monitors add no configuration: the flow's own counters keep its bounds.
    assert r.nodes == r.configurations and not r.definition_invalid and r.notes == []


def test_a_loop_without_progress_is_caught_with_the_shortest_lasso() -> None:
    """Step 6 answering 2306 ("expired") by going back to 5 with no bound (as PROTOCOL.md's table reads, and as
    the flow shipped before the checker found it): an SDK that always says "expired" keeps the run going."""
    bad = defects.unbounded_2306()
    r = check(bad, SMALL)
    t = shows(r, "terminates", bad)
    assert r.longest is None and t.outcome is None
    codes = [e["message"].get("error", {}).get("code") for e in t.events if "message" in e]
    assert codes.count(2306) == 1 and len(t.events) <= 8  # 1, 2, 3, 5, code, 6 (2306), 5, code: back where it was


def test_dropping_the_pin_bound_at_8_is_caught() -> None:
    bad = defects.pin_bound_dropped()
    r = check(bad, SMALL)
    t = shows(r, "pin_bound", bad)
    pins = [e for e in t.events if e.get("step") == "8" and "call" in e]
    assert len(pins) > SMALL.max_pin_attempts
    assert not r.holds("terminates")  # and the run can now go on for ever


def test_an_outcome_left_unhandled_is_caught() -> None:
    bad = defects.malformed_unhandled()
    r = check(bad, make_options())
    t = shows(r, "handled", bad)
    assert any("malformed" in v.text for v in r.violations["handled"])
    assert "message" in t.events[-1] and "status" not in t.events[-1]["message"]
    assert not r.holds("definition")


def test_2317_to_a_without_the_restarts_guard_is_caught() -> None:
    bad = defects.restarts_unguarded_at_5()
    r = check(bad, SMALL)
    t = shows(r, "restart_bound", bad)
    f, _ = replay_steps(bad, t)  # the run ends as it enters A once more
    assert f.state == "A"
    assert sum(1 for e in t.events if e.get("step") == "A") + 1 > SMALL.max_restarts


def test_a_without_blocked_or_2317_is_caught() -> None:
    bad = defects.a_without_blocked()
    r = check(bad, SMALL)
    t = shows(r, "remove_safety", bad)
    assert t.events[-1]["step"] == "3"


def test_enrolled_without_a_successful_enroll_is_caught() -> None:
    bad = defects.enrolled_without_enroll()
    r = check(bad, SMALL)
    t = shows(r, "enrolled_safety", bad)
    assert t.events[-1]["message"]["result"] == {"status": "NotEnrolled"}


def test_an_unreachable_state_is_caught() -> None:
    bad = defects.unreachable_state()
    r = check(bad, make_options())
    assert not r.holds("reachable") and not r.holds("definition")
    assert any("'Z'" in v.text for v in r.violations["reachable"])


def test_an_unbounded_transient_retry_is_caught() -> None:
    bad = defects.unbounded_retry()
    r = check(bad, make_options())
    t = shows(r, "retry_bound", bad)
    f, _ = replay_steps(bad, t)  # the run ends as it makes the call once more
    assert f.state == "3"
    assert sum(1 for e in t.events if e.get("step") == "3") + 1 > make_options().max_transient_retries + 1
    assert not r.holds("terminates")


def test_a_guard_with_no_fallback_leaves_no_way_out() -> None:
    bad = defects.no_fallback()
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
    assert r.incomplete and not r.ok and r.skipped is None
    assert r.gave_up is not None and "nothing proved" in r.gave_up
    assert main(["check", "update-pin", "--max-configurations", "50"]) == 1
    out = capsys.readouterr().out
    assert "update-pin: gave up after" in out and "nothing proved" in out
    assert "violated" not in out.lower()  # giving up finds nothing wrong: it proves nothing


def test_cli_check_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "remove-vehicle", "reset-pin"]) == 0
    out = capsys.readouterr().out
    assert "remove-vehicle: all properties hold" in out and "transitions/s" in out
    assert main(["check", "remove-vehicle", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["flow"] == "remove-vehicle" and data[0]["ok"] is True
    assert set(data[0]["properties"]) == set(PROPERTIES)


def test_cli_check_exits_1_when_a_property_is_not_proved(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "update-pin", "reset-pin", "--max-configurations", "40"]) == 1
    out = capsys.readouterr().out
    assert "gave up on 2 check(s): nothing proved" in out and "some property is violated" not in out


def test_counterexamples_are_written_and_drawn_on_the_diagram(tmp_path: Path) -> None:
    from fsm.cli.check import _write

    flow = FLOWS["modify-phone"]
    r = check(defects.unbounded_retry(), make_options())
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


def _graph(flow: FlowSpec | str, learn: bool) -> set[tuple[object, ...]]:
    """Every move of every reachable configuration: (state, counters), input, outcome, where to (or how the
    machine broke), and the values it wrote."""
    ex = Explorer(flow, SMALL, learn=learn)
    out: set[tuple[object, ...]] = set()
    for c, _ in ex.shortest_paths():
        for k, d, outcome, t, writes, broke in ex.plan(c).steps:
            wrote = tuple((n, v.reveal() if isinstance(v, Secret) else v) for n, v in writes)
            there = (ex.state_of(c + d), ex.counters_of(c + d)) if t >= 0 else broke
            out.add(((ex.state_of(c), ex.counters_of(c)), k, outcome, there, wrote))
    return out


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
    assert learned == _graph(flow, False)  # learned from a flow holding nothing, moved holding every value
    assert len(learned) > 10
    assert any(wrote for *_, wrote in learned)


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


# -- the checker cannot pass by accident (issue 9, item 6) ----------------------------------------------------------


def test_a_checker_that_breaks_fails_the_check_and_names_the_exception(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only options that rule a flow out may skip it: any other exception is the checker failing (exit 2)."""
    import fsm.check

    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise LookupError("a defect of the checker")

    monkeypatch.setattr(fsm.check, "Explorer", Broken)
    with pytest.raises(LookupError):
        check("remove-vehicle", make_options())
    assert main(["check", "remove-vehicle", "reset-pin"]) == 2
    captured = capsys.readouterr()
    assert "every property holds" not in captured.out and "skipped" not in captured.out
    lines = [line for line in captured.err.splitlines() if "LookupError" in line]
    assert len(lines) == 2 and "remove-vehicle" in lines[0] and "reset-pin" in lines[1]


def test_a_flow_the_options_rule_out_is_still_skipped_from_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "remove-vehicle", "--sdk-version", "2.0.0"]) == 0
    out = capsys.readouterr().out
    assert "remove-vehicle: skipped" in out and "2.1" in out


def test_a_state_only_a_zero_bound_rules_out_is_a_note_not_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    r = check("enrollment", make_options(max_restarts=0))
    assert r.holds("reachable") and r.ok
    assert any("'A'" in n and "max_restarts" in n for n in r.notes)
    assert main(["check", "enrollment", "--max-restarts", "0"]) == 0
    out = capsys.readouterr().out
    assert "note: state 'A' is reached only when max_restarts is above 0" in out
    # A state no bound explains is still a failure, whatever the bounds.
    bad = defects.unreachable_state()
    r = check(bad, make_options(max_restarts=0, max_transient_retries=0))
    assert [v.text.split(" is never")[0] for v in r.violations["reachable"]] == ["state 'Z'"]


def test_counterexamples_with_nothing_to_write_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "remove-vehicle", "--counterexamples", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"no counterexample to write to {tmp_path / 'out'}: every property holds" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


# -- a definition error does not hide the rest (issue 11, item 5) ---------------------------------------------------


@pytest.fixture
def broken_enrollment(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlowSpec]:
    """The shipped enrollment with the restarts guard removed from every 2317 -> A (the fallback kept): its
    definition is invalid (two targets for one outcome) and the run can go back and forth through A."""
    bad = defects.restarts_unguarded_everywhere()
    monkeypatch.setitem(FLOWS, "enrollment", bad)  # the registry (a dict) holds the broken flow for this test
    machine.compiled.cache_clear()
    yield bad
    machine.compiled.cache_clear()


def test_a_definition_error_is_reported_and_the_edges_are_explored_as_written(
    broken_enrollment: FlowSpec, capsys: pytest.CaptureFixture[str]
) -> None:
    r = check("enrollment", SMALL)
    assert r.definition_invalid and not r.holds("definition")
    assert any("error_2317 has two targets" in v.text for v in r.violations["definition"])
    t = shows(r, "terminates", broken_enrollment)
    loop = r.violations["terminates"][0].text
    assert "A -> 3 -> A" in loop
    assert [e.get("step") for e in t.events[-2:]] == ["A", "3"]
    assert not r.holds("restart_bound")
    assert main(["check", "enrollment", "--max-pin-attempts", "2"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED (definition invalid: its edges were explored as written)" in out
    assert "a run can loop for ever: A -> 3 -> A" in out


# -- values: what the configurations leave out is judged per call ---------------------------------------------------


def test_a_call_missing_a_value_no_run_holds_is_caught() -> None:
    """modify-phone sending the SMS request for the new number before asking it: the call has no value."""
    flow = FLOWS["modify-phone"]
    bad = edit(flow, "3", edges=tuple(Edge(outcome="phone_present", target="D:request")
                                      if e.outcome == "phone_present" else e for e in edges_of(flow, "3")))
    r = check(bad, make_options())
    assert sorted(v.text for v in r.violations["parameters"]) == [  # the request for a code and the change itself
        "state 'D': no value held for phoneNumber", "state 'D:request': no value held for phoneNumber"]
    t = r.transcripts["parameters"]
    assert [e["call"]["api"] for e in t.events] == [e["call"]["api"] for e in shows(r, "parameters", bad).events]
    assert len(t.events) == 2  # 1 and 3: the call at D:request cannot even be made


def test_a_call_missing_a_value_on_one_path_only_is_caught() -> None:
    """update-pin's reset (B) reached from the SMS code without the new PIN: B's pinCode is held on no such run,
    though it is on the run through B:pinCode."""
    flow = FLOWS["update-pin"]
    bad = edit(flow, "B:smsCode:again", edges=tuple(
        Edge(outcome=spec.ANSWERED, target="B:pinCode") if e.outcome == spec.ANSWERED else e
        for e in edges_of(flow, "B:smsCode:again")))
    bad = edit(bad, "B:smsCode", edges=tuple(Edge(outcome=spec.ANSWERED, target="B") if e.outcome == spec.ANSWERED
                                             else e for e in edges_of(flow, "B:smsCode")))
    r = check(bad, make_options())
    assert [v.text for v in r.violations["parameters"]] == ["state 'B': no value held for pinCode"]
    t = shows(r, "parameters", bad)
    # Forgot the old PIN, request the code, give it: then the reset cannot be made.
    assert [e.get("reply") or e.get("call", {}).get("api") or e.get("question") for e in t.events[-3:]] == [
        "FORGOT_PIN", CATALOG["sms_reset_pin"].api, "smsCode"]


# -- three derivations of the reachable configurations agree ---------------------------------------------------------

REACH_VARIANTS: list[dict[str, Any]] = [
    {}, {"platform": "ios", "dialect": "reference"}, {"method": "full"},
    {"max_restarts": 0, "max_transient_retries": 0}, {"max_pin_attempts": 1, "max_code_attempts": 1},
    {"max_pin_attempts": 7, "max_restarts": 2},
]


@pytest.mark.parametrize("variant", REACH_VARIANTS, ids=[str(v) for v in REACH_VARIANTS])
@pytest.mark.parametrize("name", list(FLOWS))
def test_the_checker_reaches_the_configurations_the_table_derives(name: str, variant: dict[str, Any]) -> None:
    """The checker's walk (the real machine, values left out) reaches exactly fsm.reach's set (the table, walked
    with the machine's semantics) seen as (state, counters); tests/test_spin.py has SPIN count the same."""
    from fsm.properties import Judge
    from fsm.reach import reachable
    from fsm.search import Search

    options = make_options(**variant)
    ex = Explorer(name, options)
    walk = Search(ex, Judge(ex))
    walk.run()
    found = {(ex.state_of(x % ex.C), ex.counters_of(x % ex.C)) for x in walk.color}
    assert found == {(state, counters) for state, counters, _ in reachable(FLOWS[name], options, resumed=False)}
    assert len(walk.color) == len(found) == check(name, options).configurations


def test_a_definition_the_machine_cannot_be_built_from_is_reported_not_a_crash() -> None:
    flow = FLOWS["reset-pin"]
    bad = edit(flow, "B", edges=(*edges_of(flow, "B"), Edge(outcome=spec.SUCCEEDED, target="nowhere")))
    r = check(bad, make_options())
    assert r.definition_invalid and not r.ok and r.skipped is None
    texts = [v.text for v in r.violations["definition"]]
    assert "state 'B': succeeded leads to unknown state 'nowhere'" in texts
    assert any(t.startswith("the machine cannot be built") for t in texts)
    assert r.notes == ["explored nothing: the machine cannot be built from this definition"]
