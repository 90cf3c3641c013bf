"""The benchmark suite, side by side in one run: ``python -m benchmarks [--quick] [--json FILE]``.

Not a test: it prints figures and ratios against the alternatives, and the targets of issue 6 beside
them; nothing fails when a target is missed (the exit status is 0 unless a benchmark breaks).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from benchmarks import checker, imports, memory, snapshots, step, xstate
from benchmarks.bench_check import LIMIT
from fsm.cli.files import UsageError, output_file
from fsm.flows import FLOWS

FULL = {"step": 3_500, "step_rounds": 41, "many": 100_000, "sample": 1_000, "shared": 10_000, "time": 5_000,
        "mem_rounds": 3, "snap": 2_000, "snap_rounds": 3, "imports": 31, "pins": (3, 30, 300), "limit": LIMIT,
        "flows": None, "versus": ("enrollment", (3, 30, 300), 3, True), "xstate": 3_500, "xstate_rounds": 9}
QUICK = {"step": 700, "step_rounds": 3, "many": 500, "sample": 20, "shared": 100, "time": 200, "mem_rounds": 1,
         "snap": 20, "snap_rounds": 1, "imports": 3, "pins": (3, 6), "limit": 5_000,
         "flows": ("remove-enrollments", "reset-pin"), "versus": ("reset-pin", (3,), 1, False), "xstate": 200,
         "xstate_rounds": 1}


def machine() -> dict[str, str]:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        cpu = platform.processor()
    return {"nproc": str(os.cpu_count()), "cpu": cpu or "unknown", "python": platform.python_version(),
            "platform": platform.platform()}


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run(sizes: dict[str, Any], say: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": machine(), "quick": sizes is QUICK}
    say("engine step ...")
    measured = step.measure(sizes["step"], sizes["step_rounds"])
    out["step"] = {k: v * 1e6 for k, v in measured.items() if k != "ratio"}
    out["step_ratio"] = measured["ratio"]
    say("a step through XState (js/) ...")
    out["xstate"] = xstate.measure(sizes["xstate"], sizes["xstate_rounds"])
    say("new flows and memory ...")
    out["flows"] = memory.measure({k: sizes[k] for k in ("many", "sample", "shared", "time")}, sizes["mem_rounds"])
    say("snapshot + resume ...")
    out["snapshot"] = snapshots.measure(sizes["snap"], sizes["snap_rounds"])
    say("model checker ...")
    flows = sizes["flows"] or tuple(FLOWS)
    out["check"] = checker.measure(sizes["pins"], sizes["limit"], flows, versus=sizes["versus"])
    say("import time ...")
    out["imports"] = imports.measure(sizes["imports"])
    return out


def table(r: dict[str, Any]) -> str:
    lines: list[str] = []
    m = r["machine"]
    lines.append(f"machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}"
                 + ("  (--quick: tiny sizes, figures not meaningful)" if r["quick"] else ""))
    lines.append("")
    s = r["step"]
    ratio = r["step_ratio"]
    lines.append(f"{'one step (receive + next action)':<44} {'best µs':>9} {'vs transitions':>15}")
    lines.append(f"{'  engine: flow.receive(msg); flow.action':<44} {s['engine']:>9.2f} {ratio:>14.2f}x"
                 f"   target <= 1.25x: {_mark(ratio <= 1.25)}")
    lines.append(f"{'  raw transitions trigger':<44} {s['transitions']:>9.2f} {1:>14.2f}x")
    lines.append(f"{'  hand-written dict dispatch (floor)':<44} {s['dict']:>9.2f} "
                 f"{s['dict'] / s['transitions']:>14.2f}x")
    lines.append("")
    x = r["xstate"]
    head = f"the same steps from the export (js/, Node {x['node']})"
    lines.append(f"{head:<44} {'µs/step':>9} {'vs engine':>15}")
    lines.append(f"{'  XState: flow.receive(msg); flow.action':<44} {x['xstate_us']:>9.2f} {x['ratio']:>14.2f}x")
    lines.append(f"{'  Python engine, measured alongside':<44} {x['engine_us']:>9.2f} {1:>14.2f}x")
    lines.append("")
    f = r["flows"]
    eng = f["engine"]
    many = int(eng["many"])
    lines.append(f"{'a new flow':<32} {'µs':>9} {'idle bytes':>11} {f'{many:,} flows MB':>17} {'vs engine':>10}")
    for name, v in f.items():
        note = f" (extrapolated from {int(v['count']):,})" if v["extrapolated"] else ""
        lines.append(f"  {name:<30} {v['new_flow_us']:>9.2f} {v['idle_bytes']:>11,.0f} {v['many_mb']:>17.1f} "
                     f"{v['many_mb'] / eng['many_mb']:>9.1f}x{note}")
    full_many = many == 100_000
    lines.append(f"  targets: new flow <= 10 µs: {_mark(eng['new_flow_us'] <= 10)}; <= 1 KB idle: "
                 f"{_mark(eng['idle_bytes'] <= 1024)}; 100k flows <= 100 MB: "
                 f"{_mark(eng['many_mb'] / many * 100_000 <= 100)}" + ("" if full_many else " (scaled)"))
    lines.append("")
    sn = r["snapshot"]
    lines.append(f"snapshot + resume (JSON, {sn['bytes']:.0f} bytes): snapshot {sn['snapshot_us']:.1f} µs, "
                 f"resume {sn['resume_us']:.1f} µs, round trip {sn['round_trip_us']:.1f} µs")
    lines.append("")
    c = r["check"]
    head = f"  {'flow':<19} {'max_pin':>7} {'configs':>9} {'transitions':>11} {'seconds':>8} {'trans/s':>10}  verdict"
    lines.append("model checker, default options:")
    lines.append(head)
    total_t = total_s = 0.0
    for row in c["defaults"]:
        lines.append(_check_row(row))
        total_t += row["transitions"]
        total_s += row["seconds"]
    rate = total_t / total_s if total_s else 0.0
    lines.append(f"  {'all flows':<19} {'':>7} {'':>9} {int(total_t):>11} {total_s:>8.3f} {rate:>10,.0f}"
                 f"  targets <= 0.1 s: {_mark(total_s <= 0.1)}; >= 300k/s: {_mark(rate >= 300_000)}")
    lines.append("scaling with max_pin_attempts:")
    lines.append(head)
    for row in c["scaling"]:
        lines.append(_check_row(row))
    lines.append("")
    lines.extend(_versus(c["spin"]))
    i = r["imports"]
    ratio = i["fsm_ms"] / i["dependencies_ms"]
    lines.append(f"import (median of fresh interpreters): transitions+attrs+structlog {i['dependencies_ms']:.1f} ms, "
                 f"fsm {i['fsm_ms']:.1f} ms = {ratio:.2f}x   target <= 1.15x: {_mark(ratio <= 1.15)}")
    lines.append(f"  fsm with attrs' own compiled eq/hash/repr on its {i['attrs_classes']} attrs classes (no "
                 f"fsm/records.py): {i['fsm_attrs_methods_ms']:.1f} ms; records.py saves "
                 f"{i['fsm_attrs_methods_ms'] - i['fsm_ms']:.1f} ms = "
                 f"{(i['fsm_attrs_methods_ms'] - i['fsm_ms']) / i['fsm_attrs_methods_ms']:.0%} of the import")
    eager = i["eager_optional_modules"]
    lines.append(f"  optional parts loaded by `import fsm`: {', '.join(eager) if eager else 'none'}")
    return "\n".join(lines)


def _versus(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["fsm check vs SPIN: spin or a C compiler is not on PATH (apt-get install spin gcc)", ""]
    how = "gcc -O2, one d_step per edge" if rows[0]["fast"] else "gcc -O0, as fsm check --spin builds it"
    lines = [f"fsm check vs SPIN ({rows[0]['flow']}; SPIN: {how}; best of the rounds; wall s (CPU s)):",
             f"  {'max_pin':>7} {'configs':>9} {'fsm check':>15} {'SPIN end to end':>15} {'SPIN safety':>15} "
             f"{'SPIN liveness':>15} {'fsm/SPIN searches':>17}  agree"]
    for row in rows:
        search = row["spin_safety"] + row["spin_liveness"]
        lines.append(f"  {row['max_pin_attempts']:>7} {row['configurations']:>9} "
                     f"{_pair(row['fsm_seconds'], row['fsm_cpu']):>15} {row['spin_end_to_end']:>15.2f} "
                     f"{_pair(row['spin_safety'], row['spin_safety_cpu']):>15} "
                     f"{_pair(row['spin_liveness'], row['spin_liveness_cpu']):>15} "
                     f"{row['fsm_seconds'] / search:>16.2f}x  {'yes' if row['agree'] else 'NO'}")
    last = rows[-1]
    if last["max_pin_attempts"] >= 300:
        search = last["spin_safety"] + last["spin_liveness"]
        lines.append(f"  targets at {last['max_pin_attempts']}: fsm check <= 3 s: {_mark(last['fsm_seconds'] <= 3)}; "
                     f"faster than SPIN end to end: {_mark(last['fsm_seconds'] < last['spin_end_to_end'])}; "
                     f"within 3x of its searches: {_mark(last['fsm_seconds'] <= 3 * search)}")
    lines.append("")
    return lines


def _pair(wall: float, cpu: float) -> str:
    return f"{wall:.3f} ({cpu:.3f})"


def _check_row(row: dict[str, Any]) -> str:
    pin = row["options"].get("max_pin_attempts", 3)
    return (f"  {row['flow']:<19} {pin:>7} {row['configurations']:>9} {row['transitions']:>11} "
            f"{row['seconds']:>8.3f} {row['transitions_per_s']:>10,.0f}  {row['verdict']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test; figures mean nothing)")
    parser.add_argument("--json", metavar="FILE.json", type=Path, help="also write the figures to FILE as JSON")
    args = parser.parse_args(argv)
    if args.json is not None:  # checked before minutes of measuring, not after
        try:
            output_file(args.json, option="--json", suffixes=(".json",))
        except UsageError as exc:
            print(f"python -m benchmarks: {exc}", file=sys.stderr)
            return 2

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    results = run(QUICK if args.quick else FULL, say)
    print(table(results))
    if args.json is not None:
        with args.json.open("w", encoding="utf-8") as f:
            json.dump(results, f, indent=2, default=str)
            f.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
