"""`fsm run`: the demo a newcomer watches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fsm.cli import main
from fsm.transcript import Transcript, replay


def test_demo_enrolls_step_by_step(capsys: pytest.CaptureFixture[str]) -> None:
    """The default demo: every step printed with its call and outcome, then the outcome."""
    assert main(["run", "enrollment", "--no-interactive", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    for needle in ("Check enrollment status", "get pims.authentication.account", "4.1", "enrollWithPhoneNumber",
                   "SMS to", "✓ enrolled"):
        assert needle in out
    assert "pinCode: ***" in out


@pytest.mark.parametrize("flow", ["enrollment", "remove-enrollments", "reset-pin", "update-pin", "modify-phone",
                                  "remove-vehicle"])
def test_every_flow_runs_from_the_cli(flow: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", flow, "--no-interactive"]) == 0
    assert "✓" in capsys.readouterr().out


def test_full_method_and_ios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "enrollment", "--method", "full", "--platform", "ios", "--no-interactive"]) == 0
    out = capsys.readouterr().out
    assert "4.2" in out
    assert "addPhoneNumber" in out


def test_answers_file_drives_the_person(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--answers gives answers first: a wrong PIN, then 'forgot' leads to B."""
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"pinCode": ["111333", "forgot", "517093", "517093"]}), encoding="utf-8")
    code = main(["run", "enrollment", "--account", "existing-pin", "--answers", str(answers)])
    out = capsys.readouterr().out
    assert code == 0
    assert "FAILED (PIN rejected)" in out
    assert "forgot PIN" in out
    assert "pims.authentication.pincode" in out


def test_failure_exits_1_with_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(["cancel"]), encoding="utf-8")
    assert main(["run", "enrollment", "--account", "phone", "--answers", str(answers)]) == 1
    assert "✗ cancelled" in capsys.readouterr().out


def test_bad_option_exits_2_with_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "enrollment", "--sdk-version", "1.0", "--no-interactive"]) == 2
    err = capsys.readouterr().err
    assert "sdk_version" in err
    assert "Traceback" not in err


def test_record_writes_a_replayable_transcript_without_secrets(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """--record writes the run as JSON; it replays to the same outcome and holds no PIN."""
    path = tmp_path / "run.json"
    assert main(["run", "enrollment", "--account", "existing-pin", "--record", str(path), "--seed", "4"]) == 0
    text = path.read_text(encoding="utf-8")
    assert "424242" not in text
    result = replay(Transcript.loads(text))
    assert result.ok, result.mismatches
    assert result.outcome.state == "enrolled"
    assert "transcript written" in capsys.readouterr().out


def test_interactive_session_reads_answers_from_stdin() -> None:
    """Interactive mode (forced): the person types the SMS code shown and a PIN."""
    lines: list[str] = []
    code = None
    with subprocess.Popen(
        [sys.executable, "-m", "fsm", "run", "enrollment", "--account", "phone", "--interactive", "--seed", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdin is not None
        for line in proc.stdout:
            lines.append(line)
            if "SMS to" in line and code is None:
                code = line.rsplit(":", 1)[1].strip()
                proc.stdin.write(code + "\n402718\n")
                proc.stdin.close()
        proc.wait(timeout=30)
    assert code is not None
    assert proc.returncode == 0, "".join(lines)
    assert "✓ enrolled" in "".join(lines)


def test_interactive_reask_says_the_rule(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid answer is asked again with the rule it broke (an obvious new PIN is refused)."""
    pins = iter(["1234", "402718"])
    prompts: list[str] = []
    shown: list[str] = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        if "smsCode" in prompt:
            shown.append(capsys.readouterr().out)
            return shown[-1].rsplit("SMS to", 1)[1].split("\n")[0].rsplit(":", 1)[1].strip()
        return next(pins)

    monkeypatch.setattr("builtins.input", fake_input)
    assert main(["run", "enrollment", "--account", "phone", "--interactive"]) == 0
    pin_prompts = [p for p in prompts if "pinCode" in p]
    assert len(pin_prompts) == 2
    assert "again" not in pin_prompts[0]
    assert "invalid answer: 4 to 8 ASCII digits, not an obvious one" in pin_prompts[1]
