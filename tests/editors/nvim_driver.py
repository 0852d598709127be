"""Driving the Neovim plugin in a real Neovim child (pynvim) for the editor tests."""

from __future__ import annotations

import contextlib
import json
import pathlib
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.editors.conftest import ROOT, missing

TIMEOUT_S = 120.0
SETUP = """
local plugin, python, model, inline, extra = ...
vim.opt.runtimepath:prepend(plugin)
local settings = vim.tbl_deep_extend('force', {
  embedded = { modelPath = model, threads = 1 },
  completion = { debounceMs = 0, maxTokens = 16 },
}, vim.json.decode(extra))
require('linewright').setup({
  cmd = { python, '-m', 'linewright', 'serve' },
  settings = settings,
  inline = inline,
})
return require('linewright').inline
"""
ATTACHED = "(function() local c = require('linewright').client() return c and c.initialized end)()"
SHOWN = "vim.tbl_keys(require('linewright').state.shown)[1]"
IDLE = "next(require('linewright').client().requests) == nil"
GHOST = """(function()
  local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  local marks = ns and vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true }) or {}
  return marks[1] and marks[1][4].virt_text or nil
end)()"""
"""The ghost text on screen: [[text, highlight group], ...] of its first line, or nil."""


@contextlib.contextmanager
def neovim(binary: str) -> Iterator[Any]:
    """A Neovim child with a 100x30 UI attached (a headless one never shows a menu)."""
    try:
        import pynvim
    except ImportError:
        missing("pynvim not installed: pip install -e '.[dev]'")
    session = pynvim.attach("child", argv=[binary, "--embed", "--headless", "--clean"])
    session.ui_attach(100, 30, rgb=True, ext_linegrid=True)
    try:
        yield session
    finally:
        with contextlib.suppress(OSError, EOFError):  # it may quit before answering
            session.quit("qall!")
        session.close()


def wait_for(nvim: Any, lua_expr: str, what: str, timeout: float = TIMEOUT_S) -> Any:
    """Poll a Lua expression until it is truthy (the editor keeps running meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = nvim.exec_lua(f"return {lua_expr}")
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"Neovim: timed out waiting for {what}")


def setup(nvim: Any, model: pathlib.Path, inline: bool, **settings: Any) -> None:
    """`require('linewright').setup` with the test server and `settings` on top."""
    plugin = str(ROOT / "editors" / "neovim")
    extra = json.dumps(settings or {"completion": {}})
    assert nvim.exec_lua(SETUP, plugin, sys.executable, str(model), inline, extra) is inline


def start(
    nvim: Any, model: pathlib.Path, source: pathlib.Path, inline: bool, **settings: Any
) -> None:
    """Open `source`, wait for the server, enter Insert mode after line 3's "# "."""
    setup(nvim, model, inline, **settings)
    nvim.command(f"edit {source}")
    assert nvim.eval("&filetype") == "python"
    wait_for(nvim, ATTACHED, "the server to start")
    nvim.api.win_set_cursor(0, [3, 5])
    nvim.input("a")  # Insert mode after the "# "
    wait_for(nvim, "vim.api.nvim_get_mode().mode == 'i'", "Insert mode")


def stop(nvim: Any) -> None:
    """Stop the server the way Neovim does on exit (shutdown + exit)."""
    nvim.exec_lua("require('linewright').client():stop()")
    wait_for(nvim, "#vim.lsp.get_clients({ name = 'linewright' }) == 0", "the server to stop")
