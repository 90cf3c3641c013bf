"""Every size and length limit of an SDK message, at the limit and one past (RELIABILITY.md B9, B13, B15).

The limits, written out here as the README states them ("Faults"): a ``transactionId`` is 1 to 128
characters; a ``result`` has at most 64 fields; a result string is at most 4096 characters; an
``error.code`` string is 1 to 9 ASCII digits. Each message below is well formed but for the one limit under
test, so a refusal can only come from that limit, and the same message one step inside the limit is
accepted.
"""

from __future__ import annotations

from typing import Any

import pytest

import fsm
from fsm.messages import parse_message
from tests.helpers import at

TRANSACTION_ID = 128
FIELDS = 64
FIELD_LENGTH = 4096
CODE_DIGITS = 9


def step1(result: dict[str, Any], tid: str = "tx-limits") -> dict[str, Any]:
    """A SUCCEEDED answer to step 1 (device not activated: the flow goes on to step 2)."""
    return {"transactionId": tid, "status": "SUCCEEDED", "result": result}


def refused_by_the_flow(message: dict[str, Any], state: str = "1") -> fsm.MalformedMessage:
    """``message`` received at ``state``: refused as malformed, the flow left as it was."""
    f = at("enrollment", state)
    before = (f.state, list(f.counters))
    with pytest.raises(fsm.MalformedMessage) as err:
        f.receive(message)
    assert (f.state, f.counters) == before
    assert err.value.step == state
    return err.value


def accepted_by_the_flow(message: dict[str, Any], state: str = "1", then: str = "2") -> None:
    f = at("enrollment", state)
    f.receive(message)
    assert f.state == then


# -- transactionId: 1 to 128 characters ------------------------------------------------------------------------


def test_a_transaction_id_of_128_characters_is_accepted() -> None:
    tid = "t" * TRANSACTION_ID
    assert parse_message(step1({"isDeviceActivated": False}, tid)).transaction_id == tid
    accepted_by_the_flow(step1({"isDeviceActivated": False}, tid))


def test_a_transaction_id_of_129_characters_is_malformed() -> None:
    err = refused_by_the_flow(step1({"isDeviceActivated": False}, "t" * (TRANSACTION_ID + 1)))
    assert err.field == "transactionId"


def test_a_transaction_id_of_one_character_is_accepted() -> None:
    accepted_by_the_flow(step1({"isDeviceActivated": False}, "t"))


# -- result: at most 64 fields ---------------------------------------------------------------------------------


def _fields(n: int) -> dict[str, Any]:
    """``n`` result fields: the one step 1 reads, and extra ones (ignored: forward compatible)."""
    return {"isDeviceActivated": False, **{f"extra{i}": i for i in range(n - 1)}}


def test_a_result_of_64_fields_is_accepted() -> None:
    assert len(_fields(FIELDS)) == FIELDS
    accepted_by_the_flow(step1(_fields(FIELDS)))


def test_a_result_of_65_fields_is_malformed() -> None:
    err = refused_by_the_flow(step1(_fields(FIELDS + 1)))
    assert (err.field, err.problem) == ("result", "too many fields")


# -- a result string: at most 4096 characters ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["note", "otp"])  # a plain field and a secret one
def test_a_result_string_of_4096_characters_is_kept(name: str) -> None:
    value = "7" * FIELD_LENGTH
    m = parse_message(step1({"isDeviceActivated": False, name: value}))
    assert m.result is not None
    kept = m.result[name]
    assert (kept.reveal() if isinstance(kept, fsm.Secret) else kept) == value
    accepted_by_the_flow(step1({"isDeviceActivated": False, name: value}))


@pytest.mark.parametrize("name", ["note", "otp"])
def test_a_result_string_of_4097_characters_is_malformed(name: str) -> None:
    err = refused_by_the_flow(step1({"isDeviceActivated": False, name: "7" * (FIELD_LENGTH + 1)}))
    assert (err.field, err.problem) == (f"result.{name}", "string too long")


def test_a_trusted_phone_number_at_the_string_limit_is_read_one_past_is_malformed() -> None:
    """Step 3 reads phoneNumber: 4096 characters is a number present (step 5); 4097 is malformed, never
    taken for 'no phone number'."""
    ok = {"transactionId": "t3", "status": "SUCCEEDED", "result": {"phoneNumber": "6" * FIELD_LENGTH}}
    accepted_by_the_flow(ok, state="3", then="5")
    err = refused_by_the_flow({**ok, "result": {"phoneNumber": "6" * (FIELD_LENGTH + 1)}}, state="3")
    assert err.field == "result.phoneNumber"


# -- error.code: an int, or a string of 1 to 9 ASCII digits ----------------------------------------------------


@pytest.mark.parametrize(("code", "value"), [
    ("7", 7),
    ("2317", 2317),
    ("123456789", 123456789),
    ("000002317", 2317),
    (0, 0),
    (1234567890, 1234567890),  # an int has no digit limit: only strings are bounded
])
def test_error_codes_within_the_limits_are_read(code: object, value: int) -> None:
    m = parse_message({"transactionId": "t", "status": "FAILED", "error": {"code": code}})
    assert m.error_code == value


@pytest.mark.parametrize("code", ["1234567890", "0000023170", ""])
def test_an_error_code_string_of_10_digits_or_none_is_malformed(code: str) -> None:
    err = refused_by_the_flow({"transactionId": "t", "status": "FAILED", "error": {"code": code}}, state="8")
    assert err.field == "error.code"


def test_a_9_digit_code_is_an_unknown_code_at_step_1_not_a_malformed_message() -> None:
    """The longest accepted code string is a real code: at step 1 an unknown code ends the flow failed with it."""
    f = at("enrollment", "1")
    f.receive({"transactionId": "t", "status": "FAILED", "error": {"code": "999999999"}})
    assert f.outcome is not None
    assert (f.state, f.outcome.error_code) == ("failed", 999999999)
