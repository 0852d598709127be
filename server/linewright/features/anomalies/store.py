"""What line-anomaly flags keep on disk: model observations per context, ignored lines.

`LineCache` holds one `Observation` per (model, line context, request settings) in a
diskcache under the cache folder, so a line whose context did not change is never asked
again, by the editor or by the CLI. `IgnoreList` remembers the lines a user chose to
ignore, one JSON file per workspace under the state folder, keyed by the file's path
relative to the workspace and the line's code (so it survives edits elsewhere).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pathlib
from typing import Any

import diskcache

from linewright.features.anomalies.regenerate import Observation
from linewright.features.anomalies.select import normalise
from linewright.features.anomalies.window import LineContext

log = logging.getLogger(__name__)

CACHE_VERSION = 1
"""Bumped whenever what an `Observation` means changes; old entries are then never read."""
CACHE_BYTES = 256 * 1024 * 1024


class LineCache:
    """Observations on disk (thread-safe; call from worker threads, it does file I/O)."""

    def __init__(self, directory: pathlib.Path, size_limit: int = CACHE_BYTES) -> None:
        self._cache = diskcache.Cache(str(directory), size_limit=size_limit)

    @staticmethod
    def key(model: str, ctx: LineContext, *request: Any) -> str:
        """Hash of everything the model's answer depends on."""
        data = [CACHE_VERSION, model, ctx.prefix, ctx.suffix, ctx.target, *request]
        return hashlib.sha256(json.dumps(data).encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str) -> Observation | None:
        """The cached observation, or None (also for unreadable entries)."""
        value = self._cache.get(key)
        if not isinstance(value, dict):
            return None
        try:
            return _observation(value)
        except (KeyError, TypeError, ValueError):
            return None

    def set(self, key: str, observation: Observation) -> None:
        """Store an observation."""
        self._cache.set(key, dataclasses.asdict(observation))

    def close(self) -> None:
        """Close the database."""
        self._cache.close()


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
