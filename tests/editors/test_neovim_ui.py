"""What a Neovim user sees and does besides accepting: the ghost text's colour in a
256-colour terminal, the statusline component (loading, busy, error, off), toggling,
accept word, cycling alternatives, and Generate tests opening the new file. Real Neovim,
real server, the tiny model.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from linewright.core.telemetry import FILE_NAME, load_events
from tests.editors.nvim_driver import (
    ATTACHED,
    GHOST,
    IDLE,
    SHOWN,
    neovim,
    start,
    stop,
    wait_for,
)

STATUS = "require('linewright').status()"


@pytest.fixture
def nvim(nvim_binary: str, state_dir: pathlib.Path) -> Iterator[Any]:
    with neovim(nvim_binary) as session:
        yield session


def test_ghost_text_has_its_own_colour_in_a_256_colour_terminal(
    nvim: Any, tiny_model_path: pathlib.Path, source_file: pathlib.Path
) -> None:
    nvim.command("set notermguicolors")
    start(nvim, tiny_model_path, source_file, inline=True)
    wait_for(nvim, SHOWN, "a suggestion to be shown")
    chunks = wait_for(nvim, GHOST, "the ghost text")
    group = chunks[0][1]
    colours = nvim.exec_lua(
        "local g = ... return vim.api.nvim_get_hl(0, { name = g, link = false })", group
    )
    normal = nvim.exec_lua("return vim.api.nvim_get_hl(0, { name = 'Normal', link = false })")
    assert colours.get("ctermfg") is not None and colours.get("ctermfg") != normal.get("ctermfg")


def test_toggle_per_buffer_and_globally(
    nvim: Any, tiny_model_path: pathlib.Path, source_file: pathlib.Path
) -> None:
    start(nvim, tiny_model_path, source_file, inline=True)
    wait_for(nvim, f"{STATUS} == 'LW: ready'", "ready")
    enabled = "vim.lsp.inline_completion.is_enabled({ bufnr = 0 })"
    nvim.command("LinewrightToggle")
    assert nvim.exec_lua(f"return {{ {STATUS}, {enabled} }}") == ["LW: off", False]
    nvim.command("LinewrightToggle")
    assert nvim.exec_lua(f"return {{ {STATUS}, {enabled} }}") == ["LW: ready", True]
    nvim.command("LinewrightToggle!")
    assert nvim.exec_lua(f"return {{ {STATUS}, {enabled} }}") == ["LW: off", False]
    # off everywhere: a buffer opened now starts off too
    other = source_file.with_name("other.py")
    other.write_text("x = 1\n")
    nvim.command(f"edit {other}")
    wait_for(nvim, ATTACHED, "the server in the second buffer")
    assert nvim.exec_lua(f"return {{ {STATUS}, {enabled} }}") == ["LW: off", False]
    nvim.command("LinewrightToggle!")
    assert nvim.exec_lua(f"return {{ {STATUS}, {enabled} }}") == ["LW: ready", True]


def test_manual_trigger_and_cycling_alternatives(
    nvim: Any, tiny_model_path: pathlib.Path, source_file: pathlib.Path
) -> None:
    start(nvim, tiny_model_path, source_file, inline=True)
    wait_for(nvim, SHOWN, "the automatic suggestion")
    nvim.input("<Esc>")
    wait_for(nvim, f"not {GHOST}", "the ghost text to go with Insert mode")
    nvim.input("a")
    nvim.exec_lua("vim.lsp.inline_completion.enable(false, { bufnr = 0 })")
    nvim.exec_lua("vim.lsp.inline_completion.enable(true, { bufnr = 0 })")
    nvim.input("<M-\\>")  # the trigger key: asks without typing
    wait_for(nvim, GHOST, "ghost text after the trigger key")
    nvim.input("<M-]>")  # next alternative: Neovim shows its index
    chunks = wait_for(nvim, f"(function() local c = {GHOST} return c and #c > 1 and c end)()",
                      "the alternative's index")  # fmt: skip
    assert chunks[-1][1] == "ComplHintMore" and "/" in chunks[-1][0]


def test_accept_word_reports_a_partial_acceptance(
    nvim: Any, tiny_model_path: pathlib.Path, source_file: pathlib.Path, state_dir: pathlib.Path
) -> None:
    start(nvim, tiny_model_path, source_file, inline=True)
    sid = wait_for(nvim, SHOWN, "a suggestion to be shown")
    nvim.exec_lua(
        """
        local sid = ...
        local lw = require('linewright')
        local accept = { command = lw.ACCEPT, arguments = { sid } }
        local item = { insert_text = 'alpha beta()', command = accept }
        require('linewright.inline').accept_word_of(lw.client(), item, 0)
        """,
        sid,
    )
    assert nvim.current.line == "    # alpha"
    wait_for(nvim, IDLE, "the notification to go out")
    stop(nvim)
    events = load_events(state_dir / FILE_NAME)
    assert [(e.outcome, e.features.get("accepted_length")) for e in events] == [
        ("shown", None),
        ("partially_accepted", len("alpha")),
    ]
