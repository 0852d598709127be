"""testgen target and layout: the function at the cursor, its import path, where tests go."""

from __future__ import annotations

import pathlib

import pytest

from linewright.core.documents import Document
from linewright.core.positions import Position
from linewright.features.testgen import layout
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


DEEP = ["a/b/__init__.py", "a/b/c.py"]


@pytest.mark.parametrize(
    ("files", "module", "name", "root"),
    [
        pytest.param(["src/p/__init__.py", "src/p/m.py"], "src/p/m.py", "p.m", "src", id="src"),
        pytest.param(["a/__init__.py", *DEEP], "a/b/c.py", "a.b.c", ".", id="deep"),
        pytest.param(["scripts/tool.py"], "scripts/tool.py", "tool", "scripts", id="plain-folder"),
        pytest.param(["pkg/__init__.py"], "pkg/__init__.py", "pkg", ".", id="package-init"),
    ],
)  # fmt: skip
def test_module_name(
    tmp_path: pathlib.Path, files: list[str], module: str, name: str, root: str
) -> None:
    for file in files:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).touch()
    assert layout.module_name(tmp_path / module) == (
        name,
        (tmp_path / root).resolve() if root != "." else tmp_path,
    )


def test_unimportable_file_name(tmp_path: pathlib.Path) -> None:
    with pytest.raises(TestgenError, match="not importable"):
        layout.module_name(tmp_path / "my-script.py")


MIRROR = "tests/pkg/test_mod.py"


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        pytest.param([], "tests/test_mod.py", id="default-tests-folder"),
        pytest.param(["test/test_other.py"], "test/test_mod.py", id="project-uses-test"),
        pytest.param(["tests/a/test_mod.py", MIRROR], MIRROR, id="mirror"),
        pytest.param(["src/pkg/test_mod.py"], "src/pkg/test_mod.py", id="existing-beside"),
        pytest.param(["src/pkg/test_other.py"], "src/pkg/test_mod.py", id="tests-live-beside"),
    ],
)  # fmt: skip
def test_destination_follows_the_layout(
    tmp_path: pathlib.Path, existing: list[str], expected: str
) -> None:
    path = make_project(tmp_path, "def f():\n    return 1\n", "src/pkg/mod.py")
    for file in existing:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("def test_x():\n    assert True\n")
    assert layout.destination(path, "pkg.mod", tmp_path) == tmp_path / expected


def test_style_example_prefers_the_destination(tmp_path: pathlib.Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    assert 1 == 1\n")
    (tmp_path / "tests" / "test_b.py").write_text(
        "import pytest\n\n\ndef test_b():\n    assert 2\n" * 200
    )
    assert layout.style_example(tmp_path, None) == "def test_a():\n    assert 1 == 1\n"
    preferred = layout.style_example(tmp_path, tmp_path / "tests" / "test_b.py")
    assert preferred is not None and preferred.startswith("import pytest\n")
    assert len(preferred) <= layout.STYLE_CHARS and preferred.endswith("\n")
    assert layout.style_example(tmp_path / "tests" / "none", None) is None


def test_project_root(tmp_path: pathlib.Path) -> None:
    path = make_project(tmp_path)
    assert layout.project_root(path) == tmp_path
    assert layout.project_root(path, tmp_path / "src") == tmp_path / "src"
    lone = tmp_path.parent / f"{tmp_path.name}-lone" / "x.py"
    lone.parent.mkdir()
    assert layout.project_root(lone) == lone.parent
