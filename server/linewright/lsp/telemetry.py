"""Suggestion telemetry over LSP -> features.telemetry (through the app).

- The app reports every suggestion the completion scheduler offers, with its request
  context, so its request-time features are known when the editor reports its fate.
- `linewright/didShowCompletion` `{"id"}` and `linewright/didPartiallyAcceptCompletion`
  `{"id", "acceptedLength"}` (UTF-16 code units) are client notifications (`contract`);
  the acceptance itself arrives through the items' `linewright.didAccept` command.
- `exit` rejects what still waits and closes the store (`App.exit`).
- `linewright.telemetryStats` returns the summary that `linewright stats` prints.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from linewright import contract
from linewright.core import telemetry
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)


def param(params: Any, name: str) -> Any:
    """A field of a custom notification's params (pygls gives a dict or an object)."""
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def accepted(ls: LinewrightServer, suggestion_id: Any = None, *_: object) -> None:
    """`linewright.didAccept`: the user accepted the suggestion with this id."""
    if not isinstance(suggestion_id, str):
        log.warning("telemetry: %s without a suggestion id", contract.DID_ACCEPT.id)
        return
    ls.app.telemetry.accepted(suggestion_id)
    log.info("suggestion %s accepted", suggestion_id)


async def stats(ls: LinewrightServer, *_: object) -> dict[str, Any]:
    """`linewright.telemetryStats`: the acceptance summary of every stored session."""
    path = telemetry.default_path()
    events = await asyncio.to_thread(telemetry.load_events, path)  # up to maxEvents rows
    summary = telemetry.summarize(events)
    return {
        "text": telemetry.format_summary(summary),
        "summary": summary.to_json(),
        "path": str(path),
    }


def register(server: LinewrightServer) -> None:
    """Attach the telemetry notifications."""

    @server.feature(contract.DID_SHOW_COMPLETION.method)
    def did_show(ls: LinewrightServer, params: Any) -> None:
        """The editor displayed a suggestion."""
        ls.app.telemetry.shown(str(param(params, "id")), ls.app.version_of)
        ls.app.sweep()

    @server.feature(contract.DID_PARTIALLY_ACCEPT_COMPLETION.method)
    def did_partially_accept(ls: LinewrightServer, params: Any) -> None:
        """The user took the first `acceptedLength` UTF-16 code units of a suggestion."""
        length = param(params, "acceptedLength")
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            method = contract.DID_PARTIALLY_ACCEPT_COMPLETION.method
            log.warning("telemetry: ignoring %s without a valid acceptedLength", method)
            return
        ls.app.telemetry.partially_accepted(str(param(params, "id")), length)
        ls.app.sweep()
