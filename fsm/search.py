"""The search: the configuration graph of :mod:`fsm.explore` paired with the bound monitors, walked once.

A node is a configuration and three monitors: PIN submissions (a call that
carries the PIN, retries of a call that got no verdict aside), passes through
A, and consecutive retries of one call; each is kept at its bound + 1, so the
product stays finite. A node is one int: the configuration's code plus
``Explorer.C`` times the monitors' mixed-radix number. Every move is an int
delta laid out once per shape of node (:class:`fsm.explore.Plan` for the
configuration, plus where the monitors stand), so the walk is additions and
look-ups.

:meth:`Search.run` walks depth first, as SPIN does: it finds every node,
every fault of a move (:mod:`fsm.properties`), whether a run can loop (an edge
back to a node on the stack), and, when none can, the longest run (the
longest path, from the nodes' post-order). Only when something is wrong does
:meth:`Search.shortest` walk again breadth first, to show each fault with a
shortest run, and :func:`lasso` find the shortest loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from fsm.explore import CALL, END, Explorer, Values, unwind
from fsm.properties import REMOVE_ENTRY, Judge

#: (property, text, input or None) of a node's moves.
Fault = tuple[str, str, int | None]
#: A node's moves: distinct node deltas, the first input of each, inputs tried, faults.
NodePlan = tuple[tuple[int, ...], tuple[int, ...], int, tuple[Fault, ...]]
Path = tuple[tuple[int, int], ...]


class Search:
    """One walk of a flow's nodes (see the module docstring)."""

    def __init__(self, ex: Explorer, judge: Judge, *, progress: Callable[[int, int], None] | None = None,
                 limit: int | None = None) -> None:
        self.ex = ex
        self.judge = judge
        o = ex.options
        self.bp, self.br, self.bt = o.max_pin_attempts, o.max_restarts, o.max_transient_retries
        self.P, self.A, self.R = self.bp + 2, self.br + 2, self.bt + 2
        self.progress = progress
        self.limit = limit
        self.root = ex.initial
        self.removes = frozenset(i for i, s in enumerate(ex.states) if s.call == REMOVE_ENTRY)
        #: Node -> longest run from it (-1 while it is on the stack).
        self.color: dict[int, int] = {}
        self._plans: dict[int, NodePlan] = {}
        #: Every fault found, by property, in the order found: text -> input-less key for the shortest search.
        self.found: dict[str, dict[str, None]] = {}
        #: The edges the machine took, (state, outcome, target) as indices; and with the values each wrote.
        self.edges: set[tuple[int, str, int]] = set()
        self.value_edges: set[tuple[int, int, int, Values]] = set()
        self.transitions = 0
        self.cycle = False
        self.longest: int | None = None
        self.gave_up = False
        pins = tuple(0 if v < self.bp else 1 if v == self.bp else 2 for v in range(self.P))
        passes = tuple(0 if v < self.br else 1 if v == self.br else 2 for v in range(self.A))
        base = ex.keys
        C = ex.C
        #: Per state: the digits of a node its plans depend on, as (stride, radix, table); a node's key is the
        #: state's index plus the sum of each table's entry for its digit (see :func:`_merge`).
        self.digits: list[tuple[tuple[int, int, tuple[int, ...]], ...]] = []
        for s, state_digits in enumerate(ex.digits):
            extra: tuple[tuple[int, int, tuple[int, ...], int], ...] = ()
            if ex.kinds[s] != END:
                extra = ((C * self.P, self.A, passes, base * 3), (C * self.P * self.A, self.R,
                                                                   tuple(range(self.R)), base * 9))
                if judge.pin_call(s):
                    extra += ((C, self.P, pins, base),)
            self.digits.append(_merge(state_digits + extra))

    # -- node plans ------------------------------------------------------------

    def key(self, x: int) -> int:
        s = x % self.ex.S
        key = s
        for stride, radix, table in self.digits[s]:
            key += table[x // stride % radix]
        return key

    def node_plan(self, x: int) -> NodePlan:
        key = self.key(x)
        found = self._plans.get(key)
        if found is None:
            found, cacheable = self._make(x)
            if cacheable:
                self._plans[key] = found
        return found

    def _make(self, x: int) -> tuple[NodePlan, bool]:
        ex, judge = self.ex, self.judge
        C = ex.C
        m = x // C
        pins, passes, run = m % self.P, m // self.P % self.A, m // (self.P * self.A)
        plan = ex.plan(x % C)
        s = plan.state
        name = ex.names[s]
        pin = judge.pin_call(s)
        is_call = ex.kinds[s] == CALL
        bp, br, bt = self.bp, self.br, self.bt
        faults: list[Fault] = []
        deltas: dict[int, int] = {}
        for k, d, outcome, t, writes, broke in plan.steps:
            if t < 0:
                assert broke is not None
                faults.append((broke[0], broke[1], k))
                continue
            self.edges.add((s, outcome, t))
            self.value_edges.add((s, k, t, writes))
            faults.extend((prop, text, k) for prop, text in judge.edge_faults(s, k, t))
            # A PIN submission: a call carrying the PIN, not a retry of a call that got no verdict (run > 0).
            p2 = pins + 1 if pin and run == 0 and pins <= bp else pins
            if t == s:
                a2 = passes
                r2 = (run + 1 if run <= bt else run) if is_call else 0
            else:
                a2 = passes + 1 if t in self.removes and passes <= br else passes
                r2 = 0
            if p2 > bp and p2 != pins:
                faults.append(("pin_bound", f"a run submits the PIN more than {bp} times (max_pin_attempts)", k))
            if a2 > br and a2 != passes:
                faults.append(("restart_bound", f"a run passes through A more than {br} times (max_restarts)", k))
            if r2 > bt and r2 != run:
                faults.append(("retry_bound", f"a run retries the call of {name!r} more than {bt} times in a "
                               "row (max_transient_retries)", k))
            deltas.setdefault(d + C * ((p2 - pins) + self.P * ((a2 - passes) + self.A * (r2 - run))), k)
        if not deltas and ex.kinds[s] != END and plan.tried:
            faults.append(("way_out", f"state {name!r}: no answer moves the machine on", None))
        for prop, text, _ in faults:
            self.found.setdefault(prop, {}).setdefault(text)
        return (tuple(deltas), tuple(deltas.values()), plan.tried, tuple(faults)), plan.cacheable and ex.learn

    # -- the walk --------------------------------------------------------------

    def run(self) -> None:
        """Depth first from the root: every node, its faults, cycles and the longest run."""
        S = self.ex.S
        digits = self.digits
        plans = self._plans
        color = self.color
        get = color.get
        stack: list[int | tuple[int, tuple[int, ...]]] = [self.root]
        done: int
        deltas: tuple[int, ...]
        push, pop = stack.append, stack.pop
        transitions = 0
        cycle = False
        limit = self.limit
        progress = self.progress
        popped = 0
        # How often to look at the limit and report progress (often enough for a small limit).
        mask = (1 << max(0, min(12, (limit or 4096).bit_length() - 3))) - 1
        while stack:
            x = pop()
            if type(x) is int:
                if x in color:
                    continue
                s = x % S
                key = s
                for stride, radix, table in digits[s]:
                    key += table[x // stride % radix]
                np = plans.get(key)
                if np is None:
                    np = self.node_plan(x)
                deltas = np[0]
                transitions += np[2]
                if not deltas:
                    color[x] = 0
                    continue
                color[x] = -1
                push((x, deltas))
                for d in deltas:
                    y = x + d
                    v = get(y)
                    if v is None:
                        push(y)
                    elif v < 0:
                        cycle = True
                popped += 1
                if not popped & mask:
                    if limit is not None and len(color) > limit:
                        self.gave_up = True
                        break
                    if progress is not None:
                        progress(len(color), len(stack))
            else:
                done, deltas = x  # type: ignore[misc]  # not an int: a (node, deltas) pair, the node is done
                best = -1
                for d in deltas:
                    v = color[done + d]
                    if v > best:  # noqa: PLR1730 - a test is cheaper than a call to max() on every edge
                        best = v
                color[done] = best + 1
        self.transitions = transitions
        self.cycle = cycle
        if not cycle and not self.gave_up:
            self.longest = color[self.root]

    @property
    def configurations(self) -> int:
        C = self.ex.C
        return len({x % C for x in self.color})

    def shortest(self, wanted: set[tuple[str, str]], configs: set[int]) -> dict[object, Path]:
        """Breadth first: for each (property, text) wanted, a shortest run to the move that shows it; for each
        configuration of ``configs``, a shortest run to it. Paths are (configuration, input) steps."""
        C = self.ex.C
        out: dict[object, Path] = {}
        parent: dict[int, tuple[int, int] | None] = {self.root: None}
        todo = deque([self.root])
        left = len(wanted) + len(configs)
        while todo and left:
            x = todo.popleft()
            deltas, ks, _, faults = self.node_plan(x)
            if x % C in configs and x % C not in out:
                out[x % C] = _configs(unwind(parent, x), C)
                left -= 1
            for prop, text, k in faults:
                if (prop, text) in wanted and (prop, text) not in out:
                    base = _configs(unwind(parent, x), C)
                    out[(prop, text)] = (*base, (x % C, k)) if k is not None else base
                    left -= 1
            for d, k in zip(deltas, ks, strict=True):
                y = x + d
                if y not in parent:
                    parent[y] = (x, k)
                    todo.append(y)
        return out


#: The largest table :func:`_merge` makes of neighbouring digits.
MERGED = 1024


def _merge(digits: tuple[tuple[int, int, tuple[int, ...], int], ...]) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
    """Digits (stride, radix, category table, multiplier) as fewer look-ups: each table holds its category times
    its multiplier, and neighbouring digits (with any digit between them that the key ignores) share one table
    while it stays small."""
    out: list[tuple[int, int, tuple[int, ...]]] = []
    for stride, radix, table, mult in sorted(digits):
        part = tuple(c * mult for c in table)
        if out:
            low, span, merged = out[-1]
            gap = stride // (low * span)  # the digits between, which the key ignores
            size = span * gap * radix
            if stride % (low * span) == 0 and size <= MERGED:
                out[-1] = (low, size, tuple(merged[v % span] + part[v // (span * gap)] for v in range(size)))
                continue
        out.append((stride, radix, part))
    return tuple(out)


def _configs(path: Path, C: int) -> Path:
    return tuple((x % C, k) for x, k in path)


def lasso(ex: Explorer) -> tuple[Path, Path] | None:
    """The shortest run that loops: the shortest run to the configuration nearest the start that lies on a
    cycle, and the shortest cycle through it."""
    parent: dict[int, tuple[int, int] | None] = {ex.initial: None}
    order = [ex.initial]
    succ: dict[int, list[tuple[int, int]]] = {}
    at = 0
    while at < len(order):
        c = order[at]
        at += 1
        succ[c] = [(k, j) for k, j, _ in ex.successors(c)]
        for k, j in succ[c]:
            if j not in parent:
                parent[j] = (c, k)
                order.append(j)
    pred: dict[int, set[int]] = {c: set() for c in order}
    for c, out in succ.items():
        for _, j in out:
            pred[j].add(c)
    nexts = {c: {j for _, j in out} for c, out in succ.items()}
    alive = set(order)
    # Peel what cannot reach a cycle (no way on), then what no cycle reaches (no way in): what is left lies on
    # a cycle or between two.
    for ways_on, ways_back in ((nexts, pred), (pred, nexts)):
        deg = {c: len(ways_on[c] & alive) for c in alive}
        todo = deque(c for c, d in deg.items() if d == 0)
        while todo:
            c = todo.popleft()
            alive.discard(c)
            for j in ways_back[c]:
                if j in alive:
                    deg[j] -= 1
                    if deg[j] == 0:
                        todo.append(j)
    for start in order:
        if start not in alive:
            continue
        back: dict[int, tuple[int, int]] = {}
        queue = deque([start])
        seen = {start}
        while queue:
            c = queue.popleft()
            for k, j in succ[c]:
                if j not in alive:
                    continue
                if j == start:
                    steps = [(c, k)]
                    while c != start:
                        c, kk = back[c]
                        steps.append((c, kk))
                    return unwind(parent, start), tuple(reversed(steps))
                if j not in seen:
                    seen.add(j)
                    back[j] = (c, k)
                    queue.append(j)
    return None
