"""Model checking: prove the properties of a flow for every answer the world can give, or show the shortest
run that breaks one.

:mod:`fsm.environment` plays the world, :class:`fsm.explore.Explorer` moves
the real machine through the configurations, :mod:`fsm.properties` judges
each move and each call, and :class:`fsm.search.Search` walks the
configurations paired with small monitors (PIN submissions, passes through A,
consecutive retries) once, depth first. When a property is broken, the
shortest run that shows it is found breadth first and written as a replayable
transcript (:mod:`fsm.transcript`). Termination is judged on the
configuration graph (no cycle; the longest run is its longest path).

What is proved is proved for every sequence of the environment's answers:
one sample message per documented outcome and code, one canary value per
question (:mod:`fsm.environment`), not every message or value there is.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from fsm.errors import DefinitionError, OptionError
from fsm.explore import Explorer
from fsm.flows import FLOWS
from fsm.machine import TraceEntry
from fsm.options import BOUNDS, Options, make_options
from fsm.properties import Judge
from fsm.search import Search, lasso
from fsm.spec import FlowSpec
from fsm.transcript import Transcript
from fsm.validate import problems as definition_problems
from fsm.witness import replay_steps, run_path

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
    #: Configurations paired with the bound monitors (as many as configurations in a flow that keeps its bounds).
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
    #: Why the flow was not explored: the options rule it out (:class:`fsm.OptionError`); not a failure.
    skipped: str | None = None
    #: Set when the limit stopped the exploration: nothing is proved.
    gave_up: str | None = None
    #: The definition fails the machine's own checks; its edges were explored as written.
    definition_invalid: bool = False
    #: What the reader should know that is no violation (a state the options' zero bound rules out).
    notes: list[str] = attrs.field(factory=list)
    #: Every edge the machine took: (state, outcome, target).
    edges: frozenset[tuple[str, str, str]] = frozenset()

    @property
    def incomplete(self) -> bool:
        return self.gave_up is not None

    @property
    def ok(self) -> bool:
        return not self.incomplete and not any(self.violations.values())

    def holds(self, prop: str) -> bool:
        return not self.violations.get(prop)

    def as_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow, "options": self.options.as_dict(), "ok": self.ok, "skipped": self.skipped,
            "gave_up": self.gave_up, "definition_invalid": self.definition_invalid, "notes": self.notes,
            "configurations": self.configurations, "monitored_states": self.nodes,
            "transitions": self.transitions, "machine_steps": self.machine_steps,
            "longest_run": self.longest, "seconds": round(self.seconds, 4),
            "edges": len(self.edges),
            "properties": {p: {"holds": self.holds(p), "violations": [v.text for v in self.violations.get(p, [])],
                               "counterexample": self.transcripts[p].to_json() if p in self.transcripts else None}
                           for p in PROPERTIES},
        }


Progress = Callable[[str], None]


def check(flow: FlowSpec | str, options: Options, *, progress: Progress | None = None, learn: bool = True,
          limit: int | None = None) -> Result:
    """Explore ``flow`` under ``options`` and judge every property of :data:`PROPERTIES`.

    ``limit``: give up after that many configurations (``gave_up``: nothing is proved). A flow the options
    rule out is ``skipped``; any other exception is raised.
    """
    # The exploration makes many small objects that all live until it ends and form no cycle: the cyclic
    # garbage collector would walk them again and again for nothing, so it waits until the check is done.
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
    result.definition_invalid = bool(result.violations["definition"])
    try:
        ex = Explorer(spec_, options, learn=learn)
    except OptionError as exc:
        result.skipped = f"not available under these options: {exc}"
        result.seconds = time.perf_counter() - started
        return result
    except DefinitionError as exc:  # the machine cannot even be built from the definition
        result.violations["definition"].extend(Violation("definition", p) for p in exc.problems)
        result.definition_invalid = True
        result.notes.append("explored nothing: the machine cannot be built from this definition")
        result.seconds = time.perf_counter() - started
        return result
    judge = Judge(ex)

    def note(nodes: int, waiting: int) -> None:
        if progress is not None and time.perf_counter() - started > 1.0:
            progress(f"{spec_.name}: {nodes} configurations, {waiting} waiting")

    search = Search(ex, judge, progress=note if progress is not None else None, limit=limit)
    search.run()
    result.nodes = len(search.color)
    result.configurations = search.configurations
    result.transitions = search.transitions
    if search.gave_up:
        result.machine_steps = ex.machine_steps
        result.gave_up = f"gave up after {result.nodes} configurations (the limit is {limit}): nothing proved"
        result.seconds = time.perf_counter() - started
        return result
    flagged: set[str] = set()

    def flag(prop: str, text: str, path: tuple[tuple[int, int], ...] | None) -> None:
        if any(v.text == text for v in result.violations[prop]):
            return
        result.violations[prop].append(Violation(prop, text, path))
        if path is not None and prop not in flagged:
            flagged.add(prop)
            result.transcripts[prop], result.traces[prop] = run_path(ex, path)

    wanted = {(prop, text) for prop, texts in search.found.items() for text in texts}
    configs = {c for _, c, _, _ in ex.findings}
    paths = search.shortest(wanted, configs) if wanted or configs else {}
    for prop, texts in search.found.items():
        for text in texts:
            flag(prop, text, paths.get((prop, text)))
    for prop, c, k, text in ex.findings:
        flag(prop, text, (*paths[c], (c, k)))
    for prop, text, path in judge.call_faults(search.value_edges):
        flag(prop, text, path)
    _reachable(result, ex, spec_, options, search)
    result.longest = search.longest
    if search.cycle:
        found = lasso(ex)
        assert found is not None, "the search saw a cycle"
        entry, cycle = found
        names = " -> ".join(ex.state_of(c) for c, _ in cycle)
        flag("terminates", f"a run can loop for ever: {names} -> {ex.state_of(cycle[0][0])} with no progress",
             (*entry, *cycle))
    result.edges = frozenset((ex.names[s], o, ex.names[t]) for s, o, t in search.edges)
    result.machine_steps = ex.machine_steps
    result.seconds = time.perf_counter() - started
    return result


def _reachable(result: Result, ex: Explorer, spec_: FlowSpec, options: Options, search: Search) -> None:
    """Every declared state is reached: under these options, or under the other method (4.1 and 4.2 exclude
    each other); a state reached only when a bound the options set to 0 is raised is a note, not a failure."""
    S = ex.S
    reached = {ex.names[i] for i in {x % S for x in search.color}}
    missing = {s.name for s in spec_.states} - reached
    if not missing:
        return
    methods = [options, attrs.evolve(options, method="full" if options.method == "auto" else "auto"),
               attrs.evolve(options, method="auto", sdk_version="2.3.0")]
    for other in methods[1:]:
        try:
            missing -= Explorer(spec_, other, like=ex).reach(missing)
        except OptionError:
            continue
    zero = [name for name in BOUNDS if getattr(options, name) == 0]
    for name in zero:
        for other in methods:
            if not missing:
                break
            try:
                found = Explorer(spec_, make_options(**{**other.as_dict(), name: 1}), like=ex).reach(missing)
            except OptionError:
                continue
            for state in sorted(found):
                result.notes.append(f"state {state!r} is reached only when {name} is above 0 (it is 0 here)")
            missing -= found
    for s in spec_.states:
        if s.name in missing:
            result.violations["reachable"].append(Violation(
                "reachable", f"state {s.name!r} is never reached ({result.configurations} configurations explored)"))


def check_all(flows: list[str], options: Options, *, progress: Progress | None = None) -> list[Result]:
    return [check(name, options, progress=progress) for name in flows]


def stderr_progress(text: str) -> None:
    print(f"\r{text}", end="", file=sys.stderr, flush=True)
