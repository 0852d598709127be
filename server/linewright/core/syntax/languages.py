"""The language registry: which tree-sitter grammar and comment syntax each language uses.

A document is matched by its LSP `languageId` first (what the editor says), then by file
extension; no match means plain text (no tree, features fall back to line-based logic).

Grammars come from the `tree-sitter-<lang>` wheels and are loaded on first use, so a
server that never sees Verilog never loads its 1,200-kind grammar. Loaded `Language`s are
immutable and shared. `Parser`s are not thread-safe, so `parser_for` keeps one per
language *per thread*: the event loop and each `asyncio.to_thread` worker get their own.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from tree_sitter import Language, Parser

from linewright.core.errors import GrammarError

C_STYLE_BLOCK = ("/*", "*/")


@dataclass(frozen=True)
class LanguageSpec:
    """One language Linewright understands."""

    name: str
    """Registry name; also the folder under `grammars/` holding its queries."""
    language_ids: tuple[str, ...]
    """LSP languageIds (VS Code, Neovim filetypes, eglot mode names) that select it."""
    extensions: tuple[str, ...]
    """File extensions (lower case, with the dot) that select it."""
    grammar_module: str
    """Python module of the grammar wheel."""
    grammar_function: str = "language"
    """Function in `grammar_module` returning the TSLanguage capsule."""
    line_comment: str | None = "//"
    """Line-comment prefix, or None if the language has none."""
    block_comment: tuple[str, str] | None = C_STYLE_BLOCK
    """Block-comment (open, close) delimiters, or None."""

    @property
    def ts_language(self) -> Language:
        """The tree-sitter grammar, loaded on first use (raises `GrammarError`)."""
        return load_language(self)


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python",
        ("python", "python3"),
        (".py", ".pyi", ".pyw"),
        "tree_sitter_python",
        line_comment="#",
        block_comment=None,  # docstrings are strings, not comments
    ),
    LanguageSpec(
        "javascript",
        ("javascript", "javascriptreact", "js", "jsx"),
        (".js", ".mjs", ".cjs", ".jsx"),
        "tree_sitter_javascript",  # this grammar parses JSX too
    ),
    LanguageSpec(
        "typescript",
        ("typescript", "ts"),
        (".ts", ".mts", ".cts"),
        "tree_sitter_typescript",
        "language_typescript",
    ),
    LanguageSpec(
        "tsx",
        ("typescriptreact", "tsx"),
        (".tsx",),
        "tree_sitter_typescript",
        "language_tsx",
    ),
    LanguageSpec("c", ("c",), (".c", ".h"), "tree_sitter_c"),
    LanguageSpec(
        "cpp",
        ("cpp", "c++"),
        (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".inl"),
        "tree_sitter_cpp",
    ),
    LanguageSpec("go", ("go", "golang"), (".go",), "tree_sitter_go"),
    LanguageSpec("rust", ("rust",), (".rs",), "tree_sitter_rust"),
    LanguageSpec("java", ("java",), (".java",), "tree_sitter_java"),
    LanguageSpec(
        "verilog",
        ("verilog", "systemverilog"),
        (".v", ".vh", ".sv", ".svh"),
        "tree_sitter_verilog",  # one grammar covers Verilog and SystemVerilog
    ),
)

_BY_ID = {language_id: spec for spec in LANGUAGES for language_id in spec.language_ids}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}
_BY_NAME = {spec.name: spec for spec in LANGUAGES}


def language_for(language_id: str | None, path: str | None = None) -> LanguageSpec | None:
    """The language of a document: by LSP languageId, else by extension, else None (plain)."""
    if language_id:
        spec = _BY_ID.get(language_id.lower())
        if spec is not None:
            return spec
    if path:
        return _BY_EXTENSION.get(PurePosixPath(path).suffix.lower())
    return None


def language_named(name: str) -> LanguageSpec | None:
    """The registry entry called `name` (e.g. "python"), or None."""
    return _BY_NAME.get(name)


@cache
def load_language(spec: LanguageSpec) -> Language:
    """Load the grammar of `spec` from its wheel (cached: grammars are immutable)."""
    try:
        module = importlib.import_module(spec.grammar_module)
        return Language(getattr(module, spec.grammar_function)())
    except (ImportError, AttributeError, ValueError) as error:
        raise GrammarError(f"cannot load the {spec.name} grammar: {error}") from error


class _ThreadParsers(threading.local):
    """Per-thread parser cache; `threading.local` gives each thread a fresh `by_name`."""

    def __init__(self) -> None:
        self.by_name: dict[str, Parser] = {}


_PARSERS = _ThreadParsers()


def parser_for(spec: LanguageSpec) -> Parser:
    """A parser for `spec`, cached per language and per thread (Parser is not thread-safe).

    Use it only on the calling thread and do not keep it across awaits in other tasks'
    threads. Trees are safe to read from another thread once handed over via `tree.copy()`.
    """
    parser = _PARSERS.by_name.get(spec.name)
    if parser is None:
        try:
            parser = Parser(spec.ts_language)
        except ValueError as error:  # grammar ABI this tree-sitter cannot run
            raise GrammarError(f"cannot use the {spec.name} grammar: {error}") from error
        _PARSERS.by_name[spec.name] = parser
    return parser
