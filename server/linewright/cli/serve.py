"""`linewright serve [--tcp HOST:PORT]`: the language server, on stdio by default."""

from __future__ import annotations

import argparse

from linewright.lsp.logs import route_to_client
from linewright.lsp.setup import create_server


def overrides(args: argparse.Namespace) -> dict[str, object] | None:
    """The backend options given on the command line, as settings overrides."""
    backend = {
        k: v for k, v in (("kind", args.backend), ("url", args.url), ("model", args.model)) if v
    }
    return {"backend": backend} if backend else None


def serve(args: argparse.Namespace) -> int:
    """Run until the client says `exit` (or closes the stream)."""
    server = create_server(config_file=args.config, overrides=overrides(args))
    server.log_handler = route_to_client(server)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0
