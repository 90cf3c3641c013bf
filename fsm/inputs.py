"""What a valid answer from the person looks like (checked before any call).

Only ``str`` is accepted (an ``int`` would lose leading zeros), matched with
``re.fullmatch`` on ASCII classes: Arabic-Indic or full-width digits and
``"1234\\n"`` are refused, nothing is stripped or normalised.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

_CODE = re.compile(r"[0-9]{4,8}")
PATTERNS: Mapping[str, re.Pattern[str]] = {
    "pinCode": _CODE,
    "oldPIN": _CODE,
    "newPIN": _CODE,
    "smsCode": _CODE,
    "phoneNumber": re.compile(r"\+?[0-9]{6,15}"),
    "vin": re.compile(r"[A-HJ-NPR-Z0-9]{17}"),
}

#: Words for each input, for prompts, docs and errors.
RULES: Mapping[str, str] = {
    "pinCode": "4 to 8 ASCII digits",
    "oldPIN": "4 to 8 ASCII digits",
    "newPIN": "4 to 8 ASCII digits, not an obvious one (all the same digit, or a run like 1234)",
    "smsCode": "4 to 8 ASCII digits",
    "phoneNumber": "an optional + and 6 to 15 ASCII digits",
    "vin": "17 characters of A-H, J-N, P, R-Z and 0-9",
}


def weak_pin(value: str) -> bool:
    """True for a PIN nobody should choose: one digit repeated, or a run up or down (NIST 800-63B)."""
    if len(set(value)) == 1:
        return True
    steps = {int(b) - int(a) for a, b in itertools.pairwise(value)}
    return steps in ({1}, {-1})


def valid(name: str, value: object, *, new_pin: bool = False) -> bool:
    """Whether ``value`` is an acceptable answer for the input ``name``."""
    if type(value) is not str:
        return False
    pattern = PATTERNS.get(name)
    if pattern is None or pattern.fullmatch(value) is None:
        return False
    return not (new_pin and weak_pin(value))


def rule(name: str, *, new_pin: bool = False) -> str:
    """The words of the rule an answer for ``name`` must follow (a new PIN's rule is stricter)."""
    return RULES["newPIN"] if new_pin else RULES.get(name, "")
