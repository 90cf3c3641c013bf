"""Every step x every outcome of PROTOCOL.md, written here from PROTOCOL.md's tables (not read from fsm.flows).

Each row puts a flow at a state, feeds one SDK message (or answer) and checks
the state it lands in. The rows are the oracle: if the definition in
fsm/flows drifts from PROTOCOL.md, a row fails.
"""

from __future__ import annotations

from typing import Any

import pytest

import fsm
from tests.helpers import at, counter, failed, ok, set_counter

E = "enrollment"
# (flow, state, message, options, expected state)
CALL_ROWS: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    # 1 check enrollment
    (E, "1", ok(isDeviceActivated=True), {}, "enrolled"),
    (E, "1", ok(isDeviceActivated=False), {}, "2"),
    # 2 check account: every blocked spelling leads to A; Unknown goes on
    (E, "2", ok(isAccountBlocked="NotBlocked"), {}, "3"),
    (E, "2", ok(isAccountBlocked=False), {}, "3"),
    (E, "2", ok(isAccountBlocked="Unknown"), {}, "3"),
    (E, "2", ok(isAccountBlocked="PinBlocked"), {}, "A"),
    (E, "2", ok(isAccountBlocked="PINBlocked"), {}, "A"),
    (E, "2", ok(isAccountBlocked="AccountBlocked"), {}, "A"),
    (E, "2", ok(isAccountBlocked=True), {}, "A"),
    # 3 check phone
    (E, "3", ok(phoneNumber="0612345678"), {}, "5"),
    (E, "3", ok(phoneNumber=None), {}, "4.1:phoneNumber"),
    (E, "3", ok(phoneNumber=""), {}, "4.1:phoneNumber"),
    (E, "3", ok(), {}, "4.1:phoneNumber"),
    (E, "3", ok(trustedphoneNumber=None), {}, "4.1:phoneNumber"),
    (E, "3", failed(2307), {}, "4.1:phoneNumber"),
    (E, "3", failed(2307), {"method": "full"}, "4.2:phoneNumber"),
    (E, "3", ok(phoneNumber=None), {"sdk_version": "2.0.9"}, "4.2:phoneNumber"),
    (E, "3", ok(phoneNumber=None), {"sdk_version": "2.1.0"}, "4.1:phoneNumber"),
    # 4.1 enroll with phone number (shortcut)
    (E, "4.1:request", ok(), {}, "4.1:smsCode"),
    (E, "4.1", ok(), {}, "enrolled"),
    (E, "4.1", failed(2305), {}, "4.1:smsCode:again"),
    (E, "4.1", failed(2390), {}, "5"),
    # 4.2 register phone (full)
    (E, "4.2:request", ok(), {"method": "full"}, "4.2:smsCode"),
    (E, "4.2", ok(), {"method": "full"}, "5"),
    (E, "4.2", failed(2305), {"method": "full"}, "4.2:smsCode:again"),
    # 5 request enrollment SMS
    (E, "5", ok(), {}, "6:smsCode"),
    # 6 check PIN
    (E, "6", ok(status="AlreadyEnrolled"), {}, "8:pinCode"),
    (E, "6", ok(status="NotEnrolled"), {}, "7:pinCode"),
    (E, "6", failed(2305), {}, "6:smsCode"),
    (E, "6", failed(2306), {}, "5"),
    # 7 register new PIN -> 8 with the same PIN
    (E, "7", ok(), {}, "8"),
    # 8 validate PIN: any FAILED but 2317 and transient asks the PIN again
    (E, "8", ok(), {}, "enrolled"),
    (E, "8", failed(2317), {}, "A"),
    (E, "8", failed(2308), {}, "8:pinCode"),
    (E, "8", failed(2102), {}, "8:pinCode"),
    (E, "8", failed(2344), {}, "8:pinCode"),
    (E, "8", failed(9999), {}, "8:pinCode"),
    # A remove all enrollments -> 3
    (E, "A", ok(), {}, "3"),
    (E, "A", failed(2317), {}, "failed"),
    # B reset PIN
    (E, "B:request", ok(), {}, "B:smsCode"),
    (E, "B", ok(), {}, "8"),
    (E, "B", failed(2315), {}, "B:pinCode"),
    (E, "B", failed(2305), {}, "B:smsCode:again"),
    # Rules for every call: 2317 anywhere in enrollment -> A; input errors and other codes -> failed
    *[(E, s, failed(2317), {}, "A") for s in ("1", "2", "3", "4.1:request", "4.1", "5", "6", "7", "B:request", "B")],
    (E, "3", failed(2101), {}, "failed"),
    (E, "6", failed(2010), {}, "failed"),
    (E, "5", failed(2344), {}, "failed"),
    (E, "1", failed(9999), {}, "failed"),
    # Transient codes repeat the same call
    *[(E, s, failed(code), {}, s) for s in ("1", "5", "8", "A") for code in (2201, 2202, 2204)],
    # Standalone flows
    ("remove-enrollments", "A", ok(), {}, "done"),
    ("remove-enrollments", "A", failed(2317), {}, "failed"),
    ("reset-pin", "1", ok(isDeviceActivated=False), {}, "failed"),
    ("reset-pin", "1", ok(isDeviceActivated=True), {}, "B:request"),
    ("reset-pin", "B", ok(), {}, "done"),
    ("reset-pin", "B", failed(2317), {}, "failed"),
    ("update-pin", "1", ok(isDeviceActivated=False), {}, "failed"),
    ("update-pin", "1", ok(isDeviceActivated=True), {}, "C:oldPIN"),
    ("update-pin", "C", ok(), {}, "done"),
    ("update-pin", "C", failed(2315), {}, "C:newPIN"),
    ("update-pin", "C", failed(2308), {}, "C:oldPIN"),
    ("update-pin", "C", failed(2101), {}, "failed"),
    # C: only 2308 (access refused: the old PIN is wrong) asks the old PIN again; any other code ends failed
    ("update-pin", "C", failed(2001), {}, "failed"),
    ("update-pin", "C", failed(2344), {}, "failed"),
    ("update-pin", "C", failed(2310), {}, "failed"),
    ("update-pin", "C", failed(9999), {}, "failed"),
    ("modify-phone", "1", ok(isDeviceActivated=False), {}, "failed"),
    ("modify-phone", "1", ok(isDeviceActivated=True), {}, "3"),
    ("modify-phone", "3", failed(2307), {}, "failed"),
    ("modify-phone", "3", ok(phoneNumber=None), {}, "failed"),
    ("modify-phone", "3", ok(phoneNumber="0612345678"), {}, "D:phoneNumber"),
    ("modify-phone", "D:request", ok(), {}, "D:smsCode"),
    ("modify-phone", "D", ok(), {}, "done"),
    ("modify-phone", "D", failed(2305), {}, "D:smsCode:again"),
    ("remove-vehicle", "E", ok(), {}, "done"),
    ("remove-vehicle", "E", failed(2302), {}, "E:pinCode"),
    ("remove-vehicle", "E:otp", ok(otp="83920174"), {}, "E"),
    ("remove-vehicle", "E:otp", failed(2317), {}, "failed"),
]


@pytest.mark.parametrize(("flow", "state", "message", "options", "expected"), CALL_ROWS,
                         ids=[f"{r[0]}:{r[1]}:{r[2].get('error', r[2].get('result'))}:{r[4]}" for r in CALL_ROWS])
def test_call_outcome_leads_where_protocol_says(
    flow: str, state: str, message: dict[str, Any], options: dict[str, Any], expected: str
) -> None:
    """A message at a step moves the flow to the step PROTOCOL.md names."""
    f = at(flow, state, **options)
    f.receive(message)
    assert expected == f.state


# (flow, state, answer, expected state)
QUESTION_ROWS: list[tuple[str, str, object, str]] = [
    (E, "4.1:phoneNumber", "+33612345678", "4.1:request"),
    (E, "4.1:smsCode", "2424", "4.1:pinCode"),
    (E, "4.1:pinCode", "424242", "4.1"),
    (E, "4.1:smsCode:again", "2424", "4.1"),
    (E, "4.2:phoneNumber", "0612345678", "4.2:request"),
    (E, "4.2:smsCode", "24242424", "4.2"),
    (E, "6:smsCode", "2424", "6"),
    (E, "7:pinCode", "402718", "7"),
    (E, "8:pinCode", "0987", "8"),
    (E, "8:pinCode", fsm.FORGOT_PIN, "B:request"),
    (E, "B:smsCode", "789012", "B:pinCode"),
    (E, "B:pinCode", "402718", "B"),
    ("update-pin", "C:oldPIN", "7654", "C:newPIN"),
    ("update-pin", "C:oldPIN", fsm.FORGOT_PIN, "B:request"),
    ("update-pin", "C:newPIN", "0987", "C"),
    ("modify-phone", "D:phoneNumber", "0123456789", "D:request"),
    ("modify-phone", "D:smsCode", "2424", "D"),
    ("remove-vehicle", "E:vin", "VR1AB12C3D4567890", "E"),
    ("remove-vehicle", "E:pinCode", "1234", "E:otp"),
    # cancel anywhere; FORGOT_PIN where it leads nowhere is an invalid answer
    (E, "6:smsCode", fsm.CANCEL, "cancelled"),
    ("remove-vehicle", "E:vin", fsm.CANCEL, "cancelled"),
    (E, "6:smsCode", fsm.FORGOT_PIN, "6:smsCode"),
    (E, "8:pinCode", "12a4", "8:pinCode"),
]


@pytest.mark.parametrize(("flow", "state", "answer", "expected"), QUESTION_ROWS,
                         ids=[f"{r[0]}:{r[1]}:{r[3]}" for r in QUESTION_ROWS])
def test_answer_leads_where_protocol_says(flow: str, state: str, answer: object, expected: str) -> None:
    """An answer at a question moves the flow to the step PROTOCOL.md names."""
    f = at(flow, state)
    f.answer(answer)
    assert expected == f.state


def test_step_7_sends_the_same_pin_again_at_step_8() -> None:
    """PROTOCOL 7: SUCCEEDED -> 8 with the same PIN, no new question."""
    f = at(E, "7:pinCode")
    f.answer("402718")
    first = f.action
    f.receive(ok())
    second = f.action
    assert isinstance(first, fsm.Call)
    assert isinstance(second, fsm.Call)
    assert first.parameters == second.parameters
    assert second.parameters["pinCode"] == "402718"
    assert (first.step, second.step) == ("7", "8")


def test_pin_attempts_bound_ends_failed_after_max_submissions() -> None:
    """8: at most max_pin_attempts submissions in all, then failed."""
    f = at(E, "8:pinCode", max_pin_attempts=2)
    sent = 0
    while f.state != "failed":
        if f.state == "8:pinCode":
            f.answer("402718")
        else:
            sent += 1
            f.receive(failed(2308))
    assert sent == 2
    out = f.outcome
    assert out is not None
    assert (out.state, out.error_code, out.cause) == ("failed", 2308, "pin_attempts_exhausted")


def test_restarts_bound_ends_failed_with_2317_and_no_further_call() -> None:
    """A is entered at most max_restarts times; the next 2317 ends failed (2317)."""
    f = at(E, "8")
    f.receive(failed(2317))
    assert f.state == "A"
    assert counter(f, "restarts") == 1
    f.state = "8"
    f.receive(failed(2317))
    assert f.state == "failed"
    assert f.action is None
    out = f.outcome
    assert out is not None
    assert (out.error_code, out.cause) == (2317, "restarts_exhausted")


def test_blocked_after_the_restart_ends_failed_2317() -> None:
    """A blocked answer once A was used up ends failed with error code 2317."""
    f = at(E, "2")
    set_counter(f, "restarts", 1)
    f.receive(ok(isAccountBlocked="PinBlocked"))
    out = f.outcome
    assert out is not None
    assert (out.state, out.error_code) == ("failed", 2317)


def test_max_restarts_zero_never_removes_enrollments() -> None:
    """With max_restarts=0 the destructive A is never entered."""
    f = at(E, "2", max_restarts=0)
    f.receive(ok(isAccountBlocked=True))
    assert f.state == "failed"


def test_transient_retries_are_bounded_then_failed() -> None:
    """Transient failures repeat the same call up to max_transient_retries times, then failed."""
    f = at(E, "5", max_transient_retries=2)
    f.receive(failed(2202))
    f.receive_exception(ConnectionError("down"))
    assert f.state == "5"
    f.receive_exception(TimeoutError())
    out = f.outcome
    assert out is not None
    assert (out.state, out.cause) == ("failed", "transient_retries_exhausted")


def test_transient_retries_do_not_count_as_pin_attempts() -> None:
    """A transient failure at step 8 never consumes a PIN attempt."""
    f = at(E, "8:pinCode")
    f.answer("402718")
    assert counter(f, "pin_attempts") == 1
    f.receive(failed(2201))
    f.receive(failed(2201))
    assert counter(f, "pin_attempts") == 1
    assert f.state == "8"


def test_transient_count_resets_after_progress() -> None:
    """Retries are counted per call: progress resets them."""
    f = at(E, "1")
    f.receive(failed(2201))
    f.receive(ok(isDeviceActivated=False))
    assert counter(f, "transient_retries") == 0


def test_invalid_answers_are_asked_again_then_cancelled() -> None:
    """An invalid answer is asked again at most max_code_attempts times, then cancelled."""
    f = at(E, "6:smsCode", max_code_attempts=2)
    f.answer("12")
    f.answer("abcd")
    assert f.state == "6:smsCode"
    f.answer("1")
    out = f.outcome
    assert out is not None
    assert (out.state, out.cause) == ("cancelled", "invalid_answers_exhausted")


def test_question_says_why_it_is_asked_again() -> None:
    """A question asked again carries why and a higher attempt number."""
    f = at(E, "8:pinCode")
    q1 = f.action
    f.answer("402718")
    f.receive(failed(2308))
    q2 = f.action
    assert isinstance(q1, fsm.Question)
    assert isinstance(q2, fsm.Question)
    assert (q1.why, q1.attempt) == (None, 1)
    assert (q2.why, q2.attempt, q2.can_forget_pin, q2.secret) == ("pin_rejected", 2, True, True)


def test_sms_code_refusals_are_bounded() -> None:
    """2305 asks the code again at most max_code_attempts times, then failed."""
    f = at(E, "6", max_code_attempts=1)
    f.receive(failed(2305))
    assert f.state == "6:smsCode"
    f.answer("246810")
    f.receive(failed(2305))
    out = f.outcome
    assert out is not None
    assert (out.state, out.error_code, out.cause) == ("failed", 2305, "code_attempts_exhausted")


def test_remove_vehicle_fetches_one_otp_then_gives_up() -> None:
    """E: 2302 -> PIN -> OTP -> E once; a second 2302 ends failed."""
    f = at("remove-vehicle", "E")
    f.receive(failed(2302))
    f.answer("424242")
    call = f.action
    assert isinstance(call, fsm.Call)
    assert (call.api, call.parameters) == ("pims.authentication.otp", {"action": "withPIN", "pinCode": "424242"})
    f.receive(ok(otp="12345678"))
    assert f.state == "E"
    f.receive(failed(2302))
    out = f.outcome
    assert out is not None
    assert (out.state, out.cause) == ("failed", "strong_auth_refused")


def test_not_enrolled_ends_standalone_flows_without_a_call() -> None:
    """reset-pin, update-pin, modify-phone need an active enrollment and say so."""
    for flow in ("reset-pin", "update-pin", "modify-phone"):
        f = fsm.start(flow)
        f.receive(ok(isDeviceActivated=False))
        out = f.outcome
        assert out is not None
        assert f.action is None
        assert (out.state, out.cause) == ("failed", "not_enrolled")
        assert "enroll" in out.reason


@pytest.mark.parametrize("code", [2001, 2344, 9999])
def test_update_pin_other_codes_end_failed_with_that_code(code: int) -> None:
    """PROTOCOL C: a code that is not a rejection of the PINs ends failed with that code, no PIN asked again."""
    f = at("update-pin", "C")
    f.receive(failed(code))
    out = f.outcome
    assert out is not None
    assert (out.state, out.error_code, out.cause) == ("failed", code, "unexpected_error")


@pytest.mark.parametrize("status", ["AlreadyEnrolled", "NotEnrolled"])
def test_step_6_with_no_pin_submission_left_ends_before_asking_a_pin(status: str) -> None:
    """PROTOCOL 6 (resolved ambiguity 8): with no PIN submission left, 6 ends failed instead of asking a PIN."""
    f = at(E, "6", max_pin_attempts=2)
    set_counter(f, "pin_attempts", 2)
    f.receive(ok(status=status))
    out = f.outcome
    assert out is not None
    assert (out.state, out.cause) == ("failed", "pin_attempts_exhausted")
    g = at(E, "6", max_pin_attempts=2)
    set_counter(g, "pin_attempts", 1)
    g.receive(ok(status=status))
    assert g.state in ("7:pinCode", "8:pinCode")


def test_succeeded_with_an_error_is_malformed() -> None:
    """PROTOCOL: a SUCCEEDED message that also carries ``error`` is not well formed; the flow is unchanged."""
    f = at(E, "1")
    with pytest.raises(fsm.MalformedMessage) as caught:
        f.receive({"transactionId": "t1", "status": "SUCCEEDED", "result": {"isDeviceActivated": True},
                   "error": {"code": 2317}})
    assert caught.value.field == "error"
    assert f.state == "1"
    f.receive({"transactionId": "t2", "status": "SUCCEEDED", "result": {"isDeviceActivated": True}, "error": None})
    assert f.state == "enrolled"
