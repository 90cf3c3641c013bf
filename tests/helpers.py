"""Small helpers for driving flows in tests: SDK messages, and a flow put at a given state."""

from __future__ import annotations

import itertools
from collections.abc import Collection
from typing import Any

import fsm
from fsm.explore import Explorer
from fsm.machine import Flow
from fsm.secret import SECRET_NAMES, Secret

_tid = itertools.count(1)


def ok(**result: Any) -> dict[str, Any]:
    """A SUCCEEDED message with ``result``."""
    return {"transactionId": f"tx-{next(_tid)}", "status": "SUCCEEDED", "result": result}


def failed(code: int | str) -> dict[str, Any]:
    """A FAILED message with error ``code``."""
    return {"transactionId": f"tx-{next(_tid)}", "status": "FAILED", "error": {"code": code, "label": "x"}}


#: Values for every slot, so a flow put at any call state can build its call.
SLOTS = {
    "phoneNumber": "0612345678",
    "smsCode": "246810",
    "resetSmsCode": "135790",
    "pinCode": "424242",
    "oldPIN": "424242",
    "newPIN": "517093",
    "vin": "VR1AB12C3D4567890",
}


def at(flow: str, state: str, **options: Any) -> Flow:
    """A flow started with ``options`` and put at ``state``, holding a value for every slot."""
    f = fsm.start(flow, **options)
    f.state = state
    for slot, value in SLOTS.items():
        f.values[slot] = Secret(value) if slot in SECRET_NAMES or slot == "resetSmsCode" else value
    return f


def counter(f: Flow, name: str) -> int:
    return f.counters[[c.name for c in f.spec.counters].index(name)]


def set_counter(f: Flow, name: str, value: int) -> None:
    f.counters[[c.name for c in f.spec.counters].index(name)] = value


def reached_with_slots(ex: Explorer, slots: Collection[str]) -> set[tuple[str, tuple[int, ...], frozenset[str]]]:
    """What the real machine reaches: the explorer's configurations (state, counters; ends keep theirs), each with
    the slots of ``slots`` that hold a value on some run to it, from the values the machine's moves wrote."""
    start: tuple[int, frozenset[str]] = (ex.initial, frozenset())
    seen = {start}
    todo = [start]
    while todo:
        c, held = todo.pop()
        for _, delta, _, target, writes, _ in ex.plan(c).steps:
            if target < 0:
                continue
            nxt = (c + delta, held | {slot for slot, _ in writes if slot in slots})
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return {(ex.state_of(c), ex.counters_of(c), held) for c, held in seen}


def reached_when_resumed(ex: Explorer, slots: Collection[str]) -> set[tuple[str, tuple[int, ...], frozenset[str]]]:
    """What the real machine reaches when a run may be saved and resumed (``fsm.resume``) at any point: the
    explorer's moves, and from every running configuration the flow ``fsm.resume`` gives back for its
    snapshot, moved on in turn."""
    start: tuple[int, frozenset[str]] = (ex.initial, frozenset())
    seen = {start}
    todo = [start]
    while todo:
        c, held = todo.pop()
        nexts = [(c + delta, held | {slot for slot, _ in writes if slot in slots})
                 for _, delta, _, target, writes, _ in ex.plan(c).steps if target >= 0]
        if not ex.terminal(c):
            saved = ex.flow_at(c, {slot: SLOTS[slot] for slot in held})
            resumed = fsm.resume(saved.snapshot())
            nexts.append((ex.encode(resumed.state, resumed.counters), held))
        for nxt in nexts:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return {(ex.state_of(c), ex.counters_of(c), held) for c, held in seen}
