"""The flows as JSON-RPC 2.0, one request and one response per line (``fsm serve --stdio``, or in process).

For hosts that embed Python (Chaquopy on Android, PythonKit on iOS) or spawn it: :func:`handle` takes one
request line and returns one response line; sessions live in the process. Methods (params by name):

- ``start {flow, options?}`` -> ``{session, action, outcome}``
- ``receive {session, message}`` -> ``{action, outcome}``; a malformed message is an error whose
  ``data.type`` is ``"MalformedMessage"`` and leaves the session unchanged
- ``receive_exception {session, type}`` -> ``{action, outcome}``: the port raised ``type``
  (``"ConnectionError"`` and ``"TimeoutError"`` are transient; ``"MalformedMessage"`` ends the call as
  failed with the session's last refused message; any other name is a port error)
- ``answer {session, value}`` or ``{session, forgot_pin: true}`` or ``{session, cancel: true}``
  -> ``{action, outcome}``
- ``snapshot {session}`` -> ``{snapshot}``; ``resume {snapshot}`` -> ``{session, action, outcome}``
- ``close {session}`` -> ``{closed: true}``

Actions and outcomes are encoded as in the JavaScript package (``js/``), in snake case: a call
``{kind: "call", op, api, parameters, step, state}``, a question ``{kind: "question", name, why, attempt,
step, state, prompt, secret, can_forget_pin, new_pin}``, an outcome ``{ok, state, cause, error_code, reason,
resumable}``. A call's parameters carry the secrets the host must pass to the SDK; nothing else the bridge
writes (errors, their data) ever holds a value the host sent: errors name a parameter, a field or a class.

Errors: the standard codes (-32700 bad JSON, -32600 not a request, -32601 unknown method, -32602 bad params,
-32603 internal) and :data:`ERRORS` for the flow's own. The bridge never dies of a request.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Any

from fsm import spec
from fsm.classify import EXCEPTION_RULES
from fsm.errors import (
    FlowStateError,
    FsmError,
    MalformedMessage,
    OptionError,
    PortError,
    SnapshotInvalid,
)
from fsm.flows import FLOWS
from fsm.machine import Flow, Outcome, StaleMessage, compiled
from fsm.messages import CANCEL, FORGOT_PIN, Call, Question
from fsm.options import make_options

#: Longest request line taken (characters); a longer one is refused unread.
MAX_LINE = 1_000_000
#: Most sessions open at once in one bridge.
MAX_SESSIONS = 1_000
#: What ``receive_exception`` takes as the class name of what the port raised.
EXCEPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}")

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
#: The flow's errors: JSON-RPC code by the ``data.type`` the error carries.
ERRORS: Mapping[str, int] = {
    "MalformedMessage": -32000,
    "StaleMessage": -32001,
    "FlowStateError": -32002,
    "OptionError": -32003,
    "UnknownFlow": -32004,
    "SnapshotInvalid": -32005,
    "UnknownSession": -32010,
    "TooManySessions": -32011,
}


class RpcError(Exception):
    """An error response: code, message (names only, never a value sent) and data."""

    def __init__(self, code: int, message: str, data: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = dict(data) if data is not None else None


def _params_error(problem: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid params: {problem}")


def _fsm_error(exc: FsmError) -> RpcError:
    """The response for an error the flow raised (its ``str`` never holds a secret: fsm.errors)."""
    if isinstance(exc, MalformedMessage):
        kind, data = "MalformedMessage", {"field": exc.field, "step": exc.step}
    elif isinstance(exc, StaleMessage):
        kind, data = "StaleMessage", {"state": exc.state}
    elif isinstance(exc, FlowStateError):
        kind, data = "FlowStateError", {"state": exc.state}
    elif isinstance(exc, OptionError):
        kind, data = "OptionError", {"option": exc.option}
    elif isinstance(exc, SnapshotInvalid):
        kind, data = "SnapshotInvalid", {"problem": exc.problem}
    else:  # not raised by any method; the class name only
        return RpcError(INTERNAL_ERROR, "internal error", {"type": type(exc).__name__})
    return RpcError(ERRORS[kind], str(exc), {"type": kind, **data})


def encode_action(action: Call | Question | None) -> dict[str, Any] | None:
    """An action as the bridge (and, in camel case, the JavaScript package) writes it."""
    if action is None:
        return None
    if isinstance(action, Call):
        return {"kind": "call", "op": action.op, "api": action.api, "parameters": action.parameters,
                "step": action.step, "state": action.state}
    return {"kind": "question", "name": action.name, "why": action.why, "attempt": action.attempt,
            "step": action.step, "state": action.state, "prompt": action.prompt, "secret": action.secret,
            "can_forget_pin": action.can_forget_pin, "new_pin": action.new_pin}


def encode_outcome(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {"ok": outcome.ok, "state": outcome.state, "cause": outcome.cause, "error_code": outcome.error_code,
            "reason": outcome.reason, "resumable": outcome.resumable}


class _Session:
    __slots__ = ("flow", "refused")

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        #: The MalformedMessage of the last message refused, for ``receive_exception {type: MalformedMessage}``.
        self.refused: MalformedMessage | None = None


def _state(flow: Flow) -> dict[str, Any]:
    return {"action": encode_action(flow.action), "outcome": encode_outcome(flow.outcome)}


class Bridge:
    """Sessions and the methods on them; :meth:`handle` is the whole protocol (one line in, one line out)."""

    def __init__(self, *, max_sessions: int = MAX_SESSIONS, max_line: int = MAX_LINE) -> None:
        self.max_sessions = max_sessions
        self.max_line = max_line
        self._sessions: dict[str, _Session] = {}
        #: One request at a time: a host may call :meth:`handle` from several threads (SDK callbacks).
        self._lock = threading.Lock()
        self._methods: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "start": self._start, "receive": self._receive, "receive_exception": self._receive_exception,
            "answer": self._answer, "snapshot": self._snapshot, "resume": self._resume, "close": self._close,
        }

    @property
    def sessions(self) -> int:
        """How many sessions are open."""
        return len(self._sessions)

    def handle(self, line: str) -> str:
        """The response line to one request line ("" for a notification, which has no response).

        Safe to call from several threads: requests are handled one at a time."""
        with self._lock:
            return self._handle(line)

    def _handle(self, line: str) -> str:
        request_id: object = None
        notification = False
        try:
            if type(line) is not str or len(line) > self.max_line:
                return self.too_long()
            request = _loads(line)
            if not isinstance(request, dict):
                raise RpcError(INVALID_REQUEST, "invalid request: not a JSON-RPC 2.0 request object (batches are "
                                                "not supported)")
            if "id" in request:
                if request["id"] is not None and type(request["id"]) not in (str, int):
                    raise RpcError(INVALID_REQUEST, "invalid request: id must be a string, an integer or null")
                request_id = request["id"]
            else:
                notification = True
            if request.get("jsonrpc") != "2.0" or type(request.get("method")) is not str:
                raise RpcError(INVALID_REQUEST, "invalid request: needs jsonrpc \"2.0\" and a method name")
            method = self._methods.get(request["method"])
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, f"method not found; methods: {', '.join(self._methods)}")
            params = request.get("params", {})
            if not isinstance(params, dict):
                raise _params_error("params must be an object (by name)")
            response: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "result": method(params)}
        except RpcError as exc:
            response = _error(request_id, exc)
        except FsmError as exc:
            response = _error(request_id, _fsm_error(exc))
        except Exception as exc:  # noqa: BLE001 - never a dead bridge; the class name only (its text may hold a secret)
            response = _error(request_id, RpcError(INTERNAL_ERROR, "internal error", {"type": type(exc).__name__}))
        if notification:
            return ""
        return json.dumps(response, separators=(",", ":"))

    def handle_bytes(self, raw: bytes) -> str:
        """:meth:`handle` for a line read as bytes (its newline included or not); "" for a blank line."""
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            return error_line(RpcError(PARSE_ERROR, "parse error: not UTF-8"))
        line = line.rstrip("\r\n")
        return self.handle(line) if line.strip() else ""

    def too_long(self) -> str:
        """The response to a line longer than :attr:`max_line` (read by the server, not by :meth:`handle`)."""
        return error_line(RpcError(INVALID_REQUEST,
                                   f"invalid request: not a line of at most {self.max_line} characters"))

    # -- the methods ----------------------------------------------------------

    def _open(self, flow: Flow) -> dict[str, Any]:
        if len(self._sessions) >= self.max_sessions:
            raise RpcError(ERRORS["TooManySessions"], f"too many sessions (at most {self.max_sessions}): close one",
                           {"type": "TooManySessions", "limit": self.max_sessions})
        session = secrets.token_hex(12)
        self._sessions[session] = _Session(flow)
        return {"session": session, **_state(flow)}

    def _session(self, params: Mapping[str, Any]) -> _Session:
        session = params.get("session")
        if type(session) is not str:
            raise _params_error("session must be a string")
        found = self._sessions.get(session)
        if found is None:
            raise RpcError(ERRORS["UnknownSession"], "unknown session (closed, or never opened)",
                           {"type": "UnknownSession"})
        return found

    def _start(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"flow", "options"})
        name = params.get("flow")
        if type(name) is not str:
            raise _params_error("flow must be a string")
        options = params.get("options", {})
        if not isinstance(options, dict):
            raise _params_error("options must be an object")
        if name not in FLOWS:  # the name given is not repeated: a host's own text stays out of what is written
            raise RpcError(ERRORS["UnknownFlow"], f"unknown flow; known flows: {', '.join(FLOWS)}",
                           {"type": "UnknownFlow"})
        return self._open(Flow(compiled(name), make_options(**options)))

    def _receive(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"session", "message"})
        session = self._session(params)
        if "message" not in params:
            raise _params_error("message is missing")
        try:
            session.flow.receive(params["message"])
        except MalformedMessage as exc:
            session.refused = exc
            raise
        session.refused = None
        return _state(session.flow)

    def _receive_exception(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"session", "type"})
        session = self._session(params)
        kind = params.get("type")
        if type(kind) is not str or EXCEPTION_NAME.fullmatch(kind) is None:
            raise _params_error("type must be the class name of what the port raised (ConnectionError, ...)")
        if kind == MalformedMessage.__name__:
            if session.refused is None:
                raise _params_error("type MalformedMessage: no message of this session was refused")
            session.flow.receive_exception(session.refused)
        else:
            transient = any(k.__name__ == kind and outcome == spec.TRANSIENT for k, outcome in EXCEPTION_RULES)
            session.flow.receive_exception(PortError(kind, transient=transient))
        session.refused = None
        return _state(session.flow)

    def _answer(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"session", "value", "forgot_pin", "cancel"})
        session = self._session(params)
        given = [k for k in ("value", "forgot_pin", "cancel") if k in params]
        if len(given) != 1:
            raise _params_error("give exactly one of value, forgot_pin: true, cancel: true")
        if given == ["value"]:
            if type(params["value"]) is not str:
                raise _params_error("value must be a string")
            session.flow.answer(params["value"])
        elif params[given[0]] is not True:
            raise _params_error(f"{given[0]} must be true")
        else:
            session.flow.answer(FORGOT_PIN if given == ["forgot_pin"] else CANCEL)
        return _state(session.flow)

    def _snapshot(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"session"})
        return {"snapshot": self._session(params).flow.snapshot()}

    def _resume(self, params: Mapping[str, Any]) -> dict[str, Any]:
        from fsm.restore import resume

        _only(params, {"snapshot"})
        if "snapshot" not in params:
            raise _params_error("snapshot is missing")
        return self._open(resume(params["snapshot"]))

    def _close(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"session"})
        self._session(params)
        del self._sessions[params["session"]]
        return {"closed": True}


def _only(params: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(k for k in params if k not in allowed)
    if unknown:
        raise _params_error(f"unknown parameter(s); this method takes {', '.join(sorted(allowed))}")


def _loads(line: str) -> object:
    def no_constant(_: str) -> object:
        raise ValueError("NaN and Infinity are not JSON")

    try:
        return json.loads(line, parse_constant=no_constant)
    except (ValueError, RecursionError):
        pass
    # Raised outside the handler: no __context__ holding the line (it may hold a PIN).
    raise RpcError(PARSE_ERROR, "parse error: not a JSON text")


def error_line(exc: RpcError) -> str:
    """The response line of an error that has no request id."""
    return json.dumps(_error(None, exc), separators=(",", ":"))


def _error(request_id: object, exc: RpcError) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.data is not None:
        error["data"] = exc.data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


#: The bridge of :func:`handle` (one per process).
BRIDGE = Bridge()


def handle(line: str) -> str:
    """One JSON-RPC request line in, one response line out, on the process's bridge (for Chaquopy and friends)."""
    return BRIDGE.handle(line)


__all__ = ["BRIDGE", "ERRORS", "MAX_LINE", "MAX_SESSIONS", "Bridge", "RpcError", "encode_action", "encode_outcome",
           "error_line", "handle"]
