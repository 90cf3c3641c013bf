"""A value that must never be shown: PINs, SMS codes, OTPs.

``repr``, ``str``, ``format``, pickling, copying into JSON and
``attrs.asdict`` all see ``***``; only :meth:`Secret.reveal` gives the value,
and only the code that builds a call for the port calls it.
"""

from __future__ import annotations

from typing import Any, NoReturn

MASK = "***"

#: SDK parameter and result names whose values are secrets.
SECRET_NAMES = frozenset({"pinCode", "smsCode", "oldPIN", "newPIN", "otp"})


class Secret:
    """A masked string."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The value itself, for the port and nothing else."""
        value: str = object.__getattribute__(self, "_value")
        return value

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self.reveal() == other.reveal()
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self.reveal()))

    def __len__(self) -> int:
        return len(self.reveal())

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be serialised")

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __copy__(self) -> Secret:
        return self


def hide(value: object) -> object:
    """``value`` with a str made a :class:`Secret` (anything else as it is): done where a person's answer enters
    fsm, so that no frame after that point holds it as a plain string."""
    return Secret(value) if type(value) is str else value
