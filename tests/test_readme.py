"""The README stays true: its commands print what it shows, its code runs, it points at nothing outside."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from fsm.cli import main
from fsm.spec import CAUSE_WORDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
_DEMO = re.compile(r"```text\n\$ \./dev demo (?P<args>[^\n|]*?)(?: \| grep -E '(?P<grep>[^']*)')?\n(?P<out>.*?)```",
                   re.S)


def test_the_readme_demo_outputs_are_what_the_demo_prints(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the README's paths (examples/...) are the repository's
    shown = list(_DEMO.finditer(README))
    assert len(shown) >= 3, "the README shows a demo run, the accounts and a run that teaches"
    for m in shown:
        code = main(["run", "enrollment", *m["args"].split()])
        out = capsys.readouterr().out
        if m["grep"]:
            out = "".join(line + "\n" for line in out.splitlines() if re.search(m["grep"], line))
        else:
            assert code == 0
        assert out == m["out"], m["args"]


def test_ci_runs_the_readme_test_command() -> None:
    quick = re.search(r"## Quick start.*?```sh\n(?P<cmds>.*?)```", README, re.S)
    assert quick is not None
    test_cmd = next(line.split("#")[0].strip() for line in quick["cmds"].splitlines() if "test" in line)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1].strip() == test_cmd


def _python_block(marker: str) -> str:
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if marker in b)
    return str(block)


class CallbackPims:
    """An SDK in the callback style (``pims.get(api, params, callback)``): it answers on its own thread."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.threads: set[str] = set()

    def _later(self, method: Any, api: str, params: dict[str, str], callback: Any) -> None:
        def answer() -> None:
            self.threads.add(threading.current_thread().name)
            callback(method(api, params))

        threading.Timer(0.001, answer).start()

    def get(self, api: str, params: dict[str, str], callback: Any) -> None:
        self._later(self.backend.get, api, params, callback)

    def set(self, api: str, params: dict[str, str], callback: Any) -> None:
        self._later(self.backend.set, api, params, callback)


def test_the_readme_adapter_makes_the_sdks_callbacks_a_blocking_port() -> None:
    import fsm
    from fsm.ports.persons import DemoPerson
    from fsm.ports.simulator import Simulator

    code = _python_block("class BlockingPims")
    adapter = code.split("\noutcome = ")[0]  # the class; the last line is the README's use of it
    scope: dict[str, Any] = {}
    exec(adapter, scope)  # the README's own code, run as a reader would
    sim = Simulator("existing-pin")
    pims = CallbackPims(sim)
    outcome = fsm.run("enrollment", port=scope["BlockingPims"](pims, timeout=5), person=DemoPerson(sim))
    assert outcome.ok and outcome.state == "enrolled"
    assert pims.threads and threading.current_thread().name not in pims.threads, "answers came by callback"

    class Silent:
        def get(self, api: str, params: dict[str, str], callback: Any) -> None:
            pass  # never calls back

        set = get

    lost = fsm.run("enrollment", port=scope["BlockingPims"](Silent(), timeout=0.01), person=DemoPerson(sim),
                   sleep=lambda _: None)
    assert (lost.state, lost.cause) == ("failed", "transient_retries_exhausted")


def test_the_readme_recording_code_runs() -> None:
    from fsm.ports.persons import DemoPerson
    from fsm.ports.simulator import Simulator

    scope: dict[str, Any] = {"Simulator": Simulator, "DemoPerson": DemoPerson}
    exec(_python_block("Transcript.loads"), scope)  # the README's own code
    assert scope["again"].ok


def test_the_readme_replay_example_is_what_fsm_replay_prints(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    shown = re.search(r"\$ \./dev fsm replay run\.json\n(?P<line>[^\n]*)\n", README)
    assert shown is not None
    path = tmp_path / "run.json"
    assert main(["run", "enrollment", "--account", "existing-pin", "--quiet", "--record", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    data["events"][2]["call"]["api"] = "pims.authentication.elsewhere"
    path.write_text(json.dumps(data), encoding="utf-8")
    capsys.readouterr()
    assert main(["replay", str(path)]) == 1
    assert capsys.readouterr().out.replace(str(path), "run.json") == shown["line"] + "\n"


def test_the_readme_names_every_cause_a_program_can_match() -> None:
    for cause in CAUSE_WORDS:
        assert f"`{cause}`" in README, cause


@pytest.mark.parametrize("doc", ["README.md", "CHANGELOG.md", "diagrams/README.md", "tests/reference/README.md"])
def test_no_link_or_id_points_outside_the_repository(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    for outside in ("PROTOCOL.md", "RELIABILITY.md", "DESIGN.md", "../shared", "](../"):
        assert outside not in text, outside
    # Case ids of a document the reader does not have (A2, C6, D8, F4, ...).
    assert re.findall(r"\b[A-F][0-9]{1,2}\b(?![.0-9])", text) == [], "case ids a reader cannot look up"
    base = (ROOT / doc).parent
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if target.startswith(("http://", "https://")):
            continue
        assert (base / target).exists(), f"{doc} links {target}, which the repository does not have"
