"""A new flow: time and idle memory; many flows held at once, against ``transitions`` used the usual ways.

Three ways to hold a flow: the engine (one shared machine per flow kind, a small Flow per run); a
``transitions`` Machine per model (the naive design); one shared Machine with ``add_model`` (transitions
binds trigger methods on every model and keeps every model in the machine). Memory is what
``tracemalloc`` sees allocated and still held; time is the best of a few rounds.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import transitions

import fsm
from benchmarks.step import FLOW, Model, raw_machine
from fsm.flows import FLOWS
from fsm.options import make_options


def _per_model_machine() -> Callable[[], Any]:
    flow = FLOWS[FLOW]
    states = [s.name for s in flow.states]
    table = [{"trigger": e.outcome, "source": s.name, "dest": e.target} for s in flow.states for e in s.edges]
    options = make_options()
    n = len(flow.counters)

    def make() -> Any:
        model = Model(options, n)
        transitions.Machine(model=model, states=states, transitions=table, initial=flow.initial,
                            send_event=True, auto_transitions=False)
        return model

    return make


def _shared_machine() -> Callable[[], Any]:
    machine = raw_machine()
    options = make_options()
    n = len(FLOWS[FLOW].counters)

    def make() -> Any:
        model = Model(options, n)
        machine.add_model(model)
        return model

    return make


def _engine() -> Callable[[], Any]:
    fsm.start(FLOW)  # compile the flow's machine once, outside the measure

    def make() -> Any:
        return fsm.start(FLOW)

    return make


MAKERS: dict[str, Callable[[], Callable[[], Any]]] = {
    "engine": _engine,
    "transitions Machine per model": _per_model_machine,
    "transitions add_model": _shared_machine,
}


def held(make: Callable[[], Any], n: int) -> tuple[float, int]:
    """Seconds to make ``n`` flows and the bytes they hold once made."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    kept = [make() for _ in range(n)]
    seconds = time.perf_counter() - t
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] - before - (len(kept) * 8 + 56)  # not the list holding them
    tracemalloc.stop()
    del kept
    gc.collect()
    return seconds, size


def new_flow_time(make: Callable[[], Any], n: int, rounds: int) -> float:
    """Seconds to make one flow (best of ``rounds``; flows dropped as made, no tracing)."""
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        t = time.perf_counter()
        for _ in range(n):
            make()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def measure(sizes: dict[str, int], rounds: int) -> dict[str, dict[str, float]]:
    """Per way of holding a flow: time to make one, idle bytes per flow, and MB for ``sizes['many']`` flows.

    A way too slow to make ``many`` flows in a benchmark run is measured on fewer and its total memory
    extrapolated linearly (``extrapolated`` says so): a Machine per model on ``sizes['sample']`` flows
    (~2 ms each); ``add_model`` on ``sizes['shared']``, because each call scans the machine's list of
    models (``if model not in self.models``), so holding n models costs O(n²) time.
    """
    out: dict[str, dict[str, float]] = {}
    many = sizes["many"]
    for name, maker in MAKERS.items():
        make = maker()
        count = {"transitions Machine per model": sizes["sample"], "transitions add_model": sizes["shared"]}.get(
            name, many)
        per = new_flow_time(make, min(count, sizes["time"]), rounds)
        _, sample_bytes = held(make, sizes["sample"])
        seconds, total = held(make, count)
        out[name] = {
            "new_flow_us": per * 1e6,
            "idle_bytes": sample_bytes / sizes["sample"],
            "many": many,
            "many_mb": total / count * many / 1e6,
            "seconds": seconds,
            "count": count,
            "extrapolated": float(count != many),
        }
    return out
