"""The flows as JSON documents, complete enough that a host runs them without Python (``fsm export``).

One versioned document per flow holds everything the engine knows, read from
the definitions and never written a second time: the states with their
calls and questions, the edges in table order with their guards, counting
effects, causes and codes; the counters and the options that bound them;
every call's parameters per dialect and platform (which slot or constant
fills each, secret ones marked); how a message or an exception is classified
into an outcome; the input rules; how an outcome's reason reads; and what a
snapshot keeps and where a resumed flow picks up. ``export/schema.json``
(JSON Schema 2020-12, :mod:`fsm.export_schema`) describes the document.

The JavaScript package in ``js/`` builds an XState machine from nothing but
this document, and its tests replay every ``fsm paths`` transcript through it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from fsm import spec
from fsm.catalog import CATALOG, DIALECTS, PLATFORMS, Entry, Output
from fsm.classify import CODE_RULES, EXCEPTION_DEFAULT, EXCEPTION_RULES
from fsm.errors import MALFORMED_TEXT, MALFORMED_WHERE, PORT_RAISED
from fsm.export_schema import SCHEMA
from fsm.flows import FLOWS
from fsm.inputs import PIN_RULES, RULES, SHAPES
from fsm.messages import FAILED, MAX_CODE_DIGITS, MAX_FIELD, MAX_RESULT_FIELDS, MAX_TRANSACTION_ID, SUCCEEDED
from fsm.options import BOUNDS, CHOICES, FIELDS, MIN_SDK, SHORTCUT_METHOD, SHORTCUT_SINCE, VERSION_PATTERN, Options
from fsm.resumption import EXHAUSTED_CAUSE, RETRY_CAUSE, kept_slots, resume_state, secret_slots
from fsm.secret import MASK, SECRET_NAMES
from fsm.snapshot import (
    KEYS,
    MAX_CODE,
    MAX_DETAIL,
    MAX_ITEMS,
    MAX_PARAMETERS,
    MAX_STRING,
    MAX_TEXT,
    MAX_TID,
    TRACE_KEYS,
)
from fsm.snapshot import VERSION as SNAPSHOT_VERSION
from fsm.spec import FlowSpec, State
from fsm.validate import required_sdk

#: What the document is, and its version: a host refuses a document of a version it does not know.
FORMAT = "fsm-flow"
VERSION = 1
SCHEMA_NAME = "schema.json"
DEFAULT_OUT = "export"

#: The rule of each flag guard, by the guard's name (the options it reads).
FLAGS: Mapping[str, Mapping[str, object]] = {
    spec.SHORTCUT.name: {"method": SHORTCUT_METHOD, "sdk_at_least": list(SHORTCUT_SINCE)},
}


def document(flow: FlowSpec | str) -> dict[str, Any]:
    """The export of ``flow`` (a name or a definition) as a JSON-safe dict."""
    f = FLOWS[flow] if isinstance(flow, str) else flow
    secret = secret_slots(f)
    entries = list(dict.fromkeys(s.call for s in f.states if s.call is not None))
    return {
        "format": FORMAT,
        "version": VERSION,
        "flow": {"name": f.name, "title": f.title, "initial": f.initial, "sdk_since": list(required_sdk(f)),
                 "notes": list(f.notes)},
        "options": _options(),
        "counters": [
            {"name": c.name, "bound": {"option": c.bound} if isinstance(c.bound, str) else {"constant": c.bound},
             "words": c.words, "progress_resets": c.progress_resets}
            for c in f.counters
        ],
        "states": [_state(f, s) for s in f.states],
        "calls": {key: _call(CATALOG[key], secret) for key in entries},
        "inputs": {
            name: {"pattern": shape.pattern, "characters": shape.characters, "prefix": shape.prefix,
                   "min_length": shape.fewest, "max_length": shape.most, "words": RULES[name],
                   "secret": name in SECRET_NAMES}
            for name, shape in SHAPES.items()
        },
        "new_pin": {"rules": [{"name": r.name, "kind": "constant_step", "steps": list(r.steps), "words": r.words}
                              for r in PIN_RULES],
                    "words": RULES["newPIN"]},
        "questions": {"reask": sorted(spec.REASK), "replies": [spec.FORGOT_PIN, spec.CANCEL],
                      "outcomes": {"valid": spec.ANSWERED, "invalid": spec.INVALID, "cancel": spec.CANCEL,
                                   "forgot_pin": spec.FORGOT_PIN}},
        "classification": {
            "codes": [_code_rule(r.source, r.outcome, r.codes) for r in CODE_RULES],
            "exceptions": [{"name": kind.__name__, "outcome": outcome} for kind, outcome in EXCEPTION_RULES],
            "exception_default": EXCEPTION_DEFAULT,
        },
        "messages": {
            "statuses": {"succeeded": SUCCEEDED, "failed": FAILED},
            "max_transaction_id": MAX_TRANSACTION_ID, "max_field": MAX_FIELD,
            "max_result_fields": MAX_RESULT_FIELDS, "max_code_digits": MAX_CODE_DIGITS,
            "malformed_text": MALFORMED_TEXT, "malformed_where": MALFORMED_WHERE,
        },
        "secrets": {"names": sorted(SECRET_NAMES), "slots": sorted(secret), "mask": MASK},
        "ends": {
            "terminals": [s.name for s in f.states if s.terminal],
            "success": [s.name for s in f.states if s.name in spec.SUCCESS_TERMINALS],
            "causes": dict(spec.CAUSE_WORDS),
            "detailed_causes": sorted(spec.DETAILED_CAUSES),
            "reason_success": spec.REASON_SUCCESS, "reason_failure": spec.REASON_FAILURE,
            "reason_code": spec.REASON_CODE, "port_raised": PORT_RAISED,
        },
        "outcomes": {o: spec.OUTCOME_WORDS.get(o, o) for o in dict.fromkeys(e.outcome for s in f.states
                                                                            for e in s.edges)},
        "snapshot": _snapshot(f),
    }


def _options() -> dict[str, Any]:
    defaults = Options()
    fields: list[dict[str, Any]] = []
    for name in FIELDS:
        default = getattr(defaults, name)
        if name in CHOICES:
            fields.append({"name": name, "type": "choice", "default": default, "allowed": list(CHOICES[name])})
        elif name in BOUNDS:
            low, high = BOUNDS[name]
            fields.append({"name": name, "type": "integer", "default": default, "minimum": low, "maximum": high})
        else:
            assert name == "sdk_version", name  # a new option must say here how a host checks it
            fields.append({"name": name, "type": "version", "default": default, "pattern": VERSION_PATTERN,
                           "at_least": list(MIN_SDK)})
    return {"fields": fields, "flags": {k: dict(v) for k, v in FLAGS.items()}}


def _code_rule(source: str, outcome: str | None, codes: Iterable[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"source": source}
    if source == "codes":
        out["codes"] = sorted(codes)
    if outcome is not None:
        out["outcome"] = outcome
    return out


def _guard(guard: spec.Guard | None) -> dict[str, str] | None:
    if guard is None:
        return None
    if guard.kind == "below":
        return {"kind": "below", "counter": guard.name}
    return {"kind": "flag", "name": guard.name}


def _state(flow: FlowSpec, state: State) -> dict[str, Any]:
    out: dict[str, Any] = {"name": state.name, "step": state.step, "title": state.title, "kind": state.kind,
                           "call": None, "question": None}
    if state.kind == "call":
        out["call"] = {
            "entry": state.call, "counts": state.counts, "keep": list(state.keep),
            "errors": [{"code": code, "outcome": outcome} for code, outcome in sorted(state.errors.items())],
            "other_errors": state.other_errors,
        }
    elif state.kind == "question":
        assert state.ask is not None
        out["question"] = {
            "input": state.ask, "slot": state.slot, "prompt": state.prompt, "secret": state.ask in SECRET_NAMES,
            "new_pin": state.new_pin, "can_forget_pin": spec.FORGOT_PIN in state.outcomes(), "tally": state.tally,
            "attempt_counters": list(state.attempt_counters),
        }
    edges = []
    for edge in state.edges:
        reset, add = flow.effects(state, edge)
        edges.append({"outcome": edge.outcome, "target": edge.target, "guard": _guard(edge.guard),
                      "count": edge.count, "add": list(add), "reset": list(reset), "cause": edge.cause,
                      "code": edge.code})
    out["edges"] = edges
    return out


def _call(entry: Entry, secret: frozenset[str]) -> dict[str, Any]:
    parameters: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for dialect in DIALECTS:
        parameters[dialect] = {}
        for platform in PLATFORMS:
            parameters[dialect][platform] = [
                {"name": p.name, "value": p.value} if p.slot is None
                else {"name": p.name, "slot": p.slot, "secret": p.slot in secret}
                for p in entry.parameters(dialect, platform)
            ]
    return {"op": entry.op, "api": entry.api, "subname": entry.subname, "title": entry.title,
            "since": list(entry.since), "reference_errors": sorted(entry.errors), "parameters": parameters,
            "output": _output(entry.output)}


def _output(output: Output) -> dict[str, Any]:
    return {"field": output.field, "aliases": list(output.aliases),
            "values": [{"value": value, "outcome": outcome} for value, outcome in output.values.items()],
            "absent": output.absent, "any_string": output.any_string, "done": output.done,
            "outcomes": list(output.outcomes)}


def _snapshot(flow: FlowSpec) -> dict[str, Any]:
    states = [s.name for s in flow.states]
    return {
        "version": SNAPSHOT_VERSION, "keys": list(KEYS), "trace_keys": list(TRACE_KEYS),
        "max_text": MAX_TEXT, "max_items": MAX_ITEMS, "max_string": MAX_STRING, "max_transaction_id": MAX_TID,
        "max_parameters": MAX_PARAMETERS, "max_code": MAX_CODE, "max_detail": MAX_DETAIL,
        "kept_slots": sorted(kept_slots(flow)), "refused_states": sorted(spec.SUCCESS_TERMINALS & set(states)),
        "retry": {"cause": RETRY_CAUSE, "outcome": spec.TRANSIENT, "end": spec.FAILED},
        "exhausted_cause": EXHAUSTED_CAUSE, "exhausted_end": spec.FAILED,
        "resume_state": {d: {p: {s: resume_state(flow, s, d, p) for s in states} for p in PLATFORMS}
                         for d in DIALECTS},
    }


def dumps(data: object) -> str:
    """The text of a document as ``fsm export`` writes it (stable: two spaces, keys in table order)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def generate(names: Iterable[str] | None = None) -> dict[str, str]:
    """The files ``fsm export`` writes: ``<flow>.json`` for each flow (all by default) and ``schema.json``."""
    wanted = list(names) if names is not None else list(FLOWS)
    files = {f"{name}.json": dumps(document(name)) for name in wanted}
    files[SCHEMA_NAME] = dumps(SCHEMA)
    return files


__all__ = ["DEFAULT_OUT", "FORMAT", "SCHEMA", "VERSION", "document", "dumps", "generate"]
