"""testgen end to end below the LSP: the feature on a real backend, and the CLI command."""

from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys
from types import SimpleNamespace
from typing import cast

import pytest

from linewright.app import App
from linewright.cli import testgen as testgen_command
from linewright.config import BackendSettings, Settings, TestgenSettings
from linewright.features.testgen import TestgenFeature, TestgenResult
from linewright.features.testgen.measure import universe
from linewright.features.testgen.records import Candidate, Limits
from linewright.features.testgen.render import FileEdit
from linewright.features.testgen.sandbox import Sandbox
from linewright.features.testgen.verify import verify
from tests.unit.test_testgen_target import make_project, make_target

CALC = '''\
def clamp(value: int, low: int = 0, high: int = 10) -> int:
    """Limit `value` to [low, high].

    >>> clamp(12)
    10
    """
    if low > high:
        raise ValueError("empty range")
    if value < low:
        return low
    return min(value, high)
'''
FAST = TestgenSettings(model_requests=2, max_tokens=64, test_timeout_s=5.0)


def run_pytest(folder: pathlib.Path, path: pathlib.Path) -> subprocess.CompletedProcess[str]:
    """The generated file under the real pytest, outside any sandbox."""
    env = {**os.environ, "PYTHONPATH": str(folder / "src"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        capture_output=True, text=True, cwd=folder, env=env, timeout=120, check=False,
    )  # fmt: skip


async def test_generate_on_the_tiny_model(tmp_path: pathlib.Path, tiny_llama_url: str) -> None:
    path = make_project(tmp_path, CALC, "src/pkg/calc.py")
    settings = Settings(backend=BackendSettings(kind="llamacpp", url=tiny_llama_url), testgen=FAST)
    runtime = App(settings)
    feature = TestgenFeature(runtime.backend, lambda: settings.testgen)
    steps: list[tuple[str, int]] = []
    try:
        result = await feature.generate(make_target(path, 8), lambda m, p: steps.append((m, p)))
    finally:
        await runtime.aclose()
    assert steps[0] == ("deriving tests from executions", 5)
    assert [m for m, _ in steps if m.startswith("asking")] == [
        "asking the model (signature, 1/2)",
        "asking the model (body, 2/2)",
    ]
    assert steps[-1] == ("done", 100)
    assert result.verdict.kept, result.summary()
    cover = result.verdict.coverage
    assert (cover.line_rate, cover.branch_rate) == (1.0, 1.0)
    assert result.edit is not None and result.edit.create
    assert result.edit.path == tmp_path / "tests" / "test_calc.py"
    assert not result.edit.path.exists()  # generating never writes
    ast.parse(result.edit.text)
    assert set(result.verdict.layers) >= {"rlimits"}
    summary = result.summary()
    assert summary.startswith(
        f"{len(result.verdict.kept)} verified tests for `clamp` (line coverage 100%"
    )
    assert str(result.edit.path) in summary
    data = result.to_json()
    assert data["target"] == "clamp" and data["text"] == result.edit.text
    assert len(data["kept"]) + len(data["dropped"]) >= result.candidates["derived"]
    result.edit.path.parent.mkdir()
    result.edit.path.write_text(result.edit.text)
    ran = run_pytest(tmp_path, result.edit.path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"{len(result.verdict.kept)} passed" in ran.stdout


async def test_a_failing_model_leaves_the_derived_tests(tmp_path: pathlib.Path) -> None:
    path = make_project(tmp_path, CALC, "src/pkg/calc.py")
    settings = Settings(
        backend=BackendSettings(kind="llamacpp", url="http://127.0.0.1:9", connect_timeout_s=0.5),
        testgen=FAST,
    )
    runtime = App(settings)
    try:
        result = await TestgenFeature(runtime.backend, lambda: FAST).generate(make_target(path, 8))
    finally:
        await runtime.aclose()
    assert result.verdict.kept and all(c.origin == "derived" for c in result.verdict.kept)
    assert len(result.notes) == 1 and result.notes[0].startswith("The model failed (")
    assert result.notes[0] in result.summary()


SIGN = "def sign(x):\n    if x < 0:\n        return -1\n    return 1\n"


def check(name: str, call: str, expected: str) -> Candidate:
    return Candidate(name, f"def {name}():\n    assert {call} == {expected}\n", (), "model:x")


@pytest.mark.parametrize(
    ("max_tests", "kept", "reasons"),
    [
        pytest.param(2, ["test_neg", "test_pos"], {"test_again": "no-coverage"}, id="no-coverage"),
        pytest.param(
            1, ["test_pos"], {"test_neg": "limit", "test_again": "no-coverage"}, id="limit"
        ),
    ],
)
async def test_verify_keeps_what_adds_coverage(
    tmp_path: pathlib.Path, max_tests: int, kept: list[str], reasons: dict[str, str]
) -> None:
    target = make_target(make_project(tmp_path, SIGN, "src/pkg/sign.py"), 2)
    candidates = [
        check("test_neg", "sign(-2)", "-1"),
        check("test_pos", "sign(3)", "1"),
        check("test_again", "sign(4)", "1"),
        check("test_wrong", "sign(3)", "2"),
    ]
    sandbox = Sandbox(Limits(test_wall_s=5.0))
    verdict = await verify(target, candidates, sandbox, universe(target), max_tests)
    assert [c.name for c in verdict.kept] == kept
    assert {d.name: d.reason for d in verdict.dropped} == {**reasons, "test_wrong": "fail"}
    wrong = next(d for d in verdict.dropped if d.name == "test_wrong")
    assert wrong.detail.startswith("fails on the current code: assert 1 == 2")
    assert verdict.coverage.line_total == 3 and verdict.coverage.branch_total == 2


def cli(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINEWRIGHT_TESTGEN_TEST_TIMEOUT_S": "5"}
    return subprocess.run(
        [sys.executable, "-m", "linewright", "testgen", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False,
    )  # fmt: skip


def test_cli_json_writes_nothing(tmp_path: pathlib.Path) -> None:
    path = make_project(tmp_path, CALC, "src/pkg/calc.py")
    result = cli(f"{path}:9", "--json", "--no-model", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target"] == "clamp" and data["module"] == "pkg.calc"
    assert data["kept"] and all(k["origin"] == "derived" for k in data["kept"])
    assert data["line_coverage"] == 1.0 and data["branch_coverage"] == 1.0
    assert data["file"] == str(tmp_path / "tests" / "test_calc.py") and data["create"] is True
    assert data["written"] is None and not (tmp_path / "tests").exists()
    assert "deriving tests from executions" in result.stderr


def test_cli_write_extends_the_existing_file(tmp_path: pathlib.Path) -> None:
    path = make_project(tmp_path, CALC, "src/pkg/calc.py")
    existing = tmp_path / "tests" / "test_calc.py"
    existing.parent.mkdir()
    existing.write_text("def test_already_there():\n    assert True\n")
    result = cli(f"{path}:1", "--write", "--no-model", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "verified test" in result.stderr and f"added to {existing}" in result.stderr
    imports, rest = existing.read_text().split("\n\n\n", 1)
    assert imports in ("from pkg.calc import clamp", "import pytest\nfrom pkg.calc import clamp")
    assert rest.startswith("def test_already_there():\n    assert True\n\n\ndef test_clamp_")
    ran = run_pytest(tmp_path, existing)
    assert ran.returncode == 0 and " passed" in ran.stdout, ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("location", "message"),
    [
        pytest.param("nofile.py:1", "cannot read", id="missing-file"),
        pytest.param("calc.py", "expected FILE:LINE", id="no-line"),
        pytest.param("{path}:99", "line 99 is past its end", id="past-the-end"),
    ],
)
def test_cli_bad_input(tmp_path: pathlib.Path, location: str, message: str) -> None:
    path = make_project(tmp_path, CALC, "src/pkg/calc.py")
    result = cli(location.format(path=path), "--no-model", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


async def test_an_unreadable_test_file_is_left_alone_and_nothing_is_lost(
    tmp_path: pathlib.Path,
) -> None:
    path = make_project(tmp_path, CALC, "src/pkg/calc.py")
    unreadable = tmp_path / "tests" / "test_calc.py"
    unreadable.parent.mkdir()
    unreadable.write_bytes(b"\xff\xfe not utf-8 \x80\n")
    feature = TestgenFeature(lambda: None, lambda: FAST)  # type: ignore[arg-type,return-value]
    result = await feature.generate(make_target(path, 8), use_model=False)
    assert result.verdict.kept and result.edit is not None
    assert (result.edit.path, result.edit.create) == (
        tmp_path / "tests" / "test_calc_linewright.py",
        True,
    )
    assert result.notes[0].startswith("test_calc.py was left alone (cannot read ")
    assert unreadable.read_bytes() == b"\xff\xfe not utf-8 \x80\n"


def test_write_never_overwrites_a_file_that_appeared(tmp_path: pathlib.Path) -> None:
    appeared = tmp_path / "tests" / "test_x.py"
    appeared.parent.mkdir()
    appeared.write_text("# mine\n")
    edit = FileEdit(appeared, True, (), "def test_new():\n    assert f() == 1\n")
    with pytest.raises(FileExistsError):
        testgen_command.write(cast(TestgenResult, SimpleNamespace(edit=edit)))
    assert appeared.read_text() == "# mine\n"
    extended = FileEdit(appeared, False, (), "# mine\n\ndef test_new():\n    assert f() == 1\n")
    assert testgen_command.write(cast(TestgenResult, SimpleNamespace(edit=extended))) == appeared
    assert appeared.read_text() == extended.text
