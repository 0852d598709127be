"""`linewright serve` as it runs once `cli._serve` calls `lsp.transport.serve_stdio` and
`LinewrightServer.report_server_error` routes to the protocol's problem reporter.

The transport and protocol tests start this module (`python -m tests.support.serve`) so
that they test the new reader loop and error policy before the two wiring lines land in
`cli.py` and `lsp/server.py`; afterwards they can start `python -m linewright serve`.
"""

from __future__ import annotations

import os

from linewright.lsp.protocol import LinewrightProtocol
from linewright.lsp.setup import create_server
from linewright.lsp.transport import serve_stdio


def main() -> int:
    server = create_server()
    assert isinstance(server.protocol, LinewrightProtocol)
    server.report_server_error = server.protocol.problems.server_error  # type: ignore[method-assign]
    return serve_stdio(server)


if __name__ == "__main__":
    os._exit(main())
