"""README's two set-up commands stay true: CI runs the second verbatim, the first is valid."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def setup_commands() -> list[str]:
    """The command line of each of the first two ```sh blocks of README.md."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    commands = []
    for block in blocks[:2]:
        lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
        assert len(lines) == 1, block
        commands.append(lines[0])
    return commands


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert setup_commands()[1] in ci_lines


def test_first_command_completes_an_existing_example_position() -> None:
    command = setup_commands()[0]
    match = re.search(r"linewright complete (\S+):(\d+):(\d+)", command)
    assert match, command
    lines = (ROOT / match.group(1)).read_text().splitlines()
    line, col = int(match.group(2)), int(match.group(3))
    assert 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]) + 1
