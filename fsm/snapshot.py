"""Snapshots: a running flow as a small JSON-safe dict, and back (RELIABILITY.md, F1 to F6).

``snapshot(flow)`` keeps what the flow knows except its secrets: the values
of secret slots (PIN, SMS codes, OTP) are dropped, non-secret ones
(``phoneNumber``, ``vin``) kept. ``resume(data)`` treats the snapshot as
untrusted input: anything truncated, tampered with (unknown key, flow or
state, a counter of the wrong type or out of its bound) or of another
version raises :class:`fsm.SnapshotInvalid`, and a snapshot that claims a
finished success (``enrolled``, ``done``) is refused: a host that meets the
error starts the flow afresh.

The rule that asks the person again for the secrets the snapshot dropped,
derived from the flow's table (no step is named here):

1. A secret slot is *live* at a state when some path from it reads the slot
   in a call before a question writes it (classic liveness over the table's
   edges; a question writes its slot on ``answered`` only).
2. When nothing secret is live at the saved state, the flow resumes there.
3. Otherwise it resumes at the nearest state upstream (fewest edges back) of
   the same step where nothing secret is live: the question that asks the
   first missing secret of that step (e.g. ``8:pinCode`` for step 8,
   ``4.1:smsCode`` for step 4.1).
4. When the step cannot ask for it again (on iOS steps 7 and 8 send the
   enrollment ``smsCode`` checked at step 6), it resumes at the nearest call
   upstream where nothing secret is live: the call that sends a fresh code
   (step ``5``).
5. A call counted on entry (write-ahead, e.g. step 8's PIN submission) stays
   counted: the submission may have left the device. When its counter has
   reached its bound, a new submission is not allowed and the resumed flow
   is ``failed`` (``pin_attempts_exhausted``).

Resuming never re-sends a secret by itself, and a message whose
``transactionId`` was consumed before the snapshot is still refused
(:class:`fsm.StaleMessage`). Counters edited downwards cannot be detected
(the server keeps the authoritative count; RELIABILITY.md F4).
"""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from fsm import spec
from fsm.catalog import CATALOG
from fsm.errors import FsmError, OptionError, SnapshotInvalid
from fsm.flows import FLOWS
from fsm.machine import Compiled, Flow, TraceEntry, compiled
from fsm.options import FIELDS, make_options
from fsm.secret import MASK, SECRET_NAMES, Secret
from fsm.spec import CAUSE_WORDS, FlowSpec, State

VERSION = 1
KEYS = ("version", "flow", "options", "state", "counters", "values", "seen", "last", "end", "trace")
TRACE_KEYS = ("step", "state", "kind", "name", "op", "parameters", "outcome", "target", "code")
#: Bounds on what a snapshot may hold (JSON text, ids kept, trace entries, one string).
MAX_TEXT = 4_000_000
MAX_ITEMS = 100_000
MAX_STRING = 4096
MAX_TID = 128


# -- snapshot ----------------------------------------------------------------------


def secret_slots(flow: FlowSpec) -> frozenset[str]:
    """The slots of ``flow`` that hold secrets: those of questions asking a secret input."""
    slots = {s.slot for s in flow.states if s.kind == "question" and s.ask in SECRET_NAMES and s.slot}
    return frozenset(slots) | SECRET_NAMES


def kept_slots(flow: FlowSpec) -> frozenset[str]:
    """The slots of ``flow`` a snapshot keeps: what its questions and results write, secrets excepted."""
    slots = {s.slot for s in flow.states if s.slot} | {k for s in flow.states for k in s.keep}
    return frozenset(slots - secret_slots(flow))


def snapshot(flow: Flow) -> dict[str, Any]:
    """``flow`` as a JSON-safe, versioned dict with no secret in it."""
    kept = kept_slots(flow.spec)
    outcome, code, at = flow._last
    return {
        "version": VERSION,
        "flow": flow.name,
        "options": flow.options.as_dict(),
        "state": flow.state,
        "counters": {c.name: flow.counters[i] for i, c in enumerate(flow.spec.counters)},
        "values": {k: v for k, v in sorted(flow.values.items()) if type(v) is str and k in kept},
        "seen": sorted(flow._seen),
        "last": [outcome, code, at if at in flow._c.states else ""],
        "end": list(flow._end) if flow._end is not None and flow.finished else None,
        "trace": [_trace_json(t) for t in flow.trace],
    }


def _trace_json(entry: TraceEntry) -> dict[str, Any]:
    return {
        "step": entry.step, "state": entry.state, "kind": entry.kind, "name": entry.name, "op": entry.op,
        "parameters": {k: MASK if isinstance(v, Secret) or k in SECRET_NAMES else v
                       for k, v in entry.parameters.items()},
        "outcome": entry.outcome, "target": entry.target, "code": entry.code,
    }


# -- resume ------------------------------------------------------------------------


def resume(data: object, *, logger: Any = None) -> Flow:
    """The flow ``data`` (a snapshot dict, or its JSON text) describes, ready to go on.

    Raises :class:`fsm.SnapshotInvalid` for anything but a snapshot this
    version of fsm wrote. See the module's docstring for where it resumes.
    """
    if isinstance(data, str | bytes | bytearray):
        data = _loads(data)
    if not isinstance(data, Mapping):
        raise SnapshotInvalid("not an object")
    keys = set(data)
    if keys - set(KEYS):
        raise SnapshotInvalid("unknown keys")
    if set(KEYS) - keys:
        raise SnapshotInvalid("missing keys (truncated?)")
    version = data["version"]
    if type(version) is not int or version != VERSION:
        raise SnapshotInvalid(f"unknown version (this fsm reads version {VERSION})")
    name = data["flow"]
    if type(name) is not str or name not in FLOWS:
        raise SnapshotInvalid("unknown flow")
    machine = compiled(name)
    flow = _new_flow(machine, data["options"], logger)
    state = data["state"]
    if type(state) is not str or state not in machine.states:
        raise SnapshotInvalid("unknown state")
    if state in spec.SUCCESS_TERMINALS:
        raise SnapshotInvalid("a finished success is never resumed")
    flow.state = state
    flow.counters = _counters(machine, flow, data["counters"])
    flow.values = _values(machine, data["values"])
    flow._seen = _seen(data["seen"])
    flow._last = _last(machine, data["last"])
    flow.trace = _trace(machine, data["trace"])
    flow._end = _end(data["end"], machine.states[state])
    _ask_again(flow)
    return flow


def _loads(text: str | bytes | bytearray) -> object:
    if len(text) > MAX_TEXT:
        raise SnapshotInvalid("too large")

    def no_constant(_: str) -> object:
        raise ValueError("NaN and Infinity are not JSON")

    try:
        return json.loads(text, parse_constant=no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        pass
    # Raised outside the handler: no __context__ holding the text (RELIABILITY.md A4).
    raise SnapshotInvalid("not JSON (truncated?)")


def _new_flow(machine: Compiled, options: object, logger: Any) -> Flow:
    if not isinstance(options, Mapping) or any(type(k) is not str or k not in FIELDS for k in options):
        raise SnapshotInvalid("options: not an object of known options")
    problem = "options"
    try:
        return Flow(machine, make_options(**options), logger)
    except OptionError as exc:
        problem = f"options: {exc.option}"
    except (FsmError, TypeError):
        pass
    raise SnapshotInvalid(problem)  # outside the handler: no __context__


def _str(value: object, what: str, *, limit: int = MAX_STRING) -> str:
    if type(value) is not str or len(value) > limit:
        raise SnapshotInvalid(f"{what}: not a string of bounded length")
    return value


def _one_of(value: object, allowed: Collection[str]) -> bool:
    """``value`` is a str among ``allowed`` (checked without hashing what may be a list)."""
    return type(value) is str and value in allowed


def _code(value: object, what: str) -> int | None:
    if value is not None and (type(value) is not int or not 0 <= value < 10**9):
        raise SnapshotInvalid(f"{what}: not an error code")
    return value


def _list(value: object, what: str) -> Sequence[object]:
    if not isinstance(value, list | tuple) or len(value) > MAX_ITEMS:
        raise SnapshotInvalid(f"{what}: not a list of bounded length")
    return value


def _counters(machine: Compiled, flow: Flow, counters: object) -> list[int]:
    names = [c.name for c in machine.spec.counters]
    if not isinstance(counters, Mapping) or set(counters) != set(names):
        raise SnapshotInvalid("counters: not an object of the flow's counters")
    out = []
    for c in machine.spec.counters:
        value = counters[c.name]
        if type(value) is not int or not 0 <= value <= flow.options.bound(c):
            raise SnapshotInvalid(f"counters.{c.name}: not an integer within its bound")
        out.append(value)
    return out


def _values(machine: Compiled, values: object) -> dict[str, str | Secret]:
    allowed = kept_slots(machine.spec)
    if not isinstance(values, Mapping):
        raise SnapshotInvalid("values: not an object")
    out: dict[str, str | Secret] = {}
    for k, v in values.items():
        if type(k) is not str or k not in allowed:
            raise SnapshotInvalid("values: unknown or secret slot")
        out[k] = _str(v, f"values.{k}")
    return out


def _seen(seen: object) -> set[str]:
    out = {_str(t, "seen", limit=MAX_TID) for t in _list(seen, "seen")}
    if "" in out:
        raise SnapshotInvalid("seen: an empty transactionId")
    return out


def _outcomes(machine: Compiled) -> frozenset[str]:
    return frozenset(o for s in machine.spec.states for o in s.outcomes())


def _last(machine: Compiled, last: object) -> tuple[str, int | None, str]:
    items = _list(last, "last")
    if len(items) != 3:
        raise SnapshotInvalid("last: not [outcome, code, state]")
    outcome, code, at = items
    if outcome != "" and not _one_of(outcome, _outcomes(machine)):
        raise SnapshotInvalid("last: unknown outcome")
    if at != "" and not _one_of(at, machine.states):
        raise SnapshotInvalid("last: unknown state")
    assert type(outcome) is str and type(at) is str
    return outcome, _code(code, "last"), at


def _trace(machine: Compiled, trace: object) -> list[TraceEntry]:
    outcomes = _outcomes(machine)
    out = []
    for raw in _list(trace, "trace"):
        if not isinstance(raw, Mapping) or set(raw) != set(TRACE_KEYS):
            raise SnapshotInvalid("trace: an entry is not a trace entry")
        if not (_one_of(raw["state"], machine.states) and _one_of(raw["target"], machine.states)):
            raise SnapshotInvalid("trace: unknown state")
        if not _one_of(raw["outcome"], outcomes):
            raise SnapshotInvalid("trace: unknown outcome")
        op_ok = raw["op"] is None or _one_of(raw["op"], ("get", "set"))
        if not _one_of(raw["kind"], ("call", "question")) or not op_ok:
            raise SnapshotInvalid("trace: unknown kind or op")
        params = raw["parameters"]
        if not isinstance(params, Mapping) or len(params) > 64:
            raise SnapshotInvalid("trace: parameters not an object")
        shown = {_str(k, "trace.parameters"): _str(v, "trace.parameters") for k, v in params.items()}
        if any(k in SECRET_NAMES and v != MASK for k, v in shown.items()):
            raise SnapshotInvalid("trace: a secret parameter is not masked")
        out.append(TraceEntry(step=_str(raw["step"], "trace.step"), state=raw["state"], kind=raw["kind"],
                              name=_str(raw["name"], "trace.name"), op=raw["op"], parameters=shown,
                              outcome=raw["outcome"], target=raw["target"], code=_code(raw["code"], "trace.code")))
    return out


def _end(end: object, state: State) -> tuple[str | None, int | None, str] | None:
    if not state.terminal:
        if end is not None:
            raise SnapshotInvalid("end: set on a running flow")
        return None
    items = _list(end, "end")
    if len(items) != 3:
        raise SnapshotInvalid("end: not [cause, code, detail]")
    cause, code, detail = items
    if cause is not None and not _one_of(cause, CAUSE_WORDS):
        raise SnapshotInvalid("end: unknown cause")
    assert cause is None or type(cause) is str
    return cause, _code(code, "end"), _str(detail, "end.detail", limit=512)


# -- asking again for the secrets the snapshot dropped ------------------------------


@functools.cache
def live_secrets(name: str, dialect: str, platform: str) -> Mapping[str, frozenset[str]]:
    """For each state of flow ``name``: the secret slots some path from it reads before asking them."""
    flow = FLOWS[name]
    secret = secret_slots(flow)
    reads = {
        s.name: frozenset(x for x in CATALOG[s.call].slots(dialect, platform) if x in secret) if s.call else frozenset()
        for s in flow.states
    }
    live = dict(reads)
    changed = True
    while changed:
        changed = False
        for s in flow.states:
            found = set(reads[s.name])
            for e in s.edges:
                after = live[e.target]
                if s.kind == "question" and e.outcome == spec.ANSWERED:
                    after -= {s.slot}
                found |= after
            if found != live[s.name]:
                live[s.name] = frozenset(found)
                changed = True
    return live


def _upstream(flow: FlowSpec, start: str) -> list[str]:
    """States from which ``start`` can be reached, nearest first (breadth first over reversed edges)."""
    back: dict[str, list[str]] = {}
    for s in flow.states:
        for e in s.edges:
            back.setdefault(e.target, []).append(s.name)
    order, seen, queue = [], {start}, deque([start])
    while queue:
        for prev in back.get(queue.popleft(), ()):
            if prev not in seen:
                seen.add(prev)
                order.append(prev)
                queue.append(prev)
    return order


def resume_state(flow: FlowSpec, state: str, dialect: str, platform: str) -> str:
    """Where a flow saved at ``state`` resumes, its secrets dropped (rules 2 to 4 of the module docstring)."""
    live = live_secrets(flow.name, dialect, platform)
    if not live[state]:
        return state
    step = flow.state(state).step
    upstream = [s for s in _upstream(flow, state) if not live[s]]
    for name in upstream:
        if flow.state(name).step == step:
            return name
    for name in upstream:
        if flow.state(name).kind == "call":
            return name
    return flow.initial  # unreachable for the shipped flows: a test checks every state


def _ask_again(flow: Flow) -> None:
    target = resume_state(flow.spec, flow.state, flow.options.dialect, flow.options.platform)
    if target == flow.state:
        return
    current = flow.current
    if current.counts is not None:
        index = flow._c.counter_index[current.counts]
        if flow.counters[index] >= flow.options.bound(flow.spec.counters[index]):
            cause = f"{current.counts}_exhausted"
            flow.state = spec.FAILED
            flow._end = (cause if cause in CAUSE_WORDS else None, None, "")
            flow._last = ("", None, spec.FAILED)
            return
    for i in flow._c.progress:
        flow.counters[i] = 0
    flow.state = target
    flow._last = ("", None, "")


__all__ = ["VERSION", "SnapshotInvalid", "live_secrets", "resume", "resume_state", "secret_slots", "snapshot"]
