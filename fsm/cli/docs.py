"""``fsm docs``: write the Markdown reference of every flow, generated from the definition."""

from __future__ import annotations

import argparse
import pathlib
from typing import Any

from fsm.cli.files import output_dir

DEFAULT_OUT = "diagrams"


def add(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "docs",
        help="write the Markdown reference of every flow (diagrams/README.md)",
        description=(
            "Write README.md in DIR: the decisions taken where the tutorial is silent (with their reasons), how "
            "a run ends (Outcome.cause), every error code per step, each question's rule and bounds, and per "
            "flow and step what can happen there (calls, questions, outcomes, bounds), generated from the flow "
            "definitions, with the pictures of `fsm diagrams` shown."
        ),
    )
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"directory to write (default {DEFAULT_OUT}/)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from fsm import docs

    out = output_dir(pathlib.Path(args.out), option="--out")
    path = out / docs.FILENAME
    path.write_text(docs.reference(), encoding="utf-8")
    print(f"wrote {path}")
    return 0
