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
    reply: Any = None
    try:
        while True:
            try:
                effect, reply = loop.send(reply), None  # drop the answer: no frame keeps a PIN
            except StopIteration as done:
                outcome: Outcome = done.value
                return outcome
            if isinstance(effect, Wait):
                await sleep(effect.seconds)
                reply = None
            elif isinstance(effect, Call):
                try:
                    reply = await _call(port, effect, timeout), None
                except Exception as exc:  # noqa: BLE001 - every port failure is an outcome; CancelledError is not caught
                    reply = port_failed(exc)
            else:
                assert isinstance(effect, Question)
                try:
                    reply = await _settle(person.provide(effect))
                except Exception:  # noqa: BLE001 - a person that raises has given no valid answer
                    reply = None
    finally:
        loop.close()


__all__ = ["run_async"]
