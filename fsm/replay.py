"""A recorded run replayed on the current machine, and the first place they part (``fsm replay``).

The way a QA engineer checks a session recorded from a real device (or by ``fsm run --record``) against
the flows as they are now: the transcript's events are fed to a fresh flow one by one by
:func:`fsm.check.replay_steps` (the checker's own replay, so a recorded message is read exactly as the
checker reads one), and what the machine did (its trace) is compared with what was recorded, event by
event: the call made (op, API, parameters, secrets masked), the question asked and how its answer was
taken, then how the run ended. The first difference is the divergence.
"""

from __future__ import annotations

import attrs

from fsm import spec
from fsm.errors import OptionError
from fsm.flows import FLOWS
from fsm.machine import Flow, TraceEntry
from fsm.messages import Call, Question
from fsm.options import make_options
from fsm.transcript import Transcript, TranscriptError, outcome_json


@attrs.frozen
class Divergence:
    """Where a replay parted from its transcript: ``kind`` call, question or end; ``event`` counts from 1."""

    kind: str
    event: int | None
    recorded: str
    machine: str

    def __str__(self) -> str:
        where = "the end" if self.event is None else f"event {self.event} ({self.kind})"
        return f"{where}: recorded {self.recorded}; the machine {self.machine}"


@attrs.frozen
class Replayed:
    """A transcript replayed: the flow where it stopped, and the first divergence (None: it follows)."""

    flow: Flow
    events: int
    divergence: Divergence | None

    @property
    def ok(self) -> bool:
        return self.divergence is None


def _call_words(op: object, api: object, parameters: object) -> str:
    shown = ", ".join(f"{k}: {v}" for k, v in parameters.items()) if isinstance(parameters, dict) else ""
    return f"{op} {api} {{{shown}}}"


def _recorded(event: dict[str, object]) -> str:
    if "call" in event:
        call = event["call"]
        assert isinstance(call, dict)
        return "the call " + _call_words(call.get("op"), call.get("api"), call.get("parameters"))
    return f"the question {event.get('question')}"


def _done(entry: TraceEntry) -> str:
    if entry.kind == "call":
        return "makes the call " + _call_words(entry.op, entry.name, dict(entry.parameters))
    return f"asks {entry.name}"


def _waits(flow: Flow) -> str:
    action = flow.action
    if isinstance(action, Call):
        return "makes the call " + _call_words(action.op, action.api, action.masked())
    if isinstance(action, Question):
        return f"asks {action.name}"
    outcome = flow.outcome
    assert outcome is not None
    return f"has ended {outcome.state} ({outcome.cause})"


def replay(transcript: Transcript) -> Replayed:
    """Replay ``transcript`` on the current machine; the first divergence, if any.

    Raises :class:`fsm.transcript.TranscriptError` for a transcript of a flow or with options this version
    does not know.
    """
    from fsm.check import replay_steps

    if transcript.flow not in FLOWS:
        raise TranscriptError(f"a run of {transcript.flow!r}, a flow this version does not have "
                              f"(flows: {', '.join(FLOWS)})")
    try:
        make_options(**transcript.options)
    except (OptionError, TypeError) as exc:
        raise TranscriptError(f"its options are not valid here: {exc}") from None
    for i, event in enumerate(transcript.events):
        if "call" in event and not isinstance(event["call"], dict):
            raise TranscriptError(f"event {i + 1}: its call is not an object")
    flow, _ = replay_steps(transcript.flow, transcript)
    trace = flow.trace
    events = transcript.events
    for i, event in enumerate(events):
        kind = "call" if "call" in event else "question"
        if i >= len(trace):
            return Replayed(flow, len(events), Divergence(kind, i + 1, _recorded(event), _waits(flow)))
        entry = trace[i]
        if kind == "call":
            call = event["call"]
            want = (call.get("op"), call.get("api"), call.get("parameters"))
            if entry.kind != "call" or (entry.op, entry.name, dict(entry.parameters)) != want:
                return Replayed(flow, len(events), Divergence(kind, i + 1, _recorded(event), _done(entry)))
        else:
            if entry.kind != "question" or entry.name != event.get("question"):
                return Replayed(flow, len(events), Divergence(kind, i + 1, _recorded(event), _done(entry)))
            taken = event.get("outcome")
            if taken and taken != entry.outcome:
                words = spec.OUTCOME_WORDS
                return Replayed(flow, len(events), Divergence(
                    kind, i + 1, f"the answer to {entry.name} taken as {words.get(str(taken), taken)}",
                    f"takes it as {words.get(entry.outcome, entry.outcome)}"))
    ending = transcript.outcome
    if ending is not None:
        if flow.outcome is None:
            return Replayed(flow, len(events), Divergence("end", None, f"an end: {ending.get('state')}",
                                                          _waits(flow)))
        got = outcome_json(flow.outcome)
        for key in ("state", "cause", "error_code"):
            if key in ending and ending[key] != got[key]:
                return Replayed(flow, len(events), Divergence(
                    "end", None, f"the end {ending.get('state')} (cause {ending.get('cause')}, error_code "
                    f"{ending.get('error_code')})", f"ends {got['state']} (cause {got['cause']}, error_code "
                    f"{got['error_code']})"))
    return Replayed(flow, len(events), None)
