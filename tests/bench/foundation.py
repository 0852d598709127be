"""Foundation figures: install time, cold time to first completion, warm completion latency.

Usage: python tests/bench/foundation.py [--skip-install] [--requests N]
Prints one JSON object. Uses the default embedded model (SmolLM2-135M, fetched on first use)
through the real server over stdio, as an editor would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "examples" / "stats.py").read_text()


def install_seconds() -> float:
    """`pip install .` into a fresh venv (pip's download cache may be warm)."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", tmp], check=True)
        subprocess.run(
            [f"{tmp}/bin/pip", "install", "--quiet", str(ROOT)], check=True, capture_output=True
        )
        return time.perf_counter() - start


def positions() -> list[types.Position]:
    """Cursors at the end of every non-empty line, and in the empty body line."""
    out = [types.Position(line=11, character=4)]
    for number, line in enumerate(SOURCE.splitlines()):
        if line.strip() and not line.lstrip().startswith(('"""', "#")):
            out.append(types.Position(line=number, character=len(line)))
    return out


async def completion_latencies(requests: int) -> dict[str, float | int]:
    """Cold: initialize -> first non-empty inline completion. Warm: per-request latency."""
    capabilities = client_capabilities("visual-studio-code")
    assert capabilities.text_document is not None
    capabilities.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    server = [sys.executable, "-m", "linewright", "serve"]
    start = time.perf_counter()
    client = await ClientServerConfig(server_command=server).start()
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            # no answer cache: "warm" means the model is loaded, not that the answer is stored
            # (a disk cache from an earlier run would otherwise answer in a few milliseconds)
            initialization_options={
                "completion": {"debounceMs": 0, "cacheEntries": 0, "cacheDiskMb": 0}
            },
        )
    )
    uri = (ROOT / "examples" / "stats.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=SOURCE
            )
        )
    )

    def params(position: types.Position) -> types.InlineCompletionParams:
        return types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )

    first = await client.text_document_inline_completion_async(params(positions()[0]))
    cold_s = time.perf_counter() - start
    latencies, non_empty = [], 0
    cursor_list = positions()
    for i in range(requests):
        t0 = time.perf_counter()
        result = await client.text_document_inline_completion_async(
            params(cursor_list[i % len(cursor_list)])
        )
        latencies.append((time.perf_counter() - t0) * 1000)
        non_empty += bool(result and result.items)
    await client.shutdown_session()
    await client.stop()
    return {
        "cold_first_completion_s": round(cold_s, 3),
        "cold_completion_non_empty": bool(first and first.items),
        "warm_requests": requests,
        "warm_non_empty": non_empty,
        "warm_latency_ms_p50": round(statistics.median(latencies), 1),
        "warm_latency_ms_p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-install", action="store_true")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    figures: dict[str, object] = {"cpu_count": os.cpu_count()}
    if not args.skip_install:
        figures["install_s"] = round(install_seconds(), 1)
    figures.update(asyncio.run(completion_latencies(args.requests)))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
