"""The Markdown reference of every flow, generated from the definition that runs (``fsm docs``).

Everything here is read from :mod:`fsm.flows` (states, edges, notes), :mod:`fsm.catalog`,
:mod:`fsm.inputs`, :mod:`fsm.options` and :mod:`fsm.spec` (outcomes, causes, guards); nothing about a
step is written by hand. The pictures are those of :mod:`fsm.diagrams` (SVG shown, Mermaid linked).

What a developer looks up: the decisions taken where the tutorial is silent (with their reasons), how a run
can end (``Outcome.cause``: its words and where it can happen), every error code the flows handle and what
each step does with it, each question's rule and bounds, and, per step, a table of what can happen there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fsm import spec
from fsm.catalog import DIALECTS, FORBIDDEN, INPUT_CODES, PLATFORMS, TRANSIENT_CODES, Entry, label
from fsm.classify import classify_code
from fsm.diagrams import call_words, machine_edges, mermaid_views, param_words, step_titles, views
from fsm.flows import FLOWS
from fsm.flows.common import NOTES
from fsm.inputs import PATTERNS, RULES
from fsm.machine import compiled
from fsm.options import BOUNDS, SHORTCUT_SINCE, Options
from fsm.secret import SECRET_NAMES
from fsm.spec import REASK, FlowSpec, State
from fsm.validate import required_sdk

#: The file ``fsm docs`` writes in its output directory.
FILENAME = "README.md"

_DEFAULTS = Options()
#: Outcomes every call meets (the shared rules), marked in the tables.
_EVERY_CALL = (spec.TRANSIENT, spec.ERROR_2317, spec.INPUT_ERROR, spec.UNEXPECTED_ERROR, spec.MALFORMED,
               spec.PORT_ERROR)


def _cell(text: object) -> str:
    """Text safe in a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return out


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.lower().replace(" ", "-")
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_")


def _flow_heading(flow: FlowSpec) -> str:
    return f"{flow.title} (`{flow.name}`)"


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


def _guards(flow: FlowSpec) -> dict[str, str]:
    """Edge id -> the words of its guard, as the pictures draw them (an else names its guard)."""
    return {e.id: e.guard for e in machine_edges(flow.name)}


def _then(flow: FlowSpec, state: State, outcome: str) -> str:
    """What follows ``outcome`` at ``state``: ``step 5 [SMS code attempts left]; **failed** [no ... left]``."""
    guards = _guards(flow)
    parts = []
    for e in state.alternatives(outcome):
        guard = guards.get(f"{state.name}|{outcome}|{e.target}", "")
        where = "the same call again" if e.target == state.name else _where(flow, e.target)
        parts.append(f"{where} {guard}".strip())
    return "; ".join(parts)


def _places(found: dict[str, list[str]]) -> str:
    """``enrollment (every call but A), reset-pin (every call)``: flow -> the call states, in few words."""
    parts = []
    for name, states in found.items():
        calls = [s.name for s in FLOWS[name].states if s.kind == "call"]
        missing = [c for c in calls if c not in states]
        if not missing:
            parts.append(f"{name} (every call)")
        elif len(missing) <= 2 and len(calls) > 4:
            parts.append(f"{name} (every call but {', '.join(missing)})")
        else:
            parts.append(f"{name} {', '.join(states)}")
    return ", ".join(parts)


def _effects(flow: FlowSpec, state: State, edge: spec.Edge) -> list[str]:
    effects = []
    if edge.count is not None:
        effects.append(f"+1 {flow.counter(edge.count).words} (`{edge.count}`)")
    target = flow.state(edge.target)
    if target.counts is not None and target.name != state.name:
        effects.append(f"+1 {flow.counter(target.counts).words} (`{target.counts}`) when the call is made")
    if edge.cause is not None:
        effects.append(f"ends: {spec.CAUSE_WORDS.get(edge.cause, edge.cause)} (cause `{edge.cause}`"
                       + (f", SDK error {edge.code}" if edge.code is not None else "") + ")")
    return effects


def _codes(state: State, entry: Entry) -> list[int]:
    """Every FAILED code this call state reads itself: the reference's list, its own, the shared ones."""
    return sorted(set(entry.errors) | set(state.errors) | TRANSIENT_CODES | INPUT_CODES | {FORBIDDEN})


# -- the sections every flow shares -------------------------------------------------------------


def _decisions_section() -> list[str]:
    return [
        "## Decisions",
        "",
        "Where the tutorial is silent, ambiguous or contradicts the official reference, the flows decide as "
        "follows, each with its reason. These are read from the definitions (`fsm/flows/common.py` `NOTES` "
        "for every flow, each flow's `notes` for its own); the tables below are what runs.",
        "",
        "Every flow:",
        "",
        *(f"- {note}" for note in NOTES),
        "",
        "Each flow's own decisions are in its section: "
        + ", ".join(f"[{f.name}](#{_anchor(_flow_heading(f))})" for f in FLOWS.values() if f.notes) + ".",
        "",
    ]


def _cause_places(cause: str) -> list[str]:
    """Where ``cause`` ends a run: per flow (flows alike said together), the steps and what happened there."""
    said: dict[str, list[str]] = {}
    for flow in FLOWS.values():
        guards = _guards(flow)
        calls = [s.name for s in flow.states if s.kind == "call"]
        found: dict[str, list[str]] = {}
        at_states: set[str] = set()
        for state in flow.states:
            for e in state.edges:
                if e.cause == cause:
                    words = spec.OUTCOME_WORDS.get(e.outcome, e.outcome)
                    guard = guards.get(f"{state.name}|{e.outcome}|{e.target}", "")
                    found.setdefault(f"{words} {guard}".strip(), []).append(state.step)
                    at_states.add(state.name)
        if not found:
            continue
        if set(calls) <= at_states and len(found) == 1:
            text = f"every call: {next(iter(found))}"
        else:
            text = "; ".join(f"step {', '.join(dict.fromkeys(steps))}: {words}" for words, steps in found.items())
        said.setdefault(text, []).append(flow.name)
    return [f"{', '.join(names)}: {text}" for text, names in said.items()]


def _causes_section() -> list[str]:
    """``Outcome.cause``: every cause, its words, the end it leads to and where it can happen."""
    ends: dict[str, set[str]] = {}
    codes: dict[str, set[int]] = {}
    anything: set[str] = set()  # causes any code a step does not handle leads to
    uncoded: set[str] = set()  # causes an answer without an SDK code leads to (a status, a port exception)
    for flow in FLOWS.values():
        c = compiled(flow.name)
        for state in flow.states:
            coded: dict[str, set[int]] = {}
            if state.kind == "call":
                for code in _codes(state, c.entries[state.name]):
                    outcome = classify_code(state, code)
                    if code in state.errors or outcome in (spec.TRANSIENT, spec.ERROR_2317, spec.INPUT_ERROR):
                        coded.setdefault(outcome, set()).add(code)
            catch_all = state.other_errors or spec.UNEXPECTED_ERROR
            # Outcomes a message without an error code (a result) or no message (an exception) can give.
            plain = {spec.TRANSIENT, spec.MALFORMED, spec.PORT_ERROR, spec.ANSWERED, spec.INVALID, spec.CANCEL}
            if state.kind == "call":
                plain |= set(c.entries[state.name].output.outcomes)
            for e in state.edges:
                if e.cause is None:
                    continue
                ends.setdefault(e.cause, set()).add(e.target)
                found = codes.setdefault(e.cause, set())
                found |= coded.get(e.outcome, set())
                if e.code is not None:
                    found.add(e.code)
                if state.kind == "call" and e.outcome == catch_all:
                    anything.add(e.cause)
                if state.kind != "call" or (e.outcome in plain and e.code is None):
                    uncoded.add(e.cause)
    rows = []
    for cause, words in spec.CAUSE_WORDS.items():
        where = _cause_places(cause)
        said = [", ".join(map(str, sorted(codes.get(cause, set()))))]
        if cause in anything:
            said.append("any other code")
        said = [", ".join(x for x in said if x)]
        if cause in uncoded:
            said.append("none")
        rows.append((f"`{cause}`", ", ".join(f"**{t}**" for t in sorted(ends.get(cause, set()))), words,
                     "; or ".join(x for x in said if x), "<br>".join(where) or "—"))
    return [
        "## How a run ends: `Outcome.cause`",
        "",
        "`fsm.run` returns an `Outcome`: `state` (`enrolled` or `done` when `ok`, else `failed` or `cancelled`), "
        "`cause` (below: the one reason a program matches on), `error_code` (the SDK's code when one ended the "
        "run), `reason` (the cause's words, for a person; `failed at step 8: the PIN was refused too many "
        "times`) and `resumable` (true when a retry can fix the end: the transient retries of a call ran out; "
        "its snapshot then resumes at that call). `done` has no cause (`None`). A `Flow` that has ended gives "
        "the same through `flow.outcome`.",
        "",
        *_table(("cause", "ends", "words (`Outcome.reason`)", "`error_code`", "where it can happen"), rows),
        "",
    ]


def _code_reading(flow: FlowSpec, state: State, code: int) -> str:
    outcome = classify_code(state, code)
    return f"{spec.OUTCOME_WORDS.get(outcome, outcome)} → {_then(flow, state, outcome)}"


def _codes_section() -> list[str]:
    """Every FAILED code a call of a flow reads, and what each step does with it."""
    readings: dict[int, dict[str, dict[str, list[str]]]] = {}
    for flow in FLOWS.values():
        c = compiled(flow.name)
        for state in flow.states:
            if state.kind != "call":
                continue
            for code in _codes(state, c.entries[state.name]):
                words = _code_reading(flow, state, code)
                readings.setdefault(code, {}).setdefault(words, {}).setdefault(flow.name, []).append(state.name)
    rows = []
    for code in sorted(readings):
        parts = [f"{_places(places)}: {words}" for words, places in readings[code].items()]
        rows.append((code, label(code), "<br>".join(parts)))
    return [
        "## Error codes, step by step",
        "",
        "Every FAILED code a call of the flows reads: the codes the official reference lists for the call, the "
        "codes a step handles itself, and those every call handles (transient 2201/2202/2204, 2317, input "
        "errors 2010/2101/2102). Any other code ends the run **failed** with that code (`Outcome.error_code`), "
        "except at step 8 of the enrollment, where it asks the PIN again. Places are flows and their call "
        "states; `[...]` is the guard that picks the next state.",
        "",
        *_table(("code", "label (official reference)", "where, read as → what follows"), rows),
        "",
    ]


def _questions_section() -> list[str]:
    """Each input: its rule, whether it is secret, where it is asked and what bounds asking it again."""
    rows = []
    for name, rule in RULES.items():
        places: list[str] = []
        bounds: list[str] = []
        for flow in FLOWS.values():
            guards = _guards(flow)
            for state in flow.states:
                if state.kind != "question" or state.ask != name:
                    continue
                extra = " (a new PIN: obvious ones refused)" if state.new_pin and name != "newPIN" else ""
                forgot = ", or “forgot PIN”" if spec.FORGOT_PIN in state.outcomes() else ""
                places.append(f"{flow.name} step {state.step}{extra}{forgot}")
                for source in flow.states:
                    for e in source.edges:
                        if (e.target == state.name and e.outcome in REASK and e.outcome != spec.INVALID
                                and e.guard is not None and e.guard.kind == "below"):
                            words = spec.OUTCOME_WORDS.get(e.outcome, e.outcome)
                            counter = flow.counter(e.guard.name)
                            bounds.append(f"{flow.name} {source.step}: {words}, "
                                          f"{guards[f'{source.name}|{e.outcome}|{e.target}']} "
                                          f"({counter.words}: {_bound_words(counter)})")
        if not places:
            continue
        rows.append((f"`{name}`", rule, f"`{PATTERNS[name].pattern}`", "yes" if name in SECRET_NAMES else "no",
                     "<br>".join(dict.fromkeys(places)), "<br>".join(dict.fromkeys(bounds)) or "—"))
    invalid = _bound_words(next(iter(FLOWS.values())).counter("invalid_answers"))
    return [
        "## Questions and their rules",
        "",
        "An answer is a `str` matched whole (`re.fullmatch`) against the pattern; nothing is stripped or "
        f"normalised. An invalid answer is asked again, at most {invalid} invalid answers in a row, then the "
        "run is **cancelled**; the person may cancel any question. `Question.why` says why a question is asked "
        "again (`invalid`, or the SDK's refusal: `sms_invalid`, `pin_rejected`, `same_pin`) and "
        "`Question.attempt` which time it is.",
        "",
        *_table(("input", "valid answer", "pattern", "secret", "asked at", "asked again after the SDK refused it"),
                rows),
        "",
    ]


def _common_section() -> list[str]:
    def codes(values: Iterable[int]) -> str:
        return ", ".join(f"{c} ({label(c)})" for c in sorted(values))

    bounds = [(f"`{name}`", getattr(_DEFAULTS, name), f"{low} to {high}") for name, (low, high) in BOUNDS.items()]
    shortcut = ".".join(map(str, SHORTCUT_SINCE[:2]))
    later = [f"`{f.name}` needs {'.'.join(map(str, required_sdk(f)))}" for f in FLOWS.values()
             if required_sdk(f) > (2, 0)]
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
        "Options: `platform` (" + ", ".join(f"`{p}`" for p in PLATFORMS) + f", default `{_DEFAULTS.platform}`), "
        f"`sdk_version` (`2.0` or later, `X.Y` or `X.Y.Z`; default `{_DEFAULTS.sdk_version}`. Before {shortcut} "
        "there is no shortcut: `auto` takes 4.2 as `full` does. A flow whose calls need a later SDK does not "
        f"start (`fsm.OptionError`): {', '.join(later)}), "
        f"`method` (`auto`, `full`; default `{_DEFAULTS.method}`), `dialect` ("
        + ", ".join(f"`{d}`" for d in DIALECTS) + f"; default `{_DEFAULTS.dialect}`), and the bounds:",
        "",
        *_table(("bound", "default", "accepted"), bounds),
        "",
    ]


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


# -- a flow ------------------------------------------------------------------------------------


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
    for code in _codes(state, entry):
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
    rule = RULES["newPIN"] if state.new_pin else RULES.get(state.ask, "any text")
    secret = " It is a secret: masked in every trace, log and transcript." if state.ask in SECRET_NAMES else ""
    forgot = " The person may answer “forgot PIN”." if spec.FORGOT_PIN in state.outcomes() else ""
    return [f"- **Question**: `{state.ask}` — {state.prompt}. Valid answer: {rule}.{secret}{forgot}"]


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


def _step_table(flow: FlowSpec, states: Sequence[State]) -> list[str]:
    """What can happen at a step: every edge of its states (the shared rules marked)."""
    guards = _guards(flow)
    rows = []
    for state in states:
        for e in state.edges:
            when = spec.OUTCOME_WORDS.get(e.outcome, e.outcome)
            if state.kind == "call" and e.outcome in _EVERY_CALL:
                when += " *(every call)*"
            guard = guards.get(f"{state.name}|{e.outcome}|{e.target}", "")
            rows.append((f"`{state.name}`", when, guard, _where(flow, e.target), "; ".join(_effects(flow, state, e))))
    return _table(("at", "when", "guard", "next", "effect"), rows)


def _step_section(flow: FlowSpec, step: str, title: str, states: list[State], picture: str | None) -> list[str]:
    c = compiled(flow.name)
    lines = [f"### {step} · {title}", ""]
    if picture is not None:
        lines.extend([f"![Step {step} of {flow.name}: its states and every edge leaving them]({picture})", ""])
    lines.extend([f"What can happen at step {step}:", "", *_step_table(flow, states), ""])
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
    return lines


def flow_section(name: str) -> list[str]:
    """The reference of flow ``name``: pictures, decisions, then every step."""
    flow = compiled(name).spec
    lines = [f"## {_flow_heading(flow)}", ""]
    steps: dict[str, list[State]] = {}
    for s in flow.states:
        if not s.terminal:
            steps.setdefault(s.step, []).append(s)
    ends = ", ".join(f"**{s.name}**" for s in flow.states if s.terminal)
    pictures = views(name)
    small = {v.stem for v in mermaid_views(name)}
    first = pictures[1]
    lines.append(f"Steps {', '.join(steps)}; it starts at step {flow.state(flow.initial).step} and ends "
                 f"{ends}.")
    lines.append("")
    lines.extend([f"![{first.title[0]}]({first.stem}.svg)", ""])
    mermaid = ", ".join(f"[{v.stem}.mmd]({v.stem}.mmd)" for v in pictures if v.stem in small)
    lines.append(f"Every state and every edge of the machine, left to right in step order: [{name}.svg]({name}.svg) "
                 f"(source [{name}.dot]({name}.dot)). Mermaid: {mermaid}.")
    lines.append("")
    if flow.notes:
        lines.append("Decisions of this flow (those of every flow: [Decisions](#decisions)):")
        lines.append("")
        lines.extend(f"- {note}" for note in flow.notes)
        lines.append("")
    titles = step_titles(flow)
    per_step = {v.stem.rsplit(".step-", 1)[1]: f"{v.stem}.svg" for v in pictures if v.kind == "step"}
    for step, states in steps.items():
        lines.extend(_step_section(flow, step, titles[step], states, per_step.get(step)))
    return lines


def reference() -> str:
    """The whole Markdown reference, deterministic."""
    lines = [
        "# Flow reference",
        "",
        "Generated by `fsm docs` from the flow definitions (`fsm/flows`), the SDK call catalog "
        "(`fsm/catalog.py`) and the input rules (`fsm/inputs.py`); the pictures by `fsm diagrams` from "
        "the compiled machine. Do not edit: regenerate with `./dev fsm diagrams && ./dev fsm docs` (a test "
        "fails when this directory is stale).",
        "",
        "Flows: " + ", ".join(f"[{f.title}](#{_anchor(_flow_heading(f))})" for f in FLOWS.values()) + ".",
        "",
        "Shared: [Decisions](#decisions) · [How a run ends](#how-a-run-ends-outcomecause) · "
        "[Error codes, step by step](#error-codes-step-by-step) · [Questions](#questions-and-their-rules) · "
        "[Rules for every call and every question](#rules-for-every-call-and-every-question) · "
        "[Dialects](#dialects).",
        "",
        *_decisions_section(),
        *_causes_section(),
        *_codes_section(),
        *_questions_section(),
        *_common_section(),
        *_dialect_section(),
    ]
    for name in FLOWS:
        lines.extend(flow_section(name))
    return "\n".join(lines).rstrip("\n") + "\n"
