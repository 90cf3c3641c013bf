"""The JSON export (``fsm export``): committed and fresh, valid against its own JSON Schema, and complete.

That the export is complete enough to run is proved in ``js/``: an XState machine built from nothing but
these documents replays every ``fsm paths`` transcript with the same calls, questions and ends.
"""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import attrs
import jsonschema
import pytest

from fsm import spec
from fsm.cli import main
from fsm.export import SCHEMA, document, generate
from fsm.flows import FLOWS
from fsm.flows.enrollment import ENROLLMENT
from fsm.inputs import PATTERNS, broken_pin_rule, valid
from fsm.machine import compiled

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "export"
NAMES = sorted(FLOWS)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_committed_export_is_fresh() -> None:
    """A flow edited without running `fsm export` fails here."""
    files = generate()
    assert sorted(p.name for p in COMMITTED.iterdir()) == sorted(files)
    for name, text in files.items():
        assert (COMMITTED / name).read_text(encoding="utf-8") == text, (
            f"export/{name} is stale: run `fsm export` and commit export/")


def test_an_edited_flow_changes_its_document() -> None:
    """The freshness test above can fail: one edge's target changed is a different document."""
    state = ENROLLMENT.state("A")
    edited = attrs.evolve(state, edges=(attrs.evolve(state.edges[0], target="5"), *state.edges[1:]))
    flow = attrs.evolve(ENROLLMENT, states=tuple(edited if s.name == "A" else s for s in ENROLLMENT.states))
    assert document(flow) != document(ENROLLMENT)


def test_the_schema_is_json_schema_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json.loads((COMMITTED / "schema.json").read_text(encoding="utf-8")) == SCHEMA


@pytest.mark.parametrize("name", NAMES)
def test_every_document_is_valid(name: str) -> None:
    committed = json.loads((COMMITTED / f"{name}.json").read_text(encoding="utf-8"))
    assert list(VALIDATOR.iter_errors(committed)) == []


def _edit(doc: dict[str, Any], path: tuple[Any, ...], value: object) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_DELETE = object()


@pytest.mark.parametrize(("path", "value"), [
    (("version",), 2),
    (("format",), "other"),
    (("extra",), 1),
    (("states", 0, "kind"), "wait"),
    (("states", 0, "edges", 0, "guard"), {"kind": "maybe", "counter": "x"}),
    (("states", 0, "edges", 0, "unknown"), True),
    (("states", 0, "edges", 0, "target"), _DELETE),
    (("states", 0, "call"), None),
    (("counters", 0, "bound"), {"option": "max_pin_attempts", "constant": 3}),
    (("calls", "is_device_activated", "op"), "put"),
    (("calls", "is_device_activated", "parameters", "tutorial", "android", 0), {"name": "x"}),
    (("options", "fields", 0, "type"), "float"),
    (("snapshot", "resume_state"), []),
])
def test_the_schema_refuses_a_document_that_strays(path: tuple[Any, ...], value: object) -> None:
    """The schema is strict: a key it does not describe, a wrong kind or a missing field is an error."""
    doc = document("enrollment")
    assert list(VALIDATOR.iter_errors(doc)) == []
    assert list(VALIDATOR.iter_errors(_edit(doc, path, value))) != []


@pytest.mark.parametrize("name", NAMES)
def test_the_edges_are_the_machines_transitions(name: str) -> None:
    """Every transition of the compiled transitions machine is an edge of the document, in order per state."""
    doc = document(name)
    machine = compiled(name).machine
    drawn = [(s["name"], e["outcome"], e["target"]) for s in doc["states"] for e in s["edges"]]
    assert len(drawn) == len(set(drawn))
    assert set(drawn) == {(src, trigger, str(t.dest)) for trigger, event in machine.events.items()
                          for src, ts in event.transitions.items() for t in ts}
    assert [s["name"] for s in doc["states"]] == list(machine.states)


def test_counting_effects_are_written_out() -> None:
    """PROTOCOL.md: a PIN submission counts when it is sent (every edge into step 8 from elsewhere adds one), a
    transient retry counts on its own edge and every other edge puts the retry count back to 0."""
    states = {s["name"]: s for s in document("enrollment")["states"]}
    into_8 = [e for s in states.values() for e in s["edges"] if e["target"] == "8" and s["name"] != "8"]
    assert into_8 and all("pin_attempts" in e["add"] for e in into_8)
    retry = next(e for e in states["8"]["edges"] if e["outcome"] == spec.TRANSIENT and e["target"] == "8")
    assert retry["add"] == ["transient_retries"] and retry["guard"] == {"kind": "below", "counter": "transient_retries"}
    assert "transient_retries" not in retry["reset"]
    assert all("transient_retries" in e["reset"] for e in states["8"]["edges"] if e["outcome"] != spec.TRANSIENT)
    shortcut = next(e for e in states["3"]["edges"] if e["guard"] and e["guard"]["kind"] == "flag")
    assert shortcut["target"] == "4.1:phoneNumber"
    assert document("enrollment")["options"]["flags"][shortcut["guard"]["name"]] == {
        "method": "auto", "sdk_at_least": [2, 1, 0]}


def test_secret_parameters_are_marked() -> None:
    """Every parameter filled from a PIN, SMS code or OTP slot is marked secret; the phone number and VIN not."""
    for name in NAMES:
        for entry in document(name)["calls"].values():
            for dialects in entry["parameters"].values():
                for params in dialects.values():
                    for p in params:
                        if "slot" in p:
                            assert p["secret"] == (p["name"] not in {"phoneNumber", "vin"}), (name, p)


def test_resume_table_covers_every_state_dialect_and_platform() -> None:
    for name in NAMES:
        doc = document(name)
        states = {s["name"] for s in doc["states"]}
        for per_platform in doc["snapshot"]["resume_state"].values():
            for table in per_platform.values():
                assert set(table) == states and set(table.values()) <= states


@pytest.mark.parametrize(("pin", "rule"), [
    ("0000", "repeated_digit"), ("77777777", "repeated_digit"), ("1234", "straight_run"), ("3456789", "straight_run"),
    ("9876", "straight_run"), ("6543", "straight_run"), ("2468", None), ("1357", None), ("0987", None),
    ("1233", None), ("402718", None), ("9012", None),
])
def test_new_pin_rules_are_named_data(pin: str, rule: str | None) -> None:
    """RELIABILITY.md D8 / NIST 800-63B: one digit repeated or a run up or down is refused as a new PIN, by name."""
    found = broken_pin_rule(pin)
    assert (found.name if found else None) == rule
    assert valid("newPIN", pin, new_pin=True) == (rule is None)
    assert valid("pinCode", pin)  # an existing PIN is never judged by these rules


def test_the_patterns_read_the_same_in_javascript() -> None:
    """The patterns use only what JavaScript's RegExp reads alike (classes, ranges, counts, an escaped +)."""
    for name, pattern in PATTERNS.items():
        assert set(pattern.pattern) <= set("[]{}0123456789-,+?\\ABCDEFGHIJKLMNOPQRSTUVWXYZ"), name


def test_cli_writes_the_flows_asked_and_the_schema(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "reset-pin", "update-pin", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["reset-pin.json", "schema.json", "update-pin.json"]
    assert json.loads((tmp_path / "out" / "reset-pin.json").read_text(encoding="utf-8")) == document("reset-pin")
    assert "wrote 3 files" in capsys.readouterr().out


def test_cli_refuses_an_unknown_flow_or_a_file_as_out(tmp_path: pathlib.Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "enrolment", "--out", str(tmp_path)]) == 2
    assert "unknown flow 'enrolment'" in capsys.readouterr().err
    afile = tmp_path / "file"
    afile.write_text("x", encoding="utf-8")
    assert main(["export", "--out", str(afile)]) == 2
    assert "a directory is wanted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [afile]
