"""The snapshot document: a running flow as a small JSON-safe dict, and the same dict read back untrusted.

``Flow.snapshot()`` writes it (:func:`document`): the flow, its options, state, counters, the values of its
non-secret slots (``phoneNumber``, ``vin``; PIN, SMS codes and OTP are dropped), the transactionIds it has
consumed, the last outcome, how it ended, and its trace (secrets masked). ``fsm.resume``
(:mod:`fsm.restore`) takes it back after :func:`read` has checked it: anything truncated or too large, of
another version, with an unknown or missing key, flow, state or option, an option or counter of the wrong
type or out of its range, a value a run could not hold (:func:`held_rule`), a secret in it, or a finished
success (``enrolled``, ``done``) raises :class:`fsm.SnapshotInvalid`, whose ``problem`` names a key, never
a value taken from the snapshot. :mod:`fsm.restore` then accepts only a configuration a run can reach.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar, cast

import attrs

from fsm import spec
from fsm.errors import OptionError, SnapshotInvalid
from fsm.flows import FLOWS
from fsm.inputs import valid
from fsm.options import FIELDS, Options, make_options
from fsm.resumption import kept_slots, result_slots
from fsm.secret import MASK, SECRET_NAMES
from fsm.spec import CAUSE_WORDS, FlowSpec
from fsm.validate import required_sdk

VERSION = 1
KEYS = ("version", "flow", "options", "state", "counters", "values", "seen", "last", "end", "trace")
TRACE_KEYS = ("step", "state", "kind", "name", "op", "parameters", "outcome", "target", "code")
#: Bounds on what a snapshot may hold: its JSON text, the ids kept and trace entries, one string, one id,
#: the parameters of one trace entry, an error code, the detail of an end.
MAX_TEXT = 4_000_000
MAX_ITEMS = 100_000
MAX_STRING = 4096
MAX_TID = 128
MAX_PARAMETERS = 64
MAX_CODE = 10**9
MAX_DETAIL = 512


@attrs.frozen(kw_only=True)
class Saved:
    """What a snapshot says, checked for shape, types and ranges (not yet for reachability)."""

    flow: FlowSpec
    options: Options
    state: str
    counters: tuple[int, ...]
    values: Mapping[str, str]
    seen: frozenset[str]
    last: tuple[str, int | None, str]
    end: tuple[str | None, int | None, str] | None
    #: The trace entries as dicts with exactly TRACE_KEYS.
    trace: tuple[Mapping[str, Any], ...]


def document(*, flow: str, options: Options, state: str, counters: Mapping[str, int], values: Mapping[str, object],
             seen: Collection[str], last: tuple[str, int | None, str], end: Sequence[object] | None,
             trace: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The snapshot of a flow from its parts: JSON-safe, versioned, with no secret in it."""
    kept = kept_slots(FLOWS[flow])
    return {
        "version": VERSION,
        "flow": flow,
        "options": options.as_dict(),
        "state": state,
        "counters": dict(counters),
        "values": {k: v for k, v in sorted(values.items()) if type(v) is str and k in kept},
        "seen": sorted(seen),
        "last": list(last),
        "end": list(end) if end is not None else None,
        "trace": [{**entry, "parameters": {k: MASK if k in SECRET_NAMES else v
                                           for k, v in entry["parameters"].items()}} for entry in trace],
    }


def read(data: object) -> Saved:
    """``data`` (a snapshot dict, or its JSON text) checked for shape, types and ranges."""
    if isinstance(data, str | bytes | bytearray):
        data = _loads(data)
    if not isinstance(data, Mapping):
        raise SnapshotInvalid("not an object")
    keys = set(data)
    if keys - set(KEYS):
        raise SnapshotInvalid("unknown keys")
    if set(KEYS) - keys:
        raise SnapshotInvalid("missing keys (truncated?)")
    version = data["version"]
    if type(version) is not int or version != VERSION:
        raise SnapshotInvalid(f"unknown version (this fsm reads version {VERSION})")
    name = data["flow"]
    if not _one_of(name, FLOWS):
        raise SnapshotInvalid("unknown flow")
    flow = _Known.of(name)
    options = _options(flow, data["options"])
    state = data["state"]
    if not _one_of(state, flow.terminal):
        raise SnapshotInvalid("unknown state")
    if state in spec.SUCCESS_TERMINALS:
        raise SnapshotInvalid("a finished success is never resumed")
    return Saved(flow=flow.spec, options=options, state=state,
                 counters=_counters(flow.spec, options, data["counters"]), values=_values(flow, data["values"]),
                 seen=_seen(data["seen"]), last=_last(flow, data["last"]), end=_end(data["end"], flow.terminal[state]),
                 trace=_trace(flow, data["trace"]))


class _Known:
    """What reading a flow's snapshots needs of its definition, worked out once per flow."""

    _made: ClassVar[dict[str, _Known]] = {}

    def __init__(self, flow: FlowSpec) -> None:
        self.spec = flow
        #: Each state's name, and whether it is terminal.
        self.terminal = {s.name: s.terminal for s in flow.states}
        self.outcomes = frozenset(o for s in flow.states for o in s.outcomes())
        self.since = required_sdk(flow)
        self.kept = kept_slots(flow)
        self.rules = {slot: held_rule(flow, slot) for slot in self.kept}

    @classmethod
    def of(cls, name: str) -> _Known:
        found = cls._made.get(name)
        if found is None:
            found = cls._made[name] = cls(FLOWS[name])
        return found


def _loads(text: str | bytes | bytearray) -> object:
    if len(text) > MAX_TEXT:
        raise SnapshotInvalid("too large")

    def no_constant(name: str) -> object:  # NaN and Infinity are not JSON
        raise ValueError(name)

    try:
        return json.loads(text, parse_constant=no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        pass
    # Raised outside the handler: no __context__ holding the text (RELIABILITY.md A4).
    raise SnapshotInvalid("not JSON (truncated?)")


def _options(flow: _Known, options: object) -> Options:
    """Every option present (a snapshot always names them all: a default is never assumed) and valid."""
    if not isinstance(options, Mapping) or any(type(k) is not str for k in options) or set(options) != set(FIELDS):
        raise SnapshotInvalid("options: not an object with every option")
    try:
        made = make_options(**options)
    except OptionError as exc:
        problem = f"options: {exc.option}"
    else:
        if made.sdk[:2] >= flow.since:
            return made
        problem = "options: sdk_version (too old for this flow)"
    raise SnapshotInvalid(problem)  # outside the handler: no __context__


def _str(value: object, what: str, *, limit: int = MAX_STRING) -> str:
    if type(value) is not str or len(value) > limit:
        raise SnapshotInvalid(f"{what}: not a string of bounded length")
    return value


def _one_of(value: object, allowed: Collection[str]) -> bool:
    """``value`` is a str among ``allowed`` (checked without hashing what may be a list)."""
    return type(value) is str and value in allowed


def _code(value: object, what: str) -> int | None:
    if value is not None and (type(value) is not int or not 0 <= value < MAX_CODE):
        raise SnapshotInvalid(f"{what}: not an error code")
    return value


def _list(value: object, what: str) -> Sequence[object]:
    if not isinstance(value, list | tuple) or len(value) > MAX_ITEMS:
        raise SnapshotInvalid(f"{what}: not a list of bounded length")
    return value


def _counters(flow: FlowSpec, options: Options, counters: object) -> tuple[int, ...]:
    names = [c.name for c in flow.counters]
    if not isinstance(counters, Mapping) or set(counters) != set(names):
        raise SnapshotInvalid("counters: not an object of the flow's counters")
    out = []
    for c in flow.counters:
        value = counters[c.name]
        if type(value) is not int or not 0 <= value <= options.bound(c):
            raise SnapshotInvalid(f"counters.{c.name}: not an integer within its bound")
        out.append(value)
    return tuple(out)


def held_rule(flow: FlowSpec, slot: str) -> str | None:
    """The input rule a value held in ``slot`` must follow: the rule of the question that writes it, or None
    when a call also keeps it from its result (the SDK's own string, such as the trusted phone number of step
    3, which it may show masked or in international form): then any non-empty string a message can carry."""
    if slot in result_slots(flow):
        return None
    asks = {s.slot: s.ask for s in flow.states if s.kind == "question"}
    return asks[slot]  # a kept slot is a result's (above) or a question's: fsm.resumption.kept_slots


def _values(flow: _Known, values: object) -> dict[str, str]:
    if not isinstance(values, Mapping):
        raise SnapshotInvalid("values: not an object")
    out: dict[str, str] = {}
    for k, v in values.items():
        if not _one_of(k, flow.kept):
            raise SnapshotInvalid("values: unknown or secret slot")
        rule = flow.rules[k]
        if rule is None:
            if _str(v, f"values.{k}") == "":
                raise SnapshotInvalid(f"values.{k}: empty")
        elif not valid(rule, v):
            raise SnapshotInvalid(f"values.{k}: not a valid {rule}")
        out[k] = _str(v, f"values.{k}")
    return out


def _seen(seen: object) -> frozenset[str]:
    out = frozenset(_str(t, "seen", limit=MAX_TID) for t in _list(seen, "seen"))
    if "" in out:
        raise SnapshotInvalid("seen: an empty transactionId")
    return out


def _last(flow: _Known, last: object) -> tuple[str, int | None, str]:
    items = _list(last, "last")
    if len(items) != 3:
        raise SnapshotInvalid("last: not [outcome, code, state]")
    outcome, code, at = items
    if outcome != "" and not _one_of(outcome, flow.outcomes):
        raise SnapshotInvalid("last: unknown outcome")
    if at != "" and not _one_of(at, flow.terminal):
        raise SnapshotInvalid("last: unknown state")
    return cast(str, outcome), _code(code, "last"), cast(str, at)  # str: "" or one of the names above


def _trace(flow: _Known, trace: object) -> tuple[Mapping[str, Any], ...]:
    outcomes = flow.outcomes
    states = flow.terminal
    out = []
    for raw in _list(trace, "trace"):
        if not isinstance(raw, Mapping) or set(raw) != set(TRACE_KEYS):
            raise SnapshotInvalid("trace: an entry is not a trace entry")
        if not (_one_of(raw["state"], states) and _one_of(raw["target"], states)):
            raise SnapshotInvalid("trace: unknown state")
        if not _one_of(raw["outcome"], outcomes):
            raise SnapshotInvalid("trace: unknown outcome")
        op_ok = raw["op"] is None or _one_of(raw["op"], ("get", "set"))
        if not _one_of(raw["kind"], ("call", "question")) or not op_ok:
            raise SnapshotInvalid("trace: unknown kind or op")
        params = raw["parameters"]
        if not isinstance(params, Mapping) or len(params) > MAX_PARAMETERS:
            raise SnapshotInvalid("trace: parameters not an object")
        shown = {_str(k, "trace.parameters"): _str(v, "trace.parameters") for k, v in params.items()}
        if any(k in SECRET_NAMES and v != MASK for k, v in shown.items()):
            raise SnapshotInvalid("trace: a secret parameter is not masked")
        out.append({"step": _str(raw["step"], "trace.step"), "state": raw["state"], "kind": raw["kind"],
                    "name": _str(raw["name"], "trace.name"), "op": raw["op"], "parameters": shown,
                    "outcome": raw["outcome"], "target": raw["target"], "code": _code(raw["code"], "trace.code")})
    return tuple(out)


def _end(end: object, terminal: bool) -> tuple[str | None, int | None, str] | None:
    if not terminal:
        if end is not None:
            raise SnapshotInvalid("end: set on a running flow")
        return None
    items = _list(end, "end")
    if len(items) != 3:
        raise SnapshotInvalid("end: not [cause, code, detail]")
    cause, code, detail = items
    if cause is not None and not _one_of(cause, CAUSE_WORDS):
        raise SnapshotInvalid("end: unknown cause")
    return cast(str | None, cause), _code(code, "end"), _str(detail, "end.detail", limit=MAX_DETAIL)


__all__ = ["KEYS", "VERSION", "Saved", "document", "held_rule", "read"]
