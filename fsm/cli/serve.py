"""``fsm serve --stdio``: the JSON-RPC 2.0 bridge (fsm.bridge) on standard input and output, one line each."""

from __future__ import annotations

import argparse
import sys
from typing import BinaryIO, TextIO

#: Bytes read at a time while the rest of a line too long is dropped.
CHUNK = 65_536


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the flows as JSON-RPC 2.0 over standard input and output (one request and one response a line)",
        description="Read one JSON-RPC 2.0 request per line on standard input and write one response per line on "
        "standard output, for hosts that spawn Python (methods: start, receive, receive_exception, answer, "
        "snapshot, resume, close; see fsm.bridge). Nothing is written to standard error; the bridge ends at the "
        "end of its input.",
    )
    p.add_argument("--stdio", action="store_true", required=True, help="talk over standard input and output")
    p.set_defaults(func=main)


def serve(source: BinaryIO, sink: TextIO) -> int:
    """Answer every request line of ``source`` on ``sink`` until the end of ``source``."""
    from fsm.bridge import BRIDGE

    limit = 4 * BRIDGE.max_line + 2  # bytes: the longest line taken in UTF-8 (4 bytes a character) and "\r\n"
    while True:
        raw = source.readline(limit + 1)
        if not raw:
            return 0
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := source.readline(CHUNK)) and not rest.endswith(b"\n"):  # the rest of it, unkept
                pass
            response = BRIDGE.too_long()
        else:
            response = BRIDGE.handle_bytes(raw)
        if response:
            sink.write(response + "\n")
            sink.flush()


def main(args: argparse.Namespace) -> int:
    assert args.stdio  # the only transport (argparse requires the flag)
    return serve(sys.stdin.buffer, sys.stdout)
