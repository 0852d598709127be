"""Line-anomaly flags as diagnostics: background scans, push or pull, two code actions.

A document is scanned in the background on open and save, and `flag.idleMs` after its last
edit; model requests go one at a time and wait for any completion in flight (the embedded
model has one slot). Clients that pull diagnostics get, at every pull, the flags the line
cache already holds for the current text, and a `workspace/diagnostic/refresh` when a scan
adds more; other clients get `publishDiagnostics` after each window of lines. A scan shows
`$/progress` (cancellable) and stops when the document changes. Code actions: replace the
line with the model's, or ignore it (remembered per workspace).

pygls allows one handler per notification and `lsp/documents.py` owns didOpen, didChange
and didClose, so `register` chains after those handlers (`_chain`): register this module
after `documents`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lsprotocol import types

from linewright.core import paths
from linewright.features.anomalies import AnomalyFeature, Flag, Snapshot
from linewright.features.anomalies.store import IgnoreList, LineCache
from linewright.lsp.flag_convert import (
    IGNORE_COMMAND,
    SOURCE,
    ScanProgress,
    code_actions,
    to_diagnostic,
)
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)

RETRY_S = 10.0
"""After a backend failure, the document is scanned once more this much later."""


class FlagDiagnostics:
    """Scan scheduling and the flags last reported, per document."""

    def __init__(self, ls: LinewrightServer) -> None:
        self.ls = ls
        self._feature: AnomalyFeature | None = None
        self._ignore_list: IgnoreList | None = None
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._flags: dict[str, tuple[int, list[Flag]]] = {}
        self._finished: dict[str, int] = {}
        self._retried: dict[str, int] = {}
        self._stopped = False

    @property
    def ignores(self) -> IgnoreList:
        """The workspace's ignored lines (created at first use: after `initialize`)."""
        if self._ignore_list is None:
            self._ignore_list = IgnoreList(paths.state_dir(), self.ls.workspace_root)
        return self._ignore_list

    @property
    def feature(self) -> AnomalyFeature:
        """The feature, created at first use (the workspace root is known by then)."""
        if self._feature is None:
            self._feature = AnomalyFeature(
                self.ls.runtime.backend,
                lambda: self.ls.settings.flag,
                LineCache(paths.cache_dir() / "flag"),
                self.ignores,
                idle=self._completions_idle,
            )
        return self._feature

    async def _completions_idle(self) -> None:
        """Wait while completion requests are in flight: they go first."""
        inflight: dict[str, asyncio.Task[Any]] = getattr(self.ls, "_inflight", {})
        while pending := [task for task in inflight.values() if not task.done()]:
            await asyncio.wait(pending)

    @property
    def _pull(self) -> bool:
        """Serve pulls only to clients we can ask to pull again when a scan adds flags;
        the others get pushed diagnostics (and empty pull answers, so nothing doubles)."""
        caps = self.ls.protocol.client_capabilities
        pulls = bool(caps and caps.text_document and caps.text_document.diagnostic)
        workspace = caps.workspace if caps else None
        refresh = bool(
            workspace and workspace.diagnostics and workspace.diagnostics.refresh_support
        )
        return pulls and refresh

    def schedule(self, uri: str, delay_s: float) -> None:
        """(Re)start the scan of `uri` after `delay_s`, superseding a pending or running one."""
        if self._stopped or not self.ls.settings.flag.enabled:
            return
        previous = self._tasks.pop(uri, None)
        if previous is not None and previous is not asyncio.current_task():
            previous.cancel()
        self._tasks[uri] = self.ls.run_task(self._run(uri, delay_s), name=f"flag {uri}")

    def stop_all(self) -> None:
        """Shutdown: no scan may talk to the client or the backend any more."""
        self._stopped = True
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    def forget(self, uri: str) -> None:
        """The document was closed: stop scanning it and clear its diagnostics."""
        task = self._tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        self._finished.pop(uri, None)
        self._retried.pop(uri, None)
        if self._flags.pop(uri, None) is not None and not self._pull:
            params = types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            self.ls.text_document_publish_diagnostics(params)

    async def _run(self, uri: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        doc = self.ls.documents.get(uri)
        if doc is None or self._finished.get(uri) == doc.version:
            return
        snap = Snapshot.of(doc)
        progress = ScanProgress(self.ls)
        await progress.begin(snap.path.name)
        cancelled = progress.cancelled()
        summary = "stopped"
        try:
            result = await self.feature.scan(
                snap,
                progress=progress.report,
                flags_so_far=lambda flags: self._report(snap, flags),
                should_stop=lambda: cancelled() or not self._current(snap),
            )
            summary = f"{len(result.flags)} flagged of {result.judged} lines"
        finally:
            progress.end(summary)
        if self._current(snap):
            self._report(snap, result.flags)
            if not result.stopped or cancelled():
                self._finished[uri] = snap.version
        if result.error:
            label = self.ls.runtime.backend_label()
            text = f"Linewright: line flags: {label} failed: {result.error}"
            # the key completion uses too: one backend failure, one message
            self.ls.warn_once_a_minute("backend", text)
            if self._current(snap) and self._retried.get(uri) != snap.version:
                self._retried[uri] = snap.version  # once per version: a restarting backend
                self.schedule(uri, RETRY_S)

    def _current(self, snap: Snapshot) -> bool:
        doc = self.ls.documents.get(snap.uri)
        return doc is not None and doc.version == snap.version

    def _report(self, snap: Snapshot, flags: list[Flag]) -> None:
        """Make `flags` the document's diagnostics (if the document has not moved on)."""
        if not self._current(snap):
            return
        self._flags[snap.uri] = (snap.version, flags)
        if self._pull:
            self.ls.workspace_diagnostic_refresh(None)
            return
        diagnostics = self.diagnostics(snap.uri)
        params = types.PublishDiagnosticsParams(
            uri=snap.uri, diagnostics=diagnostics, version=snap.version
        )
        self.ls.text_document_publish_diagnostics(params)

    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The flags last reported for the current version of `uri`, as diagnostics."""
        doc = self.ls.documents.get(uri)
        version, flags = self._flags.get(uri, (None, []))
        if doc is None or version != doc.version:
            return []
        return [to_diagnostic(f, doc.line_text(f.line)) for f in flags]

    async def pull(self, uri: str) -> list[types.Diagnostic]:
        """Pull diagnostics: what the line cache knows about the current text, right now."""
        doc = self.ls.documents.get(uri)
        if doc is None or not self.ls.settings.flag.enabled or not self._pull:
            return []
        snap = Snapshot.of(doc)
        flags = await self.feature.cached(snap)
        if not self._current(snap):
            return self.diagnostics(uri)
        self._flags[uri] = (snap.version, flags)
        return self.diagnostics(uri)

    def ignore(self, uri: str, code: str) -> None:
        """Remember the line as ignored and report the document's flags without it."""
        path = Snapshot(uri, 0, "").path
        self.ignores.add(path, code)
        version, flags = self._flags.get(uri, (0, []))
        doc = self.ls.documents.get(uri)
        if doc is not None and doc.version == version:
            kept = [f for f in flags if not self.ignores.contains(path, f.original)]
            self._report(Snapshot.of(doc), kept)


def _chain(
    server: LinewrightServer, method: str, hook: Callable[[Any], None], *, before: bool = False
) -> None:
    """Run `hook(params)` after (or `before`) the handler already registered for `method`,
    whatever that handler does: the hook must run even if the other handler fails."""
    handlers = server.protocol.fm.features
    previous = handlers.get(method)

    if previous is not None and asyncio.iscoroutinefunction(previous):

        async def chained_async(params: Any) -> Any:
            if before:
                hook(params)
                return await previous(params)
            try:
                return await previous(params)
            finally:
                hook(params)

        handlers[method] = chained_async
        return

    def chained(params: Any) -> Any:
        if before:
            hook(params)
        try:
            return previous(params) if previous is not None else None
        finally:
            if not before:
                hook(params)

    handlers[method] = chained


def register(server: LinewrightServer) -> None:
    """Attach the diagnostics handlers to `server` (after `documents.register`)."""
    state = FlagDiagnostics(server)
    _register_document_events(server, state)
    _register_requests(server, state)


def _register_document_events(server: LinewrightServer, state: FlagDiagnostics) -> None:
    def idle_s() -> float:
        return server.settings.flag.idle_ms / 1000

    _chain(server, types.TEXT_DOCUMENT_DID_OPEN, lambda p: state.schedule(p.text_document.uri, 0))
    _chain(
        server,
        types.TEXT_DOCUMENT_DID_CHANGE,
        lambda p: state.schedule(p.text_document.uri, idle_s()),
    )
    _chain(server, types.TEXT_DOCUMENT_DID_CLOSE, lambda p: state.forget(p.text_document.uri))
    # before the lifecycle handler closes the backend under a running scan
    _chain(server, types.SHUTDOWN, lambda _: state.stop_all(), before=True)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LinewrightServer, params: types.DidSaveTextDocumentParams) -> None:
        """Saved: scan now (unchanged lines come from the cache)."""
        state.schedule(params.text_document.uri, 0)


def _register_requests(server: LinewrightServer, state: FlagDiagnostics) -> None:
    options = types.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
    )

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, options)
    async def diagnostic(
        ls: LinewrightServer, params: types.DocumentDiagnosticParams
    ) -> types.RelatedFullDocumentDiagnosticReport:
        """Pull diagnostics: the flags known for the current text."""
        items = await state.pull(params.text_document.uri)
        return types.RelatedFullDocumentDiagnosticReport(items=items)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: LinewrightServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        """Replace / ignore for the flags under the cursor."""
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        return [
            action
            for d in params.context.diagnostics
            for action in code_actions(doc.uri, doc.line_text(d.range.start.line), d)
        ]

    @server.command(IGNORE_COMMAND)
    def ignore_line(ls: LinewrightServer, uri: str, code: str, *_: object) -> None:
        """ "Ignore this line": remembered for the workspace."""
        state.ignore(uri, code)
