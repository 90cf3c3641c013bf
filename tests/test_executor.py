"""fsm.run never raises for anything the port or the person returns, and retries transient faults."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

import pytest

import fsm
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import Simulator


class Faulty:
    """The simulator, with a fault in place of chosen calls (by number, from 1)."""

    def __init__(self, sim: Simulator, faults: dict[int, Callable[[], Any]]) -> None:
        self.sim, self.faults, self.n = sim, faults, 0

    def _do(self, method: Callable[..., Any], api: str, parameters: Mapping[str, str]) -> Any:
        self.n += 1
        fault = self.faults.get(self.n)
        if fault is not None:
            return fault()
        return method(api, parameters)

    def get(self, api: str, parameters: Mapping[str, str]) -> Any:
        return self._do(self.sim.get, api, parameters)

    def set(self, api: str, parameters: Mapping[str, str]) -> Any:
        return self._do(self.sim.set, api, parameters)


def raise_(exc: BaseException) -> Callable[[], Any]:
    def f() -> Any:
        raise exc
    return f


def run_with(faults: dict[int, Callable[[], Any]], **options: Any) -> tuple[fsm.Outcome, list[float]]:
    sim = Simulator("existing-pin", rng=random.Random(3))
    slept: list[float] = []
    out = fsm.run("enrollment", port=Faulty(sim, faults), person=DemoPerson(sim), sleep=slept.append,
                  rng=random.Random(0), **options)
    return out, slept


def test_connection_and_timeout_errors_are_retried_with_backoff() -> None:
    """Transient port errors repeat the call after a jittered, capped wait; the run still enrolls."""
    out, slept = run_with({2: raise_(ConnectionError()), 3: raise_(TimeoutError())})
    assert out.state == "enrolled"
    assert len(slept) == 2
    backoff = fsm.Backoff()
    assert 0 <= slept[0] <= backoff.base
    assert 0 <= slept[1] <= 2 * backoff.base


def test_transient_codes_exhaust_into_failed_resumable_at_the_step() -> None:
    """Three 2202 in a row with 2 retries allowed: failed at that step, code 2202."""
    def no_internet() -> Any:
        return {"transactionId": f"t{random.random()}", "status": "FAILED", "error": {"code": 2202}}
    out, slept = run_with({2: no_internet, 3: no_internet, 4: no_internet})
    assert (out.state, out.error_code, out.cause) == ("failed", 2202, "transient_retries_exhausted")
    assert out.trace[-1].step == "2"
    assert len(slept) == 2


@pytest.mark.parametrize("bad", [None, [], "SUCCEEDED", b"{}", 7])
def test_a_port_returning_nonsense_ends_failed(bad: object) -> None:
    out, _ = run_with({1: lambda: bad})
    assert (out.state, out.cause) == ("failed", "malformed_message")
    assert "step 1" in out.reason


def test_an_arbitrary_port_exception_names_only_its_class() -> None:
    """A port error ends failed; the reason names the class, never the message (it may hold a PIN)."""
    out, _ = run_with({1: raise_(RuntimeError("bad pin 902718"))})
    assert (out.state, out.cause) == ("failed", "port_error")
    assert "RuntimeError" in out.reason
    assert "902718" not in repr(out)


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt):
        run_with({1: raise_(KeyboardInterrupt())})


def test_a_person_who_raises_or_answers_nonsense_ends_cancelled() -> None:
    """Invalid answers (wrong types, exceptions) are asked again, then the run is cancelled."""
    class Person:
        n = 0

        def provide(self, q: fsm.Question) -> Any:
            Person.n += 1
            if Person.n % 2:
                raise ValueError("ui crashed")
            return 424242  # an int: never converted

    out = fsm.run("enrollment", port=Simulator("existing-pin"), person=Person(), sleep=lambda _: None)
    assert (out.state, out.cause) == ("cancelled", "invalid_answers_exhausted")


def test_run_accepts_a_started_flow() -> None:
    sim = Simulator("enrolled")
    flow = fsm.start("enrollment", platform="ios")
    out = fsm.run(flow, port=sim, person=DemoPerson(sim))
    assert out.state == "enrolled"
    assert flow.outcome == out


def test_every_outcome_has_a_terminal_state_and_plain_reason() -> None:
    for flow in fsm.FLOWS:
        sim = Simulator("new")
        out = fsm.run(flow, port=sim, person=DemoPerson(sim), sleep=lambda _: None)
        assert out.state in ("enrolled", "done", "failed", "cancelled")
        assert out.reason
