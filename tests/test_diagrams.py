"""The pictures are the machine: every edge drawn is a transition, every transition is drawn."""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys

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
from tests import drawing

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "diagrams"
NAMES = sorted(FLOWS)
Triple = tuple[str, str, str]

_DOT_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[id="([^"]+)"')
_MMD_EDGE = re.compile(r"^\s*(\S+) --> (\S+)(?: : |$)")
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


def state_of(box: str) -> str:
    """The state a box stands for: itself, or the end it is a copy of (``failed#8`` -> ``failed``)."""
    return box.split(diagrams.COPY, maxsplit=1)[0]


def dot_links(text: str) -> list[tuple[str, str, tuple[Triple, ...]]]:
    """The arrows of a DOT file: (tail box, head box, the machine edges its id names); layout hints skipped."""
    found = []
    for line in text.splitlines():
        if "->" not in line:
            continue
        if 'style="invis"' in line and "id=" not in line:
            continue  # an invisible arrow that only places a box: it draws nothing
        m = _DOT_EDGE.match(line)
        assert m is not None, f"an edge line the test cannot read: {line}"
        found.append((m[1], m[2], tuple(_split(i) for i in m[3].split("+"))))
    return found


def dot_triples(text: str) -> set[Triple]:
    """The edges drawn in a DOT file (each arrow's endpoints are the boxes of its edges' states)."""
    found: set[Triple] = set()
    for tail, head, triples in dot_links(text):
        for triple in triples:
            if not tail.startswith("any "):  # a note stands for many states (2317 at any call)
                assert triple[0] == state_of(tail), f"edge {triple} drawn from {tail}"
            assert triple[2] == state_of(head), f"edge {triple} drawn into {head}"
            found.add(triple)
    return found


def mermaid_links(text: str) -> list[tuple[str, str, tuple[Triple, ...]]]:
    """The arrows of a Mermaid file: (tail id, head id, the edges named by the ``%% edge`` comment above it)."""
    found = []
    pending: tuple[Triple, ...] | None = None
    for line in text.splitlines():
        c = _MMD_COMMENT.match(line)
        if c is not None:
            pending = tuple(_split(i) for i in c[1].split("+"))
            continue
        m = _MMD_EDGE.match(line)
        if m is not None:
            assert pending is not None, f"a transition with no edge comment: {line}"
            found.append((m[1], m[2], pending))
        pending = None
    return found


def mermaid_triples(text: str) -> set[Triple]:
    return {t for _, _, triples in mermaid_links(text) for t in triples}


# -- what is drawn is what runs ------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_dot_edges_are_the_machine_transitions(name: str) -> None:
    assert dot_triples(diagrams.to_dot(name)) == machine_triples(name)


@pytest.mark.parametrize("name", NAMES)
def test_mermaid_draws_what_the_same_picture_in_dot_draws(name: str) -> None:
    small = diagrams.mermaid_views(name)
    assert small, "every flow has a picture small enough for Mermaid"
    for view in small:
        assert len(view.links) <= diagrams.MERMAID_MAX_LINKS
        text = diagrams.to_mermaid(view)
        dot = diagrams.render_view(view)
        assert {t for _, _, ts in dot_links(dot) for t in ts} <= machine_triples(name)
        assert mermaid_links(text) == [(diagrams.mermaid_id(a), diagrams.mermaid_id(b), t) for a, b, t in dot_links(dot)
                                       if "invis" not in a]
        assert (COMMITTED / f"{view.stem}.mmd").read_text(encoding="utf-8") == text
    assert not (COMMITTED / f"{name}.mmd").exists(), "the full machine is too large for Mermaid"


@pytest.mark.parametrize("name", NAMES)
def test_committed_pictures_are_the_machine_transitions(name: str) -> None:
    assert dot_triples((COMMITTED / f"{name}.dot").read_text(encoding="utf-8")) == machine_triples(name)


def test_an_edge_missing_from_the_picture_or_only_in_it_is_seen() -> None:
    text = diagrams.to_dot("enrollment")
    lines = text.splitlines()
    edge = next(i for i, line in enumerate(lines) if '"8" -> "enrolled"' in line)
    missing = "\n".join(lines[:edge] + lines[edge + 1:])
    assert dot_triples(missing) != machine_triples("enrollment")
    extra = text.replace("}\n", '  "1" -> "A" [id="1|blocked|A"];\n}\n')
    assert dot_triples(extra) != machine_triples("enrollment")
    right = '"8" -> "enrolled" [id="8|succeeded|enrolled"'
    wrong_box = text.replace(right, right.replace('"enrolled" [', '"failed#8" ['))
    with pytest.raises(AssertionError):
        dot_triples(wrong_box)
    summary = diagrams.views("enrollment")[1]
    mmd = diagrams.to_mermaid(summary)
    moved = mmd.replace("s_8 --> s_enrolled", "s_8 --> s_failed")
    assert moved != mmd
    assert mermaid_links(moved) != mermaid_links(mmd)


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
    assert "status AlreadyEnrolled\\n[PIN submissions left]" in dot
    assert ('id="3|no_phone|4.2:phoneNumber", tooltip="no phone number (null, empty or FAILED 2307) '
            '[shortcut not allowed]", label="no phone number (null, empty or FAILED\\n2307)\\n'
            '[shortcut not allowed]"') in dot
    assert "[shortcut allowed]" in dot
    assert 'subgraph "cluster_4.1"' in dot and 'subgraph "cluster_4.2"' in dot
    assert "DESTRUCTIVE" in dot


def test_output_is_deterministic() -> None:
    assert diagrams.generate(svg=False) == diagrams.generate(svg=False)
    code = "import hashlib, fsm.diagrams as d; print(hashlib.sha256(repr(d.generate(svg=False)).encode()).hexdigest())"
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(digests) == 1, "the pictures depend on the order of a set"


# -- the pictures people read: each step's own edges, the shared rules said once --------------

_DOT_NODE = re.compile(r'^\s*"([^"]+)" \[id="([^"]+)"')


def dot_nodes(text: str) -> set[str]:
    """The boxes of a DOT file (their ids and names must agree)."""
    found: set[str] = set()
    for line in text.splitlines():
        m = _DOT_NODE.match(line)
        if m is not None and "->" not in line:
            assert m[1] == m[2], f"node {m[1]} has id {m[2]}"
            found.add(m[1])
    return found


def shared_triples(name: str) -> set[Triple]:
    return {_split(i) for i in diagrams.shared_edges(FLOWS[name])}


def said_triples(name: str) -> set[Triple]:
    """The edges of the shared rules that repeat a call or question, or end the run failed."""
    return {t for t in shared_triples(name) if t[2] in (t[0], spec.FAILED)}


def reading(name: str) -> list[diagrams.View]:
    """The pictures of a flow people read at 100%: its overview, or one per step."""
    return [v for v in diagrams.views(name) if v.kind in ("overview", "step")]


def committed(view: diagrams.View) -> str:
    return (COMMITTED / f"{view.stem}.dot").read_text(encoding="utf-8")


def read_triples(name: str) -> set[Triple]:
    """Every edge drawn leaving a state in its own picture (a step's picture draws its own states' edges)."""
    found: set[Triple] = set()
    for view in reading(name):
        mine = {s.name for s in FLOWS[name].states if view.kind == "overview" or f".step-{s.step}" in view.stem}
        found |= {t for t in dot_triples(committed(view)) if t[0] in mine}
    return found


def test_a_flow_one_page_cannot_hold_is_drawn_step_by_step() -> None:
    assert diagrams.needs_steps("enrollment")
    stems = {v.stem for v in diagrams.views("enrollment")}
    steps = dict.fromkeys(s.step for s in FLOWS["enrollment"].states if not s.terminal)
    assert stems == {"enrollment", "enrollment.summary"} | {f"enrollment.step-{s}" for s in steps}
    assert not diagrams.needs_steps("remove-vehicle")
    assert {v.stem for v in diagrams.views("remove-vehicle")} == {"remove-vehicle", "remove-vehicle.overview"}


@pytest.mark.parametrize("name", NAMES)
def test_the_pictures_people_read_draw_every_edge_but_the_rules_said_once(name: str) -> None:
    """Each edge leaving a state is drawn in its step's picture, unless a rule said in the caption covers it."""
    assert read_triples(name) == machine_triples(name) - said_triples(name)
    for view in reading(name):
        assert dot_triples(committed(view)) <= machine_triples(name)  # the grey context too


@pytest.mark.parametrize("name", NAMES)
def test_the_pictures_people_read_say_the_rules_they_do_not_draw(name: str) -> None:
    flow = FLOWS[name]
    for view in reading(name):
        caption = re.search(r'label="([^"]*)"', committed(view))
        assert caption is not None and caption[1].startswith(flow.title)
        words = caption[1].replace("\\l    ", " ").replace("\\l", " ")
        for _, outcome, _ in said_triples(name):
            assert spec.OUTCOME_WORDS[outcome] in words, (view.stem, outcome)
        assert "max_transient_retries (default 2) times, then failed" in words
        if any(s.kind == "question" for s in flow.states):
            assert "asked again, at most max_code_attempts (default 3) times, then cancelled" in words


@pytest.mark.parametrize("name", NAMES)
def test_every_state_is_drawn_in_the_pictures_people_read(name: str) -> None:
    states = {s.name for s in FLOWS[name].states if not s.terminal}
    drawn: set[str] = set()
    for view in reading(name):
        drawn |= {state_of(n) for n in dot_nodes(committed(view))}
    assert states <= drawn
    assert dot_nodes(diagrams.to_dot(name)) >= states


@pytest.mark.parametrize("name", NAMES)
def test_every_question_leads_to_cancelled_in_its_picture(name: str) -> None:
    """The edges into cancelled are drawn where they happen: cancel, or invalid answers used up."""
    drawn = read_triples(name)
    for s in FLOWS[name].states:
        if s.kind == "question":
            assert {(s.name, spec.CANCEL, spec.CANCELLED), (s.name, spec.INVALID, spec.CANCELLED)} <= drawn


def test_2317_to_A_is_drawn_where_it_happens() -> None:
    """Every call of the enrollment but A's leads to A on FAILED 2317, in its step's picture."""
    drawn = read_triples("enrollment")
    calls = [s.name for s in FLOWS["enrollment"].states if s.kind == "call"]
    assert {(c, spec.ERROR_2317, "A") for c in calls if c != "A"} <= drawn
    step_a = committed(next(v for v in reading("enrollment") if v.stem.endswith("step-A")))
    into_a = {t for t in dot_triples(step_a) if t[2] == "A"}
    assert into_a == {t for t in machine_triples("enrollment") - said_triples("enrollment") if t[2] == "A"}


#: The else edges and the guard each names (the else of the guard before it), written out by hand.
ELSE_WORDS = {
    ("enrollment", "3|no_phone|4.2:phoneNumber"): "[shortcut not allowed]",
    ("enrollment", "8|pin_rejected|failed"): "[no PIN submission left]",
    ("enrollment", "6|already_enrolled|failed"): "[no PIN submission left]",
    ("enrollment", "6|sms_expired|failed"): "[no SMS code attempt left]",
    ("enrollment", "1|error_2317|failed"): "[no restart left]",
    ("enrollment", "2|blocked|failed"): "[no restart left]",
    ("enrollment", "5|transient|failed"): "[no retry left]",
    ("enrollment", "6:smsCode|invalid|cancelled"): "[no invalid answer left]",
    ("enrollment", "B|same_pin|failed"): "[no new-PIN attempt left]",
    ("update-pin", "C|pin_rejected|failed"): "[no PIN submission left]",
    ("update-pin", "C:newPIN|answered|failed"): "[no PIN submission left]",
    ("remove-vehicle", "E|needs_strong_auth|failed"): "[no strong-authentication retry left]",
}


def test_an_else_edge_names_its_guard() -> None:
    for (name, edge), words in ELSE_WORDS.items():
        drawn = {e.id: e.guard for e in diagrams.machine_edges(name)}
        assert drawn[edge] == words, edge
    for name in NAMES:
        for path in COMMITTED.glob(f"{name}*"):
            assert "[else]" not in path.read_text(encoding="utf-8"), path.name
    from fsm.flows.common import COUNTERS

    assert {c.name for c in COUNTERS} <= set(spec.COUNTED), "every counter has the words of its guard"


def _summary_links(name: str) -> list[tuple[str, str, tuple[Triple, ...]]]:
    return dot_links((COMMITTED / f"{name}.summary.dot").read_text(encoding="utf-8"))


def test_the_summary_draws_the_steps_and_the_edges_between_them() -> None:
    """One box per step; every edge between two steps (but the rules said once) is drawn between their boxes,
    or, when many steps share it, from a note into its target; failed and cancelled are reached."""
    flow = FLOWS["enrollment"]
    step_of = {s.name: s.step for s in flow.states}
    links = _summary_links("enrollment")
    drawn: set[Triple] = set()
    for tail, head, triples in links:
        for t in triples:
            assert t[2] == head or step_of[t[2]] == head, (t, head)
            if not tail.startswith("any "):
                assert step_of[t[0]] == tail, (t, tail)
            drawn.add(t)
    across = {t for t in machine_triples("enrollment") - said_triples("enrollment") if step_of[t[0]] != step_of[t[2]]}
    assert drawn == across
    heads = {head for _, head, _ in links}
    assert {"A", spec.FAILED, spec.CANCELLED, spec.ENROLLED} <= heads
    boxes = dot_nodes((COMMITTED / "enrollment.summary.dot").read_text(encoding="utf-8"))
    assert set(step_of.values()) <= boxes


@pytest.mark.parametrize("name", NAMES)
def test_the_shared_edges_are_the_common_rules_and_only_them(name: str) -> None:
    shared = shared_triples(name)
    assert shared <= machine_triples(name)
    # Only outcomes fsm/flows/common.py adds to every call or question are shared ...
    assert {o for _, o, _ in shared} <= diagrams.QUIET
    # ... and every edge for another outcome is drawn in the pictures people read.
    assert {t for t in machine_triples(name) if t[1] not in diagrams.QUIET} <= read_triples(name)
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
    assert ("A", spec.ERROR_2317, spec.FAILED) in read_triples("enrollment")
    # Step 8 takes an input error or another code as a refused PIN: not the rule, drawn.
    assert not any(t[0] == "8" and t[1] == spec.UNEXPECTED_ERROR for t in shared)
    assert ("8", "pin_rejected", "8:pinCode") in read_triples("enrollment")


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
def test_the_rules_are_said_in_the_words_of_the_spec(name: str) -> None:
    flow = FLOWS[name]
    text = " ".join(diagrams.rules_lines(flow))
    for outcome in {o for _, o, _ in shared_triples(name)}:
        assert spec.OUTCOME_WORDS[outcome] in text
    assert "max_transient_retries (default 2)" in text
    assert ("max_code_attempts (default 3)" in text) == any(s.kind == "question" for s in flow.states)


def test_the_enrollment_overview_summarises_2317_as_a_pass_through_A() -> None:
    lines = diagrams.rules_lines(FLOWS["enrollment"])
    assert f"  {spec.OUTCOME_WORDS[spec.ERROR_2317]} → A, at most max_restarts (default 1) times, then failed" in lines
    assert any(line.startswith("  " + spec.OUTCOME_WORDS[spec.INVALID]) and line.endswith("then cancelled")
               for line in lines)
    other = diagrams.rules_lines(FLOWS["update-pin"])
    assert not any("→ A" in line for line in other)


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


PICTURES = sorted(p.stem for p in COMMITTED.glob("*.dot"))


@pytest.mark.parametrize("stem", PICTURES)
def test_every_dot_renders_without_warnings(stem: str) -> None:
    _require_graphviz()
    exe = shutil.which("dot")
    assert exe is not None
    done = subprocess.run([exe, "-Tsvg", str(COMMITTED / f"{stem}.dot")], capture_output=True, check=False)
    assert done.returncode == 0
    assert done.stderr == b""
    assert done.stdout.startswith(b"<?xml")


@pytest.mark.parametrize("stem", PICTURES)
def test_no_text_over_another_text_an_arrow_or_a_box(stem: str) -> None:
    """As Graphviz lays the picture out (its own text widths): every word stands clear of the rest."""
    _require_graphviz()
    found = drawing.overlaps((COMMITTED / f"{stem}.dot").read_text(encoding="utf-8"))
    assert found == [], "\n".join(found)


def test_the_overlap_check_sees_an_overlap() -> None:
    """A label drawn on top of another (two arrows between the same boxes, words at one place) is reported."""
    _require_graphviz()
    src = ('digraph g { a -> b [xlabel="first words here", id="x"]; a -> b [xlabel="second words here", id="y"]; '
           'c -> d [label="spread", id="z"]; }')
    assert any("over" in f for f in drawing.overlaps(src))
    clean = 'digraph g { a -> b [label="words", id="x"]; }'
    assert drawing.overlaps(clean) == []


#: Pixels per point at 100% (CSS: 96 px per inch, 72 points per inch).
PX = 96 / 72
#: The README's width (GitHub's column) and the smallest text a person reads without zooming.
README_WIDTH = 830
SMALLEST = 11
#: A page a person reads at 100% without scrolling sideways.
PAGE_WIDTH = 1400


def _readme_picture() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"!\[[^\]]*\]\((diagrams/[^)]+\.svg)\)", readme)
    assert m is not None, "the README shows a picture of the flow"
    return m[1]


def test_the_readme_picture_is_legible_at_readme_width() -> None:
    """Shown 830 px wide (or narrower, at its own size), the README's picture has no text under 11 px."""
    name = _readme_picture()
    assert name == "diagrams/enrollment.summary.svg"
    svg = (ROOT / name).read_text(encoding="utf-8")
    width, _ = drawing.svg_size(svg)
    shown = min(README_WIDTH, width * PX)  # a browser never enlarges it past its own size
    smallest = min(drawing.font_sizes(svg)) * PX * shown / (width * PX)
    assert smallest >= SMALLEST, f"{name}: the smallest text is {smallest:.1f} px at {shown:.0f} px wide"


@pytest.mark.parametrize("stem", [p for p in PICTURES if ".overview" in p or ".step-" in p])
def test_a_picture_people_read_fits_a_page_at_100_percent(stem: str) -> None:
    svg = (COMMITTED / f"{stem}.svg").read_text(encoding="utf-8")
    width, _ = drawing.svg_size(svg)
    assert width * PX <= PAGE_WIDTH, f"{stem}: {width * PX:.0f} px wide"
    assert min(drawing.font_sizes(svg)) * PX >= SMALLEST


@pytest.mark.parametrize("stem", PICTURES)
def test_no_text_is_too_small_at_100_percent(stem: str) -> None:
    svg = (COMMITTED / f"{stem}.svg").read_text(encoding="utf-8")
    assert min(drawing.font_sizes(svg)) * PX >= SMALLEST


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


def _highlighted(dot: str) -> dict[int, set[Triple]]:
    """Step number -> the edges of the arrow numbered with it (``#1, #4  words``)."""
    order: dict[int, set[Triple]] = {}
    for line in dot.splitlines():
        m = _DOT_EDGE.match(line)
        if m is None:
            continue
        label = re.search(r'label="(#[0-9, #]+)  ', line)
        if label:
            for n in re.findall(r"#([0-9]+)", label[1]):
                assert int(n) not in order
                order[int(n)] = {_split(i) for i in m[3].split("+")}
    return order


def _follows(order: dict[int, set[Triple]], trace: object) -> bool:
    """Whether the numbered arrows are the trace's edges, in order."""
    steps = [(t.state, t.outcome, t.target) for t in trace]  # type: ignore[attr-defined]
    return sorted(order) == list(range(1, len(steps) + 1)) and all(
        step in order[i] for i, step in enumerate(steps, start=1))


def test_draw_run_numbers_the_edges_taken_in_order() -> None:
    trace = _enroll()
    dot = diagrams.draw_run("enrollment", trace, make_options())
    order = _highlighted(dot)
    assert _follows(order, trace)
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
    assert _follows(_highlighted(dot), outcome.trace)
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
    assert _follows(_highlighted(dot), outcome.trace)
    assert DEMO_PIN not in dot


def test_a_failed_run_is_drawn_to_its_end() -> None:
    sim = Simulator("existing-pin")
    outcome = run("enrollment", port=sim, person=DemoPerson(sim, pin="135792"), sleep=lambda _: None)
    assert outcome.state == "failed"
    dot = diagrams.draw_run("enrollment", outcome)
    order = _highlighted(dot)
    assert _follows(order, outcome.trace)
    end = outcome.trace[-1]
    assert end.target == "failed"
    last = next(line for line in dot.splitlines() if f"{end.state}|{end.outcome}|{end.target}" in line)
    assert 'label="#' in last and "FAILED" in last
    assert re.search(rf'^\s*"failed#{re.escape(end.state)}" \[.*penwidth="3"', dot, re.M), "the end reached"


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
    assert _follows(_highlighted(dot), outcome.trace)
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
