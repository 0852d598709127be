"""Completion speed: our overhead per request, typing along, cold vs warm, model overhead, RSS.

Usage: python tests/bench/completion.py [--samples N] [--skip-model] [--skip-rss]
Prints one JSON object; times in milliseconds.

- `overhead`: `lsp.completion.suggest` through `App.completions` (document lookup, context,
  typing-along check, gate,
  prompt, cache, post-processing, staleness checks) plus `convert`, on generated Python
  files of 100, 2,000 and 20,000 lines, against an instant scripted backend (none of it is
  the backend's time); cursors on a new empty line in a body or at a statement's end.
  `miss`: new requests; `hit`: the same again, from memory. `cpu`: the event-loop thread's
  CPU time (what other processes on a busy machine cannot inflate). No JSON-RPC framing.
- `typing_along`: keystrokes that follow the suggestion on screen.
- `model` (default embedded model): `feature_vs_raw` alternates the whole path with the
  same request sent straight to the backend on a warm server; `cold_first_ms` is start-up
  to the first answer; `miss_ms`, `memory_hit_ms`, `disk_hit_ms` (new feature, same folder).
- `rss_mb`: `linewright serve` (and its model process) with the three files open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from linewright.app import App
from linewright.config import CompletionSettings, Settings
from linewright.core.llm.types import Backend, BackendInfo, Choice, CompletionRequest, Generation
from linewright.core.positions import Position, Range
from linewright.features.completion import CompletionFeature, Suggestion, Trigger
from linewright.lsp import convert
from linewright.lsp.completion import clamp, suggest
from linewright.lsp.server import LinewrightServer

HEAD = '"""Generated."""\n\nimport math\nimport os\nfrom dataclasses import dataclass\n\n\n'
UNIT = """@dataclass
class Record{i}:
    name: str
    size: int = {i}

    def scaled(self, factor: float) -> float:
        total = self.size * factor
        if total > {i}:
            total = math.sqrt(total)
        return total


def load_{i}(path: str) -> list[Record{i}]:
    records = []
    with open(os.path.expanduser(path), encoding="utf-8") as handle:
        for line in handle:
            records.append(Record{i}(line.strip()))
    return records


"""
Slot = tuple[int, int]


def generate(lines: int) -> tuple[str, list[Slot]]:
    """A Python file of `lines` lines, and its body statements as (line, indentation)."""
    text, slots, i = HEAD, [], 0
    while text.count("\n") + UNIT.count("\n") <= lines:
        base = text.count("\n")
        for number, line in enumerate(UNIT.format(i=i).splitlines()):
            indent = len(line) - len(line.lstrip())
            if indent >= 4 and " = " in line and ":" not in line.split(" = ")[0]:
                slots.append((base + number, indent))
        text, i = text + UNIT.format(i=i), i + 1
    return text + "# padding\n" * (lines - text.count("\n")), slots


class Instant:
    """A backend that answers at once: a statement on an empty line, else a comment."""

    name = "instant"

    async def info(self) -> BackendInfo:
        return BackendInfo("instant", "instant://", "scripted", supports_fim=True, n_ctx=4096)

    async def complete(self, request: CompletionRequest) -> Generation:
        empty_line = not request.prefix.rsplit("\n", 1)[-1].strip()
        text = "checked = validate(total, records)" if empty_line else "  # checked"
        return Generation((Choice(text, "stop"),))

    async def tokenize(self, text: str) -> list[int] | None:
        return None


def percentiles(ms: list[float], cpu: list[float] | None = None) -> dict[str, object]:
    """p50/p95/p99 of wall times, and of the event-loop thread's CPU times when given."""
    q = statistics.quantiles(ms, n=100, method="inclusive")
    out: dict[str, object] = {"n": len(ms), **{f"p{k}": round(q[k - 1], 3) for k in (50, 95, 99)}}
    if cpu:
        out["cpu"] = percentiles(cpu)
    return out


@dataclass
class Bench:
    """A server (no transport) with one open document."""

    ls: LinewrightServer
    uri: str
    slots: list[Slot]
    cpu: list[float] = field(default_factory=list)

    @classmethod
    def open(cls, text: str, slots: list[Slot], feature: Callable[..., CompletionFeature]) -> Bench:
        ls = LinewrightServer()
        ls.app.settings = Settings(completion=CompletionSettings(debounce_ms=200))
        ls.app.completion = feature(lambda: ls.settings.completion)
        ls.app.completion.cache.flush(30)  # the disk layer is open
        ls.documents.open("file:///bench/gen.py", "python", 1, text)
        return cls(ls, "file:///bench/gen.py", slots)

    def edit(self, start: Position, end: Position, text: str) -> None:
        version = self.ls.documents.get(self.uri).version + 1  # type: ignore[union-attr]
        self.ls.documents.change(self.uri, version, [(Range(start, end), text)])

    async def timed(self, line: int, column: int, trigger: Trigger) -> tuple[float, Any]:
        """Wall time of one request (its thread CPU time goes to `self.cpu`)."""
        at = types.Position(line=line, character=column)
        start, cpu = time.perf_counter(), time.thread_time()
        doc = self.ls.documents.get(self.uri)
        assert doc is not None
        out = await suggest(self.ls, doc, clamp(doc, at), trigger)
        convert.inline_completion_list(out, at)
        self.cpu.append((time.thread_time() - cpu) * 1000)
        return (time.perf_counter() - start) * 1000, out

    async def request(self, slot: Slot, empty: bool = True) -> tuple[float, list[Suggestion]]:
        """A timed invoked request at `slot`, not answerable by typing along."""
        self.ls.app.completion.forget(self.uri)
        return await self.at(slot, empty, lambda ln, col: self.timed(ln, col, Trigger.INVOKED))

    async def at(self, slot: Slot, empty: bool, run: Callable) -> Any:
        """`run(line, column)` on a new empty line under `slot` (removed after), or its end."""
        line, indent = slot
        end = len(self.ls.documents.get(self.uri).line_text(line))  # type: ignore[union-attr]
        if not empty:
            return await run(line, end)
        self.edit(Position(line, end), Position(line, end), "\n" + " " * indent)
        try:
            return await run(line + 1, indent)
        finally:
            self.edit(Position(line, end), Position(line + 1, indent), "")


def on(backend: Any, folder: pathlib.Path | None) -> Callable[..., CompletionFeature]:
    return lambda settings: CompletionFeature(lambda: backend, settings, cache_dir=folder)


async def overhead(lines: int, samples: int, tmp: pathlib.Path) -> dict[str, object]:
    """Miss and hit overhead with the instant backend, and the file's first request."""
    text, slots = generate(lines)
    runs: dict[str, tuple[list[float], list[float]]] = {"miss": ([], []), "hit": ([], [])}
    answered: list[bool] = []
    while len(runs["miss"][0]) < samples:  # a new cache (memory, folder) once cursors run out
        bench = Bench.open(text, slots, on(Instant(), tmp / f"{lines}-{len(answered)}"))
        work = [(slot, empty) for slot in slots for empty in (True, False)]
        work = work[: samples - len(runs["miss"][0])]
        for wall, cpu in runs.values():
            for slot, empty in work:
                ms, out = await bench.request(slot, empty)
                wall.append(ms)
                cpu.append(bench.cpu[-1])
                answered.append(bool(out))
    first = runs["miss"][0].pop(0), runs["miss"][1].pop(0)
    return {
        "first_request_ms": round(first[0], 2),
        **{name: percentiles(*times) for name, times in runs.items()},
        "answered_share": round(sum(answered) / len(answered), 3),
    }


async def typing_along(lines: int, sessions: int, tmp: pathlib.Path) -> dict[str, object]:
    """Type the first 12 characters of the statement suggested on an empty line."""
    text, slots = generate(lines)
    bench = Bench.open(text, slots, on(Instant(), tmp / f"along-{lines}"))
    hits: tuple[list[float], list[float]] = ([], [])
    misses = 0

    async def session(line: int, column: int) -> None:
        nonlocal misses
        _, shown = await bench.timed(line, column, Trigger.INVOKED)
        typed = shown[0].text[:12] if shown else ""
        for k, char in enumerate(typed):
            bench.edit(Position(line, column + k), Position(line, column + k), char)
            ms, along = await bench.timed(line, column + k + 1, Trigger.AUTOMATIC)
            if [s.text for s in along] == [shown[0].text[k + 1 :]]:
                hits[0].append(ms)
                hits[1].append(bench.cpu[-1])
            else:
                misses += 1
        bench.edit(Position(line, column), Position(line, column + len(typed)), "")

    for slot in slots[:sessions]:
        await bench.at(slot, True, session)
    return {"hit": percentiles(*hits), "misses": misses}


class Recorder:
    """The real backend, recording what it is sent."""

    def __init__(self, inner: Backend) -> None:
        self.inner, self.name, self.sent = inner, inner.name, [CompletionRequest("")]

    async def complete(self, request: CompletionRequest) -> Generation:
        self.sent.append(request)
        return await self.inner.complete(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def model_figures(tmp: pathlib.Path, prompts: int, rounds: int) -> dict[str, object]:
    """The default embedded model: cold start, whole path vs the same raw call, cache hits."""
    text, slots = generate(2000)
    start = time.perf_counter()
    runtime = App(Settings())
    runtime.start()
    backend = Recorder(runtime.backend())
    no_cache = CompletionSettings(cache_entries=0)
    bench = Bench.open(text, slots, lambda _: CompletionFeature(lambda: backend, lambda: no_cache))
    await bench.request(slots[0])
    figures: dict[str, object] = {"cold_first_ms": round((time.perf_counter() - start) * 1000)}
    figures["feature_vs_raw"] = await feature_vs_raw(bench, backend, prompts, rounds)
    folder = tmp / "model-cache"
    first = Bench.open(text, slots, on(backend, folder))
    figures["miss_ms"] = round((await first.request(slots[3]))[0], 1)
    figures["memory_hit_ms"] = round((await first.request(slots[3]))[0], 2)
    await first.request(slots[5])
    await first.ls.app.completion.aclose()
    second = Bench.open(text, slots, on(backend, folder))  # a restart: memory is empty
    # its first request also measures the tokenizer once (a backend call): not a pure hit
    figures["restart_first_hit_ms"] = round((await second.request(slots[5]))[0], 2)
    figures["disk_hit_ms"] = round((await second.request(slots[3]))[0], 2)
    await runtime.aclose()
    return figures


async def feature_vs_raw(bench: Bench, backend: Recorder, prompts: int, rounds: int) -> dict:
    """Alternate (ABBA) the whole path with the request it sends, sent straight to the backend."""
    pairs: list[tuple[float, float]] = []

    async def compare(line: int, column: int) -> None:
        await bench.timed(line, column, Trigger.INVOKED)  # also warms the server's prompt cache
        request = backend.sent[-1]

        async def raw() -> float:
            start = time.perf_counter()
            await backend.complete(request)
            return (time.perf_counter() - start) * 1000

        async def whole() -> float:
            bench.ls.app.completion.forget(bench.uri)
            ms, _ = await bench.timed(line, column, Trigger.INVOKED)
            assert backend.sent[-1] == request, "the feature sent another request"
            return ms

        for r in range(rounds):
            if r % 2:
                pairs.append((await whole(), await raw()))
            else:
                took = await raw()
                pairs.append((await whole(), took))

    for slot in bench.slots[1 :: max(1, len(bench.slots) // prompts)][:prompts]:
        await bench.at(slot, True, compare)
    ratios = sorted(whole / raw for whole, raw in pairs)
    return {
        "pairs": len(pairs),
        "feature_p50_ms": round(statistics.median(w for w, _ in pairs), 1),
        "raw_p50_ms": round(statistics.median(r for _, r in pairs), 1),
        "difference_p50_ms": round(statistics.median(w - r for w, r in pairs), 1),
        "ratio_median": round(statistics.median(ratios), 4),
        "ratio_mean": round(statistics.fmean(ratios), 4),
        "ratio_max": round(ratios[-1], 4),
    }


def rss_mb(pid: int) -> float:
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return round(int(status.split("VmRSS:")[1].split()[0]) / 1024, 1)


def children(pid: int) -> set[int]:
    return {int(c) for c in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


async def server_rss(with_model: bool) -> dict[str, float]:
    """RSS of `linewright serve` (and its model process) with the three generated files open."""
    before = children(os.getpid())
    client = LanguageClient("bench", "0")
    await client.start_io(sys.executable, "-m", "linewright", "serve")
    (server,) = children(os.getpid()) - before
    options: dict[str, Any] = {"completion": {"debounceMs": 0}}
    if not with_model:  # a backend that is not there: documents and pipeline only
        options["backend"] = {"kind": "llamacpp", "url": "http://127.0.0.1:9"}
    caps = types.ClientCapabilities()
    await client.initialize_async(types.InitializeParams(caps, initialization_options=options))
    client.initialized(types.InitializedParams())
    invoked = types.CompletionContext(types.CompletionTriggerKind.Invoked)
    for lines in (100, 2000, 20000):
        text, slots = generate(lines)
        item = types.TextDocumentItem(f"file:///bench/rss{lines}.py", "python", 1, text)
        client.text_document_did_open(types.DidOpenTextDocumentParams(item))
        for line, _ in slots[:5]:
            at = types.Position(line, len(text.splitlines()[line]))
            document = types.TextDocumentIdentifier(item.uri)
            await client.text_document_completion_async(
                types.CompletionParams(document, at, invoked)
            )
    out = {"server": rss_mb(server), **{f"model_{pid}": rss_mb(pid) for pid in children(server)}}
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return out


async def run(args: argparse.Namespace) -> dict[str, object]:
    figures: dict[str, object] = {"cpu_count": os.cpu_count(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as folder:
        tmp = pathlib.Path(folder)
        sizes = (100, 2000, 20000)
        figures["overhead"] = {n: await overhead(n, args.samples, tmp) for n in sizes}
        figures["typing_along"] = {n: await typing_along(n, 30, tmp) for n in sizes}
        if not args.skip_model:
            figures["model"] = await model_figures(tmp, args.prompts, args.rounds)
        if not args.skip_rss:
            figures["rss_mb"] = await server_rss(with_model=not args.skip_model)
    figures["load_after"] = os.getloadavg()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300, help="requests per file size")
    parser.add_argument("--prompts", type=int, default=8, help="model prompts compared")
    parser.add_argument("--rounds", type=int, default=3, help="comparisons per prompt")
    parser.add_argument("--skip-model", action="store_true", help="no embedded model figures")
    parser.add_argument("--skip-rss", action="store_true", help="no server RSS figure")
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
