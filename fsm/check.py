"""Model checking: prove the properties of a flow for every answer the world can give, or show the shortest
run that breaks one.

:class:`fsm.explore.Explorer` walks the configurations with the real
machine; :func:`check` walks them breadth first paired with small monitors
(PIN submissions, passes through A, consecutive retries), so the first run
found to break a property is a shortest one; it is written as a replayable
transcript (:mod:`fsm.transcript`). Termination is judged on the
configuration graph (no cycle; the longest run is its longest path).
"""

from __future__ import annotations

import gc
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from fsm.explore import REMOVE_ENTRY, Explorer, replay_steps, unwind
from fsm.flows import FLOWS
from fsm.machine import TraceEntry
from fsm.options import Options
from fsm.spec import FlowSpec
from fsm.transcript import Transcript
from fsm.validate import problems as definition_problems

__all__ = ["PROPERTIES", "Explorer", "Result", "Violation", "check", "check_all", "replay_steps", "stderr_progress"]

#: Properties in the order they are reported, with their words.
PROPERTIES: Mapping[str, str] = {
    "definition": "the definition passes the machine's own checks",
    "terminates": "every run ends (no cycle)",
    "reachable": "every declared state is reachable",
    "way_out": "no state without a way out",
    "handled": "every outcome the environment produces is handled",
    "classified": "every message is read by fsm.classify",
    "pin_bound": "PIN submissions <= max_pin_attempts",
    "restart_bound": "passes through A <= max_restarts",
    "retry_bound": "consecutive retries of one call <= max_transient_retries",
    "remove_safety": "A (remove all enrollments) only after a blocked status or 2317",
    "enrolled_safety": "enrolled only after a SUCCEEDED enroll or isDeviceActivated true",
    "parameters": "every call carries exactly the catalog's parameters",
    "secrets": "a secret parameter is only ever a value the person gave for it",
}

Node = tuple[int, int, int, int]  # configuration id, PIN submissions, passes through A, consecutive retries


@attrs.frozen
class Violation:
    """A property broken, in words, with the shortest run that shows it (None when no run can)."""

    prop: str
    text: str
    path: tuple[tuple[int, int], ...] | None = None


@attrs.define
class Result:
    """What one check found."""

    flow: str
    options: Options
    configurations: int = 0
    nodes: int = 0
    transitions: int = 0
    machine_steps: int = 0
    longest: int | None = None
    seconds: float = 0.0
    violations: dict[str, list[Violation]] = attrs.field(factory=dict)
    transcripts: dict[str, Transcript] = attrs.field(factory=dict)
    #: The flow's trace along each counterexample (for drawing it on the diagram).
    traces: dict[str, tuple[TraceEntry, ...]] = attrs.field(factory=dict)
    #: True when the flow checked is a shipped one (its diagram exists).
    shipped: bool = True
    #: Why the flow was not explored: the options rule it out (not a failure), or the limit stopped it.
    skipped: str | None = None
    #: True when the limit stopped the exploration: nothing is proved.
    incomplete: bool = False

    @property
    def ok(self) -> bool:
        return not self.incomplete and not any(self.violations.values())

    def holds(self, prop: str) -> bool:
        return not self.violations.get(prop)

    def as_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow, "options": self.options.as_dict(), "ok": self.ok, "skipped": self.skipped,
            "incomplete": self.incomplete,
            "configurations": self.configurations, "monitored_states": self.nodes,
            "transitions": self.transitions, "machine_steps": self.machine_steps,
            "longest_run": self.longest, "seconds": round(self.seconds, 4),
            "properties": {p: {"holds": self.holds(p), "violations": [v.text for v in self.violations.get(p, [])],
                               "counterexample": self.transcripts[p].to_json() if p in self.transcripts else None}
                           for p in PROPERTIES},
        }


Progress = Callable[[str], None]


def check(flow: FlowSpec | str, options: Options, *, progress: Progress | None = None, learn: bool = True,
          limit: int | None = None) -> Result:
    """Explore ``flow`` under ``options`` and judge every property of :data:`PROPERTIES`.

    ``limit``: stop after that many configurations; the result is then ``skipped`` (nothing is proved).
    """
    # The exploration makes many small tuples and lists that all live until it ends and form no cycle: the
    # cyclic garbage collector would walk them again and again for nothing, so it waits until the check is done.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(flow, options, progress=progress, learn=learn, limit=limit)
    finally:
        if enabled:
            gc.enable()


def _check(flow: FlowSpec | str, options: Options, *, progress: Progress | None, learn: bool,
           limit: int | None) -> Result:
    started = time.perf_counter()
    spec_ = FLOWS[flow] if isinstance(flow, str) else flow
    result = Result(flow=spec_.name, options=options, violations={p: [] for p in PROPERTIES},
                    shipped=FLOWS.get(spec_.name) is spec_)
    for text in definition_problems(spec_):
        result.violations["definition"].append(Violation("definition", text))
    try:
        ex = Explorer(spec_, options, learn=learn)
    except Exception as exc:  # noqa: BLE001 - a flow the machine cannot even build, or options it refuses
        if result.violations["definition"]:
            result.seconds = time.perf_counter() - started
            return result
        result.skipped = f"not available under these options: {exc}"
        return result
    bp, br, bt = options.max_pin_attempts, options.max_restarts, options.max_transient_retries
    start: Node = (ex.initial, 0, 0, 0)
    parent: dict[Node, tuple[Node, int] | None] = {start: None}
    todo = deque([start])
    first: dict[int, Node] = {}
    flagged: set[str] = set()
    transitions = 0
    last_note = started
    seen_problems = 0
    popped = 0
    cfgs, tried, pin_call = ex.cfgs, ex.tried, ex.pin_call
    calls = {s.name for s in spec_.states if s.kind == "call"}
    removes = {s.name for s in spec_.states if s.call == REMOVE_ENTRY}

    def flag(prop: str, text: str, path: tuple[tuple[int, int], ...] | None) -> None:
        if any(v.text == text for v in result.violations[prop]):
            return
        result.violations[prop].append(Violation(prop, text, path))
        if path is not None and prop not in flagged:
            flagged.add(prop)
            result.transcripts[prop], result.traces[prop] = ex.run_path(path)

    expand, problems, popleft, push = ex.expand, ex._problems, todo.popleft, todo.append
    while todo:
        node = popleft()
        i, pins, passes, run = node
        if i not in first:
            first[i] = node
        succ = expand(i)
        if seen_problems < len(problems):
            for prop, where, found, text in problems[seen_problems:]:
                # A call's own fault (parameters, secrets): show the call itself, whatever the answer.
                k = 0 if found is None and prop in ("parameters", "secrets") else found
                base = unwind(parent, first.get(where, node))
                flag(prop, text, (*base, (where, k)) if k is not None else base)
            seen_problems = len(problems)
        transitions += tried[i]
        if not succ:
            continue
        name = cfgs[i][0]
        # A PIN submission: a call carrying the PIN, not a retry of a call that got no verdict (run > 0).
        p2 = min(pins + 1, bp + 1) if pin_call[i] and run == 0 else pins
        for k, j, _ in succ:
            target = cfgs[j][0]
            if target == name:
                a2 = passes
                r2 = min(run + 1, bt + 1) if name in calls else 0
            else:
                a2 = min(passes + 1, br + 1) if target in removes else passes
                r2 = 0
            nxt: Node = (j, p2, a2, r2)
            if nxt in parent:
                continue
            parent[nxt] = (node, k)
            push(nxt)
            if p2 > bp and p2 != pins and "pin_bound" not in flagged:
                flag("pin_bound", f"a run submits the PIN more than {bp} times (max_pin_attempts)",
                     unwind(parent, nxt))
            if a2 > br and a2 != passes and "restart_bound" not in flagged:
                flag("restart_bound", f"a run passes through A more than {br} times (max_restarts)",
                     unwind(parent, nxt))
            if r2 > bt and r2 != run and "retry_bound" not in flagged:
                flag("retry_bound", f"a run retries the call of {name!r} more than {bt} times in a row "
                     "(max_transient_retries)", unwind(parent, nxt))
        popped += 1
        if limit is not None and len(ex.cfgs) > limit:
            result.incomplete = True
            result.skipped = f"stopped after {len(ex.cfgs)} configurations (limit {limit}): nothing is proved"
            result.configurations, result.nodes, result.transitions = len(ex.cfgs), len(parent), transitions
            result.machine_steps = ex.machine_steps
            result.seconds = time.perf_counter() - started
            return result
        if progress is not None and popped % 2048 == 0:
            now = time.perf_counter()
            if now - started > 1.0 and now - last_note > 0.25:
                last_note = now
                progress(f"{spec_.name}: {len(ex.cfgs)} configurations, {transitions} transitions, "
                         f"{len(todo)} waiting")
    result.configurations = len(ex.cfgs)
    result.nodes = len(parent)
    result.transitions = transitions
    result.machine_steps = ex.machine_steps
    reached = {c[0] for c in ex.cfgs}
    missing = {s.name for s in spec_.states} - reached
    if missing:  # states the options rule out (4.2 when the shortcut is allowed) must be reached under others
        for other in (attrs.evolve(options, method="full" if options.method == "auto" else "auto"),
                      attrs.evolve(options, method="auto", sdk_version="2.3.0")):
            try:
                missing -= Explorer(spec_, other).reach(missing)
            except Exception:  # noqa: BLE001, S112 - the variant cannot run: its states stay unreached
                continue
        reached = {s.name for s in spec_.states} - missing
    for s in spec_.states:
        if s.name not in reached:
            result.violations["reachable"].append(Violation(
                "reachable", f"state {s.name!r} is never reached ({len(ex.cfgs)} configurations explored)"))
    cycle, longest = _cycle_and_longest(ex)
    result.longest = longest
    if cycle is not None:
        cycle = _shortest_lasso(ex, list(first)) or cycle
        entry = first[cycle[0][0]]
        path = (*unwind(parent, entry), *cycle)
        names = " -> ".join(ex.cfgs[i][0] for i, _ in cycle)
        flag("terminates", f"a run can loop for ever: {names} -> {ex.cfgs[cycle[0][0]][0]} with no progress", path)
    result.seconds = time.perf_counter() - started
    return result


def _shortest_lasso(ex: Explorer, order: list[int]) -> tuple[tuple[int, int], ...] | None:
    """The shortest cycle through the configuration nearest the start that lies on one."""
    succ = [[(k, j) for k, j, _ in (ex.succ[i] or [])] for i in range(len(ex.cfgs))]
    pred: list[list[int]] = [[] for _ in ex.cfgs]
    for i, out in enumerate(succ):
        for _, j in out:
            pred[j].append(i)
    alive = [True] * len(ex.cfgs)
    nexts = [sorted({j for _, j in out}) for out in succ]
    prevs = [sorted(set(p)) for p in pred]
    # Peel what cannot reach a cycle (no way on), then what no cycle reaches (no way in): what is left lies on
    # a cycle or between two.
    for ways_on, ways_back in ((nexts, prevs), (prevs, nexts)):
        deg = [sum(1 for j in w if alive[j]) for w in ways_on]
        todo = deque(i for i, d in enumerate(deg) if d == 0 and alive[i])
        while todo:
            i = todo.popleft()
            alive[i] = False
            for j in ways_back[i]:
                if alive[j]:
                    deg[j] -= 1
                    if deg[j] == 0:
                        todo.append(j)
    for start in order:
        if not alive[start]:
            continue
        parent: dict[int, tuple[int, int]] = {}
        queue = deque([start])
        seen = {start}
        while queue:
            i = queue.popleft()
            for k, j in succ[i]:
                if not alive[j]:
                    continue
                if j == start:
                    steps = [(i, k)]
                    while i != start:
                        i, kk = parent[i]
                        steps.append((i, kk))
                    return tuple(reversed(steps))
                if j not in seen:
                    seen.add(j)
                    parent[j] = (i, k)
                    queue.append(j)
    return None


def _cycle_and_longest(ex: Explorer) -> tuple[tuple[tuple[int, int], ...] | None, int | None]:
    """A cycle of the configuration graph (as (configuration, input) steps), or the longest run's length."""
    # Peel the graph from the start (Kahn): if every configuration comes off, there is no cycle, and the longest
    # run is the longest path to a configuration, worked out on the way; else a depth-first search shows a cycle.
    n = len(ex.cfgs)
    succ = ex.succ
    ways_in = list(ex.ways_in)
    order = [i for i in range(n) if not ways_in[i]]
    far = [0] * n
    for i in order:  # the list grows as configurations come off
        out = succ[i]
        if out:
            d = far[i] + 1
            for _, j, _ in out:
                if far[j] < d:  # noqa: PLR1730 - a test is cheaper than a call to max() on every edge
                    far[j] = d
                ways_in[j] -= 1
                if not ways_in[j]:
                    order.append(j)
    if len(order) < n:
        return _cycle(ex), None
    return None, max(far)


def _cycle(ex: Explorer) -> tuple[tuple[int, int], ...]:
    """A cycle of the configuration graph reached from the start, as (configuration, input) steps."""
    n = len(ex.cfgs)
    color = [0] * n  # 0 new, 1 on the stack, 2 done
    stack: list[list[int]] = [[ex.initial, 0]]  # configuration, index of the next successor to visit
    color[ex.initial] = 1
    while stack:
        top = stack[-1]
        i, pos = top
        succ = ex.succ[i] or []
        if pos < len(succ):
            top[1] += 1
            j = succ[pos][1]
            if color[j] == 1:  # back to a configuration on the stack: the stack from j is a cycle
                at = next(x for x, (c, _) in enumerate(stack) if c == j)
                return tuple((c, (ex.succ[c] or [])[p - 1][0]) for c, p in stack[at:])
            if color[j] == 0:
                color[j] = 1
                stack.append([j, 0])
            continue
        stack.pop()
        color[i] = 2
    raise AssertionError("no cycle: _cycle is called only when the graph has one")  # pragma: no cover


def check_all(flows: list[str], options: Options, *, progress: Progress | None = None) -> list[Result]:
    return [check(name, options, progress=progress) for name in flows]


def stderr_progress(text: str) -> None:
    print(f"\r{text}", end="", file=sys.stderr, flush=True)
