"""What a snapshot drops and where a resumed flow picks up, derived from the flow's table.

A snapshot keeps everything a flow knows except its secrets: the values of secret slots (PIN, SMS codes,
OTP) are dropped, non-secret ones (``phoneNumber``, ``vin``) kept (:func:`kept_slots`). The rule that
asks the person again for the secrets dropped (no step is named here):

1. A secret slot is *live* at a state when some path from it reads the slot in a call before a question
   writes it (classic liveness over the table's edges; a question writes its slot on ``answered`` only).
2. When nothing secret is live at the saved state, the flow resumes there.
3. Otherwise it resumes at the nearest state upstream (fewest edges back) of the same step where nothing
   secret is live: the question that asks the first missing secret of that step (e.g. ``8:pinCode`` for
   step 8, ``4.1:smsCode`` for step 4.1).
4. When the step cannot ask for it again (on iOS steps 7 and 8 send the enrollment ``smsCode`` checked at
   step 6), it resumes at the nearest call upstream where nothing secret is live: the call that sends a
   fresh code (step ``5``).
5. A call counted on entry (write-ahead, e.g. step 8's PIN submission) stays counted: the submission may
   have left the device. When the flow must go back upstream and its counter has reached its bound, a new
   submission is not allowed and the resumed flow is ``failed`` (``pin_attempts_exhausted``).

A flow that failed because the transient retries of a call ran out is resumable at that call
(:func:`retry_state`): the same call, its retry counter at 0, every other counter kept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from fsm import spec
from fsm.catalog import CATALOG
from fsm.flows import FLOWS
from fsm.secret import SECRET_NAMES
from fsm.spec import FlowSpec, State

#: The cause of the one failed end a retry can fix.
RETRY_CAUSE = "transient_retries_exhausted"
#: The cause of a resumed flow that ends because its call counted on entry is at its bound (rule 5).
EXHAUSTED_CAUSE = "{counter}_exhausted"


def secret_slots(flow: FlowSpec) -> frozenset[str]:
    """The slots of ``flow`` that hold secrets: those of questions asking a secret input."""
    slots = {s.slot for s in flow.states if s.kind == "question" and s.ask in SECRET_NAMES and s.slot}
    return frozenset(slots) | SECRET_NAMES


def result_slots(flow: FlowSpec) -> frozenset[str]:
    """The slots of ``flow`` a call keeps from its result, as the SDK wrote it (step 3's phone number)."""
    return frozenset(k for s in flow.states for k in s.keep)


def kept_slots(flow: FlowSpec) -> frozenset[str]:
    """The slots of ``flow`` a snapshot keeps: what its questions and results write, secrets excepted."""
    slots = {s.slot for s in flow.states if s.slot} | result_slots(flow)
    return frozenset(slots - secret_slots(flow))


def live_secrets(flow: FlowSpec | str, dialect: str, platform: str) -> Mapping[str, frozenset[str]]:
    """For each state of ``flow`` (or the shipped flow of that name): the secret slots some path from it
    reads before asking them."""
    spec_ = FLOWS[flow] if isinstance(flow, str) else flow
    key = (id(spec_), dialect, platform)
    found = _LIVE.get(key)
    if found is None or found[0] is not spec_:
        found = _LIVE[key] = (spec_, _live(spec_, dialect, platform))
    return found[1]


#: live_secrets by (id of the FlowSpec, dialect, platform), with the FlowSpec (not hashable: it holds dicts).
_LIVE: dict[tuple[int, str, str], tuple[FlowSpec, Mapping[str, frozenset[str]]]] = {}


def _live(flow: FlowSpec, dialect: str, platform: str) -> Mapping[str, frozenset[str]]:
    secret = secret_slots(flow)
    reads = {
        s.name: frozenset(x for x in CATALOG[s.call].slots(dialect, platform) if x in secret) if s.call else frozenset()
        for s in flow.states
    }
    live = dict(reads)
    changed = True
    while changed:
        changed = False
        for s in flow.states:
            found = set(reads[s.name])
            for e in s.edges:
                after = live[e.target]
                if s.kind == "question" and e.outcome == spec.ANSWERED:
                    after -= {s.slot}
                found |= after
            if found != live[s.name]:
                live[s.name] = frozenset(found)
                changed = True
    return live


def _upstream(flow: FlowSpec, start: str) -> list[str]:
    """States from which ``start`` can be reached, nearest first (breadth first over reversed edges)."""
    back: dict[str, list[str]] = {}
    for s in flow.states:
        for e in s.edges:
            back.setdefault(e.target, []).append(s.name)
    order, seen, queue = [], {start}, deque([start])
    while queue:
        for prev in back.get(queue.popleft(), ()):
            if prev not in seen:
                seen.add(prev)
                order.append(prev)
                queue.append(prev)
    return order


def resume_state(flow: FlowSpec, state: str, dialect: str, platform: str) -> str:
    """Where a flow saved at ``state`` resumes, its secrets dropped (rules 2 to 4 of the module docstring)."""
    live = live_secrets(flow, dialect, platform)
    if not live[state]:
        return state
    step = flow.state(state).step
    upstream = [s for s in _upstream(flow, state) if not live[s]]
    for name in upstream:
        if flow.state(name).step == step:
            return name
    for name in upstream:
        if flow.state(name).kind == "call":
            return name
    return flow.initial  # unreachable for the shipped flows: a test checks every state


def at_bound(state: State, counters: list[int], bounds: list[int], index: Mapping[str, int]) -> bool:
    """Rule 5: whether the call ``state`` counts on entry and its counter has reached its bound (then a flow
    saved there that must go back upstream may not submit again: it ends ``failed``)."""
    if state.counts is None:
        return False
    i = index[state.counts]
    return counters[i] >= bounds[i]


def retry_state(flow: FlowSpec, cause: str | None, last: str | None) -> State | None:
    """The call a failed flow is resumable at: ``last`` (the state of its last edge) when the flow failed
    there because its transient retries ran out, else None (every other failed end is final)."""
    if cause != RETRY_CAUSE or last is None:
        return None
    try:
        state = flow.state(last)
    except KeyError:
        return None
    ends_here = any(e.outcome == spec.TRANSIENT and e.target == spec.FAILED and e.cause == RETRY_CAUSE
                    for e in state.edges)
    return state if state.kind == "call" and ends_here else None


__all__ = ["EXHAUSTED_CAUSE", "RETRY_CAUSE", "at_bound", "kept_slots", "live_secrets", "result_slots", "resume_state",
           "retry_state", "secret_slots"]
