"""Cross-checking ``fsm check`` with SPIN: the same flow, modelled independently, verified by another tool.

:mod:`fsm.promela` writes the flow's model from its definition; SPIN
generates a verifier, a C compiler builds it, and it runs twice: a safety
search (``-DSAFETY``: every reachable state, every assertion, the edges no
run takes) and an acceptance-cycle search for the LTL formula
``terminates``. :func:`compare` then holds SPIN's findings against a
:class:`fsm.check.Result`: the verdict of each property both judge, the
number of reachable configurations (with the bound monitors, which both
count the same way), and the set of edges taken. Any difference is a finding
in one of the two: the machine and the table disagree, or a checker is wrong.

What only ``fsm check`` judges: ``definition``, ``reachable`` (under the
other method too), ``classified``, ``parameters`` and ``secrets`` (they need
messages and values, which the model leaves out).
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from fsm.options import Options
from fsm.promela import FLAGS, MONITORS, Model, model
from fsm.spec import FlowSpec

if TYPE_CHECKING:
    from fsm.check import Result

#: The properties SPIN judges, as :data:`fsm.check.PROPERTIES` names them.
SPIN_PROPERTIES = ("terminates", "way_out", "handled", "pin_bound", "restart_bound", "retry_bound",
                   "remove_safety", "enrolled_safety")
INSTALL = "SPIN and a C compiler are needed on PATH: apt-get install spin gcc"


def tools() -> tuple[str, str] | None:
    """The spin and C compiler commands, or None when one is missing."""
    spin = shutil.which("spin")
    cc = shutil.which(os.environ.get("CC") or "gcc") or shutil.which("cc")
    return (spin, cc) if spin and cc else None


@attrs.frozen
class Verdict:
    """What SPIN found for one flow under one set of options."""

    flow: str
    options: Options
    #: States stored by the safety search (configurations with the bound monitors).
    states: int
    violated: frozenset[str]
    edges: frozenset[tuple[str, str, str]]
    #: False when the search was cut short (its depth limit): then nothing is proved.
    complete: bool
    #: Seconds: "generate" (spin -a), "compile" (both verifiers; nearly 0 when built before in this process),
    #: "safety" and "liveness" (the searches, wall clock), "safety cpu" and "liveness cpu" (their CPU time).
    seconds: dict[str, float]
    output: str = attrs.field(repr=False)


@attrs.frozen
class _Run:
    text: str
    seconds: dict[str, float]


def _run(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603  # argv: spin, cc
    if done.returncode != 0 and not done.stdout:
        raise RuntimeError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[:500]}")
    return done.stdout


def _search(cmd: list[str], cwd: Path) -> tuple[str, float]:
    """Run a verifier: its output and the CPU seconds it used (user + system, told apart from other work on a
    shared machine)."""
    out = cwd / "search.out"
    with out.open("wb") as f:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)  # noqa: S603  # argv: pan
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return out.read_text(encoding="utf-8", errors="replace"), usage.ru_utime + usage.ru_stime


#: Verifiers built in this process, by what spin -a generated (and the build flags): two models that differ only
#: where nothing reads it (a bound no edge tests) are compiled once.
_BUILT: dict[str, Path] = {}
_BUILDING: dict[str, threading.Lock] = {}
_BUILT_LOCK = threading.Lock()
_BUILD_DIR: list[Path] = []
_RUNS = itertools.count()
PAN_FILES = ("pan.c", "pan.h", "pan.m", "pan.b", "pan.t", "pan.p")


def _build_dir() -> Path:
    with _BUILT_LOCK:
        if not _BUILD_DIR:
            _BUILD_DIR.append(Path(tempfile.mkdtemp(prefix="fsm-spin-")))
            atexit.register(shutil.rmtree, _BUILD_DIR[0], True)
        return _BUILD_DIR[0]


def _mode(m: Model, live: bool, hint: int, fast: bool) -> _Run:
    """Generate, compile (once per process for one verifier) and run one verifier (safety or liveness) for ``m``."""
    found = tools()
    assert found is not None, INSTALL
    spin, cc = found
    where = _build_dir() / f"{next(_RUNS)}-{m.flow}-{'live' if live else 'safe'}"
    where.mkdir(parents=True)
    pml = where / f"{m.flow}.pml"
    pml.write_text(m.text, encoding="utf-8")
    t0 = time.perf_counter()
    _run([spin, "-a", "-o2", *([] if fast else ["-o3"]), *(["-DLIVENESS"] if live else []), pml.name], where)
    t1 = time.perf_counter()
    flags = ["-O2" if fast else "-O0", "-w", "-DNOREDUCE", *([] if live else ["-DSAFETY", "-DNOCLAIM"])]
    digest = hashlib.sha256(" ".join(flags).encode())
    for name in PAN_FILES:
        path = where / name
        digest.update(path.read_bytes() if path.exists() else b"")
    key = digest.hexdigest()
    with _BUILT_LOCK:
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:  # the same verifier wanted twice at once is built once
        pan = _BUILT.get(key)
        if pan is None:
            _run([cc, *flags, "-o", "pan", "pan.c"], where)
            pan = _BUILT[key] = where / "pan"
    seconds = {"generate": t1 - t0, "compile": time.perf_counter() - t1}
    depth = max(10_000, 2 * hint + 1_000)
    width = min(30, max(18, (4 * hint).bit_length()))
    t2 = time.perf_counter()
    text, cpu = _search([str(pan), f"-m{depth}", f"-w{width}", *(["-a", "-A", "-n"] if live else ["-c0"])], where)
    mode = "liveness" if live else "safety"
    seconds[mode] = time.perf_counter() - t2
    seconds[f"{mode} cpu"] = cpu
    return _Run(text, seconds)


def verify(jobs: Sequence[tuple[FlowSpec | str, Options, int]], *, fast: bool = False,
           workers: int | None = None) -> list[Verdict]:
    """SPIN's verdicts for each (flow, options, expected number of states: sizes the search), compiled and run
    in parallel (``workers``: at most that many at once, default one per core).

    ``fast``: the fastest search SPIN makes of the flow (one ``d_step`` per edge, gcc -O2: a slower compile,
    for large bounds), without the edges taken (``Verdict.edges`` is empty).
    """
    if tools() is None:
        raise RuntimeError(INSTALL)
    models = [model(flow, options, edges=not fast) for flow, options, _ in jobs]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        futures = {(i, live): pool.submit(_mode, m, live, jobs[i][2], fast)
                   for i, m in enumerate(models) for live in (False, True)}
        runs = {key: f.result() for key, f in futures.items()}
    return [_verdict(models[i], jobs[i][1], runs[(i, False)], runs[(i, True)]) for i in range(len(jobs))]


def _verdict(m: Model, options: Options, safety: _Run, liveness: _Run) -> Verdict:
    text = safety.text
    stored = re.search(r"(\d+) states, stored", text)
    violated: set[str] = set()
    for found in re.finditer(r"assertion violated (.*?) \(at depth", text):
        violated.add(_prop(found.group(1)))
    if re.search(r"acceptance cycle", liveness.text) or _errors(liveness.text):
        violated.add("terminates")
    unreached: set[int] = set()
    block = text.split("unreached in proctype flow", 1)
    if len(block) == 2:
        for line in block[1].splitlines()[1:]:
            hit = re.match(r"\s*\S+\.pml:(\d+), state", line)
            if hit is None:
                break
            unreached.add(int(hit.group(1)))
    edges = frozenset(edge for line, edge in m.edges.items() if line not in unreached)
    complete = "max search depth too small" not in text + liveness.text
    seconds = {k: safety.seconds.get(k, 0.0) + liveness.seconds.get(k, 0.0) for k in ("generate", "compile")}
    seconds |= {k: v for k, v in safety.seconds.items() if k.startswith("safety")}
    seconds |= {k: v for k, v in liveness.seconds.items() if k.startswith("liveness")}
    return Verdict(flow=m.flow, options=options, states=int(stored.group(1)) if stored else -1,
                   violated=frozenset(violated), edges=edges, complete=complete, seconds=seconds,
                   output=f"{text}\n--- liveness ---\n{liveness.text}")


def _errors(text: str) -> int:
    found = re.search(r"errors: (\d+)", text)
    return int(found.group(1)) if found else 0


def _prop(assertion: str) -> str:
    for prop, (monitor, _) in MONITORS.items():
        if monitor in assertion:
            return prop
    for flag in FLAGS:
        if re.search(rf"\b{flag}\b", assertion):
            return flag
    return f"unknown assertion {assertion}"


def compare(result: Result, verdict: Verdict, *, edges: bool = True) -> list[str]:
    """Every difference between ``fsm check``'s result and SPIN's, in words (empty: they agree); ``edges=False``:
    the edges taken aside (a ``fast`` verdict has none)."""
    out = []
    if not verdict.complete:
        out.append("SPIN's search was cut short by its depth limit: it proved nothing")
    for prop in SPIN_PROPERTIES:
        ours, theirs = result.holds(prop), prop not in verdict.violated
        if ours != theirs:
            out.append(f"{prop}: fsm check: {'holds' if ours else 'VIOLATED'}; SPIN: "
                       f"{'holds' if theirs else 'VIOLATED'}")
    out.extend(f"SPIN: {p}" for p in sorted(verdict.violated - set(SPIN_PROPERTIES)))
    if result.nodes != verdict.states:
        out.append(f"reachable configurations (with the bound monitors): fsm check {result.nodes}, "
                   f"SPIN {verdict.states}")
    if edges and result.edges != verdict.edges:
        for side, only in (("fsm check", result.edges - verdict.edges), ("SPIN", verdict.edges - result.edges)):
            if only:
                out.append(f"edges only {side} takes: " + ", ".join(f"{s} --{o}--> {t}" for s, o, t in
                                                                    sorted(only)))
    return out
