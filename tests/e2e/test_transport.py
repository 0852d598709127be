"""`linewright serve --tcp` and `$/cancelRequest`."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

from lsprotocol import types
from pygls.lsp.client import LanguageClient as PyglsClient

from tests.e2e.conftest import capabilities, tiny_options
from tests.e2e.test_completion import BODY, SOURCE, URI, inline_params


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def connect(port: int) -> PyglsClient:
    client = PyglsClient("test", "0")
    for _ in range(200):  # the server needs a moment to import and listen
        try:
            await client.start_tcp("127.0.0.1", port)
            return client
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("server never listened")


async def test_tcp_transport_serves_completions(tiny_model_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "linewright", "serve", "--tcp", f"127.0.0.1:{port}",
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = await connect(port)
        result = await client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities("vscode"),
                initialization_options=tiny_options(tiny_model_path),
                root_uri=tmp_path.as_uri(),
            )
        )
        assert result.capabilities.inline_completion_provider is not None
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(URI, "python", 1, SOURCE)
            )
        )
        items = await client.text_document_inline_completion_async(inline_params(BODY))
        assert isinstance(items, types.InlineCompletionList) and items.items
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 10)


class RawLsp:
    """A minimal JSON-RPC peer over the server's stdio, to send `$/cancelRequest` by id."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    def send(self, message: dict[str, object]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def receive(self) -> dict[str, object]:
        assert self.process.stdout is not None
        length = 0
        while line := (await self.process.stdout.readline()).strip():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(await self.process.stdout.readexactly(length))

    async def response(self, request_id: int) -> dict[str, object]:
        while True:
            message = await asyncio.wait_for(self.receive(), 30)
            if message.get("id") == request_id and "method" not in message:
                return message


async def test_cancel_request_is_honoured(tiny_model_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "linewright", "serve",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    lsp = RawLsp(process)
    options = tiny_options(tiny_model_path, debounceMs=5000)
    lsp.send(
        {
            "id": 1,
            "method": "initialize",
            "params": {"capabilities": {}, "initializationOptions": options},
        }
    )
    await lsp.response(1)
    lsp.send({"method": "initialized", "params": {}})
    doc = {"uri": URI, "languageId": "python", "version": 1, "text": SOURCE}
    lsp.send({"method": "textDocument/didOpen", "params": {"textDocument": doc}})
    position = {"line": BODY.line, "character": BODY.character}
    params = {"textDocument": {"uri": URI}, "position": position, "context": {"triggerKind": 2}}
    lsp.send({"id": 2, "method": "textDocument/completion", "params": params})
    await asyncio.sleep(0.3)  # the request is now waiting in its 5 s debounce
    lsp.send({"method": "$/cancelRequest", "params": {"id": 2}})
    answer = await asyncio.wait_for(lsp.response(2), 3)  # long before the debounce ends
    assert answer.get("error", {}).get("code") == -32800, answer  # RequestCancelled
    lsp.send({"id": 3, "method": "shutdown"})
    await lsp.response(3)
    lsp.send({"method": "exit"})
    await asyncio.wait_for(process.wait(), 10)
