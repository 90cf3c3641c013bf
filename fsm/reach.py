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
(``max_pin_attempts`` 1000 explores no further than 4 PIN submissions when the configuration has sent 2).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from fsm import spec
from fsm.catalog import CATALOG
from fsm.options import Options
from fsm.resumption import kept_slots, resume_state
from fsm.spec import FlowSpec
from fsm.validate import producible

#: A configuration: the state, the counters (in the flow's order), the kept slots holding a value.
Configuration = tuple[str, tuple[int, ...], frozenset[str]]
#: One alternative of an outcome: guard (-1 none, -2 the shortcut, else a counter's index), target, counter
#: indices reset then counted, the mask of the slots it writes, and the per-call counter it repeats the state
#: counting (-1 when it is not such a loop).
_Alt = tuple[int, int, tuple[int, ...], tuple[int, ...], int, int]
_NONE, _SHORTCUT = -1, -2
#: Configurations explored at most by one call (a guard against a flow whose bounds make it explode).
LIMIT = 2_000_000
#: A walked configuration: state index, counters, mask of the kept slots held.
_Config = tuple[int, tuple[int, ...], int]


class _Table:
    """The flow's edges laid out for the walk: per state index, per outcome, the alternatives in order.

    A per-call counter (retries of one call, invalid answers in a row: ``progress_resets``) is counted only by
    an edge that stays in its state, guarded by that counter, and goes back to 0 on any other edge. So a state
    holding it at k is reached exactly when the state is reached with it at 0 and its loop can be taken k
    times: the walk keeps such counters at 0 and notes which loops each configuration can take, which keeps it
    the same size whatever their bounds (``max_code_attempts`` 1000 costs no more than 3). When a definition
    counts one otherwise, the walk takes every value instead (``collapse`` false).
    """

    def __init__(self, flow: FlowSpec) -> None:
        self.flow = flow
        self.names = [s.name for s in flow.states]
        index = {n: i for i, n in enumerate(self.names)}
        counters = {c.name: i for i, c in enumerate(flow.counters)}
        self.slots = sorted(kept_slots(flow))
        bit = {slot: 1 << i for i, slot in enumerate(self.slots)}
        self.progress = tuple(i for i, c in enumerate(flow.counters) if c.progress_resets)
        #: Counters no edge resets: they only grow along a run.
        self.monotone = tuple(i for i, c in enumerate(flow.counters) if not c.progress_resets)
        self.terminal = [s.terminal for s in flow.states]
        self.moves: list[list[list[_Alt]]] = []
        self.collapse = True
        for state in flow.states:
            per_outcome: list[list[_Alt]] = []
            for outcome in producible(state):
                alts: list[_Alt] = []
                for edge in state.alternatives(outcome):
                    guard = edge.guard
                    g = _NONE if guard is None else _SHORTCUT if guard == spec.SHORTCUT else counters[guard.name]
                    resets, counts = flow.effects(state, edge)
                    loop = -1
                    for name in counts:
                        if counters[name] in self.progress:
                            if edge.target == state.name and g == counters[name] and len(counts) == 1:
                                loop = counters[name]
                            else:
                                self.collapse = False
                    if g in self.progress and loop != g:
                        self.collapse = False
                    writes = 0
                    if state.kind == "question" and outcome == spec.ANSWERED and state.slot in bit:
                        writes = bit[state.slot]
                    elif state.call is not None and outcome == CATALOG[state.call].output.any_string:
                        writes = sum(bit[k] for k in state.keep if k in bit)
                    alts.append((g, index[edge.target], tuple(counters[n] for n in resets),
                                 tuple(counters[n] for n in counts), writes, loop))
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


class _Walk:
    """Every configuration reached (per-call counters at 0 when the table allows it), and for each the
    per-call counters whose loop it can take."""

    def __init__(self, table: _Table, shortcut: bool, bounds: tuple[int, ...], caps: tuple[int, ...] | None,
                 pickups: _Pickups | None) -> None:
        self.table, self.bounds = table, bounds
        self.loops: dict[_Config, set[int]] = {}
        collapse = table.collapse
        start: _Config = (0, (0,) * len(bounds), 0)
        seen = {start}
        todo = [start]

        def add(config: _Config) -> None:
            if caps is not None and any(config[1][i] > caps[n] for n, i in enumerate(table.monotone)):
                return
            if config not in seen:
                seen.add(config)
                todo.append(config)

        while todo:
            config = todo.pop()
            state, counters, held = config
            if table.terminal[state]:
                continue
            for alts in table.moves[state]:
                now = counters
                alt = self._taken(alts, now, shortcut)
                if alt is not None and collapse and alt[5] >= 0:  # a loop: taken 1..bound times, then what?
                    self.loops.setdefault(config, set()).add(alt[5])
                    after = list(counters)
                    after[alt[5]] = bounds[alt[5]]
                    now = tuple(after)
                    alt = self._taken(alts, now, shortcut)
                if alt is None:
                    continue
                _, target, resets, counts, writes, _ = alt
                after = list(now)
                for i in resets:
                    after[i] = 0
                for i in counts:
                    after[i] += 1
                add((target, tuple(after), held | writes))
            pickup = pickups[state] if pickups is not None else None
            if pickup is not None:  # saved here, resumed: asked again upstream, or failed at the bound (rule 5)
                back, at, failed = pickup
                if at >= 0 and counters[at] >= bounds[at]:  # failed as saved: its per-call counts kept too
                    ended = (failed, counters, held)
                    add(ended)
                    if config in self.loops:
                        self.loops.setdefault(ended, set()).update(self.loops[config])
                else:
                    after = list(counters)
                    for i in table.progress:
                        after[i] = 0
                    add((back, tuple(after), held))
            if len(seen) > LIMIT:
                raise OverflowError(f"more than {LIMIT} configurations")
        self.seen = seen

    def _taken(self, alts: list[_Alt], counters: tuple[int, ...], shortcut: bool) -> _Alt | None:
        """The first alternative whose guard holds (the edge the machine takes)."""
        for alt in alts:
            guard = alt[0]
            if guard == _SHORTCUT:
                if shortcut:
                    return alt
            elif guard < 0 or counters[guard] < self.bounds[guard]:
                return alt
        return None

    def has(self, state: int, counters: tuple[int, ...], held: int) -> bool:
        if (state, counters, held) in self.seen:
            return True
        looped = [i for i in self.table.progress if counters[i]]
        if len(looped) != 1:
            return False
        base = list(counters)
        base[looped[0]] = 0
        return looped[0] in self.loops.get((state, tuple(base), held), ())

    def every(self) -> set[_Config]:
        out = set(self.seen)
        for (state, counters, held), looped in self.loops.items():
            for i in looped:
                for k in range(1, self.bounds[i] + 1):
                    after = list(counters)
                    after[i] = k
                    out.add((state, tuple(after), held))
        return out


def reachable(flow: FlowSpec, options: Options, *, resumed: bool = True) -> frozenset[Configuration]:
    """Every configuration a run of ``flow`` reaches under ``options``: a straight run, or (``resumed``) a run
    saved and resumed any number of times, picking up where fsm.resumption says."""
    table = _table(flow)
    pickups = _pickups(table, options.dialect, options.platform) if resumed else None
    walk = _Walk(table, options.shortcut_allowed, _bounds(flow, options), None, pickups)
    return frozenset((table.names[s], c, frozenset(x for i, x in enumerate(table.slots) if held >> i & 1))
                     for s, c, held in walk.every())


#: A configuration is checked by a walk that goes at least this far in each growing counter (or to its bound),
#: so that one walk answers for the many configurations of a run, however far each has gone.
SPAN = 4
#: Walks kept per flow and options, the widest last.
_KEPT: dict[tuple[_Table, bool, tuple[int, ...], str, str], list[tuple[tuple[int, ...], _Walk]]] = {}


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
    found = next((walk for caps, walk in walks if all(w <= c for w, c in zip(want, caps, strict=True))), None)
    if found is None:
        caps = tuple(min(bounds[i], max(w, SPAN)) for w, i in zip(want, table.monotone, strict=True))
        found = _Walk(table, options.shortcut_allowed, bounds, caps,
                      _pickups(table, options.dialect, options.platform))
        walks.append((caps, found))
        del walks[:-4]
    mask = sum(1 << i for i, x in enumerate(table.slots) if x in held)
    return found.has(table.names.index(state), tuple(counters), mask)


__all__ = ["Configuration", "is_reachable", "reachable"]
