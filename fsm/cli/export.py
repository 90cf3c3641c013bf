"""``fsm export [FLOW ...] [--out DIR] [--format json|promela]``: the flows as data and models for other tools.

``json`` (the default): one versioned document per flow and its JSON Schema (``fsm.export``) for hosts in other
languages; a document holds every option, so the run options given only have to be valid. ``promela``: a
Promela model per flow for the SPIN model checker (``fsm.promela``), under the run options given (the bounds are
constants of the model). Each format is an entry of :data:`FORMATS`.
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


def _json(names: Sequence[str], options: Options) -> dict[str, str]:
    from fsm.export import generate

    del options  # a document holds every option, its default and its allowed values
    return generate(names)


def _promela(names: Sequence[str], options: Options) -> dict[str, str]:
    from fsm.promela import generate

    return generate(names, options)


#: The formats ``--format`` offers: each makes the files to write (name -> text) for the flows named.
FORMATS: dict[str, Callable[[Sequence[str], Options], dict[str, str]]] = {"json": _json, "promela": _promela}


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="write the flows as data for other runtimes (JSON and its JSON Schema) or as models (Promela for SPIN)",
        description="--format json (the default): one versioned JSON document per flow (<flow>.json) and "
        "schema.json (JSON Schema 2020-12), derived from the flow definitions: states, edges with their guards and "
        "counting effects, counters, options, every call's parameters, classification, input rules, ends and "
        "snapshot rules; the js/ package runs them on XState. --format promela: one Promela model per flow "
        "(<flow>.pml) under the run options given: states, counters as bounded variables, each edge a guarded "
        "option with its counting effects, the environment choosing every outcome a state can meet; assertions "
        "for the bounds and the safety properties, an LTL formula for termination. `fsm check --spin` verifies "
        "them with SPIN.",
    )
    p.add_argument("flows", nargs="*", metavar="FLOW", help=f"flows to export (default: all of {', '.join(FLOWS)})")
    p.add_argument("--format", choices=sorted(FORMATS), default="json", help="what to write (default json)")
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
