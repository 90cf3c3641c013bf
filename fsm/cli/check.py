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
        "judge each property. Messages and values are samples (one per documented outcome and code, one canary "
        "per question), not every message there is. Exit code 0 when every property holds, 1 when one is "
        "violated or nothing was proved, 2 when the checker itself failed.",
    )
    p.add_argument("flows", nargs="*", metavar="FLOW", help=f"flows to check (default: all): {', '.join(FLOWS)}")
    add_options(p)
    p.add_argument("--all-options", action="store_true",
                   help="check every platform x dialect x method (the other options as given)")
    p.add_argument("--max-configurations", type=int, default=None, metavar="N",
                   help="give up a flow after N configurations (nothing is proved for it; exit code 1)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--spin", action="store_true",
                   help="also verify each flow with SPIN (a Promela model written from the definition; needs "
                   "spin and a C compiler) and compare: the same verdict for every property both judge, the same "
                   "number of reachable configurations, the same edges taken; any difference fails the check")
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
    verdict = ("skipped" if r.skipped else r.gave_up if r.gave_up else "all properties hold" if r.ok
               else "VIOLATED")
    if r.definition_invalid:
        verdict += " (definition invalid: its edges were explored as written)"
    lines = [f"{_label(r, matrix)}: {verdict}"]
    if r.skipped is not None:
        lines.append(f"  skipped: {r.skipped}")
        return "\n".join(lines)
    if r.gave_up is not None:
        lines.append(f"  {r.configurations} configurations explored, {r.seconds:.3f} s")
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
    lines.extend(f"  note: {n}" for n in r.notes)
    lines.append(f"  {r.configurations} configurations ({r.nodes} with the bound monitors), {r.transitions} "
                 f"transitions ({r.machine_steps} run by the machine), {len(r.edges)} edges taken, longest run "
                 f"{longest}, {r.seconds:.3f} s, {rate:,.0f} transitions/s")
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
    if args.spin:
        from fsm import spin

        if spin.tools() is None:
            print(f"fsm check --spin: {spin.INSTALL}", file=sys.stderr)
            return 2
    progress = stderr_progress if sys.stderr.isatty() else None
    variants = [options]
    if args.all_options:
        variants = [attrs.evolve(options, platform=p, dialect=d, method=m)
                    for p in PLATFORMS for d in DIALECTS for m in METHODS]
    results = []
    crashed = 0
    written = 0
    for name in names:
        for opts in variants:
            try:
                r = check(name, opts, progress=progress, limit=args.max_configurations)
            except Exception as exc:  # noqa: BLE001 - the checker failing proves nothing: said, and exit 2
                if progress is not None:
                    print("\r\033[K", end="", file=sys.stderr)
                print(f"fsm check: {name}: the checker failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                crashed += 1
                continue
            if progress is not None:
                print("\r\033[K", end="", file=sys.stderr)
            results.append(r)
            if args.counterexamples is not None and r.transcripts:
                for path in _write(r, args.counterexamples, args.all_options):
                    print(f"wrote {path}", file=sys.stderr)
                    written += 1
            if not args.json:
                print(_table(r, args.all_options), flush=True)
    disagree = _spin(results, args.json, args.all_options) if args.spin else {}
    if args.counterexamples is not None and not written:
        why = ("every property holds" if all(r.ok for r in results)
               else "no property is violated by a run (nothing was proved, or only the definition is wrong)")
        print(f"no counterexample to write to {args.counterexamples}: {why}", file=sys.stderr)
    if args.json:
        out = [r.as_json() for r in results]
        for item, r in zip(out, results, strict=True):
            if id(r) in disagree:
                item["spin"] = {"agrees": not disagree[id(r)], "differences": disagree[id(r)]}
        print(json.dumps(out, indent=2))
    else:
        total = sum(r.seconds for r in results)
        trans = sum(r.transitions for r in results)
        violated = any(any(r.violations.values()) for r in results)
        gave_up = sum(1 for r in results if r.incomplete)
        words = ("some property is violated" if violated
                 else f"gave up on {gave_up} check(s): nothing proved for them" if gave_up
                 else "every property holds" if not crashed
                 else "nothing proved for the checks that failed")
        if crashed:
            words += f"; the checker failed on {crashed} check(s)"
        if any(disagree.values()):
            words += "; SPIN disagrees"
        print(f"{len(results)} check(s), {trans} transitions in {total:.3f} s: {words}")
    if crashed:
        return 2
    return 0 if all(r.ok for r in results) and not any(disagree.values()) else 1


def _spin(results: list[Result], quiet: bool, matrix: bool) -> dict[int, list[str]]:
    """Verify the results' flows with SPIN, print how each compares, and return the differences by result."""
    from fsm import spin

    todo = [r for r in results if r.skipped is None and not r.incomplete]
    verdicts = spin.verify([(r.flow, r.options, r.nodes) for r in todo])
    out: dict[int, list[str]] = {}
    if not quiet:
        print(f"SPIN ({', '.join(spin.SPIN_PROPERTIES)}; configurations; edges):")
    for r, v in zip(todo, verdicts, strict=True):
        found = out[id(r)] = spin.compare(r, v)
        if quiet:
            continue
        t = v.seconds
        timing = (f"generate {t['generate']:.2f} s, compile {t['compile']:.2f} s, verify "
                  f"{t['safety'] + t['liveness']:.2f} s")
        if not found:
            held = [p for p in spin.SPIN_PROPERTIES if p not in v.violated]
            print(f"  {_label(r, matrix)}: SPIN agrees: {v.states} configurations, {len(v.edges)} edges, "
                  f"{len(held)} of {len(spin.SPIN_PROPERTIES)} properties hold ({timing})")
        else:
            print(f"  {_label(r, matrix)}: SPIN DISAGREES ({timing}):")
            for line in found:
                print(f"    - {line}")
    return out
