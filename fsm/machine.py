"""The sans-I/O flow object, built from a FlowSpec. The only importer of ``transitions``.

One ``transitions.Machine`` is built per flow kind, once, with no model
attached; a running :class:`Flow` is a small object (state name, counters,
the person's answers) that the shared machine moves by
``machine.events[outcome].trigger(flow)``. Guards and counting are
``transitions`` conditions and callbacks generated from the table.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs
import structlog
import transitions

from fsm import spec
from fsm.catalog import CATALOG, Entry
from fsm.classify import classify, classify_exception
from fsm.errors import DefinitionError, FlowStateError, MalformedMessage, OptionError, UnknownFlow
from fsm.flows import FLOWS
from fsm.inputs import valid
from fsm.messages import CANCEL, FORGOT_PIN, Call, Message, Question, parse_message
from fsm.options import Options, make_options
from fsm.secret import SECRET_NAMES, Secret
from fsm.spec import CAUSE_WORDS, Edge, FlowSpec, State
from fsm.validate import problems, required_sdk

#: Outcomes after which a question is asked again; ``Question.why`` names them.
REASK = frozenset({spec.INVALID, "sms_invalid", "pin_rejected", "same_pin"})


class StaleMessage(FlowStateError):
    """A message whose ``transactionId`` the flow has already consumed (a duplicate or a late answer)."""


@attrs.frozen(kw_only=True)
class TraceEntry:
    """One edge taken: where from, what was asked or called (secrets masked), and where to."""

    step: str
    state: str
    kind: Literal["call", "question"]
    name: str
    op: str | None
    parameters: Mapping[str, str]
    outcome: str
    target: str
    code: int | None = None

    def as_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class Outcome:
    """How a run ended: ``enrolled`` or ``done`` (ok), ``failed`` or ``cancelled``."""

    flow: str
    state: str
    error_code: int | None
    reason: str
    cause: str | None
    trace: tuple[TraceEntry, ...] = attrs.field(repr=False)

    @property
    def ok(self) -> bool:
        return self.state in spec.SUCCESS_TERMINALS


class Compiled:
    """A validated flow and its one ``transitions`` machine."""

    def __init__(self, flow: FlowSpec, *, validate: bool = True) -> None:
        # validate=False only for the model checker, which explores defective copies of a flow.
        found = problems(flow) if validate else []
        if found:
            raise DefinitionError(flow.name, found)
        self.spec = flow
        self.states: dict[str, State] = {s.name: s for s in flow.states}
        self.entries: dict[str, Entry] = {s.name: CATALOG[s.call] for s in flow.states if s.call}
        self.counter_index = {c.name: i for i, c in enumerate(flow.counters)}
        self.progress = tuple(i for i, c in enumerate(flow.counters) if c.progress_resets)
        self.since = required_sdk(flow)
        self.machine = transitions.Machine(
            model=None,
            states=[s.name for s in flow.states],
            initial=flow.initial,
            send_event=True,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        for state in flow.states:
            for edge in state.edges:
                self.machine.add_transition(
                    trigger=edge.outcome,
                    source=state.name,
                    dest=edge.target,
                    conditions=[self._guard(edge)] if edge.guard else [],
                    after=[functools.partial(_took, state, edge, self._effect(state, edge))],
                )

    def _guard(self, edge: Edge) -> Callable[[Any], bool]:
        guard = edge.guard
        assert guard is not None
        if guard == spec.SHORTCUT:
            return _shortcut
        index = self.counter_index[guard.name]
        counter = self.spec.counters[index]
        return lambda ev: bool(ev.model.counters[index] < ev.model.options.bound(counter))

    def _effect(self, source: State, edge: Edge) -> tuple[int, ...]:
        """Indices of the counters to add one to when ``edge`` is taken."""
        out = []
        if edge.count is not None:
            out.append(self.counter_index[edge.count])
        target = self.states[edge.target]
        if target.counts is not None and target.name != source.name:
            out.append(self.counter_index[target.counts])
        return tuple(out)


def _shortcut(ev: Any) -> bool:
    return bool(ev.model.options.shortcut_allowed)


def _took(source: State, edge: Edge, counts: tuple[int, ...], ev: Any) -> None:
    ev.model._took(source, edge, counts)


@functools.cache
def compiled(name: str) -> Compiled:
    """The one compiled machine of the flow kind ``name``."""
    try:
        return Compiled(FLOWS[name])
    except KeyError:
        raise UnknownFlow(name, tuple(FLOWS)) from None


class Flow:
    """One running flow: ask :attr:`action`, answer with :meth:`receive` or :meth:`answer`."""

    __slots__ = ("_c", "_end", "_last", "_log", "_seen", "counters", "options", "state", "trace", "values")

    def __init__(self, machine: Compiled, options: Options, logger: Any = None) -> None:
        if options.sdk[:2] < machine.since:
            need = ".".join(map(str, machine.since))
            raise OptionError("sdk_version", f"flow {machine.spec.name!r} needs SDK {need} or later")
        self._c = machine
        self.options = options
        self.state: str = machine.spec.initial
        self.counters = [0] * len(machine.spec.counters)
        #: The person's answers and kept result fields, by slot; secrets are :class:`Secret`.
        self.values: dict[str, str | Secret] = {}
        self.trace: list[TraceEntry] = []
        self._end: tuple[str | None, int | None, str] | None = None
        self._last: tuple[str, int | None, str] = ("", None, "")
        self._seen: set[str] = set()
        self._log = logger

    # -- what now? ---------------------------------------------------------

    @property
    def name(self) -> str:
        return self._c.spec.name

    @property
    def spec(self) -> FlowSpec:
        return self._c.spec

    @property
    def current(self) -> State:
        return self._c.states[self.state]

    @property
    def step(self) -> str:
        return self.current.step

    @property
    def finished(self) -> bool:
        return self.current.terminal

    @property
    def action(self) -> Call | Question | None:
        """The next thing to do: a :class:`Call`, a :class:`Question`, or None when finished."""
        state = self.current
        if state.kind == "call":
            return self._call(state)
        if state.kind == "question":
            return self._question(state)
        return None

    def _call(self, state: State) -> Call:
        entry = self._c.entries[state.name]
        params: list[tuple[str, str | Secret]] = []
        for p in entry.parameters(self.options.dialect, self.options.platform):
            if p.value is not None:
                params.append((p.name, p.value))
            else:
                assert p.slot is not None
                value = self.values.get(p.slot)
                if value is None:
                    raise FlowStateError(self.state, f"no value held for {p.slot}")
                params.append((p.name, value))
        return Call(op=entry.op, api=entry.api, params=tuple(params), step=state.step, state=state.name,
                    name=entry.key)

    def _question(self, state: State) -> Question:
        assert state.ask is not None
        c = self.counters
        idx = self._c.counter_index
        attempt = 1 + c[idx["invalid_answers"]] + (c[idx[state.tally]] if state.tally else 0)
        last = self._last[0]
        return Question(
            name=state.ask, step=state.step, state=state.name, prompt=state.prompt, attempt=attempt,
            why=last if last in REASK and self._last[2] == state.name else None,
            secret=state.ask in SECRET_NAMES, can_forget_pin=spec.FORGOT_PIN in state.outcomes(),
            new_pin=state.new_pin,
        )

    # -- answers -----------------------------------------------------------

    def _holds(self, state: State) -> bool:
        """Whether every input ``state``'s call reads is held (after a resume, secrets may not be)."""
        entry = self._c.entries[state.name]
        return all(s in self.values for s in entry.slots(self.options.dialect, self.options.platform))

    def _need(self, kind: str) -> State:
        state = self.current
        if state.kind != kind:
            what = "the flow has ended" if state.terminal else f"it waits for a {state.kind}"
            raise FlowStateError(self.state, f"cannot take a {'message' if kind == 'call' else 'answer'}: {what}")
        return state

    def receive(self, message: object) -> None:
        """Answer the outstanding :class:`Call` with the SDK's message.

        A message that is not well formed raises :class:`MalformedMessage` and
        leaves the flow unchanged (hand it to :meth:`receive_exception` to end
        the run as the executor does); a message already consumed raises
        :class:`StaleMessage`.
        """
        state = self._need("call")
        error: MalformedMessage | None = None
        try:
            msg = parse_message(message)
            if msg.transaction_id in self._seen:
                raise StaleMessage(self.state, "this transactionId was already received")
            outcome = classify(state, self._c.entries[state.name], msg)
        except MalformedMessage as exc:
            error = exc.at_step(state.step)
        if error is not None:  # raised outside the handler, so no __context__ ties it to the message
            raise error
        self._seen.add(msg.transaction_id)
        self._keep(state, msg)
        self._fire(outcome, msg.error_code, "")

    def receive_exception(self, exc: BaseException) -> None:
        """The outstanding call failed with ``exc`` (raised by the port, or a malformed message).

        Connection and timeout errors are transient; a :class:`MalformedMessage`
        ends the run failed; anything else is a port error known only by its
        class name (its text may hold a secret).
        """
        self._need("call")
        outcome = classify_exception(exc)
        if outcome == spec.MALFORMED:
            detail = str(exc)
        elif outcome == spec.PORT_ERROR:
            detail = f"the port raised {type(exc).__name__}"
        else:
            detail = f"the port raised {type(exc).__name__}"
        self._fire(outcome, None, detail)

    def answer(self, value: object) -> None:
        """Answer the open :class:`Question` with a str, ``fsm.FORGOT_PIN`` or ``fsm.CANCEL``.

        An answer that is not valid (wrong type, wrong shape, ``FORGOT_PIN``
        where it leads nowhere) is asked again, at most ``max_code_attempts``
        times in a row, then the run ends cancelled.
        """
        state = self._need("question")
        assert state.ask is not None and state.slot is not None
        if value is CANCEL:
            outcome = spec.CANCEL
        elif value is FORGOT_PIN and spec.FORGOT_PIN in state.outcomes():
            outcome = spec.FORGOT_PIN
        elif type(value) is str and valid(state.ask, value, new_pin=state.new_pin):
            self.values[state.slot] = Secret(value) if state.ask in SECRET_NAMES else value
            outcome = spec.ANSWERED
        else:
            outcome = spec.INVALID
        self._fire(outcome, None, "")

    # -- moving --------------------------------------------------------------

    def _keep(self, state: State, msg: Message) -> None:
        if not state.keep or msg.result is None:
            return
        entry = self._c.entries[state.name]
        for field in state.keep:
            names = (field, *entry.output.aliases) if field == entry.output.field else (field,)
            for n in names:
                value = msg.result.get(n)
                if type(value) is str and value:
                    self.values[field] = value
                    break

    def _fire(self, outcome: str, code: int | None, detail: str) -> None:
        if outcome not in self.current.outcomes():  # the validated table makes this unreachable
            raise DefinitionError(self.name, [f"state {self.state!r} does not handle {outcome}"])
        self._last = (outcome, code, detail)
        self._c.machine.events[outcome].trigger(self)

    def _took(self, source: State, edge: Edge, counts: tuple[int, ...]) -> None:
        """Called by the machine after ``edge`` is taken: count, reset, trace, end."""
        outcome, code, detail = self._last
        c = self.counters
        for i in self._c.progress:
            if not (edge.count is not None and self._c.counter_index[edge.count] == i):
                c[i] = 0
        for i in counts:
            c[i] += 1
        self._last = (outcome, code, edge.target)
        if source.kind == "call":
            entry = self._c.entries[source.name]
            params = self._call(source).masked() if self._holds(source) else {}
            self.trace.append(TraceEntry(step=source.step, state=source.name, kind="call", name=entry.api,
                                         op=entry.op, parameters=params, outcome=outcome, target=edge.target,
                                         code=code))
        else:
            self.trace.append(TraceEntry(step=source.step, state=source.name, kind="question",
                                         name=source.ask or "", op=None, parameters={}, outcome=outcome,
                                         target=edge.target))
        if self._c.states[edge.target].terminal:
            self._end = (edge.cause, edge.code if edge.code is not None else code, detail)
        if self._log is not None:
            # The edge is taken: a failing host logger must not make the caller think it was not.
            with contextlib.suppress(Exception):
                self._log.info("fsm.transition", flow=self.name, step=source.step, state=source.name,
                               api=source.call and self._c.entries[source.name].api, outcome=outcome,
                               target=edge.target, error_code=code)

    # -- the end ---------------------------------------------------------------

    @property
    def outcome(self) -> Outcome | None:
        """None until the flow has finished; then how it ended."""
        if not self.finished:
            return None
        cause, code, detail = self._end or (None, None, "")
        words = CAUSE_WORDS.get(cause or "", "")
        if detail and cause in ("malformed_message", "port_error"):
            words = detail
        last_step = self.trace[-1].step if self.trace else self.spec.initial
        if self.state in spec.SUCCESS_TERMINALS:
            reason = f"{self.spec.title}: {self.state}"
        else:
            reason = f"{self.state} at step {last_step}: {words}"
            if code is not None:
                reason += f" (SDK error {code})"
        return Outcome(flow=self.name, state=self.state, error_code=None if self.state in spec.SUCCESS_TERMINALS
                       else code, reason=reason, cause=cause, trace=tuple(self.trace))

    def __repr__(self) -> str:
        return f"<Flow {self.name} state={self.state!r} counters={self.counters}>"

    def snapshot(self) -> dict[str, Any]:
        """This flow as a JSON-safe dict without secrets; ``fsm.resume`` continues it (see fsm.snapshot)."""
        from fsm.snapshot import snapshot  # fsm.snapshot builds on this module

        return snapshot(self)


def start(flow: str, *, logger: Any = None, **options: Any) -> Flow:
    """Start the flow named ``flow`` (``"enrollment"``, ``"reset-pin"``, ...) with ``options``."""
    machine = compiled(flow) if isinstance(flow, str) else None
    if machine is None:
        raise UnknownFlow(repr(flow), tuple(FLOWS))
    if logger is None and structlog.is_configured():  # the host configured structlog: log through it
        logger = structlog.get_logger("fsm")
    return Flow(machine, make_options(**options), logger)
