"""The filter's files: the shipped prior and the user's learned state (versioned JSON).

- `prior.json`, inside the package, is built by `tests/bench/build_filter_prior.py` from the
  coderec dev data (the command is in that script's docstring).
- `<state dir>/filter/model.json` is the user's: both stages' models plus the counters
  `linewright stats` shows. It is written atomically (temporary file, then rename). It holds
  weights and counts only, never code or suggestion text.

A missing, corrupt or outdated state file means the prior, said once in the log. Each state
carries a random `token`: `reset` writes a new one, and a server that finds a token other
than its own when saving adopts the file instead of overwriting it, so `linewright filter
--reset` works while editors run.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from linewright.core import paths
from linewright.features.filtering.features import CONTEXT_NAMES, SUGGESTION_NAMES
from linewright.features.filtering.model import OnlineLogit

log = logging.getLogger(__name__)

FOLDER = "filter"
FORMAT = "linewright-filter"
VERSION = 1
STATE_FILE = "model.json"
PRIOR_FILE = "prior.json"
STAGE2_NAMES = CONTEXT_NAMES + SUGGESTION_NAMES


def default_folder() -> Path:
    """Where the server keeps the learned state, and `linewright filter` reads it."""
    return paths.state_dir() / FOLDER


@dataclass
class Counters:
    """What the filter did with automatic requests, and what it learned."""

    requests: int = 0
    """Automatic requests decided on: skipped, or answered with suggestions."""
    skipped: int = 0
    """Requests stage 1 skipped (no model call)."""
    hidden: int = 0
    """Requests whose every suggestion stage 2 hid."""
    suggestions: int = 0
    """Suggestions stage 2 saw."""
    hidden_suggestions: int = 0
    explored: int = 0
    """Requests shown although the filter would have skipped or hidden them."""
    explored_rejected: int = 0
    explored_accepted: int = 0
    learned: int = 0
    """Outcomes learned from."""

    @classmethod
    def from_json(cls, data: Any) -> Counters:
        known = {f.name for f in fields(cls)}
        values = data if isinstance(data, dict) else {}
        return cls(**{k: int(v) for k, v in values.items() if k in known and _count(v)})

    @property
    def hide_rate(self) -> float | None:
        """Share of automatic requests the user saw nothing for, because of the filter."""
        return (self.skipped + self.hidden) / self.requests if self.requests else None

    @property
    def estimated_precision(self) -> float | None:
        """Share of explored would-be-hidden suggestions the user rejected."""
        decided = self.explored_rejected + self.explored_accepted
        return self.explored_rejected / decided if decided else None


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass
class FilterState:
    """Both stages, the counters, and where it came from."""

    stage1: OnlineLogit
    stage2: OnlineLogit
    counters: Counters = field(default_factory=Counters)
    source: str = ""
    """How the weights started (the prior's description)."""
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "source": self.source,
            "token": self.token,
            "stage1": self.stage1.to_json(),
            "stage2": self.stage2.to_json(),
            "counters": asdict(self.counters),
        }


def state_from_json(data: Any) -> FilterState:
    """The state in `data`; ValueError when it is not a whole state of this version."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a filter model file")
    if data.get("version") != VERSION:
        raise ValueError(f"version {data.get('version')!r}, this Linewright reads {VERSION}")
    return FilterState(
        OnlineLogit.from_json(data.get("stage1"), CONTEXT_NAMES),
        OnlineLogit.from_json(data.get("stage2"), STAGE2_NAMES),
        Counters.from_json(data.get("counters")),
        str(data.get("source", "")),
        str(data.get("token") or secrets.token_hex(8)),
    )


def load_prior() -> FilterState:
    """A fresh state from the shipped prior (new token, zero counters)."""
    text = resources.files(__package__).joinpath(PRIOR_FILE).read_text(encoding="utf-8")
    state = state_from_json(json.loads(text))
    return FilterState(state.stage1, state.stage2, Counters(), state.source)


def read(folder: Path) -> FilterState:
    """The state file in `folder` (OSError, ValueError, ... when missing or unusable)."""
    return state_from_json(json.loads((folder / STATE_FILE).read_text(encoding="utf-8")))


def load(folder: Path) -> FilterState:
    """The learned state in `folder`, or the prior (and one log line saying why)."""
    path = folder / STATE_FILE
    try:
        return read(folder)
    except FileNotFoundError:
        log.info("suggestion filter: no learned model yet (%s); starting from the prior", path)
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
        log.warning("suggestion filter: cannot use %s (%s); starting from the prior", path, exc)
    return load_prior()


def replaced(folder: Path, token: str) -> FilterState | None:
    """The usable state on disk when it is not the one named `token` (a reset), else None."""
    try:
        state = read(folder)
    except (OSError, UnicodeDecodeError, ValueError, TypeError):
        return None
    return None if state.token == token else state


def save(folder: Path, state: FilterState) -> None:
    """Write `state` atomically (OSError when the folder is not writable)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".model-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state.to_json(), out, separators=(",", ":"))
        os.replace(temporary, folder / STATE_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def reset(folder: Path) -> FilterState:
    """Forget what was learned: the prior, saved with a new token."""
    state = load_prior()
    save(folder, state)
    return state
