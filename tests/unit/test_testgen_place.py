"""testgen placement: an extended test file is run whole in the sandbox before it is offered
(our tests pass in it, its own tests are no worse), else a separate file is; and the text
extended is the editor's, not the disk's."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import pytest

from linewright.config import TestgenSettings
from linewright.core.llm.types import Backend
from linewright.features.testgen import TestgenFeature, render
from linewright.features.testgen.measure import universe
from linewright.features.testgen.records import Candidate, Coverage, Limits, Verdict
from linewright.features.testgen.sandbox import Sandbox
from linewright.features.testgen.verify import place
from tests.unit.test_testgen_target import make_project, make_target

CALC = "FACTOR = 2\n\n\ndef double(x):\n    return FACTOR * x\n"
OLD = (
    "import pytest\nfrom pkg.calc import double\n\n\n"
    "def test_old():\n    assert double(2) == 4\n\n\n"
    "def test_already_broken():\n    assert double(2) == 5\n"
)
SETS_TEN = (
    "import pkg.calc\nimport pytest\n\n\n@pytest.fixture(autouse=True)\n"
    "def _ten(monkeypatch):\n    monkeypatch.setattr(pkg.calc, 'FACTOR', 10)\n\n\n"
    "def test_ten():\n    from pkg.calc import double\n\n    assert double(1) == 10\n"
)
FOUR = Candidate("test_four", "def test_four():\n    assert double(2) == 4\n", (), "model:x")
SETS_THREE = Candidate(
    "test_six",
    "def test_six():\n    assert double(2) == 6\n",
    (
        "import pkg.calc",
        "import pytest",
        "@pytest.fixture(autouse=True)\n"
        "def _three(monkeypatch):\n    monkeypatch.setattr(pkg.calc, 'FACTOR', 3)",
    ),
    "model:x",
)
LEFT_ALONE = "tests/test_calc.py was left alone: "


@pytest.mark.parametrize(
    ("existing", "kept", "expected", "notes"),
    [
        pytest.param(OLD, FOUR, "tests/test_calc.py", [], id="fits-a-failing-test-stays-failing"),
        pytest.param(
            OLD, SETS_THREE, "tests/test_calc_linewright.py",
            [LEFT_ALONE + "our tests would break `test_old`, which pass without them"],
            id="breaks-a-test-of-the-file",
        ),
        pytest.param(
            SETS_TEN, FOUR, "tests/test_calc_linewright.py",
            [LEFT_ALONE + "our `test_four` does not pass in it (fails on the current code: "
             "assert 20 == 4)"],
            id="ours-fail-in-the-file",
        ),
        pytest.param(
            "def test_x(:\n", FOUR, "tests/test_calc_linewright.py",
            [LEFT_ALONE + "it does not parse (line 1); fix it first"],
            id="does-not-parse",
        ),
    ],
)  # fmt: skip
async def test_place_runs_the_whole_extended_file(
    tmp_path: pathlib.Path, existing: str, kept: Candidate, expected: str, notes: list[str]
) -> None:
    target = make_target(make_project(tmp_path, CALC, "src/pkg/calc.py"), 5)
    tests = tmp_path / "tests"
    files: list[tuple[pathlib.Path, str | None]] = [
        (tests / "test_calc.py", existing),
        (tests / "test_calc_linewright.py", None),
    ]
    verdict = Verdict((kept,), (), Coverage(line_total=1))
    sandbox = Sandbox(Limits(test_wall_s=5.0))
    found, edit, said = await place(target, verdict, sandbox, universe(target), files)
    assert found == verdict
    assert edit is not None and edit.path == tmp_path / expected
    assert edit.create == (expected != "tests/test_calc.py")
    assert [note.replace(f"{tmp_path}/", "") for note in said] == notes
    ast.parse(edit.text)
    tests.mkdir()
    (tests / "test_calc.py").write_text(existing)
    edit.path.write_text(edit.text)
    ran = run_pytest(tmp_path, edit.path)
    outcome = "1 failed, 2 passed" if existing == OLD and not edit.create else "1 passed"
    assert ran.stdout.splitlines()[-1].strip("= ").startswith(f"{outcome} in "), ran.stdout


async def test_nothing_is_offered_when_no_file_takes_the_tests(tmp_path: pathlib.Path) -> None:
    target = make_target(make_project(tmp_path, CALC, "src/pkg/calc.py"), 5)
    files: list[tuple[pathlib.Path, str | None]] = [(tmp_path / "test_calc.py", SETS_TEN)]
    verdict = Verdict((FOUR,), (), Coverage(lines=frozenset({5}), line_total=1))
    sandbox = Sandbox(Limits(test_wall_s=5.0))
    found, edit, notes = await place(target, verdict, sandbox, universe(target), files)
    assert edit is None and found.kept == () and found.coverage == Coverage(line_total=1)
    assert [(d.name, d.reason) for d in found.dropped] == [("test_four", "fail")]
    assert len(notes) == 1 and "does not pass in it" in notes[0]


def run_pytest(folder: pathlib.Path, path: pathlib.Path) -> subprocess.CompletedProcess[str]:
    """The file under the real pytest, outside any sandbox."""
    env = {**os.environ, "PYTHONPATH": str(folder / "src"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        capture_output=True, text=True, cwd=folder, env=env, timeout=120, check=False,
    )  # fmt: skip


def no_backend() -> Backend:
    raise AssertionError("the model is not asked with use_model=False")


# `other.double` is not ours: the extension must not rebind it
SHADOW = "from other import double\n\n\ndef test_old():\n    assert double(2) == 5\n"


async def test_generate_extends_the_editors_text_without_rebinding(
    tmp_path: pathlib.Path,
) -> None:
    path = make_project(tmp_path, CALC, "src/pkg/calc.py")
    (tmp_path / "other.py").write_text("def double(x):\n    return 2 * x + 1\n")
    test_file = tmp_path / "tests" / "test_calc.py"
    test_file.parent.mkdir()
    test_file.write_text("def test_on_disk():\n    assert True\n")
    buffers = {test_file: SHADOW}  # the editor holds unsaved edits of the test file
    settings = TestgenSettings(test_timeout_s=5.0, use_model=False)
    feature = TestgenFeature(no_backend, lambda: settings)
    result = await feature.generate(
        make_target(path, 5), use_model=False, read=lambda p: buffers.get(p)
    )
    edit = result.edit
    assert edit is not None and (edit.path, edit.create) == (test_file, False), result.notes
    assert edit.inserts[0] == render.Insert(1, 0, "from pkg.calc import double as double_lw\n")
    assert render.apply(SHADOW, edit.inserts) == edit.text
    assert edit.text.startswith("from other import double\nfrom pkg.calc import double as ")
    assert "double_lw(" in edit.text and result.notes == ()
    test_file.write_text(edit.text)
    ran = run_pytest(tmp_path, test_file)
    passed = f"{len(result.verdict.kept) + 1} passed"
    assert ran.returncode == 0 and passed in ran.stdout, ran.stdout
