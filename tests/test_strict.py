"""CI fails when any test is skipped: the suite's skip hook (tests/strict.py) turns a skip into a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "a test that calls pytest.skip": "import pytest\n\ndef test_x():\n    pytest.skip('no tool')\n",
    "a test marked skipif": "import pytest\n\n@pytest.mark.skipif(True, reason='no tool')\ndef test_x():\n    pass\n",
    "a module skipped whole": "import pytest\npytest.skip('no tool', allow_module_level=True)\n\n"
                              "def test_x():\n    pass\n",
    "importorskip of a missing module": "import pytest\npytest.importorskip('no_such_module_at_all')\n\n"
                                        "def test_x():\n    pass\n",
}


def _pytest(path: Path, *plugins: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(path.parent),
            "-c", str(path.parent / "none.ini")]
    for p in plugins:
        args += ["-p", p]
    return subprocess.run([*args, str(path)], capture_output=True, text=True, cwd=ROOT, check=False,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})


@pytest.mark.parametrize("source", CASES.values(), ids=list(CASES))
def test_a_skip_fails_the_run(tmp_path: Path, source: str) -> None:
    path = tmp_path / "test_skipping.py"
    path.write_text(source, encoding="utf-8")
    (tmp_path / "none.ini").write_text("[pytest]\n", encoding="utf-8")
    plain = _pytest(path)
    assert plain.returncode in (0, 5) and "skipped" in plain.stdout  # without the hook, a skip passes
    strict = _pytest(path, "tests.strict")
    assert strict.returncode in (1, 2), strict.stdout  # 2: a module that fails to collect stops the run
    assert "no test may skip" in strict.stdout


def test_the_suite_loads_the_hook() -> None:
    import tests.conftest as conftest
    from tests import strict

    assert conftest.pytest_runtest_makereport is strict.pytest_runtest_makereport
    assert conftest.pytest_make_collect_report is strict.pytest_make_collect_report
