"""``fsm run FLOW``: run a flow against the embedded simulator, printing every step live."""

from __future__ import annotations

import argparse
import getpass
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from fsm import spec
from fsm.cli.options import add_options, given_options
from fsm.errors import FsmError
from fsm.executor import run
from fsm.flows import FLOWS
from fsm.inputs import rule
from fsm.machine import Outcome, TraceEntry, start
from fsm.messages import CANCEL, FORGOT_PIN, Answer, Question
from fsm.options import Options
from fsm.ports import Person
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import PRESETS, Simulator
from fsm.spec import FlowSpec
from fsm.transcript import Recorder

#: The account each flow starts from when --account is not given.
DEFAULT_ACCOUNT = {
    "enrollment": "new",
    "remove-enrollments": "existing-pin",
    "reset-pin": "enrolled",
    "update-pin": "enrolled",
    "modify-phone": "enrolled",
    "remove-vehicle": "enrolled",
}


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run a flow against the embedded simulator, step by step",
        description="Run a flow against the embedded PIMS simulator. Interactive when standard input is a "
        "terminal (you answer the questions, the simulator's SMS are shown); otherwise sensible demo "
        "answers are given, or those of --answers.",
    )
    p.add_argument("flow", choices=sorted(FLOWS), metavar="FLOW", help=f"one of: {', '.join(FLOWS)}")
    add_options(p)
    p.add_argument("--account", choices=sorted(PRESETS), metavar="PRESET",
                   help="simulated account: " + "; ".join(f"{k}: {v}" for k, v in PRESETS.items()))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--answers", type=Path, metavar="FILE",
                      help='JSON answers given first: {"pinCode": ["1234", "forgot"], ...} or a list in order '
                      '("forgot" = forgot PIN, "cancel" = cancel); the demo person answers the rest')
    mode.add_argument("--interactive", action="store_true", default=None, help="ask me, even without a terminal")
    mode.add_argument("--no-interactive", dest="interactive", action="store_false", help="never ask me")
    p.add_argument("--record", type=Path, metavar="FILE", help="write the run as a replayable JSON transcript")
    p.add_argument("--draw", type=Path, metavar="FILE.svg", help="draw the run's path on the flow's diagram")
    p.add_argument("--seed", type=int, default=None, help="seed the simulator (same codes every run)")
    p.set_defaults(func=main)


_WORDS = {"forgot": FORGOT_PIN, "forgot pin": FORGOT_PIN, "cancel": CANCEL}


def _answer(value: object) -> Answer:
    if isinstance(value, str):
        return _WORDS.get(value.lower(), value)
    raise ValueError("answers must be strings")


def _load_answers(path: Path) -> dict[str, list[Answer]] | list[Answer]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        return [_answer(v) for v in data]
    if isinstance(data, dict):
        return {str(k): [_answer(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in data.items()}
    raise ValueError("the answers file must hold a JSON object or list")


class _ListPerson:
    """Answers from a list, in order; the demo person answers once it runs out."""

    def __init__(self, answers: list[Answer], fallback: DemoPerson) -> None:
        self.answers, self.fallback = list(answers), fallback

    def provide(self, question: Question) -> Answer:
        return self.answers.pop(0) if self.answers else self.fallback.provide(question)


class _Console:
    """Prints steps as they happen, shows the simulator's SMS, and asks the person when interactive."""

    def __init__(self, sim: Simulator, out: TextIO, interactive: bool, person: Person, flow: FlowSpec) -> None:
        self.sim, self.out, self.interactive, self.person, self.spec = sim, out, interactive, person, flow
        self.shown_sms = 0

    def _sms(self) -> None:
        for sms in self.sim.inbox[self.shown_sms:]:
            code = sms.code if self.interactive else "(code hidden; the demo person reads it)"
            self.out.write(f"        ✉  SMS to {sms.to} ({sms.purpose}): {code}\n")
        self.shown_sms = len(self.sim.inbox)

    def show(self, trace: Sequence[TraceEntry]) -> None:
        """Print the last entry of ``trace`` (the edge just taken)."""
        t = trace[-1]
        state = self.spec.state(t.state)
        if t.kind == "call":
            params = ", ".join(f"{k}: {v}" for k, v in t.parameters.items())
            what = f"{state.title}\n        {t.op} {t.name} {{{params}}}"
        else:
            what = f"? {t.name} ({state.prompt})"
        words = spec.OUTCOME_WORDS.get(t.outcome, t.outcome)
        code = f" [SDK {t.code}]" if t.code is not None and str(t.code) not in words else ""
        target = self.spec.state(t.target)
        if target.terminal:
            where = t.target
        else:
            where = f"step {target.step}" + ("" if target.name == target.step else f" ({target.name})")
        self.out.write(f"  {t.step:>4}  {what}\n        → {words}{code} → {where}\n")
        self._sms()
        self.out.flush()

    def provide(self, question: Question) -> Answer:
        if not self.interactive:
            return self.person.provide(question)
        hint = " ('forgot' if you forgot it)" if question.can_forget_pin else ""
        again = ""
        if question.why:
            words = rule(question.name, new_pin=question.new_pin) if question.why == spec.INVALID else ""
            hint_rule = f": {words}" if words else ""
            again = f" [again: {spec.OUTCOME_WORDS.get(question.why, question.why)}{hint_rule}]"
        prompt = f"  ?     {question.name}: {question.prompt}{again}{hint} (empty to cancel): "
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


def main(args: argparse.Namespace) -> int:
    out = sys.stdout
    account = args.account or DEFAULT_ACCOUNT[args.flow]
    try:
        options = given_options(args)
        flow = start(args.flow, **options)  # a bad option is reported before anything runs
        sim = Simulator(account, rng=None if args.seed is None else random.Random(args.seed))
        demo = DemoPerson(sim)
        person: Person = demo
        if args.answers is not None:
            answers = _load_answers(args.answers)
            person = _ListPerson(answers, demo) if isinstance(answers, list) else DemoPerson(sim, overrides=answers)
        interactive = args.interactive if args.interactive is not None else (
            args.answers is None and sys.stdin.isatty())
    except (FsmError, ValueError, OSError) as exc:
        print(f"fsm run: {exc}", file=sys.stderr)
        return 2
    console = _Console(sim, out, interactive, person, flow.spec)
    out.write(f"{flow.spec.title} ({args.flow}) against the simulator: account '{account}', "
              f"{flow.options.platform}, SDK {flow.options.sdk_version}, method {flow.options.method}, "
              f"dialect {flow.options.dialect}\n\n")
    if args.record is not None:
        recorder = Recorder(sim, console)
        outcome, transcript = recorder.run(args.flow, on_step=lambda f: console.show(f.trace), **options)
        args.record.write_text(transcript.dumps(), encoding="utf-8")
    else:
        outcome = run(flow, port=sim, person=console, on_step=lambda f: console.show(f.trace))
    mark = "✓" if outcome.ok else "✗"
    out.write(f"\n{mark} {outcome.state}: {outcome.reason}\n")
    if args.record is not None:
        out.write(f"transcript written to {args.record}\n")
    if args.draw is not None:
        out.write(_draw(outcome, flow.options, args.draw) + "\n")
    return 0 if outcome.ok else 1


def _draw(outcome: Outcome, options: Options, path: Path) -> str:
    try:
        from fsm.diagrams import render_run
    except ImportError:
        return "drawing needs fsm.diagrams, which this installation lacks"
    note: str | None = render_run(outcome, options, path)
    return note or f"run drawn in {path}"
