"""The model checker: configurations, transitions per second, all flows at the defaults, and the
scaling of every flow over ``max_pin_attempts`` (see benchmarks/bench_check.py for the same as a script).

The defaults are timed as the best of ``rounds`` runs (the first check of a flow in a process also builds
its machine; the others show the checker itself); the scaling rows are run once."""

from __future__ import annotations

import time

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


def measure(pins: tuple[int, ...], limit: int, flows: tuple[str, ...] = tuple(FLOWS),
            rounds: int = 5) -> dict[str, object]:
    defaults = [one(name, limit, rounds) for name in flows]
    scaling = [one(name, limit, max_pin_attempts=n) for name in flows for n in pins]
    return {"defaults": defaults, "scaling": scaling}
