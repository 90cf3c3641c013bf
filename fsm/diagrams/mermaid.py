"""Mermaid ``stateDiagram-v2`` of a flow, every edge preceded by ``%% edge source|outcome|target``."""

from __future__ import annotations

from fsm import spec
from fsm.diagrams.model import _STEP_COLORS, _TERMINAL_COLORS, SHORT_WORDS, machine_edges, state_lines
from fsm.machine import compiled

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


