"""How and why each flow ends, and what a question says when it is asked again: PROTOCOL.md's rules written out
(not read from fsm.flows), through the engine.

A host shows ``Outcome.cause`` (why it ended) and ``Outcome.error_code``; a question asked again carries ``why``
and its ``attempt`` number (README, "A host that drives the flow by callbacks").
"""

from __future__ import annotations

from typing import Any

import pytest

import fsm
from fsm import docs
from tests.helpers import at, failed, ok, set_counter

E = "enrollment"
PHONE = "0612345678"

# (flow, state, counters set first, message, options) -> (end, cause, error code)
ENDS: list[tuple[str, str, dict[str, int], dict[str, Any], dict[str, Any], tuple[str, str | None, int | None]]] = [
    (E, "1", {}, ok(isDeviceActivated=True), {}, ("enrolled", "activated", None)),
    (E, "4.1", {}, ok(), {}, ("enrolled", "activated", None)),
    (E, "8", {}, ok(), {}, ("enrolled", "activated", None)),
    (E, "2", {"restarts": 1}, ok(isAccountBlocked="AccountBlocked"), {}, ("failed", "restarts_exhausted", 2317)),
    (E, "5", {"restarts": 1}, failed(2317), {}, ("failed", "restarts_exhausted", 2317)),
    (E, "A", {}, failed(2317), {}, ("failed", "forbidden", 2317)),
    (E, "4.1", {"code_attempts": 3}, failed(2305), {}, ("failed", "code_attempts_exhausted", 2305)),
    (E, "4.2", {"code_attempts": 3}, failed(2305), {"method": "full"}, ("failed", "code_attempts_exhausted", 2305)),
    (E, "6", {"code_attempts": 3}, failed(2306), {}, ("failed", "code_attempts_exhausted", 2306)),
    (E, "6", {"pin_attempts": 3}, ok(status="NotEnrolled"), {}, ("failed", "pin_attempts_exhausted", None)),
    (E, "7", {"pin_attempts": 3}, ok(), {}, ("failed", "pin_attempts_exhausted", None)),
    (E, "8", {"pin_attempts": 3}, failed(2101), {}, ("failed", "pin_attempts_exhausted", 2101)),
    (E, "B", {"same_pin": 3}, failed(2315), {}, ("failed", "same_pin_exhausted", 2315)),
    (E, "B", {"code_attempts": 3}, failed(2305), {}, ("failed", "code_attempts_exhausted", 2305)),
    (E, "3", {}, failed(2102), {}, ("failed", "input_error", 2102)),
    (E, "2", {}, failed(2344), {}, ("failed", "unexpected_error", 2344)),
    (E, "7", {"transient_retries": 2}, failed(2204), {}, ("failed", "transient_retries_exhausted", 2204)),
    ("remove-enrollments", "A", {}, ok(), {}, ("done", None, None)),
    ("remove-enrollments", "A", {}, failed(2317), {}, ("failed", "forbidden", 2317)),
    ("reset-pin", "1", {}, ok(isDeviceActivated=False), {}, ("failed", "not_enrolled", None)),
    ("reset-pin", "B:request", {}, failed(2317), {}, ("failed", "forbidden", 2317)),
    ("reset-pin", "B", {}, failed(2317), {}, ("failed", "forbidden", 2317)),
    ("reset-pin", "B", {"same_pin": 3}, failed(2315), {}, ("failed", "same_pin_exhausted", 2315)),
    ("update-pin", "C", {}, ok(), {}, ("done", None, None)),
    ("update-pin", "C", {"pin_attempts": 3}, failed(2308), {}, ("failed", "pin_attempts_exhausted", 2308)),
    ("update-pin", "C", {"same_pin": 3}, failed(2315), {}, ("failed", "same_pin_exhausted", 2315)),
    ("update-pin", "C", {}, failed(2317), {}, ("failed", "forbidden", 2317)),
    ("modify-phone", "1", {}, ok(isDeviceActivated=False), {}, ("failed", "not_enrolled", None)),
    ("modify-phone", "3", {}, failed(2307), {}, ("failed", "no_phone", 2307)),
    ("modify-phone", "3", {}, ok(phoneNumber=""), {}, ("failed", "no_phone", None)),
    ("modify-phone", "D", {"code_attempts": 3}, failed(2305), {}, ("failed", "code_attempts_exhausted", 2305)),
    ("remove-vehicle", "E", {"strong_auth": 1}, failed(2302), {}, ("failed", "strong_auth_refused", 2302)),
    ("remove-vehicle", "E", {}, failed(2317), {}, ("failed", "forbidden", 2317)),
    ("remove-vehicle", "E:otp", {}, failed(2101), {}, ("failed", "input_error", 2101)),
]


@pytest.mark.parametrize(("flow", "state", "counters", "message", "options", "end"), ENDS,
                         ids=[f"{r[0]}:{r[1]}:{r[5][1]}" for r in ENDS])
def test_each_end_says_why(
    flow: str, state: str, counters: dict[str, int], message: dict[str, Any], options: dict[str, Any],
    end: tuple[str, str | None, int | None],
) -> None:
    f = at(flow, state, **options)
    for name, value in counters.items():
        set_counter(f, name, value)
    f.receive(message)
    out = f.outcome
    assert out is not None, f"still at {f.state}"
    assert (out.state, out.cause, out.error_code) == end
    assert f.action is None


@pytest.mark.parametrize(("flow", "state"), [
    (E, "6:smsCode"), ("remove-vehicle", "E:vin"), ("update-pin", "C:newPIN"), ("modify-phone", "D:phoneNumber"),
])
def test_cancel_at_any_question_ends_cancelled_by_the_person(flow: str, state: str) -> None:
    f = at(flow, state)
    f.answer(fsm.CANCEL)
    out = f.outcome
    assert out is not None
    assert (out.state, out.cause, out.error_code) == ("cancelled", "cancelled_by_person", None)


# (flow, call state, counters set first, refusal) -> the question asked again: (state, why, attempt)
REASKED: list[tuple[str, str, dict[str, int], dict[str, Any], tuple[str, str, int]]] = [
    (E, "4.1", {}, failed(2305), ("4.1:smsCode:again", "sms_invalid", 2)),
    (E, "4.2", {}, failed(2305), ("4.2:smsCode:again", "sms_invalid", 2)),
    (E, "6", {}, failed(2305), ("6:smsCode", "sms_invalid", 2)),
    (E, "6", {"code_attempts": 1}, failed(2305), ("6:smsCode", "sms_invalid", 3)),
    (E, "8", {}, failed(2308), ("8:pinCode", "pin_rejected", 2)),
    (E, "B", {}, failed(2315), ("B:pinCode", "same_pin", 2)),
    (E, "B", {}, failed(2305), ("B:smsCode:again", "sms_invalid", 2)),
    ("update-pin", "C", {}, failed(2308), ("C:oldPIN", "pin_rejected", 2)),
    ("update-pin", "C", {}, failed(2315), ("C:newPIN", "same_pin", 2)),
    ("modify-phone", "D", {}, failed(2305), ("D:smsCode:again", "sms_invalid", 2)),
]


@pytest.mark.parametrize(("flow", "state", "counters", "message", "asked"), REASKED,
                         ids=[f"{r[0]}:{r[1]}:{r[4][0]}:{r[4][2]}" for r in REASKED])
def test_a_refused_answer_is_asked_again_saying_why_with_the_attempt_number(
    flow: str, state: str, counters: dict[str, int], message: dict[str, Any], asked: tuple[str, str, int],
) -> None:
    """The attempt counts every earlier refusal of that answer (PIN submissions, refused codes, same PINs)."""
    f = at(flow, state)
    for name, value in counters.items():
        set_counter(f, name, value)
    if flow == "update-pin" or state in ("8",):
        set_counter(f, "pin_attempts", 1)  # the call just made counted its PIN submission
    f.receive(message)
    q = f.action
    assert isinstance(q, fsm.Question)
    assert (q.state, q.why, q.attempt) == asked


def test_step_3_keeps_the_trusted_phone_number_for_step_5() -> None:
    """The tutorial dialect sends the number step 3 read to step 5 (no question asks it)."""
    f = fsm.start(E)
    f.receive(ok(isDeviceActivated=False))
    f.receive(ok(isAccountBlocked="NotBlocked"))
    f.receive(ok(phoneNumber="+33699887766"))
    call = f.action
    assert isinstance(call, fsm.Call)
    assert (call.step, call.parameters) == ("5", {"type": "enrollment", "phoneNumber": "+33699887766"})


def test_update_pin_stops_asking_the_old_pin_at_max_pin_attempts() -> None:
    """C: 2308 asks the old PIN again; every update call counts a PIN submission; the last refusal ends it."""
    f = at("update-pin", "C:oldPIN", max_pin_attempts=2)
    sent = 0
    while f.outcome is None:
        q = f.action
        if isinstance(q, fsm.Question):
            f.answer("402718" if q.name == "oldPIN" else "517093")
        else:
            sent += 1
            f.receive(failed(2308))
    out = f.outcome
    assert (sent, out.state, out.cause) == (2, "failed", "pin_attempts_exhausted")


def test_the_otp_call_counts_a_pin_submission() -> None:
    """E: the PIN given for the one-time password is sent to the SDK: it counts as a PIN submission."""
    f = at("remove-vehicle", "E")
    f.receive(failed(2302))
    f.answer("424242")
    f.receive(ok(otp="83920174"))
    assert f.snapshot()["counters"]["pin_attempts"] == 1


# What the reference says each counter counts, and its bound (PROTOCOL.md's words).
BOUNDS = [
    "retries of one call (`transient_retries`): `max_transient_retries` (default 2)",
    "invalid answers in a row (`invalid_answers`): `max_code_attempts` (default 3)",
    "PIN submissions (`pin_attempts`): `max_pin_attempts` (default 3)",
    "SMS codes refused (`code_attempts`): `max_code_attempts` (default 3)",
    "new PINs refused as equal to the old one (`same_pin`): `max_code_attempts` (default 3)",
    "passes through A (`restarts`): `max_restarts` (default 1)",
    "one-time passwords fetched (`strong_auth`): at most 1",
]


@pytest.mark.parametrize("words", BOUNDS)
def test_the_reference_says_what_each_counter_counts_and_its_bound(words: str) -> None:
    assert words in docs.reference()


@pytest.mark.parametrize("state", ["1", "2", "3", "4.1:request", "4.1", "4.2:request", "4.2", "5", "6", "7", "8",
                                   "B:request", "B"])
def test_2317_at_every_call_of_the_enrollment_but_a_removes_all_enrollments(state: str) -> None:
    """PROTOCOL.md: FAILED 2317 at any step of the enrollment -> A (remove all enrollments), except at A."""
    f = at(E, state, method="full" if state.startswith("4.2") else "auto")
    f.receive(failed(2317))
    assert f.state == "A"
    call = f.action
    assert isinstance(call, fsm.Call)
    assert call.parameters == {"action": "remove"}
