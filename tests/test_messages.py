"""SDK messages are parsed strictly: nothing malformed is ever guessed into a success."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

import fsm
from fsm.messages import parse_message
from tests.helpers import at, failed, ok

T = {"transactionId": "953cfefb-bc72"}


def test_the_tutorial_samples_parse() -> None:
    """The tutorial's own sample messages are well formed."""
    m = parse_message({**T, "status": "SUCCEEDED", "result": {"isDeviceActivated": False}})
    assert (m.status, m.result, m.error_code) == ("SUCCEEDED", {"isDeviceActivated": False}, None)
    assert parse_message({**T, "status": "SUCCEEDED", "result": {}}).result == {}


@pytest.mark.parametrize("result", [{"result": None}, {"result": {}}, {}])
def test_a_set_without_output_may_have_null_empty_or_no_result(result: dict[str, Any]) -> None:
    """Reference: SUCCEEDED with no output renders result null, {} or absent; all are accepted."""
    f = at("enrollment", "A")
    f.receive({**T, "status": "SUCCEEDED", **result})
    assert f.state == "3"


@pytest.mark.parametrize(("code", "expected"), [(2317, 2317), ("2317", 2317), ("2000", 2000), (0, 0)])
def test_error_codes_may_be_ints_or_digit_strings(code: object, expected: int) -> None:
    """The Get Started page shows string codes; both forms mean the same code."""
    assert parse_message({**T, "status": "FAILED", "error": {"code": code}}).error_code == expected


@pytest.mark.parametrize("code", [
    True, False, 2317.0, math.nan, "2317.0", " 2317", "2317\n", "\u0662\u0663\u0661\u0667",
    "", None, [2317], {"c": 1}, -1, "-1", "\uff11\uff12\uff13\uff14",
])
def test_error_codes_of_any_other_shape_are_malformed(code: object) -> None:
    """True == 1 and 2317.0 == 2317 in Python: only exact ints and ASCII digit strings are codes."""
    with pytest.raises(fsm.MalformedMessage) as err:
        parse_message({**T, "status": "FAILED", "error": {"code": code}})
    assert err.value.field == "error.code"


@pytest.mark.parametrize(("message", "field"), [
    ({"status": "SUCCEEDED", "result": {}}, "transactionId"),
    ({**T, "result": {}}, "status"),
    ({**T, "status": True}, "status"),
    ({**T, "status": 1}, "status"),
    ({**T, "status": None}, "status"),
    ({**T, "status": {}}, "status"),
    ({**T, "status": "FAILED"}, "error"),
    ({**T, "status": "FAILED", "error": "2317"}, "error"),
    ({**T, "status": "FAILED", "error": {"label": "x"}}, "error.code"),
    ({**T, "status": "SUCCEEDED", "result": "ok"}, "result"),
    ({**T, "status": "SUCCEEDED", "result": [1]}, "result"),
    ({"transactionId": 7, "status": "SUCCEEDED"}, "transactionId"),
    ({"transactionId": "", "status": "SUCCEEDED"}, "transactionId"),
])
def test_malformed_envelopes_name_the_field(message: dict[str, Any], field: str) -> None:
    """Every malformed envelope raises MalformedMessage naming the offending field."""
    with pytest.raises(fsm.MalformedMessage) as err:
        parse_message(message)
    assert err.value.field == field


@pytest.mark.parametrize("status", ["PENDING", "succeeded", " SUCCEEDED", "SUCCEEDED ", "RESULT", "SUCEEDED"])
def test_unknown_status_is_an_error_exact_match_only(status: str) -> None:
    """Only SUCCEEDED and FAILED, exactly, are statuses of a get/set answer."""
    with pytest.raises(fsm.UnknownStatus):
        parse_message({**T, "status": status, "result": {}})


@pytest.mark.parametrize("raw", [None, [], "{}", b"{}", 42, '{"status": "SUCCEEDED"}'])
def test_a_message_must_be_an_object(raw: object) -> None:
    """A port returning None, a list, a JSON string or bytes is malformed."""
    with pytest.raises(fsm.MalformedMessage) as err:
        parse_message(raw)
    assert err.value.field == "message"


@pytest.mark.parametrize(("state", "result", "field"), [
    ("1", {"isDeviceActivated": "false"}, "result.isDeviceActivated"),
    ("1", {"isDeviceActivated": "true"}, "result.isDeviceActivated"),
    ("1", {"isDeviceActivated": 1}, "result.isDeviceActivated"),
    ("1", {"isDeviceActivated": 0}, "result.isDeviceActivated"),
    ("1", {}, "result.isDeviceActivated"),
    ("1", None, "result"),
    ("2", {"isAccountBlocked": "Blocked"}, "result.isAccountBlocked"),
    ("2", {"isAccountBlocked": 1}, "result.isAccountBlocked"),
    ("3", {"phoneNumber": 612345678}, "result.phoneNumber"),
    ("6", {"status": "Enrolled"}, "result.status"),
    ("6", {}, "result.status"),
])
def test_wrong_result_fields_are_malformed_and_leave_the_flow_unchanged(
    state: str, result: Any, field: str
) -> None:
    """A result field of the wrong type or value is never defaulted; the flow stays where it was."""
    f = at("enrollment", state)
    before = (f.state, list(f.counters))
    with pytest.raises(fsm.MalformedMessage) as err:
        f.receive({**T, "status": "SUCCEEDED", "result": result})
    assert err.value.field == field
    assert err.value.step == state
    assert (f.state, f.counters) == before


def test_malformed_at_run_level_ends_failed_naming_step_and_field() -> None:
    """fsm.run never raises for a malformed message: failed, with the step and field in the reason."""
    class Port:
        def get(self, api: str, parameters: Mapping[str, str]) -> Any:
            return {**T, "status": "SUCCEEDED", "result": {"isDeviceActivated": "false"}}

        set = get

    out = fsm.run("enrollment", port=Port(), person=lambda q: "x")  # type: ignore[arg-type]  # never asked
    assert (out.state, out.cause) == ("failed", "malformed_message")
    assert "step 1" in out.reason
    assert "result.isDeviceActivated" in out.reason


def test_extra_fields_are_ignored() -> None:
    """Unknown fields are ignored (forward compatible)."""
    f = at("enrollment", "1")
    f.receive({**T, "status": "SUCCEEDED", "result": {"isDeviceActivated": False, "new": {"x": 1}}, "extra": 1})
    assert f.state == "2"


def test_deep_or_huge_results_do_not_crash() -> None:
    """A 10 000-level nested result and a 10 MB label are handled without recursion or blow-up."""
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(10_000):
        node["x"] = {}
        node = node["x"]
    m = parse_message({**T, "status": "SUCCEEDED", "result": {"isDeviceActivated": False, "deep": deep}})
    assert m.result is not None
    assert repr(m)
    m = parse_message({**T, "status": "FAILED", "error": {"code": 2305, "label": "x" * 10_000_000}})
    assert m.error_code == 2305


def test_a_stale_message_is_refused_without_change() -> None:
    """A message whose transactionId was already consumed is refused; the flow does not move."""
    f = at("enrollment", "1")
    msg = ok(isDeviceActivated=False)
    f.receive(msg)
    before = (f.state, list(f.counters))
    with pytest.raises(fsm.StaleMessage):
        f.receive(msg)
    assert (f.state, f.counters) == before


def test_messages_out_of_turn_are_refused() -> None:
    """A message while a question is open, or an answer while a call is outstanding, is refused."""
    f = at("enrollment", "6:smsCode")
    with pytest.raises(fsm.FlowStateError):
        f.receive(ok())
    g = at("enrollment", "1")
    with pytest.raises(fsm.FlowStateError):
        g.answer("1234")
    assert (f.state, g.state) == ("6:smsCode", "1")


def test_call_repr_and_asdict_mask_secrets() -> None:
    """A Call shows secrets as *** in repr and attrs.asdict; .parameters has the real value for the port."""
    call = at("enrollment", "8", platform="ios").action
    assert isinstance(call, fsm.Call)
    assert call.parameters["pinCode"] == "424242"
    assert "424242" not in repr(call)
    assert "424242" not in repr(attrs.asdict(call))
    assert "246810" not in repr(attrs.asdict(call))


def test_otp_in_a_result_is_masked() -> None:
    """An OTP in a parsed result never shows in repr."""
    m = parse_message(ok(otp="83920174"))
    assert "83920174" not in repr(m)


def test_failed_helper_is_well_formed() -> None:
    """The test helpers build messages the parser accepts (guards the other tests)."""
    assert parse_message(failed(2317)).error_code == 2317
