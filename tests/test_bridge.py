"""The JSON-RPC bridge (fsm.bridge, ``fsm serve --stdio``): the protocol, its errors, and no secret but where due.

The bridge's conformance over every transcript is in ``js/test/conformance.test.js`` (Node drives ``fsm serve
--stdio``); here each method, each error and each bound, against the JSON-RPC 2.0 specification and
PROTOCOL.md.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
from typing import Any

import pytest

from fsm import bridge as bridge_module
from fsm.bridge import ERRORS, Bridge

CANARIES = ("583920", "771204", "640213")  # a PIN, an SMS code, a new PIN: never written but where due


def call(b: Bridge, method: str, params: object = None, *, request_id: object = 1) -> dict[str, Any]:
    request: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        request["params"] = params
    line = b.handle(json.dumps(request))
    assert "\n" not in line
    response: dict[str, Any] = json.loads(line)
    assert response["jsonrpc"] == "2.0" and response["id"] == request_id
    assert ("result" in response) != ("error" in response)
    return response


def ok(b: Bridge, method: str, params: object = None) -> Any:
    response = call(b, method, params)
    assert "result" in response, response
    return response["result"]


def error(b: Bridge, method: str, params: object = None) -> dict[str, Any]:
    response = call(b, method, params)
    assert "error" in response, response
    err: dict[str, Any] = response["error"]
    return err


def msg(tid: str, **result: object) -> dict[str, Any]:
    return {"transactionId": tid, "status": "SUCCEEDED", "result": result}


def failed(tid: str, code: int) -> dict[str, Any]:
    return {"transactionId": tid, "status": "FAILED", "error": {"code": code}}


def to_step_8(b: Bridge, **options: object) -> str:
    """A session of the enrollment at its step-6 SMS question (phone on file, then SMS, then 8:pinCode)."""
    session = ok(b, "start", {"flow": "enrollment", "options": options})["session"]
    for message in (msg("1", isDeviceActivated=False), msg("2", isAccountBlocked="NotBlocked"),
                    msg("3", phoneNumber="0612345678"), msg("4")):
        ok(b, "receive", {"session": session, "message": message})
    return str(session)


def test_a_run_through_the_bridge() -> None:
    """start, receive, answer, snapshot, resume, close: the actions and the end, encoded as in the JS package."""
    b = Bridge()
    started = ok(b, "start", {"flow": "enrollment", "options": {"platform": "ios"}})
    session = started["session"]
    assert started["action"] == {"kind": "call", "op": "get", "api": "pims.authentication.account",
                                 "parameters": {"actionType": "strong", "type": "isDeviceActivated"},
                                 "step": "1", "state": "1"}
    assert started["outcome"] is None
    to = to_step_8(b)  # android: step 8 sends no SMS code, so a snapshot at 8 resumes at 8:pinCode
    assert ok(b, "snapshot", {"session": to})["snapshot"]["state"] == "6:smsCode"
    after = ok(b, "answer", {"session": to, "value": "802461"})
    assert after["action"]["parameters"] == {"action": "enrollment", "smsCode": "802461"}
    after = ok(b, "receive", {"session": to, "message": msg("5", status="AlreadyEnrolled")})
    assert after["action"] == {"kind": "question", "name": "pinCode", "why": None, "attempt": 1, "step": "8",
                               "state": "8:pinCode", "prompt": "your PIN", "secret": True, "can_forget_pin": True,
                               "new_pin": False}
    ok(b, "answer", {"session": to, "value": "402718"})
    after = ok(b, "receive", {"session": to, "message": failed("6", 2101)})
    assert (after["action"]["why"], after["action"]["attempt"]) == ("pin_rejected", 2)
    saved = ok(b, "snapshot", {"session": to})["snapshot"]
    resumed = ok(b, "resume", {"snapshot": saved})
    assert resumed["action"] == after["action"] and resumed["session"] != to
    ok(b, "answer", {"session": resumed["session"], "value": "402718"})
    done = ok(b, "receive", {"session": resumed["session"], "message": msg("7")})
    assert done == {"action": None, "outcome": {"ok": True, "state": "enrolled", "cause": "activated",
                                                "error_code": None, "reason": "Device enrollment: enrolled",
                                                "resumable": False}}
    assert ok(b, "close", {"session": to}) == {"closed": True}
    assert error(b, "snapshot", {"session": to})["data"] == {"type": "UnknownSession"}
    assert b.sessions == 2
    assert ok(b, "close", {"session": session}) == {"closed": True}


def test_answers_forgot_pin_and_cancel() -> None:
    b = Bridge()
    session = to_step_8(b)
    ok(b, "answer", {"session": session, "value": "802461"})
    ok(b, "receive", {"session": session, "message": msg("5", status="AlreadyEnrolled")})
    assert ok(b, "answer", {"session": session, "forgot_pin": True})["action"]["api"] == "pims.authentication.smscode"
    ended = ok(b, "receive", {"session": session, "message": msg("6")})
    assert ended["action"]["name"] == "smsCode"
    ended = ok(b, "answer", {"session": session, "cancel": True})
    assert ended["action"] is None and ended["outcome"]["cause"] == "cancelled_by_person"


def test_a_malformed_message_is_an_error_and_the_session_is_unchanged() -> None:
    b = Bridge()
    session = ok(b, "start", {"flow": "enrollment"})["session"]
    before = ok(b, "snapshot", {"session": session})
    err = error(b, "receive", {"session": session, "message": msg("1", isDeviceActivated="yes")})
    assert err["code"] == ERRORS["MalformedMessage"] == -32000
    assert err["data"] == {"type": "MalformedMessage", "field": "result.isDeviceActivated", "step": "1"}
    assert err["message"] == "step 1: malformed message: result.isDeviceActivated: unexpected value of type str"
    assert ok(b, "snapshot", {"session": session}) == before
    ended = ok(b, "receive_exception", {"session": session, "type": "MalformedMessage"})
    assert ended["outcome"]["cause"] == "malformed_message"
    assert ended["outcome"]["reason"] == ("failed at step 1: step 1: malformed message: result.isDeviceActivated: "
                                          "unexpected value of type str")


def test_port_exceptions_by_name() -> None:
    """ConnectionError and TimeoutError are transient (retried, then failed and resumable); others end the call."""
    b = Bridge()
    session = ok(b, "start", {"flow": "remove-enrollments", "options": {"max_transient_retries": 1}})["session"]
    again = ok(b, "receive_exception", {"session": session, "type": "TimeoutError"})
    assert again["action"]["api"] == "pims.authentication.enrollment"
    ended = ok(b, "receive_exception", {"session": session, "type": "ConnectionError"})["outcome"]
    assert (ended["cause"], ended["resumable"]) == ("transient_retries_exhausted", True)
    other = ok(b, "start", {"flow": "remove-enrollments"})["session"]
    ended = ok(b, "receive_exception", {"session": other, "type": "KeyError"})["outcome"]
    assert (ended["cause"], ended["reason"]) == ("port_error", "failed at step A: the port raised KeyError")
    assert error(b, "receive_exception", {"session": other, "type": "ConnectionError"})["code"] == -32002
    fresh = ok(b, "start", {"flow": "remove-enrollments"})["session"]
    assert error(b, "receive_exception", {"session": fresh, "type": "MalformedMessage"})["code"] == -32602


@pytest.mark.parametrize(("line", "code"), [
    ("", -32700), ("{", -32700), ("NaN", -32700), ('{"jsonrpc": "2.0", "id": 1, "method": "start", "x": NaN}', -32700),
    ("[" * 100_000, -32700), ("[]", -32600), ('[{"jsonrpc": "2.0", "id": 1, "method": "close"}]', -32600),
    ("1", -32600), ('"start"', -32600), ('{"id": 1, "method": "start"}', -32600),
    ('{"jsonrpc": "1.0", "id": 1, "method": "start"}', -32600), ('{"jsonrpc": "2.0", "id": 1, "method": 5}', -32600),
    ('{"jsonrpc": "2.0", "id": [1], "method": "start"}', -32600),
    ('{"jsonrpc": "2.0", "id": true, "method": "start"}', -32600),
    ('{"jsonrpc": "2.0", "id": 1, "method": "stop"}', -32601),
    ('{"jsonrpc": "2.0", "id": 1, "method": "start", "params": ["enrollment"]}', -32602),
])
def test_bad_requests_are_errors_never_a_dead_bridge(line: str, code: int) -> None:
    b = Bridge()
    if line:
        response = json.loads(b.handle(line))
        assert response["error"]["code"] == code
        assert "result" not in response
    assert ok(b, "start", {"flow": "update-pin"})["action"]["op"] == "get"  # the bridge goes on


@pytest.mark.parametrize(("method", "params", "code", "data_type"), [
    ("start", {}, -32602, None),
    ("start", {"flow": 1}, -32602, None),
    ("start", {"flow": "enrolment"}, -32004, "UnknownFlow"),
    ("start", {"flow": "enrollment", "options": []}, -32602, None),
    ("start", {"flow": "enrollment", "options": {"platform": "windows"}}, -32003, "OptionError"),
    ("start", {"flow": "enrollment", "options": {"logger": "x"}}, -32003, "OptionError"),
    ("start", {"flow": "remove-vehicle", "options": {"sdk_version": "2.0"}}, -32003, "OptionError"),
    ("start", {"flow": "enrollment", "session": "x"}, -32602, None),
    ("receive", {"session": 1, "message": {}}, -32602, None),
    ("receive", {"session": "nope", "message": {}}, -32010, "UnknownSession"),
    ("answer", {"session": "nope", "value": "1"}, -32010, "UnknownSession"),
    ("snapshot", {}, -32602, None),
    ("close", {"session": None}, -32602, None),
    ("resume", {}, -32602, None),
    ("resume", {"snapshot": "{"}, -32005, "SnapshotInvalid"),
    ("resume", {"snapshot": {"version": 1}}, -32005, "SnapshotInvalid"),
])
def test_wrong_params_are_named_errors(method: str, params: dict[str, Any], code: int, data_type: str | None) -> None:
    err = error(Bridge(), method, params)
    assert err["code"] == code
    assert (err.get("data") or {}).get("type") == data_type


def test_wrong_answers_and_wrong_moments() -> None:
    b = Bridge()
    session = ok(b, "start", {"flow": "remove-vehicle"})["session"]
    for params in ({"session": session}, {"session": session, "value": 5}, {"session": session, "value": None},
                   {"session": session, "value": "x", "cancel": True}, {"session": session, "forgot_pin": False},
                   {"session": session, "cancel": 1}):
        assert error(b, "answer", params)["code"] == -32602
    refused = ok(b, "answer", {"session": session, "value": "not a VIN"})["action"]
    assert (refused["why"], refused["attempt"]) == ("invalid", 2)
    invalid = ok(b, "answer", {"session": session, "forgot_pin": True})["action"]  # not offered: an invalid answer
    assert (invalid["why"], invalid["attempt"]) == ("invalid", 3)
    ok(b, "answer", {"session": session, "value": "VF7ABCDE123456789"})
    err = error(b, "answer", {"session": session, "value": "VF7ABCDE123456789"})
    assert (err["code"], err["data"]) == (-32002, {"type": "FlowStateError", "state": "E"})
    ok(b, "receive", {"session": session, "message": failed("t1", 2201)})
    err = error(b, "receive", {"session": session, "message": failed("t1", 2201)})
    assert (err["code"], err["data"]["type"]) == (-32001, "StaleMessage")


def test_refused_snapshots_name_the_problem() -> None:
    b = Bridge()
    session = ok(b, "start", {"flow": "enrollment"})["session"]
    snap = ok(b, "snapshot", {"session": session})["snapshot"]
    snap["counters"]["pin_attempts"] = 3
    snap["state"] = "8:pinCode"
    err = error(b, "resume", {"snapshot": snap})
    assert err["data"] == {"type": "SnapshotInvalid",
                           "problem": "state, counters and values held: a configuration no run reaches"}
    assert ok(b, "resume", {"snapshot": json.dumps(ok(b, "snapshot", {"session": session})["snapshot"])})["action"]


def test_notifications_have_no_response_but_act() -> None:
    b = Bridge()
    assert b.handle(json.dumps({"jsonrpc": "2.0", "method": "start", "params": {"flow": "reset-pin"}})) == ""
    assert b.sessions == 1
    assert b.handle(json.dumps({"jsonrpc": "2.0", "method": "nope"})) == ""


def test_sessions_and_lines_are_bounded() -> None:
    b = Bridge(max_sessions=2, max_line=300)
    first = ok(b, "start", {"flow": "reset-pin"})["session"]
    ok(b, "start", {"flow": "reset-pin"})
    err = error(b, "start", {"flow": "reset-pin"})
    assert (err["code"], err["data"]) == (-32011, {"type": "TooManySessions", "limit": 2})
    ok(b, "close", {"session": first})
    ok(b, "start", {"flow": "reset-pin"})
    line = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "start", "params": {"flow": "reset-pin", "x": "y" * 300}})
    response = json.loads(b.handle(line))
    assert response == {"jsonrpc": "2.0", "id": None, "error": {
        "code": -32600, "message": "invalid request: not a line of at most 300 characters"}}


def test_an_unexpected_failure_is_an_internal_error_naming_only_its_class(monkeypatch: pytest.MonkeyPatch) -> None:
    b = Bridge()

    def broken(_: object) -> dict[str, Any]:
        raise ValueError(f"holds {CANARIES[0]}")

    monkeypatch.setitem(b._methods, "snapshot", broken)
    err = error(b, "snapshot", {"session": "x"})
    assert err == {"code": -32603, "message": "internal error", "data": {"type": "ValueError"}}


def _without_call_parameters(response: dict[str, Any]) -> dict[str, Any]:
    """The response with the one place a secret is due removed: the parameters of the call to make."""
    out: dict[str, Any] = json.loads(json.dumps(response))
    action = (out.get("result") or {}).get("action")
    if action and action.get("kind") == "call":
        action["parameters"] = dict.fromkeys(action["parameters"], "(due)")
    return out


def test_no_secret_is_written_but_in_the_parameters_of_the_call_that_needs_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Canary PIN, SMS code and new PIN through every path: accepted, refused (wrong shape, obvious new PIN,
    wrong moment), echoed by a hostile SDK (in a result, a label, a malformed field), ended by an exception;
    only a call's parameters carry them, never an error, a snapshot, a question or an outcome."""
    pin, sms, new = CANARIES
    b = Bridge()
    lines: list[dict[str, Any]] = []

    def send(method: str, params: dict[str, Any]) -> dict[str, Any]:
        response = call(b, method, params)
        lines.append(response)
        return response

    session = to_step_8(b)
    send("answer", {"session": session, "value": sms + "0000"})  # refused: too long
    send("answer", {"session": session, "value": sms})
    send("answer", {"session": session, "value": pin})  # the wrong moment: a call is outstanding
    send("receive", {"session": session, "message": {"transactionId": "5", "status": "SUCCEEDED",
                                                     "result": {"status": "AlreadyEnrolled", "pinCode": pin}}})
    send("answer", {"session": session, "value": pin})
    send("receive", {"session": session, "message": {"transactionId": "6", "status": "FAILED",
                                                     "error": {"code": 2101, "label": f"pinCode={pin}"}}})
    send("answer", {"session": session, "value": pin})
    send("receive", {"session": session, "message": {"transactionId": "7", "status": "SUCCEEDED",
                                                     "result": {"smsCode": sms}, "error": {"code": pin}}})
    send("snapshot", {"session": session})
    send("receive_exception", {"session": session, "type": "MalformedMessage"})
    send("snapshot", {"session": session})
    reset = ok(b, "start", {"flow": "reset-pin"})["session"]
    for step in ({"message": msg("r1", isDeviceActivated=True)}, {"message": msg("r2")}, {"value": sms},
                 {"value": "1234"}, {"value": new}, {"message": failed("r3", 2315)}, {"value": new},
                 {"message": msg("r4", pinCode=new)}):
        send("receive" if "message" in step else "answer", {"session": reset, **step})
    send("snapshot", {"session": reset})
    update = ok(b, "start", {"flow": "update-pin"})["session"]
    send("receive", {"session": update, "message": msg("u1", isDeviceActivated=True)})
    send("answer", {"session": update, "value": pin})
    send("answer", {"session": update, "value": new})
    send("receive_exception", {"session": update, "type": "RuntimeError"})
    send("snapshot", {"session": update})
    resumed = send("resume", {"snapshot": lines[-1]["result"]["snapshot"]})
    assert resumed["result"]["outcome"]["cause"] == "port_error"
    assert any(pin in json.dumps(r) for r in lines)  # the PIN was due somewhere: the check below is not vacuous
    for response in lines:
        text = json.dumps(_without_call_parameters(response))
        for canary in CANARIES:
            assert canary not in text, (canary, response)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_sessions_from_many_threads() -> None:
    """Hosts call handle from SDK callback threads: every session ends as if it ran alone."""
    b = Bridge()

    def one(n: int) -> dict[str, Any]:
        session = ok(b, "start", {"flow": "remove-enrollments"})["session"]
        return dict(ok(b, "receive", {"session": session, "message": msg(f"t{n}")}))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ends = list(pool.map(one, range(200)))
    assert all(e["outcome"]["state"] == "done" for e in ends)
    assert b.sessions == 200


def test_handle_is_the_process_bridge() -> None:
    line = bridge_module.handle(json.dumps({"jsonrpc": "2.0", "id": "a", "method": "start",
                                            "params": {"flow": "modify-phone"}}))
    session = json.loads(line)["result"]["session"]
    assert json.loads(bridge_module.handle(json.dumps({"jsonrpc": "2.0", "id": "b", "method": "close",
                                                       "params": {"session": session}})))["result"] == {"closed": True}


def test_serve_stdio_answers_line_by_line_and_survives_garbage() -> None:
    """The command: one response per request line, bad bytes and a line too long answered, blank lines and
    notifications unanswered, nothing on stderr (not even the PIN of an answer), exit 0 at the end of input."""
    requests = [
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "start", "params": {"flow": "remove-vehicle"}}).encode(),
        b"\xff\xfe not UTF-8",
        b"",
        b"x" * 4_000_100,
        json.dumps({"jsonrpc": "2.0", "method": "start", "params": {"flow": "reset-pin"}}).encode(),
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "answer",
                    "params": {"session": "nope", "value": CANARIES[0]}}).encode(),
        json.dumps({"jsonrpc": "2.0", "id": 3, "method": "start", "params": {"flow": "reset-pin"}}).encode() + b"\r",
    ]
    done = subprocess.run([sys.executable, "-m", "fsm", "serve", "--stdio"], input=b"\n".join(requests) + b"\n",
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stderr == b""
    responses = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r.get("id") for r in responses] == [1, None, None, 2, 3]
    assert responses[0]["result"]["action"]["name"] == "vin"
    assert responses[1]["error"]["code"] == -32700
    assert responses[2]["error"]["code"] == -32600
    assert responses[3]["error"]["data"] == {"type": "UnknownSession"}
    assert CANARIES[0].encode() not in done.stdout
    assert responses[4]["result"]["action"]["op"] == "get"
