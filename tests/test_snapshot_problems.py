"""What ``fsm.SnapshotInvalid`` says is wrong: its ``problem`` names the part of the snapshot, in these words,
never a value from it (README, "Snapshots"). A host logs it to learn why it had to start afresh.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import fsm
from tests.helpers import ok


def _snap() -> dict[str, Any]:
    f = fsm.start("enrollment")
    f.receive(ok(isDeviceActivated=False))
    return f.snapshot()


def _with(**changes: Any) -> dict[str, Any]:
    s = _snap()
    s.update(changes)
    return s


def _without(key: str) -> dict[str, Any]:
    s = _snap()
    del s[key]
    return s


@pytest.mark.parametrize(("snapshot", "problem"), [
    ([], "not an object"),
    ("[]", "not an object"),
    ({**_snap(), "extra": 1}, "unknown keys"),
    (_without("trace"), "missing keys (truncated?)"),
    (_with(version=2), "unknown version (this fsm reads version 1)"),
    (_with(flow="enrolment"), "unknown flow"),
    (_with(state="9"), "unknown state"),
    (_with(state="enrolled"), "a finished success is never resumed"),
    ('{"version": NaN}', "not JSON (truncated?)"),
    ('{"version": Infinity}', "not JSON (truncated?)"),
    ('{"version": 1', "not JSON (truncated?)"),
    (_with(options={"platform": "ios"}), "options: not an object with every option"),
])
def test_a_refused_snapshot_says_which_part_is_wrong(snapshot: object, problem: str) -> None:
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(snapshot if not isinstance(snapshot, dict) else json.loads(json.dumps(snapshot)))
    assert err.value.problem == problem


def test_an_option_out_of_range_is_named() -> None:
    s = _snap()
    s["options"]["platform"] = "windows"
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(s)
    assert err.value.problem == "options: platform"


def _edited(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A real snapshot with the value at ``path`` (dots; a number indexes a list) replaced."""
    s: dict[str, Any] = json.loads(json.dumps(base or _snap()))
    *parents, last = path.split(".")
    node: Any = s
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return s


def _failed() -> dict[str, Any]:
    f = fsm.start("enrollment")
    f.receive({"transactionId": "t", "status": "FAILED", "error": {"code": 9999}})
    return f.snapshot()


@pytest.mark.parametrize(("path", "value", "problem"), [
    ("counters", [], "counters: not an object of the flow's counters"),
    ("counters.pin_attempts", -1, "counters.pin_attempts: not an integer within its bound"),
    ("counters.pin_attempts", 4, "counters.pin_attempts: not an integer within its bound"),
    ("counters.restarts", True, "counters.restarts: not an integer within its bound"),
    ("counters.transient_retries", 1.0, "counters.transient_retries: not an integer within its bound"),
    ("values", [], "values: not an object"),
    ("values", {"pinCode": "1234"}, "values: unknown or secret slot"),
    ("values", {"phoneNumber": ""}, "values.phoneNumber: empty"),
    ("values", {"phoneNumber": 612345678}, "values.phoneNumber: not a string of bounded length"),
    ("seen", "t", "seen: not a list of bounded length"),
    ("seen", [1], "seen: not a string of bounded length"),
    ("seen", [""], "seen: an empty transactionId"),
    ("last", "", "last: not a list of bounded length"),
    ("last", ["", None], "last: not [outcome, code, state]"),
    ("last", ["nonsense", None, ""], "last: unknown outcome"),
    ("last", ["", None, "9"], "last: unknown state"),
    ("last", ["", -1, ""], "last: not an error code"),
    ("last", ["", True, ""], "last: not an error code"),
    ("trace", {}, "trace: not a list of bounded length"),
    ("trace.0", [], "trace: an entry is not a trace entry"),
    ("trace.0.state", "9", "trace: unknown state"),
    ("trace.0.target", "9", "trace: unknown state"),
    ("trace.0.outcome", "nonsense", "trace: unknown outcome"),
    ("trace.0.kind", "event", "trace: unknown kind or op"),
    ("trace.0.op", "put", "trace: unknown kind or op"),
    ("trace.0.parameters", [], "trace: parameters not an object"),
    ("trace.0.parameters", {"pinCode": "1234"}, "trace: a secret parameter is not masked"),
    ("trace.0.parameters", {"type": 1}, "trace.parameters: not a string of bounded length"),
    ("trace.0.parameters", {1: "strong"}, "trace.parameters: not a string of bounded length"),
    ("trace.0.step", 1, "trace.step: not a string of bounded length"),
    ("trace.0.name", None, "trace.name: not a string of bounded length"),
    ("trace.0.code", -1, "trace.code: not an error code"),
    ("trace.0.code", "2317", "trace.code: not an error code"),
    ("end", ["forbidden", 2317, ""], "end: set on a running flow"),
])
def test_each_part_of_a_snapshot_is_named_when_it_is_wrong(path: str, value: Any, problem: str) -> None:
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(_edited(path, value))
    assert err.value.problem == problem


@pytest.mark.parametrize(("path", "value", "problem"), [
    ("end", None, "end: not a list of bounded length"),
    ("end", ["unexpected_error", 9999], "end: not [cause, code, detail]"),
    ("end.0", "nonsense", "end: unknown cause"),
    ("end.1", -1, "end: not an error code"),
    ("end.2", None, "end.detail: not a string of bounded length"),
])
def test_each_part_of_an_end_is_named_when_it_is_wrong(path: str, value: Any, problem: str) -> None:
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(_edited(path, value, _failed()))
    assert err.value.problem == problem


@pytest.mark.parametrize("code", [0, 2317, 10**9 - 1])
def test_an_error_code_is_any_integer_from_0_below_a_billion(code: int) -> None:
    """The codes a snapshot keeps (trace, end, last) are those parse_message accepts: 0 included."""
    assert fsm.resume(_edited("trace.0.code", code)).trace[0].code == code
    assert fsm.resume(_edited("end.1", code, _failed())).outcome is not None


def test_a_configuration_no_run_reaches_is_named_as_such() -> None:
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(_edited("counters.pin_attempts", 1))
    assert err.value.problem == "state, counters and values held: a configuration no run reaches"


def test_too_large_a_text_is_named() -> None:
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(" " * 4_000_001)
    assert err.value.problem == "too large"
