"""Runs written down: a path of the configuration graph played on the real machine as a transcript, and a
transcript fed back event by event (a counterexample may stop before the end, on a loop or where the machine
broke)."""

from __future__ import annotations

from typing import Any

from fsm import environment, spec
from fsm.environment import INVALID_ANSWER
from fsm.errors import FlowStateError, MalformedMessage
from fsm.explore import Explorer
from fsm.flows import FLOWS
from fsm.machine import Compiled, Flow, TraceEntry, compiled
from fsm.messages import Call, Question
from fsm.options import make_options
from fsm.secret import MASK
from fsm.spec import FlowSpec
from fsm.transcript import REPLIES, STAND_IN, Transcript, outcome_json, record_answer, record_call
from fsm.validate import problems


def run_path(ex: Explorer, path: tuple[tuple[int, int], ...]) -> tuple[Transcript, tuple[TraceEntry, ...]]:
    """The run that feeds the inputs of ``path`` ((configuration, input) steps) from the start: its transcript
    and the flow's trace."""
    flow = ex.flow_at(ex.initial)
    events: list[dict[str, Any]] = []
    for n, (c, k) in enumerate(path, 1):
        inp = ex.inputs[ex.state_of(c)][k]
        try:
            action = flow.action
        except FlowStateError:
            break
        try:
            if isinstance(action, Call):
                if inp.kind == "raise":
                    assert inp.exc is not None
                    events.append(record_call(action, raised=inp.exc("simulated failure")))
                else:
                    events.append(record_call(action, dict(inp.message or {}, transactionId=f"tx-{n}")))
            else:
                assert isinstance(action, Question)
                events.append(record_answer(action, inp.answer, ""))
            environment.apply(flow, inp, f"tx-{n}")
        except Exception:  # noqa: BLE001 - the run shows the defect: it stops where the machine broke
            break
        if isinstance(action, Question) and flow.trace:
            events[-1]["outcome"] = flow.trace[-1].outcome
    out = flow.outcome
    return Transcript(flow=ex.spec.name, options=ex.options.as_dict(), events=events,
                      outcome=outcome_json(out) if out is not None else None), tuple(flow.trace)


def replay_steps(flow: FlowSpec | str, transcript: Transcript) -> tuple[Flow, list[str]]:
    """Feed a transcript's events to a fresh flow one by one (it may stop before the end, as a counterexample
    does): the flow reached, and every call that differed from the recorded one."""
    spec_ = FLOWS[flow] if isinstance(flow, str) else flow
    shipped = FLOWS.get(spec_.name) is spec_ and not problems(spec_)
    machine = compiled(spec_.name) if shipped else Compiled(spec_, validate=False)
    f = Flow(machine, make_options(**transcript.options))
    mismatches: list[str] = []
    for n, ev in enumerate(transcript.events):
        action = f.action
        try:
            if "call" in ev:
                if not isinstance(action, Call):
                    mismatches.append(f"event {n}: a call was recorded, the flow asks {action!r}")
                    break
                got = {"op": action.op, "api": action.api, "parameters": action.masked()}
                if got != ev["call"]:
                    mismatches.append(f"event {n}: expected {ev['call']}, got {got}")
                if "raises" in ev:
                    f.receive_exception({"ConnectionError": ConnectionError}.get(ev["raises"], RuntimeError)("x"))
                else:
                    try:
                        f.receive(ev.get("message"))
                    except MalformedMessage as exc:
                        f.receive_exception(exc)
            else:
                if not isinstance(action, Question):
                    mismatches.append(f"event {n}: a question was recorded, the flow is at {f.state!r}")
                    break
                if "reply" in ev:
                    answer: object = REPLIES[ev["reply"]]
                elif ev.get("answer") == MASK:
                    invalid = ev.get("outcome") == spec.INVALID
                    answer = INVALID_ANSWER if invalid else STAND_IN.get(action.name, "402718")
                else:
                    answer = ev.get("answer")
                f.answer(answer)
        except Exception as exc:  # noqa: BLE001 - a defective machine may break on the last event
            mismatches.append(f"event {n}: the machine raised {type(exc).__name__}")
            break
    return f, mismatches
