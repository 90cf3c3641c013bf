"""What each state of each flow calls or asks, and under which step and title: PROTOCOL.md's tables and the
tutorial's step headings written out here (not read from fsm.flows), checked against what a host is handed
(``flow.action``) and what the generated reference says.
"""

from __future__ import annotations

import pytest

import fsm
from fsm import docs
from tests.helpers import SLOTS, at

E = "enrollment"
PHONE, SMS, RESET_SMS = SLOTS["phoneNumber"], SLOTS["smsCode"], SLOTS["resetSmsCode"]
PIN, OLD, NEW, VIN = SLOTS["pinCode"], SLOTS["oldPIN"], SLOTS["newPIN"], SLOTS["vin"]
ACCOUNT, SMSCODE = "pims.authentication.account", "pims.authentication.smscode"
ENROLL = "pims.authentication.enrollment"

# (flow, state, step, op, api, parameters: tutorial dialect, android)
CALLS: list[tuple[str, str, str, str, str, dict[str, str]]] = [
    (E, "1", "1", "get", ACCOUNT, {"actionType": "strong", "type": "isDeviceActivated"}),
    (E, "2", "2", "get", ACCOUNT, {"actionType": "strong", "type": "isAccountBlocked"}),
    (E, "3", "3", "get", "pims.authentication.trustedphonenumber", {}),
    (E, "4.1:request", "4.1", "get", SMSCODE, {"type": "phoneNumberCertification", "phoneNumber": PHONE}),
    (E, "4.1", "4.1", "set", ENROLL,
     {"action": "enrollWithPhoneNumber", "pinCode": PIN, "smsCode": SMS, "phoneNumber": PHONE}),
    (E, "4.2:request", "4.2", "get", SMSCODE, {"type": "phoneNumberCertification", "phoneNumber": PHONE}),
    (E, "4.2", "4.2", "set", SMSCODE, {"type": "addPhoneNumber", "smsCode": SMS, "phoneNumber": PHONE}),
    (E, "5", "5", "get", SMSCODE, {"type": "enrollment", "phoneNumber": PHONE}),
    (E, "6", "6", "set", SMSCODE, {"action": "enrollment", "smsCode": SMS}),
    (E, "7", "7", "set", ENROLL, {"action": "enroll", "pinCode": PIN}),
    (E, "8", "8", "set", ENROLL, {"action": "enroll", "pinCode": PIN}),
    (E, "A", "A", "set", ENROLL, {"action": "remove"}),
    (E, "B:request", "B", "get", SMSCODE, {"type": "resetPIN"}),
    (E, "B", "B", "set", "pims.authentication.pincode", {"action": "reset", "pinCode": PIN, "smsCode": RESET_SMS}),
    ("remove-enrollments", "A", "A", "set", ENROLL, {"action": "remove"}),
    ("reset-pin", "1", "1", "get", ACCOUNT, {"actionType": "strong", "type": "isDeviceActivated"}),
    ("reset-pin", "B:request", "B", "get", SMSCODE, {"type": "resetPIN"}),
    ("reset-pin", "B", "B", "set", "pims.authentication.pincode",
     {"action": "reset", "pinCode": PIN, "smsCode": RESET_SMS}),
    ("update-pin", "1", "1", "get", ACCOUNT, {"actionType": "strong", "type": "isDeviceActivated"}),
    ("update-pin", "C", "C", "set", "pims.authentication.pincode", {"action": "update", "oldPIN": OLD, "newPIN": NEW}),
    ("update-pin", "B:request", "B", "get", SMSCODE, {"type": "resetPIN"}),
    ("modify-phone", "1", "1", "get", ACCOUNT, {"actionType": "strong", "type": "isDeviceActivated"}),
    ("modify-phone", "3", "3", "get", "pims.authentication.trustedphonenumber", {}),
    ("modify-phone", "D:request", "D", "get", SMSCODE, {"type": "phoneNumberCertification", "phoneNumber": PHONE}),
    ("modify-phone", "D", "D", "set", SMSCODE, {"type": "modifyPhoneNumber", "smsCode": SMS, "phoneNumber": PHONE}),
    ("remove-vehicle", "E", "E", "set", "pims.subscription.vehicle", {"action": "removeProperty", "vin": VIN}),
    ("remove-vehicle", "E:otp", "E", "get", "pims.authentication.otp", {"action": "withPIN", "pinCode": PIN}),
]


@pytest.mark.parametrize(("flow", "state", "step", "op", "api", "parameters"), CALLS,
                         ids=[f"{r[0]}:{r[1]}" for r in CALLS])
def test_each_call_state_makes_the_protocols_call(
    flow: str, state: str, step: str, op: str, api: str, parameters: dict[str, str],
) -> None:
    call = at(flow, state).action
    assert isinstance(call, fsm.Call)
    assert (call.step, call.state, call.op, call.api, call.parameters) == (step, state, op, api, parameters)


def test_steps_7_and_8_send_the_sms_code_on_ios_only() -> None:
    for state in ("7", "8"):
        call = at(E, state, platform="ios").action
        assert isinstance(call, fsm.Call)
        assert call.parameters == {"action": "enroll", "pinCode": PIN, "smsCode": SMS}


# (flow, state, step, input, prompt, secret, can answer "forgot PIN", chooses a new PIN)
QUESTIONS: list[tuple[str, str, str, str, str, bool, bool, bool]] = [
    (E, "4.1:phoneNumber", "4.1", "phoneNumber", "the phone number to register", False, False, False),
    (E, "4.1:smsCode", "4.1", "smsCode", "the SMS code sent to the new phone number", True, False, False),
    (E, "4.1:pinCode", "4.1", "pinCode", "a new PIN", True, False, True),
    (E, "4.1:smsCode:again", "4.1", "smsCode", "the SMS code sent to the new phone number", True, False, False),
    (E, "4.2:phoneNumber", "4.2", "phoneNumber", "the phone number to register", False, False, False),
    (E, "4.2:smsCode", "4.2", "smsCode", "the SMS code sent to the new phone number", True, False, False),
    (E, "4.2:smsCode:again", "4.2", "smsCode", "the SMS code sent to the new phone number", True, False, False),
    (E, "6:smsCode", "6", "smsCode", "the enrollment SMS code", True, False, False),
    (E, "7:pinCode", "7", "pinCode", "a new PIN", True, False, True),
    (E, "8:pinCode", "8", "pinCode", "your PIN", True, True, False),
    (E, "B:smsCode", "B", "smsCode", "the SMS code received to reset the PIN", True, False, False),
    (E, "B:pinCode", "B", "pinCode", "a new PIN", True, False, True),
    (E, "B:smsCode:again", "B", "smsCode", "the SMS code received to reset the PIN", True, False, False),
    ("reset-pin", "B:smsCode", "B", "smsCode", "the SMS code received to reset the PIN", True, False, False),
    ("reset-pin", "B:pinCode", "B", "pinCode", "a new PIN", True, False, True),
    ("update-pin", "C:oldPIN", "C", "oldPIN", "your current PIN", True, True, False),
    ("update-pin", "C:newPIN", "C", "newPIN", "a new PIN", True, False, True),
    ("update-pin", "B:pinCode", "B", "pinCode", "a new PIN", True, False, True),
    ("modify-phone", "D:phoneNumber", "D", "phoneNumber", "the new phone number", False, False, False),
    ("modify-phone", "D:smsCode", "D", "smsCode", "the SMS code sent to the new phone number", True, False, False),
    ("modify-phone", "D:smsCode:again", "D", "smsCode", "the SMS code sent to the new phone number", True, False,
     False),
    ("remove-vehicle", "E:vin", "E", "vin", "the VIN of the vehicle to remove", False, False, False),
    ("remove-vehicle", "E:pinCode", "E", "pinCode", "your PIN (strong authentication)", True, False, False),
]


@pytest.mark.parametrize(("flow", "state", "step", "name", "prompt", "secret", "forget", "new_pin"), QUESTIONS,
                         ids=[f"{r[0]}:{r[1]}" for r in QUESTIONS])
def test_each_question_asks_the_protocols_input(
    flow: str, state: str, step: str, name: str, prompt: str, secret: bool, forget: bool, new_pin: bool,
) -> None:
    q = at(flow, state).action
    assert isinstance(q, fsm.Question)
    assert (q.step, q.state, q.name, q.prompt, q.secret, q.can_forget_pin, q.new_pin) == (
        step, state, name, prompt, secret, forget, new_pin)


def test_every_state_of_every_flow_is_in_the_tables_above() -> None:
    """The tables above cover every call and question of every flow (a new state needs its row)."""
    listed = {(r[0], r[1]) for r in CALLS} | {(r[0], r[1]) for r in QUESTIONS}
    every = {(name, s.name) for name, flow in fsm.FLOWS.items() for s in flow.states if not s.terminal}
    missing = every - listed - {  # the same states as in another flow, listed once there
        ("reset-pin", "B:smsCode:again"), ("update-pin", "B:smsCode"), ("update-pin", "B:smsCode:again"),
        ("update-pin", "B"),
    }
    assert not missing


# The titles of the tutorial's steps as the reference shows them: "## <flow title> (`name`)",
# "### <step> · <step title>" and "#### State `<state>` — <call title>".
FLOW_TITLES = {
    E: "Device enrollment", "remove-enrollments": "Remove all enrollments", "reset-pin": "Reset PIN code",
    "update-pin": "Update PIN code", "modify-phone": "Modify phone number",
    "remove-vehicle": "Remove vehicle association",
}
CALL_TITLES: dict[str, list[tuple[str, str]]] = {
    E: [("1", "Check enrollment status"), ("2", "Check account status"), ("3", "Check phone number"),
        ("4.1:request", "Enrollment with phone number: request SMS code"), ("4.1", "Enrollment with phone number"),
        ("4.2:request", "Register trusted phone number: request SMS code"), ("4.2", "Register trusted phone number"),
        ("5", "Request enrollment SMS code"), ("6", "Check PIN code"), ("7", "Register new PIN code"),
        ("8", "Request device enrollment & validate PIN"), ("A", "Remove all enrollments"),
        ("B:request", "request the reset-PIN SMS code"), ("B", "reset PIN")],
    "remove-enrollments": [("A", "Remove all enrollments")],
    "reset-pin": [("1", "Check enrollment status"), ("B:request", "request the reset-PIN SMS code"),
                  ("B", "reset PIN")],
    "update-pin": [("1", "Check enrollment status"), ("C", "Update PIN code"),
                   ("B:request", "request the reset-PIN SMS code"), ("B", "reset PIN")],
    "modify-phone": [("1", "Check enrollment status"), ("3", "Check phone number"),
                     ("D:request", "Modify phone number: request SMS code"), ("D", "Modify phone number")],
    "remove-vehicle": [("E", "Remove vehicle association"), ("E:otp", "Strong authentication: OTP with PIN")],
}


def _section(text: str, flow: str) -> str:
    start = text.index(f"\n## {FLOW_TITLES[flow]} (`{flow}`)\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


@pytest.mark.parametrize("flow", list(FLOW_TITLES))
def test_the_reference_titles_each_flow_and_call_state_as_the_tutorial_does(flow: str) -> None:
    section = _section(docs.reference(), flow)
    for state, title in CALL_TITLES[flow]:
        assert f"\n#### State `{state}` — {title}\n" in section


# (flow, the state whose SUCCEEDED ends the flow, its end)
LAST_CALLS = [(E, "8", "enrolled"), ("remove-enrollments", "A", "done"), ("reset-pin", "B", "done"),
              ("update-pin", "C", "done"), ("modify-phone", "D", "done"), ("remove-vehicle", "E", "done")]


@pytest.mark.parametrize(("flow", "state", "end"), LAST_CALLS)
def test_a_success_is_told_by_the_flows_title(flow: str, state: str, end: str) -> None:
    f = at(flow, state)
    f.receive({"transactionId": "t", "status": "SUCCEEDED"})
    out = f.outcome
    assert out is not None
    assert (out.ok, out.reason) == (True, f"{FLOW_TITLES[flow]}: {end}")


def test_the_reset_pin_code_is_kept_apart_from_the_enrollment_code() -> None:
    """iOS: step 8 sends the enrollment SMS code (step 6's); after "forgot PIN", B sends the reset code it asked
    for, and step 8 then still sends step 6's code with the new PIN."""
    f = fsm.start(E, platform="ios")
    for message in ({"isDeviceActivated": False}, {"isAccountBlocked": "NotBlocked"}, {"phoneNumber": PHONE},
                    {}):
        f.receive({"transactionId": f"t{len(f.trace)}", "status": "SUCCEEDED", "result": message})
    f.answer("246810")  # 6:smsCode, the enrollment code
    f.receive({"transactionId": "t6", "status": "SUCCEEDED", "result": {"status": "AlreadyEnrolled"}})
    f.answer(fsm.FORGOT_PIN)  # 8:pinCode
    f.receive({"transactionId": "tB1", "status": "SUCCEEDED", "result": {}})  # B:request
    f.answer("135790")  # B:smsCode, the reset code
    f.answer("402718")  # B:pinCode, the new PIN
    reset = f.action
    assert isinstance(reset, fsm.Call)
    assert reset.parameters == {"action": "reset", "pinCode": "402718", "smsCode": "135790"}
    f.receive({"transactionId": "tB2", "status": "SUCCEEDED", "result": {}})
    enroll = f.action
    assert isinstance(enroll, fsm.Call)
    assert (enroll.step, enroll.parameters) == ("8", {"action": "enroll", "pinCode": "402718", "smsCode": "246810"})


@pytest.mark.parametrize(("flow", "state", "code", "again", "call_state", "parameter"), [
    (E, "B", 2305, "B:smsCode:again", "B", "smsCode"),
    (E, "4.1", 2305, "4.1:smsCode:again", "4.1", "smsCode"),
    (E, "4.2", 2305, "4.2:smsCode:again", "4.2", "smsCode"),
    (E, "6", 2305, "6:smsCode", "6", "smsCode"),
    ("modify-phone", "D", 2305, "D:smsCode:again", "D", "smsCode"),
    ("update-pin", "C", 2315, "C:newPIN", "C", "newPIN"),
    (E, "B", 2315, "B:pinCode", "B", "pinCode"),
])
def test_the_answer_asked_again_is_the_one_sent_next(
    flow: str, state: str, code: int, again: str, call_state: str, parameter: str,
) -> None:
    """After the SDK refuses a code (or a new PIN), the call is made again with the new answer, not the old."""
    f = at(flow, state, method="full" if state == "4.2" else "auto")
    f.receive({"transactionId": "t", "status": "FAILED", "error": {"code": code}})
    assert f.state == again
    f.answer("80604020")
    call = f.action
    assert isinstance(call, fsm.Call)
    assert (call.state, call.parameters[parameter]) == (call_state, "80604020")
