"""``import fsm`` against importing its runtime dependencies alone, each in fresh interpreters.

Each sample is one new ``python`` process that times its own import with ``perf_counter`` (the
interpreter's start-up is the same for both and is left out); the two are interleaved and the median
of many samples is kept. Both read compiled bytecode, as an installed package does: the probes run with
a private ``PYTHONPYCACHEPREFIX`` (warmed first) even where ``PYTHONDONTWRITEBYTECODE`` is set, which
would otherwise make fsm compile its sources on every import while the dependencies read their .pyc.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

DEPENDENCIES = "transitions, attrs, structlog"
#: Modules of the optional parts, which ``import fsm`` must not load (they load on use). (asyncio is not
#: among them: structlog imports it.)
LAZY = ("fsm.aio", "fsm.check", "fsm.explore", "fsm.diagrams", "fsm.docs", "fsm.snapshot", "fsm.restore",
        "fsm.reach", "fsm.cli",
        "fsm.transcript", "fsm.ports.simulator", "fsm.environment", "fsm.properties", "fsm.search", "fsm.witness",
        "fsm.promela", "fsm.spin")

_PROBE = """
import sys, time
t = time.perf_counter()
import {modules}
seconds = time.perf_counter() - t
print(seconds, ",".join(m for m in {lazy!r} if m in sys.modules))
"""


def _sample(modules: str, env: dict[str, str]) -> tuple[float, list[str]]:
    code = _PROBE.format(modules=modules, lazy=LAZY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,  # noqa: S603
                          env=env)
    seconds, loaded = done.stdout.split(" ", 1)
    return float(seconds), [m for m in loaded.strip().split(",") if m]


def measure(repeat: int) -> dict[str, object]:
    deps: list[float] = []
    own: list[float] = []
    loaded: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fsm-bench-pycache-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        _sample(DEPENDENCIES, env)  # warm the bytecode cache
        _sample("fsm", env)
        for _ in range(repeat):
            deps.append(_sample(DEPENDENCIES, env)[0])
            seconds, loaded = _sample("fsm", env)
            own.append(seconds)
    return {
        "dependencies_ms": statistics.median(deps) * 1e3,
        "fsm_ms": statistics.median(own) * 1e3,
        "eager_optional_modules": loaded,
    }
