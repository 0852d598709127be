"""LinewrightProtocol inside a real pygls server: our store is the only document copy,
every request is answered, protocol problems are rate-limited, no futures pile up."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import FeatureNotificationError, FeatureRequestError
from pygls.lsp.server import LanguageServer

from linewright.core.documents import DocumentStore
from linewright.core.positions import Position, Range
from linewright.lsp.protocol import LinewrightProtocol

URI = "file:///w/a.py"


class Wire:
    """The client's side of the connection: every message the server wrote."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    def close(self) -> None:
        pass

    def answers(self, msg_id: object) -> list[dict[str, Any]]:
        return [m for m in self.sent if "method" not in m and m.get("id") == msg_id]

    def popups(self) -> list[str]:
        return [
            m["params"]["message"] for m in self.sent if m.get("method") == "window/showMessage"
        ]


class Session:
    """A pygls server on our protocol whose document handlers apply our store, as the
    dispatcher does: the params as received, straight into `DocumentStore`."""

    def __init__(self) -> None:
        self.server = LanguageServer("t", "0", protocol_cls=LinewrightProtocol)
        protocol = self.server.protocol
        assert isinstance(protocol, LinewrightProtocol)
        self.protocol = protocol
        self.wire = Wire()
        protocol.set_writer(self.wire, include_headers=False)
        self.store = DocumentStore()
        self.server.report_server_error = protocol.problems.server_error  # type: ignore[method-assign]
        self._register()

    def _register(self) -> None:
        store = self.store

        @self.server.feature(types.TEXT_DOCUMENT_DID_OPEN)
        def did_open(params: types.DidOpenTextDocumentParams) -> None:
            item = params.text_document
            store.open(item.uri, item.language_id, item.version, item.text)

        @self.server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
        def did_change(params: types.DidChangeTextDocumentParams) -> None:
            changes = []
            for change in params.content_changes:
                r = getattr(change, "range", None)
                lsp = (
                    None
                    if r is None
                    else Range(
                        Position(r.start.line, r.start.character),
                        Position(r.end.line, r.end.character),
                    )
                )
                changes.append((lsp, change.text))
            store.change(params.text_document.uri, params.text_document.version, changes)

        @self.server.feature(types.TEXT_DOCUMENT_HOVER)
        async def hover(params: types.HoverParams) -> None:
            return None

    def send(self, message: dict[str, Any]) -> None:
        self.protocol.receive({"jsonrpc": "2.0", **message})

    def initialize(self) -> None:
        self.send({"id": "init", "method": "initialize", "params": {"capabilities": {}}})
        assert self.wire.answers("init")[0]["result"]["capabilities"]

    def open(self, text: str, version: int = 1) -> None:
        item = {"uri": URI, "languageId": "python", "version": version, "text": text}
        self.send({"method": "textDocument/didOpen", "params": {"textDocument": item}})

    def change(self, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        lsp_range = {
            "start": {"line": start[0], "character": start[1]},
            "end": {"line": end[0], "character": end[1]},
        }
        self.send(
            {
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": URI, "version": 2},
                    "contentChanges": [{"range": lsp_range, "text": text}],
                },
            }
        )

    def text(self) -> str:
        doc = self.store.get(URI)
        assert doc is not None
        return doc.text


@pytest.fixture
def session() -> Session:
    s = Session()
    s.initialize()
    return s


def test_the_form_feed_keystroke_of_issue_14(session: Session) -> None:
    """pygls split its copy at the form feed and wrote (1, 17) into our params."""
    session.open("\fdef total(items):\n    return sum(items)\n")
    session.change((1, 21), (1, 21), "  # ok")
    assert session.text() == "\fdef total(items):\n    return sum(items)  # ok\n"
    assert session.protocol.workspace.text_documents == {}  # pygls kept no copy


@pytest.mark.parametrize(
    "separator",
    [
        pytest.param("\f", id="form-feed"),
        pytest.param("\v", id="vertical-tab"),
        pytest.param("\x1c", id="file-separator"),
        pytest.param("\x85", id="NEL"),
        pytest.param("\u2028", id="line-separator"),
        pytest.param("\u2029", id="paragraph-separator"),
    ],
)
def test_only_lsp_line_breaks_count(session: Session, separator: str) -> None:
    session.open(f"x = 1{separator}  # a\ny = [1, 2]\n")
    session.change((1, 10), (1, 10), " + [3]")  # end of `y = [1, 2]`: LSP line 1
    session.change((0, 99), (0, 99), " !")  # past the end of line 0: its end
    assert session.text() == f"x = 1{separator}  # a !\ny = [1, 2] + [3]\n"


def test_a_reversed_range_is_applied_as_the_ordered_range(session: Session) -> None:
    session.open("total = first + second\n")
    session.change((0, 22), (0, 16), "third")
    assert session.text() == "total = first + third\n"


def test_positions_past_the_end_clamp_to_the_document_end(session: Session) -> None:
    session.open("a\nb")
    session.change((7, 3), (9, 0), "!")
    assert session.text() == "a\nb!"


def test_a_request_with_bad_params_is_answered_invalid_params(session: Session) -> None:
    session.send({"id": 7, "method": "textDocument/hover", "params": {"position": "x"}})
    session.send({"id": "s", "method": "textDocument/hover", "params": None})
    for msg_id in (7, "s"):
        (answer,) = session.wire.answers(msg_id)
        assert answer["error"]["code"] == types.ErrorCodes.InvalidParams
    assert session.wire.popups() == []  # the client got its answer


@pytest.mark.parametrize(
    ("message", "answered_id"),
    [
        pytest.param({"jsonrpc": "1.0", "id": 3, "method": "shutdown"}, 3, id="old-version"),
        pytest.param({"id": 4, "method": "shutdown"}, 4, id="no-version"),
        pytest.param({"jsonrpc": "2.0", "id": 5, "method": ["x"]}, 5, id="method-not-a-string"),
        pytest.param({"jsonrpc": "2.0", "id": {"a": 1}, "method": "x"}, None, id="object-id"),
    ],
)
def test_a_malformed_request_is_answered_invalid_request(
    session: Session, message: dict[str, Any], answered_id: object
) -> None:
    session.protocol.receive(message)
    (answer,) = session.wire.answers(answered_id)
    assert answer["error"]["code"] == types.ErrorCodes.InvalidRequest


def test_requests_after_shutdown_are_answered(session: Session) -> None:
    session.send({"id": 1, "method": "shutdown"})
    assert session.wire.answers(1) == [{"jsonrpc": "2.0", "id": 1, "result": None}]
    session.send({"id": 2, "method": "textDocument/hover", "params": {}})
    (answer,) = session.wire.answers(2)
    assert answer["error"]["code"] == types.ErrorCodes.InvalidRequest


def test_bad_notifications_give_one_popup_a_minute(session: Session) -> None:
    for n in range(50):
        session.send({"method": "textDocument/didChange", "params": {"n": n}})
        session.protocol.receive([n])
    popups = session.wire.popups()
    assert len(popups) == 2, popups  # invalid-params and invalid-message, once each
    assert session.protocol.problems.counts == {"invalid-params": 50, "invalid-message": 50}


def test_server_errors_are_rate_limited_and_failed_requests_only_logged(
    session: Session,
) -> None:
    for _ in range(30):
        session.server._report_server_error(ValueError("boom"), FeatureNotificationError)
        session.server._report_server_error(ValueError("boom"), FeatureRequestError)
    (popup,) = session.wire.popups()
    assert "boom" in popup and "Error in server" not in popup


async def test_document_sync_keeps_no_futures(session: Session) -> None:
    session.open("x = 0\n")
    for n in range(10_000):
        session.change((0, 4), (0, 5), str(n % 10))
    session.send(
        {
            "id": "h",
            "method": "textDocument/hover",
            "params": {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}},
        }
    )
    assert len(session.protocol._request_futures) <= 1  # the hover, still running
    assert session.text() == "x = 9\n"
