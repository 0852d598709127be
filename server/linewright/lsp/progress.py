"""The one progress API: `async with work_done(ls, title) as progress: progress.report(...)`.

A sequence is created only for clients that show `$/progress`; for the others (and when the
client refuses the token) the same object reports nothing, so callers never branch. The
token request is shielded: a scan superseded while it waits for the client's answer must
not cancel the request's future, or the late answer would land on a cancelled future (the
"CANCELLED" popup of issue 13). The embedded model's start-up messages use the same
primitives through `ModelProgress`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from lsprotocol import types

from linewright.contract import PROGRESS_TOKEN_PREFIX

if TYPE_CHECKING:
    from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)
CREATE_TIMEOUT_S = 10.0
"""A client that never answers `window/workDoneProgress/create` gets no progress."""


class WorkDone:
    """One `$/progress` sequence (or nothing, when the client shows none)."""

    def __init__(self, ls: LinewrightServer, kind: str) -> None:
        self._ls = ls
        self.token = f"{PROGRESS_TOKEN_PREFIX}{kind}-{uuid.uuid4().hex[:8]}"
        self.started = False
        self.closing: str | None = None
        """The `end` message, when the block has a better one than "done"."""

    async def begin(self, title: str, message: str | None, cancellable: bool) -> None:
        """Create the token and send `begin`; silently nothing when the client refuses."""
        if not self._ls.client.work_done_progress:
            return
        params = types.WorkDoneProgressCreateParams(token=self.token)
        try:
            await self._ls.ask_client(
                types.WINDOW_WORK_DONE_PROGRESS_CREATE, params, CREATE_TIMEOUT_S
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # refused or unanswered: no progress UI, not an error
            log.debug("client refused or ignored a progress token", exc_info=True)
            return
        begin = types.WorkDoneProgressBegin(
            title=title, message=message, percentage=0, cancellable=cancellable
        )
        self._ls.work_done_progress.begin(self.token, begin)
        self.started = True

    def report(self, message: str, percentage: int | None = None) -> None:
        """A step, with its share done (0-100) when known."""
        if self.started:
            value = types.WorkDoneProgressReport(message=message, percentage=percentage)
            self._ls.work_done_progress.report(self.token, value)

    def cancelled(self) -> bool:
        """The user pressed the progress's cancel button."""
        future = self._ls.work_done_progress.tokens.get(self.token) if self.started else None
        return future is not None and future.cancelled()

    def end(self, message: str) -> None:
        """Close the sequence and forget the token."""
        if self.started:
            self._ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self._ls.work_done_progress.tokens.pop(self.token, None)
            self.started = False


@contextlib.asynccontextmanager
async def work_done(
    ls: LinewrightServer,
    kind: str,
    title: str,
    message: str | None = None,
    cancellable: bool = False,
) -> AsyncIterator[WorkDone]:
    """A progress sequence around a block; it ends however the block ends."""
    progress = WorkDone(ls, kind)
    await progress.begin(title, message, cancellable)
    outcome = "stopped"
    try:
        yield progress
        outcome = "done"
    finally:
        progress.end(progress.closing or outcome)


class ModelProgress:
    """Turns the embedded model's start-up messages into one progress sequence."""

    def __init__(self, ls: LinewrightServer) -> None:
        self._ls = ls
        self._current: WorkDone | None = None
        self._lock: asyncio.Lock | None = None

    def __call__(self, message: str) -> None:
        """Called by the embedded backend with each start-up step (from the event loop)."""
        log.info("model: %s", message)
        if not self._ls.client.work_done_progress:
            return
        done = message == "model server ready"
        with contextlib.suppress(RuntimeError):  # no loop yet, or the server shuts down
            asyncio.get_running_loop().create_task(self._send(message, done))

    async def _send(self, message: str, done: bool) -> None:
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:  # keep create/begin/report/end in order
            if self._current is None:
                if not done:
                    self._current = WorkDone(self._ls, "model")
                    await self._current.begin("Linewright: starting model", message, False)
            elif done:
                self._current.end(message)
                self._current = None
            else:
                self._current.report(message)
