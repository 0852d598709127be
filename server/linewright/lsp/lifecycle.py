"""initialize / initialized / didChangeConfiguration: workspace, client, settings, backend.

The dispatcher (`lsp/dispatch.py`) registers the handlers; these are their bodies.
"""

from __future__ import annotations

import logging
import os
import pathlib
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from linewright import config
from linewright.core import logs, paths
from linewright.lsp import client
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)


def workspace_root(params: types.InitializeParams) -> pathlib.Path | None:
    """The first workspace folder, else rootUri, else rootPath."""
    uri = None
    if params.workspace_folders:
        uri = params.workspace_folders[0].uri
    elif params.root_uri:
        uri = params.root_uri
    if uri:
        path = to_fs_path(uri)
        return pathlib.Path(path) if path else None
    return pathlib.Path(params.root_path) if params.root_path else None


def unwrap_section(value: Any) -> Any:
    """Clients send settings either bare or under a `linewright` key."""
    if isinstance(value, dict) and isinstance(value.get("linewright"), dict):
        return value["linewright"]
    return value


def load_settings(ls: LinewrightServer) -> tuple[config.Settings, list[config.Problem]]:
    """All configuration sources merged for this server."""
    settings, problems, sources = config.load(
        user_file=paths.config_dir() / "config.toml",
        workspace_root=ls.workspace_root,
        init_options=ls.init_options,
        client_settings=ls.client_settings,
        extra_file=ls.config_file,
        overrides=ls.overrides,
    )
    log.info("configuration sources: %s", ", ".join(["defaults", *sources]))
    return settings, problems


def forget_secrets(settings: config.Settings) -> None:
    """Mask the configured API key (and its variable's value) in every later log line."""
    for handler_owner in (logging.getLogger(), logging.getLogger("linewright")):
        logs.add_secret(settings.backend.api_key, handler_owner)
        if settings.backend.api_key_env:
            logs.add_secret(os.environ.get(settings.backend.api_key_env), handler_owner)


def report_problems(ls: LinewrightServer, problems: list[config.Problem]) -> None:
    """One message naming every invalid key (defaults are used for them)."""
    if problems:
        listed = "; ".join(str(p) for p in problems)
        ls.show(f"Linewright: invalid settings, using defaults for: {listed}")


def initialize(ls: LinewrightServer, params: types.InitializeParams) -> None:
    """Remember where we are, what the client can do and the options it sent; settings are
    read at `initialized`."""
    ls.app.workspace_root = workspace_root(params)
    ls.client = client.resolve(params)
    ls.init_options = unwrap_section(params.initialization_options)
    if ls.log_handler is not None:
        ls.log_handler.attach()
    log.info("client: %s", ls.client.name or "unnamed")


async def initialized(ls: LinewrightServer) -> None:
    """Read the settings, report bad ones, and start the backend (the model loads now)."""
    settings, problems = load_settings(ls)
    logging.getLogger("linewright").setLevel(settings.log_level.upper())
    forget_secrets(settings)
    await ls.app.reconfigure(settings)
    ls.app.start()
    report_problems(ls, problems)


async def configuration_changed(ls: LinewrightServer, client_settings: Any) -> None:
    """New client settings (highest priority); invalid keys fall back and are reported."""
    ls.client_settings = unwrap_section(client_settings)
    settings, problems = load_settings(ls)
    forget_secrets(settings)
    await ls.app.reconfigure(settings)
    report_problems(ls, problems)
