"""Mermaid ``stateDiagram-v2`` of a picture small enough to read (:func:`mermaid_views`).

Every arrow is preceded by ``%% edge <ids>`` (the machine edges it draws, ``source|outcome|target`` joined by
``+``), so a test reads the picture back and compares it with the machine.
"""

from __future__ import annotations

from fsm import spec
from fsm.diagrams.model import _STEP_COLORS, _TERMINAL_COLORS
from fsm.diagrams.views import COPY, View, views

#: A picture with more arrows than this is not drawn in Mermaid (its own layout cannot keep it legible).
MERMAID_MAX_LINKS = 30


def mermaid_id(name: str) -> str:
    """A Mermaid state id for a box's name (``4.1:smsCode:again`` -> ``s_4_1__smsCode__again``)."""
    out = name.replace(".", "_").replace(":", "__").replace(COPY, "___").replace(" ", "_").replace(",", "")
    return "s_" + out


def _mtext(text: str, *, quoted: bool = False) -> str:
    """Text Mermaid reads literally: no quote or ``#`` (an entity); outside quotes, no colon, semicolon or brace."""
    pairs = [('"', "'"), ("#", "no. ")]
    if not quoted:
        pairs += [(":", " ="), (";", ","), ("{", "("), ("}", ")")]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def mermaid_views(name: str) -> list[View]:
    """The pictures of flow ``name`` that are also written in Mermaid: all but the full one, when small."""
    return [v for v in views(name) if v.kind != "full" and len(v.links) <= MERMAID_MAX_LINKS]


def to_mermaid(view: View) -> str:
    """A Mermaid ``stateDiagram-v2`` of ``view``."""
    ids = {n.name: mermaid_id(n.name) for n in view.nodes}
    assert len(set(ids.values())) == len(ids), "two boxes share a Mermaid id"
    lines = [
        f"%% {view.title[0]}",
        "%% generated from the machine by `fsm diagrams`",
        "stateDiagram-v2",
        f"    direction {view.rankdir}",
    ]
    for n in view.nodes:
        text = "<br/>".join(_mtext(line, quoted=True) for line in n.lines)
        lines.append(f'    state "{text}" as {ids[n.name]}')
    for link in view.links:
        label = " ".join(link.lines)
        lines.append(f"    %% edge {link.id}")
        arrow = f"    {ids[link.source]} --> {ids[link.target]}"
        lines.append(f"{arrow} : {_mtext(label)}" if label else arrow)
    styles = {"ok": _TERMINAL_COLORS[spec.ENROLLED], spec.FAILED: _TERMINAL_COLORS[spec.FAILED],
              spec.CANCELLED: _TERMINAL_COLORS[spec.CANCELLED], "destructive": _STEP_COLORS["A"],
              "shortcut": _STEP_COLORS["4.1"], "full": _STEP_COLORS["4.2"], "recovery": _STEP_COLORS["B"],
              "other": ("#ffffff", "#9ca3af"), "note": ("#fffbeb", "#b45309")}
    classes: dict[str, list[str]] = {}
    for n in view.nodes:
        if n.kind == "terminal":
            cls = "ok" if n.step in spec.SUCCESS_TERMINALS else n.step
        elif n.kind == "note":
            cls = "note"
        elif n.step == "A":
            cls = "destructive"
        elif n.kind == "stub":
            cls = "other"
        else:
            cls = {"4.1": "shortcut", "4.2": "full", "B": "recovery"}.get(n.step, "")
        if cls:
            classes.setdefault(cls, []).append(ids[n.name])
    for cls, members in classes.items():
        fill, border = styles[cls]
        weight = ",stroke-width:3px" if cls == "destructive" else ""
        lines.append(f"    classDef {cls} fill:{fill},stroke:{border}{weight}")
        lines.append(f"    class {','.join(members)} {cls}")
    return "\n".join(lines) + "\n"
