"""The Markdown reference says what the definition says, for every flow, step and state."""

from __future__ import annotations

import pathlib
import re

import pytest

from fsm import docs
from fsm.catalog import DIALECTS
from fsm.flows import FLOWS
from fsm.inputs import RULES
from fsm.machine import compiled
from fsm.ports.simulator import DEMO_PIN
from fsm.transcript import STAND_IN

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


@pytest.mark.parametrize("name", NAMES)
def test_every_outcome_of_every_state_is_a_row(name: str) -> None:
    for state in FLOWS[name].states:
        if state.terminal:
            continue
        rows = [line for line in _state_text(name, state.name).splitlines() if line.startswith("| ")]
        assert len(rows) - 1 == len(state.edges)  # the header row, then one row per edge


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
