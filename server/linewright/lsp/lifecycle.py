"""initialize / initialized / shutdown / didChangeConfiguration: settings and the runtime."""

from __future__ import annotations

import logging
import pathlib
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from linewright import config
from linewright.core import paths
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


def report_problems(ls: LinewrightServer, problems: list[config.Problem]) -> None:
    """One message naming every invalid key (defaults are used for them)."""
    if problems:
        listed = "; ".join(str(p) for p in problems)
        ls.show(f"Linewright: invalid settings, using defaults for: {listed}")


def register(server: LinewrightServer) -> None:
    """Attach the lifecycle handlers to `server`."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: LinewrightServer, params: types.InitializeParams) -> None:
        """Remember where we are and what the client sent; settings are read at initialized."""
        ls.workspace_root = workspace_root(params)
        ls.init_options = unwrap_section(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: LinewrightServer, params: types.InitializedParams) -> None:
        """Read the settings, report bad ones, and start the backend (the model loads now)."""
        settings, problems = load_settings(ls)
        logging.getLogger("linewright").setLevel(settings.log_level.upper())
        await ls.runtime.reconfigure(settings)
        ls.runtime.start()
        report_problems(ls, problems)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: LinewrightServer, params: types.DidChangeConfigurationParams
    ) -> None:
        """New client settings (highest priority); invalid keys fall back and are reported."""
        ls.client_settings = unwrap_section(params.settings)
        settings, problems = load_settings(ls)
        await ls.runtime.reconfigure(settings)
        report_problems(ls, problems)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: LinewrightServer, params: None) -> None:
        """Stop the model child and close connections."""
        await ls.runtime.aclose()
