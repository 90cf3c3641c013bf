"""The generic vocabulary of a flow definition: data, no behaviour.

A :class:`FlowSpec` is a tuple of :class:`State` values; each state lists its
:class:`Edge` values. An edge is taken when the classified outcome of the
state's call or question equals ``outcome`` and its ``guard`` (if any) holds;
alternatives for one outcome are tried in order and the last has no guard.
Counters, guards and outcomes are named here so that the machine, the
diagrams, the docs and the checker all read the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

from fsm.records import methods

Kind = Literal["call", "question", "terminal"]

# Terminal states.
ENROLLED = "enrolled"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
TERMINALS = (ENROLLED, DONE, FAILED, CANCELLED)
SUCCESS_TERMINALS = frozenset({ENROLLED, DONE})

# Outcomes shared by every call (classified before the step's own table).
TRANSIENT = "transient"
ERROR_2317 = "error_2317"
INPUT_ERROR = "input_error"
UNEXPECTED_ERROR = "unexpected_error"
MALFORMED = "malformed"
PORT_ERROR = "port_error"
SUCCEEDED = "succeeded"
# Outcomes of every question.
ANSWERED = "answered"
INVALID = "invalid"
CANCEL = "cancel"
FORGOT_PIN = "forgot_pin"
#: Outcomes after which a question is asked again; ``Question.why`` names the one that led back to it.
REASK = frozenset({INVALID, "sms_invalid", "pin_rejected", "same_pin"})
#: The counter of invalid answers in a row: every question's attempt number counts it.
INVALID_ANSWERS = "invalid_answers"

#: Plain words for every outcome, for diagrams, docs, reasons and questions.
OUTCOME_WORDS: Mapping[str, str] = {
    "activated": "isDeviceActivated true",
    "not_activated": "isDeviceActivated false",
    "blocked": "blocked (PinBlocked, PINBlocked, AccountBlocked, true)",
    "not_blocked": "NotBlocked (or false)",
    "blocked_unknown": "Unknown",
    "phone_present": "phone number present",
    "no_phone": "no phone number (null, empty or FAILED 2307)",
    "already_enrolled": "status AlreadyEnrolled",
    "not_enrolled": "status NotEnrolled",
    "sms_invalid": "FAILED 2305 (SMS code invalid)",
    "sms_expired": "FAILED 2306 (SMS code expired)",
    "phone_taken": "FAILED 2390 (phone number already registered)",
    "same_pin": "FAILED 2315 (new PIN equals the old one)",
    "needs_strong_auth": "FAILED 2302 (needs strong authentication)",
    "pin_rejected": "FAILED (PIN rejected)",
    SUCCEEDED: "SUCCEEDED",
    TRANSIENT: "transient (FAILED 2201/2202/2204, connection or timeout error)",
    ERROR_2317: "FAILED 2317",
    INPUT_ERROR: "FAILED 2010/2101/2102 (input error)",
    UNEXPECTED_ERROR: "other FAILED code",
    MALFORMED: "malformed message",
    PORT_ERROR: "the port raised an error",
    ANSWERED: "valid answer",
    INVALID: "invalid answer",
    CANCEL: "cancel",
    FORGOT_PIN: "forgot PIN",
}


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Counter:
    """A bounded count kept by a running flow.

    ``bound`` names the option that bounds it (``max_pin_attempts``) or is a
    constant. ``progress_resets``: the count goes back to 0 whenever the flow
    takes an edge for any other outcome than the one that counts it (transient
    retries and invalid answers are per call and per question).
    """

    name: str
    bound: str | int
    words: str
    progress_resets: bool = False


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Guard:
    """A condition on an edge: ``below`` a counter's bound, or a named context flag."""

    kind: Literal["below", "flag"]
    name: str

    @property
    def words(self) -> str:
        """What must hold: ``PIN submissions left``, ``shortcut allowed``."""
        if self.kind == "below":
            return f"{COUNTED.get(self.name, (self.name, self.name.replace('_', ' ')))[1]} left"
        return self.name

    @property
    def else_words(self) -> str:
        """What holds when it does not (an else edge's words): ``no PIN submission left``."""
        if self.kind == "below":
            return f"no {COUNTED.get(self.name, (self.name.replace('_', ' '), ''))[0]} left"
        return FLAG_ELSE.get(self.name, f"not {self.name}")


#: What each counter counts, (singular, plural), for the words of its guard: "PIN submissions left",
#: and of the else edge after it: "no PIN submission left".
COUNTED: Mapping[str, tuple[str, str]] = {
    "pin_attempts": ("PIN submission", "PIN submissions"),
    "code_attempts": ("SMS code attempt", "SMS code attempts"),
    "same_pin": ("new-PIN attempt", "new-PIN attempts"),
    "restarts": ("restart", "restarts"),
    "transient_retries": ("retry", "retries"),
    "invalid_answers": ("invalid answer", "invalid answers"),
    "strong_auth": ("strong-authentication retry", "strong-authentication retries"),
}
#: What holds when a flag guard does not.
FLAG_ELSE: Mapping[str, str] = {"shortcut allowed": "shortcut not allowed"}


def below(counter: str) -> Guard:
    """The guard "``counter`` is still below its bound"."""
    return Guard(kind="below", name=counter)


SHORTCUT = Guard(kind="flag", name="shortcut allowed")


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Edge:
    """Where an outcome leads from a state.

    ``count`` is incremented when the edge is taken. ``cause`` names, for an
    edge into ``failed`` or ``cancelled``, why the run ends; ``code`` is the
    SDK code that ends it when the message that took it carried none.
    """

    outcome: str
    target: str
    guard: Guard | None = None
    count: str | None = None
    cause: str | None = None
    code: int | None = None


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class State:
    """One state of a flow: a step of the tutorial, or a part of one.

    ``name`` is unique in the flow (``"8"``, ``"8:pinCode"``); ``step`` is the
    tutorial's step id it belongs to. A call state names its catalog entry; a
    question state the SDK parameter it asks (``ask``) and where the answer is
    kept (``slot``).
    """

    name: str
    step: str
    title: str
    kind: Kind
    call: str | None = None
    ask: str | None = None
    slot: str | None = None
    prompt: str = ""
    #: Error codes this step handles itself, and the outcome each one is.
    errors: Mapping[int, str] = attrs.field(factory=dict)
    #: Outcome of any other FAILED code that no rule for every call claims.
    other_errors: str | None = None
    #: Counter incremented when the call is made (write-ahead: a PIN sent counts).
    counts: str | None = None
    #: Counter shown as the question's attempt number, besides invalid answers.
    tally: str | None = None
    #: The answer becomes a new PIN: obvious PINs are refused (NIST SP 800-63B).
    new_pin: bool = False
    #: Result fields kept for later calls (e.g. the trusted phone number of step 3).
    keep: tuple[str, ...] = ()
    edges: tuple[Edge, ...] = ()

    @property
    def terminal(self) -> bool:
        return self.kind == "terminal"

    def outcomes(self) -> tuple[str, ...]:
        """The outcomes this state handles, in table order."""
        return tuple(dict.fromkeys(e.outcome for e in self.edges))

    def alternatives(self, outcome: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.outcome == outcome)

    @property
    def attempt_counters(self) -> tuple[str, ...]:
        """The counters a question's attempt number adds to 1: invalid answers in a row, then its tally."""
        return (INVALID_ANSWERS,) + ((self.tally,) if self.tally is not None else ())


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class FlowSpec:
    """One flow: its states (the first is the initial one) and counters."""

    name: str
    title: str
    states: tuple[State, ...]
    counters: tuple[Counter, ...]
    #: Free text: the resolved ambiguities that shape this flow (for the docs).
    notes: tuple[str, ...] = ()

    @property
    def initial(self) -> str:
        return self.states[0].name

    def state(self, name: str) -> State:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def counter(self, name: str) -> Counter:
        for c in self.counters:
            if c.name == name:
                return c
        raise KeyError(name)

    def effects(self, source: State, edge: Edge) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What taking ``edge`` from ``source`` does to the counters: (names reset to 0, names added one to).

        The edge's own ``count``, and the target's write-ahead ``counts`` when the edge enters it from another
        state, are added one to; every counter that ``progress_resets`` goes back to 0 unless this edge counts
        it (the reset comes first).
        """
        counted = [edge.count] if edge.count is not None else []
        target = self.state(edge.target)
        if target.counts is not None and target.name != source.name:
            counted.append(target.counts)
        resets = tuple(c.name for c in self.counters if c.progress_resets and c.name != edge.count)
        return resets, tuple(counted)


#: How an outcome's reason reads (``fsm.Outcome.reason``): a success, an end that is not, the code it carries.
REASON_SUCCESS = "{title}: {state}"
REASON_FAILURE = "{state} at step {step}: {words}"
REASON_CODE = " (SDK error {code})"
#: Causes whose reason gives the detail of what happened (the malformed field, the class the port raised).
DETAILED_CAUSES = frozenset({"malformed_message", "port_error"})

#: Plain words for why a run ended (``cause`` of the edge into a terminal state).
CAUSE_WORDS: Mapping[str, str] = {
    "activated": "the device is enrolled",
    "not_enrolled": "this device has no active enrollment: enroll it first",
    "no_phone": "the account has no trusted phone number: enroll with a phone number first",
    "pin_attempts_exhausted": "the PIN was refused too many times",
    "code_attempts_exhausted": "the SMS code was refused too many times",
    "same_pin_exhausted": "the new PIN was refused too many times (same as the old one)",
    "restarts_exhausted": "the account is still blocked after removing all enrollments",
    "strong_auth_refused": "strong authentication was asked for again after a one-time password",
    "forbidden": "the SDK refused the operation (2317: activated, blocked or upgradable state)",
    "transient_retries_exhausted": "the SDK could not be reached after retrying",
    "input_error": "the SDK refused the call's parameters (a bug in the caller)",
    "unexpected_error": "the SDK answered an error this step does not expect",
    "malformed_message": "the SDK answered a message that is not well formed",
    "port_error": "the port raised an error",
    "invalid_answers_exhausted": "too many invalid answers",
    "cancelled_by_person": "the person cancelled",
}
