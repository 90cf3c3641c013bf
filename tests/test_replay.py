"""`fsm replay`: a recorded run replayed on the current machine; the first divergence is named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from fsm.cli import main
from fsm.flows import FLOWS
from fsm.options import make_options
from fsm.paths import generate
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import Simulator
from fsm.replay import Divergence, replay
from fsm.transcript import Recorder, Transcript


def _recorded(preset: str = "existing-pin", **options: Any) -> Transcript:
    sim = Simulator(preset)
    person = DemoPerson(sim, overrides={"pinCode": ["111333"]})
    _, transcript = Recorder(sim, person).run("enrollment", **options)
    return transcript


def _edited(t: Transcript, edit: Any) -> Transcript:
    data = copy.deepcopy(t.to_json())
    edit(data)
    return Transcript.from_json(data)


def _first(t: Transcript, key: str, where: Any = lambda _: True) -> int:
    return next(i for i, e in enumerate(t.events) if key in e and where(e))


def test_a_recorded_run_follows_the_machine_to_its_end() -> None:
    t = _recorded()
    done = replay(t)
    assert done.ok and done.divergence is None
    assert done.flow.outcome is not None and done.flow.outcome.state == t.outcome["state"] == "enrolled"  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_covering_transcript_replays_without_divergence(name: str) -> None:
    transcripts, _ = generate(name, make_options())
    for t in transcripts:
        assert replay(t).divergence is None


def test_a_call_that_differs_is_the_first_divergence() -> None:
    t = _recorded()
    i = _first(t, "call", lambda e: e["call"]["api"] == "pims.authentication.trustedphonenumber")

    def edit(data: dict[str, Any]) -> None:
        data["events"][i]["call"]["parameters"] = {"extra": "1"}

    d = replay(_edited(t, edit)).divergence
    assert d == Divergence("call", i + 1, "the call get pims.authentication.trustedphonenumber {extra: 1}",
                           "makes the call get pims.authentication.trustedphonenumber {}")


def test_a_question_that_differs_is_the_first_divergence() -> None:
    t = _recorded()
    i = _first(t, "question")

    def edit(data: dict[str, Any]) -> None:
        data["events"][i]["question"] = "vin"

    d = replay(_edited(t, edit)).divergence
    assert d is not None and (d.kind, d.event) == ("question", i + 1)
    assert d.machine == "asks smsCode"


def test_an_answer_taken_otherwise_is_a_divergence() -> None:
    """A rule change: the transcript's answer was invalid when recorded, the machine now takes it."""
    t = _recorded()
    i = _first(t, "question", lambda e: e["question"] == "smsCode")

    def edit(data: dict[str, Any]) -> None:
        data["events"][i]["outcome"] = "invalid"
        data["events"][i]["answer"] = "123456"

    d = replay(_edited(t, edit)).divergence
    assert d is not None and d.kind == "question" and "taken as invalid answer" in d.recorded
    assert d.machine == "takes it as valid answer"


def test_the_machine_under_other_options_parts_where_the_bound_bites() -> None:
    """Recorded with three PIN submissions, replayed where only one is allowed: the end differs."""
    t = _recorded()
    d = replay(attrs.evolve(t, options={**t.options, "max_pin_attempts": 1})).divergence
    i = [j for j, e in enumerate(t.events) if e.get("question") == "pinCode"][1]  # the second PIN asked
    assert d == Divergence("question", i + 1, "the question pinCode", "has ended failed (pin_attempts_exhausted)")


def test_another_end_is_a_divergence_at_the_end() -> None:
    t = _recorded()
    d = replay(attrs.evolve(t, outcome={**t.outcome, "state": "failed"})).divergence  # type: ignore[dict-item]
    assert d is not None and d.kind == "end" and d.event is None
    assert str(d).startswith("the end: recorded the end failed")


def test_a_transcript_that_stops_early_says_what_the_machine_does_next() -> None:
    t = _recorded()
    short = attrs.evolve(t, events=t.events[:3])
    d = replay(short).divergence
    assert d is not None and d.kind == "end"
    assert d.machine.startswith("makes the call") or d.machine.startswith("asks")


def test_the_command_says_the_first_divergence_in_one_line(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "run.json"
    assert main(["run", "enrollment", "--account", "existing-pin", "--quiet", "--record", str(path)]) == 0
    capsys.readouterr()
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "no divergence: it ends enrolled as recorded" in out
    data = json.loads(path.read_text(encoding="utf-8"))
    data["events"][2]["call"]["api"] = "pims.authentication.elsewhere"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith(f"{path}: first divergence at event 3 (call): recorded the call get "
                          "pims.authentication.elsewhere {}; the machine makes the call get "
                          "pims.authentication.trustedphonenumber {}")
    assert main(["replay", str(path), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False and result["divergence"]["event"] == 3


def test_a_transcript_of_an_unknown_flow_or_options_is_a_misuse(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    t = _recorded()
    for bad, words in ((attrs.evolve(t, flow="teleport"), "a flow this version does not have"),
                       (attrs.evolve(t, options={"max_pin_attempts": 0}), "options are not valid here")):
        path = tmp_path / "bad.json"
        path.write_text(bad.dumps(), encoding="utf-8")
        assert main(["replay", str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and words in err
