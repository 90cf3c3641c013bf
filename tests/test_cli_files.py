"""Every CLI misuse is one line on stderr, exit 2, found before any work: nothing runs, nothing is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fsm import diagrams
from fsm.cli import main
from fsm.cli.files import UsageError, output_dir, output_file

ROOT = Path(__file__).resolve().parents[1]
#: A directory nobody may write in, even root (sysfs refuses new files).
LOCKED = Path("/sys")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "a-dir").mkdir()
    (tmp_path / "unknown-key.json").write_text(json.dumps({"pinCode": ["111111"], "pin": ["2"]}), encoding="utf-8")
    (tmp_path / "broken.json").write_text('{\n  "pinCode": [\n', encoding="utf-8")
    (tmp_path / "number.json").write_text(json.dumps({"pinCode": [424242]}), encoding="utf-8")
    (tmp_path / "not-a-transcript.json").write_text(json.dumps({"flow": "enrollment"}), encoding="utf-8")
    return tmp_path


#: (argv, words the one line must hold). Each is a misuse found before anything runs.
MISUSES = [
    (["run", "enrollment", "--record", "missing/run.json"], "missing/run.json: the directory missing does not exist"),
    (["run", "enrollment", "--record", "a-dir.json/x.json"], "the directory a-dir.json does not exist"),
    (["run", "enrollment", "--record", "a-dir"], "--record a-dir: the file must end in .json"),
    (["run", "enrollment", "--record", "run.txt"], "--record run.txt: the file must end in .json"),
    (["run", "enrollment", "--record", "a-file/run.json"], "a-file is not a directory"),
    (["run", "enrollment", "--record", str(LOCKED / "run.json")], "/sys/run.json: cannot be written"),
    (["run", "enrollment", "--draw", "run.gif"], "--draw run.gif: the file must end in .svg or .png or .pdf or .dot"),
    (["run", "enrollment", "--draw", "missing/run.svg"], "--draw missing/run.svg: the directory missing"),
    (["run", "enrollment", "--draw", str(LOCKED / "run.dot")], "/sys/run.dot: cannot be written"),
    (["run", "enrollment", "--answers", "unknown-key.json"], "unknown input 'pin'; the inputs are pinCode"),
    (["run", "enrollment", "--answers", "broken.json"], "--answers broken.json: not JSON at line 3, column 1"),
    (["run", "enrollment", "--answers", "number.json"], "--answers number.json: pinCode: an answer must be a string"),
    (["run", "enrollment", "--answers", "nothing.json"], "--answers nothing.json: no such file"),
    (["run", "enrollment", "--answers", "a-dir"], "--answers a-dir: is a directory"),
    (["run", "enrollment", "--json", "--interactive"], "--json never asks"),
    (["run", "enrollment", "--sdk-version", "1.0"], "sdk_version"),
    (["diagrams", "--out", "a-file"], "--out a-file: is a file; a directory is wanted"),
    (["diagrams", "--out", "missing/pictures"], "--out missing/pictures: the directory missing does not exist"),
    (["diagrams", "--out", str(LOCKED / "pictures")], "--out /sys/pictures: cannot be made"),
    (["diagrams", "--transcript", "not-a-transcript.json", "--draw", "run.svg"],
     "--transcript not-a-transcript.json: not a transcript of version 1"),
    (["diagrams", "--transcript", "nothing.json", "--draw", "run.svg"], "--transcript nothing.json: no such file"),
    (["diagrams", "--transcript", "not-a-transcript.json", "--draw", "run.jpeg"], "--draw run.jpeg: the file must"),
    (["diagrams", "--transcript", "not-a-transcript.json"], "--transcript and --draw go together"),
    (["docs", "--out", "a-file"], "--out a-file: is a file; a directory is wanted"),
    (["docs", "--out", "missing/docs"], "--out missing/docs: the directory missing does not exist"),
    (["paths", "enrollment", "--out", "a-file"], "--out a-file: is a file"),
    (["paths", "enrollment", "--out", "missing/cases"], "--out missing/cases: the directory missing"),
    (["check", "enrollment", "--counterexamples", "a-file"], "--counterexamples a-file: is a file"),
    (["check", "enrollment", "--counterexamples", "missing/out"], "--counterexamples missing/out: the directory"),
    (["replay", "nothing.json"], "nothing.json: no such file"),
    (["replay", "broken.json"], "broken.json: not JSON: line 3"),
    (["replay", "not-a-transcript.json"], "not-a-transcript.json: not a transcript of version 1"),
]


@pytest.mark.parametrize(("argv", "words"), MISUSES, ids=[" ".join(a) for a, _ in MISUSES])
def test_a_misuse_is_one_line_exit_2_and_nothing_runs(here: Path, argv: list[str], words: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in here.rglob("*"))
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "", "nothing ran"
    assert err.count("\n") == 1 and err.startswith(f"fsm {argv[0]}: "), err
    assert words in err
    assert "Traceback" not in err
    assert sorted(p.name for p in here.rglob("*")) == before, "nothing was written"


def test_the_checks_name_the_path_in_one_line_whatever_the_os_says(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        output_file(tmp_path / "no\nwhere" / "x.json", option="--record")
    assert "\n" not in str(caught.value)
    assert output_file(tmp_path / "x.json", option="--record", suffixes=(".json",)) == tmp_path / "x.json"
    assert not (tmp_path / "x.json").exists(), "the check leaves no file behind"
    (tmp_path / "kept.json").write_text("content", encoding="utf-8")
    output_file(tmp_path / "kept.json", option="--record")
    assert (tmp_path / "kept.json").read_text(encoding="utf-8") == "content", "an existing file is left as it is"
    assert output_dir(tmp_path / "new", option="--out").is_dir()


def test_a_bad_benchmark_json_path_is_refused_before_minutes_of_measuring(tmp_path: Path) -> None:
    for path, words in ((tmp_path / "missing" / "bench.json", "the directory"),
                        (tmp_path / "bench.txt", "must end in .json"), (tmp_path, "must end in .json")):
        done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(path)],
                              capture_output=True, text=True, cwd=ROOT, check=False, timeout=60)
        assert done.returncode == 2
        assert done.stdout == "", "no benchmark ran"
        assert done.stderr.count("\n") == 1 and words in done.stderr and str(path) in done.stderr


def test_a_misuse_in_a_new_process_is_one_line_too(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "fsm", "run", "enrollment", "--record", "nowhere/run.json"],
                          capture_output=True, text=True, cwd=tmp_path, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "fsm run: --record nowhere/run.json: the directory nowhere does not exist\n"


MAGIC = {".svg": b"<?xml", ".png": b"\x89PNG", ".pdf": b"%PDF", ".dot": b"digraph"}


@pytest.mark.parametrize("suffix", sorted(MAGIC))
def test_draw_writes_the_format_its_extension_names(tmp_path: Path, suffix: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert diagrams.dot_available(), "Graphviz `dot` is needed (apt-get install graphviz)"
    path = tmp_path / f"run{suffix}"
    assert main(["run", "enrollment", "--no-interactive", "--quiet", "--draw", str(path)]) == 0
    assert path.read_bytes().startswith(MAGIC[suffix])
    assert capsys.readouterr().out.startswith("✓ enrolled")


def test_without_graphviz_a_picture_is_refused_up_front_but_dot_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(diagrams, "dot_available", lambda: False)
    assert main(["run", "enrollment", "--no-interactive", "--draw", str(tmp_path / "run.svg")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "apt-get install graphviz" in err and "run.svg" in err
    assert main(["run", "enrollment", "--no-interactive", "--quiet", "--draw", str(tmp_path / "run.dot")]) == 0
    assert (tmp_path / "run.dot").read_text(encoding="utf-8").startswith("digraph")


def test_an_out_directory_another_run_makes_meanwhile_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `fsm paths` into one new --out side by side: the second sees no directory, the first makes it,
    then the second's mkdir must not fail (it did: "cannot be made: file exists")."""
    import fsm.cli.files as files

    out = tmp_path / "cases"
    parent = files._parent

    def parent_then_the_other_run(path: Path, option: str) -> None:
        parent(path, option)
        out.mkdir()  # the other run, between the check and the mkdir

    monkeypatch.setattr(files, "_parent", parent_then_the_other_run)
    assert output_dir(out, option="--out") == out
    (out / "other").write_text("")
    monkeypatch.setattr(files, "_parent", parent)
    with pytest.raises(UsageError, match="is a file"):
        output_dir(out / "other", option="--out")
