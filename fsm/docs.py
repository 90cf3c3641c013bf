"""The Markdown reference of every flow, generated from the definition that runs (``fsm docs``).

Everything here is read from :mod:`fsm.flows`, :mod:`fsm.catalog`,
:mod:`fsm.inputs` and :mod:`fsm.options`; nothing about a step is written by
hand. The pictures are those of :mod:`fsm.diagrams` (Mermaid embedded, SVG
linked).
"""

from __future__ import annotations

from collections.abc import Iterable

from fsm import spec
from fsm.catalog import CATALOG, DIALECTS, FORBIDDEN, INPUT_CODES, PLATFORMS, TRANSIENT_CODES, Entry, label
from fsm.classify import classify_code
from fsm.diagrams import call_words, machine_edges, param_words, step_titles, views
from fsm.flows import FLOWS
from fsm.inputs import RULES
from fsm.machine import compiled
from fsm.options import BOUNDS, Options
from fsm.secret import SECRET_NAMES
from fsm.spec import FlowSpec, State

#: The file ``fsm docs`` writes in its output directory.
FILENAME = "README.md"

_DEFAULTS = Options()


def _cell(text: object) -> str:
    """Text safe in a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return out


def _where(flow: FlowSpec, target: str) -> str:
    state = flow.state(target)
    if state.terminal:
        return f"**{target}**"
    if state.name == state.step:
        return f"step {state.step}"
    if state.kind == "question":
        return f"step {state.step}: ask `{state.ask}`" + (" again" if state.name.endswith(":again") else "")
    return f"step {state.step} (`{state.name}`)"


def _bound_words(counter: spec.Counter) -> str:
    if isinstance(counter.bound, int):
        return f"at most {counter.bound}"
    return f"`{counter.bound}` (default {getattr(_DEFAULTS, counter.bound)})"


def _counters_of(state: State) -> list[str]:
    names: list[str] = []
    for e in state.edges:
        if e.guard is not None and e.guard.kind == "below":
            names.append(e.guard.name)
        if e.count is not None:
            names.append(e.count)
    for extra in (state.counts, state.tally):
        if extra is not None:
            names.append(extra)
    return list(dict.fromkeys(names))


def _outcomes(flow: FlowSpec, state: State) -> list[str]:
    by_edge = {e.id: e for e in machine_edges(flow.name) if e.source == state.name}
    rows = []
    for e in state.edges:
        drawn = by_edge.get(f"{state.name}|{e.outcome}|{e.target}")
        guard = drawn.guard if drawn is not None else ""
        effects = []
        if e.count is not None:
            effects.append(f"+1 {e.count.replace('_', ' ')}")
        target = flow.state(e.target)
        if target.counts is not None and target.name != state.name:
            effects.append(f"+1 {target.counts.replace('_', ' ')} (the call is made)")
        if e.cause is not None:
            effects.append(f"ends: {spec.CAUSE_WORDS.get(e.cause, e.cause)}"
                           + (f" (SDK error {e.code})" if e.code is not None else ""))
        rows.append((spec.OUTCOME_WORDS.get(e.outcome, e.outcome) + (" *(every call)*" if e.outcome in (
            spec.TRANSIENT, spec.ERROR_2317, spec.INPUT_ERROR, spec.UNEXPECTED_ERROR, spec.MALFORMED,
            spec.PORT_ERROR) else ""), guard or "", _where(flow, e.target), "; ".join(effects)))
    return _table(("when", "guard", "next", "effect"), rows)


def _call_section(state: State, entry: Entry) -> list[str]:
    lines = [f"- **Call**: `{call_words(entry)}` ({entry.title})."]
    if entry.since > (2, 0):
        lines.append(f"  Needs SDK {'.'.join(map(str, entry.since))} or later.")
    rows = []
    for p in entry.params:
        value = f"`{p.value}`" if p.value is not None else f"input `{p.slot}`" + (
            " (secret, masked in every trace)" if p.name in SECRET_NAMES else "")
        dialects = ", ".join(d for d in DIALECTS if d in p.dialects)
        platforms = ", ".join(x for x in PLATFORMS if x in p.platforms)
        rows.append((f"`{p.name}`", value, dialects, platforms))
    if rows:
        lines.append("")
        lines.extend("  " + row for row in _table(("parameter", "value", "dialects", "platforms"), rows))
        lines.append("")
    groups: dict[str, list[int]] = {}
    for code in sorted(set(entry.errors) | set(state.errors) | TRANSIENT_CODES | INPUT_CODES | {FORBIDDEN}):
        groups.setdefault(classify_code(state, code), []).append(code)
    other = state.other_errors or spec.UNEXPECTED_ERROR
    parts = [f"{', '.join(map(str, codes))} → {spec.OUTCOME_WORDS.get(o, o)}" for o, codes in groups.items()]
    parts.append(f"any other code → {spec.OUTCOME_WORDS.get(other, other)}")
    lines.append("- **Error codes** (the reference's list for this call and the codes every call handles, "
                 "as this step reads them): " + "; ".join(parts) + ".")
    if state.keep:
        lines.append(f"- **Keeps** from the result: {', '.join(f'`{k}`' for k in state.keep)}.")
    return lines


def _question_section(state: State) -> list[str]:
    assert state.ask is not None
    rule = RULES.get(state.ask, "any text")
    secret = " It is a secret: masked in every trace, log and transcript." if state.ask in SECRET_NAMES else ""
    forgot = " The person may answer “forgot PIN”." if spec.FORGOT_PIN in state.outcomes() else ""
    return [f"- **Question**: `{state.ask}` — {state.prompt}. Valid answer: {rule}.{secret}{forgot}"]


def _step_section(flow: FlowSpec, step: str, title: str, states: list[State]) -> list[str]:
    c = compiled(flow.name)
    lines = [f"### {step} · {title}", ""]
    for state in states:
        lines.append(f"#### State `{state.name}`" + (f" — {state.title}" if state.kind == "call" else ""))
        lines.append("")
        if state.kind == "call":
            lines.extend(_call_section(state, c.entries[state.name]))
        else:
            lines.extend(_question_section(state))
        bounds = _counters_of(state)
        if bounds:
            lines.append("- **Bounds**: " + "; ".join(
                f"{flow.counter(n).words} (`{n}`): {_bound_words(flow.counter(n))}" for n in bounds) + ".")
        lines.append("")
        lines.extend(_outcomes(flow, state))
        lines.append("")
    return lines


def flow_section(name: str) -> list[str]:
    """The reference of flow ``name``: picture, notes, then every step."""
    flow = compiled(name).spec
    lines = [f"## {flow.title} (`{name}`)", ""]
    steps: dict[str, list[State]] = {}
    for s in flow.states:
        if not s.terminal:
            steps.setdefault(s.step, []).append(s)
    ends = ", ".join(f"**{s.name}**" for s in flow.states if s.terminal)
    lines.append(f"Steps {', '.join(steps)}; it starts at step {flow.state(flow.initial).step} and ends "
                 f"{ends}. Overview (each step's own edges, the shared rules in words): "
                 f"[{name}.overview.svg]({name}.overview.svg). Every edge: [{name}.svg]({name}.svg) "
                 f"(source [{name}.dot]({name}.dot), Mermaid [{name}.mmd]({name}.mmd)).")
    lines.append("")
    if flow.notes:
        lines.append("Decisions (resolved ambiguities of PROTOCOL.md):")
        lines.append("")
        lines.extend(f"- {note}" for note in flow.notes)
        lines.append("")
    first = views(name)[1]
    lines.extend([f"![{first.title[0]}]({first.stem}.svg)", ""])
    titles = step_titles(flow)
    for step, states in steps.items():
        lines.extend(_step_section(flow, step, titles[step], states))
    return lines


def _dialect_section() -> list[str]:
    """Where the dialects differ: every parameter the catalog sends in one dialect only."""
    rows = []
    for name in sorted(FLOWS):
        c = compiled(name)
        for state in c.spec.states:
            if state.kind != "call":
                continue
            entry = c.entries[state.name]
            for p in entry.params:
                if p.dialects != frozenset(DIALECTS):
                    rows.append((f"{name} step {state.step}", f"`{entry.op} {entry.api}` ({entry.subname})",
                                 param_words(p, qualify=False), ", ".join(sorted(p.dialects))))
    rows = list(dict.fromkeys(rows))
    return [
        "## Dialects",
        "",
        "`tutorial` sends what the tutorial shows; `reference` what the official reference requires. "
        "They differ in exactly these parameters (read from the catalog):",
        "",
        *_table(("where", "call", "parameter", "sent in"), rows),
        "",
    ]


def _common_section() -> list[str]:
    def codes(values: Iterable[int]) -> str:
        return ", ".join(f"{c} ({label(c)})" for c in sorted(values))

    bounds = [(f"`{name}`", getattr(_DEFAULTS, name), f"{low} to {high}") for name, (low, high) in BOUNDS.items()]
    inputs = [(f"`{name}`", rule, "yes" if name in SECRET_NAMES else "no") for name, rule in RULES.items()]
    return [
        "## Rules for every call and every question",
        "",
        f"- Transient: {codes(TRANSIENT_CODES)}, or the port raising a connection or timeout error: the same "
        "call again, at most `max_transient_retries` times in a row, then **failed**.",
        f"- Input errors {codes(INPUT_CODES)}: **failed** at once (a bug in the caller), except where a step "
        "says otherwise (step 8 asks the PIN again).",
        f"- {FORBIDDEN} ({label(FORBIDDEN)}): in `enrollment`, step A while restarts are left; elsewhere **failed**.",
        "- Any other FAILED code a step does not handle, a malformed message, or the port raising any other "
        "error: **failed**.",
        "- An invalid answer is asked again, at most `max_code_attempts` times in a row, then **cancelled**; "
        "the person may cancel at any question.",
        "",
        *_table(("bound", "default", "accepted"), bounds),
        "",
        *_table(("input", "valid answer", "secret"), inputs),
        "",
        "Error codes the calls can answer (labels from the official reference):",
        "",
        *_table(("code", "label"), [(c, label(c)) for c in sorted({c for e in CATALOG.values() for c in e.errors})]),
        "",
    ]


def reference() -> str:
    """The whole Markdown reference, deterministic."""
    lines = [
        "# Flow reference",
        "",
        "Generated by `fsm docs` from the flow definitions (`fsm/flows`), the SDK call catalog "
        "(`fsm/catalog.py`) and the input rules (`fsm/inputs.py`); the pictures by `fsm diagrams` from "
        "the compiled machine. Do not edit: regenerate with `fsm diagrams && fsm docs` (a test fails "
        "when this directory is stale).",
        "",
        "Flows: " + ", ".join(f"[{FLOWS[n].title}](#{_anchor(FLOWS[n].title, n)})" for n in FLOWS) + ".",
        "",
        *_common_section(),
        *_dialect_section(),
    ]
    for name in FLOWS:
        lines.extend(flow_section(name))
    return "\n".join(lines).rstrip("\n") + "\n"


def _anchor(title: str, name: str) -> str:
    """GitHub's anchor for the heading ``{title} (`{name}`)``."""
    text = f"{title} ({name})".lower()
    return "".join(ch for ch in text.replace(" ", "-") if ch.isalnum() or ch in "-_")
