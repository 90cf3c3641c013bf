"""The few exception types of fsm.

Every error carries structured fields and its ``str()`` never contains a
secret: callers pass names (step, field, class name), never values.
This module imports nothing from fsm.
"""

from __future__ import annotations

#: The text of a :class:`MalformedMessage` (``where`` is ``"step 8: "`` when the step is known, else empty).
MALFORMED_TEXT = "{where}malformed message: {field}: {problem}"
MALFORMED_WHERE = "step {step}: "
#: What is said of an exception the port raised: its class name only (its text may hold a secret).
PORT_RAISED = "the port raised {name}"


class FsmError(Exception):
    """Base of every error fsm raises on purpose."""


class DefinitionError(FsmError):
    """A flow definition is broken; the flow refuses to run."""

    def __init__(self, flow: str, problems: list[str]) -> None:
        self.flow = flow
        self.problems = tuple(problems)
        super().__init__(f"flow {flow!r} is invalid: " + "; ".join(problems))


class OptionError(FsmError, ValueError):
    """A run option is missing, unknown or out of range."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"option {option!r}: {problem}")


class UnknownFlow(FsmError, ValueError):
    """No flow has this name."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown flow {name!r}; known flows: {', '.join(known)}")


class MalformedMessage(FsmError):
    """An SDK message is not well formed; it is never guessed into a success.

    ``field`` names the offending part of the message (``status``,
    ``result.isDeviceActivated``, ...); ``step`` is the step that received it
    when known.
    """

    def __init__(self, field: str, problem: str, *, step: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.step = step
        where = MALFORMED_WHERE.format(step=step) if step is not None else ""
        super().__init__(MALFORMED_TEXT.format(where=where, field=field, problem=problem))

    def at_step(self, step: str) -> MalformedMessage:
        """The same error, located at ``step``."""
        return type(self)(self.field, self.problem, step=step)  # keeps the subclass (UnknownStatus)


class FlowStateError(FsmError):
    """The flow was asked for something its current state does not allow.

    Raised for misuse of the sans-I/O API (an answer while a call is
    outstanding, a message while a question is open, anything after the end).
    The flow is left unchanged.
    """

    def __init__(self, state: str, problem: str) -> None:
        self.state = state
        self.problem = problem
        super().__init__(f"in state {state!r}: {problem}")


class PortError(FsmError):
    """What fsm keeps of an exception the port raised: its class name, and whether it is transient (a
    connection or timeout error, retried by the table). Its message, arguments and chain may hold a secret:
    they are never kept.
    """

    def __init__(self, original: str, *, transient: bool = False) -> None:
        self.original = original
        self.transient = transient
        super().__init__(PORT_RAISED.format(name=original))


class SnapshotInvalid(FsmError, ValueError):
    """A snapshot is truncated, tampered with, of an unknown version, or claims a finished success.

    ``problem`` names what is wrong (a key, a type, a range), never a value
    taken from the snapshot. A host that meets it starts the flow afresh.
    """

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"invalid snapshot: {problem}")
