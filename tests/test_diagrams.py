"""The pictures are the machine: every edge drawn is a transition, every transition is drawn."""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsm import diagrams, spec
from fsm.cli import diagrams as cli_diagrams
from fsm.cli import docs as cli_docs
from fsm.executor import run
from fsm.flows import FLOWS, common
from fsm.flows.enrollment import TO_A
from fsm.machine import TraceEntry, compiled
from fsm.messages import CANCEL, Answer
from fsm.options import make_options
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import DEMO_PIN, PRESETS, Simulator
from fsm.spec import Edge
from fsm.transcript import STAND_IN, Recorder, Transcript

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "diagrams"
NAMES = sorted(FLOWS)
Triple = tuple[str, str, str]

_DOT_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[id="([^"]+)"')
_MMD_EDGE = re.compile(r"^\s*(\S+) --> (\S+) : ")
_MMD_COMMENT = re.compile(r"^\s*%% edge (\S+)$")


def machine_triples(name: str) -> set[Triple]:
    """(source, outcome, target) of every transition of the compiled transitions.Machine."""
    machine = compiled(name).machine
    return {
        (source, trigger, str(t.dest))
        for trigger, event in machine.events.items()
        for source, transitions in event.transitions.items()
        for t in transitions
    }


def _split(edge_id: str) -> Triple:
    source, outcome, target = edge_id.split("|")
    return source, outcome, target


def dot_triples(text: str) -> set[Triple]:
    """The edges drawn in a DOT file, read from its edge lines (endpoints and id must agree)."""
    found: set[Triple] = set()
    for line in text.splitlines():
        if "->" not in line:
            continue
        m = _DOT_EDGE.match(line)
        assert m is not None, f"an edge line the test cannot read: {line}"
        triple = _split(m[3])
        assert (triple[0], triple[2]) == (m[1], m[2]), f"edge id {m[3]} drawn between {m[1]} and {m[2]}"
        found.add(triple)
    return found


def mermaid_triples(text: str) -> set[Triple]:
    """The transitions of a Mermaid file; each is named by the ``%% edge`` comment above it."""
    found: set[Triple] = set()
    names: dict[str, str] = {}
    pending: Triple | None = None
    for line in text.splitlines():
        c = _MMD_COMMENT.match(line)
        if c is not None:
            pending = _split(c[1])
            continue
        m = _MMD_EDGE.match(line)
        if m is not None:
            assert pending is not None, f"a transition with no edge comment: {line}"
            for mid, name in ((m[1], pending[0]), (m[2], pending[2])):
                assert names.setdefault(mid, name) == name, f"{mid} drawn as {names[mid]} and {name}"
            found.add(pending)
        pending = None
    assert len(set(names.values())) == len(names), "two Mermaid ids for one state"
    return found


# -- what is drawn is what runs ------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_dot_edges_are_the_machine_transitions(name: str) -> None:
    assert dot_triples(diagrams.to_dot(name)) == machine_triples(name)


@pytest.mark.parametrize("name", NAMES)
def test_mermaid_edges_are_the_machine_transitions(name: str) -> None:
    assert mermaid_triples(diagrams.to_mermaid(name)) == machine_triples(name)


@pytest.mark.parametrize("name", NAMES)
def test_committed_pictures_are_the_machine_transitions(name: str) -> None:
    assert dot_triples((COMMITTED / f"{name}.dot").read_text(encoding="utf-8")) == machine_triples(name)
    assert mermaid_triples((COMMITTED / f"{name}.mmd").read_text(encoding="utf-8")) == machine_triples(name)


def test_an_edge_missing_from_the_picture_or_only_in_it_is_seen() -> None:
    text = diagrams.to_dot("enrollment")
    lines = text.splitlines()
    edge = next(i for i, line in enumerate(lines) if '"8" -> "enrolled"' in line)
    missing = "\n".join(lines[:edge] + lines[edge + 1:])
    assert dot_triples(missing) != machine_triples("enrollment")
    extra = text.replace("}\n", '  "1" -> "A" [id="1|blocked|A"];\n}\n')
    assert dot_triples(extra) != machine_triples("enrollment")
    mmd = diagrams.to_mermaid("enrollment").replace("%% edge 8|succeeded|enrolled", "%% edge 8|succeeded|failed")
    with pytest.raises(AssertionError):
        mermaid_triples(mmd)


def test_every_step_of_the_tutorial_is_visible() -> None:
    shown: set[str] = set()
    for name in NAMES:
        for label in re.findall(r'label="([^"]*)"', diagrams.to_dot(name)):
            step = re.match(r"([0-9.]+|[A-E]) · ", label)
            if step:
                shown.add(step[1])
    assert {"1", "2", "3", "4.1", "4.2", "5", "6", "7", "8", "A", "B", "C", "D", "E"} <= shown


def test_states_show_step_title_and_call() -> None:
    dot = diagrams.to_dot("enrollment")
    assert ('"8" [id="8", label="8 · Request device enrollment & validate PIN\\nset pims.authentication.enrollment'
            '\\n{action: enroll, pinCode, smsCode (iOS)}') in dot
    assert "type: addPhoneNumber (tutorial), action: addPhoneNumber (reference)" in dot
    assert "status AlreadyEnrolled\\n[pin attempts left]" in dot
    assert 'id="3|no_phone|4.2:phoneNumber", label="no phone number (null, empty or FAILED 2307)\\n[else]"' in dot
    assert "[shortcut allowed]" in dot
    assert 'subgraph "cluster_4.1"' in dot and 'subgraph "cluster_4.2"' in dot
    assert "DESTRUCTIVE" in dot


def test_output_is_deterministic() -> None:
    assert diagrams.generate(svg=False) == diagrams.generate(svg=False)


# -- the overview: each step's own edges, the shared rules in words ------------------------

_DOT_NODE = re.compile(r'^\s*"([^"]+)" \[id="([^"]+)"')


def dot_nodes(text: str) -> set[str]:
    """The nodes of a DOT file (their ids and names must agree)."""
    found: set[str] = set()
    for line in text.splitlines():
        m = _DOT_NODE.match(line)
        if m is not None and "->" not in line:
            assert m[1] == m[2], f"node {m[1]} has id {m[2]}"
            found.add(m[1])
    return found


def shared_triples(name: str) -> set[Triple]:
    return {_split(i) for i in diagrams.shared_edges(FLOWS[name])}


@pytest.mark.parametrize("name", NAMES)
def test_overview_edges_are_the_machine_edges_but_the_shared_ones(name: str) -> None:
    expected = machine_triples(name) - shared_triples(name)
    assert dot_triples(diagrams.to_overview_dot(name)) == expected
    committed = (COMMITTED / f"{name}.overview.dot").read_text(encoding="utf-8")
    assert dot_triples(committed) == expected


@pytest.mark.parametrize("name", NAMES)
def test_overview_draws_every_state(name: str) -> None:
    states = {s.name for s in FLOWS[name].states}
    assert dot_nodes(diagrams.to_overview_dot(name)) == states
    assert dot_nodes(diagrams.to_dot(name)) == states


@pytest.mark.parametrize("name", NAMES)
def test_the_shared_edges_are_the_common_rules_and_only_them(name: str) -> None:
    shared = shared_triples(name)
    assert shared <= machine_triples(name)
    # Only outcomes fsm/flows/common.py adds to every call or question are shared ...
    assert {o for _, o, _ in shared} <= diagrams.QUIET
    # ... and every edge for another outcome is drawn in the overview.
    drawn = dot_triples(diagrams.to_overview_dot(name))
    assert {t for t in machine_triples(name) if t[1] not in diagrams.QUIET} <= drawn
    # Every call retries a transient failure itself, every question asks again after an invalid answer.
    for s in FLOWS[name].states:
        if s.kind == "call":
            assert (s.name, spec.TRANSIENT, s.name) in shared
        if s.kind == "question":
            assert (s.name, spec.INVALID, s.name) in shared and (s.name, spec.CANCEL, spec.CANCELLED) in shared


def test_a_steps_own_handling_of_a_shared_outcome_is_drawn() -> None:
    shared = shared_triples("enrollment")
    # 2317 leads to A from every call of the enrollment: the flow's rule, summarised ...
    assert ("8", spec.ERROR_2317, "A") in shared and ("8", spec.ERROR_2317, spec.FAILED) in shared
    # ... but A itself ends the run on 2317, its own handling, drawn.
    assert ("A", spec.ERROR_2317, spec.FAILED) not in shared
    assert ("A", spec.ERROR_2317, spec.FAILED) in dot_triples(diagrams.to_overview_dot("enrollment"))
    # Step 8 takes an input error or another code as a refused PIN: not the rule, drawn.
    assert not any(t[0] == "8" and t[1] == spec.UNEXPECTED_ERROR for t in shared)
    assert ("8", "pin_rejected", "8:pinCode") in dot_triples(diagrams.to_overview_dot("enrollment"))


def test_a_step_that_handles_a_transient_failure_itself_keeps_its_edge() -> None:
    flow = FLOWS["enrollment"]
    own = common.call("5", "5", "Request enrollment SMS code", "sms_enrollment",
                      [Edge(outcome=spec.SUCCEEDED, target="6:smsCode"),
                       common.fail(spec.TRANSIENT, "port_error")], on_2317=TO_A)
    changed = attrs.evolve(flow, states=tuple(own if s.name == "5" else s for s in flow.states))
    assert "5|transient|failed" in diagrams.shared_edges(flow)
    assert "5|transient|failed" not in diagrams.shared_edges(changed)
    assert "5|transient|5" not in diagrams.shared_edges(changed)
    assert "6|transient|6" in diagrams.shared_edges(changed)
    assert diagrams.shared_edges(changed) == diagrams.shared_edges(flow) - {"5|transient|5", "5|transient|failed"}


@pytest.mark.parametrize("name", NAMES)
def test_overview_says_the_shared_rules_in_the_words_of_the_spec(name: str) -> None:
    flow = FLOWS[name]
    text = " ".join(diagrams.rules_lines(flow))
    for outcome in {o for _, o, _ in shared_triples(name)}:
        assert spec.OUTCOME_WORDS[outcome] in text
    assert "max_transient_retries (default 2)" in text
    assert ("max_code_attempts (default 3)" in text) == any(s.kind == "question" for s in flow.states)
    title = re.search(r'label="([^"]*)"', diagrams.to_overview_dot(name))
    assert title is not None and title[1].startswith(flow.title)
    for line in diagrams.rules_lines(flow):
        assert line.split()[0] in title[1]


def test_the_enrollment_overview_summarises_2317_as_a_pass_through_A() -> None:
    lines = diagrams.rules_lines(FLOWS["enrollment"])
    assert f"  {spec.OUTCOME_WORDS[spec.ERROR_2317]} → A, at most max_restarts (default 1) times, then failed" in lines
    assert any(line.startswith("  " + spec.OUTCOME_WORDS[spec.INVALID]) and line.endswith("then cancelled")
               for line in lines)
    other = diagrams.rules_lines(FLOWS["update-pin"])
    assert not any("→ A" in line for line in other)


def test_overview_is_deterministic_and_smaller() -> None:
    for name in NAMES:
        assert diagrams.to_overview_dot(name) == diagrams.to_overview_dot(name)
    full = len(machine_triples("enrollment"))
    assert len(dot_triples(diagrams.to_overview_dot("enrollment"))) < full // 3


# -- committed and fresh ---------------------------------------------------------------


def _cli(module: object, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    module.add(parser.add_subparsers())  # type: ignore[attr-defined]  # a fsm.cli subcommand module
    args = parser.parse_args(list(argv))
    code: int = args.func(args)
    return code


def _svg_version(text: str) -> str | None:
    m = re.search(r"<!-- Generated by graphviz version ([^ ]+)", text)
    return m[1] if m else None


def _require_graphviz() -> str:
    """Graphviz's version; the tests that render need it (CI installs it: apt-get install graphviz)."""
    version = diagrams.graphviz_version()
    assert version is not None, "Graphviz `dot` is not on PATH: install it (apt-get install graphviz)"
    fc = shutil.which("fc-match")
    assert fc is not None, "fontconfig's fc-match is missing (it comes with Graphviz)"
    found = subprocess.run([fc, diagrams.FONT], capture_output=True, text=True, check=False).stdout
    assert diagrams.FONT in found, f"the font {diagrams.FONT!r} is not installed (apt-get install fonts-dejavu-core)"
    return version


_SVG_WORDS = re.compile(r'<(g|title|text)\b([^>]*)>([^<]*)')
_SVG_KEEP = re.compile(r'\b(id|class|font-family|font-size|fill|stroke)="[^"]*"')


def svg_content(svg: str) -> list[str]:
    """What an SVG says, without where it says it: its groups (ids, classes), titles and texts, in order.

    Two versions of Graphviz place things a little differently; they draw the same content.
    """
    return [f"{tag} {' '.join(m[0] for m in _SVG_KEEP.finditer(attrs))} {text}"
            for tag, attrs, text in _SVG_WORDS.findall(svg)]


def test_committed_diagrams_are_fresh(tmp_path: pathlib.Path) -> None:
    version = _require_graphviz()
    assert _cli(cli_diagrams, "diagrams", "--out", str(tmp_path)) == 0
    assert _cli(cli_docs, "docs", "--out", str(tmp_path)) == 0
    committed = {p.name for p in COMMITTED.iterdir()}
    assert committed == {p.name for p in tmp_path.iterdir()}, "diagrams/ is not what fsm diagrams/docs write"
    drawn = {_svg_version((COMMITTED / n).read_text(encoding="utf-8")) for n in committed if n.endswith(".svg")}
    assert len(drawn) == 1 and None not in drawn, "the committed SVGs were not all drawn by one Graphviz"
    same_graphviz = str(next(iter(drawn))) in version
    for name in sorted(committed):
        fresh, kept = (tmp_path / name).read_bytes(), (COMMITTED / name).read_bytes()
        stale = f"diagrams/{name} is stale: run `./dev fsm diagrams && ./dev fsm docs` and commit diagrams/"
        if name.endswith(".svg") and not same_graphviz:
            # Another Graphviz places things differently: compare what the picture says.
            assert svg_content(fresh.decode()) == svg_content(kept.decode()), stale
        else:
            assert fresh == kept, stale


@pytest.mark.parametrize("kind", ["", ".overview"])
@pytest.mark.parametrize("name", NAMES)
def test_every_dot_renders_without_warnings(name: str, kind: str) -> None:
    _require_graphviz()
    exe = shutil.which("dot")
    assert exe is not None
    done = subprocess.run([exe, "-Tsvg", str(COMMITTED / f"{name}{kind}.dot")], capture_output=True,
                          check=False)
    assert done.returncode == 0
    assert done.stderr == b""
    assert done.stdout.startswith(b"<?xml")


def test_without_dot_dot_and_mermaid_are_still_written(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    assert _cli(cli_diagrams, "diagrams", "--out", str(tmp_path)) == 0
    assert {p.suffix for p in tmp_path.iterdir()} == {".dot", ".mmd"}
    out = capsys.readouterr().out.splitlines()
    hints = [line for line in out if "apt-get install graphviz" in line]
    assert len(hints) == 1


def test_the_cli_knows_the_subcommands() -> None:
    import fsm.cli

    assert {"diagrams", "docs"} <= set(fsm.cli.SUBCOMMANDS)


# -- no secret ----------------------------------------------------------------------


def _secret_values() -> set[str]:
    return {DEMO_PIN, *STAND_IN.values()}


def test_generated_files_hold_no_secret() -> None:
    for path in sorted(COMMITTED.iterdir()):
        text = path.read_text(encoding="utf-8")
        for value in _secret_values():
            assert value not in text, f"{path.name} holds a secret stand-in value"


# -- a run drawn on the diagram -----------------------------------------------------------


def _enroll(preset: str = "existing-pin") -> tuple[TraceEntry, ...]:
    sim = Simulator(preset)
    outcome = run("enrollment", port=sim, person=DemoPerson(sim), sleep=lambda _: None)
    assert outcome.ok
    return outcome.trace


def _highlighted(dot: str) -> dict[int, Triple]:
    """Step number -> edge, read from the labels of the taken edges (``#1, #4  words``)."""
    order: dict[int, Triple] = {}
    for line in dot.splitlines():
        m = _DOT_EDGE.match(line)
        if m is None:
            continue
        label = re.search(r'label="(#[0-9, #]+)  ', line)
        if label:
            for n in re.findall(r"#([0-9]+)", label[1]):
                assert int(n) not in order
                order[int(n)] = _split(m[3])
    return order


def test_draw_run_numbers_the_edges_taken_in_order() -> None:
    trace = _enroll()
    dot = diagrams.draw_run("enrollment", trace, make_options())
    order = _highlighted(dot)
    assert order == {i: (t.state, t.outcome, t.target) for i, t in enumerate(trace, start=1)}
    assert dot_triples(dot) == machine_triples("enrollment")
    for t in trace:
        assert re.search(rf'^\s*"{re.escape(t.target)}" \[.*penwidth="3"', dot, re.M)


def test_draw_run_shows_the_parameters_of_the_run_options() -> None:
    trace = _enroll()
    ios = diagrams.draw_run("enrollment", trace, make_options(platform="ios"))
    android = diagrams.draw_run("enrollment", trace, make_options(platform="android"))
    assert "{action: enroll, pinCode, smsCode}" in ios
    assert "{action: enroll, pinCode}" in android


def test_draw_run_refuses_an_edge_the_machine_lacks() -> None:
    bogus = TraceEntry(step="1", state="1", kind="call", name="x", op="get", parameters={},
                       outcome="activated", target="failed")
    with pytest.raises(ValueError, match="does not have"):
        diagrams.draw_run("enrollment", [bogus])


def test_a_saved_transcript_is_drawn(tmp_path: pathlib.Path) -> None:
    sim = Simulator("existing-pin")
    outcome, transcript = Recorder(sim, DemoPerson(sim)).run("enrollment")
    path = tmp_path / "run.json"
    path.write_text(transcript.dumps(), encoding="utf-8")
    loaded = Transcript.loads(path.read_text(encoding="utf-8"))
    dot = diagrams.draw_run("enrollment", loaded)
    assert _highlighted(dot) == {i: (t.state, t.outcome, t.target) for i, t in enumerate(outcome.trace, start=1)}
    out = tmp_path / "run.dot"
    assert _cli(cli_diagrams, "diagrams", "--transcript", str(path), "--draw", str(out)) == 0
    assert out.read_text(encoding="utf-8") == dot
    for value in _secret_values():
        assert value not in dot


def test_a_saved_transcript_is_drawn_as_svg(tmp_path: pathlib.Path) -> None:
    _require_graphviz()
    sim = Simulator("new")
    _, transcript = Recorder(sim, DemoPerson(sim)).run("enrollment", platform="ios")
    path = tmp_path / "run.json"
    path.write_text(transcript.dumps(), encoding="utf-8")
    out = tmp_path / "run.svg"
    assert _cli(cli_diagrams, "diagrams", "--transcript", str(path), "--draw", str(out)) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "#1" in svg


def test_render_run_writes_svg_or_says_why_not(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator("existing-pin")
    outcome = run("enrollment", port=sim, person=DemoPerson(sim), sleep=lambda _: None)
    options = make_options()
    _require_graphviz()
    assert diagrams.render_run(outcome, options, tmp_path / "a.svg") is None
    assert (tmp_path / "a.svg").read_text(encoding="utf-8").startswith("<?xml")
    monkeypatch.setattr(shutil, "which", lambda _: None)
    note = diagrams.render_run(outcome, options, tmp_path / "b.svg")
    assert note is not None and "\n" not in note and "apt-get install graphviz" in note
    assert not (tmp_path / "b.svg").exists()
    dot = (tmp_path / "b.dot").read_text(encoding="utf-8")
    assert _highlighted(dot) == {i: (t.state, t.outcome, t.target) for i, t in enumerate(outcome.trace, start=1)}
    assert DEMO_PIN not in dot


def test_a_failed_run_is_drawn_to_its_end() -> None:
    sim = Simulator("existing-pin")
    outcome = run("enrollment", port=sim, person=DemoPerson(sim, pin="135792"), sleep=lambda _: None)
    assert outcome.state == "failed"
    dot = diagrams.draw_run("enrollment", outcome)
    order = _highlighted(dot)
    assert order == {i: (t.state, t.outcome, t.target) for i, t in enumerate(outcome.trace, start=1)}
    assert order[len(order)][2] == "failed"
    last = next(line for line in dot.splitlines() if f'id="{"|".join(order[len(order)])}"' in line)
    assert 'label="#' in last and "FAILED" in last


@settings(max_examples=40, deadline=None)
@given(
    flow=st.sampled_from(NAMES),
    preset=st.sampled_from(sorted(PRESETS)),
    platform=st.sampled_from(["android", "ios"]),
    wrong=st.lists(st.sampled_from(["135792", "1", "+33612345678", "CANCEL"]), max_size=4),
)
def test_any_run_is_drawn_edge_for_edge(flow: str, preset: str, platform: str, wrong: list[str]) -> None:
    sim = Simulator(preset)
    answers: list[Answer] = [CANCEL if w == "CANCEL" else w for w in wrong]
    person = DemoPerson(sim, overrides={"pinCode": answers, "smsCode": list(answers)})
    outcome = run(flow, port=sim, person=person, sleep=lambda _: None, platform=platform)
    dot = diagrams.draw_run(flow, outcome, make_options(platform=platform))
    assert _highlighted(dot) == {i: (t.state, t.outcome, t.target) for i, t in enumerate(outcome.trace, start=1)}
    assert dot_triples(dot) == machine_triples(flow)


def test_a_transcript_that_does_not_replay_is_not_drawn(tmp_path: pathlib.Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    empty = Transcript(flow="enrollment", events=[])
    with pytest.raises(ValueError, match="does not replay"):
        diagrams.draw_run("enrollment", empty)
    path = tmp_path / "empty.json"
    path.write_text(empty.dumps(), encoding="utf-8")
    assert _cli(cli_diagrams, "diagrams", "--transcript", str(path), "--draw", str(tmp_path / "x.dot")) == 1
    assert "does not replay" in capsys.readouterr().err
    assert not (tmp_path / "x.dot").exists()
