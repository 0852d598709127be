"""When completion asks the model: debounce, supersede, staleness. No LSP here.

Every front door that completes as the user types (the language server) goes through one
`CompletionScheduler`. Typing along a suggestion already offered is answered at once.
Anything else runs as the document's newest request: it supersedes (cancels) the previous
one, waits out the debounce for automatic triggers, and drops results for a document
version that has since changed. A superseded request answers [] rather than an error (the
client did not cancel it); a request the client cancels is cancelled, work included.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from linewright.core.errors import BackendError
from linewright.features.completion import CompletionContext, CompletionFeature, Suggestion

log = logging.getLogger(__name__)
T = TypeVar("T")

VersionOf = Callable[[str], "int | None"]
"""uri -> the open document's current version, None once it is closed."""
Offered = Callable[[CompletionContext, list[Suggestion]], None]
"""Told about every non-empty answer (telemetry); must not raise."""
BackendFailed = Callable[[BackendError], None]
"""Told when the backend failed; completion itself degrades to no suggestion."""


class CompletionScheduler:
    """Runs `CompletionFeature.suggest` per document as the newest request."""

    def __init__(
        self,
        feature: Callable[[], CompletionFeature],
        version_of: VersionOf,
        offered: Offered | None = None,
        backend_failed: BackendFailed | None = None,
        excluded: Callable[[str], bool] | None = None,
    ) -> None:
        self._feature = feature
        self._version_of = version_of
        self._offered = offered
        self._backend_failed = backend_failed
        self._excluded = excluded or (lambda uri: False)
        self._inflight: dict[str, asyncio.Task[Any]] = {}

    @property
    def busy(self) -> list[asyncio.Task[Any]]:
        """Completion requests still running (line flags wait for these: they go first)."""
        return [task for task in self._inflight.values() if not task.done()]

    async def idle(self) -> None:
        """Return once no completion request is in flight."""
        while pending := self.busy:
            await asyncio.wait(pending)

    async def suggest(self, ctx: CompletionContext) -> list[Suggestion]:
        """Suggestions for `ctx`, or [] (never raises `BackendError`); see the docstring.
        A document excluded from what reaches the model (a secret, a git-ignored file) gets
        no request at all."""
        if self._excluded(ctx.uri):
            return []
        along = self._feature().typing_along(ctx)
        if along is not None:
            self.supersede(ctx.uri)
            self._tell(ctx, along)
            return along
        work = self._run_newest(ctx.uri, self._ask(ctx))
        try:
            await asyncio.wait((work,))
        except asyncio.CancelledError:
            work.cancel()
            raise
        if work.cancelled():
            log.debug("request for %s v%s superseded by a newer one", ctx.uri, ctx.version)
            return []
        return work.result()

    def supersede(self, uri: str) -> None:
        """Cancel the unfinished work of the previous request for `uri`.

        A new keystroke makes the previous suggestion useless, so its debounce or backend
        call is abandoned; the embedded model's start-up is shielded and never cancelled.
        """
        previous = self._inflight.pop(uri, None)
        if previous is not None and not previous.done():
            previous.cancel()

    def _run_newest(self, uri: str, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Start `work` in its own task as the newest request for `uri` (so a superseded
        request can still answer [] instead of failing as if the client cancelled it)."""
        self.supersede(uri)
        task = asyncio.get_running_loop().create_task(work, name=f"completion {uri}")
        self._inflight[uri] = task
        task.add_done_callback(functools.partial(self._done, uri))
        return task

    def _done(self, uri: str, task: asyncio.Task[Any]) -> None:
        if self._inflight.get(uri) is task:
            del self._inflight[uri]

    async def _ask(self, ctx: CompletionContext) -> list[Suggestion]:
        """Debounce, ask the feature, and keep the answer only if the document stood still."""
        feature = self._feature()
        delay = feature.debounce_s(ctx.trigger)
        if delay:
            await asyncio.sleep(delay)
            if self._moved_on(ctx):
                return []
        try:
            suggestions = await feature.suggest(ctx)
        except BackendError as exc:
            if self._backend_failed is not None:
                self._backend_failed(exc)
            return []
        if self._moved_on(ctx):
            log.debug("dropping suggestions for %s v%s (document moved on)", ctx.uri, ctx.version)
            return []
        self._tell(ctx, suggestions)
        return suggestions

    def _moved_on(self, ctx: CompletionContext) -> bool:
        """The document was edited or closed since the request's version."""
        return self._version_of(ctx.uri) != ctx.version

    def _tell(self, ctx: CompletionContext, suggestions: list[Suggestion]) -> None:
        if suggestions and self._offered is not None:
            try:
                self._offered(ctx, suggestions)
            except Exception:  # telemetry must never cost the user a suggestion
                log.exception("could not record the offered suggestions")
