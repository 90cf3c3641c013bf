"""Snapshot + resume round trip of a flow in the middle of an enrollment (JSON text both ways)."""

from __future__ import annotations

import gc
import json
import time

import fsm
from benchmarks.step import FLOW, messages


def mid_run() -> fsm.Flow:
    """An enrollment that has made its first three calls and waits at step 5 (a trace of three entries)."""
    flow = fsm.start(FLOW)
    for msg in messages(3):
        flow.receive(msg)
    assert flow.state == "5", flow.state
    return flow


def measure(n: int, rounds: int) -> dict[str, float]:
    flow = mid_run()
    data = flow.snapshot()
    assert fsm.resume(json.dumps(data)).snapshot() == data
    best = {"snapshot_us": float("inf"), "resume_us": float("inf"), "round_trip_us": float("inf")}
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(n):
            text = json.dumps(flow.snapshot())
        t1 = time.perf_counter()
        for _ in range(n):
            fsm.resume(text)
        t2 = time.perf_counter()
        best["snapshot_us"] = min(best["snapshot_us"], (t1 - t0) / n * 1e6)
        best["resume_us"] = min(best["resume_us"], (t2 - t1) / n * 1e6)
        best["round_trip_us"] = min(best["round_trip_us"], (t2 - t0) / n * 1e6)
    best["bytes"] = len(text)
    return best
