"""A storm of sloppy edits through the real server over stdio pipes, against a string model.

The server runs in this process (`serve_stdio` on a pair of pipes, in a thread) so that the
test can read its document store afterwards: text, and tree against a fresh parse. The
bytes still go through the transport, the framing, pygls and our protocol and dispatcher.
"""

from __future__ import annotations

import json
import os
import random
import threading
from typing import Any, BinaryIO

from linewright.lsp.protocol import LinewrightProtocol
from linewright.lsp.setup import create_server
from linewright.lsp.transport import serve_stdio
from tests.e2e.raw import QUIET_BACKEND, frame
from tests.unit.test_documents import (
    STORM_PIECES,
    assert_line_index,
    assert_matches_fresh_parse,
    fresh_tree,
    sloppy_change,
)

URI = "file:///storm/a.py"


def read_messages(stdout: BinaryIO, into: list[dict[str, Any]], done: threading.Event) -> None:
    while True:
        length = 0
        while line := stdout.readline().strip():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if not length:
            return
        into.append(json.loads(stdout.read(length)))
        if into[-1].get("id") == "bye":
            done.set()


def test_storm_over_stdio_matches_the_model() -> None:
    server = create_server()
    assert isinstance(server.protocol, LinewrightProtocol)
    to_server, from_client = os.pipe()
    to_client, from_server = os.pipe()
    server_in, server_out = os.fdopen(to_server, "rb"), os.fdopen(from_server, "wb")
    worker = threading.Thread(target=serve_stdio, args=(server, server_in, server_out))
    worker.start()
    received: list[dict[str, Any]] = []
    answered = threading.Event()
    reader = threading.Thread(
        target=read_messages, args=(os.fdopen(to_client, "rb"), received, answered)
    )
    reader.start()
    client = os.fdopen(from_client, "wb")
    rng = random.Random(2028)
    model = "\fdef total(items):\n    return sum(items)\n"
    init = {"capabilities": {}, "initializationOptions": QUIET_BACKEND}
    item = {"uri": URI, "languageId": "python", "version": 1, "text": model}
    client.write(frame({"id": 1, "method": "initialize", "params": init}))
    client.write(frame({"method": "textDocument/didOpen", "params": {"textDocument": item}}))
    for version in range(2, 400):
        edit = (
            rng.randrange(300), rng.randrange(300), rng.randrange(3), rng.randrange(2),
            "".join(rng.choice(STORM_PIECES) for _ in range(rng.randrange(4))),
        )  # fmt: skip
        change_range, text, model = sloppy_change(model, edit)
        lsp_range = {
            "start": {"line": change_range.start.line, "character": change_range.start.character},
            "end": {"line": change_range.end.line, "character": change_range.end.character},
        }
        params = {
            "textDocument": {"uri": URI, "version": version},
            "contentChanges": [{"range": lsp_range, "text": text}],
        }
        client.write(frame({"method": "textDocument/didChange", "params": params}))
    client.write(frame({"id": "bye", "method": "shutdown"}))
    client.flush()
    assert answered.wait(60), received[-3:]
    doc = server.documents.get(URI)
    assert doc is not None and doc.version == 399
    assert doc.text == model
    assert_line_index(doc)
    if not fresh_tree(doc).root_node.has_error:
        assert_matches_fresh_parse(doc)
    client.write(frame({"method": "exit"}))
    client.close()
    worker.join(30)
    reader.join(30)
    assert not worker.is_alive()
