"""``fsm diagrams``: write DOT, SVG and Mermaid of every flow, or draw a saved run on its diagram."""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

from fsm.cli.files import UsageError, drawing_file, input_file, output_dir
from fsm.flows import FLOWS

DEFAULT_OUT = "diagrams"


def add(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "diagrams",
        help="write the flows' diagrams (DOT, SVG, Mermaid), drawn from the machine",
        description=(
            "Write the pictures of every flow, drawn from the machine that runs it, as DOT and SVG (rendered "
            "by Graphviz dot, when installed): <flow> (every state and edge, left to right), <flow>.overview "
            "(a flow one page holds) or <flow>.summary and <flow>.step-<id> (one picture per step), and Mermaid "
            "(.mmd) for the pictures small enough for it. With --transcript and --draw, draw a saved run on its "
            "flow's diagram instead."
        ),
    )
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"directory to write (default {DEFAULT_OUT}/)")
    p.add_argument("--transcript", metavar="FILE.json", type=pathlib.Path,
                   help="a transcript (fsm run --record) whose run to draw")
    p.add_argument("--draw", metavar="OUT.svg", type=pathlib.Path,
                   help="where to draw the transcript's run: .svg, .png, .pdf (Graphviz) or .dot (the source)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from fsm import diagrams

    if (args.transcript is None) != (args.draw is None):
        raise UsageError("--transcript and --draw go together")
    if args.transcript is not None:
        return _draw(args.transcript, args.draw)
    out = output_dir(pathlib.Path(args.out), option="--out")
    try:
        files = diagrams.generate()
    except diagrams.GraphvizError as exc:
        print(f"fsm diagrams: {exc}", file=sys.stderr)
        return 1
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    # Pictures this version no longer draws (a step renamed, an overview split) go, so out/ holds what runs.
    stale = [p for p in sorted(out.iterdir()) if p.suffix in (".dot", ".svg", ".mmd") and p.name not in files
             and any(p.name.startswith(f"{flow}.") for flow in FLOWS)]
    for p in stale:
        p.unlink()
    print(f"wrote {len(files)} files to {out}/" + (f", removed {len(stale)} it no longer draws" if stale else ""))
    if not diagrams.dot_available():
        print(f"no SVG written: {diagrams.INSTALL_HINT}")
    return 0


def _draw(transcript: pathlib.Path, target: pathlib.Path) -> int:
    from fsm import diagrams
    from fsm.errors import FsmError
    from fsm.transcript import Transcript, TranscriptError

    text = input_file(transcript, option="--transcript")
    drawing_file(target, option="--draw")
    try:
        loaded = Transcript.loads(text)
    except TranscriptError as exc:
        raise UsageError(f"--transcript {transcript}: {exc}") from None
    if loaded.flow not in FLOWS:
        raise UsageError(f"--transcript {transcript}: a run of {loaded.flow!r}, a flow this version does not have")
    try:
        source = diagrams.draw_run(loaded.flow, loaded)
        note = diagrams.write_drawing(source, target)
    except (FsmError, ValueError, diagrams.GraphvizError) as exc:
        print(f"fsm diagrams: {exc}", file=sys.stderr)
        return 1
    print(note or f"drew the run of {transcript} on the {loaded.flow} diagram: {target}")
    return 0
