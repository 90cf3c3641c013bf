"""Test paths: a small set of runs that together take every edge of a flow's machine.

Each path is the shortest run (over the explored configuration graph, so it
is a run the real machine makes) to an edge ``(state, outcome, target)`` no
earlier path has taken, then the shortest way from there to an end. Edges the
options rule out (4.2 while the shortcut is allowed) are taken under the
other method. Every path is a transcript that :func:`fsm.transcript.replay`
runs to the recorded outcome.
"""

from __future__ import annotations

from collections import deque

import attrs

from fsm.errors import OptionError
from fsm.explore import Explorer
from fsm.flows import FLOWS
from fsm.options import BOUNDS, Options, make_options
from fsm.spec import FlowSpec
from fsm.transcript import Transcript
from fsm.witness import run_path

EdgeKey = tuple[str, str, str]  # source state, outcome, target state
Path = tuple[tuple[int, int], ...]


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


def generate(flow: FlowSpec | str, options: Options) -> tuple[list[Transcript], Coverage]:
    """Transcripts that together take every edge the flow's machine can take, and the coverage they reach."""
    spec_ = FLOWS[flow] if isinstance(flow, str) else flow
    edges = machine_edges(spec_)
    covered: set[EdgeKey] = set()
    visited: set[str] = set()
    out: list[Transcript] = []
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
    names = [s.name for s in spec_.states]
    cov = Coverage(
        states=sum(1 for n in names if n in visited), states_total=len(names),
        edges=len(covered & edges), edges_total=len(edges),
        missing_states=tuple(n for n in names if n not in visited),
        missing_edges=tuple(sorted(edges - covered)),
    )
    return out, cov
