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
from typing import Any, Literal, cast

import attrs
import structlog
import transitions

from fsm import spec
from fsm.catalog import CATALOG, Entry
from fsm.classify import classify, classify_exception
from fsm.errors import (
    PORT_RAISED,
    DefinitionError,
    FlowStateError,
    MalformedMessage,
    OptionError,
    PortError,
    UnknownFlow,
)
from fsm.flows import FLOWS
from fsm.inputs import valid
from fsm.messages import CANCEL, FORGOT_PIN, Call, Question, new_call, new_question, parse_message
from fsm.options import Options, make_options
from fsm.records import methods
from fsm.resumption import at_bound, resume_state, retry_state
from fsm.secret import MASK, SECRET_NAMES, Secret, hide
from fsm.spec import CAUSE_WORDS, REASK, Edge, FlowSpec, State
from fsm.validate import problems, required_sdk

#: Questions up to this attempt are made once per flow kind and shared (later ones are rare).
QUESTIONS_KEPT = 8
#: The last move of a flow that has not moved yet (outcome, code, target): nothing asked again.
NO_MOVE: tuple[str, int | None, str] = ("", None, "")


class StaleMessage(FlowStateError):
    """A message whose ``transactionId`` the flow has already consumed (a duplicate or a late answer)."""


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
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


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Outcome:
    """How a run ended: ``enrolled`` or ``done`` (ok), ``failed`` or ``cancelled``.

    ``resumable`` is true for the one end a retry can fix: the transient retries of a call ran out (the SDK
    could not be reached). The flow's snapshot then resumes at that call (``fsm.resume``); every other end
    is final.
    """

    flow: str
    state: str
    error_code: int | None
    reason: str
    cause: str | None
    trace: tuple[TraceEntry, ...] = attrs.field(repr=False)
    resumable: bool = False

    @property
    def ok(self) -> bool:
        return self.state in spec.SUCCESS_TERMINALS


class Plan:
    """A call state's call under one dialect and platform, worked out once. (A plain class: a NamedTuple
    compiles code when ``import fsm`` defines it.)"""

    __slots__ = ("call", "entry", "masked", "params")

    def __init__(self, entry: Entry, params: tuple[tuple[str, str | None, str | None], ...], call: Call | None,
                 masked: tuple[tuple[str, str], ...] | None) -> None:
        self.entry = entry
        #: (parameter name, fixed value or None, slot or None), in the catalog's order.
        self.params = params
        #: The Call itself when no parameter reads a slot (then it is the same for every flow).
        self.call = call
        #: The masked parameters of the trace when no parameter reads a slot.
        self.masked = masked


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
        #: The outcomes each state handles (its edges' outcomes).
        self.handles: dict[str, frozenset[str]] = {s.name: frozenset(s.outcomes()) for s in flow.states}
        self.invalid_index = self.counter_index.get(spec.INVALID_ANSWERS)
        self.tallies = {s.name: self.counter_index[s.tally] if s.tally else None for s in flow.states}
        #: Questions made so far, by (state, attempt, why): they are the same for every flow.
        self.questions: dict[tuple[str, int, str | None], Question] = {}
        self._plans: dict[tuple[str, str], dict[str, Plan]] = {}
        self.machine = transitions.Machine(
            model=None,
            states=[s.name for s in flow.states],
            initial=flow.initial,
            send_event=True,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        # The flow does its bookkeeping once the trigger returns, from (source, outcome, target): the machine is
        # the bare table. Only where two alternatives of one outcome share a target (not in the shipped
        # flows) does the target not tell the edge; those edges report themselves by an ``after`` callback.
        self.moves: dict[tuple[str, str, str], _Move] = {}
        #: The slots each call state's parameters may read (under any dialect): the trace keeps their values.
        self.slots: dict[str, tuple[str, ...]] = {
            name: tuple(dict.fromkeys(p.slot for p in entry.params if p.slot)) for name, entry in self.entries.items()}
        self.events = self.machine.events
        for state in flow.states:
            for edge in state.edges:
                alternatives = [e.target for e in state.edges if e.outcome == edge.outcome]
                told = len(alternatives) == len(set(alternatives))
                if told:
                    self.moves[state.name, edge.outcome, edge.target] = self._move(state, edge)
                self.machine.add_transition(
                    trigger=edge.outcome,
                    source=state.name,
                    dest=edge.target,
                    conditions=[self._guard(edge)] if edge.guard else [],
                    after=[] if told else [functools.partial(_took, self._move(state, edge))],
                )

    def plans(self, dialect: str, platform: str) -> dict[str, Plan]:
        """Every call state's :class:`Plan` under ``dialect`` and ``platform``."""
        found = self._plans.get((dialect, platform))
        if found is None:
            found = self._plans[dialect, platform] = {}
            for state in self.spec.states:
                entry = self.entries.get(state.name)
                if entry is None:
                    continue
                params = tuple((p.name, p.value, p.slot) for p in entry.parameters(dialect, platform))
                fixed = all(slot is None for _, _, slot in params)
                call = masked = None
                if fixed:
                    values = tuple((name, value) for name, value, _ in params if value is not None)
                    call = new_call(entry.op, entry.api, values, state.step, state.name, entry.key)
                    masked = values
                found[state.name] = Plan(entry, params, call, masked)
        return found

    def _move(self, source: State, edge: Edge) -> _Move:
        """What taking ``edge`` does to a flow, worked out once."""
        reset, _ = self.spec.effects(source, edge)
        resets = tuple(self.counter_index[n] for n in reset)
        counts = self._effect(source, edge)
        end = (edge.cause, edge.code) if self.states[edge.target].terminal else None
        return (source, edge.target, bool(counts or resets), counts, resets, end, self.slots.get(source.name, ()))

    def _effect(self, source: State, edge: Edge) -> tuple[int, ...]:
        """Indices of the counters to add one to when ``edge`` is taken (FlowSpec.effects)."""
        return tuple(self.counter_index[n] for n in self.spec.effects(source, edge)[1])

    def _guard(self, edge: Edge) -> Callable[[Any], bool]:
        guard = edge.guard
        assert guard is not None
        if guard == spec.SHORTCUT:
            return _shortcut
        index = self.counter_index[guard.name]
        counter = self.spec.counters[index]
        return lambda ev: bool(ev.model.counters[index] < ev.model.options.bound(counter))



def _shortcut(ev: Any) -> bool:
    return bool(ev.model.options.shortcut_allowed)


#: (source, target, whether any counter changes, counters to add one to, counters reset, (cause, code) when
#: the target is terminal, the slots the source's call may read).
_Move = tuple[State, str, bool, tuple[int, ...], tuple[int, ...], tuple[str | None, int | None] | None,
              tuple[str, ...]]
#: One trace entry as recorded: (source, target, outcome, code, the values of the move's slots or None).
_Step = tuple[State, str, str, int | None, tuple[str | Secret | None, ...] | None]


def _took(move: _Move, ev: Any) -> None:
    ev.model._took(move)


@functools.cache
def compiled(name: str) -> Compiled:
    """The one compiled machine of the flow kind ``name``."""
    try:
        return Compiled(FLOWS[name])
    except KeyError:
        raise UnknownFlow(name, tuple(FLOWS)) from None


class Flow:
    """One running flow: ask :attr:`action`, answer with :meth:`receive` or :meth:`answer`."""

    __slots__ = ("_c", "_end", "_last", "_log", "_plans", "_seen", "_steps", "counters", "options", "state", "values")

    def __init__(self, machine: Compiled, options: Options, logger: Any = None) -> None:
        if options.sdk[:2] < machine.since:
            need = ".".join(map(str, machine.since))
            raise OptionError("sdk_version", f"flow {machine.spec.name!r} needs SDK {need} or later")
        self._c = machine
        self.options = options
        self._plans = machine.plans(options.dialect, options.platform)
        self.state: str = machine.spec.initial
        self.counters = [0] * len(machine.spec.counters)
        #: The person's answers and kept result fields, by slot; secrets are :class:`Secret`.
        self.values: dict[str, str | Secret] = {}
        # The trace as recorded: TraceEntry values, or _Step tuples not yet made into one (see ``trace``).
        self._steps: list[TraceEntry | _Step] = []
        self._end: tuple[str | None, int | None, str] | None = None
        self._last: tuple[str, int | None, str] = NO_MOVE
        self._seen: set[str] = set()
        self._log = logger

    @property
    def trace(self) -> list[TraceEntry]:
        """The edges taken so far, oldest first (secrets masked)."""
        steps = self._steps
        i = len(steps)
        while i and type(steps[i - 1]) is tuple:  # the steps recorded since the last read
            i -= 1
        for j in range(i, len(steps)):
            steps[j] = self._entry(cast(_Step, steps[j]))
        return cast(list[TraceEntry], steps)

    @trace.setter
    def trace(self, entries: list[TraceEntry]) -> None:
        self._steps = cast(list[TraceEntry | _Step], entries)

    def _entry(self, step: _Step) -> TraceEntry:
        source, target, outcome, code, held = step
        if source.kind == "call":
            entry = self._c.entries[source.name]
            masked = self._plans[source.name].masked
            if masked is None:
                masked = self._masked(source, held)
            return TraceEntry(step=source.step, state=source.name, kind="call", name=entry.api, op=entry.op,
                              parameters=dict(masked) if masked is not None else {}, outcome=outcome,
                              target=target, code=code)
        return TraceEntry(step=source.step, state=source.name, kind="question", name=source.ask or "", op=None,
                          parameters={}, outcome=outcome, target=target)

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
        state = self._c.states[self.state]
        kind = state.kind
        if kind == "call":
            call = self._plans[state.name].call  # the same Call for every flow when it reads no slot
            return call if call is not None else self._call(state)
        if kind == "question":
            return self._question(state)
        return None

    def _call(self, state: State) -> Call:
        plan = self._plans[state.name]
        if plan.call is not None:
            return plan.call
        values = self.values
        params: list[tuple[str, str | Secret]] = []
        for name, value, slot in plan.params:
            if slot is None:
                assert value is not None
                params.append((name, value))
            else:
                held = values.get(slot)
                if held is None:
                    raise FlowStateError(self.state, f"no value held for {slot}")
                params.append((name, held))
        entry = plan.entry
        return new_call(entry.op, entry.api, tuple(params), state.step, state.name, entry.key)

    def _masked(self, state: State, held: tuple[str | Secret | None, ...] | None,
                ) -> tuple[tuple[str, str], ...] | None:
        """The parameters of ``state``'s call with secrets masked, from the values its slots ``held`` when
        the call was answered; None when an input was not held (after a resume, secrets may not be)."""
        plan = self._plans[state.name]
        if plan.masked is not None:
            return plan.masked
        slots = self._c.slots[state.name]
        values = dict(zip(slots, held or (None,) * len(slots), strict=True))
        out: list[tuple[str, str]] = []
        for name, value, slot in plan.params:
            if slot is None:
                assert value is not None
                out.append((name, value))
            else:
                got = values.get(slot)
                if got is None:
                    return None
                out.append((name, MASK if isinstance(got, Secret) else got))
        return tuple(out)

    def _question(self, state: State) -> Question:
        c = self._c
        counters = self.counters
        tally = c.tallies[state.name]
        invalid = c.invalid_index
        attempt = 1 + (counters[invalid] if invalid is not None else 0) + (counters[tally] if tally is not None else 0)
        last, _, at = self._last
        why = last if at == state.name and last in REASK else None
        key = (state.name, attempt, why)
        question = c.questions.get(key)
        if question is None:  # a Question holds no answer: one object serves every flow of this kind
            assert state.ask is not None
            question = new_question(state.ask, state.step, state.name, state.prompt, attempt, why,
                                    state.ask in SECRET_NAMES, spec.FORGOT_PIN in c.handles[state.name],
                                    state.new_pin)
            if attempt <= QUESTIONS_KEPT:
                c.questions[key] = question
        return question

    # -- answers -----------------------------------------------------------

    def _need(self, kind: str) -> State:
        state = self._c.states[self.state]
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
        c = self._c
        source = self.state
        state = c.states[source]
        error: MalformedMessage | None = None
        try:
            msg = parse_message(message)
        except MalformedMessage as exc:
            error = exc
        del message  # the SDK's message may hold a secret (an OTP, an echoed PIN): no frame keeps it on a raise
        if state.kind != "call":
            self._need("call")
        seen = self._seen
        if error is None:
            tid = msg.transaction_id
            if tid in seen:
                raise StaleMessage(source, "this transactionId was already received")
            try:
                outcome = classify(state, c.entries[source], msg)
            except MalformedMessage as exc:
                error = exc
        if error is not None:  # raised outside the handler, so no __context__ ties it to the message
            raise error.at_step(state.step)
        seen.add(tid)
        if state.keep and msg.result is not None:
            self._keep(state, msg.result)
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
        else:
            detail = PORT_RAISED.format(name=exc.original if isinstance(exc, PortError) else type(exc).__name__)
        self._fire(outcome, None, detail)

    def answer(self, value: object) -> None:
        """Answer the open :class:`Question` with a str, ``fsm.FORGOT_PIN`` or ``fsm.CANCEL``.

        An answer that is not valid (wrong type, wrong shape, ``FORGOT_PIN``
        where it leads nowhere) is asked again, at most ``max_code_attempts``
        times in a row, then the run ends cancelled. A :class:`fsm.Secret`
        holding the string is taken as the string.
        """
        value = hide(value)  # first: no frame below this line holds the answer as a plain str
        state = self._need("question")
        assert state.ask is not None and state.slot is not None
        if value is CANCEL:
            outcome = spec.CANCEL
        elif value is FORGOT_PIN and spec.FORGOT_PIN in self._c.handles[state.name]:
            outcome = spec.FORGOT_PIN
        elif type(value) is Secret and valid(state.ask, value.reveal(), new_pin=state.new_pin):
            self.values[state.slot] = value if state.ask in SECRET_NAMES else value.reveal()
            outcome = spec.ANSWERED
        else:
            outcome = spec.INVALID
        self._fire(outcome, None, "")

    # -- moving --------------------------------------------------------------

    def _keep(self, state: State, result: Mapping[str, object]) -> None:
        """Keep the result field the step's call was read by, when it is a non-empty string (the validated
        table keeps only that field: fsm.validate)."""
        value = self._c.entries[state.name].output.read(result)
        if type(value) is str and value:
            for field in state.keep:
                self.values[field] = value

    def _fire(self, outcome: str, code: int | None, detail: str) -> None:
        c = self._c
        source = self.state
        if outcome not in c.handles[source]:  # the validated table makes this unreachable
            raise DefinitionError(self.name, [f"state {source!r} does not handle {outcome}"])
        self._last = (outcome, code, detail)
        if c.events[outcome].trigger(self):  # False: no guard held, the flow stays (the checker sees it)
            move = c.moves.get((source, outcome, self.state))
            if move is not None:  # None: the edge's own callback has done it
                self._took(move)

    def _took(self, move: _Move) -> None:
        """Once the machine has taken an edge: count, reset, trace, end."""
        source, target, touches, counts, resets, end, slots = move
        outcome, code, detail = self._last
        if touches:
            counters = self.counters
            for i in resets:
                counters[i] = 0
            for i in counts:
                counters[i] += 1
        self._last = (outcome, code, target)
        # The values the call read, not yet masked: the trace masks them when it is read.
        self._steps.append((source, target, outcome, code, tuple(map(self.values.get, slots)) if slots else None))
        if end is not None:
            cause, own = end
            self._end = (cause, own if own is not None else code, detail)
        if self._log is not None:
            self._logged(source, outcome, target, code)

    def _logged(self, source: State, outcome: str, target: str, code: int | None) -> None:
        # The edge is taken: a failing host logger must not make the caller think it was not.
        with contextlib.suppress(Exception):
            self._log.info("fsm.transition", flow=self.name, step=source.step, state=source.name,
                           api=source.call and self._c.entries[source.name].api, outcome=outcome,
                           target=target, error_code=code)

    # -- the end ---------------------------------------------------------------

    @property
    def outcome(self) -> Outcome | None:
        """None until the flow has finished; then how it ended."""
        if not self.finished:
            return None
        cause, code, detail = self._end or (None, None, "")
        words = CAUSE_WORDS.get(cause or "", "")
        if detail and cause in spec.DETAILED_CAUSES:
            words = detail
        last_step = self.trace[-1].step if self.trace else self.spec.initial
        if self.state in spec.SUCCESS_TERMINALS:
            reason = spec.REASON_SUCCESS.format(title=self.spec.title, state=self.state)
        else:
            reason = spec.REASON_FAILURE.format(state=self.state, step=last_step, words=words)
            if code is not None:
                reason += spec.REASON_CODE.format(code=code)
        return Outcome(flow=self.name, state=self.state, error_code=None if self.state in spec.SUCCESS_TERMINALS
                       else code, reason=reason, cause=cause, trace=tuple(self.trace),
                       resumable=self._resumable(cause))

    def _resumable(self, cause: str | None) -> bool:
        """Whether this failed flow's snapshot resumes into a running flow (fsm.resumption, fsm.restore)."""
        if self.state != spec.FAILED:
            return False
        call = retry_state(self.spec, cause, self.trace[-1].state if self.trace else None)
        if call is None:
            return False
        options = self.options
        if resume_state(self.spec, call.name, options.dialect, options.platform) == call.name:
            return True
        bounds = [options.bound(c) for c in self.spec.counters]
        return not at_bound(call, self.counters, bounds, self._c.counter_index)

    def __repr__(self) -> str:
        return f"<Flow {self.name} state={self.state!r} counters={self.counters}>"

    def snapshot(self) -> dict[str, Any]:
        """This flow as a JSON-safe dict without secrets; ``fsm.resume`` continues it (see fsm.snapshot)."""
        from fsm.snapshot import document  # the document's format, loaded on first use (import fsm stays cheap)

        outcome, code, at = self._last
        return document(
            flow=self.name, options=self.options, state=self.state,
            counters={c.name: self.counters[i] for i, c in enumerate(self.spec.counters)}, values=self.values,
            seen=self._seen, last=(outcome, code, at if at in self._c.states else ""),
            end=self._end if self._end is not None and self.finished else None,
            trace=[t.as_dict() for t in self.trace])


def host_logger(logger: Any) -> Any:
    """The logger a flow logs to: ``logger`` when given, else structlog's when the host configured structlog,
    else none (the library is silent unless asked)."""
    if logger is None and structlog.is_configured():
        return structlog.get_logger("fsm")
    return logger


def start(flow: str, *, logger: Any = None, **options: Any) -> Flow:
    """Start the flow named ``flow`` (``"enrollment"``, ``"reset-pin"``, ...) with ``options``."""
    machine = compiled(flow) if isinstance(flow, str) else None
    if machine is None:
        raise UnknownFlow(repr(flow), tuple(FLOWS))
    return Flow(machine, make_options(**options), host_logger(logger))
