"""Framing a broken client sends: the server stays alive, hears it, and says what was wrong."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.e2e.raw import QUIET_BACKEND, RawServer, frame


def request(msg_id: int) -> dict[str, object]:
    """A code action request for a document that is not open (answered with [])."""
    zero = {"line": 0, "character": 0}
    params = {
        "textDocument": {"uri": "file:///nowhere.py"},
        "range": {"start": zero, "end": zero},
        "context": {"diagnostics": []},
    }
    return {"id": msg_id, "method": "textDocument/codeAction", "params": params}


def with_length(message: dict[str, object], delta: int, header: str = "Content-Length") -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return f"{header}: {len(body) + delta}\r\n\r\n".encode() + body


CASES = [
    pytest.param(lambda m: frame(m, "content-length: {n}\r\n\r\n"), False, id="lower-case"),
    pytest.param(lambda m: frame(m, "Content-Length: {n}\n\n"), False, id="lf-only"),
    pytest.param(lambda m: with_length(m, 1), True, id="one-too-long"),
    pytest.param(lambda m: with_length(m, -1), True, id="one-too-short"),
    pytest.param(
        lambda m: b"Content-Length: 1000000000000000\r\n\r\n" + frame(m), True, id="10^15"
    ),
    pytest.param(lambda m: b"\x00garbage\r\n{]\r\n" + frame(m), True, id="garbage-first"),
]


@pytest.mark.parametrize(("broken", "reported"), CASES)
async def test_the_server_hears_a_broken_frame_and_everything_after_it(
    broken, reported: bool, tmp_path: pathlib.Path
) -> None:  # type: ignore[no-untyped-def]
    server = await RawServer.start()
    try:
        await server.initialize(tmp_path, QUIET_BACKEND)
        for n in range(3):  # the same mistake three times in a row
            server.write(broken(request(10 + n)))
        server.write(frame(request(20)))
        for msg_id in (10, 11, 12, 20):
            assert (await server.answer(msg_id))["result"] == []
        # said once (not once per broken message), and nothing for what is merely lenient
        assert len(server.popups()) == (1 if reported else 0), server.popups()
        assert server.rss_mb() < 400
    finally:
        assert await server.stop() == 0
