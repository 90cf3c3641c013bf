"""``fsm check [FLOW ...]``: prove the properties of the flows, or show the shortest run that breaks one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import attrs

from fsm.catalog import DIALECTS, PLATFORMS
from fsm.check import PROPERTIES, Result, check, stderr_progress
from fsm.cli.files import output_dir
from fsm.cli.options import add_options, options_of
from fsm.errors import OptionError
from fsm.flows import FLOWS
from fsm.options import METHODS


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="model-check the flows: every run ends and stays safe, for every answer the SDK can give",
        description="Explore every reachable configuration of each flow under every answer the environment can "
        "give (each documented result and error code, transient, 2317, input errors, unknown codes, malformed "
        "messages, port exceptions; valid and invalid answers, forgot PIN, cancel) with the real machine, and "
        "judge each property. Exit code 0 when every property holds, 1 otherwise.",
    )
    p.add_argument("flows", nargs="*", metavar="FLOW", help=f"flows to check (default: all): {', '.join(FLOWS)}")
    add_options(p)
    p.add_argument("--all-options", action="store_true",
                   help="check every platform x dialect x method (the other options as given)")
    p.add_argument("--max-configurations", type=int, default=None, metavar="N",
                   help="give up a flow after N configurations (nothing is proved for it; exit code 1)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--counterexamples", type=Path, metavar="DIR",
                   help="write the shortest run breaking each property as a replayable transcript "
                   "(FLOW-PROPERTY.json) and its drawing on the flow's diagram "
                   "(FLOW-PROPERTY.svg; .dot without Graphviz)")
    p.set_defaults(func=main)


def _label(r: Result, matrix: bool) -> str:
    if not matrix:
        return r.flow
    o = r.options
    return f"{r.flow} [{o.platform}, {o.dialect}, {o.method}]"


def _table(r: Result, matrix: bool = False) -> str:
    verdict = "skipped" if r.skipped else "all properties hold" if r.ok else "VIOLATED"
    lines = [f"{_label(r, matrix)}: {verdict}"]
    if r.skipped is not None:
        lines.append(f"  skipped: {r.skipped}")
        return "\n".join(lines)
    width = max(len(w) for w in PROPERTIES.values())
    for prop, words in PROPERTIES.items():
        found = r.violations.get(prop, [])
        lines.append(f"  {words:<{width}}  {'holds' if not found else 'VIOLATED'}")
        lines.extend(f"  {'':<{width}}    - {v.text}" for v in found[:5])
        if len(found) > 5:
            lines.append(f"  {'':<{width}}    ... and {len(found) - 5} more")
    rate = r.transitions / r.seconds if r.seconds else 0.0
    longest = "unbounded (a cycle)" if r.longest is None else f"{r.longest} calls and questions"
    lines.append(f"  {r.configurations} configurations ({r.nodes} with the bound monitors), {r.transitions} "
                 f"transitions ({r.machine_steps} run by the machine), longest run {longest}, "
                 f"{r.seconds:.3f} s, {rate:,.0f} transitions/s")
    return "\n".join(lines)


def _write(r: Result, out: Path, matrix: bool = False) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    o = r.options
    stem = f"{r.flow}-{o.platform}-{o.dialect}-{o.method}" if matrix else r.flow
    for prop, transcript in r.transcripts.items():
        path = out / f"{stem}-{prop}.json"
        path.write_text(transcript.dumps(), encoding="utf-8")
        written.append(path)
        if r.shipped:
            try:
                from fsm.diagrams import draw_run, write_drawing

                drawing = out / f"{stem}-{prop}.svg"
                note = write_drawing(draw_run(r.flow, r.traces[prop], r.options), drawing)
            except Exception:  # noqa: BLE001, S112 - a drawing is a bonus; the transcript is the counterexample
                continue
            if note is not None:
                print(note, file=sys.stderr)
                drawing = drawing.with_suffix(".dot")
            written.append(drawing)
    return written


def main(args: argparse.Namespace) -> int:
    names = args.flows or list(FLOWS)
    unknown = [n for n in names if n not in FLOWS]
    if unknown:
        print(f"unknown flow(s): {', '.join(unknown)}; known flows: {', '.join(FLOWS)}", file=sys.stderr)
        return 2
    try:
        options = options_of(args)
    except OptionError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.counterexamples is not None:  # checked before the check runs, not when a violation is written
        output_dir(args.counterexamples, option="--counterexamples")
    progress = stderr_progress if sys.stderr.isatty() else None
    variants = [options]
    if args.all_options:
        variants = [attrs.evolve(options, platform=p, dialect=d, method=m)
                    for p in PLATFORMS for d in DIALECTS for m in METHODS]
    results = []
    for name in names:
        for opts in variants:
            r = check(name, opts, progress=progress, limit=args.max_configurations)
            if progress is not None:
                print("\r\033[K", end="", file=sys.stderr)
            results.append(r)
            if args.counterexamples is not None and r.transcripts:
                for path in _write(r, args.counterexamples, args.all_options):
                    print(f"wrote {path}", file=sys.stderr)
            if not args.json:
                print(_table(r, args.all_options), flush=True)
    if args.json:
        print(json.dumps([r.as_json() for r in results], indent=2))
    else:
        total = sum(r.seconds for r in results)
        trans = sum(r.transitions for r in results)
        print(f"{len(results)} check(s), {trans} transitions in {total:.3f} s: "
              + ("every property holds" if all(r.ok for r in results) else "some property is violated"))
    return 0 if all(r.ok for r in results) else 1
