"""``import fsm`` against importing its runtime dependencies alone, each in fresh interpreters.

Each sample is one new ``python`` process that times its own import with ``perf_counter`` (the
interpreter's start-up is the same for both and is left out); the two are interleaved and the median
of many samples is kept. Both read compiled bytecode, as an installed package does: the probes run with
a private ``PYTHONPYCACHEPREFIX`` (warmed first) even where ``PYTHONDONTWRITEBYTECODE`` is set, which
would otherwise make fsm compile its sources on every import while the dependencies read their .pyc.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

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
    # Run from an empty directory: `python -c` puts the working directory first on sys.path, where an fsm/
    # would shadow the copy PYTHONPATH names (it once made both sides of the comparison the same fsm).
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,  # noqa: S603
                          env=env, cwd=env["PYTHONPYCACHEPREFIX"])
    seconds, loaded = done.stdout.split(" ", 1)
    return float(seconds), [m for m in loaded.strip().split(",") if m]


ROOT = Path(__file__).resolve().parent.parent


def _fsm_file(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", "import fsm; print(fsm.__file__)"], capture_output=True,
                          text=True, check=True, env=env, cwd=env["PYTHONPYCACHEPREFIX"])
    return done.stdout.strip()


#: How the core's attrs classes are declared to take their methods from ``fsm/records.py``, and the plain
#: attrs declaration that compiles them instead (the alternative ``records.py`` must keep paying against).
RECORDS = "@methods\n@attrs.frozen(kw_only=True, eq=False, repr=False)\n"
PLAIN_ATTRS = "@attrs.frozen(kw_only=True)\n"


def attrs_copy(into: Path) -> int:
    """Copy the ``fsm`` package into ``into`` with every ``records.methods`` attrs class declared the plain
    attrs way (attrs compiles its ``__eq__``, ``__hash__``, ``__repr__``); return how many classes changed."""
    source = ROOT / "fsm"
    target = into / "fsm"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    changed = 0
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if RECORDS in text:
            changed += text.count(RECORDS)
            path.write_text(text.replace(RECORDS, PLAIN_ATTRS), encoding="utf-8")
    return changed


def measure(repeat: int) -> dict[str, object]:
    deps: list[float] = []
    own: list[float] = []
    plain: list[float] = []
    loaded: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fsm-bench-pycache-") as cache, \
            tempfile.TemporaryDirectory(prefix="fsm-bench-attrs-") as copy:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        classes = attrs_copy(Path(copy))
        plain_env = dict(env, PYTHONPATH=os.pathsep.join(p for p in (copy, os.environ.get("PYTHONPATH")) if p))
        for where, probe_env in ((ROOT, env), (Path(copy), plain_env)):  # each side imports the fsm it names
            if not _fsm_file(probe_env).startswith(str(where)):
                raise RuntimeError(f"import fsm does not load the fsm under {where}")
        _sample(DEPENDENCIES, env)  # warm the bytecode caches
        _sample("fsm", env)
        _sample("fsm", plain_env)
        for _ in range(repeat):
            deps.append(_sample(DEPENDENCIES, env)[0])
            seconds, loaded = _sample("fsm", env)
            own.append(seconds)
            plain.append(_sample("fsm", plain_env)[0])
    return {
        "dependencies_ms": statistics.median(deps) * 1e3,
        "fsm_ms": statistics.median(own) * 1e3,
        "fsm_attrs_methods_ms": statistics.median(plain) * 1e3,
        "attrs_classes": classes,
        "eager_optional_modules": loaded,
    }
