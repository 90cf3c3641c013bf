"""Pictures of the flows, drawn from the machine that runs them: Graphviz DOT/SVG and Mermaid.

Every edge drawn is a transition of the compiled ``transitions`` machine
(:func:`fsm.machine.compiled`); the words on it (step id, title, SDK call,
outcome, guard) are read from the flow definition and the catalog. Each DOT
edge carries ``id="source|outcome|target"`` and each Mermaid transition is
preceded by ``%% edge source|outcome|target``, so a test can read the picture
back and compare it with the machine. Output is deterministic: the same
definition gives the same bytes.

The overview (:func:`to_overview_dot`, for the README) draws every state but
only each step's own edges: the edges that are just the rules
:mod:`fsm.flows.common` adds to every call and question
(:func:`shared_edges`, found by comparing each state with what those rules
give it) are said once, in words, in its title (:func:`rules_lines`).

This is the only module that runs Graphviz (the ``dot`` program, through
``subprocess``); without it, DOT and Mermaid are still produced.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence

import attrs

from fsm import spec
from fsm.catalog import DIALECTS, IOS, PLATFORMS, Entry, Param
from fsm.flows import FLOWS, common
from fsm.machine import Outcome, TraceEntry, compiled
from fsm.options import Options, make_options
from fsm.spec import FlowSpec, State
from fsm.transcript import Transcript, replay

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
    #: ``[pin attempts left]``, ``[else]`` or "" (no guard on this outcome).
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
                    elif i > 0:
                        guard = "[else]"
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


def state_lines(state: State, entry: Entry | None, options: Options | None = None, *,
                brief: bool = False) -> list[str]:
    """The lines a state is drawn with: step id and title, then the call or the question.

    ``brief`` (the overview): no parameters, no prompt.
    """
    if state.terminal:
        return [state.name]
    if brief:
        if state.kind == "question":
            again = " again" if state.name.endswith(common.again("")) else ""
            return [f"{state.step} · asks {state.ask}{again}"]
        assert entry is not None
        lines = [*_wrap(f"{state.step} · {state.title}", _TITLE_WIDTH), f"{entry.op} {entry.api}"]
        return [*lines, "DESTRUCTIVE"] if state.step == "A" else lines
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


# -- DOT --------------------------------------------------------------------------


#: In a label, ends a left-justified line (DOT's ``\\l``; a backslash in text is escaped as text).
LEFT = "\v"


def _q(text: str) -> str:
    """A DOT quoted string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace(LEFT, "\\l") + '"'


def _attrs(items: Mapping[str, str]) -> str:
    return "[" + ", ".join(f"{k}={_q(v)}" for k, v in items.items()) + "]"


def _node_attrs(state: State, entry: Entry | None, options: Options | None, *,
                brief: bool = False) -> dict[str, str]:
    label = "\n".join(state_lines(state, entry, options, brief=brief))
    if state.terminal:
        fill, border = _TERMINAL_COLORS.get(state.name, ("#ffffff", "#000000"))
        return {"id": state.name, "label": label, "shape": "doublecircle", "style": "filled",
                "fillcolor": fill, "color": border, "penwidth": "2", "fontsize": "14", "fixedsize": "true",
                "width": "1.3"}
    fill, border = _STEP_COLORS.get(state.step, ("#ffffff", "#374151"))
    out = {"id": state.name, "label": label, "fillcolor": fill, "color": border}
    if state.kind == "question":
        out.update(shape="box", style="rounded,dashed,filled")
    else:
        out.update(shape="box", style="rounded,filled")
    if state.step == "A":
        out.update(penwidth="3", fontcolor="#7f1d1d", shape="octagon", style="filled,bold")
    return out


def _edge_attrs(edge: DrawnEdge, *, overview: bool = False) -> dict[str, str]:
    """How an edge is drawn; in the overview every edge is a step's own (none is quiet), words wrapped."""
    if edge.quiet and not overview:
        # No label: ~150 of them would bury the main path. The tooltip and the id hold the words;
        # the colour and the legend say which rule it is.
        color = _QUIET_COLORS.get(edge.outcome, _QUIET_COLOR)
        return {"id": edge.id, "tooltip": f"{edge.words} {edge.guard}".strip(),
                "color": color, "style": "dashed", "arrowsize": "0.5", "penwidth": "0.7",
                "constraint": "false"}
    words = "\n".join(_wrap(edge.words, _EDGE_WIDTH)) if overview else edge.words
    label = words + (f"\n{edge.guard}" if edge.guard else "")
    out = {"id": edge.id, "label": label, "tooltip": label.replace("\n", " "), "fontsize": "10"}
    if edge.target in (spec.FAILED, spec.CANCELLED):
        # An external label takes no room in the layout and Graphviz places it clear of the nodes
        # (tail labels landed on their own node); the edge does not pull the layout either:
        # dozens of ends would spread the main path apart.
        # In the overview, a dozen ends do pull the layout: the ends below the states that reach them
        # keep those edges short and clear of the main path.
        del out["label"]
        end = "\n".join(_wrap(f"{edge.words} {edge.guard}".strip(), _EDGE_WIDTH, "  ")) if overview else (
            label.replace("\n", " "))
        out.update(xlabel=end, color="#b91c1c", fontcolor="#b91c1c", fontsize="9")
        if not overview:
            out.update(constraint="false")
    elif edge.target == "A":
        out.update(color="#b91c1c", fontcolor="#b91c1c", penwidth="2")
    elif edge.guard == f"[{spec.SHORTCUT.words}]" or edge.target.startswith("4.1"):
        out.update(color=_STEP_COLORS["4.1"][1], fontcolor=_STEP_COLORS["4.1"][1], penwidth="2")
    elif edge.target.startswith("4.2"):
        out.update(color=_STEP_COLORS["4.2"][1], fontcolor=_STEP_COLORS["4.2"][1], penwidth="2")
    else:
        out.update(penwidth="1.5")
    if overview:  # drawn smaller in the README: a size larger
        out["fontsize"] = str(int(out["fontsize"]) + 1)
    return out


def _legend(flow: FlowSpec) -> str:
    return (
        f"{flow.title} (fsm flow {flow.name!r}), drawn from the machine that runs it.\n"
        "Boxes: SDK calls. Dashed boxes: questions to the person. Thin dashed edges (words in their tooltip): "
        "the rules every call shares\n(transient retries, FAILED 2317 in orange, input error, other code, "
        "malformed message, port error) and every question (invalid answer, cancel)."
    )


def _dot(
    name: str,
    *,
    options: Options | None = None,
    taken: Mapping[str, Sequence[int]] | None = None,
    visited: Iterable[str] = (),
    title: str | None = None,
    overview: bool = False,
) -> str:
    c = compiled(name)
    flow = c.spec
    edges = machine_edges(name)
    if overview:
        shared = shared_edges(flow)
        edges = tuple(e for e in edges if e.id not in shared)
        title = title or _overview_title(flow, edges)
    seen = set(visited)
    # The overview is for the README: narrower (closer nodes), larger words.
    lines = [
        f"digraph {_q(name)} {{",
        "  graph " + _attrs({"rankdir": "TB", "fontname": _FONT, "fontsize": "12" if overview else "11",
                             "labelloc": "t", "labeljust": "l", "nodesep": "0.15" if overview else "0.35",
                             "ranksep": "0.45", "newrank": "true", "label": title or _legend(flow)}) + ";",
        "  node " + _attrs({"fontname": _FONT, "fontsize": "12" if overview else "10",
                            "margin": "0.12,0.06"}) + ";",
        "  edge " + _attrs({"fontname": _FONT}) + ";",
    ]

    def node(state: State, indent: str) -> str:
        a = _node_attrs(state, c.entries.get(state.name), options, brief=overview)
        if taken is not None:
            if state.name in seen:
                a.update(penwidth="3", color=_RUN_COLOR)
            else:
                a.update(fontcolor=_QUIET_COLOR, color=_QUIET_COLOR)
        return f"{indent}{_q(state.name)} {_attrs(a)};"

    titles = step_titles(flow)
    by_step: dict[str, list[State]] = {}
    for s in flow.states:
        if not s.terminal:
            by_step.setdefault(s.step, []).append(s)
    for step, states in by_step.items():
        if len(states) == 1:
            lines.append(node(states[0], "  "))
            continue
        fill, border = _STEP_COLORS.get(step, ("#f9fafb", "#6b7280"))
        lines.append(f"  subgraph {_q('cluster_' + step)} {{")
        lines.append("    graph " + _attrs({"label": f"{step} · {titles[step]}", "style": "rounded,filled",
                                            "fillcolor": _lighter(fill), "color": border, "fontsize": "12",
                                            "labeljust": "l"}) + ";")
        lines.extend(node(s, "    ") for s in states)
        lines.append("  }")
    terminals = [s for s in flow.states if s.terminal]
    lines.append("  subgraph ends {")
    lines.append("    graph [rank=\"sink\"];")
    lines.extend(node(s, "    ") for s in terminals)
    lines.append("  }")
    drawn = [(e, _edge_attrs(e, overview=overview)) for e in edges]
    # The ends a state reaches by several outcomes share one label, one outcome a line
    # (labels of edges leaving one node for one end would print on each other).
    first: dict[tuple[str, str], dict[str, str]] = {}
    for e, a in drawn:
        if "xlabel" not in a:
            continue
        words = a.pop("xlabel")
        head = first.setdefault((e.source, e.target), a)
        head["xlabel"] = f"{head['xlabel']}\n{words}" if "xlabel" in head else f"→ {e.target}: {words}"
    for e, a in drawn:
        if taken is not None:
            numbers = taken.get(e.id)
            if numbers:
                words = a.get("label") or (SHORT_WORDS.get(e.outcome, e.outcome) if e.quiet
                                           else f"{e.words} {e.guard}".strip())
                a.update(color=_RUN_COLOR, fontcolor=_RUN_COLOR, penwidth="3", style="bold",
                         label="#" + ", #".join(map(str, numbers)) + "  " + words, fontsize="11")
            else:
                a.update(color="#e5e7eb", fontcolor="#d1d5db")
        lines.append(f"  {_q(e.source)} -> {_q(e.target)} {_attrs(a)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


#: Widest line (characters) of the overview's state titles, edge words and note.
_TITLE_WIDTH = 30
_EDGE_WIDTH = 24
_NOTE_WIDTH = 96

#: Widest line (characters) of the overview's state titles, edge words and rules.
_TITLE_WIDTH = 30
_EDGE_WIDTH = 24
_NOTE_WIDTH = 96


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


def _overview_title(flow: FlowSpec, drawn: Iterable[DrawnEdge]) -> str:
    """The overview's title and, below it, the shared rules in words (left-justified lines)."""
    dashed = " Dashed: questions." if any(s.kind == "question" for s in flow.states) else ""
    lines = [f"{flow.title} (fsm flow {flow.name!r}): overview, drawn from the machine that runs it.",
             f"Boxes: SDK calls.{dashed} Drawn: each step's own edges. Said here, not drawn: the rules "
             f"below (all {len(machine_edges(flow.name))} edges: {flow.name}.svg).", *rules_lines(flow)]
    ruled = {o for kind in _rule_shapes(flow).values() for o in kind}
    if any(e.outcome in ruled for e in drawn):
        lines.append("An edge drawn for one of these outcomes is that step's own handling.")
    return "".join(part + LEFT for line in lines for part in _wrap(line, _NOTE_WIDTH, "    "))


def _lighter(color: str) -> str:
    """A paler version of ``#rrggbb`` (cluster backgrounds behind the node fills)."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b = ((v + 3 * 255) // 4 for v in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def to_dot(name: str) -> str:
    """The DOT source of flow ``name``: every transition of its machine, labelled from the spec."""
    return _dot(name)


def to_overview_dot(name: str) -> str:
    """The overview of flow ``name``: every state, each step's own edges, the shared rules in a note.

    The edges left out are :func:`shared_edges` (drawn one by one in :func:`to_dot`).
    """
    return _dot(name, overview=True)


# -- Mermaid ------------------------------------------------------------------------


def mermaid_id(state: str) -> str:
    """A Mermaid state id for a state name (``4.1:smsCode:again`` -> ``s_4_1__smsCode__again``)."""
    return "s_" + state.replace(".", "_").replace(":", "__")


def _mtext(text: str, *, quoted: bool = False) -> str:
    """Text Mermaid reads literally: no quote or ``#`` (an entity); outside quotes, no colon, semicolon or brace."""
    pairs = [('"', "'"), ("#", "no. ")]
    if not quoted:
        pairs += [(":", " ="), (";", ","), ("{", "("), ("}", ")")]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def to_mermaid(name: str) -> str:
    """A Mermaid ``stateDiagram-v2`` of flow ``name``, with every transition of its machine."""
    c = compiled(name)
    flow = c.spec
    ids = {s.name: mermaid_id(s.name) for s in flow.states}
    assert len(set(ids.values())) == len(ids), "two states share a Mermaid id"
    lines = [
        f"%% {flow.title} (fsm flow {flow.name}), generated from the machine by `fsm diagrams`",
        "stateDiagram-v2",
        "    direction TB",
    ]
    for s in flow.states:
        text = "<br/>".join(_mtext(line, quoted=True) for line in state_lines(s, c.entries.get(s.name)))
        lines.append(f'    state "{text}" as {ids[s.name]}')
    lines.append(f"    [*] --> {ids[flow.initial]}")
    for e in machine_edges(name):
        words = SHORT_WORDS.get(e.outcome, e.words) if e.quiet else e.words
        label = words + (f" {e.guard}" if e.guard else "")
        lines.append(f"    %% edge {e.id}")
        lines.append(f"    {ids[e.source]} --> {ids[e.target]} : {_mtext(label)}")
    classes: dict[str, list[str]] = {}
    for s in flow.states:
        if s.terminal:
            classes.setdefault("ok" if s.name in spec.SUCCESS_TERMINALS else s.name, []).append(ids[s.name])
        elif s.step == "A":
            classes.setdefault("destructive", []).append(ids[s.name])
        elif s.step == "4.1":
            classes.setdefault("shortcut", []).append(ids[s.name])
        elif s.step == "4.2":
            classes.setdefault("full", []).append(ids[s.name])
        elif s.step == "B":
            classes.setdefault("recovery", []).append(ids[s.name])
    styles = {
        "ok": _TERMINAL_COLORS[spec.ENROLLED], "failed": _TERMINAL_COLORS[spec.FAILED],
        "cancelled": _TERMINAL_COLORS[spec.CANCELLED], "destructive": _STEP_COLORS["A"],
        "shortcut": _STEP_COLORS["4.1"], "full": _STEP_COLORS["4.2"], "recovery": _STEP_COLORS["B"],
    }
    for cls, members in classes.items():
        fill, border = styles[cls]
        weight = ",stroke-width:3px" if cls == "destructive" else ""
        lines.append(f"    classDef {cls} fill:{fill},stroke:{border}{weight}")
        lines.append(f"    class {','.join(members)} {cls}")
    return "\n".join(lines) + "\n"


# -- Graphviz -----------------------------------------------------------------------


class GraphvizError(RuntimeError):
    """``dot`` is missing, failed, or warned."""


def dot_available() -> bool:
    return shutil.which("dot") is not None


def graphviz_version() -> str | None:
    """``dot -V``'s version line, or None without Graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-V"], capture_output=True, text=True, check=False)  # noqa: S603  # fixed argv
    return (done.stderr or done.stdout).strip() or None


def render(source: str, fmt: str = "svg") -> str | bytes:
    """``dot -T<fmt>`` of ``source``; raises :class:`GraphvizError` on a failure or any warning.

    SVG comes back as text; other formats (``png``) as bytes.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizError(INSTALL_HINT)
    done = subprocess.run([exe, f"-T{fmt}"], input=source.encode(), capture_output=True, check=False)  # noqa: S603  # argv is fixed, the DOT comes from our own definitions
    warnings = done.stderr.decode(errors="replace").strip()
    if done.returncode != 0 or warnings:
        raise GraphvizError(f"dot -T{fmt} exited {done.returncode}: {warnings}")
    if fmt == "svg":
        return done.stdout.decode()
    return done.stdout


def render_svg(source: str) -> str:
    """SVG of ``source`` rendered by Graphviz ``dot``."""
    out = render(source, "svg")
    assert isinstance(out, str)
    return out


# -- all the files --------------------------------------------------------------


def generate(*, svg: bool | None = None) -> dict[str, str]:
    """The files of ``diagrams/``: ``<flow>.dot``, ``<flow>.overview.dot``, ``<flow>.mmd`` and (with
    ``dot``) ``<flow>.svg`` and ``<flow>.overview.svg``.

    ``svg=None`` renders SVG when ``dot`` is on PATH.
    """
    if svg is None:
        svg = dot_available()
    files: dict[str, str] = {}
    for name in sorted(FLOWS):
        dot = to_dot(name)
        files[f"{name}.dot"] = dot
        files[f"{name}.mmd"] = to_mermaid(name)
        overview = to_overview_dot(name)
        files[f"{name}.overview.dot"] = overview
        if svg:
            files[f"{name}.svg"] = render_svg(dot)
            files[f"{name}.overview.svg"] = render_svg(overview)
    return dict(sorted(files.items()))


# -- a run drawn on the diagram -------------------------------------------------

#: What :func:`draw_run` draws: an outcome, its trace, or a saved transcript (replayed).
Run = Outcome | Transcript | Iterable[TraceEntry]


def _trace(flow: str, run: Run) -> tuple[tuple[TraceEntry, ...], Options | None, str | None]:
    if isinstance(run, Outcome):
        return run.trace, None, run.state
    if isinstance(run, Transcript):
        if run.flow != flow:
            raise ValueError(f"the transcript is a run of {run.flow!r}, not {flow!r}")
        played = replay(run)
        if not played.ok:
            raise ValueError(f"the transcript does not replay on this machine ({len(played.mismatches)} "
                             f"difference(s)), so its run cannot be drawn: {played.mismatches[0]}")
        return played.outcome.trace, make_options(**run.options), played.outcome.state
    entries = tuple(run)
    for e in entries:
        if not isinstance(e, TraceEntry):
            raise TypeError(f"expected TraceEntry values, got {type(e).__name__}")
    return entries, None, entries[-1].target if entries else None


def draw_run(flow: str, run: Run, options: Options | None = None) -> str:
    """DOT of flow ``flow`` with a run drawn on it: visited states and taken edges, numbered in order.

    ``run`` is an :class:`~fsm.Outcome`, its ``trace`` (:class:`~fsm.TraceEntry` values) or a
    :class:`fsm.transcript.Transcript` (replayed to get the trace). ``options`` (default: the
    transcript's, else the defaults) choose the parameters shown on each call.
    """
    entries, from_transcript, end = _trace(flow, run)
    if options is None:
        options = from_transcript
    known = {e.id for e in machine_edges(flow)}
    taken: dict[str, list[int]] = {}
    visited: list[str] = []
    for i, t in enumerate(entries, start=1):
        key = f"{t.state}|{t.outcome}|{t.target}"
        if key not in known:
            raise ValueError(f"step {i} of the run takes {key}, which flow {flow!r} does not have")
        taken.setdefault(key, []).append(i)
        visited.extend((t.state, t.target))
    if not entries:
        visited.append(compiled(flow).spec.initial)
    flow_spec = compiled(flow).spec
    where = "" if options is None else (
        f"\noptions: platform={options.platform}, sdk_version={options.sdk_version}, method={options.method}, "
        f"dialect={options.dialect}, max_pin_attempts={options.max_pin_attempts}, "
        f"max_code_attempts={options.max_code_attempts}, max_restarts={options.max_restarts}, "
        f"max_transient_retries={options.max_transient_retries}"
    )
    title = (f"{flow_spec.title} (fsm flow {flow!r}): a run of {len(entries)} steps that ended "
             f"{end or 'nowhere'}. Blue: states visited and edges taken, numbered in order.{where}")
    return _dot(flow, options=options, taken=taken, visited=visited, title=title)


def write_drawing(source: str, path: pathlib.Path) -> str | None:
    """Write ``source`` to ``path``: SVG for ``.svg`` (``.dot`` beside it without Graphviz), else DOT.

    Returns a one-line note when the file written is not the one asked for, else None.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".svg":
        if dot_available():
            path.write_text(render_svg(source), encoding="utf-8")
            return None
        fallback = path.with_suffix(".dot")
        fallback.write_text(source, encoding="utf-8")
        return f"wrote {fallback} instead of {path}: {INSTALL_HINT}"
    path.write_text(source, encoding="utf-8")
    return None


def render_run(outcome: Outcome, options: Options, path: pathlib.Path) -> str | None:
    """Draw ``outcome``'s run on its flow's diagram into ``path`` (for ``fsm run --draw FILE.svg``).

    Writes SVG when ``dot`` is on PATH, else DOT beside it; returns a one-line note, or None.
    """
    return write_drawing(draw_run(outcome.flow, outcome.trace, options), path)
