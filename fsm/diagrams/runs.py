"""A run drawn on its flow's diagram: states visited and edges taken, numbered in order."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable

from fsm.diagrams.dot import render_view
from fsm.diagrams.graphviz import FORMATS, dot_available, render
from fsm.diagrams.model import INSTALL_HINT, machine_edges
from fsm.diagrams.views import full_view
from fsm.machine import Outcome, TraceEntry, compiled
from fsm.options import Options, make_options
from fsm.transcript import Transcript, replay

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
    return render_view(full_view(flow), options=options, taken=taken, visited=visited, title=title)


def write_drawing(source: str, path: pathlib.Path) -> str | None:
    """Write ``source`` to ``path`` in the format its extension names (:data:`FORMATS`: svg, png, pdf, dot).

    Without Graphviz a picture asked as svg, png or pdf is written as DOT beside it; returns a one-line note
    then (the file written is not the one asked for), else None. Another extension is a ``ValueError``.
    """
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path}: a drawing is written as {', '.join('.' + f for f in FORMATS)}, not {path.suffix!r}")
    if fmt == "dot":
        path.write_text(source, encoding="utf-8")
        return None
    if not dot_available():
        fallback = path.with_suffix(".dot")
        fallback.write_text(source, encoding="utf-8")
        return f"wrote {fallback} instead of {path}: {INSTALL_HINT}"
    drawn = render(source, fmt)
    if isinstance(drawn, str):
        path.write_text(drawn, encoding="utf-8")
    else:
        path.write_bytes(drawn)
    return None


def render_run(outcome: Outcome, options: Options, path: pathlib.Path) -> str | None:
    """Draw ``outcome``'s run on its flow's diagram into ``path`` (for ``fsm run --draw FILE.svg``).

    Writes the format of ``path``'s extension (:func:`write_drawing`); returns a one-line note, or None.
    """
    return write_drawing(draw_run(outcome.flow, outcome.trace, options), path)
