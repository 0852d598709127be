"""testgen target and layout: the function at the cursor, its import path, where tests go."""

from __future__ import annotations

import ast
import pathlib

import pytest

from linewright.core.documents import Document
from linewright.core.positions import Position
from linewright.features.testgen.records import TestgenError
from linewright.features.testgen.target import Target, find_target, name_at

GEO = '''\
import math
from typing import List


def _square(x):
    return x * x


def dist(a: List[float], b: List[float]) -> float:
    """Euclidean distance.

    >>> dist([0, 0], [3, 4])
    5.0
    """
    if len(a) != len(b):
        raise ValueError("dimension mismatch")
    return math.sqrt(sum(_square(x - y) for x, y in zip(a, b)))


class Stack:
    def __init__(self, size: int = 3):
        self.items = []
        self.size = size

    @staticmethod
    def make(n: int) -> "Stack":
        return Stack(n)

    def push(self, item: int) -> bool:
        def inner():
            return 1

        if len(self.items) >= self.size:
            return False
        self.items.append(item)
        return self._ok()

    def _ok(self):
        return True


async def fetch(n: int) -> int:
    return n + 1
'''


def make_project(
    root: pathlib.Path, source: str = GEO, module: str = "src/pkg/geo.py"
) -> pathlib.Path:
    """A project with pyproject.toml and `module` holding `source`; returns the module path."""
    path = root / module
    path.parent.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    folder = path.parent
    while folder != root and folder.name != "src":
        (folder / "__init__.py").touch()
        folder = folder.parent
    path.write_text(source)
    return path


def make_target(path: pathlib.Path, line: int, text: str | None = None, column: int = 8) -> Target:
    """The target at a 1-based line of `path` (the editor may hold `text` instead)."""
    body = path.read_text() if text is None else text
    doc = Document(path.as_uri(), "python", 1, body)
    offset = doc.byte_offset_at(Position(line - 1, column))
    return find_target(doc.tree, doc.language, offset, path, body, None)


def line_of(source: str, needle: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("needle", "qualname", "kind"),
    [
        pytest.param('raise ValueError("dimension', "dist", "function", id="function-body"),
        pytest.param("def dist(", "dist", "function", id="function-header"),
        pytest.param("self.items.append", "Stack.push", "method", id="method"),
        pytest.param("return 1", "Stack.push", "method", id="nested-function-picks-outer"),
        pytest.param("return Stack(n)", "Stack.make", "staticmethod", id="staticmethod"),
        pytest.param("self.size = size", "Stack.__init__", "method", id="constructor"),
        pytest.param("return n + 1", "fetch", "function", id="async"),
    ],
)
def test_target_at_cursor(tmp_path: pathlib.Path, needle: str, qualname: str, kind: str) -> None:
    path = make_project(tmp_path)
    target = make_target(path, line_of(GEO, needle))
    assert (target.qualname, target.kind) == (qualname, kind)
    assert target.module == "pkg.geo"
    assert target.sys_path_root == tmp_path / "src"
    assert target.root == tmp_path


def test_name_at_is_a_tree_lookup() -> None:
    doc = Document("file:///nowhere/geo.py", "python", 1, GEO)  # no file needed

    def at(needle: str) -> str | None:
        return name_at(
            doc.tree, doc.language, doc.byte_offset_at(Position(line_of(GEO, needle) - 1, 6))
        )

    assert at("self.items.append") == "Stack.push"
    assert at("return 1") == "Stack.push"
    assert at("import math") is None
    assert at("class Stack") is None
    assert name_at(doc.tree, None, 0) is None


def test_target_context(tmp_path: pathlib.Path) -> None:
    path = make_project(tmp_path)
    dist = make_target(path, line_of(GEO, "return math.sqrt"))
    assert dist.imports == ("import math", "from typing import List")
    assert dist.helpers == ("def _square(x):\n    return x * x\n",)
    assert dist.docstring == "Euclidean distance.\n\n>>> dist([0, 0], [3, 4])\n5.0"
    assert dist.signature == "def dist(a: List[float], b: List[float]) -> float:"
    assert (dist.def_line, dist.last_line) == (
        line_of(GEO, "def dist("),
        line_of(GEO, "return math.sqrt"),
    )
    assert dist.import_line == "from pkg.geo import dist"
    assert not dist.is_async and not dist.is_generator
    push = make_target(path, line_of(GEO, "self.items.append"))
    assert push.import_line == "from pkg.geo import Stack"
    assert push.helpers == ("def _ok(self):\n    return True\n",)
    assert push.class_context is not None and push.class_context.startswith(
        "class Stack:\n    def __init__"
    )
    assert push.source.startswith("def push(self, item: int) -> bool:\n")
    assert make_target(path, line_of(GEO, "return n + 1")).is_async


@pytest.mark.parametrize(
    ("source", "needle", "message"),
    [
        pytest.param("X = 1\n", "X = 1", "inside a function or a method", id="module-level"),
        pytest.param("class A:\n    x = 1\n", "x = 1", "method of `A`", id="class-body"),
    ],
)
def test_no_target(tmp_path: pathlib.Path, source: str, needle: str, message: str) -> None:
    path = make_project(tmp_path, source)
    with pytest.raises(TestgenError, match=message):
        make_target(path, line_of(source, needle), column=2)


def test_other_languages_are_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "m.js"
    path.write_text("function f() { return 1; }\n")
    doc = Document(path.as_uri(), "javascript", 1, path.read_text())
    with pytest.raises(TestgenError, match="Python files only"):
        find_target(doc.tree, doc.language, 15, path, doc.text, None)


METER = """\
def _clip(x):
    return max(0, x)


def read(raw):
    return raw


class Meter:
    def read(self, raw):
        value = _clip(raw) + self._offset()
        return read(value) + self.read(0) + len(Meter.__name__)

    def _offset(self):
        return 1
"""


def test_a_method_sees_the_module_functions_and_methods_it_calls(tmp_path: pathlib.Path) -> None:
    path = make_project(tmp_path, METER, "src/pkg/meter.py")
    assert make_target(path, line_of(METER, "value = _clip")).helpers == (
        "def _clip(x):\n    return max(0, x)\n",
        "def _offset(self):\n    return 1\n",
        "def read(raw):\n    return raw\n",  # not itself (`self.read`), nor its class
    )


INDENTS = [
    pytest.param("  ", "\n", id="2-spaces"),
    pytest.param("    ", "\n", id="4-spaces"),
    pytest.param("\t", "\n", id="tabs"),
    pytest.param("  ", "\r\n", id="2-spaces-crlf"),
    pytest.param("\t", "\r\n", id="tabs-crlf"),
]
SOLUTION = """\
import re


class Solution:
{i}def __init__(self, strict: bool):
{i}{i}self.strict = strict

{i}def isNumber(self, s: str) -> bool:
{i}{i}\"\"\"Whether `s` is a number.

{i}{i}>>> Solution(True).isNumber("1")
{i}{i}True
{i}{i}\"\"\"
{i}{i}if self.strict:

{i}{i}{i}return re.fullmatch(r"[0-9]+", s) is not None
{i}{i}return s.strip().isdigit()
"""
ONLY_MEMBER = """\
class Solution:
{i}def isNumber(self, s: str) -> bool:
{i}{i}value = s.strip()

{i}{i}return value.isdigit()
"""


def indented(template: str, indent: str, eol: str) -> str:
    return template.format(i=indent).replace("\n", eol)


def method_source(template: str, indent: str) -> str:
    """The `isNumber` block (the last one) one level out, as the target should hold it."""
    lines = template.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("{i}def isNumber"))
    block = "\n".join(line.removeprefix("{i}") for line in lines[start:-1]) + "\n"
    return block.format(i=indent)


@pytest.mark.parametrize(("indent", "eol"), INDENTS)
@pytest.mark.parametrize(
    "template",
    [pytest.param(SOLUTION, id="with-init"), pytest.param(ONLY_MEMBER, id="only-member")],
)
def test_a_method_in_any_indentation(
    tmp_path: pathlib.Path, template: str, indent: str, eol: str
) -> None:
    source = indented(template, indent, eol)
    path = make_project(tmp_path, source, "src/pkg/solution.py")
    target = make_target(path, line_of(source, "return"), source, column=3 * len(indent))
    assert (target.qualname, target.kind) == ("Solution.isNumber", "method")
    assert target.source == method_source(template, indent)
    assert target.signature == "def isNumber(self, s: str) -> bool:"
    context = target.class_context or ""
    assert "\r" not in context and context.startswith("class Solution:\n")
    if "__init__" in template:
        init = f"    def __init__(self, strict: bool):\n    {indent}self.strict = strict\n"
        assert context == "class Solution:\n" + init
        ast.parse(context)
