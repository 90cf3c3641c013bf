"""The named journeys, end to end: fsm.run against the embedded simulator."""

from __future__ import annotations

import random
from typing import Any

import pytest

import fsm
from fsm.ports.persons import DEMO_NEW_PIN, DemoPerson
from fsm.ports.simulator import DEMO_PIN, DEMO_VIN, THIS_DEVICE, Simulator


def go(flow: str, account: str, overrides: dict[str, list[Any]] | None = None,
       **options: Any) -> tuple[fsm.Outcome, Simulator, DemoPerson]:
    sim = Simulator(account, rng=random.Random(7))
    person = DemoPerson(sim, overrides=overrides)
    out = fsm.run(flow, port=sim, person=person, sleep=lambda _: None, **options)
    return out, sim, person


def states(out: fsm.Outcome) -> list[str]:
    return [t.state for t in out.trace]


def test_shortcut_enrolls_with_phone_number_in_one_call() -> None:
    """New account, SDK >= 2.1, method auto: steps 1, 2, 3, 4.1 and enrolled."""
    out, sim, _ = go("enrollment", "new")
    assert (out.ok, out.state) == (True, "enrolled")
    assert [t.step for t in out.trace if t.kind == "call"] == ["1", "2", "3", "4.1", "4.1"]
    assert THIS_DEVICE in sim.account.devices
    assert sim.account.pin == DEMO_PIN


@pytest.mark.parametrize("options", [{"method": "full"}, {"sdk_version": "2.0.0"}])
def test_full_method_goes_through_4_2_then_5_to_8(options: dict[str, Any]) -> None:
    """Method full (or SDK < 2.1): 4.2 registers the phone, then 5, 6, 7 and 8."""
    out, sim, _ = go("enrollment", "new", **options)
    assert out.state == "enrolled"
    assert [t.step for t in out.trace if t.kind == "call"] == ["1", "2", "3", "4.2", "4.2", "5", "6", "7", "8"]
    assert sim.account.phone is not None


def test_already_enrolled_account_goes_straight_to_8_with_the_existing_pin() -> None:
    """6 says AlreadyEnrolled: the person's existing PIN is validated at 8; 7 is skipped."""
    out, _, person = go("enrollment", "existing-pin")
    assert out.state == "enrolled"
    assert "7" not in [t.step for t in out.trace]
    assert [q.prompt for q in person.asked if q.name == "pinCode"] == ["your PIN"]


def test_already_enrolled_device_stops_at_step_1() -> None:
    out, _, person = go("enrollment", "enrolled")
    assert (out.state, states(out), person.asked) == ("enrolled", ["1"], [])


def test_pin_blocked_account_removes_enrollments_then_enrolls() -> None:
    """2 says PinBlocked: A, then 3 again, and the enrollment goes through."""
    out, _, _ = go("enrollment", "pin-blocked")
    assert out.state == "enrolled"
    assert states(out)[:4] == ["1", "2", "A", "3"]


def test_wrong_pin_then_right_pin() -> None:
    """A wrong PIN at 8 asks again, saying why; the right one enrolls."""
    out, _, person = go("enrollment", "existing-pin", {"pinCode": ["111333"]})
    assert out.state == "enrolled"
    pins = [q for q in person.asked if q.name == "pinCode"]
    assert [(q.attempt, q.why) for q in pins] == [(1, None), (2, "pin_rejected")]


def test_2317_goes_through_a_and_restarts_at_3() -> None:
    """FAILED 2317 at 8: A removes all enrollments, then the flow restarts at step 3."""
    out, _, _ = go("enrollment", "forbidden-once")
    assert out.state == "enrolled"
    i = states(out).index("A")
    assert out.trace[i - 1].code == 2317
    assert states(out)[i + 1] == "3"


def test_pin_attempts_exhausted_ends_failed() -> None:
    """Wrong PINs until the bound: failed, with no further submission."""
    out, sim, _ = go("enrollment", "existing-pin", {"pinCode": ["111333"] * 5}, max_pin_attempts=2)
    assert (out.state, out.cause) == ("failed", "pin_attempts_exhausted")
    assert sum(1 for t in out.trace if t.state == "8") == 2
    assert sim.account.wrong_pins == 2


def test_simulator_lockout_after_wrong_pins_leads_to_a_then_failed() -> None:
    """Three wrong PINs lock the account (2317): A once, then the bound on restarts ends the run."""
    out, _, _ = go("enrollment", "existing-pin", {"pinCode": ["111333"] * 20}, max_pin_attempts=10)
    assert out.state == "failed"
    assert out.error_code == 2317
    assert states(out).count("A") == 1


def test_forgot_pin_resets_it_at_b_then_enrolls_with_the_new_pin() -> None:
    """'Forgot PIN' at 8 goes to B (reset with an SMS code), then 8 with the new PIN."""
    out, sim, _ = go("enrollment", "existing-pin", {"pinCode": [fsm.FORGOT_PIN, DEMO_NEW_PIN, DEMO_NEW_PIN]})
    assert out.state == "enrolled"
    assert "B" in [t.step for t in out.trace]
    assert sim.account.pin == DEMO_NEW_PIN


def test_cancel_ends_cancelled() -> None:
    out, _, _ = go("enrollment", "phone", {"smsCode": [fsm.CANCEL]})
    assert (out.state, out.ok, out.cause) == ("cancelled", False, "cancelled_by_person")


def test_ios_sends_the_sms_code_at_steps_7_and_8() -> None:
    """On iOS the enrollment SMS code goes along with the PIN at 7 and 8."""
    out, _, _ = go("enrollment", "phone", platform="ios")
    assert out.state == "enrolled"
    assert all("smsCode" in t.parameters for t in out.trace if t.step in ("7", "8") and t.kind == "call")


def test_remove_enrollments_flow() -> None:
    out, sim, _ = go("remove-enrollments", "existing-pin")
    assert (out.state, out.ok, sim.account.devices) == ("done", True, set())


def test_reset_pin_flow() -> None:
    out, sim, _ = go("reset-pin", "enrolled")
    assert (out.state, sim.account.pin) == ("done", DEMO_NEW_PIN)


def test_reset_pin_needs_an_enrollment() -> None:
    out, sim, _ = go("reset-pin", "phone")
    assert (out.state, out.cause) == ("failed", "not_enrolled")
    assert len(sim.calls) == 1


def test_update_pin_flow_and_same_pin_refusal() -> None:
    """C: the same PIN is refused (2315) and asked again; a different one is set."""
    out, sim, person = go("update-pin", "enrolled", {"newPIN": [DEMO_PIN]})
    assert (out.state, sim.account.pin) == ("done", DEMO_NEW_PIN)
    assert [q.why for q in person.asked if q.name == "newPIN"] == [None, "same_pin"]


def test_update_pin_forgot_old_pin_goes_to_b() -> None:
    out, sim, _ = go("update-pin", "enrolled", {"oldPIN": [fsm.FORGOT_PIN]})
    assert out.state == "done"
    assert "B" in [t.step for t in out.trace]
    assert sim.account.pin == DEMO_NEW_PIN


def test_modify_phone_flow() -> None:
    out, sim, _ = go("modify-phone", "enrolled", {"phoneNumber": ["+33698765432"]})
    assert (out.state, sim.account.phone) == ("done", "+33698765432")


def test_modify_phone_needs_a_phone_number() -> None:
    out, _, _ = go("modify-phone", "enrolled-no-phone")
    assert (out.state, out.cause) == ("failed", "no_phone")


def test_remove_vehicle_flow() -> None:
    out, sim, _ = go("remove-vehicle", "enrolled")
    assert (out.state, sim.account.vehicles) == ("done", set())


def test_remove_vehicle_with_strong_authentication() -> None:
    """2302: PIN, OTP withPIN, then E again."""
    out, sim, _ = go("remove-vehicle", "vehicle-otp")
    assert out.state == "done"
    assert [t.state for t in out.trace if t.kind == "call"] == ["E", "E:otp", "E"]
    assert DEMO_VIN not in sim.account.vehicles


def test_remove_vehicle_needs_sdk_2_1() -> None:
    """removeProperty exists from SDK 2.1: an older SDK is refused before any call."""
    with pytest.raises(fsm.OptionError, match=r"2\.1"):
        fsm.start("remove-vehicle", sdk_version="2.0.5")


def test_expired_sms_code_asks_for_a_new_one() -> None:
    """2306 at 6 (code expired): back to 5 for a fresh code."""
    now = [0.0]
    sim = Simulator("phone", clock=lambda: now[0], code_ttl=60, rng=random.Random(1))
    demo = DemoPerson(sim)

    class Slow:
        def provide(self, q: fsm.Question) -> fsm.messages.Answer:
            if q.name == "smsCode" and len(sim.inbox) == 1:
                now[0] += 120  # the person read the SMS too late
            return demo.provide(q)

    out = fsm.run("enrollment", port=sim, person=Slow(), sleep=lambda _: None)
    assert out.state == "enrolled"
    assert next(t.code for t in out.trace if t.step == "6" and t.kind == "call") == 2306
    assert [t.step for t in out.trace if t.kind == "call"].count("5") == 2
