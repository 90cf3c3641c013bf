"""A pytest plugin: a skipped test is a failed test (the house allows no skip; a needed tool is required).

``tests/conftest.py`` loads these hooks for the suite; ``tests/test_strict.py`` proves, in a separate pytest
run, that a test calling ``pytest.skip`` (or marked ``skipif``, or a module skipped whole) fails the run.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest


def _reason(longrepr: object) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _refuse(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = _reason(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, and no test may skip (install what it needs instead): {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    report = yield
    assert isinstance(report, pytest.TestReport)
    _refuse(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, object, object]:
    report = yield
    assert isinstance(report, pytest.CollectReport)
    _refuse(report)
    return report
