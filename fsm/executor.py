"""The one loop: ask the flow what now, do it with the port or the person, feed the answer back.

``run`` never raises for anything the port or the person returns: a malformed
message, an exception from the port (other than ``KeyboardInterrupt`` and
friends, which are not swallowed) or a nonsense answer all end in one of the
four outcomes. Transient failures are retried by the flow's table; the
executor only waits between tries, with capped exponential backoff and
jitter, through an injectable ``sleep``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import attrs

from fsm import spec
from fsm.errors import FlowStateError
from fsm.machine import Flow, Outcome, start
from fsm.messages import Call, Question
from fsm.ports import Person, Port


@attrs.frozen(kw_only=True)
class Backoff:
    """Wait ``base * 2**n`` seconds (at most ``cap``) before the n-th retry, with full jitter."""

    base: float = 0.5
    cap: float = 8.0

    def delay(self, retry: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * (2 ** max(0, retry - 1))))


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


def step(flow: Flow, result: Any, error: BaseException | None) -> None:
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


def run(
    flow: Flow | str,
    *,
    port: Port,
    person: Person,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff = Backoff(),
    rng: random.Random | None = None,
    on_step: Callable[[Flow], None] | None = None,
    **options: Any,
) -> Outcome:
    """Run ``flow`` (a name such as ``"enrollment"``, or a started :class:`Flow`) to its end."""
    f = _flow(flow, options)
    rng = rng or random.Random()
    while True:
        action = f.action
        if action is None:
            break
        if isinstance(action, Call):
            retry = _retry_number(f)
            if retry:
                sleep(backoff.delay(retry, rng))
            try:
                result, error = call_port(port, action), None
            except Exception as exc:  # noqa: BLE001 - every port failure is an outcome, never a crash
                result, error = None, _scrub(exc)
            step(f, result, error)
        else:
            assert isinstance(action, Question)
            try:
                answer = person.provide(action)
            except Exception:  # noqa: BLE001 - a person that raises has given no valid answer
                answer = None
            f.answer(answer)
        if on_step is not None:
            on_step(f)
    outcome = f.outcome
    assert outcome is not None and outcome.state in spec.TERMINALS
    return outcome


def _scrub(exc: Exception) -> Exception:
    """Drop what ties ``exc`` to the frames and exceptions it came from (they may hold secrets)."""
    exc.__traceback__ = None
    exc.__context__ = None
    exc.__cause__ = None
    return exc
