"""The run options as every subcommand spells them (``--platform``, ``--max-pin-attempts``, ...)."""

from __future__ import annotations

import argparse
from typing import Any

from fsm.catalog import DIALECTS, PLATFORMS
from fsm.options import BOUNDS, FIELDS, METHODS, Options, make_options


def add_options(p: argparse.ArgumentParser) -> None:
    """One flag per option of :class:`fsm.options.Options`; unset flags keep the protocol's defaults."""
    p.add_argument("--platform", choices=PLATFORMS, default=None)
    p.add_argument("--sdk-version", default=None, metavar="X.Y.Z")
    p.add_argument("--method", choices=METHODS, default=None, help="auto uses the shortcut (4.1) when it can")
    p.add_argument("--dialect", choices=DIALECTS, default=None)
    for name in BOUNDS:
        p.add_argument("--" + name.replace("_", "-"), type=int, default=None, metavar="N")


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options set on the command line, as keyword arguments."""
    return {name: getattr(args, name) for name in FIELDS if getattr(args, name, None) is not None}


def options_of(args: argparse.Namespace) -> Options:
    """The options of the command line (raises :class:`fsm.OptionError` for a bad one)."""
    return make_options(**given_options(args))
