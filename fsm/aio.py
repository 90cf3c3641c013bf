"""``run_async``: the executor's loop under asyncio, with coroutine ports and persons.

The loop is :func:`fsm.executor.drive`, the one :func:`fsm.run` uses; this
module only performs its effects with ``await``. Ports and persons may be
coroutine-based (``async def get``/``set``/``provide``) or plain ones (their
result is used as is; a plain port blocks the event loop while it works).

``timeout`` bounds each port call (``asyncio.timeout``): when it fires the
call counts as a ``TimeoutError``, a transient failure retried by the
flow's table. Cancelling the task running ``run_async`` raises
``CancelledError`` out of it and leaves the flow where it was before the
interrupted call or question: nothing is half applied, and
``flow.snapshot()`` can be taken at once.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable
from typing import Any

from fsm.errors import OptionError
from fsm.executor import Backoff, Wait, _flow, call_port, drive, port_failed
from fsm.machine import Flow, Outcome
from fsm.messages import Call, Question
from fsm.secret import hide

#: The default wait between tries (the same as :func:`fsm.run`'s).
_BACKOFF = Backoff()


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _call(port: Any, call: Call, timeout: float | None) -> Any:
    async with asyncio.timeout(timeout):
        return await _settle(call_port(port, call))


async def run_async(
    flow: Flow | str,
    *,
    port: Any,
    person: Any,
    timeout: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    backoff: Backoff = _BACKOFF,
    rng: random.Random | None = None,
    on_step: Callable[[Flow], None] | None = None,
    **options: Any,
) -> Outcome:
    """Run ``flow`` (a name, or a started :class:`Flow`) to its end under asyncio.

    ``port`` has ``get(api, parameters)`` and ``set(api, parameters)``,
    ``person`` has ``provide(question)``; either may be coroutine functions.
    ``timeout`` (seconds, or None) bounds each port call.
    """
    if timeout is not None and (type(timeout) not in (int, float) or not 0 < timeout < float("inf")):
        raise OptionError("timeout", "must be a positive number of seconds or None")
    loop = drive(_flow(flow, options), backoff, rng or random.Random(), on_step)
    send = loop.send
    try:
        effect = send(None)
        while True:  # what the port or person gave is sent on at once: no local of this frame holds it
            if isinstance(effect, Wait):
                await sleep(effect.seconds)
                effect = send(None)
            elif isinstance(effect, Call):
                effect = send(await _called(port, effect, timeout))
            else:
                assert isinstance(effect, Question)
                effect = send(await _asked(person, effect))
    except StopIteration as done:
        outcome: Outcome = done.value
        return outcome
    finally:
        loop.close()


async def _called(port: Any, call: Call, timeout: float | None) -> tuple[Any, Exception | None]:
    try:
        return await _call(port, call, timeout), None
    except Exception as exc:  # noqa: BLE001 - every port failure is an outcome; CancelledError is not caught
        return port_failed(exc)


async def _asked(person: Any, question: Question) -> Any:
    try:
        return hide(await _settle(person.provide(question)))
    except Exception:  # noqa: BLE001 - a person that raises has given no valid answer
        return None


__all__ = ["run_async"]
