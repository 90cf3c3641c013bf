"""The report: per file killed/total and score, then each survivor as ``file:line: original -> mutant``."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TextIO

from tools.mutate.equivalents import Equivalent
from tools.mutate.runner import Result

#: Statuses that count as a survivor (a mutant no test failed on).
SURVIVED = ("survived", "uncovered", "error")


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s" if seconds >= 60 else f"{seconds:.1f} s"


def score(results: Iterable[Result]) -> tuple[int, int]:
    """(killed, scored): timeouts count as killed; equivalent mutants are not scored."""
    c = Counter(r.status for r in results)
    return c["killed"] + c["timeout"], sum(c.values()) - c["equivalent"]


def write(
    out: TextIO, results: list[Result], files: list[str], stale: list[Equivalent], *, wall: float,
    coverage_seconds: float, jobs: int, equivalents_file: str, last_only: set[int] | None = None,
    left_out: list[str] | None = None,
) -> None:
    """The report; ``last_only``: the ids of results killed only by the ``--last`` tests (a 'without' column)."""
    by_file: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_file[r.mutant.file].append(r)
    w = out.write
    w(f"\nMutation run: {len(results)} mutants in {len(files)} files, {jobs} worker(s); "
      f"coverage run {minutes(coverage_seconds)}, whole run {minutes(wall)}\n")
    if left_out:
        w(f"Left out of the mutants' runs as too slow (so the scores are a floor): {', '.join(left_out)}\n")
    w("\n")
    without = "" if last_only is None else f" {'without --last':>15}"
    w(f"{'file':28} {'killed':>9} {'score':>7}{without} {'timeout':>8} {'survived':>9} {'equivalent':>11} "
      f"{'run time':>11}\n")
    rows = [(f, by_file.get(f, [])) for f in files]
    if len(files) > 1:
        rows.append(("all", results))
    for name, rs in rows:
        killed, scored = score(rs)
        c = Counter(r.status for r in rs)
        pct = f"{100 * killed / scored:.1f}%" if scored else "-"
        survived = sum(c[s] for s in SURVIVED)
        seconds = sum(r.seconds for r in rs)
        before = ""
        if last_only is not None:
            k = killed - sum(1 for r in rs if id(r) in last_only)
            before = f" {k:>5}/{scored:<4}" + (f"{100 * k / scored:5.1f}%" if scored else "     -")
        w(f"{name:28} {killed:>4}/{scored:<4} {pct:>7}{before} {c['timeout']:>8} {survived:>9} {c['equivalent']:>11} "
          f"{minutes(seconds):>11}\n")
    survivors = sorted((r for r in results if r.status in SURVIVED), key=lambda r: (r.mutant.file, r.mutant.line))
    if survivors:
        w(f"\nSurvivors ({len(survivors)}): no test failed on these\n")
        for r in survivors:
            note = f"  [{' '.join(r.detail.split())[:300]}]" if r.detail else ""
            w(f"  {r.mutant.label()}{note}\n")
    timeouts = [r for r in results if r.status == "timeout"]
    if timeouts:
        w(f"\nTimeouts ({len(timeouts)}, counted as killed: a test hung on the mutant)\n")
        for r in timeouts:
            w(f"  {r.mutant.label()}\n")
    equivalent = [r for r in results if r.status == "equivalent"]
    if equivalent:
        w(f"\nEquivalent ({len(equivalent)}, listed in {equivalents_file}, not scored)\n")
        for r in equivalent:
            w(f"  {r.mutant.label(100)}  ({r.detail})\n")
    if stale:
        w(f"\nEntries of {equivalents_file} that match no mutant of these files (fix or remove them)\n")
        for e in stale:
            w(f"  {e.file} [{e.scope}]: {e.original} -> {e.mutant}\n")
