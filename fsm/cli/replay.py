"""``fsm replay TRANSCRIPT``: replay a recorded run on the current machine; say where it first parts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fsm.cli.files import UsageError, input_file


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replay",
        help="replay a recorded run (fsm run --record, a device's session) and report the first divergence",
        description="Feed a transcript's recorded messages and answers to the current machine, event by event, "
        "and compare what it does with what was recorded: each call (op, API, parameters; secrets masked), each "
        "question and how its answer was taken, then the end. Exit code 0 when the run follows the transcript "
        "to its end, 1 at the first divergence (said in one line), 2 for a file that is not a transcript.",
    )
    p.add_argument("transcript", type=Path, metavar="TRANSCRIPT.json", help="a transcript (fsm run --record)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from fsm.replay import replay
    from fsm.transcript import Transcript, TranscriptError

    path: Path = args.transcript
    text = input_file(path, option="")
    try:
        transcript = Transcript.loads(text)
        done = replay(transcript)
    except TranscriptError as exc:
        raise UsageError(f"{path}: {exc}") from None
    d = done.divergence
    if args.json:
        print(json.dumps({"transcript": str(path), "flow": transcript.flow, "events": done.events, "ok": done.ok,
                          "divergence": None if d is None else {"kind": d.kind, "event": d.event,
                                                                "recorded": d.recorded, "machine": d.machine}},
                         sort_keys=True))
    elif d is None:
        end = done.flow.outcome
        how = f"it ends {end.state} as recorded" if end is not None else "it stops where the transcript stops"
        print(f"{path}: {done.events} events of {transcript.flow} replayed on this machine, no divergence: {how}")
    else:
        print(f"{path}: first divergence at {d}")
    return 0 if done.ok else 1
