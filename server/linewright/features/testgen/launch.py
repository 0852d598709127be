"""How a sandbox child process starts: which interpreter, with what environment and command
line (inside bwrap, or the fallback that contains itself), in which temporary folders.

- interpreter: the setting, else the workspace's virtualenv, else ours (`interpreter`);
- environment: locale and PATH only (no keys, tokens or proxies); HOME and TMPDIR are the
  work folder (`child_env`);
- folders: one temporary folder per run, named after the server's process id, so a later
  server removes what a killed one left (`stale`); inside bwrap its work folder is a
  tmpfs of the sandbox instead, gone with it;
- fallback, when the interpreter is a virtualenv inside a project root: its real
  executable starts with `-I -S` (no `pyvenv.cfg`, no `.pth` file, nothing of the project
  runs before the child contains itself) and the virtualenv's site-packages are added to
  `sys.path` only then, without their `.pth` files.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
PREFIX = "linewright-testgen-"
PR_SET_DUMPABLE = 4
CHILD_KERNEL_NEEDS = ("netns", "landlock", "seccomp")
"""Without bwrap, the child's own layers that must all hold (unless the user opts in)."""
BOOT = (  # '' (the cwd) goes before any import: nothing found there may run
    "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    "sys.path.insert(0, sys.argv[1]); from lw_child.runner import main; main(sys.argv[2])"
)


@dataclass(frozen=True)
class Folder:
    """A run's folders. Only a folder in `work` (a new one per process) is writable from
    inside (its cwd, HOME and TMPDIR); the runner, the job, the test files and the overlay
    sit in `tools`, out of the tests' reach, so nothing a test writes can change what a
    restarted run executes."""

    work: Path
    tools: Path
    tests: Path


def interpreter(setting: str, root: Path) -> str:
    """The Python that runs tests: the setting, else the workspace's virtualenv, else ours.

    A workspace virtualenv is used only when it looks made by `venv`/`virtualenv`: a
    `pyvenv.cfg` beside `bin/`, and `bin/python` resolving to an interpreter outside the
    workspace. An executable that lives in the repository itself (a committed script named
    `python`) would run before any containment, so it is never picked.
    """
    if setting:
        return setting
    workspace = root.resolve()
    for folder in (".venv", "venv"):
        candidate = root / folder / "bin" / "python"
        real = candidate.resolve()
        if (
            candidate.is_file()
            and (root / folder / "pyvenv.cfg").is_file()
            and workspace not in real.parents
            and os.access(real, os.X_OK)
        ):
            return str(candidate)
    return sys.executable


def child_env(workdir: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The child's whole environment: locale and PATH from ours, nothing else inherited."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if k in KEEP_ENV or k.startswith("LC_")}
    env.setdefault("PATH", os.defpath)
    env.update(
        HOME=str(workdir),
        TMPDIR=str(workdir),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        PYTHONNOUSERSITE="1",
        PYTHONIOENCODING="utf-8",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    return env


def undumpable() -> None:
    """Make this process non-dumpable (Linux): processes of the same user (without
    CAP_SYS_PTRACE) can no longer read its /proc entries (its environment may hold API
    keys) or ptrace it, and it leaves no core dump. Cheap and idempotent."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def fallback_paths() -> list[str]:
    """Our site-packages for coverage and pytest, appended to the child's sys.path so a
    workspace interpreter without them still runs (its own copies come first)."""
    found = []
    for name in ("coverage", "pytest", "_pytest", "pluggy", "iniconfig", "packaging"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            found.append(str(Path(spec.origin).parent.parent))
    return list(dict.fromkeys(found))


def project_venv(python: str, roots: Iterable[str]) -> str | None:
    """The virtualenv `python` belongs to when that lies inside one of the project roots."""
    venv = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        return None
    real = os.path.realpath(venv)
    inside = any(real.startswith(os.path.realpath(r).rstrip(os.sep) + os.sep) for r in roots)
    return venv if inside else None


def site_packages(venv: str) -> list[str]:
    """A virtualenv's site-packages folders (found by name: nothing of it runs)."""
    found = glob.glob(os.path.join(glob.escape(venv), "lib*", "python*", "site-packages"))
    return sorted(p for p in found if os.path.isdir(p))


def argv(python: str, folder: Folder, job_path: Path, *, isolated: bool) -> list[str]:
    """The child's command line; `isolated`: the real executable, no site at all."""
    tail = ["-B", "-c", BOOT, str(folder.tools), str(job_path)]
    if isolated:
        return [os.path.realpath(python), "-I", "-S", *tail]
    return [python, "-s", *tail]


def new_base() -> Path:
    """A new run folder, named after this process (see `stale`)."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")).resolve()


def stale(temp: str | None = None) -> list[Path]:
    """Run folders of servers that are gone (killed before they could remove them)."""
    found = []
    for path in Path(temp or tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        owner = path.name.removeprefix(PREFIX).split("-", 1)[0]
        if not owner.isdigit() or int(owner) == os.getpid() or not path.is_dir():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            found.append(path)
        except PermissionError:
            continue  # alive, another user's
    return found


def remove_stale() -> None:
    for path in stale():
        if path.stat().st_uid == os.getuid():
            shutil.rmtree(path, ignore_errors=True)
