"""Canary tests: journeys run with canary PIN, SMS code and OTP values; no sink ever holds one.

The sinks (RELIABILITY.md, G1 to G5): structlog's ConsoleRenderer, a
JSONRenderer with ``dict_tracebacks`` showing locals, stdlib logging at DEBUG
including the ``transitions`` logger, exception texts and chains, snapshots
(raw, hex, base64, UTF-16, reversed), traces and transcripts. Real renderers
write to a StringIO: structlog's ``capture_logs`` bypasses processors and
would prove nothing.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import json
import logging
import pickle
import random
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest
import structlog

import fsm
import fsm.logging as fsm_logging
from fsm.messages import Call
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import Account, Simulator
from fsm.secret import MASK, Secret
from fsm.transcript import Recorder
from tests.helpers import failed, ok

PIN, SMS, NEW_PIN, OTP = "902718", "551907", "613524", "77031954"
CANARIES = (PIN, SMS, NEW_PIN, OTP)
#: Every sink this module checked, with the number of bytes it held (the README's leak figure is the hits: 0).
CHECKED: dict[str, int] = {}


def forms(canary: str) -> Iterator[bytes]:
    """The canary as it could hide in serialised bytes: raw, hex, base64 (3 alignments), UTF-16, reversed."""
    raw = canary.encode()
    yield raw
    yield raw.hex().encode()
    yield raw.hex().upper().encode()
    yield canary[::-1].encode()
    yield canary.encode("utf-16-le")
    yield canary.encode("utf-16-be")
    for pad in range(3):
        coded = base64.b64encode(b"\0" * pad + raw)
        yield coded[4:-4] if pad else coded[:-4]  # the part of the encoding that does not depend on neighbours


def assert_clean(sink: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    CHECKED[sink] = CHECKED.get(sink, 0) + len(data)
    for canary in CANARIES:
        for form in forms(canary):
            assert form not in data, f"canary found in {sink}"


class CanarySim(Simulator):
    """The simulator, with the canaries as the account's PIN, every SMS code it sends and the OTP."""

    def __init__(self, account: str | Account = "new") -> None:
        super().__init__(account, rng=random.Random(11))
        if self.account.pin is not None:
            self.account.pin = PIN

    def _send(self, purpose: str, to: str) -> dict[str, Any]:
        answer = super()._send(purpose, to)
        sms = self.inbox[-1]
        self.inbox[-1] = attrs.evolve(sms, code=SMS)
        self._pending[purpose] = self.inbox[-1]
        return answer

    def _get_pims_authentication_otp(self, p: dict[str, str]) -> dict[str, Any]:
        answer = super()._get_pims_authentication_otp(p)
        if answer["status"] == "SUCCEEDED":
            answer["result"]["otp"] = OTP
        return answer


JOURNEYS: list[tuple[str, str, dict[str, Any], dict[str, list[Any]] | None]] = [
    ("enrollment", "new", {}, None),
    ("enrollment", "new", {"method": "full", "platform": "ios"}, None),
    ("enrollment", "existing-pin", {}, {"pinCode": ["1234a", "111999"]}),
    ("enrollment", "existing-pin", {}, {"pinCode": ["111999", fsm.FORGOT_PIN]}),
    ("enrollment", "existing-pin", {}, {"pinCode": ["111999", "111998", "111997"]}),
    ("update-pin", "enrolled", {}, None),
    ("reset-pin", "enrolled", {}, None),
    ("modify-phone", "enrolled", {}, {"phoneNumber": ["0687654321"]}),
    ("remove-vehicle", "vehicle-otp", {}, None),
]


def run_journeys(**start: Any) -> list[fsm.Outcome]:
    """Every journey with canary secrets; ``start`` goes to fsm.start (e.g. a logger)."""
    outcomes = []
    for flow, account, options, overrides in JOURNEYS:
        sim = CanarySim(account)
        person = DemoPerson(sim, pin=PIN, new_pin=NEW_PIN, overrides=overrides)
        f = fsm.start(flow, **start, **options)
        outcomes.append(fsm.run(f, port=sim, person=person, sleep=lambda _: None))
    assert {o.state for o in outcomes} >= {"enrolled", "done", "failed"}
    return outcomes


class Crash(BaseException):
    """The app is being killed while the port holds the PIN."""


class CrashingPort:
    """Answers like the simulator until the PIN is sent; then raises with the PIN in scope (locals, text)."""

    def __init__(self, exc: BaseException) -> None:
        self.sim = CanarySim("existing-pin")
        self.exc = exc

    def get(self, api: str, parameters: Mapping[str, str]) -> Any:
        return self.sim.get(api, parameters)

    def set(self, api: str, parameters: Mapping[str, str]) -> Any:
        if "pinCode" in parameters:
            raise self.exc
        return self.sim.set(api, parameters)


def crash_with_pin_in_scope() -> BaseException:
    port = CrashingPort(Crash())
    person = DemoPerson(port.sim, pin=PIN)
    try:
        fsm.run("enrollment", port=port, person=person, sleep=lambda _: None)
    except Crash as exc:
        return exc
    raise AssertionError("the crash did not propagate")


def test_console_renderer_output_holds_no_canary() -> None:
    buf = io.StringIO()
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.dev.ConsoleRenderer(colors=False)],
        logger_factory=structlog.PrintLoggerFactory(file=buf),
    )
    outcomes = run_journeys()
    log = structlog.get_logger("host")
    for out in outcomes:
        log.info("run ended", outcome=out.state, reason=out.reason, trace=[t.as_dict() for t in out.trace])
    try:
        raise RuntimeError("host failure")
    except RuntimeError:
        log.exception("host logged an exception")
    text = buf.getvalue()
    assert "fsm.transition" in text and "step=8" in text  # the engine did log, through the host's structlog
    assert_clean("structlog ConsoleRenderer", text)


def test_json_renderer_with_dict_tracebacks_and_locals_holds_no_canary() -> None:
    """An exception raised inside a port while the PIN is in scope, logged by the host with locals shown."""
    buf = io.StringIO()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.ExceptionRenderer(structlog.tracebacks.ExceptionDictTransformer(show_locals=True)),
            fsm_logging.redact_secrets,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=buf),
    )
    run_journeys()
    crash = crash_with_pin_in_scope()
    log = structlog.get_logger("host")
    log.error("run interrupted", exc_info=crash)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    frames = [fr for line in lines for exc in line.get("exception", ()) for fr in exc["frames"]]
    assert any(fr["name"] == "run" and fr.get("locals") for fr in frames)  # locals were rendered
    ours = [fr for fr in frames if "/fsm/" in fr["filename"]]
    assert ours and all(PIN not in json.dumps(fr) for fr in ours)  # fsm's own frames hold no PIN, redaction or not
    assert_clean("structlog JSONRenderer + dict_tracebacks(show_locals)", buf.getvalue())


def test_stdlib_logging_at_debug_including_transitions_holds_no_canary(stdlib_debug: io.StringIO) -> None:
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.KeyValueRenderer()],
        logger_factory=structlog.stdlib.LoggerFactory(),
    )
    run_journeys()
    crash = crash_with_pin_in_scope()
    logging.getLogger("host").debug("interrupted", exc_info=crash)
    text = stdlib_debug.getvalue()
    assert "transitions" in text and "fsm.transition" in text
    assert_clean("stdlib logging at DEBUG (transitions included)", text)


def test_a_logger_passed_to_start_gets_only_names_and_codes() -> None:
    events: list[dict[str, Any]] = []

    class Logger:
        def info(self, event: str, **kw: Any) -> None:
            events.append({"event": event, **kw})

    run_journeys(logger=Logger())
    assert events and {e["event"] for e in events} == {"fsm.transition"}
    assert {k for e in events for k in e} == {"event", "flow", "step", "state", "api", "outcome", "target",
                                              "error_code"}
    assert_clean("logger passed to fsm.start", json.dumps(events))


def test_start_without_logger_and_without_structlog_configured_prints_nothing(
    capsys: pytest.CaptureFixture[str], stdlib_debug: io.StringIO
) -> None:
    run_journeys()
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert "fsm.transition" not in stdlib_debug.getvalue()


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def test_exception_texts_and_chains_hold_no_canary() -> None:
    """Every error fsm raises or keeps: texts, reprs, tracebacks, and __cause__/__context__ chains."""
    raised: list[BaseException] = []
    f = fsm.start("enrollment")
    f.state = "8"
    f.values["pinCode"] = Secret(PIN)
    bad_messages: list[object] = [
        {"transactionId": "t", "status": "SUCCEEDED", "result": {"isDeviceActivated": "x", "otp": OTP}},
        {"transactionId": "t", "status": "SUCCEEDED", "result": {"otp": OTP * 1000}},
        {"transactionId": "t", "status": PIN}, {"transactionId": "t", "status": "FAILED", "error": {"code": PIN + "x"}},
        PIN, [PIN], {"transactionId": PIN * 50, "status": "SUCCEEDED"},
    ]
    for message in bad_messages:
        try:
            fsm.start("enrollment").receive(message)
        except fsm.FsmError as exc:
            raised.append(exc)
    for answer in (PIN, SMS):
        try:
            f.answer(answer)
        except fsm.FsmError as exc:
            raised.append(exc)
    for snap in (PIN, json.dumps({"version": 1, "flow": "enrollment", "state": PIN}), b"\xff" + PIN.encode()):
        try:
            fsm.resume(snap)
        except fsm.SnapshotInvalid as exc:
            raised.append(exc)
    try:
        pickle.dumps(Secret(PIN))
    except TypeError as exc:
        raised.append(exc)
    assert len(raised) == len(bad_messages) + 2 + 3 + 1
    for error in raised:
        assert error.__cause__ is None
        if isinstance(error, fsm.FsmError):
            assert error.__context__ is None
        for link in _chain(error):
            text = f"{link!s} {link!r} " + "".join(traceback.format_exception(link))
            assert_clean("exception texts and chains", text)
    port = CrashingPort(RuntimeError(f"bad pin {PIN}"))
    out = fsm.run("enrollment", port=port, person=DemoPerson(port.sim, pin=PIN), sleep=lambda _: None)
    assert (out.state, out.cause, out.reason) == ("failed", "port_error",
                                                  "failed at step 8: the port raised RuntimeError")
    assert_clean("outcome reason", out.reason)
    crash = crash_with_pin_in_scope()
    assert crash.__context__ is None and crash.__cause__ is None


def test_snapshots_hold_no_canary_in_any_encoding() -> None:
    saved: list[dict[str, Any]] = []
    for flow, account, options, overrides in JOURNEYS:
        sim = CanarySim(account)
        person = DemoPerson(sim, pin=PIN, new_pin=NEW_PIN, overrides=overrides)
        fsm.run(flow, port=sim, person=person, sleep=lambda _: None, on_step=lambda f: saved.append(f.snapshot()),
                **options)
    assert len(saved) > 50
    for snap in saved:
        text = json.dumps(snap)
        assert_clean("snapshots", text)
        assert_clean("snapshots", text.encode("utf-16"))
        assert_clean("snapshots", base64.b64encode(text.encode()))


def test_traces_and_transcripts_hold_no_canary() -> None:
    for out in run_journeys():
        assert_clean("Outcome.trace", repr(out) + repr(out.trace) + json.dumps([t.as_dict() for t in out.trace]))
    for flow, account, options, overrides in JOURNEYS:
        sim = CanarySim(account)
        _, transcript = Recorder(sim, DemoPerson(sim, pin=PIN, new_pin=NEW_PIN, overrides=overrides)).run(
            flow, **options)
        assert_clean("transcripts", transcript.dumps())


def test_async_runs_hold_no_canary_in_their_snapshots_after_cancellation() -> None:
    class Port:
        def __init__(self) -> None:
            self.sim = CanarySim("existing-pin")

        async def get(self, api: str, parameters: Mapping[str, str]) -> Any:
            return self.sim.get(api, parameters)

        async def set(self, api: str, parameters: Mapping[str, str]) -> Any:
            if "pinCode" in parameters:
                raise asyncio.CancelledError
            return self.sim.set(api, parameters)

    port = Port()
    f = fsm.start("enrollment")
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(fsm.run_async(f, port=port, person=DemoPerson(port.sim, pin=PIN)))
    assert f.state == "8"
    assert_clean("snapshots", json.dumps(f.snapshot()))


def test_secret_is_masked_everywhere_and_refuses_pickling() -> None:
    s = Secret(PIN)
    assert (repr(s), str(s), f"{s}", f"{s:>10}", format(s, "x")) == (f"Secret({MASK})", MASK, MASK, MASK, MASK)
    assert s.reveal() == PIN and s == Secret(PIN) and copy.deepcopy(s) is s
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with pytest.raises(TypeError):
        json.dumps(s)
    with pytest.raises(AttributeError):
        s._value = "x"
    call = Call(op="set", api="pims.authentication.enrollment", params=(("action", "enroll"), ("pinCode", s)),
                step="8", state="8", name="enroll")
    assert_clean("Call repr, masked() and attrs.asdict", repr(call) + repr(call.masked()) + repr(attrs.asdict(call)))
    assert call.parameters == {"action": "enroll", "pinCode": PIN}  # the port alone gets the value


def test_a_result_field_named_like_a_secret_is_masked_in_message_reprs() -> None:
    message = fsm.parse_message(ok(otp=OTP))
    assert_clean("Message repr", repr(message))


def test_no_contextvars_remain_bound_after_a_run() -> None:
    """G4: fsm binds nothing in structlog's contextvars."""
    structlog.contextvars.clear_contextvars()
    run_journeys(logger=structlog.get_logger())
    assert structlog.contextvars.get_contextvars() == {}


def test_redaction_processor_masks_keys_secrets_and_pairs_in_text() -> None:
    event = {
        "event": "sent", "pinCode": PIN, "PINCODE": PIN, "resetSmsCode": SMS, "nested": [{"smsCode": SMS},
                                                                                       (Secret(OTP),)],
        "repr": f"{{'action': 'enroll', 'pinCode': '{PIN}'}}", "json": json.dumps({"otp": OTP}),
        "kv": f"smsCode={SMS} vin=VR1AB12C3D4567890", "phoneNumber": "0612345678",
    }
    out = fsm_logging.redact_secrets(None, "info", event)
    assert_clean("redact_secrets", json.dumps(out))
    assert out["phoneNumber"] == "0612345678" and "vin=VR1AB12C3D4567890" in out["kv"]
    assert event["pinCode"] == PIN  # the host's dict is not changed in place


def test_redaction_is_bounded_on_deep_and_wide_events() -> None:
    deep: Any = PIN
    for _ in range(10_000):
        deep = {"x": deep}
    out = fsm_logging.redact_secrets(None, "info", {"deep": deep, "wide": list(range(100_000))})
    assert_clean("redact_secrets", repr(out["deep"])[:100_000])
    assert fsm_logging.CUT in json.dumps(out)


def test_stdlib_filter_masks_formatted_records(stdlib_debug: io.StringIO) -> None:
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging.StreamHandler) and h.stream is stdlib_debug)
    handler.addFilter(fsm_logging.RedactSecrets())
    try:
        logging.getLogger("host").info("params %s", {"pinCode": PIN, "smsCode": SMS})
    finally:
        handler.filters.clear()
    assert "params" in stdlib_debug.getvalue()
    assert_clean("stdlib filter", stdlib_debug.getvalue())


def test_failed_messages_never_carry_their_label_anywhere() -> None:
    """B12: a label with newlines, ANSI escapes or the PIN is never read, so never shown."""
    f = fsm.start("enrollment")
    bad = failed(9999)
    bad["error"]["label"] = f"\n\x1b[31mFAKE LOG LINE pin={PIN}\r"
    f.receive(bad)
    out = f.outcome
    assert out is not None
    assert_clean("outcome", repr(out) + out.reason + json.dumps(f.snapshot()))
    assert "\x1b" not in out.reason and "\n" not in out.reason
