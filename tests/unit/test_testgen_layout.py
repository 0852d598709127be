"""testgen layout: a file's import path (classic, src and namespace packages) and the test
file its tests go to."""

from __future__ import annotations

import pathlib

import pytest

from linewright.features.testgen import layout
from linewright.features.testgen.records import TestgenError
from tests.unit.test_testgen_target import make_project

PYPROJECT = "[project]\nname = 'demo'\n"


def tree(root: pathlib.Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.mark.parametrize(
    ("files", "module", "workspace", "expected"),
    [
        pytest.param({"pyproject.toml": PYPROJECT, "src/p/__init__.py": ""}, "src/p/m.py", ".",
                     ("p.m", "src"), id="classic-src"),
        pytest.param({"pyproject.toml": PYPROJECT}, "src/ns/mod.py", ".",
                     ("ns.mod", "src"), id="namespace-src"),
        pytest.param({"setup.cfg": "[metadata]\n"}, "src/ns/deep/mod.py", ".",
                     ("ns.deep.mod", "src"), id="namespace-src-setup-cfg"),
        pytest.param({"pyproject.toml": PYPROJECT, "src/pkg/__init__.py": ""},
                     "src/pkg/sub/mod.py", ".", ("pkg.sub.mod", "src"), id="namespace-in-package"),
        pytest.param({"pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['lib']\n"},
                     "lib/ns/mod.py", ".", ("ns.mod", "lib"), id="pytest-pythonpath"),
        pytest.param({"pyproject.toml": "[tool.setuptools.packages.find]\nwhere = ['code']\n"},
                     "code/ns/mod.py", ".", ("ns.mod", "code"), id="setuptools-where"),
        pytest.param({"pytest.ini": "[pytest]\npythonpath = lib other\n"}, "lib/ns/mod.py", ".",
                     ("ns.mod", "lib"), id="pytest-ini"),
        pytest.param({"proj/pyproject.toml": PYPROJECT}, "proj/src/ns/mod.py", ".",
                     ("ns.mod", "proj/src"), id="project-inside-the-workspace"),
        pytest.param({"pyproject.toml": PYPROJECT}, "scripts/tool.py", ".",
                     ("scripts.tool", "."), id="folder-of-the-project"),
        pytest.param({"pyproject.toml": PYPROJECT}, "my-scripts/tool.py", ".",
                     ("tool", "my-scripts"), id="not-an-identifier-keeps-the-folder"),
        pytest.param({"a/__init__.py": "", "a/b/__init__.py": ""}, "a/b/c.py", ".",
                     ("a.b.c", "."), id="classic-deep"),
        pytest.param({"pkg/__init__.py": ""}, "pkg/__init__.py", ".", ("pkg", "."),
                     id="package-init"),
        pytest.param({}, "scripts/tool.py", None, ("tool", "scripts"), id="no-project"),
    ],
)  # fmt: skip
def test_module_name(
    tmp_path: pathlib.Path,
    files: dict[str, str],
    module: str,
    workspace: str | None,
    expected: tuple[str, str],
) -> None:
    tree(tmp_path, {**files, module: "X = 1\n"})
    project = layout.project_root(tmp_path / module, tmp_path if workspace else None)
    name, root = layout.module_name(tmp_path / module, project)
    assert (name, root) == (expected[0], tmp_path / expected[1] if expected[1] != "." else tmp_path)


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
    tree(tmp_path, dict.fromkeys(existing, "def test_x():\n    assert True\n"))
    assert layout.destination(path, "pkg.mod", tmp_path) == tmp_path / expected


TEST = "def test_x():\n    assert True\n"
OURS = "from pkg.a.utils import f\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"tests/b/test_utils.py": TEST}, "tests/a/test_a_utils.py",
                     id="other-folder-is-not-ours-and-its-name-would-clash"),
        pytest.param({"tests/b/__init__.py": "", "tests/b/test_utils.py": TEST},
                     "tests/a/test_utils.py", id="other-folder-is-not-ours"),
        pytest.param({"tests/b/test_utils.py": TEST, "tests/a/test_utils.py": TEST},
                     "tests/a/test_utils.py", id="mirrored-folder"),
        pytest.param({"tests/a/test_utils.py": TEST, "tests/pkg/a/test_utils.py": TEST},
                     "tests/pkg/a/test_utils.py", id="whole-package-path-first"),
        pytest.param({"tests/test_utils.py": TEST}, "tests/test_utils.py", id="flat-unambiguous"),
        pytest.param({"tests/test_utils.py": TEST, "src/pkg/b/utils.py": ""},
                     "tests/test_a_utils.py", id="flat-ambiguous"),
        pytest.param({"tests/test_utils.py": OURS, "src/pkg/b/utils.py": ""},
                     "tests/test_utils.py", id="flat-imports-it"),
        pytest.param({"tests/b/test_utils.py": "from pkg.a import utils\n"},
                     "tests/b/test_utils.py", id="imports-it-anywhere"),
        pytest.param({"tests/a/test_utils.py": "from pkg.b.utils import f\n"},
                     "tests/a/test_a_utils.py", id="imports-another-utils"),
        pytest.param({"tests/pkg/x/test_other.py": TEST}, "tests/pkg/a/test_utils.py",
                     id="new-file-mirrors-with-the-top-package"),
    ],
)  # fmt: skip
def test_destination_is_about_the_module(
    tmp_path: pathlib.Path, files: dict[str, str], expected: str
) -> None:
    path = make_project(tmp_path, "def f():\n    return 1\n", "src/pkg/a/utils.py")
    tree(tmp_path, files)
    assert layout.destination(path, "pkg.a.utils", tmp_path) == tmp_path / expected


def test_fallback_is_beside_the_destination(tmp_path: pathlib.Path) -> None:
    found = layout.fallback(tmp_path / "tests" / "test_calc.py")
    assert found == tmp_path / "tests" / "test_calc_linewright.py"


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


def test_project_root_without_markers_is_above_the_top_package(tmp_path: pathlib.Path) -> None:
    bare = tmp_path.parent / f"{tmp_path.name}-bare"
    module = bare / "pkg" / "sub" / "mod.py"
    module.parent.mkdir(parents=True)
    for folder in (bare / "pkg", bare / "pkg" / "sub"):
        (folder / "__init__.py").write_text("")
    module.write_text("def f():\n    return 1\n")
    assert layout.project_root(module) == bare
    assert layout.module_name(module, layout.project_root(module)) == ("pkg.sub.mod", bare)
