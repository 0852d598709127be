"""The files `linewright flag DIR` looks at: source files under a directory, minus ignored ones.

`.gitignore` files are honoured at every level as git reads them: blank lines and `#` lines
skipped, `!` re-includes, a trailing `/` matches directories only, a pattern with a slash
elsewhere is anchored to its file's directory, `*`, `?`, `[...]` and `**` glob, the last
matching pattern wins, and an ignored directory is not entered (so nothing below it can be
re-included). `.git` and other VCS folders are never entered. Only files of a language with
a grammar are taken from directories; files named explicitly are always scanned.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from linewright.core.syntax.languages import LANGUAGES

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".jj"})
SOURCE_SUFFIXES = frozenset(ext for spec in LANGUAGES for ext in spec.extensions)


@dataclass(frozen=True)
class Pattern:
    """One `.gitignore` line, compiled."""

    regex: re.Pattern[str]
    negate: bool
    directory_only: bool


def compile_pattern(line: str) -> Pattern | None:
    """A `.gitignore` line as a pattern over paths relative to the file's directory."""
    line = line.rstrip("\n").rstrip("\r")
    if not line.strip() or line.startswith("#"):
        return None
    line = re.sub(r"(?<!\\)\s+$", "", line)  # unescaped trailing spaces are ignored
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    if line.startswith("\\"):
        line = line[1:]  # "\#file", "\!file"
    directory_only = line.endswith("/")
    line = line.rstrip("/")
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    prefix = "" if anchored else "(?:.*/)?"
    return Pattern(re.compile(f"^{prefix}{body}$", re.DOTALL), negate, directory_only)


def _translate(glob: str) -> str:
    """Glob -> regex: `*` and `?` stay in one path segment, `**` crosses segments."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and "]" in glob[i + 2 :]:
            end = glob.index("]", i + 2)
            inner = glob[i + 1 : end].replace("\\", "\\\\")
            out.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
            i = end + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class IgnoreFile:
    """The patterns of one `.gitignore` and the directory they are relative to."""

    base: Path
    patterns: tuple[Pattern, ...]

    @classmethod
    def read(cls, directory: Path) -> IgnoreFile | None:
        """`directory/.gitignore`, or None when there is none (or it cannot be read)."""
        try:
            text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        compiled = (compile_pattern(line) for line in text.splitlines())
        return cls(directory, tuple(p for p in compiled if p is not None))


def is_ignored(path: Path, is_dir: bool, rules: Iterable[IgnoreFile]) -> bool:
    """Whether `path` is ignored by `rules` (outermost file first; the last match wins)."""
    ignored = False
    for rule in rules:
        try:
            relative = path.relative_to(rule.base).as_posix()
        except ValueError:
            continue
        for pattern in rule.patterns:
            if pattern.directory_only and not is_dir:
                continue
            if pattern.regex.match(relative):
                ignored = not pattern.negate
    return ignored


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named in `paths`, and the source files under the directories among them."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path, _outer_rules(path.resolve()))
        else:
            yield path


def _outer_rules(directory: Path) -> list[IgnoreFile]:
    """The `.gitignore`s of the directories above `directory`, up to its repository root."""
    found = []
    for parent in directory.parents:
        rule = IgnoreFile.read(parent)
        if rule is not None:
            found.append(rule)
        if (parent / ".git").exists():
            break
    return found[::-1]


def _walk(directory: Path, rules: list[IgnoreFile]) -> Iterator[Path]:
    own = IgnoreFile.read(directory.resolve())
    rules = [*rules, own] if own is not None else rules
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_ignored(path.resolve(), is_dir, rules):
            continue
        if is_dir and entry.name not in SKIPPED_DIRS:
            yield from _walk(path, rules)
        elif entry.is_file() and path.suffix.lower() in SOURCE_SUFFIXES:
            yield path
