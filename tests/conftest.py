"""Hypothesis profiles: ``ci`` (default, fast) and ``nightly`` (many more examples).

Pick one with the ``HYPOTHESIS_PROFILE`` environment variable::

    ./dev test                                                   # ci
    HYPOTHESIS_PROFILE=nightly ./dev test tests/test_stateful.py tests/test_fuzz.py
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import HealthCheck, Phase, settings

# A skipped test fails the run (tests/strict.py): no test may skip.
from tests.strict import pytest_make_collect_report, pytest_runtest_makereport

__all__ = ["pytest_make_collect_report", "pytest_runtest_makereport"]

settings.register_profile(
    "ci", max_examples=150, stateful_step_count=30, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly", max_examples=5000, stateful_step_count=60, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# ./dev mutate runs each mutant with this profile: the same examples every run (a mutant is killed or not, never
# by luck), fewer of them (it runs the suite hundreds of times), no example database, and no shrinking (a failing
# example is enough to kill a mutant).
settings.register_profile(
    "mutation", max_examples=50, stateful_step_count=20, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _structlog_unconfigured() -> Iterator[None]:
    """No test leaves structlog configured for the next (fsm.start logs when the host configured it)."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
def stdlib_debug() -> Iterator[io.StringIO]:
    """Every stdlib logger at DEBUG (``transitions`` included) into a StringIO."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("transitions").setLevel(logging.DEBUG)
    yield buf
    root.removeHandler(handler)
    root.setLevel(old)
    logging.getLogger("transitions").setLevel(logging.NOTSET)
