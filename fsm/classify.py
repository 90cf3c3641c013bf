"""Classify, then transition: an SDK message (or a port failure) becomes a named outcome.

The order is the protocol's: the step's own codes first (e.g. 2305 at step 6),
then the rules for every call (transient codes, 2317, input errors), then the
step's catch-all (step 8 asks the PIN again on any other code), then
``unexpected_error``. A SUCCEEDED is read by the catalog entry's output.
"""

from __future__ import annotations

from fsm import spec
from fsm.catalog import FORBIDDEN, INPUT_CODES, TRANSIENT_CODES, Entry
from fsm.errors import MalformedMessage, PortError
from fsm.messages import Message
from fsm.spec import State


def classify_code(state: State, code: int) -> str:
    """The outcome of FAILED ``code`` at ``state``."""
    own = state.errors.get(code)
    if own is not None:
        return own
    if code in TRANSIENT_CODES:
        return spec.TRANSIENT
    if code == FORBIDDEN:
        return spec.ERROR_2317
    if code in INPUT_CODES:
        return spec.INPUT_ERROR
    if state.other_errors is not None:
        return state.other_errors
    return spec.UNEXPECTED_ERROR


def classify(state: State, entry: Entry, message: Message) -> str:
    """The outcome of a well-formed ``message`` at ``state`` (may raise :class:`MalformedMessage`)."""
    if message.error_code is not None:
        return classify_code(state, message.error_code)
    return entry.output.classify(message.result)


def classify_exception(exc: BaseException) -> str:
    """The outcome of the port raising ``exc`` (or of a message that could not be parsed)."""
    if isinstance(exc, MalformedMessage):
        return spec.MALFORMED
    if isinstance(exc, PortError):
        return spec.TRANSIENT if exc.transient else spec.PORT_ERROR
    if isinstance(exc, ConnectionError | TimeoutError):
        return spec.TRANSIENT
    return spec.PORT_ERROR


def possible_outcomes(state: State, entry: Entry) -> tuple[str, ...]:
    """Every outcome a call state can meet: what the environment can make of any answer."""
    found = [*entry.output.outcomes, *state.errors.values(), spec.TRANSIENT, spec.ERROR_2317]
    if not set(state.errors) >= INPUT_CODES:
        found.append(spec.INPUT_ERROR)
    found.append(state.other_errors or spec.UNEXPECTED_ERROR)
    found += [spec.MALFORMED, spec.PORT_ERROR]
    if FORBIDDEN in state.errors:
        found.remove(spec.ERROR_2317)
    return tuple(dict.fromkeys(found))
