"""The Neovim plugin in a real Neovim (0.11+, with a UI attached) against the real server.

The tests type real keys: `a` enters Insert mode, Neovim asks the server for a suggestion,
the plugin's <Tab> accepts it. Then the telemetry store must hold the acceptance.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from linewright.core.telemetry import FILE_NAME, load_events
from tests.editors.zz_old_driver_tmp import ATTACHED, IDLE, SHOWN, neovim, setup, start, stop, wait_for


@pytest.fixture
def nvim(nvim_binary: str, state_dir: pathlib.Path) -> Iterator[Any]:
    with neovim(nvim_binary) as session:
        yield session


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


def test_inline_false_gets_automatic_completion_items(
    nvim: Any, tiny_model_path: pathlib.Path, source_file: pathlib.Path
) -> None:
    """With `inline = false` the server must not think the client shows ghost text: it
    answers an automatic (trigger character) completion request with the suggestion."""
    start(nvim, tiny_model_path, source_file, inline=False, filter={"enabled": False})
    count = nvim.exec_lua(
        """
        local client = require('linewright').client()
        local params = vim.lsp.util.make_position_params(0, 'utf-16')
        params.context = { triggerKind = 2, triggerCharacter = ' ' }
        local answer = client:request_sync('textDocument/completion', params, 60000, 0)
        local result = answer and answer.result or {}
        return #(result.items or result)
        """
    )
    assert count >= 1


def test_text_typed_before_the_server_attached_gets_a_suggestion(
    nvim: Any, tiny_model_path: pathlib.Path, source_file: pathlib.Path
) -> None:
    setup(nvim, tiny_model_path, inline=True)
    nvim.command(f"edit {source_file}")
    nvim.api.win_set_cursor(0, [3, 5])
    nvim.input("a")  # typed at once: the server (a Python process) is not up yet
    assert not nvim.exec_lua(f"return {ATTACHED}")
    wait_for(nvim, ATTACHED, "the server to start")
    # no further key: the plugin asks by itself once attached
    assert wait_for(nvim, SHOWN, "a suggestion without another key", timeout=30)
