"""``fsm paths FLOW --out DIR``: replayable transcripts that together take every state and edge of a flow."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fsm.cli.files import output_dir
from fsm.cli.options import add_options, options_of
from fsm.errors import OptionError
from fsm.flows import FLOWS


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "paths",
        help="generate test transcripts covering every state and edge of a flow",
        description="Write a small set of transcripts (FLOW-NNN.json) that together visit every state and take "
        "every edge of the flow's machine: each the shortest run to an edge not yet taken, then to an end. "
        "Each replays through the scripted port (fsm.transcript.replay) to its recorded outcome.",
    )
    p.add_argument("flow", choices=sorted(FLOWS), metavar="FLOW", help=f"one of: {', '.join(FLOWS)}")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write the transcripts to")
    add_options(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from fsm.paths import generate

    try:
        options = options_of(args)
    except OptionError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    output_dir(args.out, option="--out")
    transcripts, cov = generate(args.flow, options)
    for n, t in enumerate(transcripts, 1):
        (args.out / f"{args.flow}-{n:03d}.json").write_text(t.dumps(), encoding="utf-8")
    print(f"{args.flow}: {len(transcripts)} transcripts in {args.out}")
    print(f"  states: {cov.states}/{cov.states_total} ({cov.state_percent:.1f}%)")
    print(f"  edges:  {cov.edges}/{cov.edges_total} ({cov.edge_percent:.1f}%)")
    for s in cov.missing_states:
        print(f"  state never visited: {s}")
    for src, outcome, dst in cov.missing_edges:
        print(f"  edge no run takes: {src} --{outcome}--> {dst}")
    return 0
