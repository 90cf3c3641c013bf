"""Transcripts keep only what replay needs: every recorded message reads exactly as the SDK's did, and
nothing else of it (labels, echoed parameters, unknown fields, secrets) is written down."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsm
from fsm.catalog import CATALOG
from fsm.classify import classify
from fsm.machine import compiled
from fsm.messages import Call, new_call
from fsm.ports.persons import DemoPerson
from fsm.transcript import Recorder, record_answer, recorded_message, replay
from tests.test_secrets import CANARIES, NEW_PIN, OTP, PIN, SMS, CanarySim, assert_clean

#: One call state per catalog entry (the flows' states that make it), to read messages as that step does.
STATES = {}
for _flow in fsm.FLOWS.values():
    for _state in _flow.states:
        if _state.call is not None and _state.call not in STATES:
            STATES[_state.call] = (_flow.name, _state.name)


def call_of(entry: str) -> Call:
    e = CATALOG[entry]
    flow, state = STATES[entry]
    return new_call(e.op, e.api, (), compiled(flow).states[state].step, state, e.key)


def reading(entry: str, message: object) -> tuple[str, ...]:
    """How the step making ``entry``'s call reads ``message``: its outcome and the value it keeps, or the field
    and problem that make it malformed. This is what replay depends on."""
    flow, state = STATES[entry]
    c = compiled(flow)
    try:
        msg = fsm.parse_message(message)
        outcome = classify(c.states[state], c.entries[state], msg)
    except fsm.MalformedMessage as exc:
        return ("malformed", exc.field, exc.problem)
    kept = CATALOG[entry].output.read(msg.result) if msg.result is not None else None
    return ("read", outcome, msg.transaction_id, str(msg.error_code), repr(kept) if type(kept) is str else "")


_scalars = st.none() | st.booleans() | st.integers(-3, 10**10) | st.floats(allow_nan=True) | st.text(max_size=6)
_junk = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4),
                                                                                           inner, max_size=2),
                     max_leaves=4)
_field_names = st.sampled_from(["isDeviceActivated", "isAccountBlocked", "phoneNumber", "trustedphoneNumber",
                                "trustedPhoneNumber", "status", "otp", "debug", "label", "pinCode", "x"])
_values = st.sampled_from([True, False, "NotBlocked", "PinBlocked", "Unknown", "AlreadyEnrolled", "NotEnrolled",
                           "0612345678", "", None, PIN, "y" * 4097, [1], {"pinCode": PIN}]) | _junk
_results = st.dictionaries(_field_names, _values, max_size=4) | _junk
_codes = st.sampled_from([2317, "2317", 2201, 2305, 9999, "0", "", "2317x", True, 2317.0, None, -1, "1234567890",
                          PIN, [2317]]) | _junk


@st.composite
def messages(draw: st.DrawFn) -> object:
    """SDK messages good and bad: every field present, absent, of the wrong type, or holding a canary."""
    if draw(st.integers(0, 20)) == 0:
        return draw(_junk)
    out: dict[str, Any] = {}
    if draw(st.booleans()) or draw(st.booleans()):
        out["transactionId"] = draw(st.sampled_from(["tx-1", "", "t" * 128, "t" * 129]) | _junk)
    status = draw(st.sampled_from(["SUCCEEDED", "FAILED", "PENDING", PIN, None, True, "succeeded"]) | _junk)
    if draw(st.integers(0, 9)):
        out["status"] = status
    if draw(st.booleans()):
        out["result"] = draw(_results)
    if draw(st.booleans()):
        error: Any = draw(st.fixed_dictionaries({}, optional={"code": _codes, "label": st.just(f"bad pin {PIN}"),
                                                              "request": st.just({"pinCode": PIN})}) | _junk)
        out["error"] = error
    if draw(st.booleans()):
        out["debug"] = {"request": {"pinCode": PIN, "smsCode": SMS}}
    return out


@given(entry=st.sampled_from(sorted(STATES)), message=messages())
def test_a_recorded_message_reads_as_the_message_did(entry: str, message: object) -> None:
    """Oracle: the parser and classifier of the step. The recording keeps everything that decides them."""
    recorded = recorded_message(call_of(entry), message)
    assert reading(entry, recorded) == reading(entry, message)
    json.dumps(recorded)  # a transcript is JSON


@given(entry=st.sampled_from(sorted(STATES)), message=messages())
def test_a_recorded_message_holds_no_canary(entry: str, message: object) -> None:
    """Labels, echoed parameters, unknown fields and secret result fields never reach a transcript."""
    assert_clean("recorded message", json.dumps(recorded_message(call_of(entry), message)))


def test_only_the_allow_listed_fields_are_kept() -> None:
    message = {"transactionId": "tx-9", "status": "FAILED", "error": {"code": 2308, "label": f"pin={PIN}",
                                                                       "request": {"pinCode": PIN}},
               "debug": {"request": {"pinCode": PIN}}, "result": {"otp": OTP}}
    assert recorded_message(call_of("enroll"), message) == {"transactionId": "tx-9", "status": "FAILED",
                                                            "error": {"code": 2308}}
    ok = {"transactionId": "tx-10", "status": "SUCCEEDED", "result": {"otp": OTP, "note": PIN}, "extra": PIN}
    assert recorded_message(call_of("otp_with_pin"), ok) == {"transactionId": "tx-10", "status": "SUCCEEDED",
                                                             "result": {"otp": "***"}}
    phone = {"transactionId": "tx-11", "status": "SUCCEEDED", "result": {"trustedphoneNumber": "0612345678",
                                                                          "other": PIN}}
    assert recorded_message(call_of("trusted_phone_number"), phone) == {
        "transactionId": "tx-11", "status": "SUCCEEDED", "result": {"trustedphoneNumber": "0612345678"}}


@pytest.mark.parametrize(("question", "answer", "shown"), [
    ("phoneNumber", "0612345678", "0612345678"),
    ("phoneNumber", PIN[:4], "***"),  # not a phone number: maybe a secret typed in the wrong field
    ("phoneNumber", None, "***"),
    ("vin", "VR1AB12C3D4567890", "VR1AB12C3D4567890"),
    ("vin", f"{PIN}; DROP", "***"),
    ("pinCode", PIN, "***"),
    ("smsCode", fsm.Secret(SMS), "***"),
])
def test_answers_are_written_only_when_valid_and_not_secret(question: str, answer: object, shown: str) -> None:
    secret = question in ("pinCode", "smsCode")
    q = fsm.Question(name=question, step="4.1", state="x", prompt="", secret=secret)
    assert record_answer(q, answer, "answered")["answer"] == shown


def test_recorded_runs_with_canaries_replay_to_their_outcome_and_hold_no_canary() -> None:
    """A recorded journey with hostile extras in every message: the transcript is clean and replays."""

    class Noisy(CanarySim):
        def _respond(self, answer: dict[str, Any]) -> dict[str, Any]:
            answer = dict(answer, debug={"request": {"pinCode": PIN, "smsCode": SMS, "otp": OTP}})
            if "error" in answer:
                answer["error"] = dict(answer["error"], label=f"refused pinCode={PIN} newPIN={NEW_PIN}")
            return answer

        def get(self, api: str, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
            return self._respond(super().get(api, parameters))

        def set(self, api: str, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
            return self._respond(super().set(api, parameters))

    cases: list[tuple[str, str, dict[str, list[str | fsm.Reply]] | None]] = [
        ("enrollment", "existing-pin", {"pinCode": ["111999", "111998"]}),
        ("remove-vehicle", "vehicle-otp", None), ("update-pin", "enrolled", None)]
    for flow, account, overrides in cases:
        sim = Noisy(account)
        out, transcript = Recorder(sim, DemoPerson(sim, pin=PIN, new_pin=NEW_PIN, overrides=overrides)).run(flow)
        text = transcript.dumps()
        assert_clean("transcript of a noisy SDK", text)
        assert all(c not in text for c in CANARIES)
        assert replay(fsm.transcript.Transcript.loads(text)).ok
        assert out.state in ("enrolled", "done")
