"""Our LanguageServerProtocol: what pygls does between the transport and our handlers.

- Capabilities are adjusted to what the client said it supports (`lsp_initialize`).
- Text documents are kept by our `DocumentStore` only: pygls's builtin didOpen/didChange/
  didClose would keep a second copy that splits lines differently (form feed, U+2028, ...)
  and write positions clamped to that copy back into the params our store then applies.
- Every request is answered, even one whose params cannot be read (InvalidParams) or that
  arrives after `shutdown` (InvalidRequest); problems go to `problems.ProtocolProblems`.
- Futures pygls keeps for notifications and generator steps are dropped once done (pygls
  keeps them for ever: about 2 KB per document-sync notification).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import MsgId

from linewright.lsp.problems import ProtocolProblems

log = logging.getLogger(__name__)
Steps = Generator[Any, Any, None]


def client_supports_inline(capabilities: types.ClientCapabilities | None) -> bool:
    """True when the client declared `textDocument.inlineCompletion` (LSP 3.18)."""
    text_document = capabilities.text_document if capabilities else None
    return bool(text_document and text_document.inline_completion is not None)


def _answerable_id(data: dict[str, Any]) -> MsgId | None:
    """The id to answer a broken request with (JSON-RPC: null when it is not a valid id)."""
    msg_id = data.get("id")
    return msg_id if isinstance(msg_id, (str, int)) and not isinstance(msg_id, bool) else None


def _kind_of(data: dict[str, Any]) -> str:
    if "method" in data:
        return "request" if "id" in data else "notification"
    return "response" if "id" in data else "message"


class LinewrightProtocol(LanguageServerProtocol):
    """pygls's LSP protocol with the changes listed in the module docstring."""

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self.problems = ProtocolProblems(self._show_problem)

    def _show_problem(self, message: str) -> None:
        self.notify(
            types.WINDOW_SHOW_MESSAGE,
            types.ShowMessageParams(type=types.MessageType.Warning, message=message),
        )

    # -- lifecycle ------------------------------------------------------------------------

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        """pygls's result, plus: `inlineCompletionProvider` only for clients that declare
        inline completion (the others get the suggestion as completion items), and
        UTF-16 positions always (what our store counts in; every client supports it)."""
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        caps = result.capabilities
        caps.position_encoding = types.PositionEncodingKind.Utf16
        if not client_supports_inline(params.capabilities):
            caps.inline_completion_provider = None
        return result

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Steps:
        """pygls's shutdown, cancelling from a snapshot: a cancelled future's callbacks
        remove it from `_request_futures`, which must not happen while iterating it."""
        if (handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield handler, args, None
        current = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current and not future.done():
                future.cancel()
        self._shutdown = True

    # -- text documents: our store is the only copy ---------------------------------------

    def _to_handler(self, method: str, params: Any) -> Steps:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Steps:
        """Our handler only: pygls's workspace never sees the document."""
        yield from self._to_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Steps:
        """Our handler only, with the params exactly as the client sent them."""
        yield from self._to_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Steps:
        """Our handler only."""
        yield from self._to_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)

    # -- bookkeeping ----------------------------------------------------------------------

    def _execute_handler(
        self,
        msg_id: MsgId,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """pygls's, plus: the future it files under `msg_id` is removed once done.

        pygls removes it only for requests (when answering); for notifications and
        generator steps (random ids nobody can cancel) it stayed for ever.
        """
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(functools.partial(self._forget, msg_id))

    def _forget(self, msg_id: MsgId, future: Future[Any]) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    # -- incoming messages ----------------------------------------------------------------

    def receive(self, data: Any) -> None:
        """Handle one decoded JSON value from the transport; never raises `Exception`."""
        if not isinstance(data, dict):
            self.problems.report("invalid-message", f"not a JSON-RPC message: {_brief(data)}")
            return
        kind = _kind_of(data)
        if (
            data.get("jsonrpc") != self.VERSION
            or not isinstance(data.get("method", ""), str)
            or (data.get("id") is not None and _answerable_id(data) is None)
        ):
            self._reject(data, types.ErrorCodes.InvalidRequest, "not a JSON-RPC 2.0 message")
            return
        if kind == "request" and self._shutdown and data.get("method") != types.EXIT:
            self._answer_error(data, types.ErrorCodes.InvalidRequest, "the server shut down")
            return
        try:
            message = self.structure_message(data)
        except Exception as error:
            self._unreadable(data, kind, error)
            return
        try:
            self.handle_message(message)
        except Exception as error:
            log.exception("handling a %s failed", kind)
            self.problems.report("internal", f"a {kind} could not be handled ({error})")

    def _unreadable(self, data: dict[str, Any], kind: str, error: Exception) -> None:
        """A message whose params (or result) do not have the shape its method needs."""
        method = data.get("method")
        detail = f"{kind} {method!r}" if method is not None else f"{kind} to {data.get('id')!r}"
        if kind == "request":  # the client sees the error answer: log it only
            self._answer_error(data, types.ErrorCodes.InvalidParams, f"invalid params: {error}")
            self.problems.note("invalid-params", f"unreadable {detail}: {error}")
            return
        if kind == "response" and data.get("id") in self._request_futures:
            # Our own request waits for this answer: fail it rather than wait for ever.
            self._handle_response(
                data["id"],
                error=types.ResponseError(types.ErrorCodes.InvalidParams, "unreadable answer"),
            )
        self.problems.report("invalid-params", f"unreadable {detail}: {error}")

    def _reject(self, data: dict[str, Any], code: types.ErrorCodes, reason: str) -> None:
        if _kind_of(data) == "request":  # answered: the client sees it
            self._answer_error(data, code, reason)
            self.problems.note("invalid-message", f"{reason}: {_brief(data)}")
        else:
            self.problems.report("invalid-message", f"{reason}: {_brief(data)}")

    def _answer_error(self, data: dict[str, Any], code: types.ErrorCodes, reason: str) -> None:
        # pygls's MsgId excludes the null id JSON-RPC prescribes for an unreadable id.
        msg_id: Any = _answerable_id(data)
        self._send_response(msg_id, error=types.ResponseError(code=code, message=reason))


def _brief(data: Any, limit: int = 120) -> str:
    """A short, log-safe rendering of a message."""
    text = repr(data)
    return text if len(text) <= limit else text[: limit - 3] + "..."
