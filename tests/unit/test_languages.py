"""The language registry: lookup by languageId and extension, grammar loading, parsers."""

from __future__ import annotations

import threading

import pytest
from tree_sitter import Parser

from linewright.core.syntax.languages import (
    LANGUAGES,
    LanguageSpec,
    language_for,
    language_named,
    parser_for,
)


@pytest.mark.parametrize(
    ("language_id", "path", "expected"),
    [
        pytest.param("python", None, "python", id="id-python"),
        pytest.param("javascriptreact", None, "javascript", id="id-jsx"),
        pytest.param("typescript", None, "typescript", id="id-typescript"),
        pytest.param("typescriptreact", None, "tsx", id="id-tsx"),
        pytest.param("c", None, "c", id="id-c"),
        pytest.param("cpp", None, "cpp", id="id-cpp"),
        pytest.param("c++", None, "cpp", id="id-eglot-cpp"),
        pytest.param("go", None, "go", id="id-go"),
        pytest.param("rust", None, "rust", id="id-rust"),
        pytest.param("java", None, "java", id="id-java"),
        pytest.param("verilog", None, "verilog", id="id-verilog"),
        pytest.param("systemverilog", None, "verilog", id="id-systemverilog"),
        pytest.param("Python", None, "python", id="id-case-insensitive"),
        pytest.param(None, "/src/app.py", "python", id="ext-py"),
        pytest.param(None, "/src/App.JSX", "javascript", id="ext-upper-case"),
        pytest.param(None, "/src/view.tsx", "tsx", id="ext-tsx"),
        pytest.param(None, "/src/lib.rs", "rust", id="ext-rs"),
        pytest.param(None, "/hw/top.sv", "verilog", id="ext-sv"),
        pytest.param(None, "/inc/a.hpp", "cpp", id="ext-hpp"),
        pytest.param("plaintext", "/src/app.go", "go", id="unknown-id-falls-back-to-ext"),
        pytest.param("c", "/src/app.py", "c", id="id-wins-over-ext"),
    ],
)
def test_language_for(language_id: str | None, path: str | None, expected: str) -> None:
    spec = language_for(language_id, path)
    assert spec is not None
    assert spec.name == expected


@pytest.mark.parametrize(
    ("language_id", "path"),
    [
        pytest.param("plaintext", None, id="plaintext"),
        pytest.param("markdown", "/README.md", id="markdown"),
        pytest.param(None, "/Makefile", id="no-extension"),
        pytest.param(None, None, id="nothing"),
        pytest.param("", "", id="empty"),
    ],
)
def test_unknown_language_is_plain_text(language_id: str | None, path: str | None) -> None:
    assert language_for(language_id, path) is None


def test_registry_has_no_duplicate_keys() -> None:
    ids = [i for spec in LANGUAGES for i in spec.language_ids]
    extensions = [e for spec in LANGUAGES for e in spec.extensions]
    assert len(ids) == len(set(ids))
    assert len(extensions) == len(set(extensions))
    assert all(e.startswith(".") and e == e.lower() for e in extensions)


@pytest.mark.parametrize(
    ("name", "line_comment", "block_comment"),
    [
        pytest.param("python", "#", None, id="python"),
        pytest.param("c", "//", ("/*", "*/"), id="c"),
        pytest.param("verilog", "//", ("/*", "*/"), id="verilog"),
    ],
)
def test_comment_syntax(
    name: str, line_comment: str | None, block_comment: tuple[str, str] | None
) -> None:
    spec = language_named(name)
    assert spec is not None
    assert (spec.line_comment, spec.block_comment) == (line_comment, block_comment)


SAMPLES = {
    "python": "def f(x):\n    return x\n",
    "javascript": "const f = (x) => <b>{x}</b>;\n",
    "typescript": "const f = (x: number): number => x;\n",
    "tsx": "const f = (x: number) => <b>{x}</b>;\n",
    "c": "int f(int x) { return x; }\n",
    "cpp": "template <typename T> T f(T x) { return x; }\n",
    "go": "package main\n\nfunc f(x int) int { return x }\n",
    "rust": "fn f(x: i32) -> i32 { x }\n",
    "java": "class A { int f(int x) { return x; } }\n",
    "verilog": "module m(input a, output b);\n  assign b = a;\nendmodule\n",
}


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in LANGUAGES])
def test_every_grammar_loads_and_parses(spec: LanguageSpec) -> None:
    tree = parser_for(spec).parse(SAMPLES[spec.name].encode())
    assert not tree.root_node.has_error
    assert spec.ts_language is spec.ts_language  # loaded once


def test_parsers_are_cached_per_thread() -> None:
    spec = language_named("python")
    assert spec is not None
    here = parser_for(spec)
    assert parser_for(spec) is here
    elsewhere: list[Parser] = []
    thread = threading.Thread(target=lambda: elsewhere.append(parser_for(spec)))
    thread.start()
    thread.join()
    assert elsewhere[0] is not here
