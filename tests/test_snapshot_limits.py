"""The size limits of a snapshot, as the README states them, at the limit and one past.

Written out as numbers (not read from ``fsm.snapshot``): a snapshot's JSON text is at most 4,000,000
characters; it keeps at most 100,000 consumed transactionIds or trace entries; a transactionId is at most 128
characters, any other string 4096; a trace entry has at most 64 parameters; an error code is below 10^9; an
end's detail is at most 512 characters. Each snapshot below is one a run wrote, changed only in the part under
test, so a refusal can only come from that limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import fsm
from tests.helpers import failed, ok

Edit = Callable[[dict[str, Any], int], None]


def _running() -> dict[str, Any]:
    """An enrollment at step 3, with a trace of two calls."""
    f = fsm.start("enrollment")
    f.receive(ok(isDeviceActivated=False))
    f.receive(ok(isAccountBlocked="NotBlocked"))
    return f.snapshot()


def _failed() -> dict[str, Any]:
    f = fsm.start("enrollment")
    f.receive(failed(9999))
    return f.snapshot()


def _set_seen_id(s: dict[str, Any], n: int) -> None:
    s["seen"] = ["t" * n]


def _set_seen_count(s: dict[str, Any], n: int) -> None:
    s["seen"] = [f"t{i}" for i in range(n)]


def _set_trace_string(s: dict[str, Any], n: int) -> None:
    s["trace"][0]["name"] = "n" * n


def _set_trace_parameters(s: dict[str, Any], n: int) -> None:
    s["trace"][0]["parameters"] = {f"p{i}": "v" for i in range(n)}


def _set_trace_code(s: dict[str, Any], n: int) -> None:
    s["trace"][0]["code"] = n


def _set_end_detail(s: dict[str, Any], n: int) -> None:
    s["end"][2] = "d" * n


@pytest.mark.parametrize(("edit", "limit", "problem", "make"), [
    (_set_seen_id, 128, "seen", _running),
    (_set_seen_count, 100_000, "seen", _running),
    (_set_trace_string, 4096, "trace", _running),
    (_set_trace_parameters, 64, "trace", _running),
    (_set_trace_code, 10**9 - 1, "trace", _running),
    (_set_end_detail, 512, "end", _failed),
], ids=["transactionId", "ids", "string", "parameters", "code", "detail"])
def test_a_snapshot_at_each_limit_resumes_and_one_past_is_refused(
    edit: Edit, limit: int, problem: str, make: Callable[[], dict[str, Any]],
) -> None:
    at_limit = make()
    edit(at_limit, limit)
    fsm.resume(at_limit)
    past = make()
    edit(past, limit + 1)
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(past)
    assert err.value.problem.startswith(problem)


def test_a_snapshot_text_of_4_000_000_characters_resumes_and_one_more_is_too_large() -> None:
    text = json.dumps(_running())
    padded = text + " " * (4_000_000 - len(text))
    fsm.resume(padded)
    with pytest.raises(fsm.SnapshotInvalid) as err:
        fsm.resume(padded + " ")
    assert err.value.problem == "too large"
