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
