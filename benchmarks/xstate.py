"""One step through XState against one through the Python engine, side by side: the same call steps of an
enrollment (benchmarks/step.py's path: steps 1, 2, 3, 5, 6, 7, 8 with a trusted phone number), each made
from the step's configuration (its state, counters at 0, the values the steps read) with the SDK's message,
then the next action asked for. XState's side is ``js/`` (the export run by XState v5, in Node): a flow made
at the step's XState snapshot takes ``flow.receive(message); flow.action``. Both check first that every
step goes where the path says. Rounds alternate between the two; the ratio is the median of XState / engine
over the rounds.
"""

from __future__ import annotations

import gc
import json
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.step import FLOW, HELD, PATH, engine, engine_moves, messages
from fsm.secret import SECRET_NAMES

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "xstate_step.mjs"


class NodeMissing(RuntimeError):
    """No ``node``, or ``js/node_modules`` not installed (``npm ci`` in js/)."""


def _node(steps: int, rounds: int) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise NodeMissing("node is not on the PATH (apt-get install nodejs npm)")
    if not (ROOT / "js" / "node_modules" / "xstate").is_dir():
        raise NodeMissing("js/node_modules is missing: run `npm ci` in js/ (./dev test does)")
    results = [m["result"] for m in messages(len(PATH))]
    spec = {"flow": FLOW, "path": [[state, result, target] for (state, _, target), result in zip(PATH, results,
                                                                                              strict=True)],
            "held": {slot: [value, slot in SECRET_NAMES] for slot, value in HELD.items()}}
    done = subprocess.run([node, str(SCRIPT), str(steps), str(rounds), json.dumps(spec)],  # noqa: S603 - our script
                          capture_output=True, text=True, check=True, timeout=600)
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def measure(n: int, rounds: int) -> dict[str, Any]:
    """µs per step of each side, the best of ``rounds`` alternating rounds of ``n`` steps, and the median ratio."""
    expected = [p[2] for p in PATH] * 3
    if engine_moves() != expected:
        raise AssertionError("the engine does not follow the path")
    run = engine(n)
    xstate: list[float] = []
    python: list[float] = []
    version = subprocess.run([shutil.which("node") or "node", "--version"],  # noqa: S603 - node's version
                             capture_output=True, text=True, check=False).stdout.strip()
    for _ in range(rounds):
        got = _node(n, 3)  # the best of three in one warm Node
        if got["moves"] != expected:
            raise AssertionError(f"XState does not follow the path: {got['moves']} != {expected}")
        xstate.append(got["best_us"])
        gc.collect()
        python.append(run() / n * 1e6)
    ratios = [x / p for x, p in zip(xstate, python, strict=True)]
    return {"xstate_us": min(xstate), "engine_us": min(python), "ratio": statistics.median(ratios), "node": version,
            "steps": n, "rounds": rounds}
