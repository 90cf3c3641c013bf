"""The pytest plugin the runner loads in its copies (``-p tools.mutate.plugin``); inert without its variables.

``FSM_MUTATE_RECORD=FILE``: give each test its own coverage context (its node id; code run outside any test,
such as imports at collection, stays in the empty context) and write each test's duration to FILE as JSON.
``FSM_MUTATE_ORDER=FILE``: run only the tests listed in FILE (one node id a line), in that order.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path

import pytest

ENV_ORDER = "FSM_MUTATE_ORDER"
ENV_RECORD = "FSM_MUTATE_RECORD"

_durations: dict[str, float] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order_file = os.environ.get(ENV_ORDER)
    if not order_file:
        return
    by_id = {item.nodeid: item for item in items}
    keep = [by_id[t] for t in Path(order_file).read_text().splitlines() if t in by_id]
    kept = {id(item) for item in keep}
    dropped = [item for item in items if id(item) not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    if not os.environ.get(ENV_RECORD):
        return (yield)
    from coverage import Coverage

    cov = Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    began = time.perf_counter()
    try:
        return (yield)
    finally:
        _durations[item.nodeid] = _durations.get(item.nodeid, 0.0) + time.perf_counter() - began
        if cov is not None:
            cov.switch_context("")


def pytest_sessionfinish() -> None:
    path = os.environ.get(ENV_RECORD)
    if path:
        Path(path).write_text(json.dumps({"durations": _durations}))
