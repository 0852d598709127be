"""A misbehaving HTTP server on loopback, for the backend fault tests and benchmark.

Raw sockets on 127.0.0.1, one thread per connection, so every byte and every pause is ours
to choose: `respond(request)` returns one `Reply` per request (a normal JSON answer, a
trickle, a stall, a reset, an endless body). The server is bounded in count and in time: it
accepts at most `max_connections` connections, every connection ends when the server stops,
and the server stops by itself after `lifetime_s` even if nobody stops it.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

POLL_S = 0.05


@dataclass(frozen=True)
class Request:
    """What a client sent: method, path and the raw body."""

    method: str
    path: str
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Json:
    """A well-formed answer."""

    value: Any
    status: int = 200


@dataclass(frozen=True)
class Trickle:
    """A normal answer sent one byte every `interval_s`, status line included."""

    value: Any
    interval_s: float = 0.5


@dataclass(frozen=True)
class Silent:
    """Read the request, then never answer."""


@dataclass(frozen=True)
class HeadersThenStall:
    """Send the status line and headers (announcing a body), then nothing."""


@dataclass(frozen=True)
class Reset:
    """Read the request, then reset the connection (TCP RST)."""


@dataclass(frozen=True)
class Endless:
    """200 with a body that never ends (until the client closes or `limit` bytes)."""

    limit: int = 256 * 1024 * 1024


Reply = Json | Trickle | Silent | HeadersThenStall | Reset | Endless


@dataclass
class FaultServer:
    """The server's state: its URL, the requests it got and the body bytes it sent."""

    respond: Callable[[Request], Reply]
    max_connections: int = 64
    lifetime_s: float = 120.0
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    bytes_sent: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        """Paths requested, in order."""
        return [r.path for r in self.requests]

    def bodies(self) -> list[bytes]:
        """Every request body received, in order."""
        return [r.body for r in self.requests]

    def _sent(self, count: int) -> None:
        with self._lock:
            self.bytes_sent += count


@contextmanager
def serve(
    respond: Callable[[Request], Reply], *, max_connections: int = 64, lifetime_s: float = 120.0
) -> Iterator[FaultServer]:
    """Run a `FaultServer` for the `with` block."""
    server = FaultServer(respond, max_connections, lifetime_s)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(POLL_S)
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    thread = threading.Thread(target=_accept, args=(server, listener), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server._stop.set()
        thread.join(5.0)
        listener.close()


def _accept(server: FaultServer, listener: socket.socket) -> None:
    deadline = time.monotonic() + server.lifetime_s
    accepted = 0
    workers: list[threading.Thread] = []
    while not server._stop.is_set() and accepted < server.max_connections:
        if time.monotonic() > deadline:
            server._stop.set()
            break
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        accepted += 1
        worker = threading.Thread(target=_connection, args=(server, conn), daemon=True)
        worker.start()
        workers.append(worker)
    server._stop.wait(max(0.0, deadline - time.monotonic()))
    server._stop.set()
    for worker in workers:
        worker.join(1.0)


def _connection(server: FaultServer, conn: socket.socket) -> None:
    with conn:
        conn.settimeout(POLL_S)
        request = _read_request(server, conn)
        if request is None:
            return
        server.requests.append(request)
        _answer(server, conn, server.respond(request))


def _read_request(server: FaultServer, conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = _recv(server, conn)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = _recv(server, conn)
        if not chunk:
            return None
        body += chunk
    return Request(method, path, body[:length])


def _recv(server: FaultServer, conn: socket.socket) -> bytes:
    """Bytes from the client; b"" once it closed or the server stops."""
    while not server._stop.is_set():
        try:
            return conn.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return b""
    return b""


def _response(value: Any, status: int = 200, length: int | None = None) -> bytes:
    body = json.dumps(value).encode()
    size = len(body) if length is None else length
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
    return (head + "Connection: close\r\n\r\n").encode() + body


def _answer(server: FaultServer, conn: socket.socket, reply: Reply) -> None:
    try:
        if isinstance(reply, Json):
            conn.sendall(_response(reply.value, reply.status))
        elif isinstance(reply, Trickle):
            for byte in _response(reply.value):
                if server._stop.wait(reply.interval_s):
                    return
                conn.sendall(bytes([byte]))
                server._sent(1)
        elif isinstance(reply, HeadersThenStall):
            conn.sendall(_response({}, length=1000)[: -len(b"{}")])
            _wait_for_close(server, conn)
        elif isinstance(reply, Silent):
            _wait_for_close(server, conn)
        elif isinstance(reply, Reset):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            _endless(server, conn, reply.limit)
    except OSError:
        return  # the client went away: that is what most faults end with


def _wait_for_close(server: FaultServer, conn: socket.socket) -> None:
    while not server._stop.is_set():
        try:
            if not conn.recv(1024):
                return
        except TimeoutError:
            continue


def _endless(server: FaultServer, conn: socket.socket, limit: int) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    chunk = b"[" + b" " * 65535
    sent = 0
    while sent < limit and not server._stop.is_set():
        try:
            conn.sendall(chunk)
        except TimeoutError:
            continue  # the client is slow to read; sendall may have sent part (counted low)
        sent += len(chunk)
        server._sent(len(chunk))
        chunk = b" " * 65536
