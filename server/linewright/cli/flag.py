"""`linewright flag PATH... [--format text|json|sarif] [--min-score S] [--fail-on-flag]`.

The CI front door of line-anomaly flags: the same `AnomalyFeature` (and line cache and
ignore list) as the editor's diagnostics, over files and directories (walked respecting
`.gitignore`). The report goes to stdout, progress to stderr. Exit codes: 0 done, 1 lines
flagged with `--fail-on-flag`, 2 a path or the backend failed (flags found before a backend
failure are still reported).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import pathlib
import sys

from linewright import config
from linewright.app import App
from linewright.cli.common import BAD_INPUT, FOUND, OK, Loaded, print_problems, progress_line, say
from linewright.core.documents import Document
from linewright.core.errors import BackendError, LinewrightError
from linewright.core.syntax.languages import language_for
from linewright.features.anomalies import AnomalyFeature, Snapshot
from linewright.features.anomalies.sarif import (
    FileReport,
    json_report,
    sarif_report,
    text_report,
)
from linewright.features.anomalies.select import split_lines
from linewright.features.anomalies.walk import iter_files

MAX_FILE_BYTES = 5 * 1024 * 1024


class _Progress:
    """One status line on stderr: rewritten in place on a terminal, else one per file."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.tty = sys.stderr.isatty()

    def file(self, index: int, path: pathlib.Path, done: int, lines: int) -> None:
        text = f"linewright flag: [{index}/{self.total}] {path}: {done}/{lines} lines"
        if self.tty:
            print(f"\r\x1b[K{text}", end="", file=sys.stderr, flush=True)
        elif done == lines:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)


def _settings(settings: config.Settings, min_score: float | None) -> config.Settings:
    if min_score is None:
        return settings
    if not 0.0 <= min_score <= 1.0:
        raise LinewrightError(f"--min-score must be between 0 and 1, got {min_score}")
    flag = dataclasses.replace(settings.flag, min_score=min_score)
    return dataclasses.replace(settings, flag=flag)


def _document(path: pathlib.Path) -> Document:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LinewrightError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB, skipped")
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise LinewrightError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return Document(path.resolve().as_uri(), "", 0, text)


async def _scan_all(
    feature: AnomalyFeature, files: list[pathlib.Path]
) -> tuple[list[FileReport], list[str]]:
    """Every file in order; the first backend failure ends the run (reported once)."""
    reports: list[FileReport] = []
    problems: list[str] = []
    progress = _Progress(len(files))
    try:
        for index, path in enumerate(files, 1):
            try:
                doc = _document(path)
            except LinewrightError as exc:
                problems.append(str(exc))
                continue
            result = await feature.scan(
                Snapshot.of(doc), progress=functools.partial(progress.file, index, path)
            )
            reports.append(FileReport(path, split_lines(doc.text), result.flags))
            if result.error:
                problems.append(f"backend failed while scanning {path}: {result.error}")
                break
    finally:
        progress.close()
    return reports, problems


async def run(args: argparse.Namespace, loaded: Loaded) -> int:
    """Scan the given paths and print the report; see the module docstring for exit codes."""
    print_problems(loaded.problems)
    try:
        settings = _settings(loaded.settings, args.min_score)
    except LinewrightError as exc:
        say(str(exc))
        return BAD_INPUT
    missing = [p for p in args.paths if not p.exists()]
    found = list(iter_files(p for p in args.paths if p.exists()))
    files = [p for p in found if _supported(p)]
    skipped = [p for p in args.paths if p.is_file() and not _supported(p)]
    root = pathlib.Path.cwd()
    app = App(settings, progress=progress_line, workspace_root=root)
    try:
        reports, failures = await _scan_all(app.anomalies, files)
    except BackendError as exc:  # before any line: the backend never answered
        reports, failures = [], [f"backend failed: {exc} ({exc.url}); check `linewright doctor`"]
    finally:
        await app.aclose()
    failures = [f"no such file or directory: {p}" for p in missing] + failures
    failures += [f"{p}: not a language Linewright knows; nothing to flag" for p in skipped]
    if not files and not failures:
        failures.append("no file of a language Linewright knows in the given paths")
    _print(args.format, reports, root)
    for failure in failures:
        say(failure)
    if failures:
        return BAD_INPUT
    flagged = any(report.flags for report in reports)
    return FOUND if args.fail_on_flag and flagged else OK


def _supported(path: pathlib.Path) -> bool:
    """A file of a language the line flags know (by extension)."""
    return language_for("", path.name) is not None


def _print(fmt: str, reports: list[FileReport], root: pathlib.Path) -> None:
    if fmt == "json":
        print(json.dumps(json_report(reports, root), ensure_ascii=False, indent=1))
    elif fmt == "sarif":
        print(json.dumps(sarif_report(reports, root), ensure_ascii=False, indent=1))
    else:
        for line in text_report(reports, root):
            print(line)
