"""``__eq__``, ``__hash__`` and ``__repr__`` for the core's attrs classes, made without compiling code.

attrs writes the source of each class's methods and compiles it when the class is made: about 0.7 ms a
class for ``__repr__``, ``__eq__`` and ``__hash__`` alone, paid by every ``import fsm`` for the sixteen
classes on its path. The core's classes are declared with ``eq=False, repr=False`` and decorated with
:func:`methods`, which gives them the same three methods as closures over ``operator.attrgetter`` (as
quick to call as attrs' own): equal when of the same class with equal fields, hashed on the fields,
shown as ``Name(field=value, ...)`` without the fields declared ``repr=False``. A method written in the
class body is kept. attrs still makes ``__init__`` (defaults, factories, validators).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

import attrs

T = TypeVar("T")


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)  # a tuple of the values


def methods(cls: type[T]) -> type[T]:
    """Give the attrs class ``cls`` (made with ``eq=False, repr=False``) attrs' ``__eq__``, ``__hash__``
    and ``__repr__``; or the same methods over the slots of a plain class."""
    if attrs.has(cls):
        fields = attrs.fields(cls)
        compared = [a.name for a in fields if a.eq]
        hashed_names = [a.name for a in fields if (a.eq if a.hash is None else a.hash)]
        shown = [a.name for a in fields if a.repr]
    else:  # a plain class: its slots, in order
        compared = hashed_names = shown = list(cls.__slots__)  # type: ignore[attr-defined] # a plain class has them
    own = cls.__dict__
    if "__eq__" not in own:
        values = _getter(compared)
        hashed = _getter(hashed_names)
        salt = hash(cls.__qualname__)

        def __eq__(self: Any, other: object) -> Any:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return values(self) == values(other)

        def __hash__(self: Any) -> int:
            return hash((salt, *hashed(self)))

        cls.__eq__ = __eq__  # type: ignore[method-assign] # the method attrs would make
        cls.__hash__ = __hash__  # type: ignore[method-assign] # the method attrs would make
    if "__repr__" not in own:
        name = cls.__qualname__.rsplit(">.", 1)[-1]

        def __repr__(self: Any) -> str:
            return f"{name}({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)})"

        cls.__repr__ = __repr__  # type: ignore[method-assign] # the method attrs would make
    return cls
