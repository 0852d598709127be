"""The clients name only what the server's contract (`linewright.contract`) declares.

The VS Code extension, the Neovim plugin and the Emacs package read their command ids,
notifications and languages from the generated `protocol.json`; this test fails when one
of them names a server command id (`linewright.x`) or a custom method (`linewright/x`) that
the contract does not declare, uses a language the server does not manage, or when the
generated JSON files are stale.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from linewright import contract
from tests.editors.conftest import ROOT

GENERATED = [
    ROOT / "editors" / "protocol.json",
    ROOT / "vscode-extension" / "src" / "protocol.json",
]
SOURCES = {
    "vscode": sorted((ROOT / "vscode-extension" / "src").glob("*.ts")),
    "neovim": sorted((ROOT / "editors" / "neovim").rglob("*.lua")),
    "emacs": sorted((ROOT / "editors" / "emacs").glob("*.el")),
}
STRINGS = {
    # quoted literals only: comments may well mention `linewright.config` and the like
    ".ts": re.compile(r"'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\"|`((?:[^`\\]|\\.)*)`"),
    ".lua": re.compile(r"'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\""),
    ".el": re.compile(r"\"((?:[^\"\\]|\\.)*)\""),
}
COMMAND_ID = re.compile(r"linewright\.[A-Za-z]\w*(?:\.[A-Za-z]\w*)*")
METHOD = re.compile(r"linewright/[A-Za-z]\w*")
ELISP_METHOD = re.compile(r":(linewright/[A-Za-z]\w*)")
"""eglot and jsonrpc name methods with keywords (`:linewright/didShowCompletion`)."""
FILE_NAMES = {"linewright.toml", "linewright.vsix"}
"""Names that look like ids but are files the clients mention."""


def client_owned() -> set[str]:
    """Names the clients themselves declare: VS Code's commands and settings, Lua modules."""
    manifest = json.loads((ROOT / "vscode-extension" / "package.json").read_text("utf-8"))
    owned = {c["command"] for c in manifest["contributes"]["commands"]}
    owned |= set(manifest["contributes"]["configuration"]["properties"])
    lua = ROOT / "editors" / "neovim" / "lua" / "linewright"
    owned |= {f"linewright.{p.stem}" for p in lua.glob("*.lua") if p.stem != "init"}
    return owned | FILE_NAMES


def names_in(text: str, suffix: str) -> tuple[set[str], set[str]]:
    """(command-id-like, method-like) names in the string literals (and Elisp keywords)."""
    ids: set[str] = set()
    methods: set[str] = set()
    for match in STRINGS[suffix].finditer(text):
        literal = next(group for group in match.groups() if group is not None)
        if COMMAND_ID.fullmatch(literal):
            ids.add(literal)
        if METHOD.fullmatch(literal):
            methods.add(literal)
    if suffix == ".el":
        methods |= set(ELISP_METHOD.findall(text))
    return ids, methods


SCANS = [
    (".ts", "run('linewright.bogus'); // linewright.config", {"linewright.bogus"}, set()),
    (".lua", "notify(\"linewright/nope\", x) -- 'a'", set(), {"linewright/nope"}),
    (".el", "(jsonrpc-notify s :linewright/gone '(a))", set(), {"linewright/gone"}),
    (".el", '(f "linewright.x" "linewright.items.")', {"linewright.x"}, set()),
]


@pytest.mark.parametrize(
    ("suffix", "text", "ids", "methods"), SCANS, ids=["ts", "lua", "el-keyword", "el-string"]
)
def test_the_scan_finds_the_names_a_client_uses(
    suffix: str, text: str, ids: set[str], methods: set[str]
) -> None:
    assert names_in(text, suffix) == (ids, methods)


@pytest.mark.parametrize("client", list(SOURCES))
def test_a_client_names_only_the_contracts_commands_and_methods(client: str) -> None:
    commands = {c.id for c in contract.COMMANDS}
    methods = {n.method for n in contract.NOTIFICATIONS}
    owned = client_owned()
    assert SOURCES[client], f"no {client} sources found"
    unknown: list[str] = []
    for path in SOURCES[client]:
        ids, used_methods = names_in(path.read_text("utf-8"), path.suffix)
        where = path.relative_to(ROOT)
        unknown += [f"{where}: {i}" for i in sorted(ids - commands - owned)]
        unknown += [f"{where}: {m}" for m in sorted(used_methods - methods)]
    assert unknown == []


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_generated_contract_is_current(path: pathlib.Path) -> None:
    assert path.read_text("utf-8") == contract.render(), "run `python -m linewright.contract`"


def test_vscode_activates_for_exactly_the_contracts_languages() -> None:
    manifest = json.loads((ROOT / "vscode-extension" / "package.json").read_text("utf-8"))
    languages = json.loads(contract.render())["languages"]
    assert manifest["activationEvents"] == [f"onLanguage:{id}" for id in languages]
