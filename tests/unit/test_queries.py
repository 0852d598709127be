"""Query files: every .scm compiles against its pinned grammar; golden captures; paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from linewright.core import paths
from linewright.core.errors import GrammarError
from linewright.core.syntax import queries
from linewright.core.syntax.languages import LANGUAGES, LanguageSpec, language_named, parser_for
from linewright.core.syntax.queries import captures, load_query

GRAMMARS = paths.grammars_dir()
QUERY_FILES = sorted(GRAMMARS.glob("*/*.scm"))
PURPOSES = ("textobjects", "context")
ALLOWED_PREDICATES = {"eq?", "not-eq?", "match?", "not-match?", "any-of?", "not-any-of?"}


def test_grammars_dir_is_the_checkout_folder() -> None:
    checkout = Path(__file__).resolve().parents[2]
    assert checkout / "grammars" == GRAMMARS


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in LANGUAGES])
@pytest.mark.parametrize("purpose", PURPOSES)
def test_every_language_has_its_query_files(spec: LanguageSpec, purpose: str) -> None:
    assert (GRAMMARS / spec.name / f"{purpose}.scm").is_file()


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in QUERY_FILES]
)
def test_query_file_compiles(path: Path) -> None:
    spec = language_named(path.parent.name)
    assert spec is not None, f"{path.parent.name} is not a registered language"
    query = load_query(spec, path.stem)
    assert query is not None
    # py-tree-sitter 0.25 exposes these counts as properties (its stub says methods).
    pattern_count: int = getattr(query, "pattern_count")  # noqa: B009
    capture_count: int = getattr(query, "capture_count")  # noqa: B009
    assert pattern_count > 0
    for index in range(capture_count):
        name = query.capture_name(index)
        assert name.startswith(("lw.", "_")) or "." in name, name


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in QUERY_FILES]
)
def test_query_file_uses_only_evaluated_predicates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    used = {word.split()[0] for word in text.split("(#")[1:]}
    assert used <= ALLOWED_PREDICATES


def test_query_files_use_two_space_indentation() -> None:
    for path in QUERY_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            indent = len(line) - len(line.lstrip(" "))
            assert "\t" not in line and indent % 2 == 0, f"{path}:{number}"


PYTHON = '''import os
from a import b

# note
class Shape:
    def area(self, k=2):
        """Area."""
        return f"{k}" * 2
'''

C = """#include <stdio.h>
/* note */
struct point { int x; };
static int add(int a, int b) {
  if (a) { return b; }
  return puts("hi");
}
"""

JAVASCRIPT = """import fs from "fs";
const path = require("path");
const other = load("x");
// note
class Box {
  open(a) { return `${a}!`; }
}
const run = (n) => { while (n) { n--; } };
"""

PY_CLASS = 'class Shape:\n    def area(self, k=2):\n        """Area."""\n        return f"{k}" * 2'
PY_DEF = PY_CLASS.split("\n", 1)[1].lstrip()
PY_BODY = '"""Area."""\n        return f"{k}" * 2'
C_ADD = 'static int add(int a, int b) {\n  if (a) { return b; }\n  return puts("hi");\n}'
C_BODY = C_ADD[C_ADD.index("{") :]
JS_CLASS = "class Box {\n  open(a) { return `${a}!`; }\n}"
JS_CLASS_BODY = JS_CLASS[JS_CLASS.index("{") :]
JS_RUN = "const run = (n) => { while (n) { n--; } };"

GOLDEN = {
    ("python", "textobjects"): [
        ("comment.outer", "# note"),
        ("class.outer", PY_CLASS),
        ("block.outer", PY_DEF),
        ("class.inner", PY_DEF),
        ("function.outer", PY_DEF),
        ("parameter.inner", "self"),
        ("parameter.inner", "k=2"),
        ("block.outer", PY_BODY),
        ("function.inner", PY_BODY),
        ("return.outer", 'return f"{k}" * 2'),
    ],
    ("python", "context"): [
        ("lw.import", "import os"),
        ("lw.import", "from a import b"),
        ("lw.comment", "# note"),
        ("lw.definition", PY_CLASS),
        ("lw.name", "Shape"),
        ("lw.block", PY_DEF),
        ("lw.body", PY_DEF),
        ("lw.definition", PY_DEF),
        ("lw.name", "area"),
        ("lw.block", PY_BODY),
        ("lw.body", PY_BODY),
        ("lw.statement", '"""Area."""'),
        ("lw.string", '"""Area."""'),
        ("lw.statement", 'return f"{k}" * 2'),
        ("lw.string", 'f"{k}"'),
        ("lw.interpolation", "{k}"),
    ],
    ("c", "textobjects"): [
        ("comment.outer", "/* note */"),
        ("class.outer", "struct point { int x; }"),
        ("class.inner", "{ int x; }"),
        ("function.outer", C_ADD),
        ("parameter.inner", "int a"),
        ("parameter.inner", "int b"),
        ("block.outer", C_BODY),
        ("function.inner", C_BODY),
        ("conditional.outer", "if (a) { return b; }"),
        ("block.outer", "{ return b; }"),
        ("conditional.inner", "{ return b; }"),
        ("return.outer", "return b;"),
        ("return.outer", 'return puts("hi");'),
        ("call.outer", 'puts("hi")'),
        ("call.inner", '("hi")'),
    ],
    ("c", "context"): [
        ("lw.import", "#include <stdio.h>\n"),
        ("lw.string", "<stdio.h>"),
        ("lw.comment", "/* note */"),
        ("lw.definition", "struct point { int x; }"),
        ("lw.name", "point"),
        ("lw.body", "{ int x; }"),
        ("lw.definition", C_ADD),
        ("lw.name", "add"),
        ("lw.block", C_BODY),
        ("lw.body", C_BODY),
        ("lw.statement", "if (a) { return b; }"),
        ("lw.block", "{ return b; }"),
        ("lw.statement", "return b;"),
        ("lw.statement", 'return puts("hi");'),
        ("lw.string", '"hi"'),
    ],
    ("javascript", "textobjects"): [
        ("call.outer", 'require("path")'),
        ("call.inner", '("path")'),
        ("call.outer", 'load("x")'),
        ("call.inner", '("x")'),
        ("comment.outer", "// note"),
        ("class.outer", JS_CLASS),
        ("class.inner", JS_CLASS_BODY),
        ("function.outer", "open(a) { return `${a}!`; }"),
        ("parameter.inner", "a"),
        ("block.outer", "{ return `${a}!`; }"),
        ("function.inner", "{ return `${a}!`; }"),
        ("return.outer", "return `${a}!`;"),
        ("function.outer", "(n) => { while (n) { n--; } }"),
        ("parameter.inner", "n"),
        ("block.outer", "{ while (n) { n--; } }"),
        ("function.inner", "{ while (n) { n--; } }"),
        ("loop.outer", "while (n) { n--; }"),
        ("block.outer", "{ n--; }"),
        ("loop.inner", "{ n--; }"),
    ],
    ("javascript", "context"): [
        ("lw.import", 'import fs from "fs";'),
        ("lw.string", '"fs"'),
        # `require(...)` is an import thanks to #eq?; `load(...)` below is not.
        ("lw.import", 'const path = require("path");'),
        ("lw.statement", 'const path = require("path");'),
        ("lw.string", '"path"'),
        ("lw.statement", 'const other = load("x");'),
        ("lw.string", '"x"'),
        ("lw.comment", "// note"),
        ("lw.definition", JS_CLASS),
        ("lw.name", "Box"),
        ("lw.block", JS_CLASS_BODY),
        ("lw.body", JS_CLASS_BODY),
        ("lw.definition", "open(a) { return `${a}!`; }"),
        ("lw.name", "open"),
        ("lw.block", "{ return `${a}!`; }"),
        ("lw.body", "{ return `${a}!`; }"),
        ("lw.statement", "return `${a}!`;"),
        ("lw.string", "`${a}!`"),
        ("lw.interpolation", "${a}"),
        ("lw.definition", JS_RUN),
        ("lw.statement", JS_RUN),
        ("lw.name", "run"),
        ("lw.block", "{ while (n) { n--; } }"),
        ("lw.body", "{ while (n) { n--; } }"),
        ("lw.statement", "while (n) { n--; }"),
        ("lw.block", "{ n--; }"),
        ("lw.statement", "n--;"),
    ],
}
SAMPLES = {"python": PYTHON, "c": C, "javascript": JAVASCRIPT}


def captured_texts(language: str, purpose: str, **kwargs: object) -> list[tuple[str, str]]:
    spec = language_named(language)
    assert spec is not None
    tree = parser_for(spec).parse(SAMPLES[language].encode())
    assert not tree.root_node.has_error
    query = load_query(spec, purpose)
    assert query is not None
    found = captures(query, tree.root_node, **kwargs)  # type: ignore[arg-type]
    return [(name, (node.text or b"").decode()) for name, node in found]


@pytest.mark.parametrize(
    ("language", "purpose"), [pytest.param(*key, id="-".join(key)) for key in GOLDEN]
)
def test_golden_captures(language: str, purpose: str) -> None:
    assert captured_texts(language, purpose) == GOLDEN[language, purpose]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {"names": frozenset({"lw.import"})},
            [("lw.import", "import os"), ("lw.import", "from a import b")],
            id="names",
        ),
        pytest.param(
            {"byte_range": (PYTHON.index("# note"), PYTHON.index("# note") + 1)},
            [("lw.comment", "# note")],
            id="byte-range",
        ),
    ],
)
def test_captures_filters(kwargs: dict[str, object], expected: list[tuple[str, str]]) -> None:
    assert captured_texts("python", "context", **kwargs) == expected


@pytest.mark.parametrize(
    ("language", "only", "names"),
    [
        pytest.param("python", {"lw.import"}, {"lw.import"}, id="python-imports"),
        pytest.param(
            "python", {"lw.definition"}, {"lw.definition", "lw.name", "lw.body"}, id="definitions"
        ),
        pytest.param("c", {"lw.string", "lw.comment"}, {"lw.string", "lw.comment"}, id="c"),
        pytest.param("javascript", {"lw.import"}, {"lw.import"}, id="js-predicate-pattern"),
    ],
)
def test_load_query_only_keeps_patterns_capturing(
    language: str, only: set[str], names: set[str]
) -> None:
    spec = language_named(language)
    assert spec is not None
    narrow = load_query(spec, "context", frozenset(only))
    assert narrow is not None
    tree = parser_for(spec).parse(SAMPLES[language].encode())
    found = captures(narrow, tree.root_node)
    assert {name for name, _ in found} == names
    full = captured_texts(language, "context")
    assert [(n, (node.text or b"").decode()) for n, node in found] == [
        item for item in full if item[0] in names
    ]


def test_missing_purpose_is_none() -> None:
    spec = language_named("python")
    assert spec is not None
    assert load_query(spec, "no-such-purpose") is None


def test_broken_query_raises_grammar_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A spec of its own keeps this broken query out of the shared load_query cache.
    spec = LanguageSpec("broken", (), (), "tree_sitter_python")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "context.scm").write_text("(no_such_node) @x\n", encoding="utf-8")
    monkeypatch.setattr(queries, "grammars_dir", lambda: tmp_path)
    with pytest.raises(GrammarError, match=r"broken/context\.scm"):
        load_query(spec, "context")


@pytest.mark.parametrize(
    ("function", "variable"),
    [
        pytest.param(paths.cache_dir, paths.CACHE_ENV, id="cache"),
        pytest.param(paths.state_dir, paths.STATE_ENV, id="state"),
        pytest.param(paths.config_dir, paths.CONFIG_ENV, id="config"),
    ],
)
def test_user_dirs_follow_environment(
    function: object, variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert callable(function)
    monkeypatch.setenv(variable, str(tmp_path / "x"))
    assert function() == tmp_path / "x"
    monkeypatch.setenv(variable, "")
    assert "linewright" in str(function()).lower()
