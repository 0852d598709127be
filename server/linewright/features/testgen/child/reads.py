"""What the sandbox child may read, for Landlock (`landlock.py`) and the guard's report.

- below, whole: the interpreter (its prefixes' lib folders, every import path that is not a
  project root, the executable), the sandbox's tools and work folders, the system's shared
  libraries, and a few small files the standard library reads (time zones, users, groups);
- projects: a project root's listing, and below its entries except the hidden ones
  (`.env`, `.git`, and `~/.ssh` when the root is the home folder);
- `/proc/self`, only when the child mounted a /proc of its own (other processes are gone).

Anything else (the rest of the home folder, other users' files, `/proc/<pid>/environ`)
cannot be read once `landlock-reads` is applied. Standard library only.
"""

from __future__ import annotations

import mimetypes
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Any

SYSTEM = (
    "/dev/null",
    "/dev/urandom",
    "/dev/zero",
    "/etc/localtime",
    "/etc/timezone",
    "/usr/share/zoneinfo",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/ld.so.cache",
    "/etc/os-release",
    "/etc/ssl/openssl.cnf",
    "/etc/ssl/certs",
    "/usr/share/ca-certificates",
    "/usr/share/locale",
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/sys/devices/system/cpu",
)
"""Shared libraries (extension modules load them late) and what glibc, OpenSSL and the
standard library read: time zones, users and groups, the CPU count, public certificates,
translations (and `mimetypes.knownfiles`)."""


@dataclass
class Reads:
    """The read allow-list: folders (or files) readable below, and project roots."""

    below: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)

    def allows(self, path: str) -> bool:
        """Whether `path` (absolute, symlinks resolved) is readable under these rules."""
        if any(_within(path, top) for top in self.below):
            return True
        return any(path == root or _visible(path, root) for root in self.projects)


def reads_of(job: dict[str, Any]) -> Reads:
    """The allow-list for `job`, with `sys.path` already set up for it."""
    projects = _real(job["sys_path"])
    interpreter = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    below = [
        *(os.path.join(prefix, lib) for prefix in interpreter for lib in ("lib", "lib64")),
        *(value for key, value in sysconfig.get_paths().items() if "include" not in key),
        os.path.dirname(os.__file__),
        sys.executable,
        job["measure"],
        *sys.path,
        *job["extra_path"],
        job["tools"],
        job["workdir"],
        *SYSTEM,
        *mimetypes.knownfiles,
    ]
    return Reads([p for p in _real(below) if p not in projects], projects)


def _real(paths: list[str]) -> list[str]:
    """Absolute, resolved, existing and distinct."""
    found = (os.path.realpath(p) for p in paths if p and os.path.isabs(p))
    return [p for p in dict.fromkeys(found) if os.path.exists(p)]


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _visible(path: str, root: str) -> bool:
    """Whether `path` is strictly below `root`, and not in a hidden entry of it."""
    if path == root or not _within(path, root):
        return False
    return not path[len(root) :].lstrip(os.sep).startswith(".")


def project_entries(root: str) -> list[str]:
    """A project root's entries readable below: not hidden, and no link to a hidden one,
    to the root itself or out of it."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    full = (os.path.join(root, name) for name in names)
    return [path for path in full if _visible(os.path.realpath(path), root)]
