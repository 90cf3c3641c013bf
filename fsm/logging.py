"""Redaction for hosts' own logs: a structlog processor and a stdlib logging filter.

fsm never hands a secret to a log call (its events carry names, steps and
codes only). A host logs more than fsm does: its port's parameters, the
SDK's messages, tracebacks with locals. Put :func:`redact_secrets` in the
host's structlog chain *after* ``dict_tracebacks`` / ``format_exc_info``
and before the renderer::

    structlog.configure(processors=[
        structlog.processors.add_log_level,
        structlog.processors.dict_tracebacks,
        fsm.logging.redact_secrets,
        structlog.processors.JSONRenderer(),
    ])

It masks, recursively and within bounds: the value of every key that names
a secret (``pinCode``, ``smsCode``, ``oldPIN``, ``newPIN``, ``otp`` and the
flows' secret slots such as ``resetSmsCode``), every :class:`fsm.Secret`,
and ``key: value`` / ``key=value`` pairs of those names inside strings (the
``repr`` of a parameters dict in a traceback's locals). A secret in free
text (``RuntimeError("bad pin 902718")``) cannot be recognised: fsm never
logs exception texts from a port, and hosts should not either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

from fsm.flows import FLOWS
from fsm.secret import MASK, SECRET_NAMES, Secret

#: Keys whose values are secrets: the SDK's names and the flows' secret slots.
SECRET_KEYS = frozenset(SECRET_NAMES) | frozenset(
    s.slot for f in FLOWS.values() for s in f.states if s.kind == "question" and s.ask in SECRET_NAMES and s.slot
)
_LOWER = frozenset(k.lower() for k in SECRET_KEYS)
_NAMES = "|".join(sorted(map(re.escape, SECRET_KEYS), key=len, reverse=True))
#: ``'pinCode': '1234'``, ``"smsCode": "1234"``, ``pinCode=1234``, ``otp: 1234`` (any case).
_PAIR = re.compile(
    rf"""(?P<key>(?<![A-Za-z0-9_])['"]?(?:{_NAMES})['"]?\s*[:=]\s*)(?P<q>['"]?)(?P<value>[^'"\s,;}})\]]*)(?P=q)""",
    re.IGNORECASE,
)
#: How deep and how many values one event is walked; beyond, values are replaced by a marker.
MAX_DEPTH = 32
MAX_NODES = 20_000
CUT = "<cut>"


def redact_text(text: str) -> str:
    """``text`` with the value of every ``secret-name: value`` pair masked."""
    return _PAIR.sub(lambda m: f"{m['key']}{m['q']}{MASK}{m['q']}", text)


def is_secret_key(key: object) -> bool:
    return type(key) is str and key.lower() in _LOWER


class _Walk:
    def __init__(self) -> None:
        self.budget = MAX_NODES

    def clean(self, value: object, depth: int) -> object:
        self.budget -= 1
        if self.budget < 0 or depth > MAX_DEPTH:
            return CUT
        if isinstance(value, Secret):
            return MASK
        if isinstance(value, str):
            return redact_text(value)
        if isinstance(value, Mapping):
            return {k: MASK if is_secret_key(k) else self.clean(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.clean(v, depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        return value


def redact_secrets(
    _logger: object, _method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: a copy of ``event_dict`` with every secret masked (see the module docstring)."""
    cleaned = _Walk().clean(dict(event_dict), 0)
    assert isinstance(cleaned, dict)
    return cleaned


class RedactSecrets(logging.Filter):
    """A stdlib logging filter doing what :func:`redact_secrets` does, on the formatted message.

    Attach it to a handler (``handler.addFilter(RedactSecrets())``) so that
    every record the handler emits, ``transitions``' own included, is masked.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


__all__ = ["SECRET_KEYS", "RedactSecrets", "is_secret_key", "redact_secrets", "redact_text"]
