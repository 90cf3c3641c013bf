"""A hypothesis state machine drives flows with arbitrary messages, answers, faults, snapshots and resumes.

After every step it checks RELIABILITY.md's invariants: the state is declared;
counters stay within their bounds; ``enrolled``/``done`` only after a
well-formed SUCCEEDED that means it; a refused message (malformed, stale,
unsolicited) leaves the flow unchanged; an invalid answer changes only the
invalid-answers count (PROTOCOL.md: it is asked again, boundedly); no canary
secret in any snapshot, trace or outcome. Heavier runs:
``HYPOTHESIS_PROFILE=nightly ./dev test tests/test_stateful.py tests/test_fuzz.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import fsm
from fsm import spec
from fsm.machine import Flow
from fsm.resumption import live_secrets, resume_state
from tests.helpers import failed, ok
from tests.test_fuzz import messages

PIN, SMS = "902718", "551907"
ANSWERS = {"pinCode": PIN, "oldPIN": PIN, "newPIN": "613524", "smsCode": SMS, "phoneNumber": "0612345678",
           "vin": "VR1AB12C3D4567890"}
CONFIGS: list[dict[str, Any]] = [{}, {"platform": "ios"}, {"method": "full"}, {"sdk_version": "2.0.0"},
                                 {"dialect": "reference", "max_pin_attempts": 1, "max_transient_retries": 0},
                                 {"max_restarts": 2, "max_code_attempts": 1}]
STEPS = {"steps": 0, "runs": 0}
SUCCESS_OUTCOMES = {"activated", spec.SUCCEEDED}
junk_answers = st.one_of(st.none(), st.integers(), st.binary(max_size=8), st.text(max_size=10),
                         st.sampled_from(["12a4", "123456\n", "\u0661\u0662\u0663\u0664", "1" * 20, "123 456", "0000"]))


def frozen(f: Flow) -> str:
    return json.dumps([f.state, f.counters, sorted(f._seen), repr(f.values), len(f.trace), f._last, f._end])


class Flows(RuleBasedStateMachine):
    flow: Flow

    def __init__(self) -> None:
        super().__init__()
        self.consumed: list[Any] = []
        STEPS["runs"] += 1

    @initialize(name=st.sampled_from(sorted(fsm.FLOWS)), options=st.sampled_from(CONFIGS))
    def start(self, name: str, options: dict[str, Any]) -> None:
        try:
            self.flow = fsm.start(name, **options)
        except fsm.OptionError:
            self.flow = fsm.start(name)

    # -- messages ------------------------------------------------------------------------------

    def _table_messages(self) -> list[Any]:
        state = self.flow.current
        out = self.flow._c.entries[state.name].output
        found: list[Any] = [ok(**(out.example(o) or {})) for o in out.outcomes]
        return found + [failed(c) for c in (*state.errors, 2201, 2204, 2317, 2101, 2308, 9999)]

    def _receive(self, message: Any) -> None:
        f = self.flow
        before = frozen(f)
        if f.current.kind != "call":
            with pytest.raises(fsm.FlowStateError):
                f.receive(message)
            assert frozen(f) == before
            return
        try:
            f.receive(message)
        except (fsm.MalformedMessage, fsm.StaleMessage):
            assert frozen(f) == before
            return
        self.consumed.append(message)
        if f.state in spec.SUCCESS_TERMINALS:
            parsed = fsm.parse_message(message)
            assert parsed.status == "SUCCEEDED" and f.trace[-1].outcome in SUCCESS_OUTCOMES

    @rule(data=st.data())
    def receive_a_message_the_table_knows(self, data: st.DataObject) -> None:
        if self.flow.current.kind == "call":
            self._receive(data.draw(st.sampled_from(self._table_messages())))

    @rule(message=messages)
    def receive_anything(self, message: Any) -> None:
        self._receive(message)

    @precondition(lambda self: bool(self.consumed))
    @rule(data=st.data())
    def receive_a_consumed_message_again(self, data: st.DataObject) -> None:
        f = self.flow
        before = frozen(f)
        message = data.draw(st.sampled_from(self.consumed))
        with pytest.raises(fsm.FlowStateError):  # StaleMessage, or nothing outstanding
            f.receive(message)
        assert frozen(f) == before

    @rule(fault=st.sampled_from([ConnectionError(), TimeoutError(), RuntimeError(f"bad pin {PIN}"),
                                 fsm.MalformedMessage("status", "missing"), OSError()]))
    def the_port_raises(self, fault: Exception) -> None:
        f = self.flow
        before = frozen(f)
        if f.current.kind != "call":
            with pytest.raises(fsm.FlowStateError):
                f.receive_exception(fault)
            assert frozen(f) == before
            return
        f.receive_exception(fault)
        assert f.state not in spec.SUCCESS_TERMINALS

    # -- answers --------------------------------------------------------------------------------

    def _answer(self, value: object) -> None:
        f = self.flow
        before = frozen(f)
        if f.current.kind != "question":
            with pytest.raises(fsm.FlowStateError):
                f.answer(value)
            assert frozen(f) == before
            return
        state, counters = f.state, list(f.counters)
        f.answer(value)
        assert f.state not in spec.SUCCESS_TERMINALS
        if f.trace[-1].outcome == spec.INVALID and f.state == state:
            i = f._c.counter_index["invalid_answers"]
            assert f.counters[:i] + f.counters[i + 1:] == counters[:i] + counters[i + 1:]
            assert f.counters[i] == counters[i] + 1

    @rule()
    def answer_well(self) -> None:
        ask = self.flow.current.ask
        self._answer(ANSWERS[ask] if ask else PIN)

    @rule(value=junk_answers)
    def answer_badly(self, value: object) -> None:
        self._answer(value)

    @rule(reply=st.sampled_from([fsm.CANCEL, fsm.FORGOT_PIN]))
    def reply(self, reply: fsm.Reply) -> None:
        self._answer(reply)

    # -- crash and resume -------------------------------------------------------------------------

    @rule(through_json=st.booleans())
    def snapshot_and_resume(self, through_json: bool) -> None:
        f = self.flow
        snap = f.snapshot()
        data: Any = json.dumps(snap) if through_json else json.loads(json.dumps(snap))
        if f.state in spec.SUCCESS_TERMINALS:
            with pytest.raises(fsm.SnapshotInvalid):
                fsm.resume(data)
            return
        g = fsm.resume(data)
        out = f.outcome
        if out is not None and out.resumable:  # transient retries ran out: back at the call that failed
            assert (g.finished, g.trace[-1].state, g.trace[-1].outcome) == (False, f.trace[-1].state, spec.TRANSIENT)
            self.flow = g
            return
        target = resume_state(f.spec, f.state, f.options.dialect, f.options.platform)
        if target == f.state:
            assert g.snapshot() == snap
        else:
            assert g.state in (target, spec.FAILED)
        self.flow = g

    # -- invariants ---------------------------------------------------------------------------------

    @invariant()
    def declared_state_and_bounded_counters(self) -> None:
        f = self.flow
        STEPS["steps"] += 1
        assert f.state in f._c.states
        for c, value in zip(f.spec.counters, f.counters, strict=True):
            assert 0 <= value <= f.options.bound(c), c.name
        assert (f.action is None) == f.finished  # one thing outstanding at most, and it can be built
        if f.finished:
            assert f.outcome is not None and f.outcome.state == f.state

    @invariant()
    def no_canary_anywhere(self) -> None:
        f = self.flow
        text = json.dumps(f.snapshot()) + repr(f.trace) + repr(f) + repr(f.action)
        if f.outcome is not None:
            text += f.outcome.reason + repr(f.outcome)
        assert PIN not in text and SMS not in text

    @invariant()
    def a_resumed_flow_never_needs_a_secret_it_does_not_hold(self) -> None:
        f = self.flow
        live = live_secrets(f.name, f.options.dialect, f.options.platform)[f.state]
        assert all(slot in f.values for slot in live)


TestFlows = Flows.TestCase
