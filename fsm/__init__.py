"""fsm: the flow brain for device enrollment and account management of the Stellantis Mobile SDK.

``start`` gives a sans-I/O :class:`Flow` a host drives by callbacks; ``run``
drives one to its end with a port shaped like the SDK's ``pims`` object and a
person who answers questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fsm.errors import (
    DefinitionError,
    FlowStateError,
    FsmError,
    MalformedMessage,
    OptionError,
    PortError,
    SnapshotInvalid,
    UnknownFlow,
)
from fsm.executor import Backoff, run
from fsm.flows import FLOWS
from fsm.machine import Flow, Outcome, StaleMessage, TraceEntry, start
from fsm.messages import CANCEL, FORGOT_PIN, Call, Message, Question, Reply, UnknownStatus, parse_message
from fsm.options import Options
from fsm.secret import Secret

if TYPE_CHECKING:  # loaded on first use (module __getattr__ below): asyncio alone costs more than fsm
    from fsm.aio import run_async
    from fsm.restore import resume

__version__ = "0.1.0"

__all__ = [
    "CANCEL",
    "FLOWS",
    "FORGOT_PIN",
    "Backoff",
    "Call",
    "DefinitionError",
    "Flow",
    "FlowStateError",
    "FsmError",
    "MalformedMessage",
    "Message",
    "OptionError",
    "Options",
    "Outcome",
    "PortError",
    "Question",
    "Reply",
    "Secret",
    "SnapshotInvalid",
    "StaleMessage",
    "TraceEntry",
    "UnknownFlow",
    "UnknownStatus",
    "__version__",
    "parse_message",
    "resume",
    "run",
    "run_async",
    "start",
]

#: Names whose module loads on first use, so that ``import fsm`` stays cheap.
_LAZY = {"run_async": "fsm.aio", "resume": "fsm.restore"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fsm' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
