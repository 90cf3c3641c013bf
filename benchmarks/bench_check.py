"""Benchmark of the model checker (not a test): states, transitions, time, transitions/s.

    python benchmarks/bench_check.py            # all six flows at default bounds, then max_pin_attempts 3/30/300

"transitions" are (configuration, answer of the environment) pairs explored, with the PIN, restart and
retry monitors; "machine" counts the moves made by the real machine (the others are learned moves
replayed on configurations alike, see fsm/explore.py). Time per configuration is flat, and the number of
configurations of enrollment and update-pin grows linearly with max_pin_attempts (pin_attempts is the only
counter with that bound: same_pin is bounded by max_code_attempts); the other flows do not submit a PIN
more than once and stay the same size. A check stops at LIMIT configurations. The defaults are timed as
the best of ROUNDS runs (the first one in a process also builds each flow's machine).
"""

from __future__ import annotations

import sys
import time

from fsm.check import check, stderr_progress
from fsm.flows import FLOWS
from fsm.options import make_options

#: Stop a check after this many configurations (enrollment at max_pin_attempts=300 has 955,509).
LIMIT = 1_000_000
#: Runs of each check at the default bounds; the fastest is shown.
ROUNDS = 5


def row(label: str, name: str, rounds: int = 1, **options: int) -> tuple[int, float]:
    seconds = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        r = check(name, make_options(**options), limit=LIMIT, progress=stderr_progress)
        print("\r\033[K", end="", file=sys.stderr)
        seconds = min(seconds, time.perf_counter() - started)
    rate = r.transitions / seconds if seconds else 0.0
    longest = "-" if r.skipped else "cycle" if r.longest is None else str(r.longest)
    print(f"{label:<22} {name:<19} {r.configurations:>9} {r.transitions:>10} {r.machine_steps:>8} "
          f"{longest:>7} {seconds:>8.3f} {rate:>12,.0f}  {r.skipped or ('ok' if r.ok else 'VIOLATED')}")
    return r.transitions, seconds


def main() -> int:
    head = (f"{'bounds':<22} {'flow':<19} {'configs':>9} {'transitions':>10} {'machine':>8} {'longest':>7} "
            f"{'seconds':>8} {'transitions/s':>12}")
    print(head)
    total_t = total_s = 0.0
    for name in FLOWS:
        t, s = row("defaults", name, ROUNDS)
        total_t += t
        total_s += s
    print(f"{'defaults':<22} {'ALL SIX':<19} {'':>9} {int(total_t):>10} {'':>8} {'':>7} {total_s:>8.3f} "
          f"{total_t / total_s:>12,.0f}")
    print()
    print("scaling with max_pin_attempts (3, 30, 300):")
    print(head)
    pins = [int(a) for a in sys.argv[1:]] or [3, 30, 300]
    for name in FLOWS:
        for n in pins:
            row(f"max_pin_attempts={n}", name, max_pin_attempts=n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
