"""No secret in any frame: every way an exception leaves fsm while a PIN, an SMS code or an OTP is about,
rendered the way hosts log exceptions — ``traceback.TracebackException(capture_locals=True)`` and structlog's
``dict_tracebacks`` with locals shown (long strings not cut) — holds no canary in fsm's own frames, and none
at all where the host's own code held none.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

import pytest
from structlog.tracebacks import ExceptionDictTransformer

import fsm
from fsm.ports.persons import DemoPerson
from fsm.transcript import Recorder
from tests.helpers import ok
from tests.test_secrets import JOURNEYS, NEW_PIN, OTP, PIN, SMS, CanarySim, assert_clean

#: Messages holding every canary where an SDK might: a secret result field, an echoed request, a label.
HOSTILE = [
    {"transactionId": "t1", "status": "SUCCEEDED", "result": {"isDeviceActivated": "x", "otp": OTP, "note": PIN}},
    {"transactionId": "t2", "status": "SUCCEEDED", "result": {"otp": OTP * 1000}, "debug": {"pinCode": PIN}},
    {"transactionId": "t3", "status": f"PIN {PIN}"},
    {"transactionId": "t4", "status": "FAILED", "error": {"code": f"{PIN}x", "label": f"pin={PIN} sms={SMS}"}},
    {"transactionId": "t5", "status": "SUCCEEDED", "result": {"isDeviceActivated": True}, "error": {"label": PIN}},
    {"transactionId": PIN * 50, "status": "SUCCEEDED", "request": {"smsCode": SMS, "newPIN": NEW_PIN}},
    [PIN, SMS], PIN,
]


def renderings(exc: BaseException) -> Iterator[tuple[str, str]]:
    """(rendering, fsm frames only) for both renderers, exception chains included."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, capture_locals=True)
    yield "".join(te.format()), "".join(
        f"{frame.filename}:{frame.name} {frame.locals}" for frame in te.stack if "/fsm/" in frame.filename)
    info = (type(exc), exc, exc.__traceback__)
    stacks = ExceptionDictTransformer(show_locals=True, locals_max_string=100_000, locals_max_length=1000,
                                      use_rich=False)(info)
    frames = [frame for stack in stacks for frame in stack["frames"]]
    assert frames and any(frame.get("locals") for frame in frames)  # locals were rendered
    yield json.dumps(stacks, default=repr), json.dumps(
        [frame for frame in frames if "/fsm/" in frame["filename"]], default=repr)


def assert_no_canary(exc: BaseException, *, host_held_one: bool = False) -> None:
    for whole, ours in renderings(exc):
        assert_clean("fsm's frames in a rendered traceback", ours)
        if not host_held_one:
            assert_clean("a rendered traceback", whole)


def caught(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except BaseException as exc:  # any escape is what is rendered
        return exc
    raise AssertionError("nothing was raised")


def flow_at(state: str) -> fsm.Flow:
    """An enrollment moved honestly to ``state`` (8, 8:pinCode or 6) with canary secrets."""
    f = fsm.start("enrollment")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber="0612345678"),
                    ok()):
        f.receive(message)
    if state == "6:smsCode":
        return f
    f.answer(SMS)
    if state == "6":
        return f
    f.receive(ok(status="AlreadyEnrolled"))
    if state == "8:pinCode":
        return f
    f.answer(PIN)
    assert f.state == "8"
    return f


@pytest.mark.parametrize("message", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("state", ["8", "6", "8:pinCode"])
def test_receive_refusing_a_message_keeps_no_secret_in_its_frames(state: str, message: object) -> None:
    """Malformed (at a call) or unexpected (at a question) messages holding canaries: MalformedMessage or
    FlowStateError, with the message gone from every frame."""
    f = flow_at(state)
    refused: fsm.FsmError | None = None
    try:
        f.receive(message)
    except fsm.FsmError as exc:
        refused = exc
    if refused is None:  # well formed for this step (step 8 reads no result field): taken
        assert f.state != state
        return
    assert isinstance(refused, fsm.MalformedMessage | fsm.FlowStateError)
    assert_no_canary(refused, host_held_one=True)  # this test's own frame holds the message


def test_a_stale_message_holding_canaries_keeps_no_secret_in_its_frames() -> None:
    def again() -> dict[str, Any]:
        return {"transactionId": "again", "status": "FAILED", "error": {"code": 2308, "label": f"pin {PIN}"},
                "result": {"otp": OTP}}

    f = flow_at("8")
    f.receive(again())
    f.answer(PIN)
    exc = caught(lambda: f.receive(again()))  # no frame of this test holds the message either
    assert isinstance(exc, fsm.StaleMessage)
    assert_no_canary(exc)


@pytest.mark.parametrize("answer", [PIN, fsm.Secret(PIN), SMS, NEW_PIN])
def test_an_answer_refused_keeps_no_secret_in_its_frames(answer: object) -> None:
    """An answer while a call is outstanding, or after the end: FlowStateError, the answer in no frame."""
    exc = caught(lambda: flow_at("8").answer(answer))
    assert isinstance(exc, fsm.FlowStateError)
    assert_no_canary(exc, host_held_one=True)  # the host's own frame (this lambda) holds what it passed
    done = fsm.start("enrollment")
    done.receive(ok(isDeviceActivated=True))
    exc = caught(lambda: done.answer(answer))
    assert_no_canary(exc, host_held_one=True)


class Stop(Exception):
    """The host's on_step hook fails (a full disk while persisting the snapshot, say)."""


@pytest.mark.parametrize(("flow", "account", "options", "overrides"), JOURNEYS)
def test_on_step_raising_at_any_step_leaves_no_secret_in_the_runner_frames(
    flow: str, account: str, options: dict[str, Any], overrides: Mapping[str, list[Any]] | None,
) -> None:
    """The hook raises after each step in turn (the PIN just given, the OTP just received): fsm.run's and
    fsm.run_async's frames hold neither, nor does the Recorder's."""
    steps = 0

    def count(_: fsm.Flow) -> None:
        nonlocal steps
        steps += 1

    sim = CanarySim(account)
    fsm.run(flow, port=sim, person=DemoPerson(sim, pin=PIN, new_pin=NEW_PIN, overrides=overrides),
            sleep=lambda _: None, on_step=count, **options)
    for k in range(1, steps + 1):
        seen = 0

        def stop_at_k(_: fsm.Flow, k: int = k) -> None:
            nonlocal seen
            seen += 1
            if seen == k:
                raise Stop("persisting failed")

        for runner in ("run", "run_async", "recorder"):
            seen = 0
            sim = CanarySim(account)
            person = DemoPerson(sim, pin=PIN, new_pin=NEW_PIN, overrides=overrides)
            if runner == "run":
                exc = caught(partial(fsm.run, flow, port=sim, person=person, sleep=lambda _: None,
                                     on_step=stop_at_k, **options))
            elif runner == "run_async":
                exc = caught(partial(asyncio.run, fsm.run_async(flow, port=sim, person=person, sleep=_no_wait,
                                                                on_step=stop_at_k, **options)))
            else:
                exc = caught(partial(Recorder(sim, person).run, flow, on_step=stop_at_k, **options))
            assert isinstance(exc, Stop)
            assert_no_canary(exc)


async def _no_wait(_: float) -> None:
    return None


class Killed(BaseException):
    """The OS stops the app while the port holds the PIN."""


def test_an_interrupt_inside_the_port_leaves_the_secret_only_in_the_hosts_frame() -> None:
    """A BaseException from the port propagates (not swallowed); the port's own frame (the host's code) holds
    the parameters it was given, fsm's frames do not."""

    class Port(CanarySim):
        def set(self, api: str, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
            if parameters and "pinCode" in parameters:
                raise Killed
            return super().set(api, parameters)

    for runner in (fsm.run, Recorder):
        sim = Port("existing-pin")
        person = DemoPerson(sim, pin=PIN)
        if runner is Recorder:
            exc = caught(partial(Recorder(sim, person).run, "enrollment"))
        else:
            exc = caught(partial(fsm.run, "enrollment", port=sim, person=person, sleep=lambda _: None))
        assert isinstance(exc, Killed)
        assert_no_canary(exc, host_held_one=True)


def test_a_port_exception_holding_the_pin_leaves_no_trace_in_a_later_failure() -> None:
    """The port raised RuntimeError(PIN); a hook then fails: the stand-in fsm kept names only the class."""

    class Port(CanarySim):
        def set(self, api: str, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
            if parameters and "pinCode" in parameters:
                raise RuntimeError(f"bad pin {parameters['pinCode']}")
            return super().set(api, parameters)

    def hook(f: fsm.Flow) -> None:
        if f.finished:
            raise Stop("after the end")

    sim = Port("existing-pin")
    exc = caught(lambda: fsm.run("enrollment", port=sim, person=DemoPerson(sim, pin=PIN), sleep=lambda _: None,
                                 on_step=hook))
    assert isinstance(exc, Stop)
    assert_no_canary(exc)


@pytest.mark.parametrize("text", [
    json.dumps({"version": 1, "flow": "enrollment", "state": PIN}),
    json.dumps({"version": 1, "flow": "enrollment", "options": {"platform": PIN}}),
    f'{{"pinCode": "{PIN}"',
])
def test_a_snapshot_refused_keeps_no_secret_in_its_frames(text: str) -> None:
    exc = caught(lambda: fsm.resume(text))
    assert isinstance(exc, fsm.SnapshotInvalid)
    assert_no_canary(exc, host_held_one=True)  # the host's lambda holds the text it passed


def test_the_renderings_would_show_a_secret_held_in_a_local() -> None:
    """The check itself can fail: a frame holding the PIN in a local is caught by both renderings."""

    def leaky(pin: str) -> None:
        raise RuntimeError("boom")

    exc = caught(lambda: leaky(PIN))
    with pytest.raises(AssertionError):
        assert_no_canary(exc)
