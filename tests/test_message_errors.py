"""What a malformed SDK message is told apart by, and what a parsed message keeps (PROTOCOL.md, "Rules for every
call"; RELIABILITY.md B1-B15).

A host logs ``MalformedMessage`` to find out what its port sent: the field names the part of the message, the
problem says what is wrong with it, in the words below; a wrong type is a ``MalformedMessage``, an unknown status
string an ``UnknownStatus`` (B2, B4).
"""

from __future__ import annotations

import types
from typing import Any

import pytest

import fsm
from fsm.messages import parse_message
from tests.helpers import at

E = "enrollment"
T = {"transactionId": "t-1"}
CANARY = "902718"


@pytest.mark.parametrize(("message", "field", "problem"), [
    ({"status": "SUCCEEDED"}, "transactionId", "missing"),
    ({"transactionId": "", "status": "SUCCEEDED"}, "transactionId", "not a non-empty string of bounded length"),
    ({"transactionId": 7, "status": "SUCCEEDED"}, "transactionId", "not a non-empty string of bounded length"),
    ({**T}, "status", "missing"),
    ({**T, "status": None}, "status", "not a string"),
    ({**T, "status": True}, "status", "not a string"),
    ({**T, "status": "SUCCEEDED", "error": {"code": 2317}}, "error", "present on a SUCCEEDED message"),
    ({**T, "status": "SUCCEEDED", "result": [1]}, "result", "not an object (got list)"),
    ({**T, "status": "FAILED"}, "error", "missing on a FAILED message"),
    ({**T, "status": "FAILED", "error": None}, "error", "missing on a FAILED message"),
    ({**T, "status": "FAILED", "error": "2317"}, "error", "not an object"),
    ({**T, "status": "FAILED", "error": {"label": "x"}}, "error.code", "missing"),
    ({**T, "status": "FAILED", "error": {"code": "x"}}, "error.code", "not an integer or a string of digits"),
])
def test_a_malformed_message_names_the_field_and_says_what_is_wrong(
    message: dict[str, Any], field: str, problem: str,
) -> None:
    with pytest.raises(fsm.MalformedMessage) as err:
        parse_message(message)
    assert type(err.value) is fsm.MalformedMessage  # a wrong type or a missing part is not an unknown status
    assert (err.value.field, err.value.problem) == (field, problem)
    assert str(err.value) == f"malformed message: {field}: {problem}"


def test_a_message_that_is_not_an_object_says_what_it_is() -> None:
    with pytest.raises(fsm.MalformedMessage) as err:
        parse_message([T])
    assert (err.value.field, err.value.problem) == ("message", "not an object (got list)")


def test_an_unknown_status_string_is_an_unknown_status_naming_the_accepted_ones() -> None:
    with pytest.raises(fsm.UnknownStatus) as err:
        parse_message({**T, "status": "PENDING"})
    assert (err.value.field, err.value.problem) == (
        "status", "unknown value (only SUCCEEDED and FAILED are accepted)")


def test_messages_and_results_may_be_any_mapping() -> None:
    """A port may hand back a read-only mapping (a bridge's view of a native map), not only a dict."""
    result = types.MappingProxyType({"isDeviceActivated": False})
    message = types.MappingProxyType({**T, "status": "SUCCEEDED", "result": result})
    f = at("enrollment", "1")
    f.receive(message)
    assert f.state == "2"
    failed = types.MappingProxyType({**T, "status": "FAILED", "error": types.MappingProxyType({"code": 2317})})
    assert parse_message(failed).error_code == 2317


def test_a_result_keeps_only_string_keys() -> None:
    """A result key that is not a string (a port building dicts by hand) is dropped, not kept or guessed."""
    m = parse_message({**T, "status": "SUCCEEDED", "result": {"isDeviceActivated": False, 1: "x", None: "y"}})
    assert m.result == {"isDeviceActivated": False}


def test_a_nested_result_field_is_kept_as_a_marker_and_never_walked() -> None:
    """A nested object is kept as an opaque ``<nested>`` marker: its contents reach nothing, its key is there."""
    m = parse_message({**T, "status": "SUCCEEDED", "result": {"isDeviceActivated": False,
                                                              "debug": {"pinCode": CANARY}}})
    assert m.result is not None
    assert set(m.result) == {"isDeviceActivated", "debug"}
    assert repr(m.result["debug"]) == "<nested>"
    assert CANARY not in repr(m)


def test_a_nested_phone_number_is_malformed_not_no_phone_number() -> None:
    """Step 3: an object where the number should be is malformed; it is not read as 'no trusted number'
    (which would send the person to register a number)."""
    f = at("enrollment", "3")
    with pytest.raises(fsm.MalformedMessage) as err:
        f.receive({**T, "status": "SUCCEEDED", "result": {"phoneNumber": {"number": "0612345678"}}})
    assert err.value.field == "result.phoneNumber"
    assert f.state == "3"


def test_a_message_repr_shows_the_result_field_names_only() -> None:
    """Message's repr shows no result value, secret or not (B14: a secret may hide under any name)."""
    m = parse_message({**T, "status": "SUCCEEDED", "result": {"pinCode": CANARY, "note": f"pin {CANARY}"}})
    assert repr(m) == ("Message(transaction_id='t-1', status='SUCCEEDED', result=<fields: note, pinCode>, "
                       "error_code=None)")


def test_a_failed_message_repr_shows_its_code_and_no_result() -> None:
    m = parse_message({**T, "status": "FAILED", "error": {"code": "2305", "label": f"pin {CANARY}"}})
    assert repr(m) == "Message(transaction_id='t-1', status='FAILED', result=None, error_code=2305)"


def test_a_question_says_which_state_and_step_asks_and_the_attempt() -> None:
    """The host reads the question's state, step and attempt (README: 'attempt=action.attempt')."""
    f = at("enrollment", "8:pinCode")
    q = f.action
    assert isinstance(q, fsm.Question)
    assert (q.name, q.state, q.step, q.attempt, q.why, q.secret, q.can_forget_pin, q.new_pin) == (
        "pinCode", "8:pinCode", "8", 1, None, True, True, False)
    f.answer("12a4")  # invalid: asked again
    again = f.action
    assert isinstance(again, fsm.Question)
    assert (again.state, again.attempt, again.why) == ("8:pinCode", 2, "invalid")


def test_a_question_a_host_builds_with_four_fields_is_a_plain_first_question() -> None:
    """Built from name, step, state and prompt, a Question equals the engine's first, plain question."""
    engine = at(E, "4.2:phoneNumber", method="full").action
    built = fsm.Question(name="phoneNumber", step="4.2", state="4.2:phoneNumber",
                         prompt="the phone number to register")
    assert built == engine
