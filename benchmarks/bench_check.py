"""Benchmark of the model checker (not a test): configurations, transitions, time, transitions/s, and
fsm check side by side with SPIN.

    python benchmarks/bench_check.py            # all six flows at the defaults, every flow at max_pin_attempts
                                                # 3/30/300, then enrollment against SPIN at 3/30/300
    python benchmarks/bench_check.py 3 30       # other values of max_pin_attempts

"transitions" are (configuration, answer of the environment) pairs explored, with the PIN, restart and
retry monitors; "machine" counts the moves made by the real machine (the others are learned moves replayed
on configurations alike, see fsm/explore.py). Time per configuration is flat, and the number of
configurations of enrollment and update-pin grows linearly with max_pin_attempts (pin_attempts is the only
counter with that bound: same_pin is bounded by max_code_attempts); the other flows do not submit a PIN more
than once and stay the same size. A check stops at LIMIT configurations. The defaults are timed as the best of
ROUNDS runs (the first one in a process also builds each flow's machine).
"""

from __future__ import annotations

import sys

from benchmarks.checker import one, versus_spin
from fsm.flows import FLOWS

#: Stop a check after this many configurations (enrollment at max_pin_attempts=300 has 471,044).
LIMIT = 1_000_000
#: Runs of each check at the default bounds; the fastest is shown.
ROUNDS = 5


def row(label: str, name: str, rounds: int = 1, **options: int) -> tuple[int, float]:
    r = one(name, LIMIT, rounds, **options)
    print(f"{label:<22} {name:<19} {r['configurations']:>9} {r['transitions']:>10} {r['machine_steps']:>8} "
          f"{r['seconds']:>8.3f} {r['transitions_per_s']:>12,.0f}  {r['verdict']}")
    transitions, seconds = r["transitions"], r["seconds"]
    assert isinstance(transitions, int) and isinstance(seconds, float)
    return transitions, seconds


def main() -> int:
    head = (f"{'bounds':<22} {'flow':<19} {'configs':>9} {'transitions':>10} {'machine':>8} "
            f"{'seconds':>8} {'transitions/s':>12}")
    print(head)
    total_t = total_s = 0.0
    for name in FLOWS:
        t, s = row("defaults", name, ROUNDS)
        total_t += t
        total_s += s
    print(f"{'defaults':<22} {'ALL SIX':<19} {'':>9} {int(total_t):>10} {'':>8} {total_s:>8.3f} "
          f"{total_t / total_s:>12,.0f}")
    print()
    pins = tuple(int(a) for a in sys.argv[1:]) or (3, 30, 300)
    print(f"scaling with max_pin_attempts ({', '.join(map(str, pins))}):")
    print(head)
    for name in FLOWS:
        for n in pins:
            row(f"max_pin_attempts={n}", name, max_pin_attempts=n)
    print()
    rows = versus_spin("enrollment", pins, 3)
    if not rows:
        print("SPIN: spin or a C compiler is not on PATH (apt-get install spin gcc)")
    for v in rows:
        print(f"enrollment max_pin_attempts={v['max_pin_attempts']}: fsm check {v['fsm_seconds']:.3f} s; SPIN end "
              f"to end {v['spin_end_to_end']:.2f} s, searches {v['spin_safety']:.3f} + {v['spin_liveness']:.3f} s; "
              f"{v['configurations']} configurations, agree: {v['agree']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
