"""`$/progress` for the embedded model's start-up (download, load), when the client allows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)


class ProgressReporter:
    """Turns the runtime's start-up messages into one work-done progress sequence."""

    def __init__(self, server: LinewrightServer) -> None:
        self._server = server
        self._token: str | None = None
        self._lock: asyncio.Lock | None = None

    def _client_allows(self) -> bool:
        caps = self._server.protocol.client_capabilities
        window = caps.window if caps else None
        return bool(window and window.work_done_progress)

    def model_loading(self, message: str) -> None:
        """Called by the embedded backend with each start-up step."""
        log.info("model: %s", message)
        if not self._client_allows():
            return
        done = message == "model server ready"
        with contextlib.suppress(RuntimeError):  # no loop yet (CLI) or server shutting down
            asyncio.get_running_loop().create_task(self._send(message, done))

    async def _send(self, message: str, done: bool) -> None:
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:  # keep create/begin/report/end in order
            await self._send_in_order(message, done)

    async def _send_in_order(self, message: str, done: bool) -> None:
        progress = self._server.work_done_progress
        if self._token is None:
            if done:
                return
            self._token = f"linewright-model-{uuid.uuid4().hex[:8]}"
            try:
                await progress.create_async(self._token)
            except Exception:  # the client refused the token: no progress UI, not an error
                log.debug("client refused a progress token", exc_info=True)
                self._token = None
                return
            progress.begin(
                self._token,
                types.WorkDoneProgressBegin(title="Linewright: starting model", message=message),
            )
            return
        if done:
            progress.end(self._token, types.WorkDoneProgressEnd(message=message))
            self._token = None
        else:
            progress.report(self._token, types.WorkDoneProgressReport(message=message))
