"""The `linewright` command: `serve`, `complete`, `doctor`, `flag`, `testgen`, `stats`, `filter`.

A second front door beside `lsp/`: each command module builds the same `App` and calls the
same feature code, so `linewright complete` shows exactly what an editor would get. One
module per command (`cli/<name>.py`, exposing `async def run(args, loaded) -> int`),
imported only when that command runs; the table below is the one list of commands.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import pathlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linewright import __version__

log = logging.getLogger("linewright")


@dataclass(frozen=True)
class CliCommand:
    """One subcommand: its module under `linewright.cli` and how its arguments look."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]


def _complete(p: argparse.ArgumentParser) -> None:
    p.add_argument("location", help="FILE:LINE:COL, 1-based line and column")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _json_only(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=pathlib.Path, help="files or directories")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument("--min-score", type=float, help="flag lines scoring at least this (0..1)")
    p.add_argument("--fail-on-flag", action="store_true", help="exit 1 when a line is flagged")


def _stats(p: argparse.ArgumentParser) -> None:
    _json_only(p)
    p.add_argument("--export", metavar="FILE.jsonl", help="write every event as JSONL")


def _filter(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reset", action="store_true", help="forget what it learned")
    _json_only(p)


def _testgen(p: argparse.ArgumentParser) -> None:
    p.add_argument("location", help="FILE:LINE, a 1-based line inside the function")
    p.add_argument("--write", action="store_true", help="write the test file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-model", action="store_true", help="only execution-derived tests")


COMMANDS: tuple[CliCommand, ...] = (
    CliCommand("complete", "the suggestion at a cursor", _complete),
    CliCommand("doctor", "check settings, model, backend, test sandbox", _json_only),
    CliCommand("flag", "flag lines the model would not write", _flag),
    CliCommand("stats", "suggestion acceptance rates", _stats),
    CliCommand("filter", "the suggestion filter's status", _filter),
    CliCommand("testgen", "verified tests for a function", _testgen),
)
"""Every subcommand but `serve`; `linewright.cli.<name>.run` implements each."""


def _global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """Options valid before or after the subcommand (`linewright complete X --url U`)."""
    keep: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument("--backend", choices=["embedded", "llamacpp", "openai", "ollama"], **keep)
    parser.add_argument("--url", help="model server base URL", **keep)
    parser.add_argument("--model", help="model name (OpenAI-compatible, Ollama)", **keep)
    parser.add_argument("--config", type=pathlib.Path, help="extra TOML settings file", **keep)
    verbose: dict[str, Any] = {"default": 0} if defaults else keep
    parser.add_argument("-v", "--verbose", action="count", help="more logging", **verbose)


def parser() -> argparse.ArgumentParser:
    """The whole command line."""
    top = argparse.ArgumentParser(prog="linewright", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"linewright {__version__}")
    _global_options(top, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)
    sub = top.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", parents=[common], help="run the language server (stdio)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    for command in COMMANDS:
        command.arguments(sub.add_parser(command.name, parents=[common], help=command.help))
    return top


def _setup_logging(verbosity: int) -> None:
    # stderr only: in stdio mode stdout carries the LSP stream
    level = logging.WARNING - 10 * min(verbosity, 2)
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s"
    )
    from linewright.core.logs import quiet_libraries, redact_secrets

    redact_secrets(logging.getLogger())
    quiet_libraries(verbosity)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `linewright` console script."""
    args = parser().parse_args(argv)
    _setup_logging(args.verbose)
    if args.command == "serve":
        from linewright.cli.serve import serve

        return serve(args)
    from linewright.cli.common import load_settings

    module = importlib.import_module(f"linewright.cli.{args.command}")
    try:
        return int(asyncio.run(module.run(args, load_settings(args))))
    except KeyboardInterrupt:
        print("linewright: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
