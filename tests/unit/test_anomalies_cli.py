"""`linewright flag` as CI runs it: a subprocess on real files and the tiny model."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

SOURCE = "def mean(values):\n    total = sum(values)\n    return total / len(values)\n"
# The tiny model writes gibberish: open the rule wide so its differences are flagged.
OPEN = "[flag]\nminScore = 0.000001\nmaxLineTokens = 8\n"


def run(*args: str, env: dict[str, str], cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linewright", "flag", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env},
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def workspace(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "stats.py").write_text(SOURCE)
    (tmp_path / "pkg" / "gen.py").write_text(SOURCE)
    (tmp_path / "pkg" / "notes.txt").write_text("not code\n")
    (tmp_path / ".gitignore").write_text("gen.py\n")
    (tmp_path / "open.toml").write_text(OPEN)
    return tmp_path


@pytest.fixture
def tiny_env(tiny_model_path: pathlib.Path, tmp_path: pathlib.Path) -> dict[str, str]:
    return {
        "LINEWRIGHT_EMBEDDED_MODEL_PATH": str(tiny_model_path),
        "LINEWRIGHT_EMBEDDED_THREADS": "1",
        "LINEWRIGHT_CACHE_DIR": str(tmp_path / "cache"),
    }


def test_json_report_walks_the_directory_respecting_gitignore(
    workspace: pathlib.Path, tiny_env: dict[str, str]
) -> None:
    result = run("pkg", "--format", "json", "--config", "open.toml", env=tiny_env, cwd=workspace)
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)["files"]
    assert [f["path"] for f in files] == ["pkg/stats.py"]
    flags = files[0]["flags"]
    assert flags, "the open rule flags the tiny model's differences"
    lines = SOURCE.split("\n")
    for flag in flags:
        assert lines[flag["line"]][flag["start"] : flag["end"]] == flag["original"]
        assert flag["severity"] in ("warning", "information") and 0 < flag["score"] <= 1
    assert "linewright flag: [1/1] pkg/stats.py" in result.stderr  # progress on stderr


def test_text_and_sarif_formats_and_fail_on_flag(
    workspace: pathlib.Path, tiny_env: dict[str, str]
) -> None:
    common = ("pkg/stats.py", "--config", "open.toml")
    text = run(*common, "--fail-on-flag", env=tiny_env, cwd=workspace)
    assert text.returncode == 1, text.stderr
    assert text.stdout.startswith("pkg/stats.py:")
    assert "Unusual line (score" in text.stdout
    sarif = run(*common, "--format", "sarif", env=tiny_env, cwd=workspace)
    assert sarif.returncode == 0, sarif.stderr
    log = json.loads(sarif.stdout)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert len(results) == len(text.stdout.strip().split("\n"))
    uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "pkg/stats.py"


def test_min_score_option_overrides_the_setting(
    workspace: pathlib.Path, tiny_env: dict[str, str]
) -> None:
    common = ("pkg/stats.py", "--config", "open.toml", "--format", "json")
    everything = json.loads(run(*common, env=tiny_env, cwd=workspace).stdout)
    nothing = json.loads(run(*common, "--min-score", "1", env=tiny_env, cwd=workspace).stdout)
    assert everything["files"][0]["flags"] and not nothing["files"][0]["flags"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("missing.py",), "no such file or directory: missing.py", id="missing"),
        pytest.param(
            ("pkg", "--min-score", "2"), "--min-score must be between 0 and 1", id="score"
        ),
    ],
)
def test_usage_errors_exit_2(
    args: tuple[str, ...], message: str, workspace: pathlib.Path, tiny_env: dict[str, str]
) -> None:
    result = run(*args, env=tiny_env, cwd=workspace)
    assert result.returncode == 2
    assert message in result.stderr


def test_backend_failure_is_reported_once_with_exit_2(workspace: pathlib.Path) -> None:
    env = {"LINEWRIGHT_BACKEND_KIND": "llamacpp", "LINEWRIGHT_BACKEND_URL": "http://127.0.0.1:9"}
    result = run("pkg", env=env, cwd=workspace)
    assert result.returncode == 2
    assert result.stderr.count("backend failed") == 1
    assert "127.0.0.1:9" in result.stderr
