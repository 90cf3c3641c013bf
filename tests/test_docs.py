"""The Markdown reference says what the definition says, for every flow, step and state."""

from __future__ import annotations

import pathlib
import re

import pytest

from fsm import docs
from fsm.catalog import DIALECTS
from fsm.flows import FLOWS
from fsm.flows.common import NOTES
from fsm.inputs import PATTERNS, RULES
from fsm.machine import compiled
from fsm.ports.simulator import DEMO_PIN
from fsm.secret import SECRET_NAMES
from fsm.spec import CAUSE_WORDS
from fsm.transcript import STAND_IN
from tests.helpers import at, failed

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAMES = sorted(FLOWS)
TEXT = docs.reference()


def _flow_text(name: str) -> str:
    """The section of flow ``name`` (from its heading to the next flow's)."""
    flow = FLOWS[name]
    start = TEXT.index(f"## {flow.title} (`{name}`)")
    end = TEXT.find("\n## ", start + 1)
    return TEXT[start: end if end > 0 else len(TEXT)]


def _state_text(name: str, state: str) -> str:
    section = _flow_text(name)
    start = section.index(f"#### State `{state}`")
    nxt = re.compile(r"\n#{3,4} ").search(section, start + 1)
    return section[start: nxt.start() if nxt else len(section)]


def test_reference_is_deterministic_and_committed() -> None:
    assert docs.reference() == TEXT
    assert (ROOT / "diagrams" / docs.FILENAME).read_text(encoding="utf-8") == TEXT


@pytest.mark.parametrize("name", NAMES)
def test_every_step_and_state_has_its_section(name: str) -> None:
    section = _flow_text(name)
    for state in FLOWS[name].states:
        if state.terminal:
            continue
        assert f"### {state.step} · " in section
        assert f"#### State `{state.name}`" in section


def _step_rows(name: str, step: str) -> list[list[str]]:
    """The rows of the "What can happen at step" table of ``step``: cells, without the header."""
    section = _flow_text(name)
    start = section.index(f"What can happen at step {step}:")
    lines = section[start:].splitlines()[2:]  # the sentence, a blank line, then the table
    table = lines[:next(i for i, line in enumerate(lines) if not line.startswith("|"))]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in table[2:]]


@pytest.mark.parametrize("name", NAMES)
def test_every_edge_of_a_step_is_a_row_of_what_can_happen_there(name: str) -> None:
    flow = FLOWS[name]
    for step in dict.fromkeys(s.step for s in flow.states if not s.terminal):
        rows = _step_rows(name, step)
        for state in flow.states:
            if state.step == step and not state.terminal:
                assert sum(1 for r in rows if r[0] == f"`{state.name}`") == len(state.edges), (step, state.name)


def _code_rows() -> dict[int, list[str]]:
    start = TEXT.index("## Error codes, step by step")
    table = TEXT[start:TEXT.index("\n## ", start + 1)]
    rows: dict[int, list[str]] = {}
    for line in table.splitlines():
        m = re.match(r"\| ([0-9]{4}) \| [^|]* \| (.*) \|$", line)
        if m:
            rows[int(m[1])] = m[2].split("<br>")
    return rows


def _calls(flow: str) -> list[str]:
    return [s.name for s in FLOWS[flow].states if s.kind == "call"]


def _expand(places: str) -> set[tuple[str, str]]:
    """``enrollment (every call but 8), reset-pin B`` -> {(flow, state)}."""
    found: set[tuple[str, str]] = set()
    flow = ""
    but: list[str] | None = None
    for part in places.split(", "):
        token = part
        head, _, rest = part.partition(" ")
        if head in FLOWS:
            flow, token = head, rest
            if token == "(every call)":
                found |= {(flow, c) for c in _calls(flow)}
                continue
            if token.startswith("(every call but "):
                but, token = [], token[len("(every call but "):]
        if but is not None:
            but.append(token.rstrip(")"))
            if token.endswith(")"):
                found |= {(flow, c) for c in _calls(flow) if c not in but}
                but = None
            continue
        found.add((flow, token))
    return found


def test_every_error_code_a_step_reads_is_in_the_code_table_as_the_machine_takes_it() -> None:
    """Each (flow, call, code) is said once, and the state it names first is where the machine goes."""
    rows = _code_rows()
    assert {2306, 2010, 2305, 2317, 2201, 2390, 2302, 2315, 2308} <= set(rows)  # 2306 and 2010 were missing
    for code, parts in rows.items():
        said: dict[tuple[str, str], str] = {}
        for part in parts:
            places, _, reading = part.partition(": ")
            for place in _expand(places):
                assert place not in said, (code, place)
                said[place] = reading
        for (name, state), reading in said.items():
            flow = at(name, state)
            flow.receive(failed(code))
            first = reading.split(" → ", 1)[1].split(";")[0].split(" [")[0]
            expected = "the same call again" if flow.state == state else docs._where(FLOWS[name], flow.state)
            assert first == expected, (code, name, state, reading)
    # Every code the reference lists for a call, or a step maps, is in the table.
    for name in NAMES:
        c = compiled(name)
        for s in c.spec.states:
            if s.kind == "call":
                assert set(c.entries[s.name].errors) | set(s.errors) <= set(rows), (name, s.name)


#: How each cause ends a run (the protocol, written out).
CAUSE_ENDS = {
    "activated": "enrolled",
    "invalid_answers_exhausted": "cancelled",
    "cancelled_by_person": "cancelled",
}


def test_every_cause_has_its_words_its_end_and_where_it_happens() -> None:
    start = TEXT.index("## How a run ends: `Outcome.cause`")
    table = TEXT[start:TEXT.index("\n## ", start + 1)]
    for cause, words in CAUSE_WORDS.items():
        row = next((line for line in table.splitlines() if line.startswith(f"| `{cause}` |")), None)
        assert row is not None, cause
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[1] == f"**{CAUSE_ENDS.get(cause, 'failed')}**"
        assert cells[2] == words
        flows_with = [n for n in NAMES if any(e.cause == cause for s in FLOWS[n].states for e in s.edges)]
        for name in flows_with:
            assert name in cells[4], (cause, name)


def test_each_question_has_its_rule_its_pattern_and_where_it_is_asked() -> None:
    start = TEXT.index("## Questions and their rules")
    table = TEXT[start:TEXT.index("\n## ", start + 1)]
    for name, rule in RULES.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
        assert rule in row and PATTERNS[name].pattern in row
        assert ("| yes |" in row) == (name in SECRET_NAMES)
        for flow in FLOWS.values():
            for s in flow.states:
                if s.kind == "question" and s.ask == name:
                    assert f"{flow.name} step {s.step}" in row
    assert "PIN submissions: `max_pin_attempts` (default 3)" in table  # the bound of a PIN asked again


def test_the_decisions_are_in_the_reference_with_their_reasons() -> None:
    start = TEXT.index("## Decisions")
    section = TEXT[start:TEXT.index("\n## ", start + 1)]
    for note in NOTES:
        assert f"- {note}" in section
    # The decisions the protocol resolved, each found in the words of a note (the content of the old
    # PROTOCOL.md "Resolved ambiguities" and the README's decisions, now in the repository).
    for words in ("Unknown is not a blocked signal", "FAILED 2307 all mean", "sent on iOS only",
                  "get smscode {type: resetPIN}", "needs an active enrollment", "without asking for a PIN",
                  "(2306 at step 6) counts as a refused code", "(0000, 1234, 9876) is refused",
                  "counts when its call is made", "Asking again is its own state", "never guessed into a success",
                  "An answer that leads nowhere"):
        assert words.lower() in TEXT.lower(), words


def test_the_reference_points_at_nothing_outside_the_repository() -> None:
    for outside in ("PROTOCOL.md", "RELIABILITY.md", "DESIGN.md", "../"):
        assert outside not in TEXT
    for target in re.findall(r"\]\(([^)#]+)\)", TEXT):
        assert (ROOT / "diagrams" / target).exists(), target


@pytest.mark.parametrize("name", NAMES)
def test_calls_show_api_op_and_every_parameter(name: str) -> None:
    c = compiled(name)
    for state in c.spec.states:
        if state.kind != "call":
            continue
        entry = c.entries[state.name]
        text = _state_text(name, state.name)
        assert f"`{entry.op} {entry.api} " in text
        for p in entry.params:
            assert f"| `{p.name}` |" in text


@pytest.mark.parametrize("name", NAMES)
def test_questions_show_the_validation_rule(name: str) -> None:
    for state in FLOWS[name].states:
        if state.kind == "question":
            assert state.ask is not None
            assert RULES[state.ask] in _state_text(name, state.name)


@pytest.mark.parametrize("name", NAMES)
def test_notes_and_pictures_are_in_the_flow_section(name: str) -> None:
    section = _flow_text(name)
    for note in FLOWS[name].notes:
        assert note in section
    assert f"]({name}.svg)" in section


def test_error_codes_are_read_as_the_step_reads_them() -> None:
    text = _state_text("enrollment", "8")
    assert "2010, 2101, 2102" in text.split("→ FAILED (PIN rejected)")[0]
    assert "2201, 2202, 2204 → transient" in text
    assert "2317 → FAILED 2317" in text
    assert "`max_pin_attempts` (default 3)" in text


def test_dialect_table_lists_every_dialect_only_parameter() -> None:
    rows = set()
    for name in NAMES:
        c = compiled(name)
        for state in c.spec.states:
            if state.kind == "call":
                for p in c.entries[state.name].params:
                    if p.dialects != frozenset(DIALECTS):
                        rows.add((name, state.step, p.name, ",".join(sorted(p.dialects))))
    start = TEXT.index("## Dialects")
    table = TEXT[start:TEXT.index("\n## ", start + 1)]
    found = set()
    for line in table.splitlines():
        m = re.match(r"\| (\S+) step (\S+) \| [^|]+ \| (\w+)[^|]* \| ([\w, ]+) \|", line)
        if m:
            found.add((m[1], m[2], m[3], m[4].replace(", ", ",")))
    assert found == rows
    assert rows  # the catalog has dialect differences (PROTOCOL.md, "Dialects")


def test_no_secret_in_the_reference() -> None:
    for value in {DEMO_PIN, *STAND_IN.values()}:
        assert value not in TEXT
