"""The one loop: ask the flow what now, do it with the port or the person, feed the answer back.

``run`` never raises for anything the port or the person returns: a malformed
message, an exception from the port (other than ``KeyboardInterrupt`` and
friends, which are not swallowed) or a nonsense answer all end in one of the
four outcomes. Transient failures are retried by the flow's table; the
executor only waits between tries, with capped exponential backoff and
jitter, through an injectable ``sleep``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import attrs

from fsm import spec
from fsm.classify import classify_exception
from fsm.errors import FlowStateError, PortError
from fsm.machine import Flow, Outcome, start
from fsm.messages import Call, Question
from fsm.records import methods
from fsm.secret import hide

if TYPE_CHECKING:  # random is imported on the first run (import fsm stays cheap); ports are only types here
    import random

    from fsm.ports import Person, Port


@methods
class Backoff:
    """Wait ``base * 2**n`` seconds (at most ``cap``) before the n-th retry, with full jitter.

    (A plain frozen class, not an attrs one: attrs compiles code for each class when ``import fsm``
    defines it.)
    """

    __slots__ = ("base", "cap")
    base: float
    cap: float

    def __init__(self, *, base: float = 0.5, cap: float = 8.0) -> None:
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "cap", cap)

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def delay(self, retry: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * (2 ** max(0, retry - 1))))


#: The backoff of :func:`run` when none is given.
DEFAULT_BACKOFF = Backoff()


def _flow(flow: Flow | str, options: dict[str, Any]) -> Flow:
    if isinstance(flow, Flow):
        if options:
            raise TypeError("options are given to fsm.start when the flow is already started")
        return flow
    return start(flow, **options)


def _retry_number(flow: Flow) -> int:
    return flow.counters[flow.spec.counters.index(flow.spec.counter("transient_retries"))]


def call_port(port: Port, call: Call) -> Any:
    method = port.get if call.op == "get" else port.set
    return method(call.api, call.parameters)


def step(flow: Flow, result: Any, error: BaseException | None = None) -> None:
    """Feed what the port returned (or raised) for the outstanding call to ``flow``."""
    if error is not None:
        flow.receive_exception(error)
        return
    try:
        flow.receive(result)
    except FlowStateError as exc:  # a stale message: the port answered twice; treat as a port fault
        flow.receive_exception(exc)
    except Exception as exc:  # noqa: BLE001 - MalformedMessage (flow unchanged): end the call failed
        flow.receive_exception(exc)


@methods
class Wait:
    """An effect of :func:`drive`: wait ``seconds`` before the next try of a call (plain, as Backoff)."""

    __slots__ = ("seconds",)
    seconds: float

    def __init__(self, seconds: float) -> None:
        object.__setattr__(self, "seconds", seconds)

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError


#: What :func:`drive` asks its runner to do: wait, make a call (send back ``(result, error)``),
#: or ask a question (send back the answer).
Effect = Wait | Call | Question


def drive(
    flow: Flow, backoff: Backoff, rng: random.Random, on_step: Callable[[Flow], None] | None = None
) -> Generator[Effect, Any, Outcome]:
    """The loop itself, without I/O, shared by :func:`run` and :func:`fsm.aio.run_async`.

    It yields effects and is sent their results; the flow moves only inside
    ``send``, all at once, so a runner interrupted while an effect is under
    way (``KeyboardInterrupt``, task cancellation) leaves the flow exactly
    where it was: consistent and snapshottable.
    """
    while (action := flow.action) is not None:
        if isinstance(action, Call):
            retry = _retry_number(flow)
            if retry:
                yield Wait(backoff.delay(retry, rng))
            step(flow, *(yield action))  # no local keeps the message (it may hold an OTP or an echoed PIN)
        else:
            flow.answer((yield action))
        if on_step is not None:
            on_step(flow)
    outcome = flow.outcome
    assert outcome is not None and outcome.state in spec.TERMINALS
    return outcome


def port_failed(exc: Exception) -> tuple[None, Exception]:
    """What a runner sends to :func:`drive` when the port raised ``exc``: a stand-in that keeps only its class
    name and whether it is transient (its text, arguments, chain and frames may hold a secret)."""
    return None, PortError(type(exc).__name__, transient=classify_exception(exc) == spec.TRANSIENT)


def asked(person: Person, question: Question) -> Any:
    """The person's answer to ``question`` with a str already a :class:`fsm.Secret` (no frame of the runner
    holds it plain); a person that raises has given no valid answer."""
    try:
        return hide(person.provide(question))
    except Exception:  # noqa: BLE001 - any failure of the person is an invalid answer, asked again boundedly
        return None


def run(
    flow: Flow | str,
    *,
    port: Port,
    person: Person,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = DEFAULT_BACKOFF,
    rng: random.Random | None = None,
    on_step: Callable[[Flow], None] | None = None,
    **options: Any,
) -> Outcome:
    """Run ``flow`` (a name such as ``"enrollment"``, or a started :class:`Flow`) to its end."""
    if rng is None:
        import random

        rng = random.Random()
    return perform(drive(_flow(flow, options), backoff, rng, on_step),
                   lambda call: called(port, call), lambda question: asked(person, question), sleep)


def perform(loop: Generator[Effect, Any, Outcome], call: Callable[[Call], tuple[Any, Exception | None]],
            ask: Callable[[Question], Any], sleep: Callable[[float], None]) -> Outcome:
    """Carry out the effects of :func:`drive`'s ``loop`` with ``call`` and ``ask`` until it ends.

    What ``call`` and ``ask`` give is sent on at once: no local of this frame holds a message or an answer
    (an ``on_step`` hook that raises would otherwise show them in the traceback's locals).
    """
    send = loop.send
    try:
        effect = send(None)
        while True:
            if isinstance(effect, Wait):
                sleep(effect.seconds)
                effect = send(None)
            elif isinstance(effect, Call):
                effect = send(call(effect))
            else:
                effect = send(ask(effect))
    except StopIteration as done:
        outcome: Outcome = done.value
        return outcome
    finally:
        loop.close()


def called(port: Port, call: Call) -> tuple[Any, Exception | None]:
    """What the port answered to ``call``, as :func:`drive` takes it: ``(message, None)`` or, when it raised,
    ``(None, stand-in)`` (:func:`port_failed`)."""
    try:
        return call_port(port, call), None
    except Exception as exc:  # noqa: BLE001 - every port failure is an outcome, never a crash
        return port_failed(exc)


