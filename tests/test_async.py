"""run_async: the same journeys as fsm.run, coroutine ports and persons, per-call timeouts, cancellation."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from typing import Any

import pytest

import fsm
from fsm.messages import Answer, Question
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import Simulator
from tests.helpers import ok

JOURNEYS: list[tuple[str, str, dict[str, Any], dict[str, list[Any]] | None, str]] = [
    ("enrollment", "new", {}, None, "enrolled"),
    ("enrollment", "new", {"method": "full"}, None, "enrolled"),
    ("enrollment", "new", {"platform": "ios", "sdk_version": "2.0.0"}, None, "enrolled"),
    ("enrollment", "existing-pin", {}, {"pinCode": ["111999"]}, "enrolled"),
    ("enrollment", "existing-pin", {}, {"pinCode": ["111999", fsm.FORGOT_PIN]}, "enrolled"),
    ("enrollment", "existing-pin", {}, {"pinCode": ["111999", "111998", "111997"]}, "failed"),
    ("enrollment", "enrolled", {}, None, "enrolled"),
    ("enrollment", "pin-blocked", {}, None, "enrolled"),
    ("enrollment", "forbidden-once", {}, None, "enrolled"),
    ("enrollment", "new", {}, {"phoneNumber": [fsm.CANCEL]}, "cancelled"),
    ("remove-enrollments", "enrolled", {}, None, "done"),
    ("reset-pin", "enrolled", {}, None, "done"),
    ("reset-pin", "new", {}, None, "failed"),
    ("update-pin", "enrolled", {}, None, "done"),
    ("modify-phone", "enrolled", {}, {"phoneNumber": ["0687654321"]}, "done"),
    ("modify-phone", "enrolled-no-phone", {}, None, "failed"),
    ("remove-vehicle", "enrolled", {}, None, "done"),
    ("remove-vehicle", "vehicle-otp", {}, None, "done"),
]


class AsyncPort:
    """The simulator behind coroutine methods, yielding to the loop on every call."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def get(self, api: str, parameters: Mapping[str, str]) -> Any:
        await asyncio.sleep(0)
        return self.sim.get(api, parameters)

    async def set(self, api: str, parameters: Mapping[str, str]) -> Any:
        await asyncio.sleep(0)
        return self.sim.set(api, parameters)


class AsyncPerson:
    def __init__(self, person: DemoPerson) -> None:
        self.person = person

    async def provide(self, question: Question) -> Answer:
        await asyncio.sleep(0)
        return self.person.provide(question)


async def no_sleep(_: float) -> None:
    return None


def journey(mode: str, flow: str, account: str, options: dict[str, Any],
            overrides: dict[str, list[Any]] | None) -> tuple[fsm.Outcome, Simulator]:
    sim = Simulator(account, rng=random.Random(3))
    person = DemoPerson(sim, overrides=overrides)
    if mode == "sync":
        return fsm.run(flow, port=sim, person=person, sleep=lambda _: None, rng=random.Random(1), **options), sim
    if mode == "async":
        port: Any = AsyncPort(sim)
        who: Any = AsyncPerson(person)
    else:  # "async-with-sync-seams": plain port and person under run_async
        port, who = sim, person
    run = fsm.run_async(flow, port=port, person=who, sleep=no_sleep, rng=random.Random(1), timeout=30, **options)
    return asyncio.run(run), sim


@pytest.mark.parametrize("mode", ["sync", "async", "async-with-sync-seams"])
@pytest.mark.parametrize(("flow", "account", "options", "overrides", "end"), JOURNEYS)
def test_the_same_journeys_end_the_same_way(mode: str, flow: str, account: str, options: dict[str, Any],
                                            overrides: dict[str, list[Any]] | None, end: str) -> None:
    """Every journey ends in the expected state, with the same trace and SDK calls in every mode."""
    out, sim = journey(mode, flow, account, options, overrides)
    assert out.state == end
    reference, ref_sim = journey("sync", flow, account, options, overrides)
    assert (out.trace, sim.calls) == (reference.trace, ref_sim.calls)


class Slow:
    """A port whose first ``hangs`` calls never answer."""

    def __init__(self, hangs: int) -> None:
        self.hangs = hangs
        self.calls = 0

    async def get(self, api: str, parameters: Mapping[str, str]) -> Any:
        self.calls += 1
        if self.calls <= self.hangs:
            await asyncio.Event().wait()
        return ok(isDeviceActivated=True)

    set = get


def test_a_call_that_times_out_is_a_transient_failure_and_is_retried() -> None:
    """The per-call timeout fires: TimeoutError, retried by the table (PROTOCOL: transient)."""
    port = Slow(hangs=2)
    out = asyncio.run(fsm.run_async("enrollment", port=port, person=None, timeout=0.01, sleep=no_sleep))
    assert (out.state, port.calls) == ("enrolled", 3)
    assert [t.outcome for t in out.trace] == ["transient", "transient", "activated"]


def test_timeouts_beyond_the_retry_budget_end_failed_and_leave_no_task() -> None:
    port = Slow(hangs=10)

    async def main() -> tuple[fsm.Outcome, int]:
        out = await fsm.run_async("enrollment", port=port, person=None, timeout=0.01, sleep=no_sleep)
        return out, len(asyncio.all_tasks())

    out, tasks = asyncio.run(main())
    assert (out.state, out.cause, port.calls, tasks) == ("failed", "transient_retries_exhausted", 3, 1)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "1", True])
def test_a_nonsense_timeout_is_refused(bad: Any) -> None:
    with pytest.raises(fsm.OptionError):
        asyncio.run(fsm.run_async("enrollment", port=Slow(0), person=None, timeout=bad))


def test_cancellation_propagates_and_leaves_the_flow_consistent_and_snapshottable() -> None:
    """Cancel while the call of step 8 is under way: CancelledError, the flow still at 8, resumable."""
    started = asyncio.Event()

    class Hanging:
        async def get(self, api: str, parameters: Mapping[str, str]) -> Any:
            started.set()
            await asyncio.Event().wait()

        set = get

    f = fsm.start("enrollment")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber="0612345678"),
                    ok()):
        f.receive(message)
    f.answer("551907")
    f.receive(ok(status="AlreadyEnrolled"))

    class Person:
        async def provide(self, question: Question) -> Answer:
            return "902718"

    async def main() -> None:
        task = asyncio.create_task(fsm.run_async(f, port=Hanging(), person=Person(), sleep=no_sleep))
        await started.wait()
        before = json.dumps(f.snapshot())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert json.dumps(f.snapshot()) == before

    asyncio.run(main())
    assert (f.state, f.counters[f.spec.counters.index(f.spec.counter("pin_attempts"))]) == ("8", 1)
    assert "902718" not in json.dumps(f.snapshot())
    g = fsm.resume(f.snapshot())
    assert g.state == "8:pinCode"  # the PIN is asked again; the attempt stays counted


def test_cancellation_during_a_question_or_a_backoff_changes_nothing() -> None:
    asked = asyncio.Event()

    class Person:
        async def provide(self, question: Question) -> Answer:
            asked.set()
            await asyncio.Event().wait()
            return "x"

    f = fsm.start("remove-vehicle")

    async def main() -> None:
        task = asyncio.create_task(fsm.run_async(f, port=Slow(0), person=Person()))
        await asked.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert (f.state, f.trace, f.counters) == ("E:vin", [], [0] * len(f.counters))


def test_backoff_waits_through_the_injected_sleep_with_jitter_and_a_cap() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    class Flaky:
        async def get(self, api: str, parameters: Mapping[str, str]) -> Any:
            raise ConnectionError("down")

        set = get

    backoff = fsm.Backoff(base=1.0, cap=1.5)
    out = asyncio.run(fsm.run_async("enrollment", port=Flaky(), person=None, sleep=sleep, backoff=backoff,
                                    rng=random.Random(5), max_transient_retries=5))
    assert out.cause == "transient_retries_exhausted"
    assert len(waits) == 5 and all(0 <= w <= 1.5 for w in waits) and len(set(waits)) == 5


def test_options_with_a_started_flow_are_refused() -> None:
    with pytest.raises(TypeError):
        asyncio.run(fsm.run_async(fsm.start("enrollment"), port=Slow(0), person=None, platform="ios"))
