"""Line-anomaly flags as diagnostics -> features.anomalies (its scheduler lives there).

`LineFlags` is the dispatcher's adapter (scan on open, save and after edits; forget on
close; stop at shutdown; the two quick fixes) and the scheduler's sink: clients that pull
diagnostics get, at every pull, the flags known for the current text and a
`workspace/diagnostic/refresh` when a scan finds more; the others get
`publishDiagnostics`. A scan shows cancellable `$/progress`. `linewright.flagFile` scans
the whole document now and answers how many lines it flagged.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from lsprotocol import types

from linewright.core.documents import Document
from linewright.features.anomalies import Snapshot
from linewright.features.anomalies.schedule import ScanReport
from linewright.lsp.dispatch import Change
from linewright.lsp.flag_convert import SOURCE, code_actions, to_diagnostic
from linewright.lsp.progress import WorkDone, work_done
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)


class _Shown:
    """A scan's progress as the scheduler sees it."""

    def __init__(self, progress: WorkDone) -> None:
        self._progress = progress

    def report(self, done: int, total: int) -> None:
        self._progress.report(f"{done}/{total} lines", 100 * done // max(total, 1))

    def cancelled(self) -> bool:
        return self._progress.cancelled()

    def finished(self, summary: str) -> None:
        self._progress.closing = summary


class LineFlags:
    """The diagnostics adapter and the flag scheduler's sink."""

    code_action_kinds = (types.CodeActionKind.QuickFix,)

    def __init__(self, ls: LinewrightServer) -> None:
        self.ls = ls
        self.scheduler = ls.app.flags
        self.scheduler.sink = self

    # -- dispatcher hooks ------------------------------------------------------------------

    def opened(self, doc: Document) -> None:
        self.scheduler.schedule(doc.uri, 0)

    def changed(self, doc: Document, changes: list[Change], before: str) -> None:
        self.scheduler.schedule(doc.uri, self.scheduler.idle_s())

    def saved(self, uri: str) -> None:
        self.scheduler.schedule(uri, 0)  # unchanged lines come from the cache

    def closed(self, uri: str) -> None:
        if self.scheduler.forget(uri) and not self.ls.client.pull_diagnostics:
            self.ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    def shutdown(self) -> None:
        self.scheduler.stop_all()  # before the app closes the backend under a running scan

    def code_actions(self, doc: Document, params: types.CodeActionParams) -> list[Any]:
        """Replace / ignore for our flags on the requested lines only (eglot sends every
        diagnostic of the buffer in `context.diagnostics`)."""
        first, last = params.range.start.line, params.range.end.line
        return [
            action
            for d in params.context.diagnostics
            if first <= d.range.start.line <= last
            for action in code_actions(doc.uri, doc.line_text(d.range.start.line), d)
        ]

    # -- the scheduler's sink --------------------------------------------------------------

    def flags_changed(self, uri: str) -> None:
        if self.ls.client.pull_diagnostics:
            self.ls.workspace_diagnostic_refresh(None)
            return
        doc = self.ls.documents.get(uri)
        if doc is not None:
            params = types.PublishDiagnosticsParams(
                uri=uri, diagnostics=self.diagnostics(doc), version=doc.version
            )
            self.ls.text_document_publish_diagnostics(params)

    @contextlib.asynccontextmanager
    async def progress(self, name: str) -> AsyncIterator[ScanReport]:
        title = "Linewright: checking lines"
        async with work_done(self.ls, "flag", title, name, cancellable=True) as shown:
            yield _Shown(shown)

    def backend_failed(self, message: str) -> None:
        # the key completion uses too: one backend failure, one message
        self.ls.app.warn("backend", f"Linewright: {message} ({self.ls.app.backend_label()})")

    # -- requests --------------------------------------------------------------------------

    def diagnostics(self, doc: Document) -> list[types.Diagnostic]:
        """The flags last found for the current version of `doc`, as diagnostics."""
        return [to_diagnostic(f, doc.line_text(f.line)) for f in self.scheduler.flags(doc.uri)]

    async def pull(self, uri: str) -> list[types.Diagnostic]:
        """Pull diagnostics: what the line cache knows about the current text, right now.
        A backend that is down answers the flags already known (or none), never an error:
        the app's rate-limited warning is the one message the user sees."""
        doc = self.ls.documents.get(uri)
        if doc is None or not self.ls.client.pull_diagnostics:
            return []
        try:
            await self.scheduler.cached(uri)
        except Exception as exc:  # BackendError and what the backend raised on the way
            log.warning("pull diagnostics for %s: %s", uri, exc)
            self.ls.app.warn("backend", f"Linewright: line flags unavailable: {exc}")
        return self.diagnostics(doc)

    async def flag_file(self, uri: Any = None, *_: object) -> dict[str, Any]:
        """`linewright.flagFile`: scan the whole document now; how many lines were flagged."""
        if not isinstance(uri, str) or self.ls.documents.get(uri) is None:
            return {"flagged": 0, "judged": 0, "error": f"{uri} is not open"}
        result = await self.scheduler.scan_now(uri)
        if result is None:
            return {"flagged": 0, "judged": 0, "error": "the document was closed"}
        name = Snapshot(uri, 0, "").path.name
        summary = f"{len(result.flags)} of {result.judged} lines flagged in {name}"
        if result.error:
            summary += f" (stopped: {result.error})"
        self.ls.show(f"Linewright: {summary}", types.MessageType.Info)
        return {"flagged": len(result.flags), "judged": result.judged, "error": result.error}

    def ignore(self, uri: Any = None, code: Any = None, *_: object) -> None:
        """`linewright.flag.ignore`: remembered for the workspace."""
        if isinstance(uri, str) and isinstance(code, str):
            self.scheduler.ignore(uri, code)


def register(server: LinewrightServer, flags: LineFlags) -> None:
    """Attach the pull-diagnostics handler."""
    options = types.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
    )

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, options)
    async def diagnostic(
        ls: LinewrightServer, params: types.DocumentDiagnosticParams
    ) -> types.RelatedFullDocumentDiagnosticReport:
        """Pull diagnostics: the flags known for the current text."""
        items = await flags.pull(params.text_document.uri)
        return types.RelatedFullDocumentDiagnosticReport(items=items)
