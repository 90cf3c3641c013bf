"""The mutation tool (``./dev mutate``, tools/mutate): it finds the mutants it says, they are real code, and the
list of equivalent mutants matches the code as it is."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools.mutate import equivalents
from tools.mutate.cli import DEFAULT_MODULES, EQUIVALENTS, target_files
from tools.mutate.finder import Mutant, find_mutants

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = textwrap.dedent('''\
    """Doc."""

    from __future__ import annotations

    from typing import TYPE_CHECKING, Literal

    if TYPE_CHECKING:
        X = 1

    Kind = Literal["a", "b"]
    LIMIT: int | None = 3
    CODES = {2305: "sms_invalid",
             2306: "sms_expired"}


    def f(a: int, b: str = "x") -> str | None:
        """Doc of f."""
        if a < LIMIT and not b:
            return b
        a += 1
        return None


    class C:
        """Doc of C."""

        names = (
            "one",
            "two",
        )
    ''')

#: Every mutant of SAMPLE, written out by hand: (line, scope, original -> mutant).
EXPECTED = {
    (11, "LIMIT", "3 -> 4"), (11, "LIMIT", "3 -> 2"),
    (12, "CODES", "2305: 'sms_invalid' -> (entry dropped)"), (13, "CODES", "2306: 'sms_expired' -> (entry dropped)"),
    (12, "CODES", "2305 -> 2306"), (12, "CODES", "2305 -> 2304"), (13, "CODES", "2306 -> 2307"),
    (13, "CODES", "2306 -> 2305"), (12, "CODES", "'sms_invalid' -> 'XXsms_invalidXX'"),
    (13, "CODES", "'sms_expired' -> 'XXsms_expiredXX'"),
    (16, "f.b", "'x' -> 'XXxXX'"),
    (18, "f", "if a < LIMIT and (not b): ... -> pass"), (18, "f", "a < LIMIT and (not b) -> a < LIMIT or not b"),
    (18, "f", "a < LIMIT -> a <= LIMIT"), (18, "f", "not b -> b"),
    (19, "f", "return b -> return None"),
    (20, "f", "a += 1 -> a -= 1"), (20, "f", "a += 1 -> pass"), (20, "f", "1 -> 2"), (20, "f", "1 -> 0"),
    (21, "f", "None -> ''"),
    (28, "C.names", "'one' -> (element dropped)"), (29, "C.names", "'two' -> (element dropped)"),
    (28, "C.names", "'one' -> 'XXoneXX'"), (29, "C.names", "'two' -> 'XXtwoXX'"),
}


def _shown(m: Mutant) -> tuple[int, str, str]:
    return (m.line, m.scope, f"{m.original} -> {m.mutant}")


def test_the_sample_has_exactly_the_mutants_written_out() -> None:
    """Docstrings, imports, annotations, union types, Literal[...] and TYPE_CHECKING blocks are left alone;
    module-level data (a dict of codes, a class's tuple) is mutated like code."""
    assert {_shown(m) for m in find_mutants("sample.py", SAMPLE.encode())} == EXPECTED


def test_a_mutant_changes_only_its_text_and_keeps_every_line_where_it_was() -> None:
    source = SAMPLE.encode()
    for m in find_mutants("sample.py", source):
        changed = m.apply(source)
        assert changed != source
        assert changed[: m.start] == source[: m.start] and changed.endswith(source[m.end :])
        assert changed.count(b"\n") == source.count(b"\n"), m.label()
        compile(changed, "sample.py", "exec")


def test_dropping_an_element_of_a_multi_line_tuple_leaves_the_others() -> None:
    source = SAMPLE.encode()
    (m,) = [m for m in find_mutants("sample.py", source) if _shown(m) == (28, "C.names", "'one' -> (element dropped)")]
    namespace: dict[str, object] = {}
    exec(compile(m.apply(source), "sample.py", "exec"), namespace)  # our own sample
    assert namespace["C"].names == ("two",)  # type: ignore[attr-defined]  # the sample's class


@pytest.mark.parametrize("file", ["fsm/messages.py", "fsm/flows/enrollment.py"])
def test_every_mutant_of_a_module_and_of_a_table_is_valid_code_on_the_same_lines(file: str) -> None:
    source = (ROOT / file).read_bytes()
    mutants = find_mutants(file, source)
    assert mutants
    tree = ast.dump(ast.parse(source))
    for m in mutants:
        changed = m.apply(source)
        assert changed.count(b"\n") == source.count(b"\n"), m.label()
        assert ast.dump(ast.parse(changed)) != tree, m.label()


def test_the_flow_tables_are_mutated_as_data() -> None:
    """fsm/flows/*.py is data: edges, error-code dicts, keyword arguments (guards, counters) are mutated."""
    file = "fsm/flows/enrollment.py"
    shown = {f"{m.original} -> {m.mutant}" for m in find_mutants(file, (ROOT / file).read_bytes())
             if m.scope == "ENROLLMENT"}
    assert "2390: 'phone_taken' -> (entry dropped)" in shown
    assert "2305 -> 2306" in shown
    assert "guard=spec.SHORTCUT -> (keyword dropped)" in shown
    assert "Edge(outcome='not_activated', target='2') -> (element dropped)" in shown


def test_the_equivalents_file_is_complete_and_matches_the_code_as_it_is() -> None:
    """Each listed equivalent mutant says why, and matches a mutant of the current code (none is stale)."""
    listed = equivalents.load(ROOT / EQUIVALENTS)
    by_file: dict[str, list[Mutant]] = {}
    for e in listed:
        if e.file not in by_file:
            by_file[e.file] = find_mutants(e.file, (ROOT / e.file).read_bytes())
        assert any(e.matches(m) for m in by_file[e.file]), f"stale: {e}"
        assert len(e.why.split()) >= 4, f"say why: {e}"


def test_the_plugin_runs_only_the_listed_tests_in_the_listed_order(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(
        "def test_a() -> None:\n    pass\n\n\ndef test_b() -> None:\n    pass\n\n\ndef test_c() -> None:\n    pass\n"
    )
    order = tmp_path / "order"
    order.write_text("test_sample.py::test_c\ntest_sample.py::test_a\n")
    env = {**os.environ, "FSM_MUTATE_ORDER": str(order), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tools.mutate.plugin", "-v",
         "-o", "addopts=", "test_sample.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout
    ran = [line.split(" ")[0] for line in done.stdout.splitlines() if " PASSED" in line]
    assert ran == ["test_sample.py::test_c", "test_sample.py::test_a"]
    assert "1 deselected" in done.stdout


def test_the_default_modules_are_the_issues_set() -> None:
    """``./dev mutate`` with no argument: messages, secret, snapshot, classify and every flow table."""
    files = target_files(DEFAULT_MODULES)
    assert {"fsm/messages.py", "fsm/secret.py", "fsm/snapshot.py", "fsm/classify.py"} <= set(files)
    assert {f for f in files if f.startswith("fsm/flows/")} == {
        f"fsm/flows/{p.name}" for p in (ROOT / "fsm" / "flows").glob("*.py")}


def test_what_starts_on_a_line_marked_no_mutate_gets_no_mutant() -> None:
    source = textwrap.dedent('''\
        SPEC = dict(
            title="Device enrollment",
            notes=(  # pragma: no mutate (prose)
                "Step 2: every blocked spelling leads to A.",
                "Step 3: null means no number.",
            ),
        )
        NOTE = "prose"  # pragma: no mutate
        ''').encode()
    assert {f"{m.original} -> {m.mutant}" for m in find_mutants("s.py", source)} == {
        "title='Device enrollment' -> (keyword dropped)", "'Device enrollment' -> 'XXDevice enrollmentXX'",
    }
