"""Graphviz DOT of a picture (:mod:`fsm.diagrams.views`): the full machine, an overview, a step, the summary."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from fsm.diagrams.model import (
    _FONT,
    _QUIET_COLOR,
    _QUIET_COLORS,
    _RUN_COLOR,
    _STEP_COLORS,
    _TERMINAL_COLORS,
    SHORT_WORDS,
    _wrap,
    state_lines,
)
from fsm.diagrams.views import COPY, View, full_view, overview_view, step_view, summary_view
from fsm.machine import compiled
from fsm.options import Options

#: In a label, ends a left-justified line (DOT's ``\\l``; a backslash in text is escaped as text).
LEFT = "\v"
#: Widest caption line (characters).
_CAPTION_WIDTH = 110

#: Font sizes (points) per kind of picture: (caption, boxes, arrow words). A picture is read at 100%, the
#: summary in the README at 830 px wide (tests/test_diagrams.py checks both in the SVG).
_SIZES: Mapping[str, tuple[int, int, int]] = {
    "full": (12, 11, 10),
    "overview": (12, 12, 11),
    "step": (12, 12, 11),
    "summary": (13, 13, 13),
}
_TONES: Mapping[str, Mapping[str, str]] = {
    "main": {"color": "#111827", "penwidth": "1.5"},
    "end": {"color": "#b91c1c", "fontcolor": "#991b1b"},
    "cancel": {"color": "#4b5563", "fontcolor": "#374151"},
    "destructive": {"color": "#b91c1c", "fontcolor": "#991b1b", "penwidth": "2.5"},
    "shortcut": {"color": _STEP_COLORS["4.1"][1], "fontcolor": _STEP_COLORS["4.1"][1], "penwidth": "2"},
    "full": {"color": _STEP_COLORS["4.2"][1], "fontcolor": _STEP_COLORS["4.2"][1], "penwidth": "2"},
    "context": {"color": "#9ca3af", "fontcolor": "#4b5563", "style": "dashed"},
}


def _q(text: str) -> str:
    """A DOT quoted string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace(LEFT, "\\l") + '"'


def _attrs(items: Mapping[str, str]) -> str:
    return "[" + ", ".join(f"{k}={_q(v)}" for k, v in items.items()) + "]"


def _lighter(color: str) -> str:
    """A paler version of ``#rrggbb`` (cluster backgrounds behind the node fills)."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b = ((v + 3 * 255) // 4 for v in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def _caption(lines: Iterable[str]) -> str:
    return "".join(part + LEFT for line in lines for part in _wrap(line, _CAPTION_WIDTH, "    "))


def _node(view: View, name: str, options: Options | None) -> dict[str, str]:
    node = view.node(name)
    label = "\n".join(node.lines)
    if view.kind == "full" and node.kind in ("call", "question"):
        c = compiled(view.flow)
        label = "\n".join(state_lines(c.spec.state(name), c.entries.get(name), options))
    out = {"id": name, "label": label}
    if node.kind == "terminal":
        fill, border = _TERMINAL_COLORS.get(node.step, ("#ffffff", "#000000"))
        if COPY in name:  # an end drawn beside the state that reaches it
            out.update(shape="box", style="rounded,filled,bold", fillcolor=fill, color=border, margin="0.08,0.03")
        else:
            out.update(shape="doublecircle", style="filled", fillcolor=fill, color=border, penwidth="2",
                       fixedsize="true", width="1.3")
        return out
    if node.kind == "note":
        out.update(shape="note", style="filled", fillcolor="#fffbeb", color="#b45309", fontcolor="#78350f")
        return out
    if node.kind == "stub":
        out.update(shape="box", style="rounded,dashed" if "asks" in node.lines[0] else "rounded",
                   color="#9ca3af", fontcolor="#4b5563")
        if node.step == "A":
            out.update(shape="octagon", style="bold", color="#b91c1c", fontcolor="#7f1d1d")
        return out
    fill, border = _STEP_COLORS.get(node.step, ("#ffffff", "#374151"))
    out.update(fillcolor=fill, color=border, shape="box")
    out["style"] = "rounded,dashed,filled" if node.kind == "question" else "rounded,filled"
    if node.step == "A":
        out.update(penwidth="3", fontcolor="#7f1d1d", shape="octagon", style="filled,bold")
    return out


def _edge(view: View, index: int) -> dict[str, str]:
    link = view.links[index]
    words = " / ".join(
        f"{e.words} {e.guard}".strip() for e in link.edges)
    out = {"id": link.id, "tooltip": words}
    if link.tone == "quiet":
        e = link.edges[0]
        out.update(color=_QUIET_COLORS.get(e.outcome, _QUIET_COLOR), style="dashed", arrowsize="0.5",
                   penwidth="0.7")
        return out
    out["label"] = "\n".join(link.lines)
    out.update(_TONES.get(link.tone, {}))
    return out


def render_view(
    view: View,
    *,
    options: Options | None = None,
    taken: Mapping[str, Sequence[int]] | None = None,
    visited: Iterable[str] = (),
    title: str | None = None,
) -> str:
    """The DOT source of ``view``; with ``taken`` (edge id -> step numbers), a run drawn on it."""
    caption, box, small = _SIZES[view.kind]
    seen = set(visited)
    if taken is not None:  # an end copy is reached when an arrow into it was taken
        seen |= {link.target for link in view.links if any(e.id in taken for e in link.edges)}
    lines = [
        f"digraph {_q(view.stem)} {{",
        "  graph " + _attrs({"rankdir": view.rankdir, "fontname": _FONT, "fontsize": str(caption),
                             "labelloc": "t", "labeljust": "l", "nodesep": "0.3", "ranksep": "0.4",
                             "newrank": "true", "label": title or _caption(view.title)}) + ";",
        "  node " + _attrs({"fontname": _FONT, "fontsize": str(box), "margin": "0.12,0.06"}) + ";",
        "  edge " + _attrs({"fontname": _FONT, "fontsize": str(small)}) + ";",
    ]

    def node(name: str, indent: str) -> str:
        a = _node(view, name, options)
        if taken is not None:
            if name in seen:
                a.update(penwidth="3", color=_RUN_COLOR)
            else:
                a.update(fontcolor=_QUIET_COLOR, color=_QUIET_COLOR)
        return f"{indent}{_q(name)} {_attrs(a)};"

    cluster_of = {n: c for c in view.clusters for n in c[2]}
    for n in view.nodes:  # in the view's order; a cluster where its first state is
        if (n.kind == "terminal" and COPY not in n.name) or (
                n.name in cluster_of and cluster_of[n.name][2][0] != n.name):
            continue
        if n.name not in cluster_of:
            lines.append(node(n.name, "  "))
            continue
        step, label, names = cluster_of[n.name]
        fill, border = _STEP_COLORS.get(step, ("#f9fafb", "#6b7280"))
        lines.append(f"  subgraph {_q('cluster_' + step)} {{")
        # The full picture's clusters have no title (its boxes say their step): 2317's arrows cross them.
        label = "" if view.kind == "full" else label
        lines.append("    graph " + _attrs({"label": label, "style": "rounded,filled", "fillcolor": _lighter(fill),
                                            "color": border, "fontsize": str(box), "labeljust": "l"}) + ";")
        lines.extend(node(x, "    ") for x in names)
        lines.append("  }")
    ends = [n for n in view.nodes if n.kind == "terminal" and COPY not in n.name]
    if ends:
        lines.append("  subgraph ends {")
        if view.ends_last:
            lines.append('    graph [rank="sink"];')
        lines.extend(node(n.name, "    ") for n in ends)
        lines.append("  }")
    for i, link in enumerate(view.links):
        a = _edge(view, i)
        if taken is not None:
            numbers = [n for e in link.edges for n in taken.get(e.id, ())]
            if numbers:
                e = link.edges[0]
                words = SHORT_WORDS.get(e.outcome, e.outcome) if link.tone == "quiet" else a.get("label", "")
                a.update(color=_RUN_COLOR, fontcolor=_RUN_COLOR, penwidth="3", style="bold",
                         label="#" + ", #".join(map(str, sorted(numbers))) + "  " + words.replace("\n", " "))
            else:
                a.update(color="#e5e7eb", fontcolor="#d1d5db")
        lines.append(f"  {_q(link.source)} -> {_q(link.target)} {_attrs(a)};")
    lines.extend(f"  {_q(a)} -> {_q(b)} [style=\"invis\"];" for a, b in view.hints)
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(name: str) -> str:
    """The DOT source of flow ``name``: every transition of its machine, left to right in step order."""
    return render_view(full_view(name))


def to_overview_dot(name: str) -> str:
    """The overview of flow ``name``: every state, every edge but the shared rules said in its caption."""
    return render_view(overview_view(name))


def to_step_dot(name: str, step: str) -> str:
    """Step ``step`` of flow ``name``: its states, their edges, and the states around them."""
    return render_view(step_view(name, step))


def to_summary_dot(name: str) -> str:
    """The summary of flow ``name``: one box per step, the arrows between steps (the README's picture)."""
    return render_view(summary_view(name))
