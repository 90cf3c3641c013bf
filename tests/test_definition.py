"""The definition: every tutorial step is a state, and a broken definition refuses to run."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import fsm
from fsm import spec
from fsm.flows import FLOWS
from fsm.flows.enrollment import ENROLLMENT
from fsm.machine import Compiled, compiled
from fsm.spec import Edge, FlowSpec, State
from fsm.validate import problems


def test_every_tutorial_step_is_a_state() -> None:
    """Steps 1-8, 4.1, 4.2 and A-E each appear as (the step of) a state."""
    steps = {s.step for f in FLOWS.values() for s in f.states}
    assert {"1", "2", "3", "4.1", "4.2", "5", "6", "7", "8", "A", "B", "C", "D", "E"} <= steps


def test_steps_keep_their_titles_as_data() -> None:
    titles = {s.name: s.title for s in ENROLLMENT.states}
    assert titles["1"] == "Check enrollment status"
    assert titles["8"] == "Request device enrollment & validate PIN"
    assert titles["A"] == "Remove all enrollments"


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_shipped_flows_are_valid_and_built_once(name: str) -> None:
    assert problems(FLOWS[name]) == []
    assert compiled(name) is compiled(name)
    assert fsm.start(name, sdk_version="2.3.0").spec is FLOWS[name]


def _replace_state(flow: FlowSpec, name: str, **changes: Any) -> FlowSpec:
    states = tuple(attrs.evolve(s, **changes) if s.name == name else s for s in flow.states)
    return attrs.evolve(flow, states=states)


def _edges_without(state: State, outcome: str) -> tuple[Edge, ...]:
    return tuple(e for e in state.edges if e.outcome != outcome)


def test_an_unreachable_state_is_refused() -> None:
    broken = attrs.evolve(ENROLLMENT, states=(*ENROLLMENT.states, State(name="Z", step="Z", title="z", kind="call",
                                                                         call="remove_enrollments",
                                                                         edges=ENROLLMENT.state("A").edges)))
    with pytest.raises(fsm.DefinitionError, match="'Z' is unreachable"):
        Compiled(broken)


def test_an_unhandled_outcome_is_refused() -> None:
    eight = ENROLLMENT.state("8")
    broken = _replace_state(ENROLLMENT, "8", edges=_edges_without(eight, "pin_rejected"))
    with pytest.raises(fsm.DefinitionError, match="does not handle pin_rejected"):
        Compiled(broken)


def test_two_targets_for_one_outcome_are_refused() -> None:
    one = ENROLLMENT.state("1")
    broken = _replace_state(ENROLLMENT, "1", edges=(*one.edges, Edge(outcome="activated", target="2")))
    with pytest.raises(fsm.DefinitionError, match="activated has two targets"):
        Compiled(broken)


def test_a_state_with_no_way_out_is_refused() -> None:
    broken = _replace_state(ENROLLMENT, "A", edges=())
    with pytest.raises(fsm.DefinitionError, match="'A' has no way out"):
        Compiled(broken)


def test_a_loop_that_can_never_end_is_refused() -> None:
    """A state that can only reach itself and others that never end is refused."""
    a = ENROLLMENT.state("A")
    loop = tuple(attrs.evolve(e, target="A") if e.target == "failed" else e for e in a.edges)
    loop = tuple(attrs.evolve(e, target="A") if e.outcome == "succeeded" else e for e in loop)
    broken = _replace_state(ENROLLMENT, "A", edges=loop)
    with pytest.raises(fsm.DefinitionError, match="'A' can never reach an end"):
        Compiled(broken)


def test_a_guarded_outcome_without_fallback_is_refused() -> None:
    eight = ENROLLMENT.state("8")
    edges = tuple(e for e in eight.edges if not (e.outcome == "pin_rejected" and e.guard is None))
    broken = _replace_state(ENROLLMENT, "8", edges=edges)
    with pytest.raises(fsm.DefinitionError, match="no edge for when no guard holds"):
        Compiled(broken)


def test_an_unknown_target_or_call_is_refused() -> None:
    one = ENROLLMENT.state("1")
    edges = tuple(attrs.evolve(e, target="nowhere") if e.outcome == "not_activated" else e for e in one.edges)
    with pytest.raises(fsm.DefinitionError, match="unknown state 'nowhere'"):
        Compiled(_replace_state(ENROLLMENT, "1", edges=edges))
    with pytest.raises(fsm.DefinitionError, match="unknown call"):
        Compiled(_replace_state(ENROLLMENT, "1", call="no_such_call"))


def test_an_edge_for_an_outcome_that_cannot_happen_is_refused() -> None:
    """A dead edge would make 100% transition coverage impossible: refused."""
    one = ENROLLMENT.state("1")
    broken = _replace_state(ENROLLMENT, "1", edges=(*one.edges, Edge(outcome="phone_taken", target="2")))
    with pytest.raises(fsm.DefinitionError, match="can never meet"):
        Compiled(broken)


def test_every_call_state_handles_every_outcome_the_world_can_produce() -> None:
    """Rules for every call: transient, 2317, input error, other code, malformed, port error all handled."""
    for flow in FLOWS.values():
        for state in flow.states:
            if state.kind != "call":
                continue
            handled = set(state.outcomes())
            for outcome in (spec.TRANSIENT, spec.MALFORMED, spec.PORT_ERROR):
                assert outcome in handled, (flow.name, state.name, outcome)
            assert spec.ERROR_2317 in handled or 2317 in state.errors


def test_a_kept_field_must_be_the_one_the_call_is_read_by() -> None:
    """Only the result field a call is read by can be kept (reach and resume rely on it)."""
    broken = _replace_state(ENROLLMENT, "3", keep=("otp",))
    assert any("keeps otp" in p for p in problems(broken))
    broken = _replace_state(ENROLLMENT, "5", keep=("phoneNumber",))
    assert any("keeps phoneNumber" in p for p in problems(broken))


def test_two_alternatives_of_one_outcome_may_share_a_target() -> None:
    """The edge taken is told by its guard, not its target: only the one taken counts."""
    from fsm.flows.common import call, terminals

    a = call("A", "A", "Remove all enrollments", "remove_enrollments",
             [Edge(outcome=spec.SUCCEEDED, target=spec.DONE, guard=spec.below("restarts"), count="restarts"),
              Edge(outcome=spec.SUCCEEDED, target=spec.DONE)])
    flow = FlowSpec(name="remove-enrollments", title="test", counters=FLOWS["remove-enrollments"].counters,
                    states=(a, *terminals(spec.DONE, spec.FAILED)))
    assert problems(flow) == []
    machine = Compiled(flow)
    names = [c.name for c in flow.counters]
    for already, expected in ((0, 1), (1, 1)):
        f = fsm.Flow(machine, fsm.Options())
        f.counters[names.index("restarts")] = already
        f.receive({"transactionId": "t", "status": "SUCCEEDED"})
        assert (f.state, f.counters[names.index("restarts")]) == ("done", expected)
        assert [t.target for t in f.trace] == ["done"]
