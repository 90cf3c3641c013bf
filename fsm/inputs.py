"""What a valid answer from the person looks like (checked before any call).

Only ``str`` is accepted (an ``int`` would lose leading zeros), matched with
``re.fullmatch`` on ASCII classes: Arabic-Indic or full-width digits and
``"1234\\n"`` are refused, nothing is stripped or normalised.

The rules are data (:data:`SHAPES`, :data:`PIN_RULES`): the patterns are
derived from the shapes, and ``fsm export`` writes both for hosts in other
languages, which apply them exactly as :func:`valid` does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping


class Shape:
    """What an input looks like: an optional ``prefix``, then ``fewest`` to ``most`` of ``characters``.

    ``characters`` is the body of an ASCII regular-expression class (``0-9``). (A plain class: attrs compiles
    code for each class when ``import fsm`` defines it.)
    """

    __slots__ = ("characters", "fewest", "most", "prefix")

    def __init__(self, characters: str, fewest: int, most: int, prefix: str = "") -> None:
        self.characters = characters
        self.fewest = fewest
        self.most = most
        self.prefix = prefix

    @property
    def pattern(self) -> str:
        """The regular expression an answer must match in full (the same text in Python and JavaScript)."""
        head = f"{re.escape(self.prefix)}?" if self.prefix else ""
        count = f"{self.fewest}" if self.fewest == self.most else f"{self.fewest},{self.most}"
        return f"{head}[{self.characters}]{{{count}}}"


_CODE = Shape("0-9", 4, 8)
SHAPES: Mapping[str, Shape] = {
    "pinCode": _CODE,
    "oldPIN": _CODE,
    "newPIN": _CODE,
    "smsCode": _CODE,
    "phoneNumber": Shape("0-9", 6, 15, prefix="+"),
    "vin": Shape("A-HJ-NPR-Z0-9", 17, 17),
}
PATTERNS: Mapping[str, re.Pattern[str]] = {name: re.compile(shape.pattern) for name, shape in SHAPES.items()}


class PinRule:
    """A named rule that refuses a new PIN: every digit follows the one before by the same step, one of ``steps``.

    (NIST SP 800-63B asks for a blocklist of such values; PROTOCOL.md, resolved ambiguity 10.)
    """

    __slots__ = ("name", "steps", "words")

    def __init__(self, name: str, steps: tuple[int, ...], words: str) -> None:
        self.name = name
        self.steps = steps
        self.words = words


#: The rules a new PIN must pass besides its shape, in the order they are judged.
PIN_RULES: tuple[PinRule, ...] = (
    PinRule("repeated_digit", (0,), "one digit repeated (0000)"),
    PinRule("straight_run", (1, -1), "a run up or down (1234, 9876)"),
)

#: Words for each input, for prompts, docs and errors.
RULES: Mapping[str, str] = {
    "pinCode": "4 to 8 ASCII digits",
    "oldPIN": "4 to 8 ASCII digits",
    "newPIN": "4 to 8 ASCII digits, not an obvious one (all the same digit, or a run like 1234)",
    "smsCode": "4 to 8 ASCII digits",
    "phoneNumber": "an optional + and 6 to 15 ASCII digits",
    "vin": "17 characters of A-H, J-N, P, R-Z and 0-9",
}


def broken_pin_rule(value: str) -> PinRule | None:
    """The first rule of :data:`PIN_RULES` that refuses ``value`` (a string of digits), or None."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(value)}
    if len(steps) != 1:
        return None
    (step,) = steps
    return next((r for r in PIN_RULES if step in r.steps), None)


def weak_pin(value: str) -> bool:
    """True for a PIN nobody should choose: one digit repeated, or a run up or down (NIST 800-63B)."""
    return broken_pin_rule(value) is not None


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
