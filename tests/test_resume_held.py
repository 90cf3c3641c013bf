"""A snapshot a run wrote resumes where the run stood, with the values it held and the counts it had (README,
"Snapshots": it resumes where it stopped when no secret is needed before being asked again).

Quick cases for what the walk of reachable configurations must know: a question's answer is held after it
(a phone number, a VIN), a call's result field is kept (step 3's number), the invalid answers in a row so far
are kept, and a state that needs nothing dropped resumes as itself with the same call.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm
from tests.helpers import ok


def _4_2_request() -> fsm.Flow:
    f = fsm.start("enrollment", method="full")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber=None)):
        f.receive(message)
    f.answer("0612345678")
    return f


def _5_with_the_number_of_3() -> fsm.Flow:
    f = fsm.start("enrollment")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber="0699887766")):
        f.receive(message)
    return f


def _e_with_a_vin() -> fsm.Flow:
    f = fsm.start("remove-vehicle")
    f.answer("VR1AB12C3D4567890")
    return f


def _d_request() -> fsm.Flow:
    f = fsm.start("modify-phone")
    f.receive(ok(isDeviceActivated=True))
    f.receive(ok(phoneNumber="0612345678"))
    f.answer("+33611223344")
    return f


@pytest.mark.parametrize("make", [_4_2_request, _5_with_the_number_of_3, _e_with_a_vin, _d_request])
def test_a_call_that_needs_no_secret_resumes_as_itself_with_the_value_it_holds(make: Callable[[], fsm.Flow]) -> None:
    f = make()
    g = fsm.resume(f.snapshot())
    assert (g.state, g.action) == (f.state, f.action)


def test_a_snapshot_without_the_value_the_call_needs_is_refused() -> None:
    snap = _4_2_request().snapshot()
    snap["values"] = {}
    with pytest.raises(fsm.SnapshotInvalid):
        fsm.resume(snap)


def test_invalid_answers_in_a_row_are_kept_across_a_resume() -> None:
    """Two invalid phone numbers (of three allowed re-asks), saved and resumed: one more re-ask, then cancelled."""
    f = fsm.start("enrollment", method="full")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber=None)):
        f.receive(message)
    f.answer("12")
    f.answer("34")
    g = fsm.resume(f.snapshot())
    assert g.state == "4.2:phoneNumber"
    g.answer("56")
    assert g.state == "4.2:phoneNumber"
    g.answer("78")
    out = g.outcome
    assert out is not None
    assert (out.state, out.cause) == ("cancelled", "invalid_answers_exhausted")


@settings(max_examples=60, deadline=None)
@given(number=st.text(min_size=1, max_size=40))
def test_the_sdk_s_phone_number_resumes_however_it_is_written(number: str) -> None:
    """RELIABILITY.md F5 (a snapshot of every reachable state resumes to it): step 3 keeps the SDK's trusted
    phone number as the SDK wrote it (masked, international, spaced, anything a message carries), so a
    snapshot at each step after it resumes with it, and the resumed run makes the straight run's calls."""
    straight = fsm.start("enrollment", platform="android")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber=number)):
        straight.receive(message)
    at_5, call_5 = straight.snapshot(), straight.action  # 5: the SMS request, with the number
    straight.receive(ok())
    straight.answer("402718")
    at_6, call_6 = straight.snapshot(), straight.action  # 6: the code is dropped, so it is asked again first
    resumed = fsm.resume(json.loads(json.dumps(at_5)))
    assert (resumed.values["phoneNumber"], resumed.action) == (number, call_5)
    resumed = fsm.resume(json.loads(json.dumps(at_6)))
    assert resumed.values["phoneNumber"] == number
    resumed.answer("402718")
    assert resumed.action == call_6
