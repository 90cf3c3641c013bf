"""Fuzzing the message parser and Flow.receive: only MalformedMessage (or StaleMessage) ever escapes.

Run heavier with ``HYPOTHESIS_PROFILE=nightly``. ``FUZZED`` counts the inputs
actually run (the README's figure).
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import fsm
from fsm.machine import Flow
from tests.helpers import at

FUZZED = {"parse_message": 0, "receive": 0}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from(["SUCCEEDED", "FAILED", "2317", "2305", "true", "false", "NotBlocked", "AlreadyEnrolled",
                     "\u0661\u0662", "NaN", "0612345678", " SUCCEEDED", "succeeded"]),
    st.binary(max_size=8),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.one_of(st.text(max_size=16), st.sampled_from(
        ["transactionId", "status", "result", "error", "code", "isDeviceActivated", "phoneNumber", "status"])),
        inner, max_size=4),
    max_leaves=12,
)
codes = st.one_of(st.integers(-10, 10_000), st.booleans(), st.floats(), st.text(max_size=6),
                  st.sampled_from(["2317", "2305", "2306", "2201", "0", "00002317", "2317.0"]))
results = st.one_of(json_like, st.dictionaries(
    st.sampled_from(["isDeviceActivated", "isAccountBlocked", "phoneNumber", "trustedPhoneNumber", "status", "otp",
                     "extra"]),
    st.one_of(scalars, st.sampled_from([True, False, "PinBlocked", "Unknown", "NotEnrolled", "AlreadyEnrolled"])),
    max_size=3,
))
messages = st.one_of(
    json_like,
    st.fixed_dictionaries(
        {"transactionId": st.one_of(st.text(min_size=1, max_size=10), scalars)},
        optional={"status": st.one_of(st.sampled_from(["SUCCEEDED", "FAILED", "PENDING"]), scalars),
                  "result": results,
                  "error": st.one_of(json_like, st.fixed_dictionaries({}, optional={"code": codes,
                                                                                     "label": st.text()}))},
    ),
)


@given(raw=messages)
def test_parse_message_raises_nothing_but_malformed_message(raw: Any) -> None:
    FUZZED["parse_message"] += 1
    error: fsm.MalformedMessage | None = None
    try:
        msg = fsm.parse_message(raw)
    except fsm.MalformedMessage as exc:
        error = exc
    if error is not None:
        assert (error.__context__, error.__cause__) == (None, None)
        return
    assert msg.status in ("SUCCEEDED", "FAILED") and msg.status == raw["status"]
    assert type(raw["transactionId"]) is str
    if msg.status == "FAILED":
        code = raw["error"]["code"]
        assert type(msg.error_code) is int and msg.error_code >= 0
        assert type(code) is int or (type(code) is str and code.isascii() and code.isdigit())


@given(code=st.one_of(st.booleans(), st.floats(), st.integers().map(float)))
def test_bool_and_float_codes_are_never_accepted(code: bool | float) -> None:
    FUZZED["parse_message"] += 1
    raw = {"transactionId": "t", "status": "FAILED", "error": {"code": code}}
    try:
        fsm.parse_message(raw)
    except fsm.MalformedMessage:
        return
    raise AssertionError(f"accepted a {type(code).__name__} code")  # pragma: no cover - the failure message


CALL_STATES = [(name, s.name) for name, f in fsm.FLOWS.items() for s in f.states if s.kind == "call"]


@given(where=st.sampled_from(CALL_STATES), raw=messages, platform=st.sampled_from(["android", "ios"]))
def test_receive_moves_by_the_table_or_refuses_without_change(where: tuple[str, str], raw: Any,
                                                              platform: str) -> None:
    FUZZED["receive"] += 1
    name, state = where
    try:
        f = at(name, state, platform=platform)
    except fsm.OptionError:
        return
    before = _frozen(f)
    try:
        f.receive(raw)
    except (fsm.MalformedMessage, fsm.StaleMessage):
        assert _frozen(f) == before
        return
    edge = f.trace[-1]
    assert (edge.state, edge.target, f.state) == (state, f.state, edge.target)
    assert f.state in f._c.states
    if f.state in ("enrolled", "done"):
        assert raw["status"] == "SUCCEEDED"


def _frozen(f: Flow) -> str:
    return json.dumps([f.state, f.counters, sorted(f._seen), repr(f.values), len(f.trace)])


def test_nan_and_infinity_from_json_are_malformed_codes() -> None:
    for text in ('{"transactionId": "t", "status": "FAILED", "error": {"code": NaN}}',
                 '{"transactionId": "t", "status": "FAILED", "error": {"code": Infinity}}'):
        raw = json.loads(text)
        assert math.isnan(raw["error"]["code"]) or math.isinf(raw["error"]["code"])
        try:
            fsm.parse_message(raw)
        except fsm.MalformedMessage:
            continue
        raise AssertionError("accepted a non-finite code")  # pragma: no cover
