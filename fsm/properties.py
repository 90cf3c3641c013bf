"""What is wrong with one edge or one call: the properties judged per move, and the checks that need values.

Edges (:func:`edge_faults`): A (remove all enrollments) is entered only right
after a blocked status or a FAILED 2317, and ``enrolled`` only right after a
SUCCEEDED enroll or isDeviceActivated true (``remove_safety``,
``enrolled_safety``), judged on the message that took the edge.
:func:`remove_safe` and :func:`enrolled_safe` say the same of an outcome, for
the Promela model (:mod:`fsm.promela`).

Calls (:func:`call_faults`): every call carries exactly the catalog's
parameters (``parameters``; a value the call needs and the flow does not hold
is a fault too) and a secret parameter only ever carries a value the person
gave for it (``secrets``). These depend on the values a flow holds, which the
configurations leave out (:mod:`fsm.explore`), so they are judged in two steps
that are sound and exact:

1. Which write each slot can hold at each state: reaching definitions (a may
   analysis: a slot's sources at a state are the union over every edge into
   it) over the edges the real machine took, each carrying the values its move
   wrote; "not held" is a source too. Every run the configuration graph has is
   a path of these edges, so no source a run can bring is missed.
2. For each call state and each source a slot can hold there, the real machine
   makes the call (``flow.action``) with that value in the slot (and a value in
   every other slot that can hold one), and the call is judged as it is made.
   A fault is confirmed, and its shortest run found, by a breadth-first search
   over (configuration, source of that slot) on the configuration graph; a
   source the state-level analysis brings but no run does (its path needs
   counters no run has) is dropped there, so nothing is reported that no run
   shows.

The alternative, a must-hold analysis over the table, would judge a second
reading of the table instead of the machine; keeping values in the
configurations (as the checker did first) doubled them for nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from fsm import spec
from fsm.catalog import CATALOG, FORBIDDEN
from fsm.errors import FlowStateError
from fsm.explore import CALL, Explorer, Values
from fsm.messages import Call
from fsm.secret import SECRET_NAMES, Secret

#: Steps whose calls submit a PIN the SDK checks (PROTOCOL.md: steps 8, C and E's OTP).
PIN_STEPS = frozenset({"8", "C", "E"})
PIN_PARAMS = frozenset({"pinCode", "oldPIN"})
REMOVE_ENTRY = "remove_enrollments"
BLOCKED_ENTRY = "is_account_blocked"
ACTIVATED_ENTRY = "is_device_activated"
#: Entries whose SUCCEEDED may end a run enrolled.
ENROLL_ENTRIES = frozenset({"enroll", "enroll_with_phone_number"})

#: A write: (the state that wrote it, the input that made it), or NOT_HELD.
Source = tuple[int, int]
NOT_HELD: Source = (-1, -1)
#: An edge the machine took, as the value analysis reads it: source state, input, target state, values written.
ValueEdge = tuple[int, int, int, Values]
Path = tuple[tuple[int, int], ...]


def remove_safe(entry: str | None, outcome: str) -> bool:
    """May the outcome ``outcome`` of the call ``entry`` lead into A?"""
    return outcome == spec.ERROR_2317 or (entry == BLOCKED_ENTRY and outcome == "blocked")


def enrolled_safe(entry: str | None, outcome: str) -> bool:
    """May the outcome ``outcome`` of the call ``entry`` lead to ``enrolled``?"""
    return (entry in ENROLL_ENTRIES and outcome == spec.SUCCEEDED) or (entry == ACTIVATED_ENTRY
                                                                       and outcome == "activated")


def pin_step(state: spec.State, params: Iterable[str]) -> bool:
    """Does the call of ``state`` with parameters ``params`` submit a PIN the SDK checks?"""
    return state.step in PIN_STEPS and any(p in PIN_PARAMS for p in params)


class Judge:
    """The per-edge and per-call properties of one explored flow (results cached)."""

    def __init__(self, ex: Explorer) -> None:
        self.ex = ex
        self._edges: dict[tuple[int, int, int], tuple[tuple[str, str], ...]] = {}
        self._pin: dict[int, bool] = {}

    def edge_faults(self, s: int, k: int, t: int) -> tuple[tuple[str, str], ...]:
        """What is wrong with the edge from state ``s`` on its input ``k`` to state ``t`` (it depends on nothing
        else): A entered without a blocked status or 2317, ``enrolled`` without a successful enroll."""
        found = self._edges.get((s, k, t))
        if found is not None:
            return found
        ex = self.ex
        out: list[tuple[str, str]] = []
        state, target = ex.states[s], ex.states[t]
        inp = ex.inputs[state.name][k]
        msg = inp.message or {}
        entry = CATALOG.get(state.call or "")
        if target.call == REMOVE_ENTRY and s != t:
            code = (msg.get("error") or {}).get("code")
            blocked = (entry is not None and entry.key == BLOCKED_ENTRY and msg.get("status") == "SUCCEEDED"
                       and entry.output.classify(msg.get("result")) == "blocked")
            if code != FORBIDDEN and not blocked:
                out.append(("remove_safety", f"A is reached from {state.name!r} on {inp.label}"))
        if target.name == spec.ENROLLED:
            ok = msg.get("status") == "SUCCEEDED" and entry is not None and (
                entry.key in ENROLL_ENTRIES
                or (entry.key == ACTIVATED_ENTRY and (msg.get("result") or {}).get("isDeviceActivated") is True))
            if not ok:
                out.append(("enrolled_safety", f"enrolled is reached from {state.name!r} on {inp.label}"))
        found = self._edges[(s, k, t)] = tuple(out)
        return found

    def pin_call(self, s: int) -> bool:
        """Does the call at state ``s`` carry a PIN (as the real machine makes it, a value in every slot)?"""
        found = self._pin.get(s)
        if found is None:
            ex = self.ex
            state = ex.states[s]
            found = False
            if state.kind == "call":
                try:
                    action = ex.flow_at(s, ex.every_value()).action
                except FlowStateError:
                    action = None
                found = isinstance(action, Call) and pin_step(state, (n for n, _ in action.params))
            self._pin[s] = found
        return found

    # -- calls: values ---------------------------------------------------------

    def call_faults(self, edges: Iterable[ValueEdge]) -> list[tuple[str, str, Path]]:
        """What is wrong with the calls the flow makes, given the edges the machine took with the values each
        wrote: (property, text, shortest run showing it)."""
        ex = self.ex
        writes: dict[Source, Values] = {}
        out_edges: dict[int, set[tuple[int, Source]]] = {}
        for s, k, t, ws in edges:
            writes[(s, k)] = ws
            out_edges.setdefault(s, set()).add((t, (s, k)))
        reaching = _reaching(ex.initial % ex.S, out_edges, writes)
        out: list[tuple[str, str, Path]] = []
        for s, slots in sorted(reaching.items()):
            if ex.kinds[s] == CALL:
                out.extend(self._call_faults_at(s, slots, writes))
        return out

    def _call_faults_at(self, s: int, slots: Mapping[str, set[Source]],
                        writes: Mapping[Source, Values]) -> list[tuple[str, str, Path]]:
        ex = self.ex
        state = ex.states[s]
        value = {(src, slot): v for src, ws in writes.items() for slot, v in ws}
        base: dict[str, str | Secret] = {}
        for slot, sources in slots.items():
            some = sorted(src for src in sources if src != NOT_HELD)
            if some:
                base[slot] = _fresh(value[(some[0], slot)])
        out: list[tuple[str, str, Path]] = []

        def found(prop: str, text: str, slot: str = "", src: Source = NOT_HELD) -> None:
            path = self.witness(s, slot, src)
            if path is not None:
                out.append((prop, text, path))

        try:
            action = ex.flow_at(s, base).action
        except FlowStateError as exc:  # no run holds the value: any run to the call shows it
            found("parameters", f"state {state.name!r}: {exc.problem}")
            return out
        assert isinstance(action, Call)
        entry = CATALOG.get(state.call or "")
        opts = ex.options
        if entry is not None:
            want = [(p.name, p.value) for p in entry.parameters(opts.dialect, opts.platform)]
            got = [(n, None if any(p.name == n and p.value is None for p in entry.params) else v)
                   for n, v in action.params]
            if want != got:
                found("parameters", f"state {state.name!r}: {entry.api} carries {sorted(n for n, _ in got)}, "
                      f"the catalog requires {sorted(n for n, _ in want)} with their fixed values "
                      f"({opts.dialect}, {opts.platform})")
        # The slots the call reads: those whose value (a distinct object each) it carries.
        reads = sorted(slot for slot, v in base.items() if any(p is v for _, p in action.params))
        for slot in reads:
            for src in sorted(slots[slot]):
                if src == NOT_HELD:
                    try:
                        ex.flow_at(s, {k: v for k, v in base.items() if k != slot}).action  # noqa: B018 - made
                    except FlowStateError as exc:
                        found("parameters", f"state {state.name!r}: {exc.problem}", slot, src)
                    continue
                held = _fresh(value[(src, slot)])
                made = ex.flow_at(s, {**base, slot: held}).action
                assert isinstance(made, Call)
                for name, v in made.params:
                    if v is not held or name not in SECRET_NAMES:
                        continue
                    raw = v.reveal() if isinstance(v, Secret) else v
                    if not isinstance(v, Secret) or raw not in ex.given.get(name, ()):
                        found("secrets", f"state {state.name!r}: {name} is not a value the person gave for "
                              f"{name}", slot, src)
        return out

    def witness(self, s: int, slot: str, src: Source) -> Path | None:
        """The shortest run to the call of state ``s`` with ``slot`` holding the write ``src`` (``slot`` empty:
        any run to it), ending with the call made; None when no run does."""
        ex = self.ex
        start = (ex.initial, NOT_HELD)
        parent: dict[tuple[int, Source], tuple[tuple[int, Source], int] | None] = {start: None}
        todo = deque([start])
        while todo:
            node = todo.popleft()
            c, held = node
            here = c % ex.S
            if here == s and (not slot or held == src):
                steps = [(c, 0)]
                step = parent[node]
                while step is not None:
                    prev, k = step
                    steps.append((prev[0], k))
                    step = parent[prev]
                return tuple(reversed(steps))
            for k, d, _, t, ws, _ in ex.plan(c).steps:
                if t < 0:
                    continue
                nxt = (c + d, (here, k) if slot and any(n == slot for n, _ in ws) else held)
                if nxt not in parent:
                    parent[nxt] = (node, k)
                    todo.append(nxt)
        return None


def _fresh(value: str | Secret) -> str | Secret:
    """A copy of ``value`` that is no other object (the slots a call reads are told by identity)."""
    return Secret(value.reveal()) if isinstance(value, Secret) else value.encode().decode()


def _reaching(first: int, out_edges: Mapping[int, set[tuple[int, Source]]],
              writes: Mapping[Source, Values]) -> dict[int, dict[str, set[Source]]]:
    """Per state reached from ``first``, per slot, the writes it can hold there (NOT_HELD: none)."""
    slots = sorted({slot for ws in writes.values() for slot, _ in ws})
    reaching: dict[int, dict[str, set[Source]]] = {first: {slot: {NOT_HELD} for slot in slots}}
    todo = deque([first])
    while todo:
        s = todo.popleft()
        here = reaching[s]
        for t, src in sorted(out_edges.get(s, ())):
            written = {n for n, _ in writes[src]}
            changed = t not in reaching
            there = reaching.setdefault(t, {slot: set() for slot in slots})
            for slot in slots:
                add = {src} if slot in written else here[slot]
                if not add <= there[slot]:
                    there[slot] |= add
                    changed = True
            if changed and t not in todo:
                todo.append(t)
    return reaching
