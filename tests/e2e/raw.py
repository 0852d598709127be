"""A raw JSON-RPC peer for the server's stdio: any bytes out, every message in, by id.

pytest-lsp's client frames everything correctly; the framing, fuzz and storm tests need to
send what a broken client sends, and to count answers per request id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import pathlib
import sys
import time
from typing import Any

SERVE = [sys.executable, "-m", "tests.support.serve"]
"""`linewright serve` with the new transport (see tests/support/serve.py)."""
QUIET_BACKEND = {"backend": {"kind": "llamacpp", "url": "http://127.0.0.1:9"}}
"""initializationOptions for a server that never loads a model (nothing listens on :9)."""


def frame(message: dict[str, Any], header: str = "Content-Length: {n}\r\n\r\n") -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return header.format(n=len(body)).encode() + body


class RawServer:
    """`SERVE` as a subprocess; a reader task files every message it writes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.answers: dict[Any, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls) -> RawServer:
        process = await asyncio.create_subprocess_exec(
            *SERVE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while line := (await stdout.readline()).strip():
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not length:
                return  # end of output
            message = json.loads(await stdout.readexactly(length))
            if "method" in message:
                self.notifications.append(message)
            else:
                self.answers.setdefault(message.get("id"), []).append(message)
            self._arrived.set()

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)

    async def drain(self) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.drain()

    async def answer(self, msg_id: Any, timeout: float = 30.0) -> dict[str, Any]:
        """The (first) answer to `msg_id`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while msg_id not in self.answers:
            self._arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to {msg_id!r}")
            await self.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        return self.answers[msg_id][0]

    async def request(self, msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
        message: dict[str, Any] = {"id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.write(frame(message))
        return await self.answer(msg_id)

    async def initialize(self, root: pathlib.Path, options: dict[str, Any]) -> None:
        params = {"capabilities": {}, "rootUri": root.as_uri(), "initializationOptions": options}
        assert "result" in await self.request("init", "initialize", params)
        self.write(frame({"method": "initialized", "params": {}}))

    def popups(self) -> list[str]:
        return [
            n["params"]["message"]
            for n in self.notifications
            if n["method"] == "window/showMessage"
        ]

    def rss_mb(self) -> float:
        status = pathlib.Path(f"/proc/{self.process.pid}/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) / 1024

    async def stop(self) -> int:
        """shutdown + exit when it is alive; its exit code."""
        if self.process.returncode is None:
            try:
                await self.request("bye", "shutdown")
                self.write(frame({"method": "exit"}))
                await self.drain()
            except (TimeoutError, ConnectionError):
                self.process.kill()
        code = await asyncio.wait_for(self.process.wait(), 30)
        self._reader.cancel()
        return code
