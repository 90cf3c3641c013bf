"""Which configurations a run of a flow can reach, derived from the flow's table.

A configuration is a state, the flow's counters, and which of its non-secret slots hold a value (a
snapshot keeps exactly those; secrets are dropped). :func:`reachable` walks the table breadth first from
the initial state, under one set of options, with the semantics the machine gives each edge
(``fsm.machine.Compiled``): at each state every outcome the world can produce there
(``fsm.validate.producible``); for an outcome, the first of its alternatives whose guard holds (a counter
below its bound, or the shortcut allowed); taking it resets the per-call counters it does not count, then
adds one to the edge's counter and to the target's write-ahead counter (when the target is another
state); a valid answer writes the question's slot and a call keeps its result field on the outcome that
reads a non-empty string there. ``tests/test_reach.py`` compares the set with the configurations the model
checker reaches by moving the real machine.

A run may also be saved and resumed, any number of times: a flow resumed where it must ask again for a secret
its snapshot dropped picks up upstream (``fsm.resumption``), its per-call counts back at 0 and the others kept
— a configuration a straight run may never reach (step 5 with a PIN already sent, on iOS), yet one a run
reaches, and whose own snapshot must resume too. The walk adds that pick-up as one more move from every
state; the tests compare it with the real machine moved from what ``fsm.resume`` gives back.

Counters that never go back to 0 (PIN submissions, refused codes, passes through A, ...) only grow along a
run, so a configuration is reached, if at all, by a run that never exceeds its values of them:
:func:`is_reachable` explores only below those values, which keeps it small when a bound is large
(``max_pin_attempts`` 1000 explores no more than 3 when the configuration has sent 2 PINs).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from fsm import spec
from fsm.catalog import CATALOG
from fsm.options import Options
from fsm.resumption import kept_slots, resume_state
from fsm.spec import FlowSpec
from fsm.validate import producible

#: A configuration: the state, the counters (in the flow's order), the kept slots holding a value.
Configuration = tuple[str, tuple[int, ...], frozenset[str]]
#: One alternative of an outcome: guard (-1 none, -2 the shortcut, else a counter's index), target, counter
#: indices reset then counted, and the mask of the slots it writes.
_Alt = tuple[int, int, tuple[int, ...], tuple[int, ...], int]
_NONE, _SHORTCUT = -1, -2
#: Configurations explored at most by one call (a guard against a flow whose bounds make it explode).
LIMIT = 2_000_000


class _Table:
    """The flow's edges laid out for the walk: per state index, per outcome, the alternatives in order."""

    def __init__(self, flow: FlowSpec) -> None:
        self.flow = flow
        self.names = [s.name for s in flow.states]
        index = {n: i for i, n in enumerate(self.names)}
        counters = {c.name: i for i, c in enumerate(flow.counters)}
        self.slots = sorted(kept_slots(flow))
        bit = {slot: 1 << i for i, slot in enumerate(self.slots)}
        progress = [i for i, c in enumerate(flow.counters) if c.progress_resets]
        #: Counters no edge resets: they only grow along a run.
        self.monotone = tuple(i for i, c in enumerate(flow.counters) if not c.progress_resets)
        self.moves: list[list[list[_Alt]]] = []
        for state in flow.states:
            per_outcome: list[list[_Alt]] = []
            for outcome in producible(state):
                alts: list[_Alt] = []
                for edge in state.alternatives(outcome):
                    guard = edge.guard
                    g = _NONE if guard is None else _SHORTCUT if guard == spec.SHORTCUT else counters[guard.name]
                    own = counters[edge.count] if edge.count is not None else None
                    counts = [] if own is None else [own]
                    target = flow.state(edge.target)
                    if target.counts is not None and target.name != state.name:
                        counts.append(counters[target.counts])
                    writes = 0
                    if state.kind == "question" and outcome == spec.ANSWERED and state.slot in bit:
                        writes = bit[state.slot]
                    elif state.call is not None and outcome == CATALOG[state.call].output.any_string:
                        writes = sum(bit[k] for k in state.keep if k in bit)
                    alts.append((g, index[edge.target], tuple(i for i in progress if i != own), tuple(counts),
                                 writes))
                per_outcome.append(alts)
            self.moves.append(per_outcome)


_TABLES: dict[int, _Table] = {}


def _table(flow: FlowSpec) -> _Table:
    """The table of ``flow``, made once per FlowSpec object (a FlowSpec holds dicts: it is not hashable)."""
    found = _TABLES.get(id(flow))
    if found is None or found.flow is not flow:
        found = _TABLES[id(flow)] = _Table(flow)
    return found


def _bounds(flow: FlowSpec, options: Options) -> tuple[int, ...]:
    return tuple(options.bound(c) for c in flow.counters)


#: Per state index, where a flow saved there picks up when resumed (fsm.resumption): None when it stays,
#: else (the state it moves back to, the counter that must be below its bound or -1, the failed state).
_Pickups = tuple[tuple[int, int, int] | None, ...]


def _pickups(table: _Table, dialect: str, platform: str) -> _Pickups:
    flow = table.flow
    index = {n: i for i, n in enumerate(table.names)}
    counters = {c.name: i for i, c in enumerate(flow.counters)}
    out: list[tuple[int, int, int] | None] = []
    for state in flow.states:
        target = state.name if state.terminal else resume_state(flow, state.name, dialect, platform)
        if target == state.name:
            out.append(None)
        else:
            out.append((index[target], counters[state.counts] if state.counts else -1, index[spec.FAILED]))
    return tuple(out)


def _walk(table: _Table, shortcut: bool, bounds: tuple[int, ...], caps: tuple[int, ...] | None,
          pickups: _Pickups | None) -> frozenset[tuple[int, tuple[int, ...], int]]:
    """Every (state index, counters, held mask) reached, never letting a monotone counter pass its cap; with
    ``pickups``, also where a run saved at any of them and resumed picks up, and what it reaches from there."""
    flow = table.flow
    monotone = table.monotone
    progress = [i for i, c in enumerate(flow.counters) if c.progress_resets]
    start = (0, (0,) * len(bounds), 0)
    seen = {start}
    todo = [start]
    terminal = [s.terminal for s in flow.states]
    while todo:
        nxt: list[tuple[int, tuple[int, ...], int]] = []
        for state, counters, held in todo:
            if terminal[state]:
                continue
            pickup = pickups[state] if pickups is not None else None
            if pickup is not None:  # saved here, resumed: asked again upstream, or failed at the bound (rule 5)
                back, at, failed = pickup
                if at >= 0 and counters[at] >= bounds[at]:
                    config = (failed, counters, held)
                else:
                    after = list(counters)
                    for i in progress:
                        after[i] = 0
                    config = (back, tuple(after), held)
                if config not in seen:
                    seen.add(config)
                    nxt.append(config)
            for alts in table.moves[state]:
                for guard, target, resets, counts, writes in alts:
                    if guard == _SHORTCUT:
                        if not shortcut:
                            continue
                    elif guard >= 0 and counters[guard] >= bounds[guard]:
                        continue
                    after = list(counters)
                    for i in resets:
                        after[i] = 0
                    for i in counts:
                        after[i] += 1
                    if caps is not None and any(after[i] > caps[n] for n, i in enumerate(monotone)):
                        break
                    config = (target, tuple(after), held | writes)
                    if config not in seen:
                        seen.add(config)
                        nxt.append(config)
                    break  # the first alternative whose guard holds is the edge taken
        if len(seen) > LIMIT:
            raise OverflowError(f"more than {LIMIT} configurations")
        todo = nxt
    return frozenset(seen)


def reachable(flow: FlowSpec, options: Options, *, resumed: bool = True) -> frozenset[Configuration]:
    """Every configuration a run of ``flow`` reaches under ``options`` (linear in the bounds): a straight run,
    or (``resumed``) a run saved and resumed any number of times, picking up where fsm.resumption says."""
    table = _table(flow)
    pickups = _pickups(table, options.dialect, options.platform) if resumed else None
    found = _walk(table, options.shortcut_allowed, _bounds(flow, options), None, pickups)
    return frozenset((table.names[s], c, frozenset(x for i, x in enumerate(table.slots) if held >> i & 1))
                     for s, c, held in found)


#: A configuration is checked by a walk that goes at least this far in each growing counter (or to its bound),
#: so that one walk answers for the many configurations of a run, however far each has gone.
SPAN = 8
#: Walks kept per flow and options, the widest last.
_KEPT: dict[tuple[_Table, bool, tuple[int, ...], str, str], list[tuple[tuple[int, ...], frozenset[Any]]]] = {}


def is_reachable(flow: FlowSpec, options: Options, state: str, counters: Sequence[int],
                 held: Collection[str]) -> bool:
    """Whether a run of ``flow`` under ``options`` (saved and resumed any number of times) reaches ``state``
    with exactly ``counters`` and exactly the kept slots ``held`` holding a value."""
    table = _table(flow)
    if state not in table.names or len(counters) != len(flow.counters) or not set(held) <= set(table.slots):
        return False
    bounds = _bounds(flow, options)
    if any(type(c) is not int or not 0 <= c <= b for c, b in zip(counters, bounds, strict=True)):
        return False
    want = tuple(counters[i] for i in table.monotone)
    key = (table, options.shortcut_allowed, bounds, options.dialect, options.platform)
    walks = _KEPT.get(key)
    if walks is None:
        if len(_KEPT) >= 32:  # a host using many option sets: forget the oldest
            del _KEPT[next(iter(_KEPT))]
        walks = _KEPT[key] = []
    found = next((seen for caps, seen in walks if all(w <= c for w, c in zip(want, caps, strict=True))), None)
    if found is None:
        caps = tuple(min(bounds[i], max(w, SPAN)) for w, i in zip(want, table.monotone, strict=True))
        found = _walk(table, options.shortcut_allowed, bounds, caps,
                      _pickups(table, options.dialect, options.platform))
        walks.append((caps, found))
        del walks[:-4]
    mask = sum(1 << i for i, x in enumerate(table.slots) if x in held)
    return (table.names.index(state), tuple(counters), mask) in found


__all__ = ["Configuration", "is_reachable", "reachable"]
