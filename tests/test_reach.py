"""fsm.reach derives the reachable configurations from the table; the oracle is the real machine.

The model checker's explorer moves ``fsm.machine.Flow`` itself under every answer the world can give; the
configurations it reaches, seen as (state, counters, which kept slots hold a value), must be exactly those
``fsm.reach`` computes from the table without running the machine.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import fsm
from fsm.explore import Explorer
from fsm.options import make_options
from fsm.reach import is_reachable, reachable
from fsm.resumption import kept_slots
from tests.helpers import reached_when_resumed, reached_with_slots

VARIANTS: list[dict[str, Any]] = [
    {}, {"platform": "ios"}, {"method": "full"}, {"sdk_version": "2.0.0"},
    {"max_restarts": 0, "max_transient_retries": 0}, {"max_pin_attempts": 1, "max_code_attempts": 1},
    {"max_pin_attempts": 5, "max_restarts": 2},
]
CASES = [(name, v) for name in fsm.FLOWS for v in VARIANTS
         if not (name == "remove-vehicle" and v.get("sdk_version") == "2.0.0")]


def machine_configurations(name: str, options: dict[str, Any]) -> set[tuple[str, tuple[int, ...], frozenset[str]]]:
    """What the real machine reaches, with the kept slots that hold a value (see tests.helpers)."""
    ex = Explorer(name, make_options(**options))
    return reached_with_slots(ex, kept_slots(ex.spec))


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_the_table_reaches_what_the_machine_reaches(name: str, options: dict[str, Any]) -> None:
    assert reachable(fsm.FLOWS[name], make_options(**options), resumed=False) == machine_configurations(
        name, options)


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_runs_saved_and_resumed_reach_what_the_machine_and_resume_reach(name: str, options: dict[str, Any]) -> None:
    """A run may be saved and resumed any number of times (a resumed flow's own snapshot must resume too):
    the table's walk with pick-ups equals the real machine moved on from what fsm.resume gives back."""
    ex = Explorer(name, make_options(**options))
    assert reachable(fsm.FLOWS[name], make_options(**options)) == reached_when_resumed(ex, kept_slots(ex.spec))


@pytest.mark.parametrize("name", list(fsm.FLOWS))
def test_is_reachable_agrees_with_the_whole_set_and_refuses_its_neighbours(name: str) -> None:
    """The pruned search (only below the configuration's own counts) answers as the full set does, for every
    reachable configuration and every neighbour: a counter one up or down, a slot held or not."""
    spec = fsm.FLOWS[name]
    options = make_options(max_pin_attempts=4)
    every = reachable(spec, options)
    slots = sorted(kept_slots(spec))
    checked = 0
    for state, counters, held in sorted(every, key=repr)[:400]:
        assert is_reachable(spec, options, state, counters, held)
        for i, delta in itertools.product(range(len(counters)), (-1, 1)):
            moved = list(counters)
            moved[i] += delta
            if moved[i] >= 0:
                assert is_reachable(spec, options, state, moved, held) == ((state, tuple(moved), held) in every)
                checked += 1
        for slot in slots:
            other = held ^ {slot}
            assert is_reachable(spec, options, state, counters, other) == ((state, counters, other) in every)
    assert checked > 0


def test_is_reachable_refuses_what_is_not_a_configuration_of_the_flow() -> None:
    spec = fsm.FLOWS["enrollment"]
    options = make_options()
    zeros = [0] * len(spec.counters)
    assert is_reachable(spec, options, "1", zeros, set())
    assert not is_reachable(spec, options, "nowhere", zeros, set())
    assert not is_reachable(spec, options, "1", [*zeros, 0], set())
    assert not is_reachable(spec, options, "1", zeros, {"vin"})
    assert not is_reachable(spec, options, "1", zeros, {"phoneNumber"})


@pytest.mark.parametrize(("state", "counter", "value", "expected"), [
    # Step 8 counts the PIN when it is sent: it is never reached with none counted, and at most at the bound.
    ("8", "pin_attempts", 0, False), ("8", "pin_attempts", 1, True), ("8", "pin_attempts", 3, True),
    # The PIN question of step 8, and B reached from it, always leave a submission: never at the bound.
    ("8:pinCode", "pin_attempts", 2, True), ("8:pinCode", "pin_attempts", 3, False),
    ("B:request", "pin_attempts", 3, False), ("B", "pin_attempts", 3, False),
    # A is entered counting a pass (write-ahead).
    ("A", "restarts", 0, False), ("A", "restarts", 1, True),
])
def test_bounds_the_protocol_implies_hold_in_the_reachable_set(state: str, counter: str, value: int,
                                                               expected: bool) -> None:
    """PROTOCOL.md: at most max_pin_attempts PIN submissions, at most max_restarts passes through A; written
    here from the protocol's words, not read from the table."""
    spec = fsm.FLOWS["enrollment"]
    names = [c.name for c in spec.counters]
    found = any(s == state and c[names.index(counter)] == value for s, c, _ in reachable(spec, make_options()))
    assert found == expected


@pytest.mark.parametrize("bounds", [
    {"max_code_attempts": 1000},
    {"max_pin_attempts": 1000, "max_code_attempts": 1000, "max_restarts": 100, "max_transient_retries": 100},
])
def test_the_largest_bounds_resume_without_walking_every_count(bounds: dict[str, int]) -> None:
    """Per-call counts (invalid answers in a row, retries) are not walked value by value, and growing ones only
    up to what the configuration holds: a fresh flow under the largest bounds resumes (it once overflowed)."""
    f = fsm.start("enrollment", **bounds)
    assert fsm.resume(f.snapshot()).state == "1"
    retries = f.options.max_transient_retries
    for _ in range(retries):
        f.receive_exception(ConnectionError())
    assert (f.state, f.counters[0]) == ("1", retries)
    assert fsm.resume(f.snapshot()).counters[0] == retries
