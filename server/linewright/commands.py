"""The CLI's `complete` and `doctor` commands (the `serve` command is `lsp/`)."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from typing import Any

from linewright import config
from linewright.core import paths
from linewright.core.documents import Document
from linewright.core.errors import BackendError, LinewrightError
from linewright.core.llm.model_store import DEFAULT_MODEL, is_verified, model_path
from linewright.core.llm.types import CompletionRequest
from linewright.core.positions import Position, utf16_len
from linewright.features.completion import Trigger
from linewright.features.completion.context import from_document
from linewright.runtime import Runtime

MAX_FILE_BYTES = 5 * 1024 * 1024


def parse_location(location: str) -> tuple[pathlib.Path, int, int]:
    """`FILE:LINE:COL` (1-based; COL counts characters) -> (path, line, col)."""
    head, _, col = location.rpartition(":")
    file, _, line = head.rpartition(":")
    if not file or not line.isdigit() or not col.isdigit() or int(line) < 1 or int(col) < 1:
        raise LinewrightError(f"expected FILE:LINE:COL with 1-based numbers, got {location!r}")
    return pathlib.Path(file), int(line), int(col)


def read_document(path: pathlib.Path) -> Document:
    """A `Document` for a file on disk (language from its extension)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LinewrightError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text = data.decode("utf-8", errors="replace")
    return Document(path.resolve().as_uri(), "", 0, text)


def _print_problems(problems: list[config.Problem]) -> None:
    for problem in problems:
        print(f"linewright: invalid setting, using the default: {problem}", file=sys.stderr)


async def complete(args: argparse.Namespace, loaded: tuple[Any, Any, Any]) -> int:
    """`linewright complete FILE:LINE:COL [--json]`: print the suggestion(s) at a cursor."""
    from linewright.cli import progress_line

    settings, problems, _ = loaded
    _print_problems(problems)
    try:
        path, line, col = parse_location(args.location)
        doc = read_document(path)
    except LinewrightError as exc:
        print(f"linewright: {exc}", file=sys.stderr)
        return 2
    text = doc.line_text(line - 1)
    position = Position(line - 1, utf16_len(text[: col - 1]))
    runtime = Runtime(settings, progress=progress_line)
    try:
        ctx = from_document(doc, position, Trigger.INVOKED)
        suggestions = await runtime.completion.suggest(ctx)
    except BackendError as exc:
        print(f"linewright: backend failed: {exc} ({exc.url})", file=sys.stderr)
        return 1
    finally:
        await runtime.aclose()
    cursor = {"line": position.line, "character": position.character}
    if args.json:
        out = [{"text": s.text, "range": {"start": cursor, "end": cursor}} for s in suggestions]
        print(json.dumps({"suggestions": out}, ensure_ascii=False))
    else:
        for s in suggestions:
            print(s.text)
    return 0


async def doctor(args: argparse.Namespace, loaded: tuple[Any, Any, Any]) -> int:
    """`linewright doctor`: configuration, model file, backend health and one probe."""
    from linewright.cli import progress_line

    settings, problems, sources = loaded
    report: dict[str, Any] = {
        "config_sources": ["defaults", *sources],
        "config_problems": [str(p) for p in problems],
        "backend": settings.backend.kind,
        "cache_dir": str(paths.cache_dir()),
        "state_dir": str(paths.state_dir()),
    }
    if settings.backend.kind == "embedded" and not settings.embedded.model_path:
        file = model_path(DEFAULT_MODEL, paths.cache_dir())
        report["model_file"] = str(file)
        report["model_file_ok"] = (
            is_verified(file, DEFAULT_MODEL) if file.exists() else "not fetched yet"
        )
    runtime = Runtime(settings, progress=None if args.json else progress_line)
    try:
        report.update(await _probe(runtime))
    finally:
        await runtime.aclose()
    report["healthy"] = report.get("reachable") is True and not problems
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>16}: {value}")
    return 0 if report["healthy"] else 1


async def _probe(runtime: Runtime) -> dict[str, Any]:
    """Backend info plus the latency of one tiny completion."""
    try:
        backend = runtime.backend()
        info = await backend.info()
        start = time.perf_counter()
        await backend.complete(CompletionRequest(prefix="def add(a, b):\n", max_tokens=4))
        latency_ms = (time.perf_counter() - start) * 1000
    except BackendError as exc:
        return {"reachable": False, "error": f"{exc} ({exc.url})"}
    return {
        "reachable": True,
        "url": info.url,
        "model": info.model,
        "fim": info.supports_fim,
        "fim_template": info.fim_template,
        "chat": info.supports_chat,
        "n_ctx": info.n_ctx,
        "probe_latency_ms": round(latency_ms, 1),
    }
