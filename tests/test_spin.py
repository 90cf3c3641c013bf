"""fsm check and SPIN agree: the same verdicts, reachable configurations and edges for every flow, and both find
every seeded defect. SPIN verifies a Promela model written from the flow definition (fsm.promela); fsm check
moves the real machine: two independent derivations of the same behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from fsm import machine, spin
from fsm.check import Result, check
from fsm.cli import main
from fsm.flows import FLOWS
from fsm.options import make_options
from fsm.reach import reachable
from tests.defects import SEEDED

BOUNDS = (3, 30)


def test_spin_and_a_c_compiler_are_on_the_path() -> None:
    assert spin.tools() is not None, spin.INSTALL  # .ci/run installs them


@pytest.fixture(scope="module")
def shipped() -> dict[tuple[str, int], tuple[Result, spin.Verdict]]:
    results = {(name, n): check(name, make_options(max_pin_attempts=n)) for n in BOUNDS for name in FLOWS}
    verdicts = spin.verify([(r.flow, r.options, r.nodes) for r in results.values()])
    return dict(zip(results, zip(results.values(), verdicts, strict=True), strict=True))


@pytest.mark.parametrize("pins", BOUNDS)
@pytest.mark.parametrize("name", list(FLOWS))
def test_fsm_check_and_spin_agree_on_every_flow(shipped: dict[tuple[str, int], tuple[Result, spin.Verdict]],
                                                name: str, pins: int) -> None:
    r, v = shipped[(name, pins)]
    assert spin.compare(r, v) == []
    assert v.complete and v.violated == frozenset() and r.ok
    assert v.states == r.configurations == r.nodes > 1
    assert v.states == len({(s, c) for s, c, _ in reachable(FLOWS[name], r.options, resumed=False)})
    assert v.edges == r.edges and len(v.edges) > 1


def test_the_reachable_configurations_grow_linearly_with_the_pin_bound(
    shipped: dict[tuple[str, int], tuple[Result, spin.Verdict]],
) -> None:
    small, large = shipped[("enrollment", 3)][1].states, shipped[("enrollment", 30)][1].states
    assert 8 * small < large < 10 * small


@pytest.fixture(scope="module")
def seeded() -> dict[str, tuple[Result, spin.Verdict]]:
    results = {name: check(make(), options) for name, (make, options, _) in SEEDED.items()}
    verdicts = spin.verify([(SEEDED[n][0](), SEEDED[n][1], r.nodes) for n, r in results.items()])
    return dict(zip(results, zip(results.values(), verdicts, strict=True), strict=True))


@pytest.mark.parametrize("name", list(SEEDED))
def test_both_find_every_seeded_defect(seeded: dict[str, tuple[Result, spin.Verdict]], name: str) -> None:
    r, v = seeded[name]
    broken = SEEDED[name][2]
    assert spin.compare(r, v) == []
    assert v.violated == broken
    assert {p for p in spin.SPIN_PROPERTIES if not r.holds(p)} == broken
    assert not r.ok  # every seeded defect breaks something (the unreachable state: reachable and definition)


def test_spin_tells_a_machine_that_does_not_do_what_its_table_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An engine defect the table does not show (entering C does not count the PIN submission): fsm check, which
    moves the machine, finds runs SPIN, which reads the table, does not; the cross-check fails and shows both."""
    real = machine.Compiled._effect

    def forgetful(self: machine.Compiled, source: object, edge: object) -> tuple[int, ...]:
        got = real(self, source, edge)  # type: ignore[arg-type]  # the real arguments, passed on
        return () if getattr(edge, "target", None) == "C" else got

    monkeypatch.setattr(machine.Compiled, "_effect", forgetful)
    machine.compiled.cache_clear()
    try:
        assert main(["check", "update-pin", "--spin"]) == 1
    finally:
        machine.compiled.cache_clear()
    out = capsys.readouterr().out
    assert "update-pin: SPIN DISAGREES" in out
    assert "pin_bound: fsm check: VIOLATED; SPIN: holds" in out
    assert "terminates: fsm check: VIOLATED; SPIN: holds" in out
    assert "reachable configurations (with the bound monitors): fsm check" in out
    assert "SPIN disagrees" in out.splitlines()[-1]


def test_cli_check_spin_says_spin_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "remove-vehicle", "reset-pin", "--spin"]) == 0
    out = capsys.readouterr().out
    r = check("remove-vehicle", make_options())
    assert f"remove-vehicle: SPIN agrees: {r.configurations} configurations, {len(r.edges)} edges, 8 of 8 " \
           "properties hold" in out
    assert "reset-pin: SPIN agrees:" in out
    assert out.splitlines()[-1].endswith("every property holds")


def test_without_spin_the_option_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CC", raising=False)
    assert main(["check", "reset-pin", "--spin"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "apt-get install spin" in captured.err


def test_export_writes_a_promela_model_per_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "promela", "--out", str(tmp_path), "reset-pin", "update-pin",
                 "--max-pin-attempts", "5"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reset-pin.pml", "update-pin.pml"]
    text = (tmp_path / "update-pin.pml").read_text()
    assert "#define max_pin_attempts 5" in text and "ltl terminates { <> ended }" in text
    assert "/* C --pin_rejected--> C:oldPIN */" in text
    assert "wrote 2 files" in capsys.readouterr().out
    assert main(["export", "--format", "promela", "--max-pin-attempts", "0", "--out", str(tmp_path)]) == 2
    assert "max_pin_attempts" in capsys.readouterr().err
