"""Running: copies of the repository, the suite once under coverage, then each mutant in a copy.

The repository's own files are never written. Each worker owns a copy under a temporary directory; a mutant is
written into the copy, its tests run there (``nice``d, ``pytest -x``, a timeout), and the file is put back.
Every write gives the file an mtime of its own, so Python never reuses a ``.pyc`` compiled from another version
(a ``.pyc`` is keyed by the source's mtime and size, and ``<`` -> ``>`` keeps the size).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tools.mutate.finder import Mutant
from tools.mutate.plugin import ENV_ORDER, ENV_RECORD

#: Lines of ``pytest -rfE`` that name the failing test (or the module that failed to import).
_KILLER = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)
#: Every run may take this long on top of its tests' time (interpreter, imports, collection).
SLACK_SECONDS = 15.0


def _nice(*args: str) -> list[str]:
    return ["nice", "-n", "10", sys.executable, *args]


def copy_repository(root: Path, dest: Path) -> None:
    """The repository's files (tracked, and new ones git does not ignore) copied into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607  # git from PATH
        cwd=root, check=True, capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        src = root / raw.decode()
        if raw and src.is_file():
            out = dest / raw.decode()
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out)
    # What the suite needs that git ignores, read only: js/'s installed packages (the XState tests and benchmark).
    for needed in ("js/node_modules",):
        if (root / needed).is_dir() and (dest / needed).parent.is_dir():
            (dest / needed).symlink_to(root / needed, target_is_directory=True)


@dataclass
class Worker:
    """A copy of the repository where one mutant at a time is written and tested."""

    copy: Path
    originals: dict[str, bytes]  #: the unmutated bytes of each file under test
    clock: int = field(default_factory=lambda: int(time.time()) + 10_000_000)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.copy)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["HYPOTHESIS_PROFILE"] = "mutation"
        return env

    def write(self, rel: str, content: bytes) -> None:
        self.clock += 1
        path = self.copy / rel
        path.write_bytes(content)
        os.utime(path, (self.clock, self.clock))

    def imports_itself(self) -> bool:
        """True when ``import fsm`` in the copy loads the copy's fsm (not the worktree's editable install)."""
        where = subprocess.run(
            [sys.executable, "-c", "import fsm, sys; sys.stdout.write(fsm.__file__ or '')"],
            cwd=self.copy, env=self.env(), capture_output=True, text=True, check=True,
        ).stdout
        return Path(where).resolve().is_relative_to(self.copy.resolve())


@dataclass
class Baseline:
    """What the suite run under coverage says: its tests, their durations, and which tests run each line."""

    durations: dict[str, float]
    contexts: dict[str, dict[int, set[str]]]  #: file -> line -> test node ids ("" for code run at import)
    seconds: float
    failed: str = ""  #: the end of pytest's output when the suite did not pass unmutated


def run_baseline(worker: Worker, files: list[str]) -> Baseline:
    """Run the whole suite once in ``worker``'s copy under coverage, one context per test."""
    record = worker.copy / ".mutate-record.json"
    data_file = worker.copy / ".mutate-coverage"
    env = worker.env()
    env[ENV_RECORD] = str(record)
    include = ",".join(str(worker.copy / f) for f in files)
    cmd = _nice("-m", "coverage", "run", f"--data-file={data_file}", f"--include={include}",
                "-m", "pytest", "-p", "no:cacheprovider", "-p", "tools.mutate.plugin", "-q", "--tb=short")
    began = time.monotonic()
    done = subprocess.run(cmd, cwd=worker.copy, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # fixed argv
    seconds = time.monotonic() - began
    if done.returncode != 0:
        return Baseline({}, {}, seconds, failed=(done.stdout + done.stderr)[-4000:])
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    contexts: dict[str, dict[int, set[str]]] = {}
    for measured in data.measured_files():
        rel = Path(measured).resolve().relative_to(worker.copy.resolve()).as_posix()
        by_line = data.contexts_by_lineno(measured)
        contexts[rel] = {line: set(ctx) for line, ctx in by_line.items()}
    durations = {k: float(v) for k, v in json.loads(record.read_text())["durations"].items()}
    return Baseline(durations, contexts, seconds)


@dataclass
class Result:
    mutant: Mutant
    #: killed, timeout (counted as killed), survived, uncovered (no test runs the line), equivalent, error.
    status: str
    seconds: float = 0.0
    killer: str = ""
    tests: int = 0
    detail: str = ""


class Runner:
    """Runs mutants on a pool of workers (one mutant per worker at a time), tests chosen by coverage."""

    def __init__(
        self, baseline: Baseline, workers: list[Worker], *, timeout_factor: float, confirm: bool,
        not_oracles: Iterable[str] = (), last: Iterable[str] = (), max_test_seconds: float = 0.0,
    ) -> None:
        self.baseline = baseline
        self.confirm = confirm
        self.free = list(workers)
        self.lock = threading.Lock()
        self.kills: Counter[str] = Counter()
        self.timeout_factor = timeout_factor
        self.running: set[subprocess.Popen[str]] = set()
        self.stopping = False
        skip = tuple(not_oracles)
        #: Tests run after every other (``--last``): a mutant killed by one of them only is told apart.
        self.last = tuple(last)
        #: Tests slower than ``max_test_seconds`` (under coverage) judge no mutant: the scores are then a floor.
        self.too_slow = sorted(t for t, d in baseline.durations.items() if max_test_seconds and d > max_test_seconds)
        slow = set(self.too_slow)
        self.quickest_first = [
            t for t in sorted(baseline.durations, key=lambda t: baseline.durations[t])
            if not t.startswith(skip) and t not in slow
        ]

    def stop(self) -> None:
        """Kill every run under way (their process groups) and start no other."""
        with self.lock:
            self.stopping = True
            running = list(self.running)
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def tests_for(self, m: Mutant) -> list[str]:
        """The tests that ran the mutated statement; for code run at import, every other test after them.

        Within each group the tests that killed most mutants so far come first, then the quickest.
        """
        by_line = self.baseline.contexts.get(m.file, {})
        ran: set[str] = set()
        for line in range(m.lines[0], m.lines[1] + 1):
            ran |= by_line.get(line, set())
        covering = [t for t in self.quickest_first if t in ran]
        if not (m.import_time or "" in ran):
            return self.killers_first(covering)
        chosen = self.killers_first(covering) + self.killers_first([t for t in self.quickest_first if t not in ran])
        if not self.last:
            return chosen
        return [t for t in chosen if not t.startswith(self.last)] + [t for t in chosen if t.startswith(self.last)]

    def killers_first(self, tests: list[str]) -> list[str]:
        """``tests`` with the ones that killed most mutants so far first (the ``last`` ones after all)."""
        with self.lock:
            kills = dict(self.kills)
        return sorted(tests, key=lambda t: (t.startswith(self.last) if self.last else False, -kills.get(t, 0)))

    def by_last_only(self, r: Result) -> bool:
        """True when ``r`` was killed by one of the ``last`` tests (so by none of the others that ran first)."""
        return bool(self.last) and r.status == "killed" and r.killer.startswith(self.last)

    def run(self, m: Mutant) -> Result:
        """Run ``m`` against the tests that ran its line; a survivor is then run against every other test.

        The second run matters: a function whose result is cached (a memoised question, a compiled machine)
        runs its lines in the first test that needs it only, and later tests use what it made.
        """
        tests = self.tests_for(m)
        if not tests and not self.confirm:
            return Result(m, "uncovered", detail="no test runs this line")
        with self.lock:
            if self.stopping:
                return Result(m, "error", detail="stopped")
            worker = self.free.pop()
        try:
            first = self.run_in(worker, m, tests) if tests else Result(m, "uncovered")
            if first.status not in ("survived", "uncovered") or not self.confirm:
                return first
            ran = set(tests)
            rest = self.killers_first([t for t in self.quickest_first if t not in ran])
            if not rest:
                return first
            second = self.run_in(worker, m, rest)
            second.seconds += first.seconds
            second.tests += first.tests
            if second.status == "killed":
                second.detail = "by a test that does not run the line (its result is cached, or made at import)"
            elif first.status == "uncovered":
                second.status, second.detail = "uncovered", "no test runs this line"
            return second
        finally:
            with self.lock:
                self.free.append(worker)

    def run_in(self, worker: Worker, m: Mutant, tests: list[str]) -> Result:
        order = worker.copy / ".mutate-order"
        order.write_text("\n".join(tests) + "\n")
        env = worker.env()
        env[ENV_ORDER] = str(order)
        files = sorted({t.split("::", 1)[0] for t in tests})
        timeout = SLACK_SECONDS + self.timeout_factor * sum(self.baseline.durations[t] for t in tests)
        cmd = _nice("-m", "pytest", "-p", "no:cacheprovider", "-p", "tools.mutate.plugin", "-x", "-q",
                    "--tb=no", "-rfE", *files)
        original = worker.originals[m.file]
        worker.write(m.file, m.apply(original))
        began = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, cwd=worker.copy, env=env,  # noqa: S603  # fixed argv, our own tests
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)  # its own process group, killed whole on timeout
            with self.lock:
                self.running.add(proc)
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                return Result(m, "timeout", time.monotonic() - began, tests=len(tests),
                              detail=f"no answer in {timeout:.0f} s")
            finally:
                with self.lock:
                    self.running.discard(proc)
        finally:
            worker.write(m.file, original)
        seconds = time.monotonic() - began
        code = proc.returncode
        if code == 0:
            return Result(m, "survived", seconds, tests=len(tests))
        if code in (1, 2, 3) or code < 0:  # tests failed, collection (import) failed, internal error, killed
            killer = next(iter(_KILLER.findall(out)), "") or f"pytest exit {code}"
            with self.lock:
                self.kills[killer] += 1
            return Result(m, "killed", seconds, killer=killer, tests=len(tests))
        return Result(m, "error", seconds, tests=len(tests), detail=f"pytest exit {code}: {out[-600:]}")
