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

The package: :mod:`~fsm.diagrams.model` (the edges and their words),
:mod:`~fsm.diagrams.dot`, :mod:`~fsm.diagrams.mermaid`,
:mod:`~fsm.diagrams.graphviz` (the only module that runs Graphviz's ``dot``,
through ``subprocess``; without it, DOT and Mermaid are still produced) and
:mod:`~fsm.diagrams.runs` (a run drawn on its diagram).
"""

from __future__ import annotations

from fsm.diagrams.dot import LEFT, to_dot, to_overview_dot
from fsm.diagrams.graphviz import GraphvizError, dot_available, generate, graphviz_version, render, render_svg
from fsm.diagrams.mermaid import mermaid_id, to_mermaid
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

__all__ = [
    "FONT",
    "INSTALL_HINT",
    "LEFT",
    "QUIET",
    "SHORT_WORDS",
    "DrawnEdge",
    "GraphvizError",
    "Run",
    "call_params",
    "call_words",
    "common_rules",
    "dot_available",
    "draw_run",
    "generate",
    "graphviz_version",
    "machine_edges",
    "mermaid_id",
    "param_words",
    "render",
    "render_run",
    "render_svg",
    "rules_lines",
    "shared_edges",
    "state_lines",
    "step_titles",
    "to_dot",
    "to_mermaid",
    "to_overview_dot",
    "write_drawing",
]
