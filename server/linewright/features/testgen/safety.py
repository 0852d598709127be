"""Static safety review of a test's own code. Kept tests are run later by the user, outside
any sandbox, so a test that could harm the machine is dropped whatever the sandbox saw.

Judged: the test function and its preamble (imports, fixtures, helpers at the top of a
model's answer). Never the code under test: calling the target is fine whatever it does.
An allow-list: what it cannot prove safe it drops, with the reason.

- imports: the module under test (its top package), and the modules `allowlist.py` names
  (pytest and standard-library modules that compute), each used only with the attributes
  it allows; a module reached through another one counts as that module (`geo.subprocess`,
  and the names the target's own module binds to modules that are not allowed);
- names that resolve strings to objects or code: builtins eval, exec, compile, __import__,
  breakpoint, input, help, globals, locals; `vars()` bare or of an imported module;
  getattr/setattr/delattr/attrgetter/methodcaller with a dunder or computed name;
  `.format`/`.format_map` of a string that is not a literal (field names reach attributes);
  `mock.patch` of a computed target or of a module not allowed;
- escapes to globals, builtins, code objects and the runner: the dunders in `DUNDERS` as a
  name, an attribute or inside a string, frame and closure attributes (`f_globals`,
  `tb_frame`, `cell_contents`), `__dict__` of an imported module, pytest's plugin manager,
  and attributes that load code or start processes on any object (`ANY_ATTRS`);
- writes: `open(...)` (also `io.open`, `Path.open`) with a mode holding w, a, x or + (for
  `open(path, mode)`, also a mode that is not a literal), and the pathlib writers in
  `PATH_WRITERS` (and a one-argument `.replace`, which is `Path.replace`), unless the path
  is rooted in the `tmp_path`/`tmpdir` fixtures (`tmppath` says which expressions are).
  Reads are allowed.
"""

from __future__ import annotations

import ast
import re

from linewright.features.testgen.allowlist import WHOLE, attribute_allowed, module_allowed
from linewright.features.testgen.tmppath import FIXTURES, TmpPaths

BUILTINS = frozenset(
    {"eval", "exec", "compile", "__import__", "breakpoint", "input", "help", "globals", "locals"}
)
ANY_ATTRS = frozenset(
    {"create_subprocess_exec", "create_subprocess_shell", "subprocess_exec", "subprocess_shell",
     "open_connection", "open_unix_connection", "start_server", "start_unix_server",
     "sock_connect", "ProcessPoolExecutor", "f_globals", "f_locals", "f_builtins", "f_back",
     "tb_frame", "gi_frame", "cr_frame", "ag_frame", "co_code", "cell_contents",
     "pluginmanager", "get_plugins", "getplugin", "create_connection", "create_server",
     "create_unix_connection", "create_unix_server", "create_datagram_endpoint",
     "run_in_executor", "import_module", "resolve_name", "locate", "find_spec",
     "exec_module", "load_module", "module_from_spec", "spec_from_file_location",
     "get_objects", "get_referrers", "get_referents", "_getframe", "system", "popen",
     "run_path", "run_module", "check_output", "check_call", "Popen", "getoutput",
     "getstatusoutput", "execv", "execve", "execvp", "spawnv", "fork", "get_type_hints"}
)  # fmt: skip
"""Attributes unsafe on any object: asyncio's process and network doors, frames and
closures, pytest's plugin manager (the runner's reports), loaders of code by name."""
DUNDERS = frozenset(
    {"__subclasses__", "__globals__", "__builtins__", "__code__", "__closure__", "__bases__",
     "__base__", "__mro__", "__self__", "__getattribute__", "__import__", "__loader__",
     "__spec__", "__reduce__", "__reduce_ex__"}
)  # fmt: skip
REACHABLE = frozenset(
    {"os", "sys", "gc", "inspect", "subprocess", "shutil", "ctypes", "pickle", "marshal",
     "importlib", "multiprocessing", "builtins", "posix", "pty", "pkgutil", "pydoc", "timeit",
     "socket", "runpy", "signal", "tempfile"}
)  # fmt: skip
"""Module names unusual enough as attribute or key names to mean the module (`geo.os`)."""
NAMED = frozenset({"getattr", "setattr", "delattr", "attrgetter", "methodcaller"})
OPENERS = frozenset({"io", "codecs"})
PATH_WRITERS = frozenset(
    {"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir", "symlink_to",
     "hardlink_to", "chmod", "lchmod", "link_to"}
)  # fmt: skip
DIR_FDS = frozenset({"dir_fd", "src_dir_fd", "dst_dir_fd"})
MODE = re.compile(r"[rwxabtU+]+")


def unsafe(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    preamble: list[ast.Module],
    own: set[str],
    foreign: set[str] | None = None,
) -> str | None:
    """What makes the test unsafe, for people (``uses `os.system` ``), or None. `own`: the
    target's names and its top package, which the test uses freely; `foreign`: names the
    target's module binds to modules that are not allowed (`import subprocess as sp`)."""
    review = _Review(function, preamble, own)
    review.foreign = set(foreign or ())
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
        self.foreign: set[str] = set()
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
        if isinstance(node, ast.Attribute) and not self._reach(node):
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
            if node_level(node) or not top:
                return f"imports `{'.' * node_level(node)}{module}`"  # relative: unknown
            if top in self.own:
                bad = attr in REACHABLE or attr in ANY_ATTRS or attr in self.foreign
                if bad or attr == "*":
                    return f"imports `{module}.{attr}`"
                continue
            if not module_allowed(module) or (
                attr and not (attribute_allowed(module, attr) or (attr == "*" and module in WHOLE))
            ):
                return f"imports `{module}{'.' * bool(attr)}{attr}`"
        return None

    def _reach(self, node: ast.Attribute) -> bool:
        """Whether `module.attr` is allowed, when `node.value` stands for a module."""
        module = self._module(node.value)
        if module is None:
            return True
        if module.split(".")[0] in self.own:
            return node.attr not in self.foreign and node.attr not in REACHABLE
        return attribute_allowed(module, node.attr)

    def _attribute(self, node: ast.Attribute) -> str | None:
        module = self._module(node.value)
        if (
            node.attr in DUNDERS
            or (module and node.attr == "__dict__")
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
        resolver = _resolver(node, func, name, self)
        if resolver:
            return resolver
        if name == "open" and (isinstance(func, ast.Name) or self._module(func.value) in OPENERS):
            return self._write(node, _arg(node, 0, "file"), _arg(node, 1, "mode"), strict=True)
        if name == "open" and isinstance(func, ast.Attribute):
            return self._write(node, func.value, _arg(node, 0, "mode"), strict=False)
        path_replace = name in ("replace", "rename") and len(node.args) == 1
        if (name in PATH_WRITERS or path_replace) and isinstance(func, ast.Attribute):
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


def node_level(node: ast.Import | ast.ImportFrom) -> int:
    return node.level if isinstance(node, ast.ImportFrom) else 0


def _resolver(node: ast.Call, func: ast.expr, name: str, review: _Review) -> str | None:
    """A call that turns a computed string into an attribute or a module: `.format` of a
    string that is not a literal, `mock.patch` of a computed or forbidden target."""
    code = _code(node)
    literal = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant)
    if name in ("format", "format_map") and isinstance(func, ast.Attribute) and not literal:
        return f"calls `{code}` on a computed format string"
    owner = func.value if isinstance(func, ast.Attribute) else None
    patched = name == "patch" or (
        name in ("object", "dict", "multiple")
        and owner is not None
        and _callee_name(owner) == "patch"
    )
    if not patched:
        return None
    index = 1 if name == "object" else 0
    key = _arg(node, index, "target" if index == 0 else "attribute")
    text = key.value if isinstance(key, ast.Constant) else None
    if name == "object":
        ok = isinstance(text, str) and not re.fullmatch(r"__\w+__", text)
    elif isinstance(text, str):
        ok = _patchable(text, review.own) and not any(d in text for d in DUNDERS)
    else:  # `patch.dict(mapping, ...)`: the mapping itself was screened like any name
        ok = name == "dict" and isinstance(key, (ast.Name, ast.Attribute))
    return None if ok else f"calls `{code}` with a computed or forbidden target"


def _patchable(target: str, own: set[str]) -> bool:
    """Whether `mock.patch(target)` names the project or an allowed module and attribute."""
    module, *attrs = target.split(".")
    if module in own:
        return True
    if not module_allowed(module):
        return False
    for attr in attrs:
        if not attribute_allowed(module, attr):
            return False
        if not module_allowed(f"{module}.{attr}"):
            return True
        module = f"{module}.{attr}"
    return True


def _callee_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _code(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
