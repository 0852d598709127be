"""When documents are scanned for line anomalies, and the flags last found. No LSP here.

A document is scanned in the background on open and save, and `flag.idleMs` after its last
edit; a new request for the same document supersedes a pending or running scan. A scan
stops when the document changes (keeping what it found), reports flags window by window,
and is retried once per version after a backend failure. Where the flags go (pushed
diagnostics, a pull refresh, a CLI report) and how progress is shown is the front door's
business, through a `FlagSink`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Protocol

from linewright.config import FlagSettings
from linewright.core.documents import Document
from linewright.features.anomalies import AnomalyFeature, Flag, ScanResult, Snapshot
from linewright.features.anomalies.store import IgnoreList

log = logging.getLogger(__name__)

RETRY_S = 10.0
"""After a backend failure, the document is scanned once more this much later."""


class ScanReport(Protocol):
    """What a scan tells while it runs, and whether the user asked it to stop."""

    def report(self, done: int, total: int) -> None: ...

    def cancelled(self) -> bool: ...

    def finished(self, summary: str) -> None: ...


class FlagSink(Protocol):
    """Where a front door takes the scheduler's results."""

    def flags_changed(self, uri: str) -> None:
        """The flags of the current version of `uri` changed (`FlagScheduler.flags`)."""

    def progress(self, name: str) -> contextlib.AbstractAsyncContextManager[ScanReport]:
        """A progress display for one scan of the file called `name`."""

    def backend_failed(self, message: str) -> None:
        """A scan ended on a backend failure (the front door rate-limits the message)."""


class _Quiet:
    """A sink that shows nothing (until a front door attaches its own)."""

    def flags_changed(self, uri: str) -> None:
        return None

    @contextlib.asynccontextmanager
    async def progress(self, name: str) -> AsyncIterator[ScanReport]:
        yield _NoReport()

    def backend_failed(self, message: str) -> None:
        log.warning("%s", message)


class _NoReport:
    def report(self, done: int, total: int) -> None:
        return None

    def cancelled(self) -> bool:
        return False

    def finished(self, summary: str) -> None:
        return None


class FlagScheduler:
    """Scan scheduling and the flags last found, per document."""

    def __init__(
        self,
        feature: Callable[[], AnomalyFeature],
        ignores: Callable[[], IgnoreList],
        settings: Callable[[], FlagSettings],
        document: Callable[[str], Document | None],
        run_task: Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]],
    ) -> None:
        self._feature = feature
        self._ignores = ignores
        self._settings = settings
        self._document = document
        self._run_task = run_task
        self.sink: FlagSink = _Quiet()
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._flags: dict[str, tuple[int, list[Flag]]] = {}
        self._finished: dict[str, int] = {}
        self._retried: dict[str, int] = {}
        self._stopped = False

    def schedule(self, uri: str, delay_s: float) -> None:
        """(Re)start the scan of `uri` after `delay_s`, superseding a pending or running one."""
        if self._stopped or not self._settings().enabled:
            return
        self._cancel(uri)
        self._tasks[uri] = self._run_task(self._scan(uri, delay_s), f"flag {uri}")

    def idle_s(self) -> float:
        """How long after an edit the document is scanned."""
        return self._settings().idle_ms / 1000

    async def scan_now(self, uri: str) -> ScanResult | None:
        """Scan `uri` now, whatever was scanned before (the user asked); None if not open."""
        if self._document(uri) is None:
            return None
        self._cancel(uri)
        self._finished.pop(uri, None)
        task = self._run_task(self._scan(uri, 0.0), f"flag {uri} (asked)")
        self._tasks[uri] = task
        return await asyncio.shield(task)

    def _cancel(self, uri: str) -> None:
        previous = self._tasks.pop(uri, None)
        if previous is not None and previous is not asyncio.current_task():
            previous.cancel()

    def stop_all(self) -> None:
        """Shutdown: no scan may talk to the client or the backend any more."""
        self._stopped = True
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    def forget(self, uri: str) -> bool:
        """The document was closed: stop scanning it; True when it had flags to clear."""
        self._cancel(uri)
        self._finished.pop(uri, None)
        self._retried.pop(uri, None)
        return self._flags.pop(uri, None) is not None

    def flags(self, uri: str) -> list[Flag]:
        """The flags last found for the current version of `uri` ([] when none or stale)."""
        doc = self._document(uri)
        version, flags = self._flags.get(uri, (None, []))
        return flags if doc is not None and version == doc.version else []

    async def cached(self, uri: str) -> list[Flag]:
        """What the line cache knows about the current text, right now (no model call)."""
        doc = self._document(uri)
        if doc is None or not self._settings().enabled:
            return []
        snap = Snapshot.of(doc)
        found = await self._feature().cached(snap)
        if self._current(snap):
            self._flags[uri] = (snap.version, found)
        return self.flags(uri)

    def ignore(self, uri: str, code: str) -> None:
        """Remember the line as ignored and report the document's flags without it."""
        ignores = self._ignores()
        path = Snapshot(uri, 0, "").path
        ignores.add(path, code)
        doc = self._document(uri)
        version, flags = self._flags.get(uri, (None, []))
        if doc is not None and doc.version == version:
            kept = [f for f in flags if not ignores.contains(path, f.original)]
            self._store(Snapshot.of(doc), kept)

    async def _scan(self, uri: str, delay_s: float) -> ScanResult | None:
        await asyncio.sleep(delay_s)
        doc = self._document(uri)
        if doc is None or self._finished.get(uri) == doc.version:
            return None
        snap = Snapshot.of(doc)
        async with self.sink.progress(snap.path.name) as shown:
            result = await self._feature().scan(
                snap,
                progress=shown.report,
                flags_so_far=lambda flags: self._store(snap, flags),
                should_stop=lambda: shown.cancelled() or not self._current(snap),
            )
            shown.finished(f"{len(result.flags)} flagged of {result.judged} lines")
            if self._current(snap):
                self._store(snap, result.flags)
                if not result.stopped or shown.cancelled():
                    self._finished[uri] = snap.version
        if result.error:
            self.sink.backend_failed(f"line flags: {result.error}")
            if self._current(snap) and self._retried.get(uri) != snap.version:
                self._retried[uri] = snap.version  # once per version: a restarting backend
                self.schedule(uri, RETRY_S)
        return result

    def _current(self, snap: Snapshot) -> bool:
        doc = self._document(snap.uri)
        return doc is not None and doc.version == snap.version

    def _store(self, snap: Snapshot, flags: list[Flag]) -> None:
        """Make `flags` the document's flags (if the document has not moved on)."""
        if not self._current(snap):
            return
        self._flags[snap.uri] = (snap.version, flags)
        self.sink.flags_changed(snap.uri)
