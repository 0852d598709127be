"""testgen rendering: a new test file, or an extension of the existing one, that parses."""

from __future__ import annotations

import ast
import pathlib

import pytest

from linewright.features.testgen import render
from linewright.features.testgen.records import Candidate, TestgenError
from linewright.features.testgen.target import Target
from tests.unit.test_testgen_target import (
    GEO,
    INDENTS,
    SOLUTION,
    indented,
    line_of,
    make_project,
    make_target,
)

KEPT = [
    Candidate(
        "test_zero",
        "def test_zero():\n    assert dist([0], [0]) == 0\n",
        ("import math",),
        "model:body",
    ),
    Candidate(
        "test_raises",
        "def test_raises(pair):\n    with pytest.raises(ValueError):\n        dist(*pair)\n",
        ("import pytest", "@pytest.fixture\ndef pair():\n    return [], [1]"),
        "derived",
    ),
]


@pytest.fixture
def dist(tmp_path: pathlib.Path) -> Target:
    return make_target(make_project(tmp_path), line_of(GEO, "return math.sqrt"))


def test_new_file(dist: Target, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tests" / "test_geo.py"
    edit = render.edit_for(dist, KEPT, path, None)
    assert edit.create and edit.path == path and edit.tests == ("test_zero", "test_raises")
    assert edit.inserts == (render.Insert(0, 0, edit.text),)
    assert edit.text == (
        render.header(dist) + "\n\nimport math\nimport pytest\nfrom pkg.geo import dist\n\n\n"
        "@pytest.fixture\ndef pair():\n    return [], [1]\n\n\n"
        "def test_zero():\n    assert dist([0], [0]) == 0\n\n\n"
        "def test_raises(pair):\n    with pytest.raises(ValueError):\n        dist(*pair)\n"
    )
    ast.parse(edit.text)
    assert not path.exists()  # rendering never writes


def test_extending_an_existing_file(dist: Target, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tests" / "test_geo.py"
    existing = (
        '"""Old tests 🎉."""\nimport math\n\n\ndef pair():\n    return 1\n\n\n'
        "def test_zero():\n    assert True"
    )
    edit = render.edit_for(dist, KEPT, path, existing)
    assert not edit.create and edit.tests == ("test_zero_2", "test_raises")
    assert edit.inserts[0] == render.Insert(2, 0, "import pytest\nfrom pkg.geo import dist\n")
    assert edit.inserts[1].line == 9 and edit.inserts[1].character == len("    assert True")
    assert edit.text.startswith(
        '"""Old tests 🎉."""\nimport math\nimport pytest\nfrom pkg.geo import dist\n\n\ndef pair():'
    )
    assert "def test_zero_2():\n    assert dist([0], [0]) == 0" in edit.text
    assert "def pair_lw():\n    return [], [1]" in edit.text
    assert (
        "def test_raises(pair_lw):\n    with pytest.raises(ValueError):\n        dist(*pair_lw)"
        in edit.text
    )
    assert edit.text.count("import math") == 1
    assert render.apply(existing, edit.inserts) == edit.text
    tree = ast.parse(edit.text)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names == ["pair", "test_zero", "pair_lw", "test_zero_2", "test_raises"]


def test_an_existing_file_that_does_not_parse_is_not_extended(
    dist: Target, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "test_geo.py"
    with pytest.raises(TestgenError, match="does not parse"):
        render.edit_for(dist, KEPT, path, "def test_x(:\n")


def test_apply_counts_utf16() -> None:
    text = "a🎉b\nc"
    assert render.apply(text, (render.Insert(0, 3, "X"), render.Insert(1, 1, "Y"))) == "a🎉Xb\ncY"
    same_place = (render.Insert(1, 0, "1"), render.Insert(1, 0, "2"))
    assert render.apply("a\n", same_place) == "a\n12"  # in their order, as LSP has it


def test_unique_names_and_renaming() -> None:
    taken = {"test_a"}
    assert [render.unique_name(n, taken) for n in ("test_a", "test_a", "test_b")] == [
        "test_a_2",
        "test_a_3",
        "test_b",
    ]
    renamed = render.renamed(KEPT[0], "test_other")
    assert renamed.name == "test_other" and renamed.source.startswith("def test_other():\n")


def limit_test(name: str, expected: int, *preamble: str) -> Candidate:
    source = f"def {name}():\n    assert dist([LIMIT], [0]) == {expected}\n"
    return Candidate(name, source, preamble, "model:body")


SHADOWING = (
    "from other import dist\nLIMIT = 100\n\n\ndef test_old():\n    assert dist(LIMIT) == 7\n"
)


@pytest.mark.parametrize(
    ("existing", "kept", "expected"),
    [
        pytest.param(
            SHADOWING,
            [limit_test("test_limit", 3, "LIMIT = 3")],
            "from other import dist\nfrom pkg.geo import dist as dist_lw\nLIMIT = 100\n\n\n"
            "def test_old():\n    assert dist(LIMIT) == 7\n\n\nLIMIT_lw = 3\n\n\n"
            "def test_limit():\n    assert dist_lw([LIMIT_lw], [0]) == 3\n",
            id="rebound-names-get-our-own",
        ),
        pytest.param(
            "import math\nfrom pkg.geo import dist\nLIMIT = 3\n",
            [limit_test("test_limit", 3, "import math", "LIMIT = 3")],
            "import math\nfrom pkg.geo import dist\nLIMIT = 3\n\n\n"
            "def test_limit():\n    assert dist([LIMIT], [0]) == 3\n",
            id="same-bindings-are-not-repeated",
        ),
        pytest.param(
            "try:\n    from other import LIMIT\nexcept ImportError:\n    LIMIT = 0\n",
            [limit_test("test_limit", 3, "LIMIT = 3")],
            "from pkg.geo import dist\n\n\n"
            "try:\n    from other import LIMIT\nexcept ImportError:\n    LIMIT = 0\n\n\n"
            "LIMIT_lw = 3\n\n\n"
            "def test_limit():\n    assert dist([LIMIT_lw], [0]) == 3\n",
            id="bindings-inside-try",
        ),
        pytest.param(
            "import os as dist\n\n\ndef test_limit():\n    pass\n",
            [limit_test("test_limit", 3, "from os import path as LIMIT")],
            "import os as dist\nfrom os import path as LIMIT\nfrom pkg.geo import dist as dist_lw\n"
            "\n\ndef test_limit():\n    pass\n\n\n"
            "def test_limit_2():\n    assert dist_lw([LIMIT], [0]) == 3\n",
            id="import-alias-and-test-name",
        ),
        pytest.param(
            "import math\n",
            [limit_test("test_limit", 3, "from __future__ import annotations", "LIMIT = 3")],
            "import math\nfrom pkg.geo import dist\n\n\nLIMIT = 3\n\n\n"
            "def test_limit():\n    assert dist([LIMIT], [0]) == 3\n",
            id="no-future-import-after-code",
        ),
    ],
)
def test_extension_keeps_the_names_of_the_file(
    dist: Target, tmp_path: pathlib.Path, existing: str, kept: list[Candidate], expected: str
) -> None:
    edit = render.edit_for(dist, kept, tmp_path / "test_geo.py", existing)
    assert edit.text == expected
    assert render.apply(existing, edit.inserts) == expected
    ast.parse(edit.text)


def test_a_clash_only_a_rewrite_could_avoid_is_refused(
    dist: Target, tmp_path: pathlib.Path
) -> None:
    kept = [limit_test("test_limit", 3, "import os.path", "LIMIT = os.path.sep")]
    with pytest.raises(TestgenError, match="would rebind `os`"):
        render.edit_for(dist, kept, tmp_path / "test_geo.py", "os = 1\n")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("x = LIMIT + 1\n", "x = LIMIT_lw + 1\n", id="load"),
        pytest.param("LIMIT = 3\n", "LIMIT_lw = 3\n", id="store"),
        pytest.param(
            "def t(pair):\n    return f(pair=pair.pair, s='pair')  # pair\n",
            "def t(pair_lw):\n    return f(pair=pair_lw.pair, s='pair')  # pair\n",
            id="not-attributes-keywords-strings-comments",
        ),
        pytest.param(
            "@pytest.fixture\nasync def pair():\n    return 'é', pair\n",
            "@pytest_lw.fixture\nasync def pair_lw():\n    return 'é', pair_lw\n",
            id="definitions-decorators-utf8",
        ),
        pytest.param("class LIMIT:\n    pass\n", "class LIMIT_lw:\n    pass\n", id="class"),
    ],
)
def test_rename_names(source: str, expected: str) -> None:
    renames = {"LIMIT": "LIMIT_lw", "pair": "pair_lw", "pytest": "pytest_lw"}
    assert render.rename_names(source, renames) == expected


def only_breaks(text: str, eol: str) -> bool:
    """Every line break of `text` is `eol`."""
    return text.count(eol) == text.count("\n") + text.count("\r") - (len(eol) - 1) * text.count(eol)


SOLUTION_TESTS = [
    Candidate(
        "test_digits",
        "def test_digits():\n    assert Solution(True).isNumber('12') is True\n",
        ("import pytest",),
        "derived",
    )
]


@pytest.mark.parametrize(("indent", "eol"), INDENTS)
def test_a_new_file_follows_the_sources_line_break(
    tmp_path: pathlib.Path, indent: str, eol: str
) -> None:
    source = indented(SOLUTION, indent, eol)
    path = make_project(tmp_path, source, "src/pkg/solution.py")
    target = make_target(path, line_of(source, "return"), source, column=3 * len(indent))
    edit = render.edit_for(target, SOLUTION_TESTS, tmp_path / "tests" / "test_solution.py", None)
    assert edit.inserts == (render.Insert(0, 0, edit.text),)
    assert only_breaks(edit.text, eol) and edit.text.count(eol) > 5
    ast.parse(edit.text)


@pytest.mark.parametrize(
    ("existing", "eol"),
    [
        pytest.param(
            "import math\r\n\r\n\r\ndef test_old():\r\n    assert math.pi\r\n", "\r\n", id="crlf"
        ),
        pytest.param(
            "import math\r\n\r\n\r\ndef test_old():\r\n    assert math.pi", "\r\n", id="crlf-no-eol"
        ),
        pytest.param("import math\n\n\ndef test_old():\n    assert math.pi\n", "\n", id="lf"),
        pytest.param("import math\r\rdef test_old():\r    assert math.pi\r", "\r", id="cr"),
        pytest.param('"""Tests."""', "\r\n", id="one-line-follows-the-source"),
    ],
)
def test_extending_a_file_keeps_its_line_break(
    tmp_path: pathlib.Path, existing: str, eol: str
) -> None:
    source = indented(SOLUTION, "  ", "\r\n")  # a CRLF source: the test file's own break wins
    path = make_project(tmp_path, source, "src/pkg/solution.py")
    target = make_target(path, line_of(source, "return"), source, column=6)
    edit = render.edit_for(target, SOLUTION_TESTS, tmp_path / "test_solution.py", existing)
    assert all(only_breaks(insert.text, eol) for insert in edit.inserts)
    assert edit.text == render.apply(existing, edit.inserts)
    assert only_breaks(edit.text, eol) and edit.text.startswith(existing.split("\n")[0][:11])
    tree = ast.parse(edit.text)
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)][-1] == "test_digits"
