"""What line-anomaly flags keep on disk: model observations per context, ignored lines.

`LineCache` holds one `Observation` per (model, line context, request settings) in a
diskcache under the cache folder, so a line whose context did not change is never asked
again, by the editor or by the CLI. A damaged cache (a truncated or overwritten database, a
value file gone) is dropped and started afresh, and said so once through `on_damage`: flags
never stop over their cache, as completions never stop over theirs. `IgnoreList` remembers
the lines a user chose to ignore, one JSON file per workspace under the state folder, keyed
by the file's path relative to the workspace and the line's code (so it survives edits
elsewhere).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pathlib
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import diskcache

from linewright.features.anomalies.regenerate import Observation
from linewright.features.anomalies.select import normalise
from linewright.features.anomalies.window import LineContext

log = logging.getLogger(__name__)
T = TypeVar("T")

CACHE_VERSION = 1
"""Bumped whenever what an `Observation` means changes; old entries are then never read."""
CACHE_BYTES = 256 * 1024 * 1024


class LineCache:
    """Observations on disk (thread-safe; call from worker threads, it does file I/O).

    `on_damage` is called once, with a sentence for the user, when the database was found
    damaged and dropped (on the thread that found it). A second failure after that turns the
    disk off: every lookup misses, every write is skipped, flags go on without a cache.
    """

    def __init__(
        self,
        directory: pathlib.Path,
        size_limit: int = CACHE_BYTES,
        on_damage: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = directory
        self._size_limit = size_limit
        self._on_damage = on_damage
        self._lock = threading.Lock()
        self._recovered = False
        self._cache: diskcache.Cache | None = None
        try:
            self._cache = self._open()
        except Exception as exc:  # a damaged database cannot even be opened
            self._recover("open", exc, None)

    @staticmethod
    def key(model: str, ctx: LineContext, *request: Any) -> str:
        """Hash of everything the model's answer depends on."""
        data = [CACHE_VERSION, model, ctx.prefix, ctx.suffix, ctx.target, *request]
        return hashlib.sha256(json.dumps(data).encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str) -> Observation | None:
        """The cached observation, or None (also for unreadable entries)."""
        value = self._guard("read", lambda cache: cache.get(key))
        if not isinstance(value, dict):
            return None
        try:
            return _observation(value)
        except (KeyError, TypeError, ValueError):
            return None

    def set(self, key: str, observation: Observation) -> None:
        """Store an observation (on the fresh database when this one turns out damaged)."""
        value = dataclasses.asdict(observation)
        if self._guard("write", lambda cache: cache.set(key, value)) is None:
            self._guard("write", lambda cache: cache.set(key, value))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            cache, self._cache = self._cache, None
        if cache is not None:
            cache.close()

    def _open(self) -> diskcache.Cache:
        return diskcache.Cache(str(self.directory), size_limit=self._size_limit)

    def _guard(self, what: str, action: Callable[[diskcache.Cache], T]) -> T | None:
        """`action` on the database; None when it is busy, off, or was found damaged."""
        cache = self._cache
        if cache is None:
            return None
        try:
            return action(cache)
        except diskcache.Timeout:
            return None  # another process holds the lock: a miss, not damage
        except Exception as exc:  # sqlite3.DatabaseError, a value file gone, a bad pickle
            self._recover(what, exc, cache)
            return None

    def _recover(self, what: str, exc: Exception, broken: diskcache.Cache | None) -> None:
        """Drop the damaged database and open a fresh one, once; after that, go without."""
        cause = f"{type(exc).__name__}: {exc}"
        with self._lock:
            if broken is not None and self._cache is not broken:
                return  # another thread recovered already
            self._cache = None
            if broken is not None:
                _close_quietly(broken)
            if self._recovered:
                log.warning("flag line cache: failed again to %s (%s); going without", what, cause)
                return
            self._recovered = True
            outcome = self._restart()
        message = (
            f"Linewright: the line-flag cache at {self.directory} was damaged ({cause}); {outcome}."
        )
        log.warning("%s", message)
        if self._on_damage is not None:
            self._on_damage(message)

    def _restart(self) -> str:
        """Delete the database and open a new one; says what came of it."""
        _drop_database(self.directory)
        try:
            self._cache = self._open()
        except Exception as exc:  # a read-only or full folder
            return f"no new one can be made ({type(exc).__name__}), so flags go on without it"
        return "it was dropped and a new one started"


_VALUE_FOLDER = re.compile(r"^[0-9a-f]{2}$")


def _drop_database(directory: pathlib.Path) -> None:
    """Delete what diskcache keeps in `directory` (its database and value folders), only."""
    try:
        entries = list(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            if entry.name.startswith("cache.db"):
                entry.unlink()
            elif entry.is_dir() and _VALUE_FOLDER.match(entry.name):
                for path in sorted(entry.rglob("*"), reverse=True):
                    path.rmdir() if path.is_dir() else path.unlink()
                entry.rmdir()
        except OSError as exc:
            log.debug("flag line cache: cannot delete %s (%s)", entry, exc)


def _close_quietly(cache: diskcache.Cache) -> None:
    try:
        cache.close()
    except Exception as exc:  # closing a damaged database may fail too; it is dropped anyway
        log.debug("flag line cache: close failed (%s)", exc)


def _observation(value: dict[str, Any]) -> Observation:
    def floats(v: Any) -> tuple[float, ...] | None:
        return None if v is None else tuple(float(x) for x in v)

    divergence, tokens = value["divergence"], value["original_tokens"]
    alternative, choices = value["alternative"], value.get("best_tokens")
    return Observation(
        alternative=None if alternative is None else str(alternative),
        alternative_logprobs=floats(value["alternative_logprobs"]) or (),
        original_tokens=None if tokens is None else tuple(str(t) for t in tokens),
        original_logprobs=floats(value["original_logprobs"]),
        best_logprobs=floats(value["best_logprobs"]),
        divergence=None if divergence is None else (float(divergence[0]), float(divergence[1])),
        best_tokens=None if choices is None else tuple(str(t) for t in choices),
    )


class IgnoreList:
    """Lines the user chose to ignore in one workspace (`root` None: keyed by absolute path)."""

    def __init__(self, state_dir: pathlib.Path, root: pathlib.Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        name = hashlib.sha256(str(self.root).encode("utf-8", "surrogatepass")).hexdigest()[:16]
        self.file = state_dir / "flag-ignores" / f"{name}.json"
        self._entries: set[tuple[str, str]] | None = None

    def _relative(self, path: pathlib.Path) -> str:
        path = path.resolve()
        if self.root is not None and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return path.as_posix()

    def _load(self) -> set[tuple[str, str]]:
        if self._entries is None:
            self._entries = set()
            try:
                data = json.loads(self.file.read_text(encoding="utf-8"))
                self._entries = {(str(p), str(c)) for p, c in data.get("lines", [])}
            except FileNotFoundError:
                pass  # nothing ignored yet
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                log.warning("cannot read %s (%s); starting a new ignore list", self.file, exc)
        return self._entries

    def contains(self, path: pathlib.Path, code: str) -> bool:
        """Whether this line (by its code, whitespace-insensitive) is ignored in `path`."""
        return (self._relative(path), normalise(code)) in self._load()

    def add(self, path: pathlib.Path, code: str) -> None:
        """Ignore this line from now on (written at once, atomically)."""
        entries = self._load()
        entries.add((self._relative(path), normalise(code)))
        self.file.parent.mkdir(parents=True, exist_ok=True)
        data = {"root": str(self.root), "lines": sorted(entries)}
        temporary = self.file.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(temporary, self.file)
