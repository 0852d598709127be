"""Fuzz `linewright serve` over stdio: random valid, invalid and malformed messages and
framing. The server must stay alive, answer every request exactly once, show at most a few
popups, and still serve a well-formed request at the end.

Bounded: `LINEWRIGHT_FUZZ_MESSAGES` messages (2,000 by default; 10,000 for the full run),
one fixed seed per run (`LINEWRIGHT_FUZZ_SEED`). The figures are printed (pytest -s).
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import time
from typing import Any

from tests.e2e.raw import QUIET_BACKEND, RawServer, frame

COUNT = int(os.environ.get("LINEWRIGHT_FUZZ_MESSAGES", "2000"))
SEED = int(os.environ.get("LINEWRIGHT_FUZZ_SEED", "14"))
URI = "file:///fuzz/a.py"
TEXT = "\fdef total(items):\n    return sum(items)\r\n\u2028x = 1\n"
METHODS = [
    "textDocument/completion", "textDocument/inlineCompletion", "textDocument/codeAction",
    "textDocument/diagnostic", "textDocument/hover", "workspace/symbol", "no/such/method",
]  # fmt: skip
NOTIFICATIONS = [
    "textDocument/didChange", "textDocument/didSave", "$/cancelRequest", "$/setTrace",
    "linewright/didShowCompletion", "no/such/notification", "workspace/didChangeConfiguration",
]  # fmt: skip


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value (what a broken client puts where params belong)."""
    kind = rng.randrange(8 if depth < 2 else 5)
    simple = [None, True, -1, 2**40, "x\u2028", 1.5]
    if kind < 5:
        return rng.choice(simple)
    if kind == 5:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(3))]
    keys = ["textDocument", "position", "range", "uri", "line", "character", "id", "context"]
    return {rng.choice(keys): junk(rng, depth + 1) for _ in range(rng.randrange(4))}


def position(rng: random.Random) -> dict[str, int]:
    return {"line": rng.randrange(6), "character": rng.randrange(30)}


def good_params(rng: random.Random, method: str) -> dict[str, Any]:
    doc = {"uri": URI}
    at = position(rng)
    if method == "textDocument/codeAction":
        return {"textDocument": doc, "range": {"start": at, "end": at},
                "context": {"diagnostics": []}}  # fmt: skip
    if method == "textDocument/diagnostic":
        return {"textDocument": doc}
    if method == "textDocument/didChange":
        change = {"range": {"start": position(rng), "end": position(rng)}, "text": "é\f"}
        return {"textDocument": {"uri": URI, "version": rng.randrange(99)},
                "contentChanges": [change]}  # fmt: skip
    if method == "$/cancelRequest":
        return {"id": rng.randrange(COUNT)}
    return {"textDocument": doc, "position": at,
            "context": {"triggerKind": 1, "triggerKind ": 2}}  # fmt: skip


def message(rng: random.Random, msg_id: int) -> tuple[dict[str, Any] | Any, bool]:
    """A random message and whether it is a request that must be answered."""
    roll = rng.random()
    if roll < 0.45:
        method = rng.choice(METHODS)
        params = good_params(rng, method) if rng.random() < 0.5 else junk(rng)
        return {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}, True
    if roll < 0.85:
        method = rng.choice(NOTIFICATIONS)
        params = good_params(rng, method) if rng.random() < 0.5 else junk(rng)
        return {"jsonrpc": "2.0", "method": method, "params": params}, False
    if roll < 0.9:
        return {"jsonrpc": "1.0", "id": msg_id, "method": "x"}, True
    return junk(rng), False  # not JSON-RPC at all


def encode(rng: random.Random, value: Any) -> bytes:
    """`value` framed, sometimes in a way a broken client frames it."""
    body = json.dumps(value).encode()
    roll = rng.random()
    if roll < 0.7:
        return b"Content-Length: %d\r\n\r\n" % len(body) + body
    if roll < 0.8:
        return b"content-length: %d\n\n" % len(body) + body
    if roll < 0.9:
        return b"Content-Length: %d\r\n\r\n" % (len(body) + rng.choice([-1, 1])) + body
    if roll < 0.95:
        return b"garbage \x00\xff\r\n" + b"Content-Length: %d\r\n\r\n" % len(body) + body
    return (
        b"Content-Length: 1000000000000000\r\n\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


async def test_fuzz(tmp_path: pathlib.Path) -> None:
    rng = random.Random(SEED)
    server = await RawServer.start()
    await server.initialize(tmp_path, {**QUIET_BACKEND, "completion": {"debounceMs": 0}})
    item = {"uri": URI, "languageId": "python", "version": 1, "text": TEXT}
    server.write(frame({"method": "textDocument/didOpen", "params": {"textDocument": item}}))
    await server.answer("init")
    rss_before = server.rss_mb()
    started = time.monotonic()
    expected: list[int] = []
    for n in range(COUNT):
        value, is_request = message(rng, n)
        if is_request:
            expected.append(n)
        server.write(encode(rng, value))
        if n % 50 == 0:
            await server.drain()
    final = await server.request("final", "textDocument/codeAction", good_params(rng, METHODS[2]))
    unanswered = []
    for msg_id in expected:  # all of them arrived before the final answer, or soon after
        try:
            await server.answer(msg_id, timeout=5)
        except TimeoutError:
            unanswered.append(msg_id)
    elapsed = time.monotonic() - started
    figures = {
        "messages": COUNT, "requests": len(expected),
        "answered": sum(1 for i in expected if i in server.answers),
        "answered_twice": [i for i in expected if len(server.answers.get(i, [])) > 1],
        "hangs": len(unanswered), "crashes": int(server.process.returncode is not None),
        "popups": len(server.popups()), "rss_mb_before": round(rss_before, 1),
        "rss_mb_after": round(server.rss_mb(), 1), "seconds": round(elapsed, 1),
    }  # fmt: skip
    print(json.dumps(figures))
    assert figures["crashes"] == 0
    assert "result" in final, final
    assert unanswered == [] and figures["answered_twice"] == []
    assert figures["popups"] <= 8 * (1 + int(elapsed // 60)), server.popups()
    assert await server.stop() == 0
