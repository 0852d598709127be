"""`linewright doctor [--json]`: settings sources, model file, backend health with one probe,
and the interpreter and sandbox test generation will use. Exit 1 when unhealthy."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from linewright.app import App
from linewright.cli.common import FOUND, OK, Loaded, progress_line
from linewright.core import paths
from linewright.core.errors import BackendError
from linewright.core.llm.model_store import DEFAULT_MODEL, is_verified, model_path
from linewright.core.llm.types import CompletionRequest


async def run(args: argparse.Namespace, loaded: Loaded) -> int:
    """`linewright doctor`: configuration, model file, backend health and one probe."""
    settings, problems, sources = loaded.settings, loaded.problems, loaded.sources
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
    app = App(settings, progress=None if args.json else progress_line)
    try:
        report.update(await _probe(app))
    finally:
        await app.aclose()
    report["healthy"] = report.get("reachable") is True and not problems
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>16}: {value}")
    return OK if report["healthy"] else FOUND


async def _probe(app: App) -> dict[str, Any]:
    """Backend info plus the latency of one tiny completion."""
    try:
        backend = app.backend()
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
