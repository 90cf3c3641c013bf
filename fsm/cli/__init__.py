"""The command line: ``fsm run | diagrams | docs | check | paths | replay | export``.

The only package that touches argv, files and stdout. Each subcommand is a
module here with ``add(subparsers)`` that registers its parser and sets
``func`` (``func(args) -> exit code``). Modules are imported when the command
line is built, so ``import fsm`` never pays for them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

#: Subcommand modules of fsm.cli, in the order ``fsm --help`` lists them.
SUBCOMMANDS = ("run", "diagrams", "docs", "check", "paths", "replay", "export", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fsm",
        description="Enrollment and account-management flows of the Stellantis Mobile SDK, as explicit machines.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"fsm.cli.{name}").add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fsm`` console script."""
    from fsm.cli.files import UsageError

    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as exc:  # a bad file or option, found before any work: one line, exit 2
        print(f"fsm {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
