"""Static safety review of a test's own code. Kept tests are run later by the user, outside
any sandbox, so a test that could harm the machine is dropped whatever the sandbox saw.

Judged: the test function and its preamble (imports, fixtures, helpers at the top of a
model's answer). Never the code under test: calling the target is fine whatever it does.
Unsafe, as a reference (a call, an alias, an import), not only as a call:

- builtins that run code or wait for a person: eval, exec, compile, __import__, breakpoint,
  input, help, globals, locals; `vars()` bare or of an imported module (`vars(obj)` stays:
  derived tests compare instance state with it). A name the test rebinds (an import, a def,
  an assignment, a parameter, the target itself) is not the builtin.
- modules for processes, the network, native code, code loading, pickles, the debugger
  (`MODULES`), imported or reached through another module (`geo.subprocess`).
- os functions that run programs, signal, delete, rename, re-permission or create files, or
  touch the environment (`OS`), whatever the path; any `dir_fd`-style keyword; the sys, gc
  and inspect doors to modules and frames.
- escapes to globals, builtins and code objects: the dunders in `DUNDERS` as a name, an
  attribute or inside a string, frame attributes (`f_globals`, `tb_frame`), `__dict__` of an
  imported module, and getattr/setattr/delattr/attrgetter/methodcaller with a dunder or
  computed name. Harmless dunders stay: `__name__`, `__doc__`, `__class__`, `__qualname__`,
  `__module__`, dunder methods (`__eq__`, `__len__`), `__dict__` of objects.
- writes: `open(...)` (also `io.open`, `gzip.open`, `Path.open`) with a mode holding w, a, x
  or + (for `open(path, mode)`, also a mode that is not a literal), and the pathlib writers in
  `PATH_WRITERS`, unless the path is rooted in the `tmp_path`/`tmpdir` fixtures (`tmppath`
  says which expressions are). Reads are allowed.

Not detected (the sandbox reports them at verification, the user's later run would not):
writes through other libraries (`df.to_csv`, `np.save`), `Path.rename`/`replace` (the names
are `str.replace`'s too), files sqlite creates.
"""

from __future__ import annotations

import ast
import re

from linewright.features.testgen.tmppath import FIXTURES, TmpPaths

BUILTINS = frozenset(
    {"eval", "exec", "compile", "__import__", "breakpoint", "input", "help", "globals", "locals"}
)
MODULES = frozenset(
    {"subprocess", "socket", "ctypes", "multiprocessing", "signal", "shutil", "urllib", "http",
     "requests", "importlib", "pickle", "marshal", "ftplib", "smtplib", "telnetlib", "builtins",
     "posix", "nt", "pty", "pdb", "code", "codeop", "runpy", "webbrowser", "ssl", "socketserver",
     "xmlrpc", "poplib", "imaplib", "nntplib", "shelve", "dill", "cloudpickle", "httpx",
     "aiohttp", "urllib3", "cffi", "psutil", "pexpect", "paramiko", "winreg", "_winapi",
     "_posixsubprocess", "_thread"}
)  # fmt: skip
OS = frozenset(
    {"system", "popen", "fork", "forkpty", "kill", "killpg", "remove", "unlink", "rmdir",
     "removedirs", "rename", "renames", "replace", "chmod", "lchmod", "fchmod", "chown",
     "lchown", "fchown", "putenv", "unsetenv", "getenv", "getenvb", "environ", "environb",
     "truncate", "ftruncate", "link", "symlink", "mkdir", "makedirs", "mkfifo", "mknod", "open",
     "chdir", "fchdir", "chroot", "startfile", "abort", "_exit", "pidfd_open", "plock"}
)  # fmt: skip
OS_PREFIXES = ("exec", "spawn", "posix_spawn", "set", "fork", "kill", "wait")
MODULE_ATTRS = {
    "os": OS,
    "sys": frozenset({"modules", "_getframe", "settrace", "setprofile", "addaudithook",
                      "meta_path", "path_hooks", "path_importer_cache", "stdin", "remote_exec",
                      "_current_frames"}),
    "gc": frozenset({"get_objects", "get_referrers", "get_referents"}),
    "inspect": frozenset({"currentframe", "stack", "trace", "getouterframes", "getinnerframes",
                          "getclosurevars"}),
}  # fmt: skip
ANY_ATTRS = frozenset(
    {"create_subprocess_exec", "create_subprocess_shell", "subprocess_exec", "subprocess_shell",
     "open_connection", "open_unix_connection", "start_server", "start_unix_server",
     "sock_connect", "ProcessPoolExecutor", "f_globals", "f_locals", "f_builtins", "f_back",
     "tb_frame", "gi_frame", "cr_frame", "ag_frame", "co_code"}
)  # fmt: skip
"""Attributes unsafe on any object: asyncio's process and network doors, frames."""
DUNDERS = frozenset(
    {"__subclasses__", "__globals__", "__builtins__", "__code__", "__closure__", "__bases__",
     "__base__", "__mro__", "__self__", "__getattribute__", "__import__", "__loader__",
     "__spec__", "__reduce__", "__reduce_ex__"}
)  # fmt: skip
REACHABLE = frozenset(
    {"os", "sys", "gc", "inspect", "subprocess", "shutil", "ctypes", "pickle", "marshal",
     "importlib", "multiprocessing", "builtins", "posix", "pty"}
)  # fmt: skip
"""Module names unusual enough as attribute or key names to mean the module (`geo.os`)."""
NAMED = frozenset({"getattr", "setattr", "delattr", "attrgetter", "methodcaller"})
OPENERS = frozenset({"io", "codecs", "gzip", "bz2", "lzma", "tarfile"})
PATH_WRITERS = frozenset(
    {"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir", "symlink_to",
     "hardlink_to", "chmod", "lchmod", "link_to"}
)  # fmt: skip
DIR_FDS = frozenset({"dir_fd", "src_dir_fd", "dst_dir_fd"})
MODE = re.compile(r"[rwxabtU+]+")


def unsafe(
    function: ast.FunctionDef | ast.AsyncFunctionDef, preamble: list[ast.Module], own: set[str]
) -> str | None:
    """What makes the test unsafe, for people (``uses `os.system` ``), or None. `own`: the
    target's names and its top package, which the test uses freely."""
    review = _Review(function, preamble, own)
    for tree in [*preamble, function]:
        for node in ast.walk(tree):
            found = review.check(node)
            if found:
                return found
    return None


class _Review:
    def __init__(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        preamble: list[ast.Module],
        own: set[str],
    ) -> None:
        self.own = own
        self.modules: dict[str, str] = {}
        """Names bound to a module by `import` (`np` -> `numpy`)."""
        self.bound: set[str] = set(own)
        """Names the test binds itself: not the builtins of the same name."""
        for tree in [*preamble, function]:
            for node in ast.walk(tree):
                self._bind(node)
        defined = {d.name for p in preamble for d in p.body if isinstance(d, ast.FunctionDef)}
        self.paths = TmpPaths(function, defined & FIXTURES)

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.modules[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom):
            self.bound.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            self.bound.add(node.id)
        elif isinstance(node, ast.arg):
            self.bound.add(node.arg)

    def check(self, node: ast.AST) -> str | None:
        """Why this node is unsafe, or None."""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return self._import(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            hit = next((d for d in sorted(DUNDERS) if d in node.value), None)
            return f"names `{hit}`" if hit else None
        if isinstance(node, ast.Name):
            if node.id in DUNDERS or (node.id in BUILTINS and node.id not in self.bound):
                return f"uses `{node.id}`"
            return None
        module = self._module(node) if isinstance(node, ast.expr) else None
        if module and module.split(".")[0] in MODULES:
            return f"uses `{_code(node)}`"
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _import(self, node: ast.Import | ast.ImportFrom) -> str | None:
        if isinstance(node, ast.Import):
            names = [(a.name, "") for a in node.names]
        else:
            names = [(node.module or "", a.name) for a in node.names]
        for module, attr in names:
            top = module.split(".")[0]
            if top in self.own or not top:
                continue
            if (
                top in MODULES
                or _denied(module, attr)
                or attr in ANY_ATTRS
                or attr in REACHABLE
                or (attr == "*" and module in MODULE_ATTRS)
            ):
                return f"imports `{module}{'.' * bool(attr)}{attr}`"
        return None

    def _attribute(self, node: ast.Attribute) -> str | None:
        module = self._module(node.value)
        if (
            node.attr in DUNDERS
            or (module and (_denied(module, node.attr) or node.attr == "__dict__"))
            or (node.attr in ANY_ATTRS and node.attr not in self.own)
        ):
            return f"uses `{_code(node)}`"
        return None

    def _call(self, node: ast.Call) -> str | None:
        func, code = node.func, _code(node)
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if any(k.arg in DIR_FDS for k in node.keywords):
            return f"calls `{code}` with a directory descriptor"
        if name in NAMED:
            index = 0 if name in ("attrgetter", "methodcaller") else 1
            key = node.args[index] if len(node.args) > index else None
            text = key.value if isinstance(key, ast.Constant) else None
            if key is not None and (not isinstance(text, str) or re.fullmatch(r"__\w+__", text)):
                return f"calls `{code}` with a dunder or computed name"
        if name == "vars" and (not node.args or self._module(node.args[0])):
            return f"calls `{code}`"
        if name in self.own or not isinstance(func, (ast.Name, ast.Attribute)):
            return None
        if name == "open" and (isinstance(func, ast.Name) or self._module(func.value) in OPENERS):
            return self._write(node, _arg(node, 0, "file"), _arg(node, 1, "mode"), strict=True)
        if name == "open" and isinstance(func, ast.Attribute):
            return self._write(node, func.value, _arg(node, 0, "mode"), strict=False)
        if name in PATH_WRITERS and isinstance(func, ast.Attribute):
            return None if self.paths.rooted(func.value) else f"writes outside tmp_path: `{code}`"
        return None

    def _write(
        self, node: ast.Call, path: ast.expr | None, mode: ast.expr | None, strict: bool
    ) -> str | None:
        """`strict`: the mode is surely the mode (`open(path, mode)`), literal or not."""
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
            if not MODE.fullmatch(mode.value) or not set(mode.value) & set("wax+"):
                return None
        elif mode is None or not strict:
            return None
        if self.paths.rooted(path):
            return None
        return f"writes outside tmp_path: `{_code(node)}`"

    def _module(self, node: ast.expr) -> str | None:
        """The module an expression stands for (`os`, `os.path`, `geo.os`), or None."""
        if isinstance(node, ast.Name):
            return self.modules.get(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr in REACHABLE:
                return node.attr
            base = self._module(node.value)
            return f"{base}.{node.attr}" if base else None
        key = None
        if isinstance(node, ast.Subscript):
            key = node.slice
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "getattr":
            key = node.args[1] if len(node.args) > 1 else None
        if isinstance(key, ast.Constant) and key.value in REACHABLE:
            return str(key.value)
        return None


def _denied(module: str, attr: str) -> bool:
    names = MODULE_ATTRS.get(module)
    if names is None:
        return False
    return attr in names or (module == "os" and attr.startswith(OS_PREFIXES))


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _code(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
