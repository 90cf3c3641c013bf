"""The seams: a port shaped like the SDK's ``pims`` object, and a person.

A wrapper of the real SDK needs no adapter: ``get(api, parameters)`` and
``set(api, parameters)`` return the SDK's message dict. The person answers a
:class:`fsm.Question` with a str, ``fsm.FORGOT_PIN`` or ``fsm.CANCEL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from fsm.messages import Answer, Question


@runtime_checkable
class Port(Protocol):
    """The SDK, synchronously: one message per call."""

    def get(self, api: str, parameters: Mapping[str, str]) -> Any: ...

    def set(self, api: str, parameters: Mapping[str, str]) -> Any: ...


@runtime_checkable
class Person(Protocol):
    """Whoever answers the questions (a UI, a script)."""

    def provide(self, question: Question) -> Answer: ...


class AsyncPort(Protocol):
    async def get(self, api: str, parameters: Mapping[str, str]) -> Any: ...

    async def set(self, api: str, parameters: Mapping[str, str]) -> Any: ...


class AsyncPerson(Protocol):
    async def provide(self, question: Question) -> Answer: ...
