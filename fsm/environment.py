"""The environment of a flow, as the model checker plays it: every answer the SDK, the port and the person can give.

At a call: each SUCCEEDED result the catalog documents, each error code the
reference lists for the call and the codes the step handles, a transient
code, 2317, an input error, an unknown code, malformed messages (status
missing, a result field of the wrong type), and port exceptions. At a
question: a valid answer (a canary, see :func:`canaries`), an invalid one,
"forgot PIN" and "cancel". :func:`apply` feeds one of them to a
:class:`fsm.machine.Flow` exactly as the executor does.

Messages and values are *samples*: one example per documented outcome and
code, one canary per question. The checker proves its properties for every
sequence of these answers, not for every message an SDK could send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from fsm.catalog import CATALOG, FORBIDDEN, Entry
from fsm.errors import MalformedMessage
from fsm.inputs import valid
from fsm.machine import Flow
from fsm.messages import CANCEL, FORGOT_PIN
from fsm.spec import FlowSpec, State

TID = "tx"
INVALID_ANSWER = "x"
#: A transient code, an input error and a code no step knows, asked at every call besides its own codes.
EVERY_CALL_CODES = frozenset({2201, FORBIDDEN, 2101, 9999})


@attrs.frozen
class Input:
    """One answer of the environment: an SDK message, a port exception, or a person's answer."""

    kind: Literal["message", "raise", "answer"]
    label: str
    message: Mapping[str, Any] | None = None
    exc: type[Exception] | None = None
    answer: object = None


def _msg(**fields: Any) -> dict[str, Any]:
    return {"transactionId": TID, **fields}


def call_inputs(state: State, entry: Entry) -> tuple[Input, ...]:
    """What the SDK (or the port) can answer to the call of ``state``."""
    out = [
        Input("message", f"SUCCEEDED {outcome}", _msg(status="SUCCEEDED", result=entry.output.example(outcome)))
        for outcome in entry.output.outcomes
    ]
    codes = sorted(set(entry.errors) | set(state.errors) | EVERY_CALL_CODES)
    out += [Input("message", f"FAILED {c}", _msg(status="FAILED", error={"code": c})) for c in codes]
    out.append(Input("message", "malformed: status missing", _msg()))
    if entry.output.field is not None:
        out.append(Input("message", "malformed: result field of the wrong type",
                         _msg(status="SUCCEEDED", result={entry.output.field: [1]})))
    out.append(Input("raise", "ConnectionError", exc=ConnectionError))
    out.append(Input("raise", "RuntimeError", exc=RuntimeError))
    return tuple(out)


def question_inputs(canary: str) -> tuple[Input, ...]:
    return (
        Input("answer", "valid answer", answer=canary),
        Input("answer", "invalid answer", answer=INVALID_ANSWER),
        Input("answer", "forgot PIN", answer=FORGOT_PIN),
        Input("answer", "cancel", answer=CANCEL),
    )


def canaries(flow: FlowSpec) -> dict[str, str]:
    """A valid answer for each question of ``flow``, distinct for each (input, slot) pair.

    The values are canaries: a secret parameter must carry one given for an input of its own name.
    """
    out: dict[str, str] = {}
    by_pair: dict[tuple[str | None, str | None], str] = {}
    for state in flow.states:
        if state.kind != "question":
            continue
        pair = (state.ask, state.slot)
        if pair not in by_pair:
            by_pair[pair] = _canary(state.ask or "", len(by_pair), set(by_pair.values()))
        out[state.name] = by_pair[pair]
    return out


def _canary(ask: str, i: int, used: set[str]) -> str:
    for n in range(1000):
        k = 31 * i + n
        for value in (f"{58 + k % 40}{(k * 7919) % 10000:04d}", f"+3361{k:07d}", f"VF7ABCDE{k:09d}"):
            if value not in used and valid(ask, value, new_pin=value.isdigit()):
                return value
    return f"canary-{i}"  # pragma: no cover - an input no template fits


def inputs(flow: FlowSpec, canary: Mapping[str, str]) -> dict[str, tuple[Input, ...]]:
    """Every answer the environment can give at each call and question of ``flow``."""
    out: dict[str, tuple[Input, ...]] = {}
    for s in flow.states:
        if s.kind == "call" and s.call is not None and s.call in CATALOG:
            out[s.name] = call_inputs(s, CATALOG[s.call])
        elif s.kind == "question":
            out[s.name] = question_inputs(canary[s.name])
    return out


def given(flow: FlowSpec, canary: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """The answers a person gives for each input name: the only legitimate values of a secret parameter."""
    asks: dict[str, set[str]] = {}
    for s in flow.states:
        if s.kind == "question" and s.ask is not None:
            asks.setdefault(s.ask, set()).add(canary[s.name])
    return {k: frozenset(v) for k, v in asks.items()}


def apply(flow: Flow, inp: Input, tid: str = TID) -> None:
    """Feed ``inp`` to ``flow`` as the executor does (a malformed message goes to receive_exception)."""
    if inp.kind == "answer":
        flow.answer(inp.answer)
    elif inp.kind == "raise":
        assert inp.exc is not None
        flow.receive_exception(inp.exc("simulated failure"))
    else:
        assert inp.message is not None
        message = dict(inp.message, transactionId=tid)
        try:
            flow.receive(message)
        except MalformedMessage as exc:
            flow.receive_exception(exc)
