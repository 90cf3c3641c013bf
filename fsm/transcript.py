"""Transcripts: a run written down as JSON (calls, messages, answers), and replayed.

A transcript holds no secret. A secret answer is written ``"***"`` with the
outcome it had; on replay a valid answer is made up for it (the scripted port
checks every parameter but secrets, whose values the SDK alone judges), and an
invalid one stays invalid. ``fsm run --record``, the model checker's
counterexamples and ``fsm paths`` all write this format; the scripted port
replays it.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import attrs

from fsm import spec
from fsm.catalog import CATALOG
from fsm.errors import FsmError, PortError
from fsm.executor import DEFAULT_BACKOFF, asked, called, drive, perform, run
from fsm.inputs import valid
from fsm.machine import Flow, Outcome, start
from fsm.messages import (
    CANCEL,
    FAILED,
    FORGOT_PIN,
    MAX_CODE_DIGITS,
    MAX_FIELD,
    MAX_RESULT_FIELDS,
    MAX_TRANSACTION_ID,
    SUCCEEDED,
    Answer,
    Call,
    Question,
    Reply,
)
from fsm.ports import Person, Port
from fsm.secret import MASK, SECRET_NAMES, Secret

VERSION = 1
#: What a secret answer becomes on replay; valid for every input that is a secret.
STAND_IN = {"pinCode": "402718", "smsCode": "802461", "oldPIN": "402718", "newPIN": "517093"}
REPLIES = {"FORGOT_PIN": FORGOT_PIN, "CANCEL": CANCEL}


class TranscriptError(FsmError):
    """A transcript is not well formed, or a replay did not follow it."""


#: A stand-in of each JSON type, for a value whose type alone decides how the message parses.
_STAND_INS: dict[type, object] = {str: "", bool: False, int: 0, float: 0.0, list: [], dict: {}}


def _shape(value: object) -> object:
    """A value of the same JSON type as ``value`` and nothing of its content (None for what is not JSON)."""
    if isinstance(value, Mapping):
        return {}
    return copy.copy(_STAND_INS.get(type(value)))


def _field(name: str, value: object) -> object:
    """A result field as replay needs it: scalars kept, a secret masked, a long string only as long."""
    if type(value) is str:
        if len(value) > MAX_FIELD:
            return "x" * (MAX_FIELD + 1)
        return MASK if name in SECRET_NAMES and value else value
    if value is None or type(value) in (bool, int, float):
        return value
    return []  # a nested value parses as one marker, whatever it holds


def recorded_message(call: Call, message: object) -> object:
    """What a transcript keeps of the SDK's ``message`` to ``call``: an allow-list, field by field.

    Kept: ``transactionId`` (when it is a usable id), ``status`` (an unknown one as ``"UNKNOWN"``), the one
    result field the call is read by (``fsm.catalog.Output.read``; a secret one masked) and ``error.code``.
    Dropped: labels, every other field, anything nested. A field of the wrong type is kept as a stand-in of
    its type. The recorded message parses and classifies as the message did (tests/test_transcripts.py).
    """
    if not isinstance(message, Mapping):
        return _shape(message)
    out: dict[str, object] = {}
    tid = message.get("transactionId")
    if tid is not None:
        out["transactionId"] = tid if type(tid) is str and len(tid) <= MAX_TRANSACTION_ID else _shape(tid)
    if "status" not in message:
        return out
    status = message["status"]
    out["status"] = status if status in (SUCCEEDED, FAILED) else "UNKNOWN" if type(status) is str else _shape(status)
    if status == SUCCEEDED:
        if message.get("error") is not None:
            out["error"] = {}
        result = message.get("result")
        if result is not None:
            out["result"] = _result(call, result)
    elif status == FAILED and "error" in message:
        error = message["error"]
        if isinstance(error, Mapping):
            out["error"] = {"code": _code(error["code"])} if "code" in error else {}
        else:
            out["error"] = _shape(error)
    return out


def _result(call: Call, result: object) -> object:
    if not isinstance(result, Mapping):
        return _shape(result)
    if len(result) > MAX_RESULT_FIELDS:  # too many fields: as many stand-ins
        return {f"field{i}": 0 for i in range(len(result))}
    output = CATALOG[call.name].output
    names = (output.field, *output.aliases) if output.field is not None else ()
    read = next((n for n in names if n in result), None)  # the field Output.read reads
    out: dict[str, object] = {}
    for key, value in result.items():
        if key == read:
            out[key] = _field(key, value)
        elif type(key) is str and type(value) is str and len(value) > MAX_FIELD:  # makes the message malformed
            out[key if key.isascii() and key.isidentifier() and len(key) <= 64 else "field"] = "x" * (MAX_FIELD + 1)
            break  # parsing stops at the first
    return out


def _code(code: object) -> object:
    if type(code) is int:
        return code
    if type(code) is str:
        return code if 0 < len(code) <= MAX_CODE_DIGITS and code.isascii() and code.isdigit() else "x"
    return _shape(code) if isinstance(code, list | Mapping) or type(code) in _STAND_INS else None


@attrs.define(kw_only=True)
class Transcript:
    """A run: its flow, options, events and how it ended."""

    flow: str
    options: dict[str, Any] = attrs.field(factory=dict)
    events: list[dict[str, Any]] = attrs.field(factory=list)
    outcome: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "flow": self.flow, "options": self.options, "events": self.events,
                "outcome": self.outcome}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, data: object) -> Transcript:
        if not isinstance(data, Mapping) or data.get("version") != VERSION:
            raise TranscriptError(f"not a transcript of version {VERSION}")
        flow, options, events = data.get("flow"), data.get("options", {}), data.get("events")
        if type(flow) is not str or not isinstance(options, Mapping) or not isinstance(events, list):
            raise TranscriptError("a transcript needs flow (str), options (object) and events (list)")
        for i, ev in enumerate(events):
            if not isinstance(ev, Mapping) or not (("call" in ev) ^ ("question" in ev)):
                raise TranscriptError(f"event {i} is neither a call nor a question")
        outcome = data.get("outcome")
        return cls(flow=flow, options=dict(options), events=[dict(e) for e in events],
                   outcome=dict(outcome) if isinstance(outcome, Mapping) else None)

    @classmethod
    def loads(cls, text: str) -> Transcript:
        try:
            return cls.from_json(json.loads(text))
        except json.JSONDecodeError as exc:
            raise TranscriptError(f"not JSON: line {exc.lineno}") from None


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {"state": outcome.state, "error_code": outcome.error_code, "cause": outcome.cause}


def record_call(call: Call, message: object = None, raised: BaseException | None = None) -> dict[str, Any]:
    """A call and what came back: the message as :func:`recorded_message` keeps it, or the class raised."""
    event: dict[str, Any] = {"step": call.step, "call": {"op": call.op, "api": call.api,
                                                         "parameters": call.masked()}}
    if raised is not None:
        event["raises"] = raised.original if isinstance(raised, PortError) else type(raised).__name__
    else:
        event["message"] = recorded_message(call, message)
    return event


def record_answer(question: Question, answer: object, outcome: str) -> dict[str, Any]:
    """A question and its answer: a secret, or an answer that is not valid, written ``***`` (it may be a
    secret typed in the wrong field); ``outcome`` says what it was. ``attempt`` and ``why`` are the question as
    it was asked (a replay in another runtime checks its re-asks against them)."""
    event: dict[str, Any] = {"step": question.step, "question": question.name, "attempt": question.attempt,
                             "why": question.why, "outcome": outcome}
    if isinstance(answer, Reply):
        event["reply"] = answer.name
    else:
        plain = answer.reveal() if isinstance(answer, Secret) else answer
        shown = not question.secret and type(plain) is str and valid(question.name, plain, new_pin=question.new_pin)
        event["answer"] = plain if shown else MASK
    return event


class Recorder:
    """Wraps a port and a person; :meth:`run` runs a flow and writes its transcript."""

    def __init__(self, port: Port, person: Person) -> None:
        self.port = port
        self.person = person

    def run(
        self, flow: str, *, on_step: Callable[[Flow], None] | None = None, **options: Any
    ) -> tuple[Outcome, Transcript]:
        transcript = Transcript(flow=flow, options=dict(options))
        recorded = transcript.events

        def note(flow_: Flow) -> None:  # fill in the outcome the flow gave the last answer
            if recorded and "question" in recorded[-1] and not recorded[-1]["outcome"] and flow_.trace:
                recorded[-1]["outcome"] = flow_.trace[-1].outcome
            if on_step is not None:
                on_step(flow_)

        def call(action: Call) -> tuple[Any, Exception | None]:
            reply = called(self.port, action)
            recorded.append(record_call(action, reply[0], reply[1]))
            return reply

        def ask(question: Question) -> Any:
            answer = asked(self.person, question)
            recorded.append(record_answer(question, answer, ""))
            return answer

        loop = drive(start(flow, **options), DEFAULT_BACKOFF, random.Random(0), note)
        outcome = perform(loop, call, ask, lambda _: None)
        transcript.outcome = outcome_json(outcome)
        return outcome, transcript


class ScriptedPort:
    """A port that answers from a transcript's events and records what it was asked.

    Every call must match the next recorded call (op, api, and every parameter
    but secrets, which must only be present); a mismatch is kept in
    :attr:`mismatches` and answered with an exception, so the run ends.
    """

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self._calls: Iterator[dict[str, Any]] = iter([e for e in events if "call" in e])
        self.calls: list[dict[str, Any]] = []
        self.mismatches: list[str] = []

    def get(self, api: str, parameters: Mapping[str, str]) -> Any:
        return self._next("get", api, parameters)

    def set(self, api: str, parameters: Mapping[str, str]) -> Any:
        return self._next("set", api, parameters)

    def _next(self, op: str, api: str, parameters: Mapping[str, str]) -> Any:
        shown = {k: MASK if k in SECRET_NAMES else v for k, v in parameters.items()}
        self.calls.append({"op": op, "api": api, "parameters": shown})
        event = next(self._calls, None)
        if event is None:
            self.mismatches.append(f"unexpected call {op} {api}: the transcript has no more calls")
            raise TranscriptError("no more calls in the transcript")
        want = event["call"]
        if (want.get("op"), want.get("api"), want.get("parameters")) != (op, api, shown):
            self.mismatches.append(f"call {len(self.calls)}: expected {want}, got {self.calls[-1]}")
            raise TranscriptError("the call differs from the transcript")
        if "raises" in event:
            raise _EXCEPTIONS.get(event["raises"], RuntimeError)("scripted failure")
        return copy.deepcopy(event.get("message"))


_EXCEPTIONS: dict[str, type[Exception]] = {
    "ConnectionError": ConnectionError,
    "TimeoutError": TimeoutError,
    "RuntimeError": RuntimeError,
    "ValueError": ValueError,
    "OSError": OSError,
}


class ScriptedPerson:
    """A person who gives the transcript's answers in order (or a list of answers)."""

    def __init__(self, events: list[dict[str, Any]] | list[Answer]) -> None:
        self._answers = iter(events)
        self.asked: list[Question] = []

    def provide(self, question: Question) -> Answer:
        self.asked.append(question)
        event = next(self._answers, None)
        if event is None:
            return CANCEL
        if not isinstance(event, dict):
            return event
        if "reply" in event:
            return REPLIES[event["reply"]]
        answer = event.get("answer")
        if answer == MASK:
            if event.get("outcome") == spec.INVALID:
                return "not a valid answer"
            return STAND_IN.get(question.name, "402718")
        # A recorded answer is replayed as it was, even a wrong type: the flow judges it.
        return cast(Answer, answer)


@attrs.frozen
class Replay:
    """What a replay did: the outcome, and every way it strayed from the transcript."""

    outcome: Outcome
    mismatches: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def replay(transcript: Transcript) -> Replay:
    """Run the transcript's flow against its own events; compare calls and outcome."""
    port = ScriptedPort(transcript.events)
    person = ScriptedPerson([e for e in transcript.events if "question" in e])
    outcome = run(transcript.flow, port=port, person=person, sleep=lambda _: None, **transcript.options)
    problems = list(port.mismatches)
    left = sum(1 for e in transcript.events if "call" in e) - len(port.calls)
    if left > 0:
        problems.append(f"{left} recorded call(s) were never made")
    want = transcript.outcome
    if want is not None:
        got = outcome_json(outcome)
        for key in ("state", "error_code", "cause"):
            if key in want and want[key] != got[key]:
                problems.append(f"outcome {key}: expected {want[key]!r}, got {got[key]!r}")
    return Replay(outcome=outcome, mismatches=tuple(problems))
