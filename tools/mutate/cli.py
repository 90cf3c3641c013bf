"""``./dev mutate [MODULE ...]``: list the mutants, run them, print the report."""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tools.mutate import equivalents as eq
from tools.mutate import report
from tools.mutate.finder import Mutant, find_mutants
from tools.mutate.runner import Result, Runner, Worker, copy_repository, run_baseline

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODULES = ("fsm/messages.py", "fsm/secret.py", "fsm/snapshot.py", "fsm/classify.py", "fsm/flows")
EQUIVALENTS = "tools/mutation-equivalents.toml"
MAX_JOBS = 2
#: Tests left out of the mutants' runs, because what they compare with is a copy of the code under test, not an
#: oracle of its behaviour: a mutant they alone kill is one no behavioural test notices.
NOT_ORACLES: dict[str, str] = {
    "tests/test_mutate.py": "reads the mutated source itself as text",
    "tests/test_docs.py::test_reference_is_deterministic_and_committed": "the committed reference is the tables' copy",
    "tests/test_diagrams.py::test_committed_pictures_are_the_machine_transitions": "committed diagrams: a copy",
    "tests/test_diagrams.py::test_overview_edges_are_the_machine_edges_but_the_shared_ones": "committed: a copy",
    "tests/test_diagrams.py::test_committed_diagrams_are_fresh": "committed diagrams: a copy of the tables",
    "tests/test_diagrams.py::test_committed_svgs_are_fresh_where_they_can_be": "committed diagrams: a copy",
}


def target_files(names: Sequence[str]) -> list[str]:
    """Repository-relative ``.py`` files for module arguments (``fsm/messages.py``, ``fsm.messages``, ``fsm/flows``)."""
    files: list[str] = []
    for name in names or DEFAULT_MODULES:
        candidates = [ROOT / name, ROOT / (name.replace(".", "/") + ".py"), ROOT / name.replace(".", "/")]
        path = next((c for c in candidates if c.is_dir() or (c.is_file() and c.suffix == ".py")), None)
        if path is None:
            raise SystemExit(f"./dev mutate: no module {name!r} (give a path such as fsm/messages.py or fsm/flows)")
        for f in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            rel = f.resolve().relative_to(ROOT).as_posix()
            if rel not in files:
                files.append(rel)
    return files


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./dev mutate",
        description="Mutation testing of fsm modules: every small change to the code should fail a test. "
                    "Not run in CI.",
    )
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help="files or packages (fsm/messages.py, fsm.messages, fsm/flows); default: "
                             + " ".join(DEFAULT_MODULES))
    parser.add_argument("--jobs", "-j", type=int, default=MAX_JOBS, help=f"parallel runs, 1 to {MAX_JOBS}")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only the mutants whose 'file:line: original -> mutant' contains TEXT "
                             "(repeatable)")
    parser.add_argument("--check-equivalents", action="store_true",
                        help=f"run the mutants listed in {EQUIVALENTS} too, and report any a test kills")
    parser.add_argument("--timeout-factor", type=float, default=3.0,
                        help="a mutant's run may take 15 s plus this times its tests' time under coverage "
                             "(default 3)")
    parser.add_argument("--max-test-seconds", type=float, default=5.0, metavar="S",
                        help="leave the tests that took longer than S seconds in the coverage run out of the "
                             "mutants' runs (default 5; 0: none); the scores are then a floor")
    parser.add_argument("--quick", action="store_true",
                        help="do not run a survivor against the tests that do not run its line (quicker, but a "
                             "test that uses a cached result of the line is missed)")
    parser.add_argument("--last", action="append", default=[], metavar="TESTS",
                        help="run the tests whose node id starts with TESTS after every other test, and report the "
                             "score without them too (e.g. the tests a change adds: before and after in one run)")
    parser.add_argument("--rerun", metavar="FILE",
                        help="a --json FILE of an earlier run: keep the kills of the mutants still there (the "
                             "n-th of a file, scope and texts) and run only the others")
    parser.add_argument("--json", metavar="FILE", help="also write every result to FILE as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every result as it comes")
    args = parser.parse_args(argv)
    if not 1 <= args.jobs <= MAX_JOBS:
        parser.error(f"--jobs: 1 to {MAX_JOBS} (the machine is shared)")
    if args.rerun and not Path(args.rerun).is_file():
        parser.error(f"--rerun: no file {args.rerun}")
    if args.json and not Path(args.json).resolve().parent.is_dir():
        parser.error(f"--json: no directory {Path(args.json).resolve().parent}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    files = target_files(args.modules)
    try:
        listed_equivalents = eq.load(ROOT / EQUIVALENTS)
    except ValueError as exc:
        print(f"./dev mutate: {exc}", file=sys.stderr)
        return 2
    mutants = [m for f in files for m in find_mutants(f, (ROOT / f).read_bytes())]
    if args.only:
        mutants = [m for m in mutants if any(t in m.label(10**6) for t in args.only)]
    if args.list:
        for m in mutants:
            print(f"{m.label()}  [{m.operator}; {m.scope}]")
        print(f"{len(mutants)} mutants in {len(files)} files", file=sys.stderr)
        return 0
    equivalent: dict[Mutant, eq.Equivalent] = {}
    for m in mutants:
        match = next((e for e in listed_equivalents if e.matches(m)), None)
        if match is not None:
            equivalent[m] = match
    used = set(equivalent.values())
    stale = [] if args.only else [e for e in listed_equivalents if e.file in files and e not in used]

    earlier = _earlier(Path(args.rerun)) if args.rerun else {}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fsm-mutate-") as tmp:
        workers = []
        for i in range(args.jobs):
            copy = Path(tmp) / f"copy{i}"
            copy_repository(ROOT, copy)
            workers.append(Worker(copy, {f: (copy / f).read_bytes() for f in files}))
        if not workers[0].imports_itself():
            print("./dev mutate: the copy does not import its own fsm package", file=sys.stderr)
            return 2
        _say(f"{len(mutants)} mutants in {len(files)} files; running the suite once under coverage...")
        baseline = run_baseline(workers[0], files)
        if baseline.failed:
            sys.stderr.write(baseline.failed + "\n")
            print("./dev mutate: the suite does not pass unmutated; fix it first", file=sys.stderr)
            return 2
        _say(f"coverage run {report.minutes(baseline.seconds)} ({len(baseline.durations)} tests); "
             f"running {len(mutants) - (0 if args.check_equivalents else len(equivalent))} mutants "
             f"on {args.jobs} worker(s)")
        runner = Runner(baseline, workers, timeout_factor=args.timeout_factor, confirm=not args.quick,
                        not_oracles=NOT_ORACLES, last=args.last, max_test_seconds=args.max_test_seconds)
        if runner.too_slow:
            _say(f"left out of the mutants' runs: {len(runner.too_slow)} tests slower than {args.max_test_seconds} s "
                 f"under coverage ({', '.join(runner.too_slow[:5])}{', ...' if len(runner.too_slow) > 5 else ''})")
        previous = signal.signal(signal.SIGTERM, _interrupted)
        results: list[Result] = []
        interrupted = False
        try:
            for r in _run_all(runner, mutants, equivalent, check_equivalents=args.check_equivalents,
                              verbose=args.verbose, began=began, earlier=earlier):
                results.append(r)
        except KeyboardInterrupt:
            runner.stop()
            interrupted = True
            print(f"./dev mutate: interrupted after {len(results)} mutants; the report covers those only "
                  "(nothing was written to the repository)", file=sys.stderr)
        finally:
            signal.signal(signal.SIGTERM, previous)
    wall = time.monotonic() - began
    order = {id(m): i for i, m in enumerate(mutants)}
    results.sort(key=lambda r: order[id(r.mutant)])
    if args.json:
        Path(args.json).write_text(json.dumps([_as_json(r) for r in results], indent=1) + "\n")
    last_only = {id(r) for r in results if runner.by_last_only(r)}
    report.write(sys.stdout, results, files, stale, wall=wall, coverage_seconds=baseline.seconds, jobs=args.jobs,
                 equivalents_file=EQUIVALENTS, last_only=last_only if args.last else None, left_out=runner.too_slow)
    return 130 if interrupted else 0


_Key = tuple[str, str, str, str, int]


def _keys(items: Iterable[tuple[str, str, str, str]]) -> list[_Key]:
    """(file, scope, original, mutant, n): the n-th mutant with those four, so edits elsewhere keep the key."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    out = []
    for item in items:
        out.append((*item, seen[item]))
        seen[item] += 1
    return out


def _earlier(path: Path) -> dict[_Key, dict[str, object]]:
    """The results of an earlier ``--json`` run, by :func:`_keys`."""
    rows: list[dict[str, object]] = json.loads(path.read_text())
    keys = _keys((str(r["file"]), str(r["scope"]), str(r["original"]), str(r["mutant"])) for r in rows)
    return dict(zip(keys, rows, strict=True))


def _run_all(
    runner: Runner, mutants: list[Mutant], equivalent: dict[Mutant, eq.Equivalent], *, check_equivalents: bool,
    verbose: bool, began: float, earlier: dict[_Key, dict[str, object]],
) -> Iterator[Result]:
    todo: list[Mutant] = []
    for m, key in zip(mutants, _keys(m.key for m in mutants), strict=True):
        before = earlier.get(key)
        if m in equivalent and not check_equivalents:
            yield Result(m, "equivalent", detail=equivalent[m].why)
        elif before is not None and before["status"] in ("killed", "timeout"):
            yield Result(m, str(before["status"]), float(str(before["seconds"])), killer=str(before["killer"]),
                         detail="as in the earlier run")
        else:
            todo.append(m)
    survived = 0
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(runner.free))
    futures = [pool.submit(runner.run, m) for m in todo]
    try:
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            r = future.result()
            if r.mutant in equivalent:
                if r.status in ("killed", "timeout"):
                    r.status = "error"
                    r.detail = f"listed as equivalent, but {r.killer or 'a timeout'} kills it"
                else:
                    r.status, r.detail = "equivalent", equivalent[r.mutant].why
            if r.status in report.SURVIVED:
                survived += 1
            if verbose or r.status in report.SURVIVED:
                print(f"  {r.status:9} {r.mutant.label(120)}", file=sys.stderr, flush=True)
            if done % 25 == 0 or done == len(todo):
                _say(f"[{done}/{len(todo)}] {survived} survived so far, {report.minutes(time.monotonic() - began)}")
            yield r
    finally:
        if not all(f.done() for f in futures):  # interrupted: kill the runs under way, start no other
            runner.stop()
        pool.shutdown(wait=True, cancel_futures=True)


def _interrupted(*_: object) -> None:
    raise KeyboardInterrupt


def _as_json(r: Result) -> dict[str, object]:
    m = r.mutant
    return {
        "file": m.file, "line": m.line, "start": m.start, "scope": m.scope, "operator": m.operator,
        "original": m.original, "mutant": m.mutant, "status": r.status, "killer": r.killer,
        "seconds": round(r.seconds, 2), "tests": r.tests, "detail": r.detail,
    }


def _say(text: str) -> None:
    print(f"mutate: {text}", file=sys.stderr, flush=True)
