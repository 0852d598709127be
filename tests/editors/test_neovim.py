"""The Neovim plugin in a real Neovim (0.11+, with a UI attached) against the real server.

The test types real keys: `a` enters Insert mode, Neovim asks the server for a suggestion,
the plugin's <Tab> accepts it. Then the telemetry store must hold the acceptance.
"""

from __future__ import annotations

import contextlib
import pathlib
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from linewright.core.telemetry import FILE_NAME, load_events
from tests.editors.conftest import ROOT, missing

TIMEOUT_S = 120.0
SETUP = """
local plugin, python, model, inline = ...
vim.opt.runtimepath:prepend(plugin)
require('linewright').setup({
  cmd = { python, '-m', 'linewright', 'serve' },
  settings = {
    embedded = { modelPath = model, threads = 1 },
    completion = { debounceMs = 0, maxTokens = 16 },
  },
  inline = inline,
})
return require('linewright').inline
"""
ATTACHED = "(function() local c = require('linewright').client() return c and c.initialized end)()"
SHOWN = "vim.tbl_keys(require('linewright').state.shown)[1]"
IDLE = "next(require('linewright').client().requests) == nil"


@pytest.fixture
def nvim(nvim_binary: str, state_dir: pathlib.Path) -> Iterator[Any]:
    """A Neovim child with a 100x30 UI attached (a headless one never shows a menu)."""
    try:
        import pynvim
    except ImportError:
        missing("pynvim not installed: pip install -e '.[dev]'")
    session = pynvim.attach("child", argv=[nvim_binary, "--embed", "--headless", "--clean"])
    session.ui_attach(100, 30, rgb=True, ext_linegrid=True)
    yield session
    with contextlib.suppress(OSError, EOFError):  # it may quit before answering
        session.quit("qall!")
    session.close()


def wait_for(nvim: Any, lua_expr: str, what: str) -> Any:
    """Poll a Lua expression until it is truthy (the editor keeps running meanwhile)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        value = nvim.exec_lua(f"return {lua_expr}")
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"Neovim: timed out waiting for {what}")


def start(nvim: Any, model: pathlib.Path, source: pathlib.Path, inline: bool) -> None:
    plugin = str(ROOT / "editors" / "neovim")
    assert nvim.exec_lua(SETUP, plugin, sys.executable, str(model), inline) is inline
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


@pytest.mark.parametrize(
    "inline", [pytest.param(True, id="ghost-text"), pytest.param(False, id="menu")]
)
def test_tab_accepts_a_suggestion_and_the_server_records_it(
    nvim: Any, inline: bool, tiny_model_path: pathlib.Path, source_file: pathlib.Path,
    state_dir: pathlib.Path,
) -> None:  # fmt: skip
    start(nvim, tiny_model_path, source_file, inline)
    if not inline:
        nvim.exec_lua("vim.lsp.completion.get()")
        wait_for(nvim, "vim.fn.pumvisible() == 1", "the completion menu")
    sid = wait_for(nvim, SHOWN, "a suggestion to be shown")
    nvim.input("<Tab>")
    wait_for(nvim, "vim.api.nvim_get_current_line() ~= '    # '", "the suggestion in the buffer")
    wait_for(nvim, IDLE, "the accept command's answer")
    line = nvim.current.line
    stop(nvim)
    events = load_events(state_dir / FILE_NAME)
    assert [(e.suggestion_id, e.outcome) for e in events] == [(sid, "shown"), (sid, "accepted")]
    assert line.startswith("    # ") and len(line) - 6 == events[1].features["length"]
    assert (events[1].language, events[1].features["line"]) == ("python", 2)


def test_accept_line_reports_a_partial_acceptance(
    nvim: Any, tiny_model_path: pathlib.Path, source_file: pathlib.Path, state_dir: pathlib.Path
) -> None:
    start(nvim, tiny_model_path, source_file, inline=True)
    sid = wait_for(nvim, SHOWN, "a suggestion to be shown")
    # the plugin's accept-line on a two-line item carrying the shown suggestion's command
    nvim.exec_lua(
        """
        local sid = ...
        local lw = require('linewright')
        local item = { insert_text = 'first()\\nsecond()', range = nil,
          command = { command = lw.ACCEPT, arguments = { sid } } }
        require('linewright.inline').accept_line_of(lw.client(), item, 0)
        """,
        sid,
    )
    assert nvim.current.line == "    # first()"
    wait_for(nvim, IDLE, "the notification to go out")
    stop(nvim)
    events = load_events(state_dir / FILE_NAME)
    assert [(e.outcome, e.features.get("accepted_length")) for e in events] == [
        ("shown", None),
        ("partially_accepted", len("first()")),
    ]
