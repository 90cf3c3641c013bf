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
    assert pin_prompts[1].endswith("; 3 tries left]: ")  # 1 of 3 invalid answers in a row: this one and 2 more


# -- a demo that teaches -------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str, answers: object = None) -> tuple[int, str]:
    args = ["run", *argv]
    if answers is not None:
        path = tmp_path / "answers.json"
        path.write_text(json.dumps(answers), encoding="utf-8")
        args += ["--answers", str(path)]
    code = main(args)
    return code, capsys.readouterr().out


def test_a_wrong_pin_says_how_many_tries_are_left(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _run(capsys, tmp_path, "enrollment", "--account", "existing-pin",
                     answers={"pinCode": ["111333", "424242"]})
    assert code == 0
    assert "↻ pinCode asked again (FAILED (PIN rejected)): 1 of 3 PIN submissions so far: 2 tries left." in out


def test_the_tries_left_follow_the_bound_not_a_fixed_number(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    code, out = _run(capsys, tmp_path, "enrollment", "--account", "existing-pin", "--max-pin-attempts", "5",
                     answers={"pinCode": ["111333", "424242"]})
    assert code == 0
    assert "1 of 5 PIN submissions so far: 4 tries left." in out
    # An SMS code refused counts on the edge that asks it again: one more try than the count says.
    code, out = _run(capsys, tmp_path, "enrollment", "--account", "phone", answers={"smsCode": ["000000"]})
    assert code == 0
    assert ("↻ smsCode asked again (FAILED 2305 (SMS code invalid)): 1 of 3 SMS codes refused so far: "
            "3 tries left.") in out


def test_three_wrong_pins_are_explained_step_by_step(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The person who gets the PIN wrong three times is told: tries left, why A removes every enrollment,
    that the enrollment starts again, and why the run ends."""
    code, out = _run(capsys, tmp_path, "enrollment", "--account", "existing-pin",
                     answers={"pinCode": ["111333", "222444", "333555"]})
    assert code == 1
    lines = [line.strip() for line in out.splitlines()]
    said = [line for line in lines if line and line[0] in "↻⚠("]
    assert said == [
        "↻ pinCode asked again (FAILED (PIN rejected)): 1 of 3 PIN submissions so far: 2 tries left.",
        "↻ pinCode asked again (FAILED (PIN rejected)): 2 of 3 PIN submissions so far: 1 try left.",
        "⚠ FAILED 2317 at step 8: as the tutorial requires, step A will remove all enrollments of the account "
        "(every device of the account must enroll again), then the enrollment starts again at step 3 "
        "(1 of 1 passes through A).",
        "(the simulator blocked the account after 3 wrong PINs, as a real backend does)",
        "↻ every enrollment removed: the enrollment starts again at step 3.",
        "⚠ no PIN submission left (3 of 3 PIN submissions): the run ends failed.",
    ]
    assert out.rstrip().endswith("✗ failed: failed at step 6: the PIN was refused too many times")


def test_a_blocked_account_is_told_why_A_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _run(capsys, tmp_path, "enrollment", "--account", "pin-blocked", "--no-interactive")
    assert code == 0
    assert ("⚠ blocked (PinBlocked, PINBlocked, AccountBlocked, true) at step 2: as the tutorial requires, step A "
            "will remove all enrollments of the account") in out


def test_an_expired_code_says_a_new_one_is_sent(capsys: pytest.CaptureFixture[str]) -> None:
    from fsm.cli.console import explain
    from fsm.ports.simulator import Simulator
    from tests.helpers import at, failed

    flow = at("enrollment", "6")
    flow.receive(failed(2306))
    assert explain(flow, Simulator()) == [
        "↻ FAILED 2306 (SMS code expired) at step 6: back to step 5 (send the enrollment SMS code) "
        "(1 of 3 SMS codes refused)."]


def test_the_interactive_demo_says_the_simulators_pin_when_it_is_asked(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from fsm.ports.simulator import DEMO_PIN

    prompts: list[str] = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        if "smsCode" in prompt:
            return capsys.readouterr().out.rsplit("SMS to", 1)[1].split("\n")[0].rsplit(":", 1)[1].strip()
        return DEMO_PIN

    monkeypatch.setattr("builtins.input", fake_input)
    assert main(["run", "enrollment", "--account", "existing-pin", "--interactive"]) == 0
    pin = next(p for p in prompts if "pinCode" in p)
    assert f"(the simulator's PIN is {DEMO_PIN})" in pin
    sms = next(p for p in prompts if "smsCode" in p)
    assert "(the code in the SMS above)" in sms


def test_quiet_prints_only_the_outcome(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _run(capsys, tmp_path, "enrollment", "--quiet", "--no-interactive")
    assert code == 0
    assert out == "✓ enrolled: Device enrollment: enrolled\n"


CANARIES = ("918273", "827364", "736455")


def test_json_writes_one_event_per_line_and_no_secret(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Canary PINs and the SMS codes the simulator sent appear nowhere in the JSON lines."""
    from fsm.ports import simulator

    sent: list[str] = []
    real = simulator.Simulator._send

    def spy(self: simulator.Simulator, purpose: str, to: str) -> dict[str, object]:
        answer = real(self, purpose, to)
        sent.append(self.inbox[-1].code)
        return answer

    with pytest.MonkeyPatch.context() as m:
        m.setattr(simulator.Simulator, "_send", spy)
        code, out = _run(capsys, tmp_path, "enrollment", "--account", "existing-pin", "--json",
                         answers={"pinCode": list(CANARIES)})
    assert code == 1
    events = [json.loads(line) for line in out.splitlines()]
    assert events[0]["event"] == "fsm.run.start"
    assert events[-1]["event"] == "fsm.run.end"
    assert events[-1]["cause"] == "pin_attempts_exhausted" and events[-1]["ok"] is False
    steps = [e for e in events if e["event"] == "fsm.step"]
    assert [e["n"] for e in steps] == list(range(1, len(steps) + 1))
    assert any(e["parameters"].get("pinCode") == "***" for e in steps)
    assert any("2 tries left" in e.get("why", "") for e in steps)
    assert sent, "the simulator sent SMS codes"
    for secret in (*CANARIES, *sent, "424242"):
        assert secret not in out


def test_accounts_lists_every_preset_with_what_it_shows(capsys: pytest.CaptureFixture[str]) -> None:
    from fsm.ports.simulator import PRESETS

    assert main(["run", "enrollment", "--accounts"]) == 0
    out = capsys.readouterr().out
    for name, words in PRESETS.items():
        assert f"  {name}" in out and words in out
    assert "→ steps 1 → 2 → 3 → 4.1 → enrolled" in out  # new: the shortcut
    assert "→ steps 1 → 2 → A → 3 → 5 → 6 → 8 → enrolled" in out  # pin-blocked: A removes every enrollment
