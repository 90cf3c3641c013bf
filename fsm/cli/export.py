"""``fsm export --format promela [FLOW ...] [--out DIR]``: the flows as models for other tools.

For now one format: a Promela model per flow for the SPIN model checker (``fsm.promela``), under the run options
given (the bounds are constants of the model).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fsm.cli.files import output_dir
from fsm.cli.options import add_options, options_of
from fsm.errors import OptionError
from fsm.flows import FLOWS
from fsm.options import Options

DEFAULT_OUT = "export"


def _promela(names: Sequence[str], options: Options) -> dict[str, str]:
    from fsm.promela import generate

    return generate(names, options)


#: The formats ``--format`` offers: each makes the files to write (name -> text) for the flows named.
FORMATS: dict[str, Callable[[Sequence[str], Options], dict[str, str]]] = {"promela": _promela}


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="write the flows as models for other tools (Promela for SPIN)",
        description="Write one Promela model per flow (<flow>.pml), derived from the flow definitions under the "
        "run options given: states, counters as bounded variables, each edge a guarded option with its counting "
        "effects, the environment choosing every outcome a state can meet; assertions for the bounds and the "
        "safety properties, an LTL formula for termination. `fsm check --spin` verifies them with SPIN.",
    )
    p.add_argument("flows", nargs="*", metavar="FLOW", help=f"flows to export (default: all of {', '.join(FLOWS)})")
    p.add_argument("--format", choices=sorted(FORMATS), required=True, help="what to write")
    p.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), metavar="DIR",
                   help=f"directory to write (default {DEFAULT_OUT}/)")
    add_options(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    unknown = [n for n in args.flows if n not in FLOWS]
    if unknown:
        print(f"fsm export: unknown flow {unknown[0]!r}; known flows: {', '.join(FLOWS)}", file=sys.stderr)
        return 2
    try:
        options = options_of(args)
    except OptionError as exc:
        print(f"fsm export: {exc}", file=sys.stderr)
        return 2
    out = output_dir(args.out, option="--out")  # checked before any work
    files = FORMATS[args.format](list(dict.fromkeys(args.flows)) or list(FLOWS), options)
    try:
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"fsm export: {exc.strerror or exc}: {exc.filename or out}", file=sys.stderr)
        return 2
    print(f"wrote {len(files)} files to {out}/")
    return 0
