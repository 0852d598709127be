"""Entry point of the embedded llama.cpp child process (`python -m ...embedded_child`).

The child loads the model with `xllamacpp` (llama.cpp's server, in-process in the child), binds
127.0.0.1 on an ephemeral port, prints one line `LINEWRIGHT_LISTENING <url>` on stdout, then
waits for its stdin to close. The parent holds the other end of that pipe, so the child exits
when the parent exits for any reason (and on Linux the kernel also sends SIGTERM through
PR_SET_PDEATHSIG). Kept in its own process so a crash in native code never takes the language
server down.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys

READY_PREFIX = "LINEWRIGHT_LISTENING "
ERROR_PREFIX = "LINEWRIGHT_ERROR "


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM us when the parent dies (best effort elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 == PR_SET_PDEATHSIG
    except OSError:
        pass


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="linewright-embedded-llama")
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--parallel", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve the model until stdin closes."""
    args = _parse(argv)
    _die_with_parent()
    try:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = args.model
        params.n_ctx = args.ctx
        params.n_batch = min(args.batch, args.ctx - 1)  # llama.cpp wants n_batch < n_ctx
        params.n_parallel = args.parallel
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # ephemeral: several servers on one machine never collide
        params.endpoint_props = True
        params.use_jinja = True
        server = xllamacpp.Server(params)
        address = server.listening_address
    except Exception as exc:  # native load failures surface as RuntimeError or worse
        print(f"{ERROR_PREFIX}{type(exc).__name__}: {exc}", flush=True)
        return 2
    url = address if address.startswith("http") else f"http://{address}"
    print(f"{READY_PREFIX}{url}", flush=True)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, KeyboardInterrupt):
        pass
    # No `del server`: xllamacpp's destructor ("~Server: waiting for main loop exit") can
    # wait forever when stdin closes right after start-up, leaving an orphan that holds the
    # model. Nothing needs a graceful stop; the kernel closes the socket.
    os._exit(0)  # skip interpreter teardown of native threads


if __name__ == "__main__":
    raise SystemExit(main())
