"""Serving the language server over stdio or TCP with our own reader loop.

pygls's loop (`pygls.io_.run_async`) only understands `Content-Length: N\\r\\n` spelled
exactly so, drops any message whose params cannot be structured, and reads whatever length
a header claims into memory. Ours feeds the bytes to `framing.Framer` (lenient headers,
a size cap, resynchronisation) and each decoded value to `LinewrightProtocol.receive`
(which answers every request). Problems go to the protocol's rate-limited reporter.

`cli` calls `serve_stdio(server)` or `serve_tcp(server, host, port)`; both return the exit
code the client's `exit` asked for (0 after `shutdown`, 1 without).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from linewright.lsp.framing import Framer, Problem
from linewright.lsp.protocol import LinewrightProtocol

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
"""Bytes read at a time."""
Read = Callable[[], Awaitable[bytes]]


async def pump(read: Read, protocol: LinewrightProtocol) -> None:
    """Read until end of input, handing every message and problem to `protocol`."""
    framer = Framer()
    while data := await read():
        for event in framer.feed(data):
            if isinstance(event, Problem):
                protocol.problems.report("framing", event.message)
            else:
                protocol.receive(event.value)
    log.info("end of input")


def _stdin_reader(stdin: BinaryIO) -> Read:
    """`read()` for a blocking stream: a daemon thread reads, the event loop awaits.

    A daemon thread, not an executor: a read blocked on a silent client must not keep the
    process alive after `exit`. The queue is bounded, so a fast client waits for us.
    """
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=16)
    loop = asyncio.get_running_loop()

    def work() -> None:
        read = getattr(stdin, "read1", stdin.read)
        while True:
            try:
                data = read(CHUNK)
            except (OSError, ValueError):  # closed under us
                data = b""
            try:
                asyncio.run_coroutine_threadsafe(queue.put(data), loop).result()
            except RuntimeError:  # the loop is gone: the server is exiting
                return
            if not data:
                return

    threading.Thread(target=work, name="lsp-stdin", daemon=True).start()
    return queue.get


def _exit_code(error: SystemExit) -> int:
    code = error.code
    return code if isinstance(code, int) else (0 if code is None else 1)


def serve_stdio(
    server: LanguageServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> int:
    """Serve one client on stdin/stdout until it exits or closes stdin."""
    protocol = _protocol_of(server)
    protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def main() -> None:
        await pump(_stdin_reader(stdin or sys.stdin.buffer), protocol)

    try:
        asyncio.run(main())
    except SystemExit as error:  # the `exit` notification
        return _exit_code(error)
    except BrokenPipeError:
        log.error("the client closed the connection")
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def serve_tcp(server: LanguageServer, host: str, port: int) -> int:
    """Listen on `host:port` and serve the first client that connects until it leaves."""
    protocol = _protocol_of(server)

    async def main() -> None:
        finished = asyncio.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if finished.is_set() or protocol.writer is not None:
                writer.close()  # one client per server, as with stdio
                return
            protocol.set_writer(writer)
            try:
                await pump(lambda: reader.read(CHUNK), protocol)
            finally:
                finished.set()

        listener = await asyncio.start_server(connection, host, port)
        log.info("listening on %s:%s", host, port)
        async with listener:
            await finished.wait()

    try:
        asyncio.run(main())
    except SystemExit as error:
        return _exit_code(error)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def _protocol_of(server: LanguageServer) -> LinewrightProtocol:
    protocol: Any = server.protocol
    if not isinstance(protocol, LinewrightProtocol):
        raise TypeError("serve_* needs a server built with LinewrightProtocol")
    return protocol
