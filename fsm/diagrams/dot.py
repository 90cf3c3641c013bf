"""Graphviz DOT of a flow: the full diagram (every edge) and the overview (each step's own edges)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from fsm import spec
from fsm.catalog import Entry
from fsm.diagrams.model import (
    _EDGE_WIDTH,
    _FONT,
    _NOTE_WIDTH,
    _QUIET_COLOR,
    _QUIET_COLORS,
    _RUN_COLOR,
    _STEP_COLORS,
    _TERMINAL_COLORS,
    SHORT_WORDS,
    DrawnEdge,
    _rule_shapes,
    _wrap,
    machine_edges,
    rules_lines,
    shared_edges,
    state_lines,
    step_titles,
)
from fsm.machine import compiled
from fsm.options import Options
from fsm.spec import FlowSpec, State

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

