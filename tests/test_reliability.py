"""The catalogue of RELIABILITY.md, one test per case (A1 to G5); PROTOCOL.md wins where they differ.

Where the catalogue's suggestion and PROTOCOL.md differ, the docstring of the
case says which rule the test holds fsm to.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import pathlib
import random
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import structlog

import fsm
from fsm import spec
from fsm.machine import Flow
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import DEMO_PIN, Simulator
from fsm.secret import Secret
from fsm.transcript import STAND_IN
from tests import test_secrets as canary
from tests.helpers import at, counter, failed, ok

PIN, SMS = canary.PIN, canary.SMS
ROOT = pathlib.Path(__file__).resolve().parent.parent


def frozen(f: Flow) -> str:
    """Everything a flow holds, as text: equal before and after means unchanged."""
    return json.dumps([f.state, f.counters, sorted(f._seen), repr(f.values), len(f.trace), f._last, f._end])


def unchanged_after(f: Flow, action: Callable[[], object], error: type[BaseException]) -> BaseException:
    before = frozen(f)
    with pytest.raises(error) as caught:
        action()
    assert frozen(f) == before
    return caught.value


class Port:
    """The simulator, with a hook called before each call: it may raise or return a replacement answer."""

    def __init__(self, account: str = "existing-pin", hook: Callable[[str, str, Mapping[str, str]], Any] | None = None,
                 **sim: Any) -> None:
        self.sim = Simulator(account, rng=random.Random(3), **sim)
        self.hook = hook
        self.calls: list[tuple[str, str, str]] = []

    def _do(self, op: str, api: str, parameters: Mapping[str, str]) -> Any:
        self.calls.append((op, api, parameters.get("action") or parameters.get("type") or ""))
        if self.hook is not None:
            replaced = self.hook(op, api, parameters)
            if replaced is not None:
                return replaced
        return self.sim.get(api, parameters) if op == "get" else self.sim.set(api, parameters)

    def get(self, api: str, parameters: Mapping[str, str]) -> Any:
        return self._do("get", api, parameters)

    def set(self, api: str, parameters: Mapping[str, str]) -> Any:
        return self._do("set", api, parameters)


def go(port: Port, flow: str = "enrollment", person: Any = None, **options: Any) -> tuple[fsm.Outcome, list[float]]:
    slept: list[float] = []
    out = fsm.run(flow, port=port, person=person or DemoPerson(port.sim), sleep=slept.append,
                  rng=random.Random(0), **options)
    return out, slept


def raising(exc: BaseException, api: str, action: str | None = None) -> Callable[..., Any]:
    def hook(op: str, called: str, parameters: Mapping[str, str]) -> Any:
        if called == api and (action is None or action in parameters.values()):
            raise exc
        return None
    return hook


# -- A. Port faults ----------------------------------------------------------------------


def test_A1_connection_error_on_request_sms_is_retried_with_capped_jittered_backoff() -> None:
    """State unchanged by each failure (same step, one retry counted), bounded retries, then failed resumable."""
    f = at("enrollment", "5")
    f.receive_exception(ConnectionError("down"))
    assert (f.state, counter(f, "transient_retries")) == ("5", 1)
    out, slept = go(Port("phone", raising(ConnectionError(f"no route {PIN}"), "pims.authentication.smscode",
                                          "enrollment")), method="full")
    assert (out.state, out.cause, out.trace[-1].step) == ("failed", "transient_retries_exhausted", "5")
    assert len(slept) == 2 and all(0 <= s <= fsm.Backoff().cap for s in slept)
    assert PIN not in repr(out) + out.reason


def test_A2_connection_error_on_pin_submit_counts_the_attempt_once_and_never_counts_retries() -> None:
    """The PIN submission is counted when the call is made (write-ahead: it may have left the device).
    PROTOCOL.md wins over "no automatic resubmit": a transient failure repeats the same call, and the
    repeat is not counted again. When the retries run out the person is asked the PIN again on resume."""
    f = at("enrollment", "8:pinCode")
    f.answer(DEMO_PIN)
    assert (f.state, counter(f, "pin_attempts")) == ("8", 1)
    for _ in range(2):
        f.receive_exception(ConnectionError())
        assert (f.state, counter(f, "pin_attempts")) == ("8", 1)
    f.receive_exception(ConnectionError())
    out = f.outcome
    assert out is not None and (f.state, out.cause, out.resumable) == ("failed", "transient_retries_exhausted", True)
    g = fsm.resume(f.snapshot())  # resumable at step 8; the PIN was dropped, so it is asked again, still counted
    assert (g.state, counter(g, "pin_attempts"), counter(g, "transient_retries")) == ("8:pinCode", 1, 0)


def test_A3_timeout_is_transient_counted_once_and_leaves_no_task_running() -> None:
    """A port that never answers: the per-call deadline fires, TimeoutError is transient; no task is left."""

    class Never:
        async def get(self, api: str, parameters: Mapping[str, str]) -> Any:
            await asyncio.Event().wait()

        set = get

    async def main() -> tuple[fsm.Outcome, int]:
        f = at("enrollment", "8:pinCode")
        f.answer(DEMO_PIN)
        out = await fsm.run_async(f, port=Never(), person=None, timeout=0.001, sleep=canary_sleep)
        assert counter(f, "pin_attempts") == 1
        return out, len(asyncio.all_tasks())

    out, tasks = asyncio.run(main())
    assert (out.state, out.cause, tasks) == ("failed", "transient_retries_exhausted", 1)
    assert [t.outcome for t in out.trace[1:]] == ["transient"] * 3


async def canary_sleep(_: float) -> None:
    return None


class BadPin(RuntimeError):
    """A host's own exception (weakly referable, unlike the built-in ones)."""


def test_A4_an_arbitrary_exception_holding_the_pin_names_only_its_class_and_keeps_no_chain() -> None:
    exc = BadPin(f"bad pin {PIN}")
    try:
        raise exc from ValueError(PIN)
    except RuntimeError:
        pass
    port = Port(hook=raising(exc, "pims.authentication.enrollment"))
    kept = weakref.ref(exc)
    out, _ = go(port, person=DemoPerson(port.sim, pin=PIN))
    assert (out.state, out.cause, out.resumable) == ("failed", "port_error", False)
    assert out.reason == "failed at step 8: the port raised BadPin"
    del exc, port
    gc.collect()
    assert kept() is None  # fsm kept no reference to the exception, its text, its chain or its frames
    assert str(fsm.PortError("RuntimeError")) == "the port raised RuntimeError"
    canary.assert_clean("A4 outcome", repr(out) + out.reason + json.dumps([t.as_dict() for t in out.trace]))


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_A5_keyboard_interrupt_and_system_exit_propagate_and_the_flow_stays_consistent(
    exc: type[BaseException],
) -> None:
    port = Port(hook=raising(exc(), "pims.authentication.enrollment"))
    f = fsm.start("enrollment")
    with pytest.raises(exc):
        fsm.run(f, port=port, person=DemoPerson(port.sim), sleep=lambda _: None)
    assert (f.state, counter(f, "pin_attempts")) == ("8", 1)  # write-ahead: the submission is counted
    assert fsm.resume(json.dumps(f.snapshot())).state == "8:pinCode"


@pytest.mark.parametrize("bad", [None, [], ["SUCCEEDED"], '{"transactionId": "t", "status": "SUCCEEDED"}',
                                 b'{"status": "SUCCEEDED"}', 42])
def test_A6_a_port_returning_none_a_list_a_json_string_or_bytes_is_malformed(bad: object) -> None:
    """Flow.receive raises MalformedMessage and leaves the flow unchanged; fsm.run ends failed."""
    f = at("enrollment", "1")
    unchanged_after(f, lambda: f.receive(bad), fsm.MalformedMessage)
    out, _ = go(Port(hook=lambda *_: bad if bad is not None else [None]))
    assert (out.state, out.cause, out.trace[-1].step) == ("failed", "malformed_message", "1")


def test_A7_an_answer_delivered_inside_the_send_is_processed_like_a_later_one() -> None:
    """The sans-I/O flow has no transition under way while a call is out, so a re-entrant answer is safe."""

    def host(deliver_inside: bool) -> Flow:
        sim = Simulator("existing-pin", rng=random.Random(2))
        person = DemoPerson(sim)
        f = fsm.start("enrollment")
        pending: list[Any] = []

        def send(call: fsm.Call, callback: Callable[[Any], None]) -> None:
            answer = (sim.get if call.op == "get" else sim.set)(call.api, call.parameters)
            if deliver_inside:
                callback(answer)
            else:
                pending.append(answer)

        while (action := f.action) is not None:
            if isinstance(action, fsm.Call):
                send(action, f.receive)
                while pending:
                    f.receive(pending.pop())
            else:
                f.answer(person.provide(action))
        return f

    inside, later = host(True), host(False)
    assert inside.state == later.state == "enrolled"
    assert inside.trace == later.trace


@pytest.mark.parametrize(("exc", "cause"), [(ConnectionError(), "transient_retries_exhausted"),
                                            (RuntimeError("x"), "port_error")])
def test_A8_a_failing_removal_during_2317_recovery_never_restarts_the_enrollment(
    exc: Exception, cause: str
) -> None:
    """PROTOCOL.md: A is retried like any call (transient, bounded) and goes to 3 only on SUCCEEDED."""
    out, _ = go(Port("pin-blocked", raising(exc, "pims.authentication.enrollment", "remove")))
    assert (out.state, out.cause) == ("failed", cause)
    steps = [t.step for t in out.trace]
    assert steps[-1] == "A" and "3" not in steps


def test_A9_a_callback_that_raises_after_the_state_changed_leaves_no_half_entered_state() -> None:
    """PROTOCOL.md has no `error` state: a failing host logger cannot undo the edge taken (the flow goes
    on); an on_step hook that raises stops the run with the flow consistent and snapshottable."""

    class Broken:
        def info(self, *args: Any, **kw: Any) -> None:
            raise OSError("disk full")

    f = fsm.start("enrollment", logger=Broken())
    f.receive(ok(isDeviceActivated=False))
    assert (f.state, len(f.trace)) == ("2", 1)

    def hook(flow: Flow) -> None:
        if flow.state == "8":
            raise ValueError("persistence failed")

    port = Port()
    g = fsm.start("enrollment")
    with pytest.raises(ValueError, match="persistence failed"):
        fsm.run(g, port=port, person=DemoPerson(port.sim, pin=PIN), sleep=lambda _: None, on_step=hook)
    assert g.state == "8" and g.trace[-1].target == "8"
    canary.assert_clean("A9 snapshot", json.dumps(g.snapshot()))
    assert fsm.resume(g.snapshot()).state == "8:pinCode"


# -- B. Malformed or unexpected responses ------------------------------------------------


def _refused(message: object, error: type[BaseException] = fsm.MalformedMessage, state: str = "1") -> None:
    f = at("enrollment", state)
    exc = unchanged_after(f, lambda: f.receive(message), error)
    assert exc.__context__ is None and exc.__cause__ is None


def test_B1_status_missing() -> None:
    _refused({"transactionId": "t", "result": {"isDeviceActivated": True}})
    out, _ = go(Port(hook=lambda *_: {"transactionId": "t", "result": {}}))
    assert (out.state, out.cause) == ("failed", "malformed_message")


def test_B2_an_unknown_status_is_never_a_success_or_a_failure() -> None:
    _refused({"transactionId": "t", "status": "PENDING"}, fsm.UnknownStatus)


@pytest.mark.parametrize("status", [
    "succeeded",
    " SUCCEEDED",
    "SUCCEEDED\n",
    "Failed",
    "\uff33\uff35\uff23\uff23\uff25\uff25\uff24\uff25\uff24",
])
def test_B3_status_is_matched_exactly(status: str) -> None:
    _refused({"transactionId": "t", "status": status, "result": {"isDeviceActivated": True}}, fsm.UnknownStatus)


@pytest.mark.parametrize("status", [True, 1, None, {}, ["SUCCEEDED"], 1.0])
def test_B4_status_of_the_wrong_type(status: object) -> None:
    _refused({"transactionId": "t", "status": status, "result": {"isDeviceActivated": True}})


def test_B5_succeeded_without_result_is_not_enrolled() -> None:
    """Where the step reads a result field it is malformed; a call with no output may omit it (PROTOCOL.md)."""
    _refused({"transactionId": "t", "status": "SUCCEEDED"})
    _refused({"transactionId": "t", "status": "SUCCEEDED", "result": None})
    f = at("enrollment", "8")
    f.receive({"transactionId": "t", "status": "SUCCEEDED"})
    assert f.state == "enrolled"  # step 8's SUCCEEDED means enrolled; it has no result to read


def test_B6_result_without_is_device_activated_has_no_silent_default() -> None:
    _refused(ok(somethingElse=True))


@pytest.mark.parametrize("value", ["false", "true", 1, 0, None, "", [], 1.0])
def test_B7_is_device_activated_must_be_a_bool(value: object) -> None:
    _refused(ok(isDeviceActivated=value))


def test_B8_failed_without_error_consumes_no_pin_attempt() -> None:
    _refused({"transactionId": "t", "status": "FAILED"}, state="8")
    _refused({"transactionId": "t", "status": "FAILED", "error": {"label": "x"}}, state="8")
    f = at("enrollment", "8")
    with pytest.raises(fsm.MalformedMessage) as caught:
        f.receive({"transactionId": "t", "status": "FAILED"})
    f.receive_exception(caught.value)
    assert (f.state, counter(f, "pin_attempts")) == ("failed", 0)


def test_B9_a_digit_string_code_is_accepted() -> None:
    f = at("enrollment", "8")
    f.receive(failed("2317"))
    assert (f.state, f.trace[-1].code) == ("A", 2317)


@pytest.mark.parametrize("code", [True, False, 2317.0, math.nan, math.inf, -2317, "2317.0", " 2317", "2317\n",
                                  "\u0662\u0663\u0661\u0667", "\uff12\uff13\uff11\uff17", "", None, [2317], "9" * 20])
def test_B10_a_code_that_is_not_an_int_or_ascii_digits_is_malformed(code: object) -> None:
    _refused({"transactionId": "t", "status": "FAILED", "error": {"code": code}}, state="8")


def test_B11_an_unknown_code_is_a_generic_failure_with_no_removal() -> None:
    out, _ = go(Port(hook=lambda op, api, p: failed(9999) if p.get("action") == "enrollment" else None))
    assert (out.state, out.cause, out.error_code) == ("failed", "unexpected_error", 9999)
    assert "A" not in [t.step for t in out.trace]
    assert "(SDK error 9999)" in out.reason and "x" not in out.reason.split("(")[-1]


def test_B12_labels_are_never_read_so_never_logged() -> None:
    canary.test_failed_messages_never_carry_their_label_anywhere()


def test_B13_oversized_and_deep_input_is_refused_or_ignored_in_bounded_work() -> None:
    deep: Any = {}
    for _ in range(10_000):
        deep = {"x": deep}
    started = time.perf_counter()
    _refused(ok(isDeviceActivated="x" * 10_000_000))
    _refused({"transactionId": "t", "status": "SUCCEEDED", "result": deep})
    _refused({"transactionId": "t", "status": "SUCCEEDED", "result": {f"k{i}": i for i in range(100_000)}})
    _refused({"transactionId": "t", "status": "FAILED", "error": {"code": deep}}, state="8")
    f = at("enrollment", "1")
    f.receive({"transactionId": "t", "status": "SUCCEEDED", "result": {"isDeviceActivated": False, "extra": deep},
               "debug": {"label": "y" * 10_000_000}})
    assert f.state == "2"
    f.receive({"transactionId": "u", "status": "FAILED", "error": {"code": 2201, "label": "y" * 10_000_000,
                                                                    "extra": deep}})
    assert f.state == "2"
    assert time.perf_counter() - started < 60  # a generous bound: "not quadratic", not a benchmark


def test_B14_extra_fields_are_ignored_and_not_logged() -> None:
    events: list[dict[str, Any]] = []

    class Logger:
        def info(self, event: str, **kw: Any) -> None:
            events.append(kw)

    f = fsm.start("enrollment", logger=Logger())
    f.receive({"transactionId": "t", "status": "SUCCEEDED", "debug": "SECRET-EXTRA",
               "result": {"isDeviceActivated": False, "internal": "SECRET-EXTRA"}})
    assert f.state == "2"
    assert "SECRET-EXTRA" not in json.dumps(events) + json.dumps(f.snapshot())


@pytest.mark.parametrize("tid", [None, "", 123, True, ["t"], "t" * 129])
def test_B15_transaction_id_missing_empty_or_not_a_string(tid: object) -> None:
    message: dict[str, Any] = {"status": "SUCCEEDED", "result": {"isDeviceActivated": True}}
    if tid is not None:
        message["transactionId"] = tid
    _refused(message)


# -- C. Ordering, duplication, correlation -------------------------------------------------


def test_C1_a_response_with_an_already_consumed_transaction_id_is_stale() -> None:
    """fsm correlates by transactionIds it consumed (the SDK names a transaction only in its answer), so an id
    never seen cannot be told from a fresh one; a consumed one is refused without change."""
    f = fsm.start("enrollment")
    first = ok(isDeviceActivated=False)
    f.receive(first)
    again = dict(first, result={"isAccountBlocked": "NotBlocked"})
    exc = unchanged_after(f, lambda: f.receive(again), fsm.StaleMessage)
    assert "transactionId" in str(exc) and first["transactionId"] not in str(exc)


def test_C2_the_same_response_twice_is_one_transition_and_one_pin_attempt() -> None:
    f = at("enrollment", "8:pinCode")
    f.answer(DEMO_PIN)
    message = failed(2308)
    f.receive(message)
    assert (f.state, counter(f, "pin_attempts")) == ("8:pinCode", 1)
    unchanged_after(f, lambda: f.receive(message), fsm.FlowStateError)  # nothing outstanding now
    f.answer(DEMO_PIN)
    unchanged_after(f, lambda: f.receive(message), fsm.StaleMessage)  # outstanding, but already consumed
    assert counter(f, "pin_attempts") == 2 and len([t for t in f.trace if t.state == "8"]) == 1


def test_C3_a_superseded_sms_request_answer_arriving_late_is_ignored() -> None:
    f = at("enrollment", "5")
    first = ok()
    f.receive(first)
    f.answer(SMS)
    f.receive(failed(2306))
    assert f.state == "5"
    unchanged_after(f, lambda: f.receive(first), fsm.StaleMessage)
    f.receive(ok())
    assert f.state == "6:smsCode"


@pytest.mark.parametrize("state", ["6:smsCode", "enrolled", "failed"])
def test_C4_an_unsolicited_response_is_refused_without_change(state: str) -> None:
    f = at("enrollment", state)
    unchanged_after(f, lambda: f.receive(ok(isDeviceActivated=True)), fsm.FlowStateError)


def test_C5_a_response_after_the_flow_was_cancelled_does_not_resurrect_it() -> None:
    f = at("enrollment", "6:smsCode")
    f.answer(fsm.CANCEL)
    assert f.state == "cancelled"
    unchanged_after(f, lambda: f.receive(ok(status="NotEnrolled")), fsm.FlowStateError)
    unchanged_after(f, lambda: f.answer(SMS), fsm.FlowStateError)


def test_C6_a_second_submit_while_one_is_in_flight_is_refused() -> None:
    """The double tap: once the PIN is answered the flow waits for the call; a second answer is refused."""
    f = at("enrollment", "8:pinCode")
    f.answer(DEMO_PIN)
    exc = unchanged_after(f, lambda: f.answer(DEMO_PIN), fsm.FlowStateError)
    assert "waits for a call" in str(exc)
    assert isinstance(f.action, fsm.Call) and counter(f, "pin_attempts") == 1


def test_C7_an_event_the_state_does_not_allow_is_a_typed_error() -> None:
    """fsm's own FlowStateError, never transitions' MachineError; nothing changes."""
    import transitions

    f = fsm.start("enrollment")
    exc = unchanged_after(f, lambda: f.answer(SMS), fsm.FlowStateError)
    assert not isinstance(exc, transitions.MachineError)
    g = at("enrollment", "6:smsCode")
    unchanged_after(g, lambda: g.receive_exception(ConnectionError()), fsm.FlowStateError)


@pytest.mark.parametrize(("op", "api", "action"), [
    ("get", "pims.authentication.smscode", "enrollment"),  # the SMS request (5)
    ("set", "pims.authentication.smscode", "enrollment"),  # the SMS submit (6)
    ("set", "pims.authentication.enrollment", "enroll"),  # the PIN submit (8)
])
def test_C8_2317_on_sms_request_pin_submit_or_sms_submit_removes_once_then_restarts(
    op: str, api: str, action: str
) -> None:
    sent: list[int] = []

    def hook(called_op: str, called: str, parameters: Mapping[str, str]) -> Any:
        if (called_op, called, action) == (op, api, parameters.get("type") or parameters.get("action")) and not sent:
            sent.append(1)
            return failed(2317)
        return None

    port = Port(hook=hook)
    out, _ = go(port)
    assert sent, "the 2317 was answered"
    assert out.state == "enrolled"
    assert port.calls.count(("set", "pims.authentication.enrollment", "remove")) == 1
    steps = [t.step for t in out.trace if t.kind == "call"]
    assert steps[steps.index("A") + 1] == "3"


def test_C9_2317_again_after_the_restart_ends_failed_without_a_second_removal() -> None:
    port = Port(hook=lambda op, api, p: failed(2317) if p.get("action") != "remove" else None)
    out, _ = go(port)
    assert (out.state, out.cause, out.error_code) == ("failed", "restarts_exhausted", 2317)
    assert port.calls.count(("set", "pims.authentication.enrollment", "remove")) == 1
    import fsm.check  # the model checker proves the loop-freedom the run shows

    result = fsm.check.check("enrollment", fsm.options.make_options(max_restarts=1))
    assert result.holds("terminates") and result.ok


# -- D. User input -----------------------------------------------------------------------------


def _invalid(answer: object, state: str = "8:pinCode", flow: str = "enrollment") -> None:
    """Asked again (invalid), no call, no counter but the invalid-answers one, the value kept nowhere."""
    f = at(flow, state)
    before = dict(zip([c.name for c in f.spec.counters], f.counters, strict=True))
    held = f.values.get(f.current.slot or "")
    kept = f.snapshot()["values"]
    f.answer(answer)
    assert (f.state, f.trace[-1].outcome) == (state, spec.INVALID)
    after = dict(zip([c.name for c in f.spec.counters], f.counters, strict=True))
    assert after == {**before, "invalid_answers": before["invalid_answers"] + 1}
    assert f.values.get(f.current.slot or "") == held
    assert f.trace[-1].parameters == {} and f.snapshot()["values"] == kept


def test_D1_a_pin_with_letters_is_refused_before_any_call() -> None:
    _invalid("12a4")


@pytest.mark.parametrize("answer", ["123", "123456789", "", None, b"1234", 1234, 123456, ["1234"], 12.0])
def test_D2_pins_too_short_too_long_or_not_str_are_refused(answer: object) -> None:
    _invalid(answer)


@pytest.mark.parametrize("answer", [
    "\u0661\u0662\u0663\u0664",
    "\uff11\uff12\uff13\uff14",
    "\u06f1\u06f2\u06f3\u06f4",
    "\u0967\u0968\u0969\u096a",
    "\u00b9\u00b2\u00b3\u2074",
])
def test_D3_non_ascii_digits_are_refused(answer: str) -> None:
    assert answer.isdigit() or answer[0] == "\u00b9"
    _invalid(answer)


@pytest.mark.parametrize("answer", ["123456\n", "123456\r\n", " 123456", "123456 ", "\t1234"])
def test_D4_whitespace_around_a_code_is_refused_not_stripped(answer: str) -> None:
    """One rule: nothing is stripped; fullmatch on [0-9] refuses what re.match(^...$) would let through."""
    _invalid(answer, "6:smsCode")


def test_D5_a_20_digit_sms_code_is_refused_never_truncated() -> None:
    _invalid("1" * 20, "6:smsCode")


@pytest.mark.parametrize("answer", ["123 456", "123-456", "123.456", "123_456"])
def test_D6_group_separators_are_refused_not_normalised(answer: str) -> None:
    _invalid(answer, "6:smsCode")


def test_D7_an_int_sms_code_is_refused_so_a_leading_zero_is_never_lost() -> None:
    _invalid(12345, "6:smsCode")
    f = at("enrollment", "6:smsCode")
    f.answer("012345")
    assert isinstance(f.values["smsCode"], Secret) and f.values["smsCode"].reveal() == "012345"


@pytest.mark.parametrize("pin", ["000000", "123456", "654321", "1111", "98765432"])
@pytest.mark.parametrize(("flow", "state"), [("enrollment", "7:pinCode"), ("enrollment", "4.1:pinCode"),
                                             ("enrollment", "B:pinCode"), ("update-pin", "C:newPIN")])
def test_D8_obvious_pins_are_refused_when_a_pin_is_chosen(pin: str, flow: str, state: str) -> None:
    _invalid(pin, state, flow)
    f = at("enrollment", "8:pinCode")
    f.answer(pin)  # an existing PIN is the person's own: it is sent, the SDK judges it
    assert f.state == "8"


# -- E. Limits, time and retries ----------------------------------------------------------------


def test_E1_wrong_pin_max_times_ends_failed_with_no_further_submission() -> None:
    port = Port()
    port.sim.account.lockout_after = 99
    person = DemoPerson(port.sim, overrides={"pinCode": ["111999"] * 10})
    out, _ = go(port, person=person)
    assert (out.state, out.cause) == ("failed", "pin_attempts_exhausted")
    assert port.calls.count(("set", "pims.authentication.enrollment", "enroll")) == 3


def test_E2_a_new_sms_code_resets_no_failure_counter() -> None:
    """NIST 800-63B: a new secret SHALL NOT reset the count (2306 -> 5 -> a fresh code)."""
    f = at("enrollment", "6")
    f.receive(failed(2305))
    f.answer(SMS)
    f.receive(failed(2306))
    refused = counter(f, "code_attempts")
    assert (f.state, refused >= 1) == ("5", True)
    f.receive(ok())
    f.answer(SMS)
    assert counter(f, "code_attempts") == refused
    g = at("enrollment", "8:pinCode")
    g.answer(DEMO_PIN)
    g.receive(failed(2308))
    g.answer(fsm.FORGOT_PIN)
    for message in (ok(),):
        g.receive(message)
    assert counter(g, "pin_attempts") == 1


def test_E3_sms_requests_are_bounded_even_when_every_code_expires() -> None:
    """Every SMS request is made by an edge of the table, so spam is bounded by its counters. The one loop
    that had none (6 -> 2306 -> 5; the tutorial gives no bound) now counts an expired code as refused."""
    port = Port("existing-pin", code_ttl=-1.0)
    steps = 0

    def guard(_: Flow) -> None:
        nonlocal steps
        steps += 1
        if steps > 200:
            raise RuntimeError("unbounded")

    out = fsm.run("enrollment", port=port, person=DemoPerson(port.sim), sleep=lambda _: None, on_step=guard)
    assert (out.state, out.cause) == ("failed", "code_attempts_exhausted")
    assert port.calls.count(("get", "pims.authentication.smscode", "enrollment")) == 1 + 3


def test_E4_a_code_submitted_after_its_ttl_asks_for_a_new_code_on_a_monotonic_clock() -> None:
    now = [100.0]
    port = Port("phone", clock=lambda: now[0], code_ttl=600)
    demo = DemoPerson(port.sim)

    class Late:
        def provide(self, q: fsm.Question) -> fsm.messages.Answer:
            if q.name == "smsCode" and len(port.sim.inbox) == 1:
                now[0] += 601
            return demo.provide(q)

    out, _ = go(port, person=Late())
    assert out.state == "enrolled"
    assert next(t.code for t in out.trace if t.step == "6" and t.kind == "call") == 2306
    assert port.calls.count(("get", "pims.authentication.smscode", "enrollment")) == 2


def test_E5_the_engine_reads_no_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Expiry is the SDK's; backoff waits go through the injected sleep: a jumping wall clock changes nothing."""
    def jump() -> float:
        raise AssertionError("fsm read a clock")

    port = Port(hook=raising(ConnectionError(), "pims.authentication.trustedphonenumber"), clock=lambda: 0.0)
    monkeypatch.setattr(time, "time", jump)
    monkeypatch.setattr(time, "monotonic", jump)
    out, slept = go(port)
    assert (out.state, len(slept)) == ("failed", 2)


def test_E6_transient_retries_are_per_call_capped_with_jitter_and_bounded_in_total() -> None:
    flaky = {"n": 0}

    def hook(op: str, api: str, parameters: Mapping[str, str]) -> Any:
        flaky["n"] += 1
        return failed(2202) if flaky["n"] % 3 else None  # two transient failures before every success

    backoff = fsm.Backoff(base=0.5, cap=1.0)
    port = Port(hook=hook)
    slept: list[float] = []
    out = fsm.run("enrollment", port=port, person=DemoPerson(port.sim), sleep=slept.append, backoff=backoff,
                  rng=random.Random(4))
    assert out.state == "enrolled"  # the count is per call: every call may use its two retries
    calls = len([t for t in out.trace if t.kind == "call" and t.outcome != spec.TRANSIENT])
    assert len(slept) == 2 * calls and sum(slept) <= 2 * calls * backoff.cap
    assert len(set(slept)) == len(slept) and all(0 <= s <= backoff.cap for s in slept)


# -- F. Persistence and resume -----------------------------------------------------------------


def test_F1_crash_after_the_pin_was_sent_resumes_counted_and_asks_again() -> None:
    f = at("enrollment", "8:pinCode")
    f.answer(DEMO_PIN)
    saved = json.dumps(f.snapshot())  # write-ahead: persisted before the call leaves
    g = fsm.resume(saved)
    assert (g.state, counter(g, "pin_attempts")) == ("8:pinCode", 1)
    assert isinstance(g.action, fsm.Question) and g.action.name == "pinCode"
    g.answer(DEMO_PIN)
    assert counter(g, "pin_attempts") == 2


def test_F2_snapshot_bytes_hold_no_canary() -> None:
    f = at("enrollment", "8")
    f.values.update(pinCode=Secret(PIN), smsCode=Secret(SMS), resetSmsCode=Secret(SMS))
    text = json.dumps(f.snapshot())
    canary.assert_clean("F2 snapshot", text)
    canary.assert_clean("F2 snapshot", text.encode("utf-16"))


@pytest.mark.parametrize("bad", ['{"version": 1', "[1, 2", '{"version": 99}', "not json"])
def test_F3_a_broken_snapshot_is_refused_and_a_fresh_start_is_safe(bad: str) -> None:
    with pytest.raises(fsm.SnapshotInvalid):
        fsm.resume(bad)
    snap = at("enrollment", "8").snapshot()
    snap["state"] = "enrolled"
    with pytest.raises(fsm.SnapshotInvalid):
        fsm.resume(snap)
    assert fsm.start("enrollment").state == "1"


def test_F4_counters_edited_downwards_are_a_documented_limitation() -> None:
    """A count edited down to another configuration a run reaches is accepted (the SDK's own count is
    authoritative: it blocks the account); one a run never reaches, or past the bound, is refused."""
    f = at("enrollment", "8:pinCode")
    f.answer(DEMO_PIN)
    f.receive(failed(2308))
    assert (f.state, counter(f, "pin_attempts")) == ("8:pinCode", 1)
    snap = f.snapshot()
    snap["counters"]["pin_attempts"] = 0  # 8:pinCode before any PIN was sent: a run reaches it from step 6
    assert counter(fsm.resume(snap), "pin_attempts") == 0
    g = at("enrollment", "8:pinCode")
    g.answer(DEMO_PIN)
    assert g.state == "8"
    snap = g.snapshot()
    snap["counters"]["pin_attempts"] = 0  # step 8 with no PIN counted: no run reaches it (counted when sent)
    with pytest.raises(fsm.SnapshotInvalid):
        fsm.resume(snap)
    snap["counters"]["pin_attempts"] = 4
    with pytest.raises(fsm.SnapshotInvalid):
        fsm.resume(snap)


def test_F5_resume_of_a_snapshot_equals_the_flow_minus_secrets() -> None:
    f = at("enrollment", "6:smsCode")
    del f.values["vin"]  # not a slot of this flow
    g = fsm.resume(json.dumps(f.snapshot()))
    assert g.snapshot() == f.snapshot()
    assert g.values == {k: v for k, v in f.values.items() if not isinstance(v, Secret)}


def test_F6_a_stale_response_after_restore_is_refused_as_before() -> None:
    f = at("enrollment", "5")
    message = ok()
    f.receive(message)
    f.answer(SMS)
    f.receive(failed(2306))
    g = fsm.resume(f.snapshot())
    unchanged_after(g, lambda: g.receive(message), fsm.StaleMessage)


# -- G. Logging and leak surfaces ------------------------------------------------------------------


def test_G1_the_three_log_chains_hold_no_canary(stdlib_debug: Any) -> None:
    canary.test_console_renderer_output_holds_no_canary()
    structlog.reset_defaults()
    canary.test_json_renderer_with_dict_tracebacks_and_locals_holds_no_canary()
    structlog.reset_defaults()
    canary.test_stdlib_logging_at_debug_including_transitions_holds_no_canary(stdlib_debug)


def test_G2_locals_of_fsm_frames_show_no_pin_when_a_port_raises_with_it_in_scope() -> None:
    crash = canary.crash_with_pin_in_scope()
    tb = crash.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    ours = [fr for fr in frames if "/fsm/" in fr.f_code.co_filename]
    assert ours
    for frame in ours:
        canary.assert_clean("G2 fsm frame locals", repr(frame.f_locals))


@pytest.mark.parametrize("level", [10, 20, 40])
def test_G3_the_transitions_logger_holds_no_secret(level: int, stdlib_debug: Any) -> None:
    import logging

    logging.getLogger("transitions").setLevel(level)
    canary.run_journeys()
    canary.assert_clean("G3 transitions logger", stdlib_debug.getvalue())


def test_G4_no_contextvars_remain_bound() -> None:
    canary.test_no_contextvars_remain_bound_after_a_run()


def test_G5_generated_docs_and_diagrams_hold_no_example_secret() -> None:
    """Committed artefacts (diagrams/, docs/) hold state and trigger names only, never an example secret."""
    examples = {DEMO_PIN, *STAND_IN.values(), PIN, SMS}
    files = [p for d in ("diagrams", "docs") for p in (ROOT / d).rglob("*") if p.is_file()]
    assert files, "no generated artefact to check"
    for path in files:
        data = path.read_bytes()
        for secret in examples:
            assert secret.encode() not in data, f"{path.name} holds an example secret"
