"""bubblewrap (`bwrap`) as the sandbox's outer wall on Linux: which one, whether it works
here, and the command line that starts the test interpreter inside it.

The interpreter starts *inside* the wall, so nothing it runs at start-up (the `.pth` files
of a committed `.venv`, a `pyvenv.cfg` pointing at a planted standard library) runs
outside it. Inside: new user, PID, IPC, UTS, network and cgroup namespaces (`--unshare-all`,
`--unshare-user`), no further user namespaces, user and group `nobody`, no capabilities,
a new session (no terminal injection), killed with the process that started it
(`--die-with-parent`). Its file system is a read-only tmpfs holding only:

- `/usr` and the system's library folders, and a few files of `/etc` (time zones, the
  loader cache, TLS settings): no `/home`, `/root`, `/run`, `/var`, `/tmp` of the host,
  so no host socket (ssh-agent, docker, the session bus) and no user file is there;
- the interpreter: the folders on its chain of links, its prefix's `lib` folders, the
  virtualenv it belongs to, and the site-packages `pytest` and `coverage` come from;
- each project root with its entries except the hidden ones (`.git`, `.env`, `.venv`
  unless it is the interpreter's);
- the run's tools folder (runner, job, test files), all of these read-only;
- a fresh `/proc` of the new PID namespace, a minimal `/dev` (read-only: no `/dev/shm` to
  fill), and the work folder: a tmpfs of `disk_mb`, gone with the sandbox.

`find()` is cached by the caller (a `Sandbox`), never at module level. Setting the
environment variable `LINEWRIGHT_TESTGEN_NO_BWRAP=1` hides bwrap (tests of the fallback,
the benchmark).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from linewright.features.testgen.child.reads import project_entries

HIDE = "LINEWRIGHT_TESTGEN_NO_BWRAP"
NOBODY = "65534"
SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin")
ETC = (
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ld.so.cache",
    "/etc/nsswitch.conf",
    "/etc/os-release",
    "/etc/mime.types",
    "/etc/ssl/openssl.cnf",
    "/etc/ssl/certs",
    "/sys/devices/system/cpu",
)
"""What glibc, OpenSSL and the standard library read (time zones, shared libraries, the CPU
count); none of it names a user or holds a secret."""
WALL = (
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--uid",
    NOBODY,
    "--gid",
    NOBODY,
    "--cap-drop",
    "ALL",
    "--hostname",
    "linewright-sandbox",
)


@dataclass(frozen=True)
class Wall:
    """A bwrap that starts a sandbox on this machine."""

    path: str
    version: str


@dataclass(frozen=True)
class Found:
    """The outcome of looking for bwrap: the wall, or why there is none."""

    wall: Wall | None
    reason: str = ""


def find(environ: dict[str, str] | None = None) -> Found:
    """The bwrap to use, checked by starting an empty sandbox (a container without user
    namespaces has the binary, but it cannot work there)."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return Found(None, "bubblewrap is Linux only")
    if env.get(HIDE):
        return Found(None, f"bubblewrap hidden by {HIDE}")
    path = shutil.which("bwrap")
    if path is None:
        return Found(None, "bubblewrap (bwrap) is not installed")
    true = shutil.which("true", path="/usr/bin:/bin")
    try:
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
        probe = subprocess.run(
            [path, *WALL, *system(), "--", true or "/usr/bin/true"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Found(None, f"bubblewrap does not start: {exc}")
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return Found(None, f"bubblewrap cannot make a sandbox here: {last}")
    return Found(Wall(path, version.removeprefix("bubblewrap ").strip() or "unknown"))


def system() -> list[str]:
    """The system's program and library folders, read-only (links stay links)."""
    args: list[str] = []
    for folder in SYSTEM:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    return args


def interpreter_paths(python: str) -> list[str]:
    """What the interpreter needs to start: every folder on its chain of links, its
    virtualenv (a `pyvenv.cfg` above `bin/`), and its prefix's library folders."""
    found: list[str] = []
    current, seen = os.path.abspath(python), 0
    while seen < 40:
        found.append(os.path.dirname(current))
        venv = os.path.dirname(os.path.dirname(current))
        if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            found.append(venv)
        if not os.path.islink(current):
            break
        current = os.path.join(os.path.dirname(current), os.readlink(current))
        current, seen = os.path.normpath(current), seen + 1
    prefix = os.path.dirname(os.path.dirname(os.path.realpath(python)))
    if prefix != os.sep:
        found += [os.path.join(prefix, lib) for lib in ("lib", "lib64")]
    return [path for path in found if os.path.exists(path)]


def command(
    wall: Wall,
    argv: Sequence[str],
    *,
    readable: Iterable[str],
    projects: Iterable[str],
    work: str,
    workdir: str,
    disk_mb: int,
    cwd: str,
) -> list[str]:
    """bwrap's command line running `argv` with `readable` (whole) and `projects` (their
    entries but hidden ones) read-only, `work` a tmpfs of `disk_mb` MiB and `workdir` in it."""
    args = [wall.path, *WALL, *system(), "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
    for path in ETC:
        args += ["--ro-bind-try", path, path]
    bound: list[str] = ["/usr"]
    for path in _outermost(readable):
        if not _below(path, bound):
            args += ["--ro-bind", path, path]
            bound.append(path)
    for root in _outermost(projects, keep_nested=True):
        if _below(root, bound):
            continue
        args += ["--dir", root]
        for entry in project_entries(root):
            args += ["--ro-bind", entry, entry]
        bound.append(root)
    args += ["--size", str(disk_mb * 1024 * 1024), "--tmpfs", work, "--dir", workdir]
    args += ["--remount-ro", "/", "--chdir", cwd, "--", *argv]
    return args


def _outermost(paths: Iterable[str], keep_nested: bool = False) -> list[str]:
    """Absolute, existing, distinct paths, shortest first (a folder before what is in it);
    without `keep_nested`, a path inside another one is left out."""
    real = sorted(
        {os.path.abspath(p) for p in paths if p and os.path.isabs(p) and os.path.exists(p)},
        key=lambda p: (p.count(os.sep), p),
    )
    if keep_nested:
        return real
    kept: list[str] = []
    for path in real:
        if not _below(path, kept):
            kept.append(path)
    return kept


def _below(path: str, tops: Iterable[str]) -> bool:
    return any(path == top or path.startswith(top.rstrip(os.sep) + os.sep) for top in tops)
