"""Pictures of the flows, drawn from the machine that runs them: Graphviz DOT/SVG and Mermaid.

Every arrow drawn is a transition of the compiled ``transitions`` machine
(:func:`fsm.machine.compiled`, read by :func:`machine_edges`); the words on it (step id, title, SDK call,
outcome, guard, the else of a guard: ``[no PIN submission left]``) are read from the flow definition and
the catalog. Each DOT arrow carries ``id="source|outcome|target"`` (several joined by ``+`` when one arrow
draws several edges) and each Mermaid arrow is preceded by ``%% edge <ids>``, so a test can read the picture
back and compare it with the machine. Output is deterministic: the same definition gives the same bytes.

Which pictures (:mod:`~fsm.diagrams.views`): the full machine, left to right in step order (``<flow>.svg``,
the base on which a run is drawn); for a flow one page holds, an overview (``<flow>.overview.svg``); for a
larger one (enrollment) a summary, one box per step (``<flow>.summary.svg``, the README's), and a picture
per step (``<flow>.step-<id>.svg``). The shared rules that only repeat a call or end the run ``failed``
(:func:`summarised`) are said once, in words, in the caption of the pictures people read
(:func:`said_lines`); the shared rules that lead elsewhere (2317 → A, cancel) are drawn where they happen.

The package: :mod:`~fsm.diagrams.model` (the edges and their words), :mod:`~fsm.diagrams.views` (what each
picture draws), :mod:`~fsm.diagrams.dot`, :mod:`~fsm.diagrams.mermaid`, :mod:`~fsm.diagrams.graphviz` (the
only module that runs Graphviz's ``dot``, through ``subprocess``; without it, DOT and Mermaid are still
produced) and :mod:`~fsm.diagrams.runs` (a run drawn on its diagram).
"""

from __future__ import annotations

from fsm.diagrams.dot import LEFT, render_view, to_dot, to_overview_dot, to_step_dot, to_summary_dot
from fsm.diagrams.graphviz import (
    FORMATS,
    GraphvizError,
    dot_available,
    generate,
    graphviz_version,
    render,
    render_svg,
)
from fsm.diagrams.mermaid import MERMAID_MAX_LINKS, mermaid_id, mermaid_views, to_mermaid
from fsm.diagrams.model import (
    FONT,
    INSTALL_HINT,
    QUIET,
    SHORT_WORDS,
    DrawnEdge,
    call_params,
    call_words,
    common_rules,
    machine_edges,
    param_words,
    rules_lines,
    shared_edges,
    state_lines,
    step_titles,
)
from fsm.diagrams.runs import Run, draw_run, render_run, write_drawing
from fsm.diagrams.views import COPY, View, full_view, needs_steps, said_lines, summarised, views

__all__ = [
    "COPY",
    "FONT",
    "FORMATS",
    "INSTALL_HINT",
    "LEFT",
    "MERMAID_MAX_LINKS",
    "QUIET",
    "SHORT_WORDS",
    "DrawnEdge",
    "GraphvizError",
    "Run",
    "View",
    "call_params",
    "call_words",
    "common_rules",
    "dot_available",
    "draw_run",
    "full_view",
    "generate",
    "graphviz_version",
    "machine_edges",
    "mermaid_id",
    "mermaid_views",
    "needs_steps",
    "param_words",
    "render",
    "render_run",
    "render_svg",
    "render_view",
    "rules_lines",
    "said_lines",
    "shared_edges",
    "state_lines",
    "step_titles",
    "summarised",
    "to_dot",
    "to_mermaid",
    "to_overview_dot",
    "to_step_dot",
    "to_summary_dot",
    "views",
    "write_drawing",
]
