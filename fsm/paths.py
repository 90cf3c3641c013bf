"""Test paths: a small set of runs that together take every edge of a flow's machine.

Each path is the shortest run (over the explored configuration graph, so it
is a run the real machine makes) to an edge ``(state, outcome, target)`` no
earlier path has taken, then the shortest way from there to an end. Edges the
options rule out (4.2 while the shortcut is allowed) are taken under the
other method. Then each fault input (:data:`FAULTS`) no path gives yet gets
a path of its own. Every path is a transcript that :func:`fsm.transcript.replay`
runs to the recorded outcome.
"""

from __future__ import annotations

from collections import deque

import attrs

from fsm import spec
from fsm.catalog import CATALOG
from fsm.classify import classify, classify_exception
from fsm.environment import Input
from fsm.errors import MalformedMessage, OptionError
from fsm.explore import Explorer
from fsm.flows import FLOWS
from fsm.messages import parse_message
from fsm.options import BOUNDS, Options, make_options
from fsm.spec import FlowSpec, State
from fsm.transcript import Transcript, replay
from fsm.witness import run_path

EdgeKey = tuple[str, str, str]  # source state, outcome, target state
Path = tuple[tuple[int, int], ...]
#: Inputs the transcripts of a flow give at least once, though another input took the same edge first: each
#: exception the port may raise and each kind of malformed message (a runtime replaying the transcripts in
#: another language must read each of them).
FAULTS = ("ConnectionError", "RuntimeError", "malformed: status missing", "malformed: result field of the wrong type")


def machine_edges(flow: FlowSpec) -> set[EdgeKey]:
    """The edges of the flow's machine: (source, outcome, target), guards aside."""
    return {(s.name, e.outcome, e.target) for s in flow.states for e in s.edges}


@attrs.frozen
class Coverage:
    """What a set of paths visits, against what the flow declares."""

    states: int
    states_total: int
    edges: int
    edges_total: int
    missing_states: tuple[str, ...]
    #: Edges no run takes, under the options or any variant tried (a guard alternative that can never apply).
    missing_edges: tuple[EdgeKey, ...]

    @property
    def state_percent(self) -> float:
        return 100.0 * self.states / self.states_total if self.states_total else 100.0

    @property
    def edge_percent(self) -> float:
        return 100.0 * self.edges / self.edges_total if self.edges_total else 100.0


def _variants(options: Options) -> list[Options]:
    """The options, then variants that open edges the options rule out (the other method, the lowest bounds)."""
    out = [options, attrs.evolve(options, method="full" if options.method == "auto" else "auto")]
    if options.sdk[:2] < (2, 1):
        out.append(attrs.evolve(options, method="auto", sdk_version="2.3.0"))
    out.append(attrs.evolve(options, max_restarts=0, max_transient_retries=0))
    out.append(attrs.evolve(options, max_pin_attempts=1, max_code_attempts=1))
    # One bound at its lowest, the others as given: opens the fallback of a guard on that bound alone.
    out += [make_options(**{**options.as_dict(), name: low}) for name, (low, _) in BOUNDS.items()]
    return out


def _label(ex: Explorer, i: int, outcome: str, j: int) -> EdgeKey:
    return (ex.state_of(i), outcome, ex.state_of(j))


def _tree(ex: Explorer) -> tuple[list[int], dict[int, tuple[int, int] | None]]:
    """Every configuration in breadth-first order, and the step that first reached each."""
    parent: dict[int, tuple[int, int] | None] = {ex.initial: None}
    order = [ex.initial]
    at = 0
    while at < len(order):
        i = order[at]
        at += 1
        for k, j, _ in ex.successors(i):
            if j not in parent:
                parent[j] = (i, k)
                order.append(j)
    return order, parent


def _to_end(ex: Explorer, order: list[int]) -> dict[int, tuple[int, int]]:
    """For each configuration that can end, the first step of a shortest way to an end."""
    back: dict[int, list[tuple[int, int]]] = {}
    for i in order:
        for k, j, _ in ex.successors(i):
            back.setdefault(j, []).append((i, k))
    hop: dict[int, tuple[int, int]] = {}
    done = {i for i in order if ex.terminal(i)}
    todo = deque(done)
    while todo:
        j = todo.popleft()
        for i, k in back.get(j, ()):
            if i not in done:
                done.add(i)
                hop[i] = (k, j)
                todo.append(i)
    return hop


def _reading(state: State, inp: Input) -> str:
    """The outcome the flow reads an input of a call state as."""
    if inp.kind == "raise":
        assert inp.exc is not None
        return classify_exception(inp.exc("simulated failure"))
    assert state.call is not None
    try:
        return classify(state, CATALOG[state.call], parse_message(inp.message))
    except MalformedMessage:
        return spec.MALFORMED


def _faults(made: list[tuple[Explorer, list[tuple[int, int]]]]) -> list[Transcript]:
    """For each input of :data:`FAULTS` no path gives, a path that gives it instead of an input read as the same
    outcome at the same call (the machine moves alike, so the run goes on as the original did). A transcript
    that would not replay is not kept (a malformed secret result field is written masked)."""
    used = {ex.inputs[ex.state_of(c)][k].label for ex, path in made for c, k in path}
    out = []
    for fault in FAULTS:
        for ex, path in made:
            if fault in used:
                break
            for n, (c, k) in enumerate(path):
                state = ex.spec.state(ex.state_of(c))
                inputs = ex.inputs.get(state.name, ())
                alt = next((a for a, inp in enumerate(inputs) if inp.label == fault), None)
                if state.kind != "call" or alt is None or _reading(state, inputs[alt]) != _reading(state, inputs[k]):
                    continue
                transcript = run_path(ex, (*path[:n], (c, alt), *path[n + 1:]))[0]
                if replay(transcript).ok:
                    out.append(transcript)
                    used.add(fault)
                    break
    return out


def generate(flow: FlowSpec | str, options: Options) -> tuple[list[Transcript], Coverage]:
    """Transcripts that together take every edge the flow's machine can take, and the coverage they reach."""
    spec_ = FLOWS[flow] if isinstance(flow, str) else flow
    edges = machine_edges(spec_)
    covered: set[EdgeKey] = set()
    visited: set[str] = set()
    out: list[Transcript] = []
    made: list[tuple[Explorer, list[tuple[int, int]]]] = []
    for opts in _variants(options):
        if covered == edges:
            break
        try:
            ex = Explorer(spec_, opts)
        except OptionError:  # options the flow refuses (an SDK too old): try the next variant
            continue
        order, parent = _tree(ex)
        hop = _to_end(ex, order)
        for i0 in order:
            for k0, j0, o0 in ex.successors(i0):
                if _label(ex, i0, o0, j0) in covered or (j0 not in hop and not ex.terminal(j0)):
                    continue
                head: list[tuple[int, int]] = [(i0, k0)]
                node = i0
                while (up := parent[node]) is not None:
                    head.append(up)
                    node = up[0]
                path = list(reversed(head))
                node = j0
                while not ex.terminal(node):
                    k, node_next = hop[node]
                    path.append((node, k))
                    node = node_next
                for i, k in path:
                    j, o = next((jj, oo) for kk, jj, oo in ex.successors(i) if kk == k)
                    covered.add(_label(ex, i, o, j))
                    visited.update((ex.state_of(i), ex.state_of(j)))
                out.append(run_path(ex, tuple(path))[0])
                made.append((ex, path))
    out += _faults(made)
    names = [s.name for s in spec_.states]
    cov = Coverage(
        states=sum(1 for n in names if n in visited), states_total=len(names),
        edges=len(covered & edges), edges_total=len(edges),
        missing_states=tuple(n for n in names if n not in visited),
        missing_edges=tuple(sorted(edges - covered)),
    )
    return out, cov
