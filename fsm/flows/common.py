"""Builders for the rules every call and every question share.

A step module writes only what is particular to a step; these functions add
what the protocol says of every call (transient retries, 2317, input errors,
other codes, malformed messages, port errors) and of every question (invalid
answers, cancel). The rules are written here once, as data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from fsm import spec
from fsm.catalog import CATALOG
from fsm.classify import possible_outcomes
from fsm.spec import CANCELLED, FAILED, Counter, Edge, State, below

#: The decisions every flow shares, where the tutorial is silent or ambiguous, each with its reason
#: (rendered by ``fsm docs``; each flow's own decisions are its ``notes``).
NOTES = (  # pragma: no mutate (prose for the reference)
    "Every call: a transient failure (FAILED 2201/2202/2204, or the port raising a connection or timeout "
    "error) repeats the same call, the PIN included, at most max_transient_retries times in a row, after a "
    "capped, jittered backoff; a repeat never counts as another PIN or SMS code attempt, because the person "
    "gave nothing new.",
    "Every call: FAILED 2010/2101/2102 (input errors) end the run at once, because every answer is validated "
    "before a call: such an error is a bug in the caller, and repeating the call would repeat it. Step 8 is "
    "the exception the tutorial makes: any FAILED there but 2317 and the transient codes asks the PIN again.",
    "Every call: a FAILED code the step does not handle ends the run failed with that code, so a program can "
    "tell what the SDK said (Outcome.error_code).",
    "A message that is not well formed (status missing or unknown, a result field of the wrong type, an "
    "error code that is neither an int nor a digit string, a SUCCEEDED that also carries an error) is never "
    "guessed into a success: Flow.receive raises MalformedMessage and leaves the flow unchanged (the host "
    "decides), and fsm.run ends the run failed, naming the step and the field.",
    "Answers are checked before any call, as strings only (an int would lose leading zeros) and without "
    "stripping or normalising anything (\"1234\\n\", Arabic-Indic or full-width digits are refused): PINs and "
    "SMS codes are 4 to 8 ASCII digits, a phone number an optional + and 6 to 15 ASCII digits, a VIN 17 "
    "characters of A-H J-N P R-Z 0-9. An invalid answer is asked again, at most max_code_attempts times in a "
    "row, then the run is cancelled.",
    "A new PIN that is one digit repeated or a straight run (0000, 1234, 9876) is refused before any call, as "
    "NIST SP 800-63B asks, even though the tutorial's own examples use 1234.",
    "An answer that leads nowhere (forgot PIN where no reset is offered, a value that is not a string) is an "
    "invalid answer: asked again, then cancelled.",
    "A PIN submission counts when its call is made, because the PIN may have left the device: a refused PIN "
    "never gives its attempt back, not after a new SMS code, not after A or B, not after a resumed snapshot "
    "(NIST SP 800-63B).",
    "Every 'ask again' is bounded, so every run ends (fsm check proves it): PINs by max_pin_attempts "
    "submissions in all; a refused or expired SMS code, a new PIN equal to the old one (2315) and invalid "
    "answers by max_code_attempts; passes through A by max_restarts. The tutorial gives no bound; without "
    "one, the model checker found an expired code (2306) an endless loop of SMS requests.",
    "Asking again is its own state (…:smsCode:again): after the SDK refuses an SMS code the flow asks only "
    "the code again and goes straight back to the call, instead of asking the new PIN again; every path is in "
    "the table and the pictures, with no hidden 'do we already have it?' guard.",
    "A run that failed because the transient retries of a call ran out is resumable at that call "
    "(Outcome.resumable: its snapshot resumes the same call, the retry counter at 0, every other counter "
    "kept), because an SDK that could not be reached may be reached later; every other failed end is final. "
    "A snapshot is accepted only when it describes a configuration a run reaches under its own options, so "
    "an edited snapshot cannot buy a PIN submission, a restart or a call past its bound.",
    "The destructive A (remove all enrollments) is made only right after an explicit signal: a blocked "
    "status at step 2 or FAILED 2317 at a call of the enrollment. A standalone flow never makes it on its "
    "own.",
)

COUNTERS = (
    Counter(name="transient_retries", bound="max_transient_retries", words="retries of one call", progress_resets=True),
    Counter(name="invalid_answers", bound="max_code_attempts", words="invalid answers in a row", progress_resets=True),
    Counter(name="pin_attempts", bound="max_pin_attempts", words="PIN submissions"),
    Counter(name="code_attempts", bound="max_code_attempts", words="SMS codes refused"),
    # A new PIN refused as equal to the old one is a choice to make again, not a PIN guessed: it is bounded
    # like the other answers asked again, which also keeps the model checker linear in max_pin_attempts.
    Counter(name="same_pin", bound="max_code_attempts", words="new PINs refused as equal to the old one"),
    Counter(name="restarts", bound="max_restarts", words="passes through A"),
    Counter(name="strong_auth", bound=1, words="one-time passwords fetched"),
)


def fail(outcome: str, cause: str, *, code: int | None = None) -> Edge:
    return Edge(outcome=outcome, target=FAILED, cause=cause, code=code)


def retry(outcome: str, target: str, counter: str, cause: str) -> tuple[Edge, Edge]:
    """``outcome`` leads to ``target`` while ``counter`` is below its bound, else to failed."""
    return (
        Edge(outcome=outcome, target=target, guard=below(counter), count=counter),
        fail(outcome, cause),
    )


def guarded(outcome: str, target: str, counter: str, cause: str) -> tuple[Edge, Edge]:
    """``outcome`` leads to ``target`` only while ``counter`` is below its bound (nothing counted)."""
    return (Edge(outcome=outcome, target=target, guard=below(counter)), fail(outcome, cause))


def call(
    name: str,
    step: str,
    title: str,
    entry: str,
    edges: Iterable[Edge],
    *,
    on_2317: Iterable[Edge] = (fail(spec.ERROR_2317, "forbidden"),),
    errors: Mapping[int, str] | None = None,
    other_errors: str | None = None,
    counts: str | None = None,
    keep: tuple[str, ...] = (),
) -> State:
    """A call state: the step's own edges, then the rules for every call it can meet."""
    own = tuple(edges)
    state = State(
        name=name, step=step, title=title, kind="call", call=entry,
        errors=dict(errors or {}), other_errors=other_errors, counts=counts, keep=keep,
    )
    handled = {e.outcome for e in own}
    common: dict[str, tuple[Edge, ...]] = {
        spec.TRANSIENT: retry(spec.TRANSIENT, name, "transient_retries", "transient_retries_exhausted"),
        spec.ERROR_2317: tuple(on_2317),
        spec.INPUT_ERROR: (fail(spec.INPUT_ERROR, "input_error"),),
        spec.UNEXPECTED_ERROR: (fail(spec.UNEXPECTED_ERROR, "unexpected_error"),),
        spec.MALFORMED: (fail(spec.MALFORMED, "malformed_message"),),
        spec.PORT_ERROR: (fail(spec.PORT_ERROR, "port_error"),),
    }
    rest = [
        e
        for outcome in possible_outcomes(state, CATALOG[entry])
        if outcome not in handled
        for e in common.get(outcome, ())
    ]
    return attrs.evolve(state, edges=own + tuple(rest))


def question(
    name: str,
    step: str,
    ask: str,
    prompt: str,
    answered: Iterable[Edge] | str,
    *,
    slot: str | None = None,
    tally: str | None = None,
    forgot_pin: str | None = None,
    new_pin: bool = False,
) -> State:
    """A question state: a valid answer goes on; an invalid one is asked again, boundedly."""
    own = (Edge(outcome=spec.ANSWERED, target=answered),) if isinstance(answered, str) else tuple(answered)
    edges = [
        *own,
        Edge(outcome=spec.INVALID, target=name, guard=below("invalid_answers"), count="invalid_answers"),
        Edge(outcome=spec.INVALID, target=CANCELLED, cause="invalid_answers_exhausted"),
        Edge(outcome=spec.CANCEL, target=CANCELLED, cause="cancelled_by_person"),
    ]
    if forgot_pin is not None:
        edges.append(Edge(outcome=spec.FORGOT_PIN, target=forgot_pin))
    return State(
        name=name, step=step, title=prompt, kind="question", ask=ask, slot=slot or ask,
        prompt=prompt, tally=tally, new_pin=new_pin, edges=tuple(edges),
    )


def again(state: str) -> str:
    """The name of the state that asks ``state``'s question again after the SDK refused the answer."""
    return f"{state}:again"


def terminals(*names: str) -> tuple[State, ...]:
    return tuple(State(name=n, step=n, title=n, kind="terminal") for n in names)


def reset_pin(after: Iterable[Edge], *, on_2317: tuple[Edge, ...]) -> tuple[State, ...]:
    """Step B (reset PIN): request the code, ask it and the new PIN, reset; ``after`` on SUCCEEDED."""
    return (
        call("B:request", "B", "request the reset-PIN SMS code", "sms_reset_pin",
             [Edge(outcome=spec.SUCCEEDED, target="B:smsCode")], on_2317=on_2317),
        question("B:smsCode", "B", "smsCode", "the SMS code received to reset the PIN",
                 "B:pinCode", slot="resetSmsCode"),
        question("B:pinCode", "B", "pinCode", "a new PIN", "B", tally="same_pin", new_pin=True),
        question(again("B:smsCode"), "B", "smsCode", "the SMS code received to reset the PIN",
                 "B", slot="resetSmsCode", tally="code_attempts"),
        call("B", "B", "reset PIN", "reset_pin",
             [
                 *after,
                 *retry("same_pin", "B:pinCode", "same_pin", "same_pin_exhausted"),
                 *retry("sms_invalid", again("B:smsCode"), "code_attempts", "code_attempts_exhausted"),
             ],
             errors={2305: "sms_invalid", 2315: "same_pin"}, on_2317=on_2317),
    )
