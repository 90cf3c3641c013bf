"""Checks of a flow definition, made when its machine is built (a broken flow refuses to run)."""

from __future__ import annotations

from collections import deque

from fsm import spec
from fsm.catalog import CATALOG
from fsm.classify import possible_outcomes
from fsm.inputs import PATTERNS
from fsm.spec import FlowSpec, State

QUESTION_OUTCOMES = (spec.ANSWERED, spec.INVALID, spec.CANCEL)


def producible(state: State) -> tuple[str, ...]:
    """The outcomes the world can hand ``state``: what its table must handle."""
    if state.kind == "call" and state.call is not None and state.call in CATALOG:
        return possible_outcomes(state, CATALOG[state.call])
    if state.kind == "question":
        handled = set(state.outcomes())
        return QUESTION_OUTCOMES + ((spec.FORGOT_PIN,) if spec.FORGOT_PIN in handled else ())
    return ()


def reachable(flow: FlowSpec) -> set[str]:
    seen = {flow.initial}
    todo = deque([flow.initial])
    names = {s.name: s for s in flow.states}
    while todo:
        for edge in names[todo.popleft()].edges:
            if edge.target in names and edge.target not in seen:
                seen.add(edge.target)
                todo.append(edge.target)
    return seen


def problems(flow: FlowSpec) -> list[str]:
    """Everything wrong with ``flow``; empty when it may run."""
    out: list[str] = []
    names = [s.name for s in flow.states]
    known = set(names)
    counters = {c.name for c in flow.counters}
    if len(known) != len(names):
        out.append("two states share a name")
    if not flow.states or flow.states[0].terminal:
        out.append("the initial state must not be terminal")
    for state in flow.states:
        where = f"state {state.name!r}"
        if state.terminal:
            if state.edges:
                out.append(f"{where} is terminal but has edges")
            continue
        if not state.edges:
            out.append(f"{where} has no way out")
        if state.kind == "call" and state.call not in CATALOG:
            out.append(f"{where} names an unknown call {state.call!r}")
        if state.kind == "question" and state.ask not in PATTERNS:
            out.append(f"{where} asks an unknown input {state.ask!r}")
        entry = CATALOG.get(state.call or "")
        if state.keep and (state.kind != "call" or entry is None or set(state.keep) != {entry.output.field}):
            out.append(f"{where} keeps {', '.join(state.keep)}: only the field its call is read by can be kept")
        for name in (state.counts, state.tally):
            if name is not None and name not in counters:
                out.append(f"{where} names an unknown counter {name!r}")
        for edge in state.edges:
            if edge.target not in known:
                out.append(f"{where}: {edge.outcome} leads to unknown state {edge.target!r}")
            for name in (edge.count, edge.guard.name if edge.guard and edge.guard.kind == "below" else None):
                if name is not None and name not in counters:
                    out.append(f"{where}: {edge.outcome} names an unknown counter {name!r}")
        for outcome in state.outcomes():
            alts = state.alternatives(outcome)
            guards = [e.guard for e in alts]
            if guards[-1] is not None:
                out.append(f"{where}: {outcome} has no edge for when no guard holds")
            if None in guards[:-1] or len(set(guards)) != len(guards):
                out.append(f"{where}: {outcome} has two targets")
        can = producible(state)
        for outcome in can:
            if outcome not in state.outcomes():
                out.append(f"{where} does not handle {outcome}")
        for outcome in state.outcomes():
            if outcome not in can:
                out.append(f"{where} handles {outcome}, which it can never meet")
    live = reachable(flow) if flow.states else set()
    for name in names:
        if name not in live:
            out.append(f"state {name!r} is unreachable")
    # Every state must be able to end: walk back from the terminal states.
    back: dict[str, set[str]] = {n: set() for n in names}
    for state in flow.states:
        for edge in state.edges:
            if edge.target in back:
                back[edge.target].add(state.name)
    ends = {s.name for s in flow.states if s.terminal}
    todo = deque(ends)
    while todo:
        for src in back[todo.popleft()]:
            if src not in ends:
                ends.add(src)
                todo.append(src)
    for name in names:
        if name not in ends:
            out.append(f"state {name!r} can never reach an end")
    return out


def required_sdk(flow: FlowSpec) -> tuple[int, int]:
    """The lowest SDK version whose calls the flow needs on a path that no option can avoid."""
    names = {s.name: s for s in flow.states}
    seen = {flow.initial}
    todo = deque([flow.initial])
    need = (2, 0)
    while todo:
        state = names[todo.popleft()]
        if state.call is not None:
            need = max(need, CATALOG[state.call].since)
        for edge in state.edges:
            if edge.guard == spec.SHORTCUT:
                continue
            if edge.target not in seen:
                seen.add(edge.target)
                todo.append(edge.target)
    return need
