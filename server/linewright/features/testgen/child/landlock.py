"""Landlock on the sandbox child (Linux 5.13+): what it may read and write, whatever code runs.

- reads (`landlock-reads`): only what `reads.Reads` allows; when that ruleset cannot be
  built the write-only one below is applied alone, and the layer is reported missing;
- writes: only below the sandbox's work folder (and to /dev/null); no exec anywhere;
- TCP bind/connect denied (ABI 4+); no signals to, and no abstract Unix sockets of,
  processes outside (ABI 6+). A Landlocked process cannot change mounts either.

Needs `no_new_privs`. Standard library only; elsewhere it answers "not applied".
"""

from __future__ import annotations

import ctypes
import os
import stat
from typing import Any

from .reads import Reads, project_entries

PR_SET_NO_NEW_PRIVS = 38
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same on every arch
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 1 << 1, 1 << 2, 1 << 3
FS_WRITES = FS_WRITE_FILE | sum(1 << bit for bit in range(4, 13))  # remove_*, make_*
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14
FS_READS = FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE
NET_BIND_CONNECT_TCP = 0b11
SCOPE_ABSTRACT_UNIX_AND_SIGNAL = 0b11


class _RulesetAttr(ctypes.Structure):
    _fields_ = (("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64))


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock(workdir: str, reads: Reads | None) -> list[str]:
    """Restrict reads (when `reads` is given), writes, TCP and signals; returns the layers
    applied: ["landlock:abiN", "landlock-reads"], ["landlock:abiN"] or []."""
    libc = _libc()
    abi = libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return []
    for with_reads in (True, False) if reads is not None else (False,):
        ruleset = _ruleset(libc, abi, workdir, reads if with_reads else None)
        if ruleset is None:
            continue
        try:
            if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                return []
            if libc.syscall(SYS_RESTRICT_SELF, ruleset, 0) != 0:
                return []
        finally:
            os.close(ruleset)
        return [f"landlock:abi{abi}", *(["landlock-reads"] if with_reads else [])]
    return []


def _ruleset(libc: Any, abi: int, workdir: str, reads: Reads | None) -> int | None:
    """A ruleset file descriptor with every rule added, or None (nothing applied)."""
    fs = FS_WRITES | FS_EXECUTE | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    fs |= FS_READS if reads is not None else 0
    attr = _RulesetAttr(
        fs,
        NET_BIND_CONNECT_TCP if abi >= 4 else 0,
        SCOPE_ABSTRACT_UNIX_AND_SIGNAL if abi >= 6 else 0,
    )
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return None
    rules = [(workdir, fs & ~FS_EXECUTE), (os.devnull, fs & ~FS_EXECUTE)]
    if reads is not None:
        rules += [(path, FS_READS) for path in reads.below]
        for root in reads.projects:
            rules += [(root, FS_READ_DIR), *((e, FS_READS) for e in project_entries(root))]
    if all(_allow(libc, ruleset, path, rights) for path, rights in rules):
        return int(ruleset)
    os.close(ruleset)
    return None


def _allow(libc: Any, ruleset: int, path: str, rights: int) -> bool:
    """Add a path-beneath rule (only the file rights for a file); a path this process
    cannot reach (gone, or not allowed to it) needs no rule."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return True
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        rule = _PathBeneath(rights, fd)
        return bool(libc.syscall(SYS_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0) == 0)
    finally:
        os.close(fd)
