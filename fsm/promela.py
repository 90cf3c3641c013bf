"""A flow as a Promela model for SPIN, written from the flow definition (not from the machine).

One model per flow and options: the state and each counter are bounded
variables; each edge is a guarded option of one ``do`` loop: its guard, then
one ``d_step`` with its counting effects (the edge's own count, the target's
write-ahead count, the per-call counters reset), the environment choosing
every outcome the state can meet (:func:`fsm.validate.producible`: for a
call :func:`fsm.classify.possible_outcomes`, for a question a valid or
invalid answer, cancel, and "forgot PIN" where it leads somewhere). Counters
stay at their bound (as in :mod:`fsm.explore`: a counter at its bound fails
every guard on it however far past it goes).

Three monitors count what the bounds are about (PIN submissions, passes
through A, consecutive retries of one call) and an assertion guards each
bound; assertions also guard ``remove_safety``, ``enrolled_safety``,
``handled`` (an outcome with no edge) and ``way_out`` (an outcome whose
guards can all be false). The LTL formula ``terminates`` says every run
ends (reaches an end, or a state where nothing can move, which the safety
run reports as ``way_out``); it is compiled when ``LIVENESS`` is defined.
The properties' own words live in :mod:`fsm.properties`.

Check a model by hand (``spin -o2`` keeps a variable that is only written;
``-o3`` keeps each edge's ``d_step`` a statement of its own, so SPIN's
"unreached" list names the edges no run takes)::

    spin -a -o2 -o3 enrollment.pml && gcc -DSAFETY -DNOCLAIM -o pan pan.c && ./pan -c0
    spin -a -o2 -o3 -DLIVENESS enrollment.pml && gcc -o pan pan.c && ./pan -a -A
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from fsm import spec
from fsm.catalog import CATALOG
from fsm.flows import FLOWS
from fsm.options import BOUNDS, Options
from fsm.properties import REMOVE_ENTRY, enrolled_safe, pin_step, remove_safe
from fsm.spec import FlowSpec, Guard, State
from fsm.validate import producible

#: The assertion flags: a global bit that is never set, so an assertion on it fails where it is reached.
FLAGS = ("handled", "way_out", "remove_safety", "enrolled_safety")
#: The monitor of each bound property, and the option that bounds it.
MONITORS = {"pin_bound": ("mon_pins", "max_pin_attempts"), "restart_bound": ("mon_passes", "max_restarts"),
            "retry_bound": ("mon_retries", "max_transient_retries")}


@attrs.frozen
class Model:
    """A Promela model and, for each line that is an edge's option, the edge (state, outcome, target)."""

    flow: str
    text: str
    edges: dict[int, tuple[str, str, str]]


def _ident(name: str, taken: set[str]) -> str:
    base = "S_" + re.sub(r"\W", "_", name)
    ident = base
    n = 2
    while ident in taken:
        ident = f"{base}_{n}"
        n += 1
    taken.add(ident)
    return ident


def model(flow: FlowSpec | str, options: Options, *, edges: bool = True) -> Model:
    """The Promela model of ``flow`` under ``options`` (the bounds are constants of the model).

    ``edges=False``: each edge is one ``d_step`` (guard and effects), the fastest search, but SPIN's
    "unreached" list no longer names the edges no run takes (compile it without ``-o3``).
    """
    f = FLOWS[flow] if isinstance(flow, str) else flow
    states = {s.name: s for s in f.states}
    order = [s for s in f.states if not s.terminal] + [s for s in f.states if s.terminal]
    taken: set[str] = set()
    ident = {s.name: _ident(s.name, taken) for s in order}
    counters = {c.name: c for c in f.counters}
    progress = [c.name for c in f.counters if c.progress_resets]
    lines: list[str] = []
    found: dict[int, tuple[str, str, str]] = {}
    o = options
    out = lines.append
    out(f"/* Flow {f.name!r} ({f.title}) as a Promela model: written by `fsm export --format promela` from the")
    out("   flow definition. Options: " + ", ".join(f"{k}={v}" for k, v in o.as_dict().items()) + ".")
    out("   safety:   spin -a -o2 -o3 MODEL && gcc -DSAFETY -DNOCLAIM -o pan pan.c && ./pan -c0")
    out("   liveness: spin -a -o2 -o3 -DLIVENESS MODEL && gcc -o pan pan.c && ./pan -a -A */")
    out("")
    for n, s in enumerate(order):
        out(f"#define {ident[s.name]} {n}  /* {s.name}: {s.title} */")
    out(f"#define FIRST_END {sum(1 for s in order if not s.terminal)}")
    for name in BOUNDS:
        out(f"#define {name} {getattr(o, name)}")
    for c in f.counters:
        out(f"#define BOUND_{c.name} {c.bound}  /* {c.words} */")
    out(f"#define SHORTCUT {int(o.shortcut_allowed)}  /* {spec.SHORTCUT.words} */")
    out("")
    out(f"byte st = {ident[f.initial]};")
    for c in f.counters:
        out(f"{_int_type(o.bound(c))} {c.name} = 0;")
    for _, (mon, bound) in MONITORS.items():
        out(f"{_int_type(getattr(o, bound) + 1)} {mon} = 0;")
    out("/* never set: an assertion on one of these fails where it is reached */")
    for name in FLAGS:
        out(f"bit {name} = 0;")
    out("")
    context = _Flow(states, ident, counters, progress, o, edges)
    out("active proctype flow() {")
    out("end:")
    out("  do")
    stuck: list[str] = []
    for s in order:
        if s.terminal:
            continue
        out(f"  /* {s.name} */")
        choices, moving = _options(s, context)
        for line, edge in choices:
            if edge is not None:
                found[len(lines) + 1] = edge
            out(line)
        if "" not in moving:  # no option that always moves: the state can be stuck
            stuck.append(f"(st == {ident[s.name]}" + (f" && !({' || '.join(moving)})" if moving else "") + ")")
    out("  od")
    out("}")
    out("")
    out("#ifdef LIVENESS")
    out("/* every run ends: an end, or a state where nothing moves (reported by the safety run as way_out) */")
    out("#define ended (" + " || ".join(["st >= FIRST_END", *stuck]) + ")")
    out("ltl terminates { <> ended }")
    out("#endif")
    return Model(f.name, "\n".join(lines) + "\n", found if edges else {})


@attrs.frozen
class _Flow:
    """What writing one state's options needs to know of the whole flow."""

    states: dict[str, State]
    ident: dict[str, str]
    counters: dict[str, spec.Counter]
    progress: list[str]
    options: Options
    edges: bool


def _options(s: State, flow: _Flow) -> tuple[list[tuple[str, tuple[str, str, str] | None]], list[str]]:
    """The options of state ``s`` in the ``do`` loop (each with the edge it takes, or None for an assertion that
    the environment found a way out missing), and the guard under which each edge moves ("" for always)."""
    me, o = flow.ident[s.name], flow.options
    out: list[tuple[str, tuple[str, str, str] | None]] = []
    moving: list[str] = []

    def fault(cond: str, prop: str, why: str) -> None:  # the safety search reports it; the liveness one skips it
        out.extend([("#ifndef LIVENESS", None), (f"  :: atomic {{ {cond} -> assert({prop}) }}  /* {why} */", None),
                    ("#endif", None)])

    can = producible(s)
    if not can:
        fault(f"st == {me}", "way_out", "no call or question")
    for outcome in can:
        alts = s.alternatives(outcome)
        if not alts:
            fault(f"st == {me}", "handled", f"{outcome}: no edge")
            continue
        prior: list[str] = []
        for e in alts:
            g = _guard(e.guard, flow.counters)
            cond = " && ".join([f"st == {me}", *(f"!({p})" for p in prior), *([g] if g else [])])
            target = flow.states.get(e.target)
            if target is None:  # an unknown target: the definition is invalid, the move goes nowhere
                fault(cond, "way_out", f"{outcome} -> unknown {e.target!r}")
            else:
                effects = _effects(s, e.count, target, counters=flow.counters, progress=flow.progress, o=o)
                body = "; ".join([*effects, f"st = {flow.ident[target.name]}", *_asserts(s, outcome, target, o)])
                option = (f"atomic {{ {cond} -> d_step {{ {body} }} }}" if flow.edges
                          else f"d_step {{ {cond} -> {body} }}")
                out.append((f"  :: {option}  /* {s.name} --{outcome}--> {target.name} */",
                            (s.name, outcome, target.name)))
                moving.append(" && ".join([*(f"!({p})" for p in prior), *([g] if g else [])]))
            if not g:
                break
            prior.append(g)
        else:
            fault(f"st == {me} && !({' || '.join(f'({p})' for p in prior)})", "way_out", f"{outcome}: no guard holds")
    return out, [f"({m})" if m else "" for m in moving]


def _int_type(highest: int) -> str:
    return "byte" if highest <= 255 else "short"


def _guard(guard: Guard | None, counters: dict[str, spec.Counter]) -> str:
    if guard is None:
        return ""
    if guard == spec.SHORTCUT:
        return "SHORTCUT"
    if guard.kind == "below" and guard.name in counters:
        return f"{guard.name} < BOUND_{guard.name}"
    return "0"  # a guard the definition does not declare: never holds


def _effects(source: State, count: str | None, target: State, *, counters: dict[str, spec.Counter],
             progress: list[str], o: Options) -> list[str]:
    """What taking the edge does: the monitors first (from the values before the move), then the counters."""
    out = []
    if _pin_call(source, o):
        out.append("mon_pins = (mon_retries == 0 && mon_pins <= max_pin_attempts -> mon_pins + 1 : mon_pins)")
    if target.name == source.name:
        if source.kind == "call":
            out.append("mon_retries = (mon_retries <= max_transient_retries -> mon_retries + 1 : mon_retries)")
        else:
            out.append("mon_retries = 0")
    else:
        out.append("mon_retries = 0")
        if target.call == REMOVE_ENTRY:
            out.append("mon_passes = (mon_passes <= max_restarts -> mon_passes + 1 : mon_passes)")
    # A per-call counter goes back to 0 on every edge that does not count it; the edge's count and the
    # target's write-ahead count (on entering it) add one, kept at the bound.
    out += [f"{c} = 0" for c in progress if c != count]
    added = [c for c in (count, target.counts if target.name != source.name else None) if c in counters]
    out += [f"{c} = ({c} < BOUND_{c} -> {c} + 1 : {c})" for c in added]
    return out


def _asserts(source: State, outcome: str, target: State, o: Options) -> list[str]:
    out = []
    found = CATALOG.get(source.call or "")
    entry = found.key if found is not None else None
    if _pin_call(source, o):
        out.append("assert(mon_pins <= max_pin_attempts)")
    if target.name == source.name and source.kind == "call":
        out.append("assert(mon_retries <= max_transient_retries)")
    if target.call == REMOVE_ENTRY and target.name != source.name:
        out.append("assert(mon_passes <= max_restarts)")
        if not remove_safe(entry, outcome):
            out.append("assert(remove_safety)")
    if target.name == spec.ENROLLED and not enrolled_safe(entry, outcome):
        out.append("assert(enrolled_safety)")
    return out


def _pin_call(state: State, o: Options) -> bool:
    entry = CATALOG.get(state.call or "")
    return state.kind == "call" and entry is not None and pin_step(
        state, (p.name for p in entry.parameters(o.dialect, o.platform)))


def generate(names: Sequence[str], options: Options) -> dict[str, str]:
    """The files to write for the flows named: ``<flow>.pml`` each."""
    return {f"{name}.pml": model(name, options).text for name in names}
