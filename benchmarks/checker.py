"""The model checker: configurations, transitions per second, all flows at the defaults, and the
scaling of every flow over ``max_pin_attempts`` (see benchmarks/bench_check.py for the same as a script)."""

from __future__ import annotations

import time

from fsm.check import check
from fsm.flows import FLOWS
from fsm.options import make_options


def one(name: str, limit: int, **options: int) -> dict[str, object]:
    started = time.perf_counter()
    r = check(name, make_options(**options), limit=limit)
    seconds = time.perf_counter() - started
    return {
        "flow": name, "options": options, "configurations": r.configurations, "transitions": r.transitions,
        "machine_steps": r.machine_steps, "seconds": seconds,
        "transitions_per_s": r.transitions / seconds if seconds else 0.0,
        "verdict": "limit" if r.incomplete else "skipped" if r.skipped else "ok" if r.ok else "VIOLATED",
    }


def measure(pins: tuple[int, ...], limit: int, flows: tuple[str, ...] = tuple(FLOWS)) -> dict[str, object]:
    defaults = [one(name, limit) for name in flows]
    scaling = [one(name, limit, max_pin_attempts=n) for name in flows for n in pins]
    return {"defaults": defaults, "scaling": scaling}
