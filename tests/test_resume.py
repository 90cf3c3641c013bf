"""Resuming, judged by oracles that are not the code under test.

* Where a resumed flow goes on: every transcript ``fsm paths`` writes is run straight, and again with a
  snapshot taken and resumed after each of its events (in this process and in a new one). The resumed run is
  fed the rest of the transcript; it may only ask again for secrets answered before the snapshot, repeat calls
  made before it, and must end where the straight run ended (or, when it had to send again a PIN whose
  submission was outstanding, fail for lack of PIN submissions). All of it is read off the transcript.
* What a resume accepts: each snapshot of those runs is edited one field at a time (the state, each counter
  up, down, to 0 and to its bound, each value dropped, added or made invalid, each option); an accepted edit
  must describe a configuration the model checker's explorer reaches by moving the real machine (runs saved
  and resumed by ``fsm.resume`` included), and no run
  from the resumed flow may submit the PIN, or pass through A, more often than the bounds allow — counted on
  the explorer's graph, not by the flow's counters.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import fsm
from fsm.explore import Explorer
from fsm.machine import Flow
from fsm.options import make_options
from fsm.paths import generate
from fsm.properties import Judge
from fsm.resumption import kept_slots
from fsm.transcript import Transcript
from tests.helpers import reached_when_resumed

#: Answers given for "***" in a transcript (valid for each input; the new PIN not an obvious one).
STAND_IN = {"pinCode": "402718", "oldPIN": "402718", "newPIN": "517093", "smsCode": "802461"}
#: PROTOCOL.md, vocabulary: the inputs that are secrets, and the steps whose calls submit a PIN.
SECRET_INPUTS = {"pinCode", "smsCode", "oldPIN", "newPIN"}
PIN_STEPS = {"8", "C", "E"}
PIN_PARAMETERS = {"pinCode", "oldPIN"}
RAISED = {"ConnectionError": ConnectionError, "TimeoutError": TimeoutError}
BASES: list[dict[str, Any]] = [{}, {"platform": "ios"}]


@cache
def transcripts(name: str, platform: str) -> tuple[Transcript, ...]:
    found, _ = generate(name, make_options(platform=platform))
    return tuple(found)


def all_transcripts() -> Iterator[Transcript]:
    for name in fsm.FLOWS:
        for base in BASES:
            yield from transcripts(name, base.get("platform", "android"))


def feed(flow: Flow, event: dict[str, Any]) -> None:
    """Give ``flow`` one transcript event (the outstanding call's answer, or the question's)."""
    if "call" in event:
        if "raises" in event:
            flow.receive_exception(RAISED.get(event["raises"], RuntimeError)("replayed"))
            return
        try:
            flow.receive(copy.deepcopy(event["message"]))
        except fsm.MalformedMessage as exc:
            flow.receive_exception(exc)
        return
    if "reply" in event:
        flow.answer({"FORGOT_PIN": fsm.FORGOT_PIN, "CANCEL": fsm.CANCEL}[event["reply"]])
    elif event.get("answer") == "***":
        flow.answer("x" if event.get("outcome") == "invalid" else STAND_IN.get(event["question"], "402718"))
    else:
        flow.answer(event.get("answer"))


def same_call(action: object, event: dict[str, Any]) -> bool:
    return (isinstance(action, fsm.Call) and "call" in event
            and {"op": action.op, "api": action.api, "parameters": action.masked()} == event["call"])


def same_question(action: object, event: dict[str, Any]) -> bool:
    return isinstance(action, fsm.Question) and (event.get("question"), event["step"]) == (action.name, action.step)


def pin_submissions(events: list[dict[str, Any]]) -> int:
    """PIN submissions in a transcript: calls at a PIN step carrying the PIN, a repeat after a transient
    failure (connection, timeout, 2201/2202/2204) not counted again."""
    count = 0
    previous: dict[str, Any] | None = None
    for event in events:
        if "call" not in event:
            previous = None
            continue
        carries = event["step"] in PIN_STEPS and PIN_PARAMETERS & set(event["call"]["parameters"])
        repeat = previous is not None and previous["call"] == event["call"] and transient(previous)
        if carries and not repeat:
            count += 1
        previous = event
    return count


def transient(event: dict[str, Any]) -> bool:
    if event.get("raises") in RAISED:
        return True
    message = event.get("message")
    code = message.get("error", {}).get("code") if isinstance(message, dict) and message.get("status") == "FAILED" \
        else None
    return code in (2201, 2202, 2204, "2201", "2202", "2204")


def end_of(flow: Flow) -> tuple[str, str | None, int | None]:
    out = flow.outcome
    assert out is not None
    return (out.state, out.cause, out.error_code)


def go_on(resumed: Flow, before: list[dict[str, Any]], after: list[dict[str, Any]], cause: str | None,
          ) -> dict[str, Any]:
    """Drive ``resumed`` with the transcript's remaining events; what it asked or called beyond them is
    answered from what happened before the snapshot (a fresh SMS code is asked, the SDK answers as before).

    Counts "in a row" (invalid answers, retries of one call) start again when a resumed flow asks again: when
    the run ended on such a count (``cause``), the person goes on answering wrongly once the transcript's
    answers are used up, as the SDK goes on failing."""
    pending = list(after)
    seen = list(before)
    asked_again: list[str] = []
    repeated: list[dict[str, Any]] = []
    for _ in range(4 * (len(before) + len(after)) + 20):
        action = resumed.action
        if action is None:
            break
        if pending and (same_call(action, pending[0]) or same_question(action, pending[0])):
            seen.append(pending[0])
            feed(resumed, pending.pop(0))
        elif isinstance(action, fsm.Question):
            if not pending and cause == "invalid_answers_exhausted":
                resumed.answer("x")
                continue
            # Asked again: the person answers as they did before the snapshot at this step (a value, a reply),
            # or gives again the value they gave for this input at another step (the PIN chosen at 7, at 8).
            here = [e for e in seen if same_question(action, e)]
            given = [e for e in seen if e.get("question") == action.name and "reply" not in e
                     and e.get("outcome") in ("answered", "")]
            assert here or given, f"the resumed flow asks a question the run never asked: {action!r}"
            last = here[-1] if here else given[-1]
            if "reply" in last:
                feed(resumed, last)
            else:
                assert given, f"the resumed flow asks again for a value never given: {action!r}"
                asked_again.append(action.name)
                feed(resumed, {**given[-1], "outcome": "answered"})
        else:  # the SDK answers a call made again as it answered it last (unreachable still, if it was)
            earlier = [e for e in seen if same_call(action, e)]
            assert earlier, f"the resumed flow makes a call the run never made: {action!r}"
            again = copy.deepcopy(earlier[-1])
            if isinstance(again.get("message"), dict):
                again["message"]["transactionId"] = f"again-{len(repeated)}"  # a new answer has a new id
            repeated.append(again)
            feed(resumed, again)
    return {"pending": pending, "asked_again": asked_again, "repeated": repeated}


def snapshots_along(t: Transcript) -> Iterator[tuple[int, Flow, str]]:
    """The flow after each event of ``t`` (0 to all), with its snapshot as JSON text."""
    flow = fsm.start(t.flow, **t.options)
    yield 0, flow, json.dumps(flow.snapshot())
    for n, event in enumerate(t.events, 1):
        feed(flow, event)
        yield n, flow, json.dumps(flow.snapshot())


def test_straight_and_resumed_runs_agree_at_every_event_of_every_transcript() -> None:
    checked = 0
    for t in all_transcripts():
        assert t.outcome is not None
        straight = (t.outcome["state"], t.outcome["cause"], t.outcome["error_code"])
        for n, flow, text in snapshots_along(t):
            if flow.state in ("enrolled", "done"):
                with pytest.raises(fsm.SnapshotInvalid):
                    fsm.resume(text)
                continue
            before, after = t.events[:n], t.events[n:]
            resumed = fsm.resume(text)
            answered_before = {e["question"] for e in before if e.get("answer") == "***" and e.get("outcome")
                               in ("answered", "")}
            bound = make_options(**t.options).max_pin_attempts
            if flow.finished and straight[1] == "transient_retries_exhausted":
                # PROTOCOL.md: resumable at the call whose retries ran out (after asking again what was dropped).
                # The SDK still unreachable, the resumed run makes that call again (after asking again what
                # was dropped, and, on iOS at step 8, a fresh SMS code) and fails the same way.
                last = next(e for e in reversed(t.events) if "call" in e)
                went = go_on(resumed, before, [], straight[1])
                assert set(went["asked_again"]) <= answered_before & SECRET_INPUTS, (t.flow, n)
                if end_of(resumed)[:2] == ("failed", "pin_attempts_exhausted"):  # only when a PIN sent again
                    assert last["step"] in PIN_STEPS and pin_submissions(t.events) >= bound  # would pass the bound
                else:
                    assert end_of(resumed) == straight
                    assert any(e["call"] == last["call"] for e in went["repeated"]), (t.flow, n)
                checked += 1
                continue
            if flow.finished:
                assert end_of(resumed) == end_of(flow) == straight
                continue
            went = go_on(resumed, before, after, straight[1])
            assert set(went["asked_again"]) <= answered_before & SECRET_INPUTS, (t.flow, n)
            if not went["asked_again"]:
                assert not went["repeated"]  # nothing dropped: the run goes on exactly as it went
            outstanding_pin = bool(after) and "call" in after[0] and after[0]["step"] in PIN_STEPS and bool(
                PIN_PARAMETERS & set(after[0]["call"]["parameters"]))
            if end_of(resumed) != straight:
                # Sending again a PIN whose submission was outstanding costs a submission (it may have left
                # the device): only then may the resumed run run out of PIN submissions first.
                assert outstanding_pin and pin_submissions(t.events) + 1 > bound, (t.flow, n, end_of(resumed))
                assert end_of(resumed)[:2] == ("failed", "pin_attempts_exhausted")
            elif not outstanding_pin:  # with one submission used up again, the run may end a PIN sooner
                assert went["pending"] == [], (t.flow, n)
            checked += 1
    assert checked > 1500


def test_a_new_process_resumes_every_snapshot_as_this_one_does() -> None:
    texts = sorted({text for t in all_transcripts() for _, flow, text in snapshots_along(t)
                    if flow.state not in ("enrolled", "done")})
    here = [fsm.resume(text).snapshot() for text in texts]
    script = ("import json, sys, fsm\n"
              "print(json.dumps([fsm.resume(t).snapshot() for t in json.loads(sys.stdin.read())]))\n")
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True,
                          check=True, timeout=300)
    assert json.loads(done.stdout) == here
    assert len(texts) > 500


# -- edits ----------------------------------------------------------------------------------------


class Oracle:
    """The explorer's configuration graph under one set of options: what the real machine reaches, and how
    many PIN submissions and passes through A a run can still make from any configuration."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.ex = Explorer(name, make_options(**options))
        self.judge = Judge(self.ex)
        # What a run reaches, saved and resumed any number of times (a resumed flow's snapshot resumes too).
        self.reached = reached_when_resumed(self.ex, kept_slots(self.ex.spec))
        self.removes = {s.name for s in self.ex.spec.states if s.call == "remove_enrollments"}
        self.seen: dict[Any, tuple[int, int]] = {}
        self.pins: dict[int, int] = {}
        self.passes: dict[int, int] = {}

    def reaches(self, flow: Flow) -> bool:
        return (flow.state, tuple(flow.counters), frozenset(k for k, v in flow.values.items() if type(v) is str)) \
            in self.reached

    def most(self, flow: Flow) -> tuple[int, int]:
        """The most PIN submissions and passes through A any run from ``flow`` makes (a submission or a pass
        is counted on entering the call: the flow's counters already hold the one under way)."""
        key = (flow.state, tuple(flow.counters))
        found = self.seen.get(key)
        if found is None:
            root = self.ex.encode(flow.state, flow.counters)  # the values held shape no move: the explorer's own
            found = self.seen[key] = (self._most(root, self.pins, self._pin),
                                      self._most(root, self.passes, self._pass))
        return found

    def _pin(self, i: int, j: int) -> int:
        return int(self.judge.pin_call(j % self.ex.S) and self.ex.state_of(j) != self.ex.state_of(i))

    def _pass(self, i: int, j: int) -> int:
        return int(self.ex.state_of(j) in self.removes and self.ex.state_of(j) != self.ex.state_of(i))

    def _most(self, root: int, memo: dict[int, int], step: Any) -> int:
        """The largest sum of ``step`` over the edges of any path from ``root`` (the graph has no cycle)."""
        stack = [root]
        while stack:
            i = stack[-1]
            if i in memo:
                stack.pop()
                continue
            succ = self.ex.successors(i)
            todo = [j for _, j, _ in succ if j not in memo]
            if todo:
                stack.extend(todo)
                continue
            memo[i] = max((memo[j] + step(i, j) for _, j, _ in succ), default=0)
            stack.pop()
        return memo[root]


@cache
def oracle(name: str, options: str) -> Oracle:
    return Oracle(name, json.loads(options))


def edits(snap: dict[str, Any], flow: Flow) -> Iterator[dict[str, Any]]:
    """Every single-field edit of ``snap`` the tests try."""
    for state in flow.spec.states:
        if state.name != snap["state"]:
            yield {**snap, "state": state.name}
    for c in flow.spec.counters:
        bound = flow.options.bound(c)
        for value in {snap["counters"][c.name] - 1, snap["counters"][c.name] + 1, 0, bound}:
            if value >= 0 and value != snap["counters"][c.name]:
                yield {**snap, "counters": {**snap["counters"], c.name: value}}
    for slot in kept_slots(flow.spec):
        values = dict(snap["values"])
        if slot in values:
            yield {**snap, "values": {k: v for k, v in values.items() if k != slot}}
            yield {**snap, "values": {**values, slot: values[slot] + "'; DROP"}}
        else:
            yield {**snap, "values": {**values, slot: {"phoneNumber": "0612345678"}.get(slot, "VR1AB12C3D4567890")}}
    options = snap["options"]
    changes: list[tuple[str, Any]] = [("platform", "ios" if options["platform"] == "android" else "android"),
                                      ("dialect", "reference" if options["dialect"] == "tutorial" else "tutorial"),
                                      ("method", "full" if options["method"] == "auto" else "auto"),
                                      ("sdk_version", "2.0.0"), ("sdk_version", "2.1.0")]
    for limit in ("max_pin_attempts", "max_code_attempts", "max_restarts", "max_transient_retries"):
        changes += [(limit, options[limit] - 1), (limit, options[limit] + 1)]
    for key, value in changes:
        if options[key] != value:
            yield {**snap, "options": {**options, key: value}}
    yield {**snap, "options": {k: v for k, v in options.items() if k != "platform"}}


def test_every_accepted_edit_is_a_reachable_configuration_and_keeps_every_bound() -> None:
    accepted = refused = 0
    done: set[str] = set()
    for t in all_transcripts():
        for _, flow, text in snapshots_along(t):
            snap = json.loads(text)
            same = json.dumps([snap[k] for k in ("flow", "options", "state", "counters", "values", "end")])
            if flow.state in ("enrolled", "done") or same in done:
                continue
            done.add(same)
            for edited in edits(snap, flow):
                try:
                    g = fsm.resume(edited)
                except fsm.SnapshotInvalid:
                    refused += 1
                    continue
                accepted += 1
                check_accepted(edited, g)
    assert accepted > 500 and refused > 5000


def check_accepted(edited: dict[str, Any], g: Flow) -> None:
    o = oracle(edited["flow"], json.dumps(edited["options"], sort_keys=True))
    options = g.options
    saved = fsm.start(edited["flow"], **edited["options"])
    saved.state, saved.counters = edited["state"], [edited["counters"][c.name] for c in saved.spec.counters]
    saved.values = dict(edited["values"])
    if saved.finished:
        assert g.finished or (edited["end"] and edited["end"][0] == "transient_retries_exhausted")
        if g.finished:
            return
        # Back at the call whose retries ran out, its retry count at 0: a configuration a run reaches.
        saved.state = edited["trace"][-1]["state"]
        saved.counters[[c.name for c in saved.spec.counters].index("transient_retries")] = 0
    assert o.reaches(saved), (edited["flow"], edited["state"], edited["counters"], edited["values"])
    if g.finished:
        return
    pins, passes = o.most(g)
    names = [c.name for c in g.spec.counters]
    assert g.counters[names.index("pin_attempts")] + pins <= options.max_pin_attempts
    if g.name == "enrollment":
        assert g.counters[names.index("restarts")] + passes <= options.max_restarts


# -- fixtures and limits ------------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "snapshots-v1"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_committed_version_1_snapshots_still_resume_where_they_did(path: Path) -> None:
    """Snapshots written by an earlier fsm (version 1) resume as they did then: changing the document without
    a new VERSION (and a reader for the old one) breaks this."""
    data = json.loads(path.read_text(encoding="utf-8"))
    flow = fsm.resume(data["snapshot"])
    assert data["snapshot"]["version"] == 1
    assert (flow.state, flow.counters, flow.values) == (data["resumes_at"], data["counters"], data["values"])
    action = flow.action
    assert (type(action).__name__, getattr(action, "name", None)) == tuple(data["action"])


def test_the_fixtures_cover_each_flow() -> None:
    flows = {json.loads(p.read_text())["snapshot"]["flow"] for p in FIXTURES.glob("*.json")}
    assert flows == set(fsm.FLOWS)


def test_only_an_end_a_retry_can_fix_is_resumable() -> None:
    """PROTOCOL.md: transient retries exhausted -> failed, resumable at that step; every other end is final.
    (Resuming a PIN call whose retries ran out sends the PIN again: not when no submission is left.)"""
    ends: set[tuple[str, bool]] = set()
    for t in all_transcripts():
        flow = fsm.start(t.flow, **t.options)
        for event in t.events:
            feed(flow, event)
        out = flow.outcome
        assert out is not None
        last = next((e for e in reversed(t.events) if "call" in e), None)
        no_pin_left = last is not None and last["step"] in PIN_STEPS and pin_submissions(t.events) >= make_options(
            **t.options).max_pin_attempts
        assert out.resumable == (out.cause == "transient_retries_exhausted" and not no_pin_left), (t.flow, out)
        ends.add((out.cause or "", out.resumable))
    assert ("transient_retries_exhausted", True) in ends and sum(1 for _, r in ends if not r) > 10


@pytest.mark.parametrize("retries", [0, 2, 5])
def test_a_resumed_call_whose_retries_ran_out_has_all_its_retries_again(retries: int) -> None:
    """PROTOCOL.md 12: resumable at the failed call, the retry counter reset and every other counter kept: the
    resumed call is tried max_transient_retries + 1 times again, as a fresh one, before the run fails again."""
    no_internet = {"status": "FAILED", "error": {"code": 2202}}
    f = fsm.start("enrollment", max_transient_retries=retries)
    f.receive({"transactionId": "t1", "status": "SUCCEEDED", "result": {"isDeviceActivated": False}})
    for n in range(retries + 1):
        f.receive({**no_internet, "transactionId": f"a{n}"})
    assert f.outcome is not None and f.outcome.resumable
    g = fsm.resume(f.snapshot())
    assert g.counters == [0 if c.name == "transient_retries" else v for c, v in zip(g.spec.counters, f.counters,
                                                                                      strict=True)]
    for n in range(retries + 1):
        assert g.outcome is None and g.state == "2", n
        g.receive({**no_internet, "transactionId": f"b{n}"})
    assert g.outcome is not None and (g.outcome.cause, g.outcome.resumable) == ("transient_retries_exhausted", True)
