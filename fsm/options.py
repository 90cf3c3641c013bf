"""The options of a run, with the protocol's defaults, checked before any call."""

from __future__ import annotations

import functools
import re
from typing import Any

import attrs

from fsm.catalog import DIALECTS, PLATFORMS
from fsm.errors import OptionError
from fsm.records import methods
from fsm.spec import Counter

METHODS = ("auto", "full")
#: What ``sdk_version`` must look like (matched in full): major.minor, maybe .patch.
VERSION_PATTERN = r"([0-9]{1,3})\.([0-9]{1,3})(?:\.([0-9]{1,3}))?"
_VERSION = re.compile(VERSION_PATTERN)
#: The oldest SDK the enrollment APIs exist in.
MIN_SDK = (2, 0, 0)
#: The shortcut (step 4.1, enrollWithPhoneNumber) is taken with this method, from this SDK version on.
SHORTCUT_METHOD = "auto"
SHORTCUT_SINCE = (2, 1, 0)
#: The values accepted for each option that is a choice.
CHOICES: dict[str, tuple[str, ...]] = {"platform": PLATFORMS, "method": METHODS, "dialect": DIALECTS}
#: (lowest, highest) accepted for each bound.
BOUNDS = {
    "max_pin_attempts": (1, 1000),
    "max_code_attempts": (1, 1000),
    "max_restarts": (0, 100),
    "max_transient_retries": (0, 100),
}


def parse_version(text: object) -> tuple[int, int, int]:
    """``"2.3.0"`` or ``"2.1"`` as a tuple; anything else is an :class:`OptionError`."""
    if type(text) is not str:
        raise OptionError("sdk_version", "must be a string such as '2.3.0'")
    m = _VERSION.fullmatch(text)
    if m is None:
        raise OptionError("sdk_version", "must look like '2.3.0'")
    version = (int(m[1]), int(m[2]), int(m[3] or 0))
    if version < MIN_SDK:
        raise OptionError("sdk_version", "the enrollment APIs exist from SDK 2.0 on")
    return version


def _choice(name: str) -> Any:
    allowed = CHOICES[name]

    def check(_: object, __: object, value: object) -> None:
        if type(value) is not str or value not in allowed:
            raise OptionError(name, f"must be one of {', '.join(allowed)}")

    return check


def _bound(name: str) -> Any:
    low, high = BOUNDS[name]

    def check(_: object, __: object, value: object) -> None:
        if type(value) is not int or not low <= value <= high:
            raise OptionError(name, f"must be an integer from {low} to {high}")

    return check


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Options:
    """The options of one run."""

    platform: str = attrs.field(default="android", validator=_choice("platform"))
    sdk_version: str = attrs.field(default="2.3.0")
    method: str = attrs.field(default="auto", validator=_choice("method"))
    dialect: str = attrs.field(default="tutorial", validator=_choice("dialect"))
    max_pin_attempts: int = attrs.field(default=3, validator=_bound("max_pin_attempts"))
    max_code_attempts: int = attrs.field(default=3, validator=_bound("max_code_attempts"))
    max_restarts: int = attrs.field(default=1, validator=_bound("max_restarts"))
    max_transient_retries: int = attrs.field(default=2, validator=_bound("max_transient_retries"))
    sdk: tuple[int, int, int] = attrs.field(init=False)

    @sdk.default
    def _sdk(self) -> tuple[int, int, int]:
        return parse_version(self.sdk_version)

    @property
    def shortcut_allowed(self) -> bool:
        """The shortcut (4.1): method ``auto`` and SDK 2.1.0 or later."""
        return self.method == SHORTCUT_METHOD and self.sdk >= SHORTCUT_SINCE

    def bound(self, counter: Counter) -> int:
        """The bound of ``counter`` under these options."""
        value = getattr(self, counter.bound) if isinstance(counter.bound, str) else counter.bound
        assert type(value) is int
        return value

    def as_dict(self) -> dict[str, object]:
        return attrs.asdict(self, filter=lambda a, _: a.init)


FIELDS = tuple(a.name for a in attrs.fields(Options) if a.init)


@functools.lru_cache(maxsize=256)
def _cached(items: tuple[tuple[str, type, Any], ...]) -> Options:
    # The type is part of the key: True == 1, so a cache keyed on values alone
    # would hand max_restarts=True the Options made for max_restarts=1.
    return Options(**{name: value for name, _, value in items})


def make_options(**options: Any) -> Options:
    """Options from keyword arguments; an unknown name or a bad value raises :class:`OptionError`."""
    for name in options:
        if name not in FIELDS:
            raise OptionError(name, f"unknown option; known options: {', '.join(FIELDS)}")
    try:
        return _cached(tuple((k, type(v), v) for k, v in sorted(options.items())))
    except TypeError:  # an unhashable value: validate without the cache, for the right error
        return Options(**options)
