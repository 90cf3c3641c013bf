"""What the pictures say: the machine's edges, which of them are the shared rules, and the words of
states, calls and edges."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from fsm import spec
from fsm.catalog import DIALECTS, IOS, PLATFORMS, Entry, Param
from fsm.flows import common
from fsm.machine import compiled
from fsm.options import Options
from fsm.spec import FlowSpec, State

#: How to get SVG when ``dot`` is missing (one line, printed by the CLI).
INSTALL_HINT = "Graphviz `dot` is not on PATH: install it (apt-get install graphviz) to get SVG"

#: Outcomes of the rules every call and every question share: drawn quietly.
QUIET = frozenset({
    spec.TRANSIENT, spec.ERROR_2317, spec.INPUT_ERROR, spec.UNEXPECTED_ERROR, spec.MALFORMED,
    spec.PORT_ERROR, spec.INVALID, spec.CANCEL,
})
#: Short words for the quiet edges (the full words are their tooltip).
SHORT_WORDS: Mapping[str, str] = {
    spec.TRANSIENT: "transient",
    spec.ERROR_2317: "2317",
    spec.INPUT_ERROR: "input error",
    spec.UNEXPECTED_ERROR: "other code",
    spec.MALFORMED: "malformed",
    spec.PORT_ERROR: "port error",
    spec.INVALID: "invalid",
    spec.CANCEL: "cancel",
}
_PLATFORM_WORDS = {IOS: "iOS", "android": "Android"}

# Colours: the shortcut (4.1) and the full path (4.2) apart, recovery and destruction marked.
_STEP_COLORS: Mapping[str, tuple[str, str]] = {  # step -> (fill, border)
    "4.1": ("#dbeafe", "#1d4ed8"),
    "4.2": ("#fef3c7", "#b45309"),
    "A": ("#fee2e2", "#b91c1c"),
    "B": ("#ede9fe", "#6d28d9"),
}
_TERMINAL_COLORS: Mapping[str, tuple[str, str]] = {
    spec.ENROLLED: ("#bbf7d0", "#15803d"),
    spec.DONE: ("#bbf7d0", "#15803d"),
    spec.FAILED: ("#fecaca", "#b91c1c"),
    spec.CANCELLED: ("#e5e7eb", "#4b5563"),
}
_QUIET_COLOR = "#9ca3af"
_QUIET_COLORS: Mapping[str, str] = {
    spec.TRANSIENT: "#9ca3af",
    spec.ERROR_2317: "#f59e0b",
    spec.INVALID: "#a3a3a3",
    spec.CANCEL: "#a3a3a3",
}
_RUN_COLOR = "#2563eb"
#: The font of every label: a real font (DejaVu, installed with Graphviz on Debian), not a
#: PostScript name like Helvetica that fontconfig maps to whatever is installed, so SVG bytes are stable.
FONT = "DejaVu Sans"
_FONT = FONT


@attrs.frozen(kw_only=True)
class DrawnEdge:
    """One transition of the machine, with the words it is drawn with."""

    source: str
    outcome: str
    target: str
    #: ``[PIN submissions left]``, the else of the guards before it (``[no PIN submission left]``), or ""
    #: (no guard on this outcome).
    guard: str

    @property
    def id(self) -> str:
        return f"{self.source}|{self.outcome}|{self.target}"

    @property
    def quiet(self) -> bool:
        return self.outcome in QUIET

    @property
    def words(self) -> str:
        return spec.OUTCOME_WORDS.get(self.outcome, self.outcome)


def machine_edges(name: str) -> tuple[DrawnEdge, ...]:
    """Every transition of flow ``name``'s machine, in the definition's order, with its guard words.

    The edges are read from the compiled ``transitions.Machine``
    (``events[outcome].transitions[source]``); the spec only gives the words.
    """
    c = compiled(name)
    events = c.machine.events
    order = {s.name: i for i, s in enumerate(c.spec.states)}
    found: list[tuple[tuple[int, int, int], DrawnEdge]] = []
    for trigger, event in events.items():
        for source, transitions in event.transitions.items():
            state = c.states[source]
            alternatives = state.alternatives(trigger)
            outcomes = state.outcomes()
            for i, t in enumerate(transitions):
                guard = ""
                if i < len(alternatives) and alternatives[i].target == t.dest:
                    g = alternatives[i].guard
                    if g is not None:
                        guard = f"[{g.words}]"
                    elif i > 0:  # the else of the guards before it, named: [no PIN submission left]
                        guard = "[" + " and ".join(dict.fromkeys(
                            a.guard.else_words for a in alternatives[:i] if a.guard is not None)) + "]"
                key = (order[source], outcomes.index(trigger) if trigger in outcomes else len(outcomes), i)
                found.append((key, DrawnEdge(source=source, outcome=trigger, target=str(t.dest), guard=guard)))
    return tuple(e for _, e in sorted(found, key=lambda kv: kv[0]))


# -- the rules every call and every question share ------------------------------------


def _flow_2317(flow: FlowSpec) -> tuple[spec.Edge, ...]:
    """The flow's own 2317 rule: the handling most of its calls have (first met on a tie)."""
    seen: dict[tuple[spec.Edge, ...], int] = {}
    for s in flow.states:
        alternatives = s.alternatives(spec.ERROR_2317)
        if s.kind == "call" and alternatives:
            seen[alternatives] = seen.get(alternatives, 0) + 1
    if not seen:
        return ()
    return max(seen, key=lambda k: seen[k])  # max keeps the first of equal counts


def common_rules(flow: FlowSpec, state: State) -> State:
    """What :mod:`fsm.flows.common` adds to ``state`` when the step writes no edge of its own.

    A call gets the rules for every call it can meet (with the flow's usual 2317 handling);
    a question those of every question. Terminal states have none.
    """
    if state.kind == "call":
        assert state.call is not None
        return common.call(state.name, state.step, state.title, state.call, (),
                           on_2317=_flow_2317(flow), errors=state.errors, other_errors=state.other_errors,
                           counts=state.counts, keep=state.keep)
    if state.kind == "question":
        return common.question(state.name, state.step, state.ask or "", state.prompt, ())
    return state


def shared_edges(flow: FlowSpec) -> frozenset[str]:
    """Ids (``source|outcome|target``) of the edges that are only the shared rules.

    An edge is shared when its state handles its outcome exactly as :mod:`fsm.flows.common`
    would with no word from the step (same targets, guards and counts, in order); a step's
    own handling of such an outcome (2317 at A ends the run) is not.
    """
    found: set[str] = set()
    for state in flow.states:
        rules = common_rules(flow, state)
        for outcome in rules.outcomes():
            alternatives = state.alternatives(outcome)
            if alternatives == rules.alternatives(outcome):
                found.update(f"{state.name}|{outcome}|{e.target}" for e in alternatives)
    return frozenset(found)


#: In a rule written for any state, the target that stands for the state it applies to.
_SELF = "\0self"


def _rule_shapes(flow: FlowSpec) -> dict[str, dict[str, list[tuple[spec.Edge, ...]]]]:
    """kind (call|question) -> outcome -> the distinct shapes of the shared rule, in flow order."""
    ids = shared_edges(flow)
    shapes: dict[str, dict[str, list[tuple[spec.Edge, ...]]]] = {}
    for state in flow.states:
        for outcome in state.outcomes():
            alternatives = state.alternatives(outcome)
            if f"{state.name}|{outcome}|{alternatives[0].target}" not in ids:
                continue
            shape = tuple(attrs.evolve(e, target=_SELF if e.target == state.name else e.target)
                          for e in alternatives)
            known = shapes.setdefault(state.kind, {}).setdefault(outcome, [])
            if shape not in known:
                known.append(shape)
    return shapes


def _bound_words(counter: spec.Counter) -> str:
    if isinstance(counter.bound, int):
        return str(counter.bound)
    return f"{counter.bound} (default {getattr(Options(), counter.bound)})"


def _shape_words(flow: FlowSpec, shape: tuple[spec.Edge, ...], again: str) -> str:
    """``→ the same call again, at most max_transient_retries (default 2) times, then failed``."""
    parts: list[str] = []
    for e in shape:
        target = again if e.target == _SELF else e.target
        if e.guard is None:
            parts.append(("then " if parts else "") + target)
        elif e.guard.kind == "below" and e.count == e.guard.name:
            parts.append(f"{target}, at most {_bound_words(flow.counter(e.count))} times")
        else:
            parts.append(f"{target} while {e.guard.words}")
    return "→ " + ", ".join(parts)


def rules_lines(flow: FlowSpec) -> list[str]:
    """The shared rules of ``flow`` in words, one rule a line (under the overview's title).

    Read from the edges :func:`shared_edges` finds, so the words are those of the rules
    that run: outcomes from :data:`fsm.spec.OUTCOME_WORDS`, bounds from the counters.
    """
    lines: list[str] = []
    heads = {"call": "Every call:", "question": "Every question:"}
    agains = {"call": "the same call again", "question": "asked again"}
    for kind, outcomes in sorted(_rule_shapes(flow).items()):
        lines.append(heads[kind])
        grouped: dict[str, list[str]] = {}
        for outcome, shapes in outcomes.items():
            for shape in shapes:
                words = _shape_words(flow, shape, agains[kind])
                grouped.setdefault(words, []).append(spec.OUTCOME_WORDS.get(outcome, outcome))
        lines.extend(f"  {', '.join(names)} {words}" for words, names in grouped.items())
    return lines


# -- words ----------------------------------------------------------------------


def param_words(p: Param, *, qualify: bool = True) -> str:
    """``action: enroll``, ``pinCode``, ``smsCode (iOS)``, ``type: addPhoneNumber (tutorial)``."""
    text = p.name if p.value is None else f"{p.name}: {p.value}"
    if not qualify:
        return text
    quals: list[str] = []
    if p.dialects != frozenset(DIALECTS):
        quals.extend(sorted(p.dialects))
    if p.platforms != frozenset(PLATFORMS):
        quals.extend(_PLATFORM_WORDS[x] for x in sorted(p.platforms))
    return f"{text} ({', '.join(quals)})" if quals else text


def call_params(entry: Entry, options: Options | None = None) -> str:
    """The call's parameters, ``{...}``: every dialect and platform, or those of ``options``."""
    if options is None:
        params = [param_words(p) for p in entry.params]
    else:
        params = [param_words(p, qualify=False) for p in entry.parameters(options.dialect, options.platform)]
    return "{" + ", ".join(params) + "}"


def call_words(entry: Entry, options: Options | None = None) -> str:
    """``set pims.authentication.enrollment {action: enroll, pinCode, smsCode (iOS)}``."""
    return f"{entry.op} {entry.api} {call_params(entry, options)}"


def step_titles(flow: FlowSpec) -> dict[str, str]:
    """The title of each step: that of the state named like the step, else of its first state."""
    titles: dict[str, str] = {}
    for s in flow.states:
        if s.name == s.step or s.step not in titles:
            titles[s.step] = s.title
    return titles


def state_lines(state: State, entry: Entry | None, options: Options | None = None) -> list[str]:
    """The lines a state is drawn with in the full picture: step id and title, then the call (with the
    parameters of ``options``, or of every dialect and platform) or the question."""
    if state.terminal:
        return [state.name]
    if state.kind == "question":
        lines = [f"{state.step} · asks {state.ask}", state.prompt]
        if state.new_pin:
            lines.append("(obvious PINs refused)")
        return lines
    assert entry is not None
    lines = [f"{state.step} · {state.title}", f"{entry.op} {entry.api}", call_params(entry, options)]
    if state.step == "A":
        lines.append("DESTRUCTIVE: removes every enrollment")
    return lines


def _wrap(line: str, width: int, hang: str = "") -> list[str]:
    """``line`` cut at spaces into lines of at most ``width`` (longer words kept whole).

    Every line is indented as ``line`` is, the lines after the first by ``hang`` more.
    """
    indent = line[:len(line) - len(line.lstrip())]
    out: list[str] = []
    current = ""
    for word in line.split():
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = indent + hang + word
        else:
            current = f"{current} {word}" if current else indent + word
    out.append(current)
    return out
