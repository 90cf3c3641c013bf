"""What each picture draws: its boxes and its arrows, read from the machine (no layout, no syntax).

Four kinds of picture, all made of the machine's edges (:func:`~fsm.diagrams.model.machine_edges`):

- **full** (``<flow>.svg``): every state and every edge, left to right in step order; the shared rules that
  repeat a call or end the run ``failed`` are thin dashed arrows without words (their words are in their
  tooltip). The base on which ``--draw`` draws a run.
- **overview** (``<flow>.overview.svg``): every state and every edge but those shared rules, which the caption
  says once; for a flow that one page can hold.
- **step** (``<flow>.step-<id>.svg``): one step's states and their edges but those shared rules; the states
  they lead to and come from drawn as grey boxes; for a flow one page cannot hold (enrollment).
- **summary** (``<flow>.summary.svg``, the README's): one box per step, the arrows between steps; the arrows
  that many steps share (2317 → A, the ends) drawn once from a note that says where they happen.

Every arrow names the edges it draws (``id``: ``source|outcome|target``, several joined by ``+``), so a test
reads each picture back and compares it with the machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from fsm import spec
from fsm.catalog import CATALOG
from fsm.diagrams.model import (
    DrawnEdge,
    _rule_shapes,
    _shape_words,
    _wrap,
    machine_edges,
    shared_edges,
    step_titles,
)
from fsm.machine import compiled
from fsm.spec import FlowSpec, State

#: A flow with more states than this gets a picture per step instead of one overview.
PAGE_STATES = 8
#: Widest line (characters) of arrow words, and of box words, in the pictures people read.
EDGE_WIDTH = 26
BOX_WIDTH = 30
#: The same, in the summary (the README shows it 830 px wide).
SUMMARY_EDGE_WIDTH = 20
SUMMARY_BOX_WIDTH = 26
#: A group of arrows shared by at least this many steps is drawn once, from a note.
SHARED_BY = 3


@attrs.frozen(kw_only=True)
class Node:
    """A box: a state (``name`` is the state's), a step (summary), an end, or a note (``name`` starts "any")."""

    name: str
    lines: tuple[str, ...]
    #: call | question | terminal | stub (a state of another step) | step (summary) | note
    kind: str
    step: str


@attrs.frozen(kw_only=True)
class Link:
    """An arrow: the machine edges it draws, and its words (none for a quiet shared rule)."""

    source: str
    target: str
    edges: tuple[DrawnEdge, ...]
    lines: tuple[str, ...]
    #: main | end | cancel | destructive | shortcut | full | quiet | context
    tone: str

    @property
    def id(self) -> str:
        return "+".join(e.id for e in self.edges)


@attrs.frozen(kw_only=True)
class View:
    """One picture: what it draws and the words around it."""

    flow: str
    kind: str
    #: The file name without extension: ``enrollment``, ``enrollment.summary``, ``enrollment.step-8``.
    stem: str
    title: tuple[str, ...]
    rankdir: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    #: (step, label, names of the nodes inside), for steps of several states.
    clusters: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    #: Invisible arrows that only place a box (the summary's note on the ends below its last step).
    hints: tuple[tuple[str, str], ...] = ()
    #: Whether the ends share the last row (else they stay beside what leads to them).
    ends_last: bool = True

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)


# -- which edges are said once ----------------------------------------------------------


def summarised(flow: FlowSpec) -> frozenset[str]:
    """Ids of the shared-rule edges that repeat the state or end the run failed: said once, in words.

    The shared rules' edges that lead elsewhere (2317 → A in the enrollment, an answer → cancelled) are
    drawn where they happen.
    """
    return frozenset(i for i in shared_edges(flow) if i.split("|")[2] in (i.split("|")[0], spec.FAILED))


def said_lines(flow: FlowSpec) -> list[str]:
    """The shared rules whose edges :func:`summarised` leaves out of a picture, in words: a line per kind."""
    quiet = {tuple(i.split("|")[:2]) for i in summarised(flow)}
    kinds = {s.name: s.kind for s in flow.states}
    outcomes_of: dict[str, set[str]] = {}
    for state, outcome in quiet:
        outcomes_of.setdefault(kinds[state], set()).add(outcome)
    heads = {"call": "Every call", "question": "Every question"}
    agains = {"call": "the same call again", "question": "asked again"}
    lines = []
    for kind, outcomes in sorted(_rule_shapes(flow).items()):
        parts: dict[str, list[str]] = {}
        for outcome, shapes in outcomes.items():
            if outcome in outcomes_of.get(kind, set()):
                for shape in shapes:
                    words = _shape_words(flow, shape, agains[kind])
                    parts.setdefault(words, []).append(spec.OUTCOME_WORDS.get(outcome, outcome))
        if parts:
            lines.append(f"{heads[kind]}: " + "; ".join(
                f"{', '.join(names)} {words}" for words, names in parts.items()))
    return lines


# -- words --------------------------------------------------------------------------------


def edge_lines(edges: Sequence[DrawnEdge], width: int = EDGE_WIDTH) -> tuple[str, ...]:
    """The words of an arrow drawing ``edges``: the outcomes that share a guard, then the guard."""
    by_guard: dict[str, list[str]] = {}
    for e in sorted(edges, key=lambda e: bool(e.guard)):  # unguarded words first: "cancel", then the rest
        by_guard.setdefault(e.guard, []).append(e.words)
    lines: list[str] = []
    for guard, words in by_guard.items():
        text = ", ".join(dict.fromkeys(words))
        if not guard and len(by_guard) > 1:
            text += ", or"  # "cancel, or" / "invalid answer" / "[no invalid answer left]"
        lines.extend(_wrap(text, width))
        if guard:
            lines.extend(_wrap(guard, width))
    return tuple(lines)


def _tone(flow: FlowSpec, edges: Sequence[DrawnEdge]) -> str:
    e = edges[0]
    target = flow.state(e.target)
    if e.target == spec.FAILED:
        return "end"
    if e.target == spec.CANCELLED:
        return "cancel"
    if target.step == "A" and flow.state(e.source).step != "A":
        return "destructive"
    if any(x.guard == f"[{spec.SHORTCUT.words}]" for x in edges) or (
            target.step == "4.1" and flow.state(e.source).step != "4.1"):
        return "shortcut"
    if target.step == "4.2" and flow.state(e.source).step != "4.2":
        return "full"
    return "main"


def box_lines(state: State, *, stub: bool = False) -> tuple[str, ...]:
    """A state's box: step and title (a call: the SDK call; a question: what it asks)."""
    if state.terminal:
        return (state.name,)
    c = _call_of(state)
    if state.kind == "question":
        again = " again" if state.name.endswith(":again") else ""
        head = f"{state.step} · asks {state.ask}{again}"
        return (head,) if stub else (head, *_wrap(state.prompt, BOX_WIDTH))
    lines = [*_wrap(f"{state.step} · {state.title}", BOX_WIDTH)]
    if not stub and c is not None:
        lines.append(f"{c[0]} {c[1]}")
    if state.step == "A" and not stub:
        lines.append("DESTRUCTIVE: removes every enrollment")
    return tuple(lines)


def _call_of(state: State) -> tuple[str, str] | None:
    """(op, api) of a call state, from the catalog."""
    if state.call is None:
        return None
    entry = CATALOG[state.call]
    return entry.op, entry.api


#: Ends drawn once per state that reaches them (beside it), in the pictures but the summary.
COPIED = (spec.FAILED, spec.CANCELLED)
#: Between an end's name and the state whose copy it is: ``failed#8``.
COPY = "#"


def end_copy(end: str, source: str) -> str:
    """The name of the copy of ``end`` drawn beside ``source``."""
    return f"{end}{COPY}{source}"


def _links(flow: FlowSpec, edges: Iterable[DrawnEdge], *, tone: str | None = None,
           source_of: dict[str, str] | None = None, copies: bool = False,
           lines: bool = True, width: int = EDGE_WIDTH) -> list[Link]:
    """One arrow per (source, target) box, drawing every edge between them, in the machine's order."""
    groups: dict[tuple[str, str], list[DrawnEdge]] = {}
    for e in edges:
        source = (source_of or {}).get(e.source, e.source)
        target = end_copy(e.target, source) if copies and e.target in COPIED else e.target
        groups.setdefault((source, target), []).append(e)
    return [Link(source=s, target=t, edges=tuple(es), lines=edge_lines(es, width) if lines else (),
                 tone=tone or _tone(flow, es))
            for (s, t), es in groups.items()]


def _steps(flow: FlowSpec) -> dict[str, list[State]]:
    steps: dict[str, list[State]] = {}
    for s in flow.states:
        if not s.terminal:
            steps.setdefault(s.step, []).append(s)
    return steps


def _ends(flow: FlowSpec, names: Iterable[str]) -> list[Node]:
    """The end boxes among ``names`` (an end, or a copy of one), in the order met."""
    out = []
    for name in dict.fromkeys(names):
        end = name.split(COPY)[0]
        if any(s.terminal and s.name == end for s in flow.states):
            out.append(Node(name=name, lines=(end,), kind="terminal", step=end))
    return out


def _clusters(flow: FlowSpec, names: Iterable[str]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    titles = step_titles(flow)
    shown = set(names)
    out = []
    copies = [n for n in shown if COPY in n]
    for step, states in _steps(flow).items():
        inside = tuple(s.name for s in states if s.name in shown)
        if len(inside) > 1:
            inside += tuple(sorted(n for n in copies if n.split(COPY)[1] in inside))
            out.append((step, f"{step} · {titles[step]}", inside))
    return tuple(out)


# -- the pictures ---------------------------------------------------------------------------


def full_view(name: str) -> View:
    """Every state and every edge of flow ``name``, left to right in step order."""
    flow = compiled(name).spec
    quiet = summarised(flow)
    quiet = shared_edges(flow)  # here every shared rule is a thin dashed arrow, its words in the tooltip
    edges = machine_edges(name)
    links = []
    for link in _links(flow, edges, copies=True, lines=False):
        told = [e for e in link.edges if e.id not in quiet]
        if not told:
            links.append(attrs.evolve(link, tone="quiet"))
        else:  # the words of the edges that are not shared rules; the others in the tooltip
            links.append(attrs.evolve(link, lines=edge_lines(told, 40), tone=_tone(flow, told)))
    nodes = [Node(name=s.name, lines=box_lines(s), kind=s.kind, step=s.step) for s in flow.states
             if not s.terminal]
    nodes += _ends(flow, [n for link in links for n in (link.source, link.target)])
    title = (f"{flow.title} (fsm flow {flow.name!r}): every state and all {len(edges)} edges of the machine, "
             "left to right in step order.",
             "Boxes: SDK calls; dashed boxes: questions to the person. Thin dashed arrows without words: the "
             "rules every call and question share (retries, errors, invalid answers); their words are in their "
             "tooltip and in the caption of the overview or step pictures.")
    return View(flow=name, kind="full", stem=name, title=title, rankdir="LR", nodes=tuple(nodes),
                links=tuple(links), clusters=_clusters(flow, (n.name for n in nodes)))


def overview_view(name: str) -> View:
    """Every state of flow ``name`` and every edge but the shared rules :func:`summarised` says in words."""
    flow = compiled(name).spec
    quiet = summarised(flow)
    edges = [e for e in machine_edges(name) if e.id not in quiet]
    links = _links(flow, edges, copies=True)
    nodes = [Node(name=s.name, lines=box_lines(s), kind=s.kind, step=s.step)
             for s in flow.states if not s.terminal]
    nodes += _ends(flow, [n for link in links for n in (link.source, link.target)])
    title = (f"{flow.title} (fsm flow {flow.name!r}), drawn from the machine that runs it.",
             "Boxes: SDK calls; dashed boxes: questions to the person.", *said_lines(flow))
    return View(flow=name, kind="overview", stem=f"{name}.overview", title=title, rankdir="TB",
                nodes=tuple(nodes), links=tuple(links),
                clusters=_clusters(flow, (n.name for n in nodes)))


def _note_for(flow: FlowSpec, sources: Iterable[str], kind: str) -> str:
    wanted = set(sources)
    steps = list(dict.fromkeys(s.step for s in flow.states if s.name in wanted))
    every = [s for s, states in _steps(flow).items() if any(x.kind == kind for x in states)]
    what = "call" if kind == "call" else "question"
    if steps == every:
        return f"any {what}"
    return f"any {what} of steps {', '.join(steps)}"


def step_view(name: str, step: str) -> View:
    """Step ``step`` of flow ``name``: its states, their edges but the summarised ones, and their neighbours."""
    flow = compiled(name).spec
    quiet = summarised(flow)
    mine = [s for s in flow.states if s.step == step and not s.terminal]
    names = {s.name for s in mine}
    every = [e for e in machine_edges(name) if e.id not in quiet]
    own = [e for e in every if e.source in names]
    incoming = [e for e in every if e.target in names and e.source not in names]
    # Arrows into this step from many steps (2317 → A) come from one note.
    crowd: dict[tuple[str, str, str], list[DrawnEdge]] = {}
    for e in incoming:
        crowd.setdefault((e.outcome, e.guard, e.target), []).append(e)
    source_of: dict[str, str] = {}
    notes: list[Node] = []
    context: list[Link] = []
    for (_, _, target), es in crowd.items():
        sources = {e.source for e in es}
        if len({flow.state(s).step for s in sources}) >= SHARED_BY:
            note = _note_for(flow, sources, flow.state(es[0].source).kind)
            notes.append(Node(name=note, lines=(note,), kind="note", step=""))
            context.append(Link(source=note, target=target, edges=tuple(es), lines=edge_lines(es),
                                tone="context"))
        else:
            context.extend(_links(flow, es, tone="context", source_of=source_of))
    links = _links(flow, own, copies=True) + context
    nodes = [Node(name=s.name, lines=box_lines(s), kind=s.kind, step=s.step) for s in mine]
    around: list[str] = []
    for link in links:
        for n in (link.source, link.target):
            if n not in names and n not in around and not n.startswith("any "):
                around.append(n)
    for n in around:
        s = flow.state(n.split(COPY)[0])
        if not s.terminal:
            nodes.append(Node(name=n, lines=box_lines(s, stub=True), kind="stub", step=s.step))
    nodes += _ends(flow, around)
    nodes += list({n.name: n for n in notes}.values())
    titles = step_titles(flow)
    title = (f"{flow.title} (fsm flow {flow.name!r}), step {step} · {titles[step]}: its states, every edge "
             "leaving them, and (grey) the edges that lead into them.",
             "Boxes: SDK calls; dashed boxes: questions to the person; grey boxes: states of other steps.",
             *said_lines(flow))
    return View(flow=name, kind="step", stem=f"{name}.step-{step}", title=title, rankdir="TB",
                nodes=tuple(nodes), links=tuple(links))


def summary_view(name: str) -> View:
    """One box per step of flow ``name``, the arrows between steps; arrows many steps share drawn once."""
    flow = compiled(name).spec
    quiet = summarised(flow)
    step_of = {s.name: s.step for s in flow.states}
    steps = _steps(flow)
    titles = step_titles(flow)
    edges = [e for e in machine_edges(name) if e.id not in quiet]
    across = [e for e in edges if step_of[e.source] != step_of[e.target]]
    inside = [e for e in edges if step_of[e.source] == step_of[e.target]]
    nodes: list[Node] = []
    for step, states in steps.items():
        lines = list(_wrap(f"{step} · {titles[step]}", SUMMARY_BOX_WIDTH))
        asks = list(dict.fromkeys(s.ask for s in states
                                  if s.kind == "question" and s.ask and not s.name.endswith(":again")))
        if asks:
            lines.extend(_wrap("asks " + ", ".join(asks), SUMMARY_BOX_WIDTH))
        # A call of the step that asks one of its questions again (the SDK refused the answer).
        again = dict.fromkeys(
            (flow.state(e.target).ask, e.guard) for e in inside
            if step_of[e.source] == step and flow.state(e.source).kind == "call"
            and flow.state(e.target).kind == "question" and e.outcome != spec.SUCCEEDED)
        for ask, guard in again:
            lines.extend(_wrap(f"re-asks {ask} if refused", SUMMARY_BOX_WIDTH))
            if guard:
                lines.append(guard)
        if step == "A":
            lines.extend(("DESTRUCTIVE: removes", "every enrollment"))
        nodes.append(Node(name=step, lines=tuple(lines), kind="step", step=step))
    links: list[Link] = []
    crowd: dict[tuple[str, str, str], list[DrawnEdge]] = {}
    for e in across:
        key = ("end", "", e.target) if flow.state(e.target).terminal and e.target != spec.ENROLLED else (
            e.outcome, e.guard, e.target)
        crowd.setdefault(key, []).append(e)
    direct: list[DrawnEdge] = []
    ends: list[DrawnEdge] = []
    for (_, _, target), es in crowd.items():
        if target in (spec.FAILED, spec.CANCELLED):
            ends.extend(es)
        elif len({step_of[e.source] for e in es}) >= SHARED_BY:
            note = _note_for(flow, {e.source for e in es}, flow.state(es[0].source).kind)
            words = f"{es[0].words} at {note}"
            nodes.append(Node(name=note, lines=tuple(_wrap(words, SUMMARY_BOX_WIDTH)), kind="note", step=""))
            links.append(Link(source=note, target=target, edges=tuple(es),
                              lines=tuple(_wrap(es[0].guard, SUMMARY_EDGE_WIDTH)), tone=_tone(flow, es)))
        else:
            direct.extend(es)
    step_links = _links(flow, direct, source_of={s.name: s.step for s in flow.states}, width=SUMMARY_EDGE_WIDTH)
    links = [attrs.evolve(link, target=step_of[link.target]) for link in step_links] + links
    hints: list[tuple[str, str]] = []
    if ends:
        note = "any step"
        nodes.append(Node(name=note, lines=("from any step",), kind="note", step=""))
        # The note goes below the last step that reaches a success, beside the main path.
        last = [step_of[e.source] for e in across if e.target in spec.SUCCESS_TERMINALS]
        if last:
            hints.append((max(last, key=list(steps).index), note))
        for target in (spec.FAILED, spec.CANCELLED):
            es = [e for e in ends if e.target == target]
            if not es:
                continue
            said = ("a bound used up, or", "an error the step", "cannot recover from") if target == spec.FAILED \
                else edge_lines(es, SUMMARY_EDGE_WIDTH)
            links.append(Link(source=note, target=target, edges=tuple(es), lines=said, tone=_tone(flow, es)))
    nodes += _ends(flow, [n for link in links for n in (link.source, link.target)])
    title = (f"{flow.title}: each box is a step of the tutorial; the arrows are the machine's edges between "
             "steps.",)
    return View(flow=name, kind="summary", stem=f"{name}.summary", title=title, rankdir="TB",
                nodes=tuple(nodes), links=tuple(links), hints=tuple(hints), ends_last=False)


def needs_steps(name: str) -> bool:
    """Whether flow ``name`` is drawn step by step (one page cannot hold its overview)."""
    return sum(1 for s in compiled(name).spec.states if not s.terminal) > PAGE_STATES


def views(name: str) -> list[View]:
    """Every picture of flow ``name`` that ``fsm diagrams`` writes."""
    out = [full_view(name)]
    if needs_steps(name):
        out.append(summary_view(name))
        out.extend(step_view(name, step) for step in _steps(compiled(name).spec))
    else:
        out.append(overview_view(name))
    return out
