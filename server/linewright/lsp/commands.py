"""`workspace/executeCommand`: every command of the contract, registered from it.

`linewright.contract.COMMANDS` is the list clients read (`editors/protocol.json`); this
module maps each to its handler and registers exactly those, so a command a client calls
cannot be missing here (`register` fails at start-up if one has no handler).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from linewright import contract
from linewright.lsp import telemetry
from linewright.lsp.diagnostics import LineFlags
from linewright.lsp.server import LinewrightServer
from linewright.lsp.testgen import TestActions


def handlers(
    ls: LinewrightServer, flags: LineFlags, tests: TestActions
) -> dict[str, Callable[..., Any]]:
    """Command id -> handler (handlers take the command's arguments, positionally)."""

    def accepted(*args: Any) -> None:
        telemetry.accepted(ls, *args)

    async def stats(*args: Any) -> dict[str, Any]:
        return await telemetry.stats(ls, *args)

    return {
        contract.GENERATE_TESTS.id: tests.generate_tests,
        contract.FLAG_FILE.id: flags.flag_file,
        contract.IGNORE_FLAG.id: flags.ignore,
        contract.DID_ACCEPT.id: accepted,
        contract.TELEMETRY_STATS.id: stats,
    }


def register(server: LinewrightServer, flags: LineFlags, tests: TestActions) -> None:
    """Register the handler of every contract command on `server`."""
    table = handlers(server, flags, tests)
    declared = {command.id for command in contract.COMMANDS}
    if set(table) != declared:  # a programming error: caught by every test that starts one
        raise RuntimeError(f"commands without handlers: {sorted(declared ^ set(table))}")
    for command in contract.COMMANDS:
        server.command(command.id)(_plain(table[command.id]))


def _plain(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function taking every argument positionally (pygls tags the functions it
    registers, which bound methods do not allow; `*args` gets the arguments as sent, and
    each handler checks them itself)."""
    if asyncio.iscoroutinefunction(handler):

        async def run_async(*args: Any) -> Any:
            return await handler(*args)

        return run_async

    def run(*args: Any) -> Any:
        return handler(*args)

    return run
