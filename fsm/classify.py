"""Classify, then transition: an SDK message (or a port failure) becomes a named outcome.

The order is the protocol's, written as data (:data:`CODE_RULES`): the step's
own codes first (e.g. 2305 at step 6), then the rules for every call
(transient codes, 2317, input errors), then the step's catch-all (step 8 asks
the PIN again on any other code), then ``unexpected_error``. A SUCCEEDED is
read by the catalog entry's output. A port exception is read by
:data:`EXCEPTION_RULES`. ``fsm export`` writes these tables for other hosts.
"""

from __future__ import annotations

from fsm import spec
from fsm.catalog import FORBIDDEN, INPUT_CODES, TRANSIENT_CODES, Entry
from fsm.errors import MalformedMessage, PortError
from fsm.messages import Message
from fsm.spec import State


class CodeRule:
    """One rule of the order in which a FAILED code is read at a state.

    ``source``: ``"step"`` (the state's own ``errors``), ``"codes"`` (``codes`` are ``outcome``),
    ``"step_other"`` (the state's ``other_errors``, when it has one) or ``"any"`` (every code is ``outcome``).
    (A plain class: attrs compiles code for each class when ``import fsm`` defines it.)
    """

    __slots__ = ("codes", "outcome", "source")

    def __init__(self, source: str, outcome: str | None = None, codes: frozenset[int] = frozenset()) -> None:
        self.source = source
        self.outcome = outcome
        self.codes = codes


#: How a FAILED code becomes an outcome at a state: the first rule that claims it (PROTOCOL.md, "Rules for
#: every call"; a step's own codes come first, so step 8 reads 2101 as a rejected PIN).
CODE_RULES: tuple[CodeRule, ...] = (
    CodeRule("step"),
    CodeRule("codes", spec.TRANSIENT, TRANSIENT_CODES),
    CodeRule("codes", spec.ERROR_2317, frozenset({FORBIDDEN})),
    CodeRule("codes", spec.INPUT_ERROR, INPUT_CODES),
    CodeRule("step_other"),
    CodeRule("any", spec.UNEXPECTED_ERROR),
)

#: How an exception from the port (or a message that could not be parsed) becomes an outcome: the first class
#: it is an instance of; anything else is a port error.
EXCEPTION_RULES: tuple[tuple[type[BaseException], str], ...] = (
    (MalformedMessage, spec.MALFORMED),
    (ConnectionError, spec.TRANSIENT),
    (TimeoutError, spec.TRANSIENT),
)
EXCEPTION_DEFAULT = spec.PORT_ERROR


def classify_code(state: State, code: int) -> str:
    """The outcome of FAILED ``code`` at ``state``."""
    for rule in CODE_RULES:
        source = rule.source
        if source == "step":
            own = state.errors.get(code)
            if own is not None:
                return own
        elif source == "codes":
            if code in rule.codes:
                assert rule.outcome is not None
                return rule.outcome
        elif source == "step_other":
            if state.other_errors is not None:
                return state.other_errors
        else:
            assert rule.outcome is not None
            return rule.outcome
    raise AssertionError("CODE_RULES ends with a rule for any code")  # pragma: no cover


def classify(state: State, entry: Entry, message: Message) -> str:
    """The outcome of a well-formed ``message`` at ``state`` (may raise :class:`MalformedMessage`)."""
    if message.error_code is not None:
        return classify_code(state, message.error_code)
    return entry.output.classify(message.result)


def classify_exception(exc: BaseException) -> str:
    """The outcome of the port raising ``exc`` (or of a message that could not be parsed)."""
    if isinstance(exc, PortError):  # fsm's stand-in for what the port raised (fsm.executor): it says which it was
        return spec.TRANSIENT if exc.transient else EXCEPTION_DEFAULT
    for kind, outcome in EXCEPTION_RULES:
        if isinstance(exc, kind):
            return outcome
    return EXCEPTION_DEFAULT


def possible_outcomes(state: State, entry: Entry) -> tuple[str, ...]:
    """Every outcome a call state can meet: what the environment can make of any answer."""
    found = list(entry.output.outcomes)
    for rule in CODE_RULES:
        if rule.source == "step":
            found += state.errors.values()
        elif rule.source == "codes":
            if not set(state.errors) >= rule.codes:  # some code of the rule reaches it
                assert rule.outcome is not None
                found.append(rule.outcome)
        elif rule.source == "step_other":
            if state.other_errors is not None:
                found.append(state.other_errors)
                break  # it claims every code left
        else:
            assert rule.outcome is not None
            found.append(rule.outcome)
    found += [outcome for _, outcome in EXCEPTION_RULES]
    found.append(EXCEPTION_DEFAULT)
    return tuple(dict.fromkeys(found))
