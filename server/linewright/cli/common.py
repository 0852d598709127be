"""What every CLI command shares: settings loading, input parsing, messages, exit codes.

Exit codes (documented in the README): 0 done; 1 the command ran and found a problem
(unhealthy doctor, lines flagged with `--fail-on-flag`, no test kept, backend failed);
2 bad input (a path, a position, an unsupported file, an option out of range).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from dataclasses import dataclass

from linewright import config
from linewright.core import paths
from linewright.core.documents import Document
from linewright.core.errors import LinewrightError

OK, FOUND, BAD_INPUT = 0, 1, 2
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Loaded:
    """The settings a CLI run uses, with what was wrong in them and where they came from."""

    settings: config.Settings
    problems: list[config.Problem]
    sources: list[str]


def load_settings(args: argparse.Namespace) -> Loaded:
    """Settings for a CLI run: the current directory is the workspace."""
    backend = {
        k: v for k, v in (("kind", args.backend), ("url", args.url), ("model", args.model)) if v
    }
    settings, problems, sources = config.load(
        user_file=paths.config_dir() / "config.toml",
        workspace_root=pathlib.Path.cwd(),
        extra_file=args.config,
        overrides={"backend": backend} if backend else {},
    )
    return Loaded(settings, problems, sources)


def say(message: str) -> None:
    """One line for the user on stderr (stdout stays parseable)."""
    print(f"linewright: {message}", file=sys.stderr, flush=True)


def progress_line(message: str) -> None:
    """The CLI's progress report for model start-up."""
    say(message)


def print_problems(problems: list[config.Problem]) -> None:
    """Each invalid setting, once, before the command runs with its default."""
    for problem in problems:
        say(f"invalid setting, using the default: {problem}")


def parse_location(location: str) -> tuple[pathlib.Path, int, int]:
    """`FILE:LINE:COL` (1-based; COL counts characters) -> (path, line, col)."""
    head, _, col = location.rpartition(":")
    file, _, line = head.rpartition(":")
    if not file or not line.isdigit() or not col.isdigit() or int(line) < 1 or int(col) < 1:
        raise LinewrightError(f"expected FILE:LINE:COL with 1-based numbers, got {location!r}")
    return pathlib.Path(file), int(line), int(col)


def parse_file_line(location: str) -> tuple[pathlib.Path, int]:
    """`FILE:LINE` (1-based) -> (path, line)."""
    file, _, line = location.rpartition(":")
    if not file or not line.isdigit() or int(line) < 1:
        raise LinewrightError(f"expected FILE:LINE with a 1-based line, got {location!r}")
    return pathlib.Path(file), int(line)


def read_document(path: pathlib.Path) -> Document:
    """A `Document` for a file on disk (language from its extension); clear errors for a
    missing, unreadable, non-regular or oversized file."""
    try:
        if not path.is_file():
            what = "it is a directory" if path.is_dir() else "it does not exist"
            raise LinewrightError(f"cannot read {path}: {what}; give a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LinewrightError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise LinewrightError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text = data.decode("utf-8", errors="replace")
    return Document(path.resolve().as_uri(), "", 0, text)


def check_line(doc: Document, path: pathlib.Path, line: int) -> None:
    """A 1-based line number that lies inside the file."""
    if line > max(doc.line_count, 1):
        raise LinewrightError(f"{path} has {doc.line_count} lines; line {line} is past its end")
