"""Syntax helpers: node lookup, errors, comment/string detection, definitions, imports.

Sources mark the cursor with "‸" (removed before parsing).
"""

from __future__ import annotations

import pytest
from tree_sitter import Tree

from linewright.core.syntax import nodes
from linewright.core.syntax.languages import LanguageSpec, language_named, parser_for

CURSOR = "‸"


def parse(language: str, marked: str) -> tuple[Tree, LanguageSpec, int]:
    """Parse `marked` without its cursor mark; return the cursor's byte offset too."""
    spec = language_named(language)
    assert spec is not None
    index = marked.find(CURSOR)
    source = marked.replace(CURSOR, "")
    offset = len(marked[: max(index, 0)].encode())
    return parser_for(spec).parse(source.encode()), spec, offset


@pytest.mark.parametrize(
    ("marked", "before", "kind", "text"),
    [
        pytest.param("x = fo‸o.bar + 1\n", False, "identifier", "foo", id="inside-identifier"),
        pytest.param("x = foo‸.bar + 1\n", False, "attribute", "foo.bar", id="at-dot"),
        pytest.param("x = foo‸.bar + 1\n", True, "identifier", "foo", id="just-typed"),
        pytest.param("x = foo.bar‸ + 1\n", False, "binary_operator", "foo.bar + 1", id="space"),
        pytest.param("x = 1\n‸", False, "module", "x = 1\n", id="end-of-file"),
    ],
)
def test_node_at(marked: str, before: bool, kind: str, text: str) -> None:
    tree, _, offset = parse("python", marked)
    node = nodes.node_at(tree, offset, before=before)
    assert (node.type, (node.text or b"").decode()) == (kind, text)


def test_ancestors_and_enclosing() -> None:
    tree, _, offset = parse("python", "def f():\n    return g(‸x)\n")
    node = nodes.node_at(tree, offset)
    assert [n.type for n in nodes.ancestors(node, include_self=True)] == [
        "identifier",
        "argument_list",
        "call",
        "return_statement",
        "block",
        "function_definition",
        "module",
    ]
    assert next(nodes.ancestors(node)).type == "argument_list"
    function = nodes.enclosing(node, {"function_definition", "class_definition"})
    assert function is not None and function.type == "function_definition"
    assert nodes.enclosing(node, {"identifier"}) is node
    assert nodes.enclosing(node, {"identifier"}, include_self=False) is None


@pytest.mark.parametrize(
    ("language", "source", "count"),
    [
        pytest.param("python", "x = 1\n", 0, id="clean"),
        pytest.param("python", "def f(:\n    pass\n", 1, id="missing-paren"),
        pytest.param("python", "def f(a:\n  return\n", 1, id="error-node"),
        pytest.param("c", "int x = (1;\n", 1, id="c-missing"),
        pytest.param("javascript", "let a = ;\nf(1\n", 2, id="js-two-errors"),
    ],
)
def test_error_count(language: str, source: str, count: int) -> None:
    tree, _, _ = parse(language, source)
    assert nodes.error_count(tree) == count
    assert nodes.error_count(tree.root_node) == count


@pytest.mark.parametrize(
    ("language", "marked", "inside"),
    [
        pytest.param("python", 'x = "ab‸c"\n', True, id="py-string"),
        pytest.param("python", 'x = ‸"abc"\n', False, id="py-before-string"),
        pytest.param("python", 'x = "abc"‸\n', False, id="py-after-string"),
        pytest.param("python", '"""Doc ‸string."""\n', True, id="py-docstring"),
        pytest.param("python", "# co‸mment\n", True, id="py-comment"),
        pytest.param("python", "# comment‸\n", True, id="py-comment-end"),
        pytest.param("python", "‸# comment\n", False, id="py-before-comment"),
        pytest.param("python", 'f"text ‸{name}"\n', True, id="py-fstring-text"),
        pytest.param("python", 'f"text {na‸me}"\n', False, id="py-fstring-code"),
        pytest.param("python", "x = 1‸\n", False, id="py-code"),
        pytest.param("c", "/* bl‸ock */ int a;\n", True, id="c-block-comment"),
        pytest.param("c", "/* block */‸ int a;\n", False, id="c-after-block-comment"),
        pytest.param("c", "// line‸\n", True, id="c-line-comment-end"),
        pytest.param("c", "char c = 'x‸';\n", True, id="c-char"),
        pytest.param("c", "#include <std‸io.h>\n", True, id="c-include-path"),
        pytest.param("c", "int a‸;\n", False, id="c-code"),
        pytest.param("c", 'char *s = "ab‸\nint x;', True, id="c-unterminated-missing-quote"),
        pytest.param("javascript", "s = `a ${b‸} c`;\n", False, id="js-template-code"),
        pytest.param("javascript", "s = `a‸ ${b} c`;\n", True, id="js-template-text"),
        pytest.param("javascript", "s = 'st‸r';\n", True, id="js-string"),
        pytest.param("rust", "// note‸\nfn f() {}\n", True, id="rust-comment-end"),
        pytest.param("rust", "// note\n‸fn f() {}\n", False, id="rust-after-comment"),
        pytest.param("go", "package p\nvar s = `ra‸w`\n", True, id="go-raw-string"),
    ],
)
def test_is_in_comment_or_string(language: str, marked: str, inside: bool) -> None:
    tree, spec, offset = parse(language, marked)
    assert nodes.is_in_comment_or_string(tree, offset, spec) is inside


PY_CLASS = '''class Shape(Base):
    """A shape."""

    def area(
        self,
        scale: float = 1.0,
    ) -> float:
        return ‸self.w * scale
'''

HEADER_CASES = [
    pytest.param(
        "python",
        PY_CLASS,
        [
            "class Shape(Base):",
            "def area(\n        self,\n        scale: float = 1.0,\n    ) -> float:",
        ],
        id="python-multiline-method",
    ),
    pytest.param("python", "def f(a):\n    return a‸\n", ["def f(a):"], id="python-at-end"),
    pytest.param("python", "x = 1‸\n", [], id="python-top-level"),
    pytest.param(
        "c",
        "static int add(int a, int b) {\n  return a‸ + b;\n}\n",
        ["static int add(int a, int b)"],
        id="c-function",
    ),
    pytest.param(
        "c", "char **names(void) {\n  return 0‸;\n}\n", ["char **names(void)"], id="c-pointer"
    ),
    pytest.param(
        "javascript",
        "class Box {\n  open(a) {\n    return a‸;\n  }\n}\n",
        ["class Box", "open(a)"],
        id="js-method",
    ),
    pytest.param(
        "typescript",
        "export class C<T> {\n  m(x: T): void {\n    ‸\n  }\n}\n",
        ["class C<T>", "m(x: T): void"],
        id="ts-method",
    ),
    pytest.param(
        "java",
        "class A {\n    @Override\n    public String f(int n) {\n        return ‸null;\n    }\n}\n",
        ["class A", "@Override\n    public String f(int n)"],
        id="java-annotated",
    ),
    pytest.param(
        "go",
        "package p\n\nfunc (p *Point) Area() float64 {\n\treturn ‸0\n}\n",
        ["func (p *Point) Area() float64"],
        id="go-method",
    ),
    pytest.param(
        "rust",
        "impl Area for Point {\n    fn area(&self) -> f64 {\n        ‸1.0\n    }\n}\n",
        ["impl Area for Point", "fn area(&self) -> f64"],
        id="rust-impl",
    ),
    pytest.param(
        "verilog",
        "module counter(input clk, output q);\n  assign q = ‸clk;\nendmodule\n",
        ["module counter(input clk, output q);"],
        id="verilog-module",
    ),
]


@pytest.mark.parametrize(("language", "marked", "headers"), HEADER_CASES)
def test_definition_headers(language: str, marked: str, headers: list[str]) -> None:
    tree, spec, offset = parse(language, marked)
    assert nodes.definition_headers(tree, offset, spec) == headers
    assert nodes.definition_header(tree, offset, spec) == (headers[-1] if headers else None)


@pytest.mark.parametrize(
    ("language", "source", "names"),
    [
        pytest.param("python", PY_CLASS, ["Shape", "area"], id="python"),
        pytest.param(
            "c", "struct p { int x; };\ntypedef struct { int y; } q;\n", ["p", None], id="c-anon"
        ),
        pytest.param(
            "verilog", "class C;\nendclass : C\n", ["C"], id="verilog-end-label-not-a-name"
        ),
    ],
)
def test_definitions(language: str, source: str, names: list[str | None]) -> None:
    tree, spec, _ = parse(language, source)
    assert [d.name_text for d in nodes.definitions(tree, spec)] == names


def test_enclosing_definition_block_and_statement() -> None:
    tree, spec, offset = parse("python", PY_CLASS)
    definition = nodes.enclosing_definition(tree, offset, spec)
    assert definition is not None and definition.name_text == "area"
    block = nodes.enclosing_block(tree, offset, spec)
    statement = nodes.enclosing_statement(tree, offset, spec)
    assert block is not None and (block.text or b"").decode() == "return self.w * scale"
    assert statement is not None and statement.type == "return_statement"


@pytest.mark.parametrize(
    ("language", "source", "imports"),
    [
        pytest.param(
            "python",
            "import os\nfrom a import (\n    b,\n)\nx = 1\n",
            ["import os", "from a import (\n    b,\n)"],
            id="python",
        ),
        pytest.param(
            "go",
            'package p\n\nimport "fmt"\nimport (\n\t"os"\n)\n',
            ['import "fmt"', 'import (\n\t"os"\n)'],
            id="go",
        ),
        pytest.param(
            "rust",
            "use std::io;\nmod inner;\nmod m {}\n",
            ["use std::io;", "mod inner;"],
            id="rust",
        ),
        pytest.param("c", "int x;\n", [], id="none"),
        pytest.param(
            "c",
            "#ifdef X\n#include <a.h>\n#endif\n",
            ["#include <a.h>\n"],
            id="c-under-ifdef",
        ),
    ],
)
def test_import_ranges(language: str, source: str, imports: list[str]) -> None:
    tree, spec, _ = parse(language, source)
    data = source.encode()
    assert [data[a:b].decode() for a, b in nodes.import_ranges(tree, spec)] == imports


NESTED_IMPORTS = """import os
if TYPE_CHECKING:
    import typing
class A:
    def m(self):
        import json
"""


@pytest.mark.parametrize(
    ("max_depth", "imports"),
    [
        pytest.param(3, ["import os", "import typing"], id="default-depth"),
        pytest.param(None, ["import os", "import typing", "import json"], id="everywhere"),
    ],
)
def test_import_ranges_depth(max_depth: int | None, imports: list[str]) -> None:
    tree, spec, _ = parse("python", NESTED_IMPORTS)
    data = NESTED_IMPORTS.encode()
    found = nodes.import_ranges(tree, spec, max_depth=max_depth)
    assert [data[a:b].decode() for a, b in found] == imports


def test_language_without_context_query_answers_nothing() -> None:
    spec = LanguageSpec("no-queries", (), (), "tree_sitter_python")
    tree = parser_for(spec).parse(b"# comment\nimport os\ndef f():\n    pass\n")
    assert nodes.is_in_comment_or_string(tree, 3, spec) is False
    assert nodes.definitions(tree, spec) == []
    assert nodes.definition_header(tree, 30, spec) is None
    assert nodes.import_ranges(tree, spec) == []
    assert nodes.enclosing_block(tree, 30, spec) is None
