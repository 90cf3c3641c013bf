"""One engine step, side by side: ``flow.receive(message); flow.action`` against the same move made by
a raw ``transitions`` trigger on an equivalent machine, and by a hand-written dict-dispatch flow (the floor).

The moves are the call steps of the enrollment with a trusted phone number (steps 1, 2, 3, 5, 6, 7, 8):
each iteration puts the flow at the step's configuration (its state, every counter at 0) and feeds it the
SDK's message for that step; both contenders reset their counters alike (without the reset the engine's
counts would pile up over the iterations until a guard fails and it takes other edges than the path's). The
``transitions`` machine is built from the same FlowSpec: the same states, the same transitions in the same
order, the same guards (a counter below its option's bound, the shortcut flag) as conditions; only the
engine's own work (parse, classify, count, trace, the next Call or Question) is missing from it.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import transitions

import fsm
from fsm import spec
from fsm.catalog import CATALOG
from fsm.flows import FLOWS
from fsm.options import Options, make_options
from fsm.spec import Counter

#: (state, outcome) of each call step of the path, and the state it leads to; the SDK's result for the
#: outcome is the catalog's documented example.
PATH: tuple[tuple[str, str, str], ...] = (
    ("1", "not_activated", "2"),
    ("2", "not_blocked", "3"),
    ("3", "phone_present", "5"),
    ("5", "succeeded", "6:smsCode"),
    ("6", "not_enrolled", "7:pinCode"),
    ("7", "succeeded", "8"),
    ("8", "succeeded", "enrolled"),
)
FLOW = "enrollment"
#: Values the person gave before these steps (the steps' calls read them).
HELD = {"phoneNumber": "0612345678", "smsCode": "246810", "pinCode": "424242"}


def messages(n: int) -> list[dict[str, Any]]:
    """``n`` SDK messages following PATH round and round, each with its own transactionId."""
    flow = FLOWS[FLOW]
    results = [CATALOG[flow.state(state).call or ""].output.example(outcome) for state, outcome, _ in PATH]
    return [{"transactionId": f"tx-{i}", "status": "SUCCEEDED", "result": results[i % len(PATH)]} for i in range(n)]


# -- the engine --------------------------------------------------------------------------------


def engine(n: int) -> Callable[..., float]:
    from fsm.secret import SECRET_NAMES, Secret

    msgs = messages(n)
    states = [p[0] for p in PATH]
    k = len(PATH)

    def run(moves: list[str] | None = None) -> float:
        flow = fsm.start(FLOW)
        for slot, value in HELD.items():
            flow.values[slot] = Secret(value) if slot in SECRET_NAMES else value
        receive = flow.receive
        counters = flow.counters
        zeros = [0] * len(counters)
        t = time.perf_counter()
        for i in range(n):
            flow.state = states[i % k]
            counters[:] = zeros
            receive(msgs[i])
            flow.action  # noqa: B018 - the next action is part of a step
            if moves is not None:
                moves.append(flow.state)
        return time.perf_counter() - t

    return run


def engine_moves() -> list[str]:
    """Where the engine goes from each step of three rounds of PATH (checked against PATH before timing)."""
    out: list[str] = []
    engine(3 * len(PATH))(out)  # the run above, recording where each step went
    return out


# -- raw transitions -------------------------------------------------------------------------------


class Model:
    """What a ``transitions`` condition reads: the counters and the options."""

    def __init__(self, options: Options, counters: int) -> None:
        self.state = FLOWS[FLOW].initial
        self.options = options
        self.counters = [0] * counters


def _shortcut(ev: Any) -> bool:
    return bool(ev.model.options.shortcut_allowed)


def _below(i: int, counter: Counter) -> Callable[[Any], bool]:
    return lambda ev: bool(ev.model.counters[i] < ev.model.options.bound(counter))


def raw_machine(name: str = FLOW) -> Any:
    """A ``transitions.Machine`` with the flow's states, transitions and guards, and nothing else."""
    flow = FLOWS[name]
    index = {c.name: i for i, c in enumerate(flow.counters)}
    m = transitions.Machine(model=None, states=[s.name for s in flow.states], initial=flow.initial,
                            send_event=True, auto_transitions=False, ignore_invalid_triggers=False)
    for state in flow.states:
        for edge in state.edges:
            conditions: list[Any] = []
            if edge.guard == spec.SHORTCUT:
                conditions.append(_shortcut)
            elif edge.guard is not None:
                conditions.append(_below(index[edge.guard.name], flow.counter(edge.guard.name)))
            m.add_transition(trigger=edge.outcome, source=state.name, dest=edge.target, conditions=conditions)
    return m


def raw(n: int) -> Callable[..., float]:
    machine = raw_machine()
    events = [machine.events[p[1]] for p in PATH]
    states = [p[0] for p in PATH]
    k = len(PATH)

    def run(moves: list[str] | None = None) -> float:
        model = Model(make_options(), len(FLOWS[FLOW].counters))
        counters = model.counters
        zeros = [0] * len(counters)
        t = time.perf_counter()
        for i in range(n):
            j = i % k
            model.state = states[j]
            counters[:] = zeros
            events[j].trigger(model)
            if moves is not None:
                moves.append(model.state)
        return time.perf_counter() - t

    return run


def raw_moves() -> list[str]:
    out: list[str] = []
    raw(3 * len(PATH))(out)  # the run above, recording where each step went
    return out


# -- the floor: a hand-written dict-dispatch flow ------------------------------------------------------


class DictFlow:
    """The least a flow can do: classify by a dict, move by a dict, answer the next call as a tuple."""

    __slots__ = ("calls", "moves", "readers", "state")

    def __init__(self) -> None:
        flow = FLOWS[FLOW]
        self.state = flow.initial
        #: state -> (result field, {value: outcome}) ; (state, outcome) -> target ; state -> (op, api, params)
        self.readers: dict[str, tuple[str | None, dict[object, str], str]] = {}
        self.moves: dict[tuple[str, str], str] = {}
        self.calls: dict[str, tuple[str, str, tuple[tuple[str, str | None], ...]]] = {}
        for s in flow.states:
            for e in s.edges:
                self.moves.setdefault((s.name, e.outcome), e.target)
            if s.call:
                entry = CATALOG[s.call]
                out = entry.output
                self.readers[s.name] = (out.field, {**out.values, **({"": out.absent} if out.absent else {})},
                                        out.any_string or out.done)
                self.calls[s.name] = (entry.op, entry.api, tuple((p.name, p.value) for p in entry.params))

    def receive(self, msg: dict[str, Any]) -> tuple[str, str, tuple[tuple[str, str | None], ...]] | None:
        if msg["status"] == "FAILED":
            outcome = "unexpected_error"
        else:
            field, values, other = self.readers[self.state]
            if field is None:
                outcome = other
            else:
                value = msg["result"].get(field)
                outcome = values.get(value) or other
        self.state = self.moves[self.state, outcome]
        return self.calls.get(self.state)


def floor(n: int) -> Callable[[], float]:
    msgs = messages(n)
    states = [p[0] for p in PATH]
    k = len(PATH)

    def run() -> float:
        flow = DictFlow()
        receive = flow.receive
        t = time.perf_counter()
        for i in range(n):
            flow.state = states[i % k]
            receive(msgs[i])
        return time.perf_counter() - t

    return run


def floor_moves() -> list[str]:
    flow = DictFlow()
    out = []
    for msg, (state, *_) in zip(messages(3 * len(PATH)), 3 * PATH, strict=True):
        flow.state = state
        flow.receive(msg)
        out.append(flow.state)
    return out


def measure(n: int, rounds: int) -> dict[str, float]:
    """Seconds per step of each contender, the best of ``rounds`` interleaved rounds of ``n`` steps; and
    ``ratio``, the median over the rounds of engine / transitions measured side by side (robust to a
    machine whose speed drifts while the benchmark runs)."""
    expected = [p[2] for p in PATH] * 3
    for name, moves in (("engine", engine_moves), ("transitions", raw_moves), ("dict", floor_moves)):
        got = moves()
        if got != expected:
            raise AssertionError(f"{name} does not follow the path: {got} != {expected}")
    runs = {"engine": engine(n), "transitions": raw(n), "dict": floor(n)}
    best = dict.fromkeys(runs, float("inf"))
    ratios = []
    for _ in range(rounds):
        took = {}
        for name, run in runs.items():
            gc.collect()
            took[name] = run() / n
            best[name] = min(best[name], took[name])
        ratios.append(took["engine"] / took["transitions"])
    return {**best, "ratio": statistics.median(ratios)}
