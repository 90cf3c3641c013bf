"""Defects seeded into copies of the shipped flows, each breaking a property: both checkers must find them
(tests/test_check.py shows each counterexample, tests/test_spin.py has SPIN find the same)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from fsm import spec
from fsm.flows import FLOWS
from fsm.flows.common import fail
from fsm.options import Options, make_options
from fsm.spec import Edge, FlowSpec, State

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


def unbounded_2306() -> FlowSpec:
    """Step 6 answering 2306 ("expired") by going back to 5 with no bound (as PROTOCOL.md's table reads, and as
    the flow shipped before the checker found it): an SDK that always says "expired" keeps the run going."""
    flow = FLOWS["enrollment"]
    return edit(flow, "6", edges=(*(e for e in edges_of(flow, "6") if e.outcome != "sms_expired"),
                                  Edge(outcome="sms_expired", target="5")))


def pin_bound_dropped() -> FlowSpec:
    """Step 8 asks the PIN again after a refusal with no bound."""
    flow = bounded_2306(FLOWS["enrollment"])
    return edit(flow, "8", edges=tuple(
        Edge(outcome="pin_rejected", target="8:pinCode") if e.outcome == "pin_rejected" and e.guard else e
        for e in edges_of(flow, "8") if not (e.outcome == "pin_rejected" and e.guard is None)))


def malformed_unhandled() -> FlowSpec:
    """reset-pin's B:request has no edge for a malformed message."""
    flow = FLOWS["reset-pin"]
    return edit(flow, "B:request", edges=tuple(e for e in edges_of(flow, "B:request") if e.outcome != spec.MALFORMED))


def restarts_unguarded_at_5() -> FlowSpec:
    """2317 at step 5 leads to A with no restarts guard (and no fallback)."""
    flow = bounded_2306(FLOWS["enrollment"])
    return edit(flow, "5", edges=(*(e for e in edges_of(flow, "5") if e.outcome != spec.ERROR_2317),
                                  Edge(outcome=spec.ERROR_2317, target="A", count="restarts")))


def restarts_unguarded_everywhere() -> FlowSpec:
    """The restarts guard removed from every 2317 -> A, the fallback kept: the definition is invalid (two
    targets for one outcome) and a run goes back and forth through A."""
    flow = FLOWS["enrollment"]

    def unguarded(s: State) -> tuple[Edge, ...]:
        return tuple(attrs.evolve(e, guard=None) if e.target == "A" and e.outcome == spec.ERROR_2317 else e
                     for e in s.edges)

    return attrs.evolve(flow, states=tuple(attrs.evolve(s, edges=unguarded(s)) for s in flow.states))


def a_without_blocked() -> FlowSpec:
    """No trusted phone number at step 3 leads to A (remove all enrollments)."""
    flow = bounded_2306(FLOWS["enrollment"])
    return edit(flow, "3", edges=tuple(Edge(outcome="no_phone", target="A") if e.outcome == "no_phone" else e
                                       for e in edges_of(flow, "3") if not (e.outcome == "no_phone" and e.guard)))


def enrolled_without_enroll() -> FlowSpec:
    """NotEnrolled at step 6 ends the run enrolled."""
    flow = bounded_2306(FLOWS["enrollment"])
    return edit(flow, "6", edges=tuple(Edge(outcome="not_enrolled", target=spec.ENROLLED)
                                       if e.outcome == "not_enrolled" else e for e in edges_of(flow, "6")))


def unreachable_state() -> FlowSpec:
    """remove-vehicle with a state no edge leads to."""
    flow = FLOWS["remove-vehicle"]
    lost = State(name="Z", step="Z", title="lost", kind="call", call="is_device_activated",
                 edges=tuple(edges_of(flow, "E")))
    return attrs.evolve(flow, states=(*flow.states, lost))


def unbounded_retry() -> FlowSpec:
    """modify-phone retries step 3 on a transient error with no bound."""
    flow = FLOWS["modify-phone"]
    return edit(flow, "3", edges=tuple(Edge(outcome=spec.TRANSIENT, target="3") if e.outcome == spec.TRANSIENT
                                       else e for e in edges_of(flow, "3")
                                       if not (e.outcome == spec.TRANSIENT and e.guard is None)))


def no_fallback() -> FlowSpec:
    """update-pin's C: a refused old PIN with the PIN bound reached has no edge."""
    flow = FLOWS["update-pin"]
    return edit(flow, "C", edges=tuple(e for e in edges_of(flow, "C")
                                       if not (e.outcome == "pin_rejected" and e.guard is None)))


def stuck() -> FlowSpec:
    """remove-enrollments whose every edge needs a restart left: with max_restarts 0 no answer moves it."""
    flow = FLOWS["remove-enrollments"]
    return edit(flow, "A", edges=tuple(attrs.evolve(e, guard=spec.below("restarts")) for e in edges_of(flow, "A")))


#: Each table defect: how to make it, the options it is checked under, and the properties it breaks that SPIN
#: judges too (``reachable`` and ``definition`` are fsm check's alone).
SEEDED: dict[str, tuple[Callable[[], FlowSpec], Options, frozenset[str]]] = {
    "unbounded 2306": (unbounded_2306, SMALL, frozenset({"terminates"})),
    "PIN bound dropped at 8": (pin_bound_dropped, SMALL, frozenset({"pin_bound", "terminates"})),
    "malformed unhandled": (malformed_unhandled, make_options(), frozenset({"handled"})),
    "2317 -> A unguarded at 5": (restarts_unguarded_at_5, SMALL, frozenset({"restart_bound", "terminates"})),
    "2317 -> A unguarded (invalid definition)": (restarts_unguarded_everywhere, make_options(),
                                                 frozenset({"restart_bound", "terminates"})),
    "A without a blocked status": (a_without_blocked, SMALL,
                                   frozenset({"remove_safety", "restart_bound", "terminates"})),
    "enrolled without an enroll": (enrolled_without_enroll, SMALL, frozenset({"enrolled_safety"})),
    "unreachable state": (unreachable_state, make_options(), frozenset()),
    "unbounded retry": (unbounded_retry, make_options(), frozenset({"retry_bound", "terminates"})),
    "no fallback": (no_fallback, make_options(), frozenset({"way_out"})),
    "stuck": (stuck, make_options(max_restarts=0), frozenset({"way_out"})),
}
