"""The account-management flows that stand alone (the tutorial's letters A to E)."""

from __future__ import annotations

from fsm import spec
from fsm.flows.common import COUNTERS, again, call, fail, guarded, question, reset_pin, retry, terminals
from fsm.spec import DONE, Edge, FlowSpec, State

S = spec.SUCCEEDED
END = terminals(DONE, spec.FAILED, spec.CANCELLED)
NEEDS_ENROLLMENT = (  # pragma: no mutate (prose for the reference)
    "Needs an active enrollment (step 1 true); without one the flow ends failed (not_enrolled) "
    "with no further call: the destructive A the tutorial mentions is never made on its own."
)


def _check_enrolled(then: str) -> State:
    return call("1", "1", "Check enrollment status", "is_device_activated",
                [Edge(outcome="activated", target=then),
                 fail("not_activated", "not_enrolled")])


REMOVE_ENROLLMENTS = FlowSpec(
    name="remove-enrollments",
    title="Remove all enrollments",
    counters=COUNTERS,
    states=(
        call("A", "A", "Remove all enrollments", "remove_enrollments", [Edge(outcome=S, target=DONE)]),
        *terminals(DONE, spec.FAILED),
    ),
)

RESET_PIN = FlowSpec(
    name="reset-pin",
    title="Reset PIN code",
    counters=COUNTERS,
    notes=(NEEDS_ENROLLMENT,),  # pragma: no mutate (prose for the reference)
    states=(
        _check_enrolled("B:request"),
        *reset_pin([Edge(outcome=S, target=DONE)], on_2317=(fail(spec.ERROR_2317, "forbidden"),)),
        *END,
    ),
)

UPDATE_PIN = FlowSpec(
    name="update-pin",
    title="Update PIN code",
    counters=COUNTERS,
    notes=(  # pragma: no mutate (prose for the reference)
        NEEDS_ENROLLMENT,
        "A person who forgot the old PIN is sent to B (reset PIN).",
        "Only FAILED 2308 (inwebo: access refused: the old PIN is wrong) asks the old PIN again, at most "
        "max_pin_attempts submissions in all; 2315 asks the new PIN again. Any other code (2001 not "
        "initialised, 2344 not configured, an unknown code) ends failed with that code, like every other call.",
    ),
    states=(
        _check_enrolled("C:oldPIN"),
        question("C:oldPIN", "C", "oldPIN", "your current PIN", "C:newPIN", tally="pin_attempts",
                 forgot_pin="B:request"),
        question("C:newPIN", "C", "newPIN", "a new PIN",
                 guarded(spec.ANSWERED, "C", "pin_attempts", "pin_attempts_exhausted"),
                 tally="same_pin", new_pin=True),
        call("C", "C", "Update PIN code", "update_pin",
             [Edge(outcome=S, target=DONE),
              *retry("same_pin", "C:newPIN", "same_pin", "same_pin_exhausted"),
              Edge(outcome="pin_rejected", target="C:oldPIN", guard=spec.below("pin_attempts")),
              fail("pin_rejected", "pin_attempts_exhausted")],
             errors={2315: "same_pin", 2308: "pin_rejected"}, counts="pin_attempts"),
        *reset_pin([Edge(outcome=S, target=DONE)], on_2317=(fail(spec.ERROR_2317, "forbidden"),)),
        *END,
    ),
)

MODIFY_PHONE = FlowSpec(
    name="modify-phone",
    title="Modify phone number",
    counters=COUNTERS,
    notes=(  # pragma: no mutate (prose for the reference)
        NEEDS_ENROLLMENT, "Needs a trusted phone number (step 3); without one it ends failed (no_phone).",
    ),
    states=(
        _check_enrolled("3"),
        call("3", "3", "Check phone number", "trusted_phone_number",
             [Edge(outcome="phone_present", target="D:phoneNumber"),
              fail("no_phone", "no_phone")],
             errors={2307: "no_phone"}),
        question("D:phoneNumber", "D", "phoneNumber", "the new phone number", "D:request"),
        call("D:request", "D", "Modify phone number: request SMS code", "sms_phone_certification",
             [Edge(outcome=S, target="D:smsCode")]),
        question("D:smsCode", "D", "smsCode", "the SMS code sent to the new phone number", "D"),
        question(again("D:smsCode"), "D", "smsCode", "the SMS code sent to the new phone number", "D",
                 tally="code_attempts"),
        call("D", "D", "Modify phone number", "modify_phone_number",
             [Edge(outcome=S, target=DONE),
              *retry("sms_invalid", again("D:smsCode"), "code_attempts", "code_attempts_exhausted")],
             errors={2305: "sms_invalid"}),
        *END,
    ),
)

REMOVE_VEHICLE = FlowSpec(
    name="remove-vehicle",
    title="Remove vehicle association",
    counters=COUNTERS,
    notes=(  # pragma: no mutate (prose for the reference)
        "FAILED 2302 (needs strong authentication): the PIN is asked, an OTP fetched with "
        "get otp {action: withPIN}, and E is repeated once; a second 2302 ends the run.",
    ),
    states=(
        question("E:vin", "E", "vin", "the VIN of the vehicle to remove", "E"),
        call("E", "E", "Remove vehicle association", "remove_vehicle",
             [Edge(outcome=S, target=DONE),
              *retry("needs_strong_auth", "E:pinCode", "strong_auth", "strong_auth_refused")],
             errors={2302: "needs_strong_auth"}),
        question("E:pinCode", "E", "pinCode", "your PIN (strong authentication)", "E:otp"),
        call("E:otp", "E", "Strong authentication: OTP with PIN", "otp_with_pin",
             [Edge(outcome=S, target="E")], counts="pin_attempts"),
        *END,
    ),
)
