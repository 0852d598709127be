"""Suggestion telemetry over LSP -> features.telemetry.

- Every suggestion the completion feature produces is reported with its request context
  (`_ObservedCompletion`, a proxy around the runtime's completion feature), so its
  request-time features are known when the editor reports its fate.
- `linewright/didShowCompletion` `{"id"}` and `linewright/didPartiallyAcceptCompletion`
  `{"id", "acceptedLength"}` (UTF-16 code units) are client notifications; the acceptance
  itself arrives through the items' `linewright.didAccept` command (lsp/completion.py).
- While shown suggestions wait for their fate, a timer sweeps them (rejection inference);
  `exit` rejects what still waits and closes the store.
- `linewright.telemetryStats` returns the summary that `linewright stats` prints.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from lsprotocol import types

from linewright.core import telemetry
from linewright.features.completion import CompletionContext, CompletionFeature, Suggestion
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)

DID_SHOW = "linewright/didShowCompletion"
DID_PARTIALLY_ACCEPT = "linewright/didPartiallyAcceptCompletion"
STATS_COMMAND = "linewright.telemetryStats"
SWEEP_INTERVAL_S = 0.5


class _ObservedCompletion:
    """The runtime's completion feature, reporting each answer to the telemetry.

    Answers from `suggest` and `typing_along` are observed; anything else is delegated
    to the wrapped feature unchanged.
    """

    def __init__(self, inner: CompletionFeature, server: LinewrightServer) -> None:
        self._inner = inner
        self._server = server

    async def suggest(self, ctx: CompletionContext) -> list[Suggestion]:
        suggestions = await self._inner.suggest(ctx)
        self._observe(ctx, suggestions)
        return suggestions

    def typing_along(self, ctx: CompletionContext) -> list[Suggestion] | None:
        """The rest of a suggestion being typed along (the same ids, shorter texts)."""
        along: list[Suggestion] | None = self._inner.typing_along(ctx)
        if along:
            self._observe(ctx, along)
        return along

    def _observe(self, ctx: CompletionContext, suggestions: list[Suggestion]) -> None:
        try:
            self._server.telemetry.offered(ctx, suggestions)
            sweep(self._server)
        except Exception:  # telemetry must never cost the user a suggestion
            log.exception("telemetry: could not record the suggestions' features")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def version_of(ls: LinewrightServer) -> Callable[[str], int | None]:
    """uri -> the open document's version (None once closed)."""

    def lookup(uri: str) -> int | None:
        doc = ls.documents.get(uri)
        return None if doc is None else doc.version

    return lookup


def param(params: Any, name: str) -> Any:
    """A field of a custom notification's params (pygls gives a dict or an object)."""
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def sweep(ls: LinewrightServer) -> None:
    """Infer rejections now, and keep a timer sweeping while shown suggestions wait."""
    ls.telemetry.sweep(version_of(ls))
    running = ls.telemetry_sweeper is not None and not ls.telemetry_sweeper.done()
    if ls.telemetry.waiting and not running:
        ls.telemetry_sweeper = ls.run_task(_sweep_while_waiting(ls), "telemetry-sweep")


async def _sweep_while_waiting(ls: LinewrightServer) -> None:
    while ls.telemetry.waiting:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        ls.telemetry.sweep(version_of(ls))


def register(server: LinewrightServer) -> None:
    """Attach the telemetry notifications, the stats command and the exit flush."""
    observed = _ObservedCompletion(server.runtime.completion, server)
    server.runtime.completion = cast(CompletionFeature, observed)
    # the suggestion filter learns from every outcome (its observer never raises)
    server.telemetry.add_listener(server.runtime.suggestion_filter.observe_event)

    @server.feature(DID_SHOW)
    def did_show(ls: LinewrightServer, params: Any) -> None:
        """The editor displayed a suggestion."""
        ls.telemetry.shown(str(param(params, "id")), version_of(ls))
        sweep(ls)

    @server.feature(DID_PARTIALLY_ACCEPT)
    def did_partially_accept(ls: LinewrightServer, params: Any) -> None:
        """The user took the first `acceptedLength` UTF-16 code units of a suggestion."""
        length = param(params, "acceptedLength")
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            log.warning(
                "telemetry: ignoring %s without a valid acceptedLength", DID_PARTIALLY_ACCEPT
            )
            return
        ls.telemetry.partially_accepted(str(param(params, "id")), length)
        sweep(ls)

    @server.feature(types.EXIT)
    def on_exit(ls: LinewrightServer, params: None) -> None:
        """Suggestions still on screen when the editor quits were not accepted."""
        ls.telemetry.sweep(version_of(ls), final=True)
        ls.telemetry.close()

    @server.command(STATS_COMMAND)
    async def stats(ls: LinewrightServer, *_: object) -> dict[str, Any]:
        """The acceptance summary of every stored session, as text and as JSON."""
        path = telemetry.default_path()
        events = await asyncio.to_thread(telemetry.load_events, path)  # up to maxEvents rows
        summary = telemetry.summarize(events)
        return {
            "text": telemetry.format_summary(summary),
            "summary": summary.to_json(),
            "path": str(path),
        }
