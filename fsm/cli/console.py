"""What ``fsm run`` shows while a flow runs: each step, and why when the flow turns (human or JSON lines).

A person watching the demo is told, from the flow's own table and counters (nothing here names a step):
how many tries are left when a question is asked again, why the destructive A removes every enrollment
when it does, that the flow starts again after it, why a call is made again (a new SMS code after one
expired, a retry after a transient failure), and where the simulator's PIN and SMS codes are when the
person needs them.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import structlog

from fsm import spec
from fsm.catalog import CATALOG
from fsm.inputs import rule
from fsm.logging import redact_secrets
from fsm.machine import Flow, Outcome, TraceEntry
from fsm.messages import CANCEL, FORGOT_PIN, Answer, Question
from fsm.ports import Person
from fsm.ports.simulator import Simulator
from fsm.spec import REASK, FlowSpec, State


def _counter(flow: Flow, name: str) -> tuple[int, int, spec.Counter]:
    """(value, bound, counter) of counter ``name`` in ``flow``."""
    index = [c.name for c in flow.spec.counters].index(name)
    counter = flow.spec.counters[index]
    return flow.counters[index], flow.options.bound(counter), counter


def _tries(n: int) -> str:
    return f"{n} try left" if n == 1 else f"{n} tries left"


def _edge(spec_: FlowSpec, entry: TraceEntry) -> spec.Edge:
    return next(e for e in spec_.state(entry.state).alternatives(entry.outcome) if e.target == entry.target)


def tries_left(flow: Flow) -> str | None:
    """For a question asked again, how many answers the flow still takes: ``1 of 3 PIN submissions so far:
    2 tries left``; None when the last edge was not guarded by a bound.

    The guard of the edge just taken names the counter; an edge that counts (a refused SMS code) leaves one
    more try than its count says, a count made by the call itself (a PIN, counted when sent) does not.
    """
    entry = flow.trace[-1]
    edge = _edge(flow.spec, entry)
    if edge.guard is None or edge.guard.kind != "below":
        return None
    value, bound, counter = _counter(flow, edge.guard.name)
    left = bound - value + (1 if edge.count == counter.name else 0)
    return f"{value} of {bound} {counter.words} so far: {_tries(max(left, 0))}"


def _so_far(flow: Flow, edge: spec.Edge) -> str:
    if edge.guard is None or edge.guard.kind != "below":
        return ""
    value, bound, counter = _counter(flow, edge.guard.name)
    return f" ({value} of {bound} {counter.words})"


def _destructive(state: State) -> bool:
    """A call that removes what the person cannot get back (the tutorial's A)."""
    return state.call is not None and CATALOG[state.call].key == "remove_enrollments"


def explain(flow: Flow, sim: Simulator | None = None) -> list[str]:
    """Why the flow just took the turn it took, when it is one a person would not expect; [] otherwise."""
    entry = flow.trace[-1]
    spec_ = flow.spec
    source, target = spec_.state(entry.state), spec_.state(entry.target)
    edge = _edge(spec_, entry)
    words = spec.OUTCOME_WORDS.get(entry.outcome, entry.outcome)
    if _destructive(target) and not _destructive(source):
        after = next(e.target for e in target.alternatives(spec.SUCCEEDED))
        lines = [f"⚠ {words} at step {source.step}: as the tutorial requires, step {target.step} will "
                 f"{CATALOG[target.call or ''].title} (every device of the account must enroll again), then the "
                 f"enrollment starts again at step {spec_.state(after).step}{_so_far(flow, edge)}."]
        if sim is not None and entry.outcome == spec.ERROR_2317 and sim.account.blocked != "NotBlocked":
            lines.append(f"  (the simulator blocked the account after {sim.account.lockout_after} wrong PINs, "
                         "as a real backend does)")
        return lines
    if _destructive(source) and not target.terminal and not _destructive(target):
        return [f"↻ every enrollment removed: the enrollment starts again at step {target.step}."]
    if target.kind == "question" and entry.outcome in REASK:
        left = tries_left(flow)
        return [f"↻ {target.ask} asked again ({words}){': ' + left if left else ''}."]
    if target.kind == "call" and target.name == source.name:
        return [f"↻ {words}: the same call again{_so_far(flow, edge)}."]
    if target.kind == "call" and source.kind == "call" and entry.outcome in source.errors.values():
        # The SDK said no and the flow goes back to an earlier call (an expired SMS code: a new one).
        title = CATALOG[target.call or ""].title
        return [f"↻ {words} at step {source.step}: back to step {target.step} ({title}){_so_far(flow, edge)}."]
    if target.terminal and edge.guard is None:
        # An end taken because a bound is used up: the else of the guards before it, with the count.
        guards = [e.guard for e in source.alternatives(entry.outcome) if e.guard is not None]
        if guards and guards[0].kind == "below":
            value, bound, counter = _counter(flow, guards[0].name)
            return [f"⚠ {guards[0].else_words} ({value} of {bound} {counter.words}): the run ends {target.name}."]
    return []


def pin_hint(question: Question, sim: Simulator) -> str:
    """Where the person finds what the simulator expects: its PIN, or the rule of a new one."""
    if question.new_pin:
        return f" (choose a new PIN: {rule(question.name, new_pin=True)})"
    if question.name in ("pinCode", "oldPIN") and sim.account.pin is not None:
        return f" (the simulator's PIN is {sim.account.pin})"
    if question.name == "smsCode":
        return " (the code in the SMS above)"
    return ""


class Console:
    """Prints each step as it happens, why the flow turned, the simulator's SMS; asks the person if asked to."""

    def __init__(self, sim: Simulator, out: TextIO, interactive: bool, person: Person, *, quiet: bool = False,
                 err: TextIO | None = None) -> None:
        self.sim, self.out, self.interactive, self.person, self.quiet = sim, out, interactive, person, quiet
        self.err = err or sys.stderr
        self.shown_sms = 0
        self.flow: Flow | None = None

    def _write(self, text: str) -> None:
        if not self.quiet:
            self.out.write(text)

    def start(self, flow: Flow, account: str, words: str) -> None:
        o = flow.options
        self._write(f"{flow.spec.title} ({flow.name}) against the simulator: account '{account}', {o.platform}, "
                    f"SDK {o.sdk_version}, method {o.method}, dialect {o.dialect}\n")
        if self.interactive:
            self._write(f"  The simulated account: {words}. You answer; empty or 'cancel' cancels. The SMS the "
                        "simulator sends are shown; its PIN is told when you need it.\n")
        self._write("\n")

    def _sms(self) -> None:
        for sms in self.sim.inbox[self.shown_sms:]:
            code = sms.code if self.interactive else "(code hidden; the demo person reads it)"
            self._write(f"        ✉  SMS to {sms.to} ({sms.purpose}): {code}\n")
        self.shown_sms = len(self.sim.inbox)

    def step(self, flow: Flow) -> None:
        """Print the edge just taken, and why when the turn needs saying."""
        self.flow = flow
        t = flow.trace[-1]
        state = flow.spec.state(t.state)
        if t.kind == "call":
            params = ", ".join(f"{k}: {v}" for k, v in t.parameters.items())
            what = f"{state.title}\n        {t.op} {t.name} {{{params}}}"
        else:
            what = f"? {t.name} ({state.prompt})"
        words = spec.OUTCOME_WORDS.get(t.outcome, t.outcome)
        code = f" [SDK {t.code}]" if t.code is not None and str(t.code) not in words else ""
        target = flow.spec.state(t.target)
        if target.terminal:
            where = t.target
        else:
            where = f"step {target.step}" + ("" if target.name == target.step else f" ({target.name})")
        self._write(f"  {t.step:>4}  {what}\n        → {words}{code} → {where}\n")
        for line in explain(flow, self.sim):
            self._write(f"        {line}\n")
        self._sms()
        if not self.quiet:
            self.out.flush()

    def provide(self, question: Question) -> Answer:
        if not self.interactive:
            return self.person.provide(question)
        hint = " ('forgot' if you forgot it)" if question.can_forget_pin else ""
        again = ""
        if question.why:
            words = rule(question.name, new_pin=question.new_pin) if question.why == spec.INVALID else ""
            left = tries_left(self.flow) if self.flow is not None and self.flow.trace else None
            again = (f" [again: {spec.OUTCOME_WORDS.get(question.why, question.why)}{': ' + words if words else ''}"
                     f"{'; ' + left.split(': ')[-1] if left else ''}]")
        prompt = f"  ?     {question.name}: {question.prompt}{pin_hint(question, self.sim)}{again}{hint}: "
        try:
            raw = getpass.getpass(prompt) if question.secret and sys.stdin.isatty() else input(prompt)
        except EOFError:
            return CANCEL
        raw = raw.strip("\r\n")
        if not raw or raw.lower() == "cancel":
            return CANCEL
        if question.can_forget_pin and raw.lower() in ("forgot", "?"):
            return FORGOT_PIN
        return raw

    def end(self, outcome: Outcome) -> None:
        mark = "✓" if outcome.ok else "✗"
        self.out.write(f"{'' if self.quiet else chr(10)}{mark} {outcome.state}: {outcome.reason}\n")

    def note(self, text: str) -> None:
        self._write(text + "\n")


class JsonConsole:
    """The same run as JSON lines on ``out`` (structlog's JSON renderer): one event per line, no secret.

    Events: ``fsm.run.start`` (flow, account, options), ``fsm.step`` per edge taken (the trace entry, secrets
    masked, and ``why`` when the turn needs saying), ``fsm.sms`` per SMS the simulator sends (never its
    code), ``fsm.run.end`` (state, ok, cause, error_code, reason) and ``fsm.run.wrote`` per file written.
    The person is the demo person (or ``--answers``): nothing is asked.
    """

    def __init__(self, sim: Simulator, out: TextIO, person: Person) -> None:
        self.sim, self.person = sim, person
        self.log: Any = structlog.wrap_logger(
            structlog.PrintLogger(out),
            processors=[structlog.processors.add_log_level, redact_secrets,
                        structlog.processors.JSONRenderer(sort_keys=True, ensure_ascii=False)],
        )
        self.shown_sms = 0
        self.steps = 0

    def start(self, flow: Flow, account: str, words: str) -> None:
        self.log.info("fsm.run.start", flow=flow.name, account=account, account_words=words,
                      options=flow.options.as_dict())

    def step(self, flow: Flow) -> None:
        self.steps += 1
        entry = flow.trace[-1].as_dict()
        why = " ".join(line.strip().removeprefix("↻ ").removeprefix("⚠ ") for line in explain(flow, self.sim))
        self.log.info("fsm.step", n=self.steps, **entry, **({"why": why} if why else {}))
        for sms in self.sim.inbox[self.shown_sms:]:
            self.log.info("fsm.sms", to=sms.to, purpose=sms.purpose)
        self.shown_sms = len(self.sim.inbox)

    def provide(self, question: Question) -> Answer:
        return self.person.provide(question)

    def end(self, outcome: Outcome) -> None:
        self.log.info("fsm.run.end", flow=outcome.flow, state=outcome.state, ok=outcome.ok, cause=outcome.cause,
                      error_code=outcome.error_code, reason=outcome.reason, steps=len(outcome.trace))

    def note(self, text: str) -> None:
        self.log.info("fsm.run.note", text=text)


def accounts_table(flow: str, presets: Sequence[tuple[str, str, Outcome]]) -> list[str]:
    """The ``--accounts`` listing: each preset, what it is, and the steps the demo takes from it."""
    lines = [f"Simulated accounts (--account NAME) and what `fsm run {flow}` shows with each (the demo person "
             "answering):", ""]
    width = max(len(name) for name, _, _ in presets)
    for name, words, outcome in presets:
        steps = [t.step for i, t in enumerate(outcome.trace) if i == 0 or t.step != outcome.trace[i - 1].step]
        lines.append(f"  {name:<{width}}  {words}")
        lines.append(f"  {'':<{width}}  → steps {' → '.join(steps)} → {outcome.state}"
                     + ("" if outcome.ok else f" ({outcome.cause})"))
    return lines
