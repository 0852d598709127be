"""The `linewright` command as a user runs it: a subprocess, real files, the tiny model."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys

import pytest


def run(
    *args: str, env: dict[str, str] | None = None, cwd: pathlib.Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linewright", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def tiny_env(tiny_model_path: pathlib.Path) -> dict[str, str]:
    return {
        "LINEWRIGHT_EMBEDDED_MODEL_PATH": str(tiny_model_path),
        "LINEWRIGHT_EMBEDDED_THREADS": "1",
    }


def test_complete_json_on_the_embedded_backend(
    tiny_env: dict[str, str], tmp_path: pathlib.Path
) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f(x):\n    # \n")  # in a comment: the tiny model's text survives
    result = run(
        "complete",
        f"{source}:2:7",
        "--json",
        "--config",
        str(tmp_path / "none.toml"),
        env=tiny_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["suggestions"]
    assert data["suggestions"], "the tiny model always answers"
    first = data["suggestions"][0]
    cursor = {"line": 1, "character": 6}
    assert first["range"] == {"start": cursor, "end": cursor}
    assert isinstance(first["text"], str) and first["text"].strip()
    assert "model server ready" in result.stderr  # progress line on stderr, stdout stays JSON


def test_complete_column_counts_characters(
    tiny_env: dict[str, str], tmp_path: pathlib.Path
) -> None:
    source = tmp_path / "u.py"
    source.write_text('s = "🎉"; t = \n')
    result = run("complete", f"{source}:1:14", "--json", env=tiny_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for suggestion in json.loads(result.stdout)["suggestions"]:
        assert suggestion["range"]["start"] == {
            "line": 0,
            "character": 14,
        }  # emoji is 2 UTF-16 units


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("nofile.py:1:1", id="missing-file"),
        pytest.param("m.py:0:1", id="zero-line"),
        pytest.param("m.py:1", id="no-column"),
        pytest.param("m.py:a:b", id="not-numbers"),
    ],
)
def test_complete_rejects_bad_locations(location: str, tmp_path: pathlib.Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    result = run("complete", location, cwd=tmp_path)
    assert result.returncode == 2
    assert "linewright:" in result.stderr and "Traceback" not in result.stderr


def test_doctor_reports_a_healthy_embedded_backend(
    tiny_env: dict[str, str], tmp_path: pathlib.Path
) -> None:
    result = run("doctor", "--json", env=tiny_env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True and report["reachable"] is True
    assert report["backend"] == "embedded"
    assert report["model"] == "tiny.gguf" and report["fim"] is True
    assert report["probe_latency_ms"] > 0
    assert report["cache_dir"] == os.environ["LINEWRIGHT_CACHE_DIR"]
    assert "environment" in report["config_sources"]


def test_doctor_names_an_unreachable_backend(tmp_path: pathlib.Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(
        "--backend",
        "llamacpp",
        "--url",
        f"http://127.0.0.1:{port}",
        "doctor",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["reachable"] is False and f"127.0.0.1:{port}" in report["error"]


def test_doctor_reports_invalid_settings(tiny_env: dict[str, str], tmp_path: pathlib.Path) -> None:
    (tmp_path / "linewright.toml").write_text("[completion]\nmax_tokens = 'many'\n")
    result = run("doctor", "--json", env=tiny_env, cwd=tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert any("completion.maxTokens" in p for p in report["config_problems"])


def test_version_and_module_entry_point() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("linewright ")
