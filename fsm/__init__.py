"""fsm: the flow brain for device enrollment and account management of the Stellantis Mobile SDK.

``start`` gives a sans-I/O :class:`Flow` a host drives by callbacks; ``run``
drives one to its end with a port shaped like the SDK's ``pims`` object and a
person who answers questions.
"""

from __future__ import annotations

from fsm.aio import run_async
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
from fsm.snapshot import resume

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
