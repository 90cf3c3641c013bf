"""Exploring a flow: every configuration the real machine reaches under every answer the world can give.

A configuration is the flow's state, its counters and the values it holds.
From each one the :class:`Explorer` feeds every answer of the environment
(each SUCCEEDED result the catalog documents, each error code the reference
lists for the call and the step handles, a transient code, 2317, an input
error, an unknown code, malformed messages, port exceptions; at a question a
valid answer, an invalid one, "forgot PIN" and "cancel") through
``flow.receive`` / ``flow.receive_exception`` / ``flow.answer``, exactly as the
executor does, and records what is wrong with a call or an edge on the way.
:mod:`fsm.check` judges the properties over the runs.

Speed without a second description of the flow: inputs that the classifier
reads as the same outcome move the machine alike, and a move depends only on
the state, the outcome, where the counters its edges test or count stand
against their bounds, and which per-call counters are at 0 (no guard reads a
value: values are only written, by answers and kept result fields, so the
values held shape no move). The machine is moved for real once per such
shape and the change it
made (counts added or reset, values written, target) is replayed on the other
configurations of that shape; ``learn=False`` moves it from every
configuration instead, and the tests check that both give the same graph. A
move to an end is learned once per verdict of the guards its edges test
(counts, resets and values mean nothing at an end), and the moves the
machine makes while its reading of each message is checked against
fsm.classify are learned moves too.

Replaying is cheap: counters and values are interned (``Explorer.counters``,
``Explorer.vals``), so a configuration is keyed by a state and two small
ints; a learned move is laid out as a flat step that memoises what it makes
of each counters id and values id, so most replays are two dict look-ups.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from operator import itemgetter
from typing import Any, Literal

import attrs

from fsm import spec
from fsm.catalog import CATALOG, FORBIDDEN, Entry
from fsm.classify import classify, classify_exception
from fsm.errors import DefinitionError, FlowStateError, MalformedMessage
from fsm.flows import FLOWS
from fsm.inputs import valid
from fsm.machine import Compiled, Flow, TraceEntry, compiled
from fsm.messages import CANCEL, FORGOT_PIN, Call, Question, parse_message
from fsm.options import Options, make_options
from fsm.secret import MASK, SECRET_NAMES, Secret
from fsm.spec import FlowSpec, State
from fsm.transcript import REPLIES, STAND_IN, Transcript, outcome_json, record_answer, record_call

#: Steps whose calls submit a PIN the SDK checks (PROTOCOL.md: steps 8, C and E's OTP).
PIN_STEPS = frozenset({"8", "C", "E"})
PIN_PARAMS = frozenset({"pinCode", "oldPIN"})
REMOVE_ENTRY = "remove_enrollments"
#: Entries whose SUCCEEDED may end a run enrolled.
ENROLL_ENTRIES = frozenset({"enroll", "enroll_with_phone_number"})
TID = "tx"
INVALID_ANSWER = "x"

Values = tuple[tuple[str, str | Secret], ...]
#: A configuration: state, counters, and the id of the values held (see ``Explorer.vals``).
Config = tuple[str, tuple[int, ...], int]
#: A configuration as the explorer keys it: state, the id of its counters (``Explorer.counters``), of its values.
Key = tuple[str, int, int]
#: What a move does to the counters: (counter index, amount added, or None for a reset to 0).
Effect = tuple[tuple[int, int | None], ...]
#: How a learned move is replayed (see :class:`Move`).
CHANGE, TO, EXACT, BROKE = range(4)


class Move:
    """A move of the real machine written down for replay (see :meth:`Explorer._learn`).

    ``how``: CHANGE (go to ``target``, add one to or reset the counters of ``effect``, write ``writes``), TO (the
    terminal configuration ``fixed``), EXACT (the configuration ``fixed``, for the configuration it was made from
    only) or BROKE (the machine broke: ``broke`` says how). ``counters`` and ``values`` memoise the replay
    (counters id -> counters id, values id -> values id).
    """

    __slots__ = ("broke", "counters", "effect", "fixed", "how", "outcome", "target", "values", "writes")

    def __init__(self, how: int, outcome: str, *, target: str = "", fixed: Key | None = None,
                 effect: Effect = (), writes: Values = (),
                 broke: str | None = None) -> None:
        self.how = how
        self.outcome = outcome
        self.target = fixed[0] if fixed is not None else target
        self.fixed = fixed
        self.effect = effect
        self.writes = writes
        self.broke = broke
        self.counters: dict[int, int] = {}
        self.values: dict[int, int] = {}


#: One distinct move of a plan, laid out for the replay loop: first input, how (CHANGE, TO, EXACT, BROKE), target
#: state, the counters memo (counters id -> counters id) and the effect, the writes and the values memo (values id
#: -> values id), the fixed configuration (TO, EXACT) and its id for a move to an end (else -1), outcome, what
#: is wrong with the edge ((property, text) pairs), and for a broken move the (property, text) it reports.
Step = tuple[int, int, str, dict[int, int], Effect, Values, dict[int, int], Key, int, str,
             tuple[tuple[str, str], ...], tuple[str, str] | None]
#: A state's moves under one shape: how many inputs were tried, the distinct moves, and whether two moves may
#: reach the same configuration on the same outcome (then successors are deduplicated).
Plan = tuple[int, tuple[Step, ...], bool]
#: What kind of state a configuration is at, for the replay loop.
END, CALL, QUESTION, NONE = range(4)
NO_KEY: Key = ("", -1, -1)


@attrs.frozen
class Input:
    """One answer of the environment: an SDK message, a port exception, or a person's answer."""

    kind: Literal["message", "raise", "answer"]
    label: str
    message: Mapping[str, Any] | None = None
    exc: type[Exception] | None = None
    answer: object = None


def _msg(**fields: Any) -> dict[str, Any]:
    return {"transactionId": TID, **fields}


def call_inputs(state: State, entry: Entry) -> tuple[Input, ...]:
    """What the SDK (or the port) can answer to the call of ``state``."""
    out = [
        Input("message", f"SUCCEEDED {outcome}", _msg(status="SUCCEEDED", result=entry.output.example(outcome)))
        for outcome in entry.output.outcomes
    ]
    codes = sorted(set(entry.errors) | set(state.errors) | {2201, FORBIDDEN, 2101, 9999})
    out += [Input("message", f"FAILED {c}", _msg(status="FAILED", error={"code": c})) for c in codes]
    out.append(Input("message", "malformed: status missing", _msg()))
    if entry.output.field is not None:
        out.append(Input("message", "malformed: result field of the wrong type",
                         _msg(status="SUCCEEDED", result={entry.output.field: [1]})))
    out.append(Input("raise", "ConnectionError", exc=ConnectionError))
    out.append(Input("raise", "RuntimeError", exc=RuntimeError))
    return tuple(out)


def question_inputs(canary: str) -> tuple[Input, ...]:
    return (
        Input("answer", "valid answer", answer=canary),
        Input("answer", "invalid answer", answer=INVALID_ANSWER),
        Input("answer", "forgot PIN", answer=FORGOT_PIN),
        Input("answer", "cancel", answer=CANCEL),
    )


def canaries(flow: FlowSpec) -> dict[str, str]:
    """A valid answer for each question of ``flow``, distinct for each (input, slot) pair.

    The values are canaries: a secret parameter must carry one given for an input of its own name.
    """
    out: dict[str, str] = {}
    by_pair: dict[tuple[str | None, str | None], str] = {}
    for state in flow.states:
        if state.kind != "question":
            continue
        pair = (state.ask, state.slot)
        if pair not in by_pair:
            by_pair[pair] = _canary(state.ask or "", len(by_pair), set(by_pair.values()))
        out[state.name] = by_pair[pair]
    return out


def _canary(ask: str, i: int, used: set[str]) -> str:
    for n in range(1000):
        k = 31 * i + n
        for value in (f"{58 + k % 40}{(k * 7919) % 10000:04d}", f"+3361{k:07d}", f"VF7ABCDE{k:09d}"):
            if value not in used and valid(ask, value, new_pin=value.isdigit()):
                return value
    return f"canary-{i}"  # pragma: no cover - an input no template fits


class Explorer:
    """The configuration graph of one flow (a name or a :class:`FlowSpec`) under one set of options."""

    def __init__(self, flow: FlowSpec | str, options: Options, *, learn: bool = True) -> None:
        #: False: move the real machine from every configuration (slow; the tests compare both ways).
        self.learn = learn
        self.spec = FLOWS[flow] if isinstance(flow, str) else flow
        self.options = options
        shipped = FLOWS.get(self.spec.name) is self.spec
        self.compiled: Compiled = compiled(self.spec.name) if shipped else Compiled(self.spec, validate=False)
        self.states = self.compiled.states
        self.canary = canaries(self.spec)
        asks: dict[str, set[str]] = {}
        for s in self.spec.states:
            if s.kind == "question" and s.ask is not None:
                asks.setdefault(s.ask, set()).add(self.canary[s.name])
        #: The answers a person gives for each input name: the only legitimate values of a secret parameter.
        self.given = asks
        self.inputs: dict[str, tuple[Input, ...]] = {}
        for s in self.spec.states:
            if s.kind == "call" and s.call is not None and s.call in CATALOG:
                self.inputs[s.name] = call_inputs(s, CATALOG[s.call])
            elif s.kind == "question":
                self.inputs[s.name] = question_inputs(self.canary[s.name])
        self._bounds = tuple(options.bound(c) for c in self.spec.counters)
        self._width = len(self._bounds)  # bits of a counters mask
        self.cfgs: list[Config] = []
        #: Per configuration: its key (state, counters id, values id).
        self.keys: list[Key] = []
        #: Every distinct set of values held (slot, value), by id: configurations hash small ints.
        self.vals: list[Values] = []
        self._val_ids: dict[Values, int] = {}
        #: Every distinct tuple of counters, by id, and per id (counters below their bound, counters at 0) as masks.
        self.counters: list[tuple[int, ...]] = []
        self._counter_ids: dict[tuple[int, ...], int] = {}
        self._masks: list[tuple[int, int]] = []
        #: Per effect on the counters, what it makes of each counters id (moves that count alike share it).
        self._by_effect: dict[Effect, dict[int, int]] = {}
        self._call_checks: dict[tuple[str, int], tuple[list[tuple[str, str]], bool]] = {}
        self.ids: dict[Key, int] = {}
        #: Per configuration: unique successors (first input index, next id, outcome), or None before expansion.
        self.succ: list[list[tuple[int, int, str]] | None] = []
        #: Per configuration: how many answers of the environment were tried there.
        self.tried: list[int] = []
        self.pin_call: list[bool] = []
        #: Per configuration: how many successor entries of expanded configurations lead to it.
        self.ways_in: list[int] = []
        self.machine_steps = 0
        self._classes: dict[str, list[object]] = {}
        self._learned: dict[object, Move] = {}
        #: Moves to an end, by the guards' counters below their bound (an end holds no counters nor values).
        self._ends: dict[object, Move] = {}
        self._class_shape: dict[tuple[str, object], tuple[int, int, int]] = {}
        self._outcome_shape: dict[tuple[str, str], tuple[int, int, int]] = {}
        #: Per state: the counters its moves test or count, those they may reset, and its plans by shape (those
        #: counters below their bound, those at 0, as one int).
        self._state_mask: dict[str, tuple[int, int, dict[int, Plan]]] = {}
        self._kinds = {s.name: END if s.terminal else NONE if s.name not in self.inputs
                       else CALL if s.kind == "call" else QUESTION for s in self.spec.states}
        self._edge_faults: dict[tuple[str, int, str], tuple[tuple[str, str], ...]] = {}
        self._edges_checked: set[tuple[str, int, str]] = set()
        self._problems: list[tuple[str, int, int | None, str]] = []  # property, configuration, input, text
        self.initial = self._add(self._key(self._flow(None)))

    # -- configurations ------------------------------------------------------

    def _flow(self, cfg: Config | None, *, fresh: bool = False) -> Flow:
        """A flow at ``cfg``; ``fresh``: every value a new object, so what the machine writes shows by identity."""
        flow = Flow(self.compiled, self.options)
        if cfg is not None:
            flow.state = cfg[0]
            flow.counters = list(cfg[1])
            values = self.vals[cfg[2]]
            if fresh:
                flow.values = {k: Secret(v.reveal()) if isinstance(v, Secret) else v.encode().decode()
                               for k, v in values}
            else:
                flow.values = dict(values)
        return flow

    def _vid(self, values: Values) -> int:
        found = self._val_ids.get(values)
        if found is None:
            found = self._val_ids[values] = len(self.vals)
            self.vals.append(values)
        return found

    def _cid(self, counters: tuple[int, ...]) -> int:
        found = self._counter_ids.get(counters)
        if found is None:
            found = self._counter_ids[counters] = len(self.counters)
            self.counters.append(counters)
            below = zero = 0
            for x, (c, b) in enumerate(zip(counters, self._bounds, strict=False)):  # a terminal's are ()
                if c < b:
                    below |= 1 << x
                if c == 0:
                    zero |= 1 << x
            self._masks.append((below, zero))
        return found

    def _key(self, flow: Flow) -> Key:
        if self.states[flow.state].terminal:
            outcome = flow.outcome
            return (flow.state, self._cid(()), self._vid((("cause", (outcome.cause if outcome else None) or ""),)))
        # A counter at its bound fails every ``below`` guard however far past it goes (only a flow missing a
        # guard counts past it): keeping it at the bound keeps the graph finite and changes no move.
        counters = tuple(c if c <= b else b for c, b in zip(flow.counters, self._bounds, strict=True))
        return (flow.state, self._cid(counters), self._vid(tuple(sorted(flow.values.items(), key=itemgetter(0)))))

    def _add(self, key: Key) -> int:
        found = self.ids.get(key)
        if found is not None:
            return found
        i = len(self.cfgs)
        self.ids[key] = i
        self.keys.append(key)
        self.cfgs.append((key[0], self.counters[key[1]], key[2]))
        self.succ.append(None)
        self.tried.append(0)
        self.pin_call.append(False)
        self.ways_in.append(0)
        return i

    def terminal(self, i: int) -> bool:
        return self.states[self.cfgs[i][0]].terminal

    # -- moving the real machine ---------------------------------------------

    def apply(self, flow: Flow, inp: Input, tid: str = TID) -> None:
        """Feed ``inp`` to ``flow`` as the executor does (a malformed message goes to receive_exception)."""
        if inp.kind == "answer":
            flow.answer(inp.answer)
        elif inp.kind == "raise":
            assert inp.exc is not None
            flow.receive_exception(inp.exc("simulated failure"))
        else:
            assert inp.message is not None
            message = dict(inp.message, transactionId=tid)
            try:
                flow.receive(message)
            except MalformedMessage as exc:
                flow.receive_exception(exc)

    def _move(self, cfg: Config, inp: Input, flow: Flow | None = None) -> tuple[Key | None, str, str | None]:
        """The configuration the real machine reaches from ``cfg`` on ``inp``, its outcome, or what broke."""
        flow = flow or self._flow(cfg)
        self.machine_steps += 1
        try:
            self.apply(flow, inp)
        except DefinitionError as exc:
            return None, exc.problems[0].rsplit(" ", 1)[-1], "handled"
        except Exception as exc:  # noqa: BLE001 - any crash of the machine is a finding, reported as one
            return None, "", f"way_out:the machine raised {type(exc).__name__}"
        trace = flow.trace
        if not trace:  # the machine refused: the outcome was recorded, no guard of its edges held
            return None, flow._last[0], "way_out:no edge applies (every guard is false)"
        return self._key(flow), trace[-1].outcome, None

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

    def _classes_of(self, cfg_id: int, state: State) -> tuple[list[object], dict[int, Move]]:
        """Per input, the key of the inputs that move the machine alike; checks fsm.classify on the way.

        The first time for a state, also the moves the machine made from configuration ``cfg_id`` on each call
        input while checking (a move learned for that configuration); later, no moves.
        """
        found = self._classes.get(state.name)
        if found is not None:
            return found, {}
        keys: list[object] = []
        moves: dict[int, Move] = {}
        cfg = self.cfgs[cfg_id]
        for k, inp in enumerate(self.inputs[state.name]):
            outcome = self._classify(state, inp)
            key: object = ("outcome", outcome) if inp.kind != "answer" and not state.keep else ("input", k)
            if inp.kind != "answer":
                if key in keys:  # only the outcome the machine reads matters: no move to write down
                    got, broke = self._reading(cfg, inp)
                else:
                    move = moves[k] = self._learn(cfg, inp)
                    got, broke = move.outcome, move.how == BROKE
                if not broke and got != outcome:
                    self._problems.append(("classified", cfg_id, k, f"state {state.name!r}: {inp.label} moved the "
                                           f"machine as {got}, fsm.classify reads it as {outcome}"))
            keys.append(key)  # answers, and calls that keep result fields: no grouping
        self._classes[state.name] = keys
        return keys, moves

    def _reading(self, cfg: Config, inp: Input) -> tuple[str, bool]:
        """The outcome the real machine reads ``inp`` as at ``cfg``, and whether it broke."""
        flow = self._flow(cfg)
        self.machine_steps += 1
        try:
            self.apply(flow, inp)
        except Exception:  # noqa: BLE001 - a broken machine is reported where its moves are learned
            return "", True
        trace = flow.trace
        return (trace[-1].outcome, False) if trace else (flow._last[0], True)

    def expand(self, i: int) -> list[tuple[int, int, str]]:
        """The successors of configuration ``i`` (computed once)."""
        done = self.succ[i]
        if done is not None:
            return done
        name, cid, vid = self.keys[i]
        out: list[tuple[int, int, str]] = []
        self.succ[i] = out
        kind = self._kinds[name]
        if kind == END:
            return out
        state = self.states[name]
        if kind == NONE:
            self._problems.append(("way_out", i, None, f"state {name!r} has no call or question"))
            return out
        if kind == CALL:
            self._check_call(i, state)
        # A move of the machine depends on nothing but the state, the outcome, where the counters its edges
        # test or count stand against their bounds, and which per-call counters are at 0 (guards are "below"
        # tests, counts add one or go back to 0, values are only written, never read by a guard). So one real
        # move per such shape is learned and replayed on the configurations alike; what it writes is seen
        # by identity (the learning flow holds fresh objects).
        below, zero = self._masks[cid]
        plan = None
        width = self._width
        masks = self._state_mask.get(name) if self.learn else None
        if masks is not None:
            plan = masks[2].get(((below & masks[0]) << width) | (zero & masks[1]))
        if plan is None:
            plan, cacheable = self._plan(i, state, below, zero)
            if cacheable and self.learn:
                masks = self._state_mask[name]
                masks[2][((below & masks[0]) << width) | (zero & masks[1])] = plan
        tried, steps, dedupe = plan
        self.tried[i] = tried
        ids = self.ids
        ways_in = self.ways_in
        seen: set[tuple[int, str]] | None = set() if dedupe else None
        for k, how, target, counted, effect, writes, written, fixed, at, outcome, faults, broke in steps:
            if at >= 0:  # a move to an end: its configuration was added with the plan
                j = at
            elif how == CHANGE:
                nc = counted.get(cid, -1)
                if nc < 0:
                    nc = self._count(counted, effect, cid)
                nv = vid
                if writes:
                    nv = written.get(vid, -1)
                    if nv < 0:
                        nv = self._write(written, writes, vid)
                key = (target, nc, nv)
                j = ids.get(key, -1)
                if j < 0:
                    j = self._add(key)
            elif how == BROKE:
                assert broke is not None
                self._problems.append((broke[0], i, k, broke[1]))
                continue
            else:
                j = ids.get(fixed, -1)
                if j < 0:
                    j = self._add(fixed)
            if seen is not None:
                if (j, outcome) in seen:
                    continue
                seen.add((j, outcome))
            out.append((k, j, outcome))
            ways_in[j] += 1
            if faults:
                edge = (name, k, target)
                if edge not in self._edges_checked:  # the first time is the shortest run (breadth first)
                    self._edges_checked.add(edge)
                    self._problems.extend((prop, i, k, text) for prop, text in faults)
        if not out:
            self._problems.append(("way_out", i, None, f"state {name!r}: no answer moves the machine on"))
        return out

    def _count(self, counted: dict[int, int], effect: Effect, cid: int) -> int:
        """The counters id a move adding or resetting ``effect`` makes of ``cid``, memoised in ``counted``."""
        counters = list(self.counters[cid])
        for n, e in effect:
            counters[n] = 0 if e is None else min(counters[n] + e, self._bounds[n])
        found = counted[cid] = self._cid(tuple(counters))
        return found

    def _write(self, written: dict[int, int], writes: Values, vid: int) -> int:
        """The values id a move writing ``writes`` makes of ``vid``, memoised in ``written``."""
        values = dict(self.vals[vid])
        values.update(writes)
        found = written[vid] = self._vid(tuple(sorted(values.items(), key=itemgetter(0))))
        return found

    def _plan(self, i: int, state: State, below: int, zero: int) -> tuple[Plan, bool]:
        """For each input, which of the distinct learned moves it makes (learning those not known yet), and
        whether the plan holds for every configuration of this shape (no move made for this one only)."""
        cfg = self.cfgs[i]
        name = state.name
        tried = 0
        distinct: list[tuple[int, Move]] = []
        by_key: set[object] = set()
        state_below = state_zero = 0
        classes, made = self._classes_of(i, state)
        for k, key in enumerate(classes):
            tried += 1
            if key in by_key:
                continue
            by_key.add(key)
            shape = self._class_shape.get((name, key)) if self.learn else None
            learned = None
            if shape is not None:
                learned = self._learned.get((name, key, below & shape[0], zero & shape[1]))
                if learned is None:  # the guards choose the edge; counts, resets and values do not matter at an end
                    learned = self._ends.get((name, key, below & shape[2]))
            if learned is None:
                learned = made.get(k) or self._learn(cfg, self.inputs[name][k])
                shape = self._shape(state, key, learned.outcome)
                if learned.how != EXACT and not (learned.how == BROKE and learned.outcome == ""):
                    self._learned[(name, key, below & shape[0], zero & shape[1])] = learned
                if learned.how == TO:
                    self._ends[(name, key, below & shape[2])] = learned
            assert shape is not None
            state_below |= shape[0]
            state_zero |= shape[1]
            distinct.append((k, learned))
        if name not in self._state_mask and self.learn:
            self._state_mask[name] = (state_below, state_zero, {})
        steps: list[Step] = []
        outcomes: set[str] = set()
        alike: set[object] = set()
        dedupe = False
        for k, move in distinct:
            broke = None
            faults: tuple[tuple[str, str], ...] = ()
            if move.how == BROKE:
                prop, _, text = (move.broke or "way_out").partition(":")
                broke = (prop, text or f"state {name!r} does not handle {move.outcome} ({self.inputs[name][k].label})")
            else:
                same = (move.outcome, move.how, move.target, move.effect, move.writes, move.fixed)
                if same in alike:  # it reaches the configuration an earlier move reaches, on the same outcome
                    continue
                alike.add(same)
                faults = self._faults(state, k, move.target)
                dedupe = dedupe or move.outcome in outcomes
                outcomes.add(move.outcome)
            steps.append((k, move.how, move.target, move.counters, move.effect, move.writes, move.values,
                          move.fixed or NO_KEY, self._add(move.fixed) if move.how == TO and move.fixed else -1,
                          move.outcome, faults, broke))
        return (tried, tuple(steps), dedupe), all(move.how != EXACT for _, move in distinct)

    def _shape(self, state: State, key: object, outcome: str) -> tuple[int, int, int]:
        """Masks of the counters a move on ``outcome`` at ``state`` tests or counts, of those it may reset, and
        of those it tests (which alone choose the edge: all a move to an end depends on)."""
        found = self._outcome_shape.get((state.name, outcome))
        if found is None:
            found = self._outcome_shape[(state.name, outcome)] = self._masks_of(state, outcome)
        self._class_shape[(state.name, key)] = found
        return found

    def _masks_of(self, state: State, outcome: str) -> tuple[int, int, int]:
        idx = self.compiled.counter_index
        alts = state.alternatives(outcome)
        tested = {idx[e.guard.name] for e in alts if e.guard is not None and e.guard.name in idx}
        used = set(tested)
        used |= {idx[e.count] for e in alts if e.count in idx}
        used |= {idx[t.counts] for e in alts if (t := self.states.get(e.target)) and t.counts in idx}
        return (sum(1 << x for x in used), sum(1 << x for x in self.compiled.progress), sum(1 << x for x in tested))

    def _learn(self, cfg: Config, inp: Input) -> Move:
        """Move the real machine once from ``cfg`` on ``inp`` and write down what it did, as a change."""
        flow = self._flow(cfg, fresh=True)
        put = dict(flow.values)
        nxt, outcome, broke = self._move(cfg, inp, flow)
        if nxt is None:
            return Move(BROKE, outcome, broke=broke)
        if self.states[nxt[0]].terminal:
            return Move(TO, outcome, fixed=nxt)
        effect: list[int | None] = []
        for old, new in zip(cfg[1], self.counters[nxt[1]], strict=True):
            if new == old:
                effect.append(0)
            elif new == 0:
                effect.append(None)
            elif new > old:
                effect.append(new - old)
            else:  # not a count nor a reset: keep this move for this configuration only
                return Move(EXACT, outcome, fixed=nxt)
        if any(slot not in flow.values for slot in put):
            return Move(EXACT, outcome, fixed=nxt)
        writes = tuple((slot, v) for slot, v in flow.values.items() if put.get(slot) is not v)
        changes = tuple((n, e) for n, e in enumerate(effect) if e != 0)
        move = Move(CHANGE, outcome, target=nxt[0], effect=changes, writes=writes)
        move.counters = self._by_effect.setdefault(changes, {})  # moves that count alike share their memo
        return move

    # -- properties of one configuration or one edge --------------------------

    def _check_call(self, i: int, state: State) -> None:
        key = (state.name, self.keys[i][2])
        found = self._call_checks.get(key)
        if found is None:
            found = self._call_checks[key] = self._call_faults(i, state)
        faults, pin = found
        if faults:
            self._problems.extend((prop, i, None, text) for prop, text in faults)
        self.pin_call[i] = pin

    def _call_faults(self, i: int, state: State) -> tuple[list[tuple[str, str]], bool]:
        """What is wrong with the call made at configuration ``i`` (it depends on its values only)."""
        flow = self._flow(self.cfgs[i])
        try:
            action = flow.action
        except FlowStateError as exc:
            return [("parameters", f"state {state.name!r}: {exc.problem}")], False
        assert isinstance(action, Call)
        faults = []
        entry = CATALOG.get(state.call or "")
        opts = self.options
        if entry is not None:
            want = [(p.name, p.value) for p in entry.parameters(opts.dialect, opts.platform)]
            got = [(n, None if any(p.name == n and p.value is None for p in entry.params) else v)
                   for n, v in action.params]
            if want != got:
                faults.append(("parameters", f"state {state.name!r}: {entry.api} carries "
                               f"{sorted(n for n, _ in got)}, the catalog requires "
                               f"{sorted(n for n, _ in want)} with their fixed values "
                               f"({opts.dialect}, {opts.platform})"))
        for name, value in action.params:
            if name not in SECRET_NAMES:
                continue
            raw = value.reveal() if isinstance(value, Secret) else value
            if not isinstance(value, Secret) or raw not in self.given.get(name, ()):
                faults.append(("secrets", f"state {state.name!r}: {name} is not a value the person gave for {name}"))
        return faults, state.step in PIN_STEPS and any(n in PIN_PARAMS for n, _ in action.params)

    def _faults(self, state: State, k: int, target_name: str) -> tuple[tuple[str, str], ...]:
        """What is wrong with the edge from ``state`` on its input ``k`` to ``target_name`` (it depends on
        nothing else): A entered without a blocked status or 2317, ``enrolled`` without a successful enroll."""
        key = (state.name, k, target_name)
        found = self._edge_faults.get(key)
        if found is not None:
            return found
        out: list[tuple[str, str]] = []
        target = self.states[target_name]
        inp = self.inputs[state.name][k]
        msg = inp.message or {}
        entry = CATALOG.get(state.call or "")
        if target.call == REMOVE_ENTRY and state.name != target.name:
            code = (msg.get("error") or {}).get("code")
            blocked = (entry is not None and entry.key == "is_account_blocked" and msg.get("status") == "SUCCEEDED"
                       and entry.output.classify(msg.get("result")) == "blocked")
            if code != FORBIDDEN and not blocked:
                out.append(("remove_safety", f"A is reached from {state.name!r} on {inp.label}"))
        if target.name == spec.ENROLLED:
            ok = msg.get("status") == "SUCCEEDED" and entry is not None and (
                entry.key in ENROLL_ENTRIES
                or (entry.key == "is_device_activated" and (msg.get("result") or {}).get("isDeviceActivated") is True))
            if not ok:
                out.append(("enrolled_safety", f"enrolled is reached from {state.name!r} on {inp.label}"))
        found = self._edge_faults[key] = tuple(out)
        return found

    # -- runs ------------------------------------------------------------------

    def transcript(self, path: tuple[tuple[int, int], ...]) -> Transcript:
        """The run that feeds the inputs of ``path`` from the start, written as a transcript."""
        return self.run_path(path)[0]

    def run_path(self, path: tuple[tuple[int, int], ...]) -> tuple[Transcript, tuple[TraceEntry, ...]]:
        """The run that feeds the inputs of ``path`` from the start: its transcript and the flow's trace."""
        flow = self._flow(None)
        events: list[dict[str, Any]] = []
        for n, (i, k) in enumerate(path, 1):
            inp = self.inputs[self.cfgs[i][0]][k]
            try:
                action = flow.action
            except FlowStateError:
                break
            try:
                if isinstance(action, Call):
                    if inp.kind == "raise":
                        assert inp.exc is not None
                        events.append(record_call(action, raised=inp.exc("simulated failure")))
                    else:
                        events.append(record_call(action, dict(inp.message or {}, transactionId=f"tx-{n}")))
                else:
                    assert isinstance(action, Question)
                    events.append(record_answer(action, inp.answer, ""))
                self.apply(flow, inp, f"tx-{n}")
            except Exception:  # noqa: BLE001 - the run shows the defect: it stops where the machine broke
                break
            if isinstance(action, Question) and flow.trace:
                events[-1]["outcome"] = flow.trace[-1].outcome
        out = flow.outcome
        return Transcript(flow=self.spec.name, options=self.options.as_dict(), events=events,
                          outcome=outcome_json(out) if out is not None else None), tuple(flow.trace)

    def reach(self, wanted: set[str]) -> set[str]:
        """Which of the states ``wanted`` some run reaches (stops when all are found)."""
        found: set[str] = set()
        seen = {self.initial}
        todo = deque([self.initial])
        while todo and found != wanted:
            i = todo.popleft()
            if self.cfgs[i][0] in wanted:
                found.add(self.cfgs[i][0])
            for _, j, _ in self.expand(i):
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
        return found

    def shortest_paths(self) -> Iterator[tuple[int, tuple[tuple[int, int], ...]]]:
        """Breadth-first over the configuration graph: each configuration with a shortest run to it."""
        parent: dict[int, tuple[int, int] | None] = {self.initial: None}
        todo = deque([self.initial])
        while todo:
            i = todo.popleft()
            yield i, unwind(parent, i)
            for k, j, _ in self.expand(i):
                if j not in parent:
                    parent[j] = (i, k)
                    todo.append(j)


def unwind(parent: Mapping[Any, tuple[Any, int] | None], node: Any) -> tuple[tuple[int, int], ...]:
    path = []
    step = parent[node]
    while step is not None:
        prev, k = step
        path.append((prev if isinstance(prev, int) else prev[0], k))
        step = parent[prev]
    return tuple(reversed(path))


def replay_steps(flow: FlowSpec | str, transcript: Transcript) -> tuple[Flow, list[str]]:
    """Feed a transcript's events to a fresh flow one by one (it may stop before the end, as a counterexample
    does): the flow reached, and every call that differed from the recorded one."""
    spec_ = FLOWS[flow] if isinstance(flow, str) else flow
    machine = compiled(spec_.name) if FLOWS.get(spec_.name) is spec_ else Compiled(spec_, validate=False)
    f = Flow(machine, make_options(**transcript.options))
    mismatches: list[str] = []
    for n, ev in enumerate(transcript.events):
        action = f.action
        try:
            if "call" in ev:
                if not isinstance(action, Call):
                    mismatches.append(f"event {n}: a call was recorded, the flow asks {action!r}")
                    break
                got = {"op": action.op, "api": action.api, "parameters": action.masked()}
                if got != ev["call"]:
                    mismatches.append(f"event {n}: expected {ev['call']}, got {got}")
                if "raises" in ev:
                    f.receive_exception({"ConnectionError": ConnectionError}.get(ev["raises"], RuntimeError)("x"))
                else:
                    try:
                        f.receive(ev.get("message"))
                    except MalformedMessage as exc:
                        f.receive_exception(exc)
            else:
                if not isinstance(action, Question):
                    mismatches.append(f"event {n}: a question was recorded, the flow is at {f.state!r}")
                    break
                if "reply" in ev:
                    answer: object = REPLIES[ev["reply"]]
                elif ev.get("answer") == MASK:
                    invalid = ev.get("outcome") == spec.INVALID
                    answer = INVALID_ANSWER if invalid else STAND_IN.get(action.name, "402718")
                else:
                    answer = ev.get("answer")
                f.answer(answer)
        except Exception as exc:  # noqa: BLE001 - a defective machine may break on the last event
            mismatches.append(f"event {n}: the machine raised {type(exc).__name__}")
            break
    return f, mismatches
