"""Server memory under sustained traffic: RSS over 20,000 requests on 50 open files.

Usage: python -m tests.bench.memory [--files 50] [--lines 2000] [--requests 20000]
Prints one JSON object. `linewright serve` (with the new transport, `tests/support/serve`)
talks to a scripted llama.cpp on loopback (`tests/support/faultserver`, instant answers), with
the answer cache on. Traffic: completion and inlineCompletion requests at cursors drawn from
a fixed set (so the cache fills, then hits) plus a one-character `didChange` every 5
requests. `rss_mb` is sampled every `--every` requests; `growth_after_warmup_mb` compares the
last sample with the one at the end of the first quarter (flat means the memory leveled off).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.e2e.raw import RawServer, frame
from tests.support.faultserver import Json, Reply, Request, serve

PROPS = {"default_generation_settings": {"n_ctx": 4096}, "model_path": "/m/q.gguf"}
ANSWER = {"content": "total", "stop_type": "limit", "model": "q"}
UNIT = (
    "def load_{i}(path: str) -> list[str]:\n"
    "    records = []\n"
    "    with open(path, encoding='utf-8') as handle:\n"
    "        for line in handle:\n"
    "            records.append(line.strip() + '{i}')\n"
    "    return records\n"
    "\n"
)


def llama(request: Request) -> Reply:
    return Json(PROPS if request.path == "/props" else ANSWER)


def source(lines: int) -> str:
    """A Python file of exactly `lines` lines."""
    units = "".join(UNIT.format(i=i) for i in range(lines // UNIT.count("\n") + 1))
    return "\n".join(units.split("\n")[:lines]) + "\n"


def request(kind: str, msg_id: int, uri: str, line: int) -> bytes:
    at = {"line": line, "character": 8}
    params: dict[str, Any] = {"textDocument": {"uri": uri}, "position": at}
    if kind == "inline":
        params["context"] = {"triggerKind": 1}
        return frame({"id": msg_id, "method": "textDocument/inlineCompletion", "params": params})
    params["context"] = {"triggerKind": 1}
    return frame({"id": msg_id, "method": "textDocument/completion", "params": params})


def keystroke(uri: str, version: int, line: int) -> bytes:
    at = {"line": line, "character": 0}
    change = {"range": {"start": at, "end": at}, "text": " " if version % 2 else ""}
    params = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
    return frame({"method": "textDocument/didChange", "params": params})


async def start(url: str, root: Path) -> RawServer:
    server = await RawServer.start()
    caps = {"textDocument": {"inlineCompletion": {"dynamicRegistration": False}}}
    options = {
        "backend": {"kind": "llamacpp", "url": url},
        "completion": {"debounceMs": 0, "maxTokens": 8},
    }
    params = {"capabilities": caps, "rootUri": root.as_uri(), "initializationOptions": options}
    assert "result" in await server.request("init", "initialize", params)
    server.write(frame({"method": "initialized", "params": {}}))
    return server


async def run(args: argparse.Namespace, url: str, root: Path) -> dict[str, Any]:
    server = await start(url, root)
    text = source(args.lines)
    uris = [f"file://{root}/m{n}.py" for n in range(args.files)]
    for uri in uris:
        item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        server.write(frame({"method": "textDocument/didOpen", "params": {"textDocument": item}}))
    rng = random.Random(14)
    cursors = [(rng.choice(uris), rng.randrange(args.lines)) for _ in range(args.cursors)]
    samples = [{"requests": 0, "rss_mb": round(server.rss_mb(), 1)}]
    version, started = 1, time.monotonic()
    for batch in range(0, args.requests, args.batch):
        ids = list(range(batch, min(batch + args.batch, args.requests)))
        for msg_id in ids:
            uri, line = rng.choice(cursors)
            server.write(request("inline" if msg_id % 2 else "completion", msg_id, uri, line))
            if msg_id % 5 == 0:
                version += 1
                server.write(keystroke(rng.choice(uris), version, rng.randrange(args.lines)))
        for msg_id in ids:
            await server.answer(msg_id, timeout=60)
            server.answers.pop(msg_id)
        done = ids[-1] + 1
        if done % args.every == 0:
            samples.append({"requests": done, "rss_mb": round(server.rss_mb(), 1)})
    elapsed = time.monotonic() - started
    await server.stop()
    warm = samples[max(1, len(samples) // 4)]["rss_mb"]
    return {
        "files": args.files, "lines": args.lines, "requests": args.requests,
        "did_change": args.requests // 5, "seconds": round(elapsed, 1),
        "rss_mb": samples, "rss_mb_after_warmup": warm,
        "growth_after_warmup_mb": round(samples[-1]["rss_mb"] - warm, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--cursors", type=int, default=400, help="distinct cursor places")
    parser.add_argument("--batch", type=int, default=20, help="requests in flight at once")
    parser.add_argument("--every", type=int, default=1000, help="RSS sample interval")
    args = parser.parse_args()
    with (
        serve(llama, max_connections=10_000, lifetime_s=3600) as backend,
        tempfile.TemporaryDirectory() as root,
    ):
        result = asyncio.run(run(args, backend.url, Path(root)))
        result["backend_requests"] = len(backend.requests)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
