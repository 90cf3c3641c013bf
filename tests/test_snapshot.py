"""Snapshots and resume: a round trip at every reachable state, secrets asked again, tampering refused."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import pytest
import structlog
import structlog.testing
from hypothesis import given
from hypothesis import strategies as st

import fsm
from fsm import snapshot as snapshot_format
from fsm import spec
from fsm.machine import Flow, TraceEntry
from fsm.ports.persons import DemoPerson
from fsm.ports.simulator import DEMO_PIN, Simulator
from fsm.resumption import live_secrets, resume_state, secret_slots
from fsm.snapshot import KEYS
from tests.helpers import failed, ok

PIN, SMS = "902718", "551907"
ANSWERS = {"pinCode": PIN, "oldPIN": PIN, "newPIN": "613524", "smsCode": SMS, "phoneNumber": "0612345678",
           "vin": "VR1AB12C3D4567890"}
CONFIGS: list[dict[str, Any]] = [{}, {"platform": "ios"}, {"method": "full"}, {"sdk_version": "2.0.0"},
                                 {"dialect": "reference", "platform": "ios", "method": "full"}]


def clone(f: Flow) -> Flow:
    g = Flow(f._c, f.options)
    g.state, g.counters, g.values, g.trace = f.state, list(f.counters), dict(f.values), list(f.trace)
    g._end, g._last, g._seen = f._end, f._last, set(f._seen)
    return g


def stimuli(f: Flow) -> list[Any]:
    """Everything that can happen to ``f`` now: each outcome's message, faults, answers good and bad."""
    s = f.current
    if s.kind == "call":
        out = f._c.entries[s.name].output
        found: list[Any] = [ok(**(out.example(o) or {})) for o in out.outcomes]
        found += [failed(code) for code in (*s.errors, 2201, 2317, 2101, 9999)]
        return [*found, {"status": "SUCCEEDED"}, ConnectionError(), RuntimeError("boom")]
    assert s.ask is not None
    return [("answer", ANSWERS[s.ask]), ("answer", "12a4"), ("answer", fsm.CANCEL), ("answer", fsm.FORGOT_PIN)]


def apply(f: Flow, stimulus: Any) -> None:
    if isinstance(stimulus, tuple):
        f.answer(stimulus[1])
    elif isinstance(stimulus, BaseException):
        f.receive_exception(stimulus)
    else:
        try:
            f.receive(stimulus)
        except fsm.MalformedMessage as exc:
            f.receive_exception(exc)


def reachable(name: str, options: dict[str, Any], limit: int = 800) -> Iterator[Flow]:
    """Every flow reachable from the start (one per state, counters and held slots), breadth first."""
    try:
        first = fsm.start(name, **options)
    except fsm.OptionError:
        return
    seen: set[Any] = set()
    queue = deque([first])
    while queue and len(seen) < limit:
        f = queue.popleft()
        key = (f.state, tuple(f.counters), frozenset(f.values))
        if key in seen:
            continue
        seen.add(key)
        yield f
        if f.finished:
            continue
        for stimulus in stimuli(f):
            g = clone(f)
            apply(g, stimulus)
            queue.append(g)


def no_canary(data: object) -> None:
    text = json.dumps(data)
    assert PIN not in text and SMS not in text


@pytest.mark.parametrize("name", list(fsm.FLOWS))
def test_round_trip_at_every_reachable_state(name: str) -> None:
    """Snapshot at every reachable state; resume in process; equal (minus secrets) or asked again."""
    states: set[str] = set()
    for options in CONFIGS:
        for f in reachable(name, options):
            states.add(f.state)
            snap = f.snapshot()
            no_canary(snap)
            text = json.dumps(snap)
            assert json.loads(text) == snap  # JSON-safe
            if f.state in spec.SUCCESS_TERMINALS:
                with pytest.raises(fsm.SnapshotInvalid):
                    fsm.resume(text)
                continue
            g = fsm.resume(text)
            target = resume_state(f.spec, f.state, f.options.dialect, f.options.platform)
            if target == f.state:
                assert g.snapshot() == snap
            else:
                assert g.state in (target, spec.FAILED)
                assert g.values == {k: v for k, v in f.values.items() if k not in secret_slots(f.spec)}
                assert g.trace == f.trace
            assert not live_secrets(name, f.options.dialect, f.options.platform)[g.state]
            g.action  # builds the call or the question: every value it needs is held  # noqa: B018
    assert states == {s.name for s in fsm.FLOWS[name].states}


@pytest.mark.parametrize("name", list(fsm.FLOWS))
def test_reading_a_snapshot_gives_back_the_parts_of_the_flow_that_wrote_it(name: str) -> None:
    """fsm.snapshot.read of what Flow.snapshot wrote, at every reachable configuration: the flow's own state,
    counters, kept values, consumed ids, last move, end (only once finished) and trace, secrets masked."""
    for options in CONFIGS:
        for f in reachable(name, options, limit=300):
            if f.state in spec.SUCCESS_TERMINALS:
                continue
            saved = snapshot_format.read(json.dumps(f.snapshot()))
            assert (saved.flow, saved.options, saved.state) == (f.spec, f.options, f.state)
            assert saved.counters == tuple(f.counters)
            assert saved.values == {k: v for k, v in f.values.items() if k not in secret_slots(f.spec)}
            assert saved.seen == frozenset(f._seen)
            assert saved.last == f._last
            assert saved.last[2] in ("", f.state)  # the last move ends where the flow is (none yet: "")
            assert saved.end == (f._end if f.finished else None)
            assert [TraceEntry(**entry) for entry in saved.trace] == f.trace


def test_secret_values_are_dropped_and_others_kept() -> None:
    f = fsm.start("enrollment", method="full")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), failed(2307)):
        f.receive(message)
    f.answer("0612345678")
    f.receive(ok())
    f.answer(SMS)
    assert f.state == "4.2"
    snap = f.snapshot()
    assert snap["values"] == {"phoneNumber": "0612345678"}
    g = fsm.resume(snap)
    assert g.state == "4.2:smsCode"
    assert g.values == {"phoneNumber": "0612345678"}


@pytest.mark.parametrize(
    ("options", "state", "expected"),
    [
        ({}, "8", "8:pinCode"),
        ({}, "4.1", "4.1:smsCode"),
        ({}, "4.1:pinCode", "4.1:smsCode"),
        ({}, "6", "6:smsCode"),
        ({}, "B", "B:smsCode"),
        ({"platform": "ios"}, "8", "5"),
        ({"platform": "ios"}, "7:pinCode", "5"),
        ({}, "5", "5"),
        ({}, "8:pinCode", "8:pinCode"),
    ],
)
def test_resume_asks_again_for_the_secret_the_step_needs(options: dict[str, Any], state: str, expected: str) -> None:
    """The rule: same-step question asking the missing secret; else the call that sends a fresh code."""
    assert resume_state(fsm.FLOWS["enrollment"], state, "tutorial", options.get("platform", "android")) == expected


def enrolled_to_the_pin_question(refused: int) -> Flow:
    """An enrollment with a trusted phone and an existing PIN, at 8:pinCode after ``refused`` PINs refused."""
    f = fsm.start("enrollment")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber="0612345678"),
                    ok()):
        f.receive(message)
    f.answer(SMS)
    f.receive(ok(status="AlreadyEnrolled"))
    for _ in range(refused):
        f.answer(PIN)
        f.receive(failed(2308))
    assert f.state == "8:pinCode"
    return f


def test_a_submission_counted_at_its_bound_is_not_made_again() -> None:
    """Crash while step 8's last allowed PIN is outstanding: counted (write-ahead), so failed on resume."""
    f = enrolled_to_the_pin_question(2)
    f.answer(PIN)
    assert f.state == "8" and f.counters[[c.name for c in f.spec.counters].index("pin_attempts")] == 3
    g = fsm.resume(f.snapshot())
    out = g.outcome
    assert out is not None
    assert (out.state, out.cause, out.error_code, out.resumable) == ("failed", "pin_attempts_exhausted", None, False)
    assert out.reason == "failed at step 8: the PIN was refused too many times"
    snap = g.snapshot()
    assert snap["end"] == ["pin_attempts_exhausted", None, ""]  # a detail is a port error's class, none here
    assert snap["last"][2] == "failed"  # the last move is the one into where the flow is
    assert fsm.resume(snap).snapshot() == snap  # its own snapshot comes back as it is


def test_a_resumed_flow_s_own_snapshot_comes_back_as_it_is() -> None:
    """Resumed where it asks again (8 -> 8:pinCode), or at a call whose retries ran out, the resumed flow's
    snapshot is one a run writes: resumed again, nothing changes."""
    f = enrolled_to_the_pin_question(1)
    f.answer(PIN)
    failed_at_2 = fsm.start("enrollment")
    failed_at_2.receive(ok(isDeviceActivated=False))
    for n in range(3):
        failed_at_2.receive({"transactionId": f"x{n}", "status": "FAILED", "error": {"code": 2202}})
    for snap, state in ((f.snapshot(), "8:pinCode"), (failed_at_2.snapshot(), "2")):
        g = fsm.resume(snap)
        assert g.state == state and g.snapshot()["last"] == ["", None, ""]
        assert fsm.resume(g.snapshot()).snapshot() == g.snapshot()


JOURNEYS: list[tuple[str, str, dict[str, Any], dict[str, list[Any]] | None, str]] = [
    ("enrollment", "new", {}, None, "enrolled"),
    ("enrollment", "new", {"method": "full", "platform": "ios"}, None, "enrolled"),
    ("enrollment", "existing-pin", {}, {"pinCode": ["111999"]}, "enrolled"),
    ("enrollment", "existing-pin", {}, {"pinCode": ["111999", fsm.FORGOT_PIN]}, "enrolled"),
    ("enrollment", "existing-pin", {"platform": "ios"}, {"pinCode": ["111999"]}, "enrolled"),
    ("update-pin", "enrolled", {}, None, "done"),
    ("modify-phone", "enrolled", {}, {"phoneNumber": ["0687654321"]}, "done"),
    ("remove-vehicle", "vehicle-otp", {}, None, "done"),
    ("reset-pin", "enrolled", {}, None, "done"),
]


class Crash(BaseException):
    """The OS killed the app."""


@pytest.mark.parametrize(("flow", "account", "options", "overrides", "end"), JOURNEYS)
def test_crash_after_any_step_then_resume_ends_the_same(
    flow: str, account: str, options: dict[str, Any], overrides: dict[str, list[Any]] | None, end: str
) -> None:
    """Kill the run after step k (for every k), resume from the last snapshot: the journey still ends well."""
    total = 0

    def count(_: Flow) -> None:
        nonlocal total
        total += 1

    sim = Simulator(account, rng=random.Random(1))
    fsm.run(flow, port=sim, person=DemoPerson(sim, overrides=overrides), sleep=lambda _: None, on_step=count,
            **options)
    for k in range(1, total):
        sim = Simulator(account, rng=random.Random(1))
        person = DemoPerson(sim, overrides=overrides)
        saved: list[str] = []

        def crash_at_k(f: Flow, k: int = k, saved: list[str] = saved) -> None:
            saved.append(json.dumps(f.snapshot()))
            if len(saved) == k:
                raise Crash

        with pytest.raises(Crash):
            fsm.run(flow, port=sim, person=person, sleep=lambda _: None, on_step=crash_at_k, **options)
        no_canary(saved)
        # A new process: a person who knows the account's PIN, and no scripted mistakes this time.
        out = fsm.run(fsm.resume(saved[-1]), port=sim, person=DemoPerson(sim, pin=sim.account.pin or DEMO_PIN),
                      sleep=lambda _: None)
        assert out.state == end, (k, json.loads(saved[-1])["state"], out.reason)


def test_resume_in_a_new_process() -> None:
    """A snapshot written by one process is resumed by another and finishes the enrollment."""
    f = fsm.start("enrollment")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber="0612345678"),
                    ok(), ok(status="AlreadyEnrolled")):
        if f.state == "6:smsCode":
            f.answer(SMS)
        f.receive(message)
    f.answer(PIN)
    assert f.state == "8"
    text = json.dumps(f.snapshot())
    events = [{"call": {"op": "set", "api": "pims.authentication.enrollment",
                        "parameters": {"action": "enroll", "pinCode": "***"}}, "message": ok()}]
    script = (
        "import json, sys, fsm\n"
        "from fsm.transcript import ScriptedPort\n"
        "data = json.loads(sys.stdin.read())\n"
        "f = fsm.resume(data['snapshot'])\n"
        "asked = f.action.state\n"
        "out = fsm.run(f, port=ScriptedPort(data['events']), person=lambda: None, sleep=lambda _: None)\n"
        "print(json.dumps({'asked': asked, 'state': out.state, 'snapshot': f.snapshot()}))\n"
    ).replace("person=lambda: None", "person=type('P', (), {'provide': lambda self, q: '902718'})()")
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps({"snapshot": text, "events": events}),
                          capture_output=True, text=True, check=True, timeout=60)
    result = json.loads(done.stdout)
    assert (result["asked"], result["state"]) == ("8:pinCode", "enrolled")
    assert PIN not in done.stdout and PIN not in done.stderr


def _snap() -> dict[str, Any]:
    f = fsm.start("enrollment")
    for message in (ok(isDeviceActivated=False), ok(isAccountBlocked="NotBlocked"), ok(phoneNumber="0612345678"),
                    ok()):
        f.receive(message)
    return f.snapshot()


def _set(path: str, value: Any) -> dict[str, Any]:
    snap: dict[str, Any] = json.loads(json.dumps(_snap()))
    *parents, last = path.split(".")
    node = snap
    for p in parents:
        node = node[p]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return snap


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("version", 2), ("version", "1"), ("version", True), ("version", 1.0), ("version", _DELETE),
        ("flow", "enrolment"), ("flow", 1), ("state", "nowhere"), ("state", "enrolled"), ("state", "done"),
        ("state", None), ("counters.pin_attempts", -1), ("counters.pin_attempts", 4), ("counters.pin_attempts", True),
        ("counters.pin_attempts", 1.0), ("counters.pin_attempts", "1"), ("counters.pin_attempts", _DELETE),
        ("counters.extra", 0), ("values.pinCode", PIN), ("values.resetSmsCode", SMS), ("values.nowhere", "x"),
        ("values.phoneNumber", 612345678), ("seen", "tx"), ("seen", [1]), ("seen", [""]), ("seen", ["x" * 200]),
        ("last", ["nonsense", None, ""]), ("last", []), ("last", ["", True, ""]), ("end", ["forbidden", 2317, ""]),
        ("trace", [{"state": "1"}]), ("trace", "x"), ("options.platform", "windows"), ("options.colour", "red"),
        ("options.max_pin_attempts", 0), ("options", []), ("extra", 1), ("trace", _DELETE), ("values", []),
    ],
)
def test_tampered_snapshots_are_refused(path: str, value: Any) -> None:
    with pytest.raises(fsm.SnapshotInvalid) as caught:
        fsm.resume(_set(path, value))
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert isinstance(caught.value, fsm.FsmError)


def test_a_terminal_success_is_refused_even_with_a_consistent_trace() -> None:
    f = fsm.start("enrollment")
    f.receive(ok(isDeviceActivated=True))
    assert f.state == "enrolled"
    with pytest.raises(fsm.SnapshotInvalid, match="finished success"):
        fsm.resume(f.snapshot())


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", "null", "1", '{"version": NaN}', "[" * 100_000 + "]" * 100_000, b"\xff\xfe", "x" * 5_000_000],
)
def test_text_that_is_not_a_snapshot_is_refused(text: str | bytes) -> None:
    with pytest.raises(fsm.SnapshotInvalid):
        fsm.resume(text)


def test_every_truncation_of_the_json_text_is_refused() -> None:
    text = json.dumps(_snap())
    for cut in range(len(text)):
        with pytest.raises(fsm.SnapshotInvalid):
            fsm.resume(text[:cut])


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@given(key=st.sampled_from(KEYS), sub=st.text(max_size=20), value=_json)
def test_any_edit_is_refused_or_resumes_within_the_invariants(key: str, sub: str, value: Any) -> None:
    """A snapshot with one value replaced: refused, or a flow in a declared, non-success state within bounds."""
    snap = _snap()
    node = snap[key]
    if isinstance(node, dict) and node and sub:
        node[sorted(node)[len(sub) % len(node)]] = value
    else:
        snap[key] = value
    try:
        g = fsm.resume(snap)
    except fsm.SnapshotInvalid:
        return
    assert g.state in g._c.states and g.state not in spec.SUCCESS_TERMINALS
    for c, v in zip(g.spec.counters, g.counters, strict=True):
        assert 0 <= v <= g.options.bound(c)


def test_counters_edited_downwards_are_a_documented_limitation() -> None:
    """F4: a lower count still inside its bound is accepted (the server's count is authoritative)."""
    snap = _set("counters.pin_attempts", 0)
    assert fsm.resume(snap).counters == [0] * len(fsm.FLOWS["enrollment"].counters)


def test_stale_response_after_resume_is_refused_as_before() -> None:
    """F6: the transactionId consumed before the crash is still refused after it."""
    f = fsm.start("enrollment")
    first = ok(isDeviceActivated=False)
    f.receive(first)
    g = fsm.resume(json.dumps(f.snapshot()))
    before = g.snapshot()
    with pytest.raises(fsm.StaleMessage):
        g.receive(first)
    assert g.snapshot() == before


def _at_8_pin_question() -> dict[str, Any]:
    """A real snapshot at 8:pinCode after one PIN refused (pin_attempts 1 of 3)."""
    return enrolled_to_the_pin_question(1).snapshot()


@pytest.mark.parametrize("state", ["B:request", "8:pinCode", "B", "B:pinCode", "B:smsCode"])
def test_a_snapshot_edited_to_a_pin_state_with_no_submission_left_is_refused(state: str) -> None:
    """Issue 9: edited to such a state with pin_attempts at its bound, the resumed flow would send a 4th PIN."""
    snap = _at_8_pin_question()
    snap["state"] = state
    snap["counters"]["pin_attempts"] = 3
    with pytest.raises(fsm.SnapshotInvalid, match="no run reaches"):
        fsm.resume(snap)


def test_a_snapshot_without_the_values_a_later_call_needs_is_refused() -> None:
    snap = _at_8_pin_question()
    snap["values"] = {}
    with pytest.raises(fsm.SnapshotInvalid, match="no run reaches"):
        fsm.resume(snap)


def _at_d_sms_question() -> dict[str, Any]:
    """A real snapshot of modify-phone at D:smsCode: the new number is held, and only an answer writes it."""
    f = fsm.start("modify-phone")
    f.receive(ok(isDeviceActivated=True))
    f.receive(ok(phoneNumber="0612345678"))
    f.answer("+33611223344")
    f.receive(ok())
    assert f.state == "D:smsCode"
    return f.snapshot()


def _at_e() -> dict[str, Any]:
    f = fsm.start("remove-vehicle")
    f.answer("VR1AB12C3D4567890")
    return f.snapshot()


@pytest.mark.parametrize(("make", "slot", "value"), [
    (_at_e, "vin", "ANY VEHICLE'; DROP"),
    (_at_e, "vin", "VR1AB12C3D456789O"),  # an O is never in a VIN
    (_at_d_sms_question, "phoneNumber", "0612345678; rm"),
    (_at_d_sms_question, "phoneNumber", "\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"),
    (_at_d_sms_question, "phoneNumber", ""),
])
def test_held_values_only_answers_write_pass_the_validation_answers_get(
        make: Callable[[], dict[str, Any]], slot: str, value: str) -> None:
    snap = make()
    snap["values"][slot] = value
    with pytest.raises(fsm.SnapshotInvalid, match=f"values.{slot}: not a valid {slot}"):
        fsm.resume(snap)


@pytest.mark.parametrize("value", ["", 612345678, None, "0" * 4097])
def test_a_held_value_the_sdk_may_have_written_is_a_non_empty_string_a_message_carries(value: object) -> None:
    """Step 3 keeps the SDK's trusted phone number as it is (fsm.validate: a result field): at 8 it may be that."""
    snap = _at_8_pin_question()
    snap["values"]["phoneNumber"] = value
    with pytest.raises(fsm.SnapshotInvalid, match=r"values\.phoneNumber: (empty|not a string of bounded length)"):
        fsm.resume(snap)


@pytest.mark.parametrize("options", [{}, {"platform": "ios"}])
def test_options_must_all_be_there(options: dict[str, Any]) -> None:
    """An iOS snapshot with options emptied must not silently turn Android (the defaults)."""
    snap = _at_8_pin_question()
    snap["options"] = options
    with pytest.raises(fsm.SnapshotInvalid, match="every option"):
        fsm.resume(snap)


def _failed_snapshot() -> dict[str, Any]:
    f = fsm.start("enrollment")
    f.receive(failed(9999))
    assert f.state == "failed"
    return f.snapshot()


@pytest.mark.parametrize(("what", "at_limit", "past"), [
    ("seen: an id", lambda s: s.update(seen=["t" * snapshot_format.MAX_TID]),
     lambda s: s.update(seen=["t" * (snapshot_format.MAX_TID + 1)])),
    ("seen: ids", lambda s: s.update(seen=[f"t{i}" for i in range(snapshot_format.MAX_ITEMS)]),
     lambda s: s.update(seen=[f"t{i}" for i in range(snapshot_format.MAX_ITEMS + 1)])),
    ("trace: a string", lambda s: s["trace"][0].update(name="n" * snapshot_format.MAX_STRING),
     lambda s: s["trace"][0].update(name="n" * (snapshot_format.MAX_STRING + 1))),
    ("trace: parameters", lambda s: s["trace"][0].update(parameters={f"p{i}": "v" for i in range(64)}),
     lambda s: s["trace"][0].update(parameters={f"p{i}": "v" for i in range(65)})),
    ("trace: a code", lambda s: s["trace"][0].update(code=snapshot_format.MAX_CODE - 1),
     lambda s: s["trace"][0].update(code=snapshot_format.MAX_CODE)),
    ("end: detail", lambda s: s["end"].__setitem__(2, "d" * snapshot_format.MAX_DETAIL),
     lambda s: s["end"].__setitem__(2, "d" * (snapshot_format.MAX_DETAIL + 1))),
])
def test_each_size_limit_holds_at_the_limit_and_refuses_one_past(what: str, at_limit: Any, past: Any) -> None:
    """Each bound on what a snapshot may hold, met exactly (accepted) and passed by one (refused for it)."""
    base = _failed_snapshot() if what.startswith("end") else _snap()
    ok_snap = json.loads(json.dumps(base))
    at_limit(ok_snap)
    fsm.resume(ok_snap)
    bad = json.loads(json.dumps(base))
    past(bad)
    with pytest.raises(fsm.SnapshotInvalid, match=what.split(":", maxsplit=1)[0]):
        fsm.resume(bad)


def test_the_text_may_be_as_long_as_the_limit_and_no_longer() -> None:
    text = json.dumps(_snap())
    padded = text + " " * (snapshot_format.MAX_TEXT - len(text))
    assert len(padded) == snapshot_format.MAX_TEXT
    fsm.resume(padded)
    with pytest.raises(fsm.SnapshotInvalid, match="too large"):
        fsm.resume(padded + " ")


@pytest.mark.parametrize(("sdk", "accepted"), [("2.0.0", False), ("2.0.9", False), ("2.1", True), ("2.1.0", True)])
def test_a_snapshot_of_a_flow_under_an_sdk_too_old_for_it_is_refused(sdk: str, accepted: bool) -> None:
    """remove-vehicle's call exists from SDK 2.1 on (the reference): fsm.start refuses 2.0, so does resume."""
    f = fsm.start("remove-vehicle")
    f.answer("VR1AB12C3D4567890")
    snap = f.snapshot()
    snap["options"]["sdk_version"] = sdk
    if accepted:
        assert fsm.resume(snap).state == "E"
    else:
        with pytest.raises(fsm.SnapshotInvalid) as err:
            fsm.resume(snap)
        assert err.value.problem == "options: sdk_version (too old for this flow)"


def test_a_trace_entry_holding_a_secret_is_masked_in_the_snapshot() -> None:
    """Whatever a trace holds (a host may set one), a secret parameter leaves in a snapshot only as ***."""
    f = fsm.start("enrollment")
    f.trace = [TraceEntry(step="8", state="8", kind="call", name="pims.authentication.enrollment", op="set",
                          parameters={"action": "enroll", "pinCode": PIN, "smsCode": SMS}, outcome="pin_rejected",
                          target="8:pinCode", code=2308)]
    snap = f.snapshot()
    assert snap["trace"][0]["parameters"] == {"action": "enroll", "pinCode": "***", "smsCode": "***"}
    no_canary(snap)


def test_a_resumed_flow_logs_where_a_started_one_does() -> None:
    """README, Logging: fsm logs through structlog once the host configured it, resumed flows as started ones;
    an explicit logger= goes to that logger."""
    events: list[dict[str, Any]] = []

    def keep(_: object, __: str, event: MutableMapping[str, Any]) -> str:
        events.append(dict(event))
        return ""

    structlog.configure(processors=[keep], logger_factory=structlog.ReturnLoggerFactory())
    f = fsm.start("enrollment")
    f.receive(ok(isDeviceActivated=False))
    g = fsm.resume(f.snapshot())
    g.receive(ok(isAccountBlocked="NotBlocked"))
    assert [(e["event"], e["step"]) for e in events] == [("fsm.transition", "1"), ("fsm.transition", "2")]
    mine = structlog.testing.CapturingLogger()
    h = fsm.resume(g.snapshot(), logger=mine)
    h.receive(ok(phoneNumber="0612345678"))
    assert [c.kwargs["step"] for c in mine.calls] == ["3"] and len(events) == 2
