"""The model checker: configurations, transitions per second, all flows at the defaults, the scaling of every
flow over ``max_pin_attempts``, and fsm check side by side with SPIN on the same flow (see
benchmarks/bench_check.py for the same as a script).

The defaults are timed as the best of ``rounds`` runs (the first check of a flow in a process also builds
its machine; the others show the checker itself); the scaling rows are run once. Against SPIN (when ``spin``
and a C compiler are on PATH): fsm check as the best of ``rounds`` in this process; SPIN end to end (write the
model, ``spin -a``, compile both verifiers with gcc -O2, run them, two at a time on two cores) once, then its
two searches alone (safety, and the acceptance-cycle search for termination) as the best of ``rounds``, in wall
and in CPU seconds (the machine may be shared: CPU time is what each side used). Both search the same
configurations: the row says whether they agree (verdicts and the number of configurations).
"""

from __future__ import annotations

import time
from typing import Any

from fsm import spin
from fsm.check import check
from fsm.flows import FLOWS
from fsm.options import make_options


def one(name: str, limit: int, rounds: int = 1, **options: int) -> dict[str, object]:
    seconds = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        r = check(name, make_options(**options), limit=limit)
        seconds = min(seconds, time.perf_counter() - started)
    return {
        "flow": name, "options": options, "configurations": r.configurations, "transitions": r.transitions,
        "machine_steps": r.machine_steps, "seconds": seconds,
        "transitions_per_s": r.transitions / seconds if seconds else 0.0,
        "verdict": "limit" if r.incomplete else "skipped" if r.skipped else "ok" if r.ok else "VIOLATED",
    }


def versus_spin(name: str, pins: tuple[int, ...], rounds: int, fast: bool = True) -> list[dict[str, Any]]:
    """fsm check and SPIN on ``name`` at each ``max_pin_attempts`` of ``pins`` (empty when SPIN is missing);
    ``fast``: SPIN's fastest search (gcc -O2, one d_step per edge), else the cross-check's (gcc -O0)."""
    if spin.tools() is None:
        return []
    out = []
    for n in pins:
        options = make_options(max_pin_attempts=n)
        fsm_s = fsm_cpu = float("inf")
        for _ in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            r = check(name, options)
            fsm_s = min(fsm_s, time.perf_counter() - started)
            fsm_cpu = min(fsm_cpu, time.process_time() - cpu)
        started = time.perf_counter()
        v = spin.verify([(name, options, r.nodes)], fast=fast)[0]
        end_to_end = time.perf_counter() - started
        best = {k: v.seconds[k] for k in ("safety", "liveness", "safety cpu", "liveness cpu")}
        for _ in range(rounds - 1):  # the verifiers are built: these time the searches alone
            again = spin.verify([(name, options, r.nodes)], fast=fast)[0].seconds
            best = {k: min(x, again[k]) for k, x in best.items()}
        out.append({
            "flow": name, "max_pin_attempts": n, "configurations": r.configurations, "spin_states": v.states,
            "fsm_seconds": fsm_s, "fsm_cpu": fsm_cpu, "spin_end_to_end": end_to_end,
            "spin_compile": v.seconds["compile"], "spin_safety": best["safety"], "spin_liveness": best["liveness"],
            "spin_safety_cpu": best["safety cpu"], "spin_liveness_cpu": best["liveness cpu"],
            "agree": not spin.compare(r, v, edges=not fast), "fast": fast,
        })
    return out


def measure(pins: tuple[int, ...], limit: int, flows: tuple[str, ...] = tuple(FLOWS), rounds: int = 5,
            versus: tuple[str, tuple[int, ...], int, bool] = ("enrollment", (3, 30, 300), 3, True),
            ) -> dict[str, object]:
    defaults = [one(name, limit, rounds) for name in flows]
    scaling = [one(name, limit, max_pin_attempts=n) for name in flows for n in pins]
    return {"defaults": defaults, "scaling": scaling, "spin": versus_spin(*versus)}
