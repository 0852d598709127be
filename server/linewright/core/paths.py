"""Where Linewright finds its own files (grammar queries) and keeps the user's (cache, state).

The grammar queries ship inside the wheel as `linewright/grammars` (pyproject force-includes
the top-level `grammars/` there); an editable or source checkout reads the repository's
`grammars/` directly. Cache, state and config folders follow the platform conventions
(platformdirs) and each can be redirected with an environment variable, which is how tests
keep the user's real folders untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "linewright"
CACHE_ENV = "LINEWRIGHT_CACHE_DIR"
STATE_ENV = "LINEWRIGHT_STATE_DIR"
CONFIG_ENV = "LINEWRIGHT_CONFIG_DIR"

# server/linewright/core/paths.py -> parents[3] is the repository root in a checkout.
_PACKAGED_GRAMMARS = Path(__file__).resolve().parents[1] / "grammars"
_CHECKOUT_GRAMMARS = Path(__file__).resolve().parents[3] / "grammars"


def grammars_dir() -> Path:
    """The folder holding `<language>/<purpose>.scm` query files.

    The packaged copy wins when it exists: an installed wheel has no repository around it.
    """
    if _PACKAGED_GRAMMARS.is_dir():
        return _PACKAGED_GRAMMARS
    return _CHECKOUT_GRAMMARS


def _from_env_or(env_name: str, default: str) -> Path:
    override = os.environ.get(env_name)
    # An empty variable counts as unset: `LINEWRIGHT_CACHE_DIR= cmd` should not mean ".".
    return Path(override).expanduser() if override else Path(default)


def cache_dir() -> Path:
    """Disposable data (completion cache, downloaded models); `LINEWRIGHT_CACHE_DIR` overrides."""
    return _from_env_or(CACHE_ENV, platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """Data worth keeping between runs (telemetry, logs); `LINEWRIGHT_STATE_DIR` overrides."""
    return _from_env_or(STATE_ENV, platformdirs.user_state_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user's configuration files; `LINEWRIGHT_CONFIG_DIR` overrides."""
    return _from_env_or(CONFIG_ENV, platformdirs.user_config_dir(APP_NAME, appauthor=False))
