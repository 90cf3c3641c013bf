"""``fsm diagrams``: write DOT, SVG and Mermaid of every flow, or draw a saved run on its diagram."""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

DEFAULT_OUT = "diagrams"


def add(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "diagrams",
        help="write the flows' diagrams (DOT, SVG, Mermaid), drawn from the machine",
        description=(
            "Write <flow>.dot, <flow>.svg (rendered by Graphviz dot, when installed) and <flow>.mmd "
            "(Mermaid) for every flow, generated from the machine that runs it, and <flow>.overview.dot/.svg "
            "(each step's own edges, the rules every call and question share in words). With --transcript and "
            "--draw, draw a saved run on its flow's diagram instead."
        ),
    )
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"directory to write (default {DEFAULT_OUT}/)")
    p.add_argument("--transcript", metavar="FILE.json", type=pathlib.Path,
                   help="a transcript (fsm run --record) whose run to draw")
    p.add_argument("--draw", metavar="OUT.svg", type=pathlib.Path,
                   help="where to draw the transcript's run (.svg, or .dot for the source)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from fsm import diagrams

    if (args.transcript is None) != (args.draw is None):
        print("fsm diagrams: --transcript and --draw go together", file=sys.stderr)
        return 2
    if args.transcript is not None:
        return _draw(args.transcript, args.draw)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        files = diagrams.generate()
    except diagrams.GraphvizError as exc:
        print(f"fsm diagrams: {exc}", file=sys.stderr)
        return 1
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {out}/")
    if not diagrams.dot_available():
        print(f"no SVG written: {diagrams.INSTALL_HINT}")
    return 0


def _draw(transcript: pathlib.Path, target: pathlib.Path) -> int:
    from fsm import diagrams
    from fsm.errors import FsmError
    from fsm.transcript import Transcript

    try:
        loaded = Transcript.loads(transcript.read_text(encoding="utf-8"))
        source = diagrams.draw_run(loaded.flow, loaded)
        note = diagrams.write_drawing(source, target)
    except OSError as exc:
        print(f"fsm diagrams: {exc.strerror or exc}: {exc.filename or transcript}", file=sys.stderr)
        return 1
    except (FsmError, ValueError, diagrams.GraphvizError) as exc:
        print(f"fsm diagrams: {exc}", file=sys.stderr)
        return 1
    print(note or f"drew the run of {transcript} on the {loaded.flow} diagram: {target}")
    return 0
