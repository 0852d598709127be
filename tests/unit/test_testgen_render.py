"""testgen rendering: a new test file, or an extension of the existing one, that parses."""

from __future__ import annotations

import ast
import pathlib

import pytest

from linewright.features.testgen import render
from linewright.features.testgen.records import Candidate, TestgenError
from linewright.features.testgen.target import Target
from tests.unit.test_testgen_target import GEO, line_of, make_project, make_target

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
    edit = render.edit_for(dist, KEPT, path)
    assert edit.create and edit.path == path
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
    path.parent.mkdir()
    existing = (
        '"""Old tests 🎉."""\nimport math\n\n\ndef pair():\n    return 1\n\n\n'
        "def test_zero():\n    assert True"
    )
    path.write_text(existing)
    edit = render.edit_for(dist, KEPT, path)
    assert not edit.create
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
    path.write_text("def test_x(:\n")
    with pytest.raises(TestgenError, match="does not parse"):
        render.edit_for(dist, KEPT, path)


def test_apply_counts_utf16() -> None:
    text = "a🎉b\nc"
    assert render.apply(text, (render.Insert(0, 3, "X"), render.Insert(1, 1, "Y"))) == "a🎉Xb\ncY"


def test_unique_names_and_renaming() -> None:
    taken = {"test_a"}
    assert [render.unique_name(n, taken) for n in ("test_a", "test_a", "test_b")] == [
        "test_a_2",
        "test_a_3",
        "test_b",
    ]
    renamed = render.renamed(KEPT[0], "test_other")
    assert renamed.name == "test_other" and renamed.source.startswith("def test_other():\n")
