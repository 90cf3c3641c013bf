"""Options: PROTOCOL.md's defaults, and a clear error before any call for a bad one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import fsm
from fsm.options import Options


def test_defaults_are_protocols() -> None:
    o = Options()
    assert (o.platform, o.sdk_version, o.method, o.dialect) == ("android", "2.3.0", "auto", "tutorial")
    assert (o.max_pin_attempts, o.max_code_attempts, o.max_restarts, o.max_transient_retries) == (3, 3, 1, 2)
    assert o.shortcut_allowed


@pytest.mark.parametrize(("options", "name"), [
    ({"platform": "windows"}, "platform"),
    ({"platform": "iOS"}, "platform"),
    ({"method": "shortcut"}, "method"),
    ({"dialect": "legacy"}, "dialect"),
    ({"sdk_version": "1.9.0"}, "sdk_version"),
    ({"sdk_version": "2.x"}, "sdk_version"),
    ({"sdk_version": 2.3}, "sdk_version"),
    ({"max_pin_attempts": 0}, "max_pin_attempts"),
    ({"max_pin_attempts": True}, "max_pin_attempts"),
    ({"max_pin_attempts": "3"}, "max_pin_attempts"),
    ({"max_restarts": -1}, "max_restarts"),
    ({"max_restarts": True}, "max_restarts"),
    ({"max_transient_retries": 2.0}, "max_transient_retries"),
    ({"max_pin_atempts": 3}, "max_pin_atempts"),
])
def test_bad_options_raise_before_any_call(options: dict[str, Any], name: str) -> None:
    """A bad option raises OptionError naming it; the port is never called."""
    class Port:
        calls = 0

        def get(self, api: str, parameters: Mapping[str, str]) -> Any:
            Port.calls += 1
            return {}

        set = get

    with pytest.raises(fsm.OptionError) as err:
        fsm.run("enrollment", port=Port(), person=None, **options)  # type: ignore[arg-type]  # never reached
    assert err.value.option == name
    assert Port.calls == 0


def test_true_is_not_cached_as_one() -> None:
    """max_restarts=True is refused even after max_restarts=1 was accepted (True == 1 in Python)."""
    fsm.start("enrollment", max_restarts=1)
    with pytest.raises(fsm.OptionError):
        fsm.start("enrollment", max_restarts=True)


def test_unknown_flow_is_a_clear_error() -> None:
    with pytest.raises(fsm.UnknownFlow, match="reset-pin"):
        fsm.start("reset_pin")


@pytest.mark.parametrize(("version", "shortcut"), [("2.0.0", False), ("2.0.9", False), ("2.1", True), ("2.1.0", True),
                                                    ("2.3.0", True), ("10.0.0", True)])
def test_shortcut_allowed_from_2_1_0(version: str, shortcut: bool) -> None:
    assert Options(sdk_version=version).shortcut_allowed is shortcut
    assert Options(sdk_version=version, method="full").shortcut_allowed is False
