"""Exploring a flow: the configurations the real machine reaches under every answer of the environment.

A configuration is the flow's state and its counters, nothing else. The
values a flow holds (answers, kept result fields) are left out because no
guard reads them: guards are "below a bound" tests on counters and the
shortcut flag (:class:`fsm.spec.Guard`), so two configurations that differ
only in their values move alike. What needs values (the parameters a call
carries, where a secret came from, a call missing a held value) is judged by
:mod:`fsm.properties` from the values each move writes, not kept as state.
Ends keep the counters the machine leaves (a finished flow holds them too).

A configuration is one int: the state's index plus each counter's value in a
mixed radix (``Explorer.stride``); counters are kept at their bound (a
counter at its bound fails every ``below`` guard however far past it goes:
only a flow missing a guard counts past it).

Moves come from the real machine (:class:`fsm.machine.Flow`), never from a
second reading of the table. A move depends on nothing but the state, the
outcome the input is read as, whether the counters its edges test or count
are below their bound, and which per-call counters are at 0 (they are reset).
So the machine is moved once per such shape and what it did (target, counters
added to or reset, values written) is replayed on the configurations alike;
:class:`Plan` lays a state's moves out for one shape (where the state's
counters stand: below-bound bits and the per-call counters' exact values) as
int deltas. ``learn=False`` moves the machine from every configuration, with
a value held in every slot, and the tests check both ways give the same graph.
On the way, every message is checked to move the machine as
:func:`fsm.classify.classify` reads it (``Explorer.findings``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from fsm import environment
from fsm.catalog import CATALOG
from fsm.classify import classify, classify_exception
from fsm.environment import Input
from fsm.errors import DefinitionError, MalformedMessage
from fsm.flows import FLOWS
from fsm.machine import Compiled, Flow, compiled
from fsm.messages import parse_message
from fsm.options import Options
from fsm.secret import SECRET_NAMES, Secret
from fsm.spec import FlowSpec, State
from fsm.validate import problems

Values = tuple[tuple[str, str | Secret], ...]
#: How a learned move is replayed: CHANGE (target, counts, resets, writes), EXACT (the configuration ``fixed``,
#: for the configuration it was made from only), BROKE (the machine broke: ``broke`` says how).
CHANGE, EXACT, BROKE = range(3)
#: What kind of state a configuration is at.
END, CALL, QUESTION, NONE = range(4)


class Move:
    """A move of the real machine written down for replay."""

    __slots__ = ("broke", "counts", "fixed", "how", "outcome", "resets", "target", "writes")

    def __init__(self, how: int, outcome: str, *, target: int = -1, counts: tuple[int, ...] = (),
                 resets: tuple[int, ...] = (), writes: Values = (), fixed: int = -1,
                 broke: tuple[str, str] | None = None) -> None:
        self.how = how
        self.outcome = outcome
        self.target = target
        self.counts = counts
        self.resets = resets
        self.writes = writes
        self.fixed = fixed
        self.broke = broke


#: One distinct move of a plan: first input index, configuration delta, outcome, target state index (-1: broken),
#: values written, and for a broken move the (property, text) it shows.
Step = tuple[int, int, str, int, Values, tuple[str, str] | None]


class Plan:
    """A state's moves for one shape of configuration.

    ``steps``: the distinct moves, in input order; ``tried``: inputs fed; ``cacheable``: False when a move was
    made for one configuration only.
    """

    __slots__ = ("cacheable", "state", "steps", "tried")

    def __init__(self, state: int, tried: int, steps: tuple[Step, ...], cacheable: bool) -> None:
        self.state = state
        self.tried = tried
        self.steps = steps
        self.cacheable = cacheable


class Explorer:
    """The configuration graph of one flow (a name or a :class:`FlowSpec`) under one set of options.

    Raises :class:`fsm.OptionError` when the options rule the flow out (an SDK too old for it). A flow whose
    definition is invalid is explored as written (``definition_invalid``).
    """

    def __init__(self, flow: FlowSpec | str, options: Options, *, learn: bool = True,
                 like: Explorer | None = None) -> None:
        """``like``: an explorer of the same flow, done, under options that differ at most in the method and
        the SDK version: its reading of each message and the moves no shortcut guard chooses are taken over."""
        #: False: move the real machine from every configuration (slow; the tests compare both ways).
        self.learn = learn
        self.spec = FLOWS[flow] if isinstance(flow, str) else flow
        self.options = options
        machine = None
        if FLOWS.get(self.spec.name) is self.spec:
            try:
                machine = compiled(self.spec.name)  # validated once per process
            except DefinitionError:
                machine = None
        self.definition_invalid = machine is None and bool(problems(self.spec))
        if machine is None:
            try:
                machine = Compiled(self.spec, validate=False)
            except Exception as exc:
                raise DefinitionError(self.spec.name, [f"the machine cannot be built: {type(exc).__name__}"]) from exc
        self.compiled: Compiled = machine
        self.names = [s.name for s in self.spec.states]
        self.index = {n: i for i, n in enumerate(self.names)}
        self.states = [self.compiled.states[n] for n in self.names]
        self.canary = environment.canaries(self.spec)
        self.given = environment.given(self.spec, self.canary)
        self.inputs = environment.inputs(self.spec, self.canary)
        self.kinds = [END if s.terminal else NONE if s.name not in self.inputs
                      else CALL if s.kind == "call" else QUESTION for s in self.states]
        self.bounds = tuple(options.bound(c) for c in self.spec.counters)
        self.S = n = len(self.names)
        #: Per counter, the configuration stride of its digit; ``C``: the number of configuration codes.
        self.stride: tuple[int, ...] = ()
        for b in self.bounds:
            self.stride += (n,)
            n *= b + 1
        self.C = n
        self.progress = self.compiled.progress
        #: Per state: the digits its plans depend on, as (stride, radix, category table, multiplier); a plan key
        #: is the state's index plus the categories' mixed-radix number times S. ``keys``: every plan key is
        #: below it (fsm.search puts its own digits above it).
        self.digits: list[tuple[tuple[int, int, tuple[int, ...], int], ...]] = []
        #: Per state: the counters whose below-bound bit its plans depend on (tested or counted by its edges),
        #: and those its guards test.
        self._used: list[int] = []
        self._tested: list[int] = []
        self.keys = 0
        for s in self.states:
            self._layout(s)
        self._progress_mask = sum(1 << x for x in self.progress)
        #: Per state: the per-call counters no guard of the state tests, set to 1 when a move is learned (a reset
        #: then shows, and nothing the state tests changes); the other per-call counters, as a mask.
        self._lifted: list[tuple[int, ...]] = [tuple(x for x in self.progress
                                                     if not tested >> x & 1 and self.bounds[x] > 0)
                                               for tested in self._tested]
        self._unlifted = [self._progress_mask & ~sum(1 << x for x in lifted) for lifted in self._lifted]
        #: Per (state, input key): the counters the guards of its outcome's edges test, once its outcome is known.
        self._class_tested: dict[tuple[int, object], int] = {}
        self._plans: dict[int, Plan] = {}
        self._learned: dict[tuple[int, object, int, int], Move] = {}
        #: Per state: the key of each input (inputs with one key move the machine alike), once classified.
        self._classes: dict[int, list[object]] = {}
        #: Per state: the moves made from the first configuration while classifying (first input of each key).
        self._made: dict[int, dict[int, Move]] = {}
        #: What was found on the way: (property, configuration, input, text); ``classified`` for now.
        self.findings: list[tuple[str, int, int, str]] = []
        self.machine_steps = 0
        self._held = self.every_value() if not learn else {}
        self.initial = self.encode(self.spec.initial, (0,) * len(self.bounds))
        Flow(self.compiled, options)  # the options must allow the flow (raises OptionError)
        if like is not None and learn and like.learn and like.compiled is self.compiled \
                and like.bounds == self.bounds and (like.options.dialect, like.options.platform) == \
                (options.dialect, options.platform):
            self._classes = dict(like._classes)
            self._class_tested = dict(like._class_tested)
            self._learned = {k: m for k, m in like._learned.items() if not self._flagged(k[0], m.outcome)}

    def _layout(self, state: State) -> None:
        """What the plans of ``state`` depend on: the counters its edges test or count, the per-call counters."""
        index = self.compiled.counter_index
        used = tested = 0
        for edge in state.edges:
            if edge.guard is not None and edge.guard.name in index:
                tested |= 1 << index[edge.guard.name]
            if edge.count in index:
                used |= 1 << index[edge.count]
            t = self.compiled.states.get(edge.target)
            if t is not None and t.counts in index:
                used |= 1 << index[t.counts]
        used |= tested
        self._used.append(used)
        self._tested.append(tested)
        digits = []
        mult = self.S
        for x, b in enumerate(self.bounds):
            if x in self.progress:
                table = tuple(range(b + 1))  # its value: a reset takes it back to 0
            elif used >> x & 1:
                table = tuple(1 if v < b else 0 for v in range(b + 1))  # below its bound or not
            else:
                continue
            digits.append((self.stride[x], b + 1, table, mult))
            mult *= max(table) + 1
        self.digits.append(tuple(digits))
        self.keys = max(self.keys, mult)

    # -- configurations ------------------------------------------------------

    def encode(self, state: str, counters: tuple[int, ...] | list[int]) -> int:
        c = self.index[state]
        for x, v in enumerate(counters):
            b = self.bounds[x]
            c += (v if v <= b else b) * self.stride[x]
        return c

    def state_of(self, c: int) -> str:
        return self.names[c % self.S]

    def counters_of(self, c: int) -> tuple[int, ...]:
        return tuple(c // st % (b + 1) for st, b in zip(self.stride, self.bounds, strict=True))

    def terminal(self, c: int) -> bool:
        return self.kinds[c % self.S] == END

    def key_of(self, c: int) -> int:
        """The plan key of configuration ``c`` (configurations with one key move alike)."""
        s = c % self.S
        key = s
        for stride, radix, table, mult in self.digits[s]:
            key += table[c // stride % radix] * mult
        return key

    def flow_at(self, c: int, values: dict[str, str | Secret] | None = None) -> Flow:
        """A flow at configuration ``c`` holding ``values``."""
        flow = Flow(self.compiled, self.options)
        flow.state = self.state_of(c)
        flow.counters = list(self.counters_of(c))
        if values:
            flow.values = dict(values)
        return flow

    def every_value(self) -> dict[str, str | Secret]:
        """A value in every slot an answer or a kept result field writes (fresh objects, told by identity)."""
        held: dict[str, str | Secret] = {}
        for s in self.spec.states:
            if s.kind == "question" and s.slot is not None and s.ask is not None:
                value = self.canary[s.name]
                held.setdefault(s.slot, Secret(value) if s.ask in SECRET_NAMES else value)
            entry = CATALOG.get(s.call or "")
            if entry is not None:
                for field in s.keep:
                    held.setdefault(field, f"kept-{field}")
        return {k: Secret(v.reveal()) if isinstance(v, Secret) else v.encode().decode() for k, v in held.items()}

    # -- moving the real machine ---------------------------------------------

    def plan(self, c: int) -> Plan:
        """The moves of configuration ``c`` (learned once per key)."""
        key = self.key_of(c)
        found = self._plans.get(key)
        if found is None:
            found = self._plan(c)
            if found.cacheable and self.learn:
                self._plans[key] = found
        return found

    def successors(self, c: int) -> list[tuple[int, int, str]]:
        """The distinct moves of configuration ``c``: (input index, next configuration, outcome)."""
        return [(k, c + d, outcome) for k, d, outcome, t, _, _ in self.plan(c).steps if t >= 0]

    def _plan(self, c: int) -> Plan:
        s = c % self.S
        kind = self.kinds[s]
        if kind == END:
            return Plan(s, 0, (), True)
        if kind == NONE:
            name = self.names[s]
            return Plan(s, 0, ((0, 0, "", -1, (), ("way_out", f"state {name!r} has no call or question")),), True)
        counters = self.counters_of(c)
        below = zero = 0
        for x, (v, b) in enumerate(zip(counters, self.bounds, strict=True)):
            if v < b:
                below |= 1 << x
            if v == 0:
                zero |= 1 << x
        lifted = c + sum((1 - counters[x]) * self.stride[x] for x in self._lifted[s]) if self.learn else c
        classes = self._classes_of(s, c, lifted)
        made = self._made.pop(s, {})
        used = self._used[s]
        zero &= self._unlifted[s]
        steps: list[Step] = []
        alike: set[tuple[str, int]] = set()
        seen: set[object] = set()
        cacheable = True
        inputs = self.inputs[self.names[s]]
        for k, key in enumerate(classes):
            if key in seen:
                continue
            seen.add(key)
            move = None
            tested = self._class_tested.get((s, key)) if self.learn else None
            if tested is not None:
                move = self._learned.get((s, key, below & tested, zero))
            if move is None:
                move = made.get(k) or self._learn(lifted, inputs[k])
                if move.how == EXACT and lifted != c:  # learned for one configuration: the real one
                    move = self._learn(c, inputs[k])
                if self.learn and move.how != EXACT and not (move.how == BROKE and move.outcome == ""):
                    tested = self._outcome_tested(s, move.outcome)
                    self._class_tested[(s, key)] = tested
                    self._learned[(s, key, below & tested, zero)] = move
            if move.how == BROKE:
                assert move.broke is not None
                steps.append((k, 0, move.outcome, -1, (), move.broke))
                continue
            if move.how == EXACT:
                cacheable = False
                delta = move.fixed - c
            else:
                delta = move.target - s
                for x in move.counts:
                    if not (used >> x & 1):
                        cacheable = False  # the key does not say whether the count is past the bound
                    if counters[x] < self.bounds[x]:
                        delta += self.stride[x]
                for x in move.resets:
                    if x not in self.progress:
                        cacheable = False  # the key does not hold the counter's value
                    delta -= counters[x] * self.stride[x]
            if (move.outcome, delta) in alike:  # an earlier input reaches the same configuration on the same outcome
                continue
            alike.add((move.outcome, delta))
            steps.append((k, delta, move.outcome, (c + delta) % self.S, move.writes, None))
        return Plan(s, len(classes), tuple(steps), cacheable)

    def _flagged(self, s: int, outcome: str) -> bool:
        """Does a guard of state ``s``'s edges for ``outcome`` read a flag of the options (the shortcut)?"""
        return any(e.guard is not None and e.guard.kind == "flag" for e in self.states[s].alternatives(outcome))

    def _outcome_tested(self, s: int, outcome: str) -> int:
        """The counters the guards of state ``s``'s edges for ``outcome`` test (all they choose by)."""
        index = self.compiled.counter_index
        return sum(1 << index[e.guard.name] for e in self.states[s].alternatives(outcome)
                   if e.guard is not None and e.guard.name in index)

    def _learn(self, c: int, inp: Input) -> Move:
        """Move the real machine once from ``c`` on ``inp`` and write down what it did."""
        held = self._held
        flow = self.flow_at(c, held)
        before = flow.counters[:]
        self.machine_steps += 1
        try:
            environment.apply(flow, inp)
        except DefinitionError as exc:
            outcome = exc.problems[0].rsplit(" ", 1)[-1]
            return Move(BROKE, outcome, broke=("handled", f"state {self.state_of(c)!r} does not handle {outcome} "
                                                          f"({inp.label})"))
        except Exception as exc:  # noqa: BLE001 - any crash of the machine is a finding, reported as one
            return Move(BROKE, "", broke=("way_out", f"the machine raised {type(exc).__name__} at "
                                                     f"{self.state_of(c)!r} on {inp.label}"))
        trace = flow.trace
        if not trace:  # the machine refused: the outcome was recorded, no guard of its edges held
            outcome = flow._last[0]
            return Move(BROKE, outcome, broke=("way_out", f"state {self.state_of(c)!r}: no edge applies to "
                                                          f"{outcome} (every guard is false)"))
        outcome = trace[-1].outcome
        writes = tuple(sorted((k, v) for k, v in flow.values.items() if held.get(k) is not v))
        counts: list[int] = []
        resets: list[int] = []
        for x, (old, new) in enumerate(zip(before, flow.counters, strict=True)):
            if new == old:
                continue
            if new == 0:
                resets.append(x)
            elif new == old + 1:
                counts.append(x)
            else:  # not a count nor a reset: keep this move for this configuration only
                return Move(EXACT, outcome, fixed=self.encode(flow.state, flow.counters), writes=writes)
        if any(slot not in flow.values for slot in held):
            return Move(EXACT, outcome, fixed=self.encode(flow.state, flow.counters), writes=writes)
        return Move(CHANGE, outcome, target=self.index[flow.state], counts=tuple(counts), resets=tuple(resets),
                    writes=writes)

    def _classify(self, state: State, inp: Input) -> str:
        """The outcome fsm.classify gives ``inp`` at ``state`` (questions: the input itself)."""
        entry = self.compiled.entries.get(state.name)
        if inp.kind == "answer" or entry is None:
            return inp.label
        if inp.kind == "raise":
            assert inp.exc is not None
            return classify_exception(inp.exc("simulated failure"))
        try:
            return classify(state, entry, parse_message(inp.message))
        except MalformedMessage as exc:
            return classify_exception(exc)

    def _classes_of(self, s: int, c: int, lifted: int) -> list[object]:
        """Per input of state ``s``, the key of the inputs that move the machine alike; the first time (at
        configuration ``c``), checks that the machine reads every message as fsm.classify does (moving it from
        ``lifted``, see :meth:`_plan`)."""
        found = self._classes.get(s)
        if found is not None:
            return found
        state = self.states[s]
        keys: list[object] = []
        made: dict[int, Move] = {}
        for k, inp in enumerate(self.inputs[state.name]):
            outcome = self._classify(state, inp)
            key: object = ("outcome", outcome) if inp.kind != "answer" and not state.keep else ("input", k)
            if inp.kind != "answer":
                if key in keys:  # only the outcome the machine reads matters: no move to write down
                    got, broke = self._reading(lifted, inp)
                else:
                    move = made[k] = self._learn(lifted, inp)
                    got, broke = move.outcome, move.how == BROKE
                if not broke and got != outcome:
                    self.findings.append(("classified", c, k, f"state {state.name!r}: {inp.label} moved the "
                                          f"machine as {got}, fsm.classify reads it as {outcome}"))
            keys.append(key)  # answers, and calls that keep result fields: no grouping
        self._classes[s] = keys
        self._made[s] = made
        return keys

    def _reading(self, c: int, inp: Input) -> tuple[str, bool]:
        """The outcome the real machine reads ``inp`` as at ``c``, and whether it broke."""
        flow = self.flow_at(c, self._held)
        self.machine_steps += 1
        try:
            environment.apply(flow, inp)
        except Exception:  # noqa: BLE001 - a broken machine is reported where its moves are learned
            return "", True
        trace = flow.trace
        return (trace[-1].outcome, False) if trace else (flow._last[0], True)

    # -- walks -----------------------------------------------------------------

    def reach(self, wanted: set[str]) -> set[str]:
        """Which of the states ``wanted`` some run reaches (stops when all are found)."""
        found: set[str] = set()
        seen = {self.initial}
        todo = deque([self.initial])
        while todo and found != wanted:
            c = todo.popleft()
            if self.state_of(c) in wanted:
                found.add(self.state_of(c))
            for _, j, _ in self.successors(c):
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
        return found

    def shortest_paths(self) -> Iterator[tuple[int, tuple[tuple[int, int], ...]]]:
        """Breadth-first over the configuration graph: each configuration with a shortest run to it."""
        parent: dict[int, tuple[int, int] | None] = {self.initial: None}
        todo = deque([self.initial])
        while todo:
            c = todo.popleft()
            yield c, unwind(parent, c)
            for k, j, _ in self.successors(c):
                if j not in parent:
                    parent[j] = (c, k)
                    todo.append(j)


def unwind(parent: dict[int, tuple[int, int] | None], node: int) -> tuple[tuple[int, int], ...]:
    """The steps (node, input) from the root to ``node`` in a breadth-first parent map."""
    path = []
    step = parent[node]
    while step is not None:
        prev, k = step
        path.append((prev, k))
        step = parent[prev]
    return tuple(reversed(path))
