"""Which files never leave the machine as context for the model (content exclusion).

A file is excluded when any of these holds:

- **It looks like a secret.** Its name matches `SECRET_NAMES` (`.env*`, keys, certificates,
  credential and token files; case-insensitive), or it lies in a folder that holds keys
  (`SECRET_FOLDERS`: `.ssh`, `.gnupg`, `.aws`). Always on: a secret sent once is leaked.
- **Git ignores it.** The `.gitignore` files from the repository root (the nearest folder
  above the file holding `.git`; else the workspace root when the file is inside it) down
  to the file's folder, read as git reads them (the matcher `linewright flag` uses, in
  `features.anomalies.walk`), an ignored folder ignoring everything below it.
- **The user said so.** The `context.exclude` setting: comma-separated globs in `.gitignore`
  syntax, relative to the workspace root (`secrets/`, `*.sql`, `config/prod.*`).

Decisions are cached per path for the life of a `ContextExclusion`: the LSP layer makes a
new one when the settings or the workspace change, and a `.gitignore` edited meanwhile
applies from then on.
"""

from __future__ import annotations

import fnmatch
import pathlib
from collections.abc import Iterable
from urllib.parse import unquote, urlparse

from linewright.features.anomalies.walk import IgnoreFile, Pattern, compile_pattern, is_ignored

SECRET_NAMES = (
    ".env", ".env.*", ".envrc", "*.env", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks",
    "*.keystore", "*.kdbx", "*.asc", "*.gpg", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    "credentials*", "*secret*", "*.token", ".npmrc", ".pypirc", ".netrc", "_netrc", ".pgpass",
    ".git-credentials", ".htpasswd", ".dockercfg", "*.tfvars", "*.tfstate",
    "service-account*.json",
)  # fmt: skip
"""File names (globs, matched lower-cased) that are never sent to a model."""
SECRET_FOLDERS = frozenset({".ssh", ".gnupg", ".aws"})
"""Folders whose files are never sent to a model."""
CACHED_PATHS = 4096
"""Decisions kept; beyond that the cache starts again (a long session opens many files)."""


def parse_patterns(text: str) -> tuple[str, ...]:
    """The globs of a `context.exclude` value: comma-separated, blanks dropped."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def uri_path(uri: str) -> pathlib.PurePosixPath | None:
    """The path a `file:` URI names (None for other schemes: untitled buffers, notebooks)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return pathlib.PurePosixPath(unquote(parsed.path))


def looks_secret(path: pathlib.PurePath) -> bool:
    """Whether `path` is named like a secret or lies in a folder that holds keys."""
    name = path.name.lower()
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in SECRET_NAMES):
        return True
    return any(part.lower() in SECRET_FOLDERS for part in path.parts[:-1])


class ContextExclusion:
    """Decides, per document, whether any of its text may go into a prompt."""

    def __init__(self, root: pathlib.Path | None = None, patterns: Iterable[str] = ()) -> None:
        self.root = root
        self.patterns = tuple(patterns)
        compiled = (compile_pattern(p) for p in self.patterns)
        self._user: tuple[Pattern, ...] = tuple(p for p in compiled if p is not None)
        self._decided: dict[str, bool] = {}
        self._ignore_files: dict[pathlib.Path, IgnoreFile | None] = {}

    def excludes(self, uri: str) -> bool:
        """Whether the document at `uri` must not be sent to the model, in part or whole."""
        decided = self._decided.get(uri)
        if decided is None:
            if len(self._decided) >= CACHED_PATHS:
                self._decided.clear()
            decided = self._decide(uri)
            self._decided[uri] = decided
        return decided

    def _decide(self, uri: str) -> bool:
        posix = uri_path(uri)
        if posix is None:
            name = urlparse(uri).path or uri
            return looks_secret(pathlib.PurePosixPath(unquote(name)))
        if looks_secret(posix) or self._user_excludes(posix):
            return True
        return self._git_ignores(pathlib.Path(posix))

    def _user_excludes(self, path: pathlib.PurePosixPath) -> bool:
        if not self._user:
            return False
        relative = path.as_posix().lstrip("/")
        if self.root is not None and path.is_relative_to(self.root.as_posix()):
            relative = path.relative_to(self.root.as_posix()).as_posix()
        folders = _folders_of(relative)
        excluded = False
        for pattern in self._user:  # as in a .gitignore: the last matching pattern wins
            # a pattern matching a folder excludes what is below it; `dir/` only folders
            candidates = folders if pattern.directory_only else [*folders, relative]
            if any(pattern.regex.match(candidate) for candidate in candidates):
                excluded = not pattern.negate
        return excluded

    def _git_ignores(self, path: pathlib.Path) -> bool:
        """The file, or a folder above it, is ignored by the `.gitignore`s that apply."""
        folders = self._folders(path)
        rules: list[IgnoreFile] = []
        for index, folder in enumerate(folders):
            if index and is_ignored(folder, True, rules):
                return True  # nothing below an ignored folder can be re-included
            rule = self._ignore_file(folder)
            if rule is not None:
                rules.append(rule)
        return bool(rules) and is_ignored(path, False, rules)

    def _folders(self, path: pathlib.Path) -> list[pathlib.Path]:
        """The folders from the repository root down to the file's own (see the docstring)."""
        parents = list(path.parents)
        for index, parent in enumerate(parents):
            if (parent / ".git").exists():
                return parents[: index + 1][::-1]
        if self.root is not None and path.is_relative_to(self.root):
            return [p for p in parents if p.is_relative_to(self.root)][::-1]
        return [path.parent]

    def _ignore_file(self, folder: pathlib.Path) -> IgnoreFile | None:
        if folder not in self._ignore_files:
            self._ignore_files[folder] = IgnoreFile.read(folder)
        return self._ignore_files[folder]


def _folders_of(relative: str) -> list[str]:
    """`a/b/c.py` -> `["a", "a/b"]`: the folders a `dir/` pattern may match."""
    parts = relative.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
