"""``fsm run FLOW``: run a flow against the embedded simulator, printing every step live (or as JSON lines)."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

from fsm.cli.console import Console, JsonConsole, accounts_table
from fsm.cli.files import UsageError, drawing_file, json_file, output_file
from fsm.cli.options import add_options, given_options
from fsm.errors import FsmError
from fsm.executor import run
from fsm.flows import FLOWS
from fsm.inputs import RULES
from fsm.machine import Outcome, start
from fsm.messages import CANCEL, FORGOT_PIN, Answer, Question
from fsm.options import Options
from fsm.ports import Person
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import PRESETS, Simulator
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
        "terminal (you answer the questions, the simulator's SMS and PIN are shown when you need them); "
        "otherwise a demo person answers, or --answers does. Exit code 0 when the flow succeeds, 1 when it "
        "ends failed or cancelled, 2 for a misuse (a bad option or file, said in one line before anything runs).",
    )
    p.add_argument("flow", choices=sorted(FLOWS), metavar="FLOW", help=f"one of: {', '.join(FLOWS)}")
    add_options(p)
    p.add_argument("--account", choices=sorted(PRESETS), metavar="PRESET",
                   help="simulated account (--accounts lists them with what each shows): "
                   + "; ".join(f"{k}: {v}" for k, v in PRESETS.items()))
    p.add_argument("--accounts", action="store_true",
                   help="list the simulated accounts and the steps this flow takes with each, then exit")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--answers", type=Path, metavar="FILE.json",
                      help='JSON answers given first: {"pinCode": ["111333", "forgot"], "smsCode": "000000"} '
                      f"(keys: {', '.join(RULES)}) or a list in the order asked; \"forgot\" = forgot PIN, "
                      '"cancel" = cancel; the demo person answers the rest')
    mode.add_argument("--interactive", action="store_true", default=None, help="ask me, even without a terminal")
    mode.add_argument("--no-interactive", dest="interactive", action="store_false", help="never ask me")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true",
                       help="write the run as JSON lines on stdout, one event per line, no secret (never asks)")
    shown.add_argument("--quiet", "-q", action="store_true", help="print only the outcome")
    p.add_argument("--record", type=Path, metavar="FILE.json", help="write the run as a replayable JSON transcript")
    p.add_argument("--draw", type=Path, metavar="FILE.svg",
                   help="draw the run's path on the flow's diagram: .svg, .png, .pdf (Graphviz) or .dot")
    p.add_argument("--seed", type=int, default=None, help="seed the simulator (same codes every run)")
    p.set_defaults(func=main)


_WORDS = {"forgot": FORGOT_PIN, "forgot pin": FORGOT_PIN, "cancel": CANCEL}


def _answer(value: object, where: str) -> Answer:
    if isinstance(value, str):
        return _WORDS.get(value.lower(), value)
    raise UsageError(f"{where}: an answer must be a string, not {type(value).__name__}")


def load_answers(path: Path) -> dict[str, list[Answer]] | list[Answer]:
    """The answers of ``--answers``: a list in order, or lists by input name; any misuse is a UsageError."""
    data = json_file(path, option="--answers")
    if isinstance(data, list):
        return [_answer(v, f"--answers {path}: answer {i + 1}") for i, v in enumerate(data)]
    if not isinstance(data, dict):
        raise UsageError(f"--answers {path}: must hold a JSON object (answers by input) or a list (in order)")
    out: dict[str, list[Answer]] = {}
    for key, values in data.items():
        if key not in RULES:
            raise UsageError(f"--answers {path}: unknown input {key!r}; the inputs are {', '.join(RULES)}")
        items = values if isinstance(values, list) else [values]
        out[key] = [_answer(v, f"--answers {path}: {key}") for v in items]
    return out


class _ListPerson:
    """Answers from a list, in order; the demo person answers once it runs out."""

    def __init__(self, answers: list[Answer], fallback: DemoPerson) -> None:
        self.answers, self.fallback = list(answers), fallback

    def provide(self, question: Question) -> Answer:
        return self.answers.pop(0) if self.answers else self.fallback.provide(question)


def _accounts(args: argparse.Namespace, options: dict[str, Any]) -> int:
    found = []
    for name, words in PRESETS.items():
        sim = Simulator(name, rng=random.Random(0))
        found.append((name, words, run(args.flow, port=sim, person=DemoPerson(sim), sleep=lambda _: None,
                                       **options)))
    print("\n".join(accounts_table(args.flow, found)))
    return 0


def main(args: argparse.Namespace) -> int:
    out = sys.stdout
    account = args.account or DEFAULT_ACCOUNT[args.flow]
    # Everything that can be wrong is found here, before the simulator answers a single call.
    try:
        options = given_options(args)
        flow = start(args.flow, **options)
    except FsmError as exc:
        raise UsageError(str(exc)) from None
    if args.accounts:
        return _accounts(args, options)
    if args.json and args.interactive:
        raise UsageError("--json never asks: drop --interactive (answers come from --answers or the demo person)")
    if args.record is not None:
        output_file(args.record, option="--record", suffixes=(".json",))
    if args.draw is not None:
        drawing_file(args.draw, option="--draw")
    sim = Simulator(account, rng=None if args.seed is None else random.Random(args.seed))
    demo = DemoPerson(sim)
    person: Person = demo
    if args.answers is not None:
        answers = load_answers(args.answers)
        person = _ListPerson(answers, demo) if isinstance(answers, list) else DemoPerson(sim, overrides=answers)
    interactive = bool(args.interactive if args.interactive is not None else (
        args.answers is None and not args.json and sys.stdin.isatty()))
    console: Console | JsonConsole = (JsonConsole(sim, out, person) if args.json
                                      else Console(sim, out, interactive, person, quiet=args.quiet))
    console.start(flow, account, PRESETS[account])
    if args.record is not None:
        recorder = Recorder(sim, console)
        outcome, transcript = recorder.run(args.flow, on_step=console.step, **options)
        args.record.write_text(transcript.dumps(), encoding="utf-8")
    else:
        outcome = run(flow, port=sim, person=console, on_step=console.step)
    console.end(outcome)
    if args.record is not None:
        console.note(f"transcript written to {args.record}")
    if args.draw is not None:
        console.note(_draw(outcome, flow.options, args.draw))
    return 0 if outcome.ok else 1


def _draw(outcome: Outcome, options: Options, path: Path) -> str:
    from fsm.diagrams import render_run

    note: str | None = render_run(outcome, options, path)
    return note or f"run drawn in {path}"
