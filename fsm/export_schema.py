"""The JSON Schema (2020-12) of a flow export (``export/schema.json``).

Strict on purpose: every object lists its keys and refuses others, so a
change to the document that the schema does not describe fails the tests
that validate every export against it.
"""

from __future__ import annotations

from typing import Any

SCHEMA_ID = "https://fsm.invalid/export/schema.json"


def _obj(properties: dict[str, Any], *, required: list[str] | None = None) -> dict[str, Any]:
    """A closed object: exactly these keys (all required unless listed otherwise)."""
    return {"type": "object", "properties": properties, "required": required if required is not None
            else list(properties), "additionalProperties": False}


def _list(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _map(values: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": values}


STR = {"type": "string"}
NAME = {"type": "string", "minLength": 1}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
OPT_STR = {"type": ["string", "null"]}
NAMES = _list(NAME)
VERSION2 = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}
VERSION3 = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 3, "maxItems": 3}
PARAMETER = {"oneOf": [
    _obj({"name": NAME, "value": STR}),
    _obj({"name": NAME, "slot": NAME, "secret": BOOL}),
]}
EDGE = _obj({
    "outcome": NAME,
    "target": NAME,
    "guard": {"oneOf": [
        {"type": "null"},
        _obj({"kind": {"const": "below"}, "counter": NAME}),
        _obj({"kind": {"const": "flag"}, "name": NAME}),
    ]},
    "count": OPT_STR,
    "add": NAMES,
    "reset": NAMES,
    "cause": OPT_STR,
    "code": {"type": ["integer", "null"]},
})
CALL_STATE = _obj({
    "entry": NAME,
    "counts": OPT_STR,
    "keep": NAMES,
    "errors": _list(_obj({"code": INT, "outcome": NAME})),
    "other_errors": OPT_STR,
})
QUESTION_STATE = _obj({
    "input": NAME,
    "slot": NAME,
    "prompt": STR,
    "secret": BOOL,
    "new_pin": BOOL,
    "can_forget_pin": BOOL,
    "tally": OPT_STR,
    "attempt_counters": NAMES,
})
STATE = {
    **_obj({
        "name": NAME,
        "step": NAME,
        "title": STR,
        "kind": {"enum": ["call", "question", "terminal"]},
        "call": {"oneOf": [{"type": "null"}, CALL_STATE]},
        "question": {"oneOf": [{"type": "null"}, QUESTION_STATE]},
        "edges": _list(EDGE),
    }),
    "allOf": [
        {"if": {"properties": {"kind": {"const": "call"}}},
         "then": {"properties": {"call": {"type": "object"}, "question": {"type": "null"},
                                 "edges": {"minItems": 1}}}},
        {"if": {"properties": {"kind": {"const": "question"}}},
         "then": {"properties": {"call": {"type": "null"}, "question": {"type": "object"},
                                 "edges": {"minItems": 1}}}},
        {"if": {"properties": {"kind": {"const": "terminal"}}},
         "then": {"properties": {"call": {"type": "null"}, "question": {"type": "null"}, "edges": {"maxItems": 0}}}},
    ],
}
OUTPUT = _obj({
    "field": OPT_STR,
    "aliases": NAMES,
    "values": _list(_obj({"value": {"type": ["string", "boolean"]}, "outcome": NAME})),
    "absent": OPT_STR,
    "any_string": OPT_STR,
    "done": NAME,
    "outcomes": NAMES,
})
CALL = _obj({
    "op": {"enum": ["get", "set"]},
    "api": NAME,
    "subname": OPT_STR,
    "title": STR,
    "since": VERSION2,
    "reference_errors": _list(INT),
    "parameters": _map(_map(_list(PARAMETER))),
    "output": OUTPUT,
})
OPTION = {"oneOf": [
    _obj({"name": {"const": "sdk_version"}, "type": {"const": "version"}, "default": STR, "pattern": STR,
          "at_least": VERSION3}),
    _obj({"name": NAME, "type": {"const": "choice"}, "default": STR, "allowed": NAMES}),
    _obj({"name": NAME, "type": {"const": "integer"}, "default": INT, "minimum": INT, "maximum": INT}),
]}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "fsm flow export",
    "description": "One flow of fsm (the Stellantis Mobile SDK enrollment and account flows) as data: states, "
                   "edges, counters, options, calls, classification, input rules, ends and snapshot rules.",
    **_obj({
        "format": {"const": "fsm-flow"},
        "version": {"const": 1},
        "flow": _obj({"name": NAME, "title": STR, "initial": NAME, "sdk_since": VERSION2, "notes": _list(STR)}),
        "options": _obj({
            "fields": _list(OPTION),
            "flags": _map(_obj({"method": NAME, "sdk_at_least": VERSION3})),
        }),
        "counters": _list(_obj({
            "name": NAME,
            "bound": {"oneOf": [_obj({"option": NAME}), _obj({"constant": {"type": "integer", "minimum": 0}})]},
            "words": STR,
            "progress_resets": BOOL,
        })),
        "states": {**_list(STATE), "minItems": 2},
        "calls": _map(CALL),
        "inputs": _map(_obj({
            "pattern": NAME, "characters": NAME, "prefix": STR, "min_length": {"type": "integer", "minimum": 0},
            "max_length": {"type": "integer", "minimum": 1}, "words": STR, "secret": BOOL,
        })),
        "new_pin": _obj({
            "rules": _list(_obj({"name": NAME, "kind": {"const": "constant_step"}, "steps": _list(INT),
                                 "words": STR})),
            "words": STR,
        }),
        "questions": _obj({
            "reask": NAMES,
            "replies": NAMES,
            "outcomes": _obj({"valid": NAME, "invalid": NAME, "cancel": NAME, "forgot_pin": NAME}),
        }),
        "classification": _obj({
            "codes": _list({"oneOf": [
                _obj({"source": {"enum": ["step", "step_other"]}}),
                _obj({"source": {"const": "codes"}, "codes": _list(INT), "outcome": NAME}),
                _obj({"source": {"const": "any"}, "outcome": NAME}),
            ]}),
            "exceptions": _list(_obj({"name": NAME, "outcome": NAME})),
            "exception_default": NAME,
        }),
        "messages": _obj({
            "statuses": _obj({"succeeded": NAME, "failed": NAME}),
            "max_transaction_id": INT, "max_field": INT, "max_result_fields": INT, "max_code_digits": INT,
            "malformed_text": STR, "malformed_where": STR,
        }),
        "secrets": _obj({"names": NAMES, "slots": NAMES, "mask": NAME}),
        "ends": _obj({
            "terminals": NAMES, "success": NAMES, "causes": _map(STR), "detailed_causes": NAMES,
            "reason_success": STR, "reason_failure": STR, "reason_code": STR, "port_raised": STR,
        }),
        "outcomes": _map(STR),
        "snapshot": _obj({
            "version": INT, "keys": NAMES, "trace_keys": NAMES,
            "max_text": INT, "max_items": INT, "max_string": INT, "max_transaction_id": INT,
            "max_parameters": INT, "max_code": INT, "max_detail": INT,
            "kept_slots": NAMES, "refused_states": NAMES, "retry": _obj({"cause": NAME, "outcome": NAME, "end": NAME}),
            "exhausted_cause": NAME, "exhausted_end": NAME,
            "resume_state": _map(_map(_map(NAME))),
        }),
    }),
}
