"""The enrollment flow: steps 1 to 8, with A and B as recovery (the tutorial's steps)."""

from __future__ import annotations

from fsm import spec
from fsm.flows.common import COUNTERS, again, call, fail, guarded, question, reset_pin, retry, terminals
from fsm.spec import ENROLLED, Edge, FlowSpec

S = spec.SUCCEEDED

#: FAILED 2317 at any call of this flow removes all enrollments (A), at most max_restarts times.
TO_A = (
    Edge(outcome=spec.ERROR_2317, target="A", guard=spec.below("restarts"), count="restarts"),
    fail(spec.ERROR_2317, "restarts_exhausted"),
)


def _pin_then_8(outcome: str) -> tuple[Edge, Edge]:
    """Go to step 8 only while a PIN submission is left (a run never sends more than the bound)."""
    return guarded(outcome, "8", "pin_attempts", "pin_attempts_exhausted")


ENROLLMENT = FlowSpec(
    name="enrollment",
    title="Device enrollment",
    counters=COUNTERS,
    notes=(  # pragma: no mutate (prose for the reference)
        "Step 2: the tutorial names AccountBlocked and PINBlocked, the reference PinBlocked, early docs a "
        "boolean; every blocked spelling (PinBlocked, PINBlocked, AccountBlocked, true) leads to A. Unknown is "
        "not a blocked signal, so the flow goes on to step 3, because A is destructive.",
        "Step 3: the tutorial shows a null number, the reference answers FAILED 2307; a null, empty or absent "
        "number and FAILED 2307 all mean: no trusted phone number.",
        "Step 4.1 (enrollWithPhoneNumber, the shortcut) is taken only when the method is auto and the SDK is "
        "2.1.0 or later, because the call does not exist before 2.1; otherwise 4.2.",
        "Steps 7 and 8 make the same call, both kept as the tutorial shows them; the PIN chosen at 7 is sent "
        "again at 8 without a new question.",
        "The smsCode parameter of steps 7 and 8 is sent on iOS only, as the tutorial says of that API.",
        "B's SMS code comes from get smscode {type: resetPIN}, the reference's call for it; the tutorial does "
        "not say where it comes from.",
        "The tutorial's retry at step 8 has no bound; it is bounded by max_pin_attempts submissions in all, "
        "counted across A and B, and the A -> 3 loop by max_restarts passes, so every run ends.",
        "Step 6: AlreadyEnrolled and NotEnrolled lead on to a PIN only while a PIN submission is left; when "
        "none is, the flow ends failed (pin_attempts_exhausted) without asking for a PIN it could not send.",
        "An expired SMS code (2306 at step 6) counts as a refused code, so new codes are asked for at most "
        "max_code_attempts times (the tutorial gives no bound).",
        "FAILED 2317 at any call of this flow but A leads to A (remove all enrollments) and back to step 3, at "
        "most max_restarts times; the tutorial says so of step 8, and 2317 means the same blocked account at any "
        "step. 2317 at A itself ends the run, since removing again cannot help.",
    ),
    states=(
        call("1", "1", "Check enrollment status", "is_device_activated",
             [Edge(outcome="activated", target=ENROLLED, cause="activated"),
              Edge(outcome="not_activated", target="2")], on_2317=TO_A),
        call("2", "2", "Check account status", "is_account_blocked",
             [Edge(outcome="not_blocked", target="3"),
              Edge(outcome="blocked_unknown", target="3"),
              Edge(outcome="blocked", target="A", guard=spec.below("restarts"), count="restarts"),
              fail("blocked", "restarts_exhausted", code=2317)], on_2317=TO_A),
        call("3", "3", "Check phone number", "trusted_phone_number",
             [Edge(outcome="phone_present", target="5"),
              Edge(outcome="no_phone", target="4.1:phoneNumber", guard=spec.SHORTCUT),
              Edge(outcome="no_phone", target="4.2:phoneNumber")],
             errors={2307: "no_phone"}, keep=("phoneNumber",), on_2317=TO_A),
        # 4.1 — shortcut: enroll and register the phone number at once.
        question("4.1:phoneNumber", "4.1", "phoneNumber", "the phone number to register", "4.1:request"),
        call("4.1:request", "4.1", "Enrollment with phone number: request SMS code", "sms_phone_certification",
             [Edge(outcome=S, target="4.1:smsCode")], on_2317=TO_A),
        question("4.1:smsCode", "4.1", "smsCode", "the SMS code sent to the new phone number", "4.1:pinCode"),
        question("4.1:pinCode", "4.1", "pinCode", "a new PIN", "4.1", new_pin=True),
        question(again("4.1:smsCode"), "4.1", "smsCode", "the SMS code sent to the new phone number", "4.1",
                 tally="code_attempts"),
        call("4.1", "4.1", "Enrollment with phone number", "enroll_with_phone_number",
             [Edge(outcome=S, target=ENROLLED, cause="activated"),
              *retry("sms_invalid", again("4.1:smsCode"), "code_attempts", "code_attempts_exhausted"),
              Edge(outcome="phone_taken", target="5")],
             errors={2305: "sms_invalid", 2390: "phone_taken"}, on_2317=TO_A),
        # 4.2 — full method: register the trusted phone number.
        question("4.2:phoneNumber", "4.2", "phoneNumber", "the phone number to register", "4.2:request"),
        call("4.2:request", "4.2", "Register trusted phone number: request SMS code", "sms_phone_certification",
             [Edge(outcome=S, target="4.2:smsCode")], on_2317=TO_A),
        question("4.2:smsCode", "4.2", "smsCode", "the SMS code sent to the new phone number", "4.2"),
        question(again("4.2:smsCode"), "4.2", "smsCode", "the SMS code sent to the new phone number", "4.2",
                 tally="code_attempts"),
        call("4.2", "4.2", "Register trusted phone number", "add_phone_number",
             [Edge(outcome=S, target="5"),
              *retry("sms_invalid", again("4.2:smsCode"), "code_attempts", "code_attempts_exhausted")],
             errors={2305: "sms_invalid"}, on_2317=TO_A),
        call("5", "5", "Request enrollment SMS code", "sms_enrollment",
             [Edge(outcome=S, target="6:smsCode")], on_2317=TO_A),
        question("6:smsCode", "6", "smsCode", "the enrollment SMS code", "6", tally="code_attempts"),
        call("6", "6", "Check PIN code", "check_enrollment_code",
             [*guarded("already_enrolled", "8:pinCode", "pin_attempts", "pin_attempts_exhausted"),
              *guarded("not_enrolled", "7:pinCode", "pin_attempts", "pin_attempts_exhausted"),
              *retry("sms_invalid", "6:smsCode", "code_attempts", "code_attempts_exhausted"),
              *retry("sms_expired", "5", "code_attempts", "code_attempts_exhausted")],
             errors={2305: "sms_invalid", 2306: "sms_expired"}, on_2317=TO_A),
        question("7:pinCode", "7", "pinCode", "a new PIN", "7", new_pin=True),
        call("7", "7", "Register new PIN code", "enroll",
             [*_pin_then_8(S)], on_2317=TO_A),
        question("8:pinCode", "8", "pinCode", "your PIN", "8", tally="pin_attempts", forgot_pin="B:request"),
        call("8", "8", "Request device enrollment & validate PIN", "enroll",
             [Edge(outcome=S, target=ENROLLED, cause="activated"),
              *guarded("pin_rejected", "8:pinCode", "pin_attempts", "pin_attempts_exhausted")],
             errors={2010: "pin_rejected", 2101: "pin_rejected", 2102: "pin_rejected"},
             other_errors="pin_rejected", counts="pin_attempts", on_2317=TO_A),
        call("A", "A", "Remove all enrollments", "remove_enrollments",
             [Edge(outcome=S, target="3")]),
        # B is reached only from 8:pinCode, where a PIN submission is always left (the checker proves it).
        *reset_pin([Edge(outcome=S, target="8")], on_2317=TO_A),
        *terminals(ENROLLED, spec.FAILED, spec.CANCELLED),
    ),
)
