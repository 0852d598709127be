"""The `linewright` command: `serve`, `complete`, `doctor`.

A second front door beside `lsp/`: it builds the same `Runtime` and calls the same feature
code, so `linewright complete` shows exactly what an editor would get.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import pathlib
import sys
from typing import Any

from linewright import __version__, config
from linewright.core import paths

log = logging.getLogger("linewright")


def _global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """Options valid before or after the subcommand (`linewright complete X --url U`)."""
    keep: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument("--backend", choices=["embedded", "llamacpp", "openai", "ollama"], **keep)
    parser.add_argument("--url", help="model server base URL", **keep)
    parser.add_argument("--model", help="model name (OpenAI-compatible, Ollama)", **keep)
    parser.add_argument("--config", type=pathlib.Path, help="extra TOML settings file", **keep)
    verbose: dict[str, Any] = {"default": 0} if defaults else keep
    parser.add_argument("-v", "--verbose", action="count", help="more logging", **verbose)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linewright", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"linewright {__version__}")
    _global_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", parents=[common], help="run the language server (stdio)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    complete = sub.add_parser("complete", parents=[common], help="the suggestion at a cursor")
    complete.add_argument("location", help="FILE:LINE:COL, 1-based line and column")
    complete.add_argument("--json", action="store_true", help="machine-readable output")
    doctor = sub.add_parser("doctor", parents=[common], help="check settings, model, backend")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    flag = sub.add_parser("flag", parents=[common], help="flag lines the model would not write")
    flag.add_argument("paths", nargs="+", type=pathlib.Path, help="files or directories")
    flag.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    flag.add_argument("--min-score", type=float, help="flag lines scoring at least this (0..1)")
    flag.add_argument("--fail-on-flag", action="store_true", help="exit 1 when a line is flagged")
    stats = sub.add_parser("stats", parents=[common], help="suggestion acceptance rates")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.add_argument("--export", metavar="FILE.jsonl", help="write every event as JSONL")
    filters = sub.add_parser("filter", parents=[common], help="the suggestion filter's status")
    filters.add_argument("--reset", action="store_true", help="forget what it learned")
    filters.add_argument("--json", action="store_true", help="machine-readable output")
    testgen = sub.add_parser("testgen", parents=[common], help="verified tests for a function")
    testgen.add_argument("location", help="FILE:LINE, a 1-based line inside the function")
    testgen.add_argument("--write", action="store_true", help="write the test file")
    testgen.add_argument("--json", action="store_true", help="machine-readable output")
    testgen.add_argument("--no-model", action="store_true", help="only execution-derived tests")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    backend = {
        k: v for k, v in (("kind", args.backend), ("url", args.url), ("model", args.model)) if v
    }
    return {"backend": backend} if backend else {}


def load_settings(
    args: argparse.Namespace,
) -> tuple[config.Settings, list[config.Problem], list[str]]:
    """Settings for a CLI run: the current directory is the workspace."""
    return config.load(
        user_file=paths.config_dir() / "config.toml",
        workspace_root=pathlib.Path.cwd(),
        extra_file=args.config,
        overrides=_overrides(args),
    )


def _setup_logging(verbosity: int) -> None:
    # stderr only: in stdio mode stdout carries the LSP stream
    level = logging.WARNING - 10 * min(verbosity, 2)
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s"
    )


def progress_line(message: str) -> None:
    """The CLI's progress report for model start-up (stderr, so stdout stays parseable)."""
    print(f"linewright: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `linewright` console script."""
    args = _parser().parse_args(argv)
    _setup_logging(args.verbose)
    if args.command == "serve":
        return _serve(args)
    # heavier imports only for the command that runs; each command module exposes
    # `async def <command>(args, (settings, problems, sources)) -> int`
    module, function = COMMANDS[args.command]
    handler = getattr(importlib.import_module(module), function)
    return int(asyncio.run(handler(args, load_settings(args))))


COMMANDS: dict[str, tuple[str, str]] = {
    "complete": ("linewright.commands", "complete"),
    "doctor": ("linewright.commands", "doctor"),
    "testgen": ("linewright.testgen_command", "testgen"),
    "flag": ("linewright.flag_command", "flag"),
    "stats": ("linewright.stats_command", "stats"),
    "filter": ("linewright.filter_command", "filter_status"),
}
"""Subcommand -> (module, coroutine function). Add one line per new command."""


def _serve(args: argparse.Namespace) -> int:
    from linewright.lsp.setup import create_server

    server = create_server(config_file=args.config, overrides=_overrides(args) or None)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
