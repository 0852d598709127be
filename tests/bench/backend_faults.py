"""Backend fault figures: each fault's worst-case completion latency against `timeoutS`, and
the memory an endless answer costs.

Usage: python tests/bench/backend_faults.py [--timeout-s S] [--runs N] [--body-mb MB]
Prints one JSON object. Every fault is served by the loopback server of
`tests/support/faultserver.py` to each backend kind (llama.cpp, OpenAI-compatible, Ollama);
one run is one `complete()` on a fresh backend, so the first request (`/props`,
`/v1/models`, `/api/show`) meets the fault. RSS is read from /proc/self/statm.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from linewright.core.errors import BackendError
from linewright.core.llm.client import MAX_RESPONSE_BYTES, HttpCall, HttpClient, Timeouts
from linewright.core.llm.llamacpp import LlamaCppBackend
from linewright.core.llm.ollama import OllamaBackend
from linewright.core.llm.openai import OpenAIBackend
from linewright.core.llm.types import Backend, CompletionRequest
from tests.support.faultserver import (
    Endless,
    HeadersThenStall,
    Reply,
    Reset,
    Silent,
    Trickle,
    serve,
)

ANSWER = {"content": " ok", "stop_type": "eos"}
FAULTS: dict[str, Reply] = {
    "trickle-1-byte-per-0.5s": Trickle(ANSWER, 0.5),
    "accept-never-answer": Silent(),
    "headers-then-stall": HeadersThenStall(),
    "reset": Reset(),
}
GUARD_S = 300.0
"""A run still going after this long is recorded as a hang (the old behaviour)."""


def backend(kind: str, url: str, http: HttpClient) -> Backend:
    """A fresh backend of `kind`."""
    if kind == "llamacpp":
        return LlamaCppBackend(url, http)
    if kind == "openai":
        return OpenAIBackend(url, http, model="m")
    return OllamaBackend(url, http, model="m")


async def one_run(kind: str, reply: Reply, timeout_s: float) -> tuple[float, str]:
    """Seconds one completion took, and how it ended."""
    with serve(lambda request: reply, max_connections=8, lifetime_s=GUARD_S + 10) as server:
        http = HttpClient(Timeouts(connect=min(3.0, timeout_s), read=timeout_s))
        start = time.monotonic()
        try:
            await asyncio.wait_for(
                backend(kind, server.url, http).complete(CompletionRequest("x")), GUARD_S
            )
            outcome = "answered"
        except BackendError as exc:
            outcome = type(exc).__name__
        except asyncio.TimeoutError:
            outcome = "hang"
        elapsed = time.monotonic() - start
        await http.aclose()
    return elapsed, outcome


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/statm."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


async def endless_body(body_mb: int) -> dict[str, Any]:
    """An answer of `body_mb` MB that never finishes: bytes sent, RSS growth, the error."""
    with serve(lambda request: Endless(body_mb << 20), max_connections=1) as server:
        http = HttpClient(Timeouts(read=60.0))
        before = rss_bytes()
        try:
            await http.send(server.url, HttpCall("GET", "/props"))
            error = "none"
        except BackendError as exc:
            error = str(exc)
        after = rss_bytes()
        await http.aclose()
    return {
        "body_mb_offered": body_mb,
        "cap_mb": MAX_RESPONSE_BYTES >> 20,
        "mb_sent_before_client_stopped": round(server.bytes_sent / 2**20, 1),
        "rss_growth_mb": round((after - before) / 2**20, 1),
        "error": error,
    }


async def run(timeout_s: float, runs: int, body_mb: int) -> dict[str, Any]:
    faults: dict[str, Any] = {}
    for name, reply in FAULTS.items():
        for kind in ("llamacpp", "openai", "ollama"):
            results = [await one_run(kind, reply, timeout_s) for _ in range(runs)]
            worst = max(seconds for seconds, _ in results)
            faults[f"{name}/{kind}"] = {
                "worst_s": round(worst, 2),
                "worst_over_timeout": round(worst / timeout_s, 2),
                "outcomes": sorted({outcome for _, outcome in results}),
            }
    return {
        "timeout_s": timeout_s,
        "runs_per_fault": runs,
        "faults": faults,
        "endless_body": await endless_body(body_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout-s", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--body-mb", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.timeout_s, args.runs, args.body_mb)), indent=2))


if __name__ == "__main__":
    main()
