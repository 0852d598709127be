"""Where things are in a Python project: a file's import path, the test file its tests go
to, and an existing test file to show the model as a style example.

Import path (`module_name`): a classic package (folders holding `__init__.py`) is imported
from the folder above its top package. When that folder lies *below* an import root, the
file is in a namespace package (`src/ns/mod.py` with no `src/ns/__init__.py`) and its module
is the dotted path from the nearest (deepest) import root that holds it: `ns.mod` from
`src/`. Import roots, read from each folder between the file and the project folder: the
pytest `pythonpath` entries (pyproject.toml, pytest.ini, setup.cfg, tox.ini), setuptools'
`packages.find.where` and `package-dir` "" entries, a `src/` beside a pyproject.toml or
setup.cfg, that configuration's own folder, and the project (workspace) folder.

Test file (`destination`): an existing `test_<name>.py` under tests/ or test/ that is about
this module: it imports it; or it sits in a folder that mirrors the package path
(`tests/a/` or `tests/pkg/a/` for `pkg.a.utils`) and imports no other `utils` module; or it
is the flat `tests/test_utils.py` and the project has one module called `utils`. Else one
beside the module. Else a new file following the layout, see `_new_file`.
"""

from __future__ import annotations

import ast
import configparser
import keyword
import os
import sys
from pathlib import Path
from typing import Any

from linewright.features.testgen.records import TestgenError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TEST_FOLDERS = ("tests", "test")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
STYLE_CHARS = 1500
NOT_SOURCE = {"__pycache__", "node_modules", "site-packages", "build", "dist", *TEST_FOLDERS}
INI_PYTHONPATH = (("pytest.ini", "pytest"), ("setup.cfg", "tool:pytest"), ("tox.ini", "pytest"))


def module_name(path: Path, project: Path | None = None) -> tuple[str, Path]:
    """Dotted import name of `path` and the `sys.path` entry it is importable from (see the
    module docstring). Raises `TestgenError` when a part is not a valid identifier."""
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    roots = import_roots(path, project or project_root(path))
    if roots and folder != roots[0] and folder.is_relative_to(roots[0]):
        spaced = [*folder.relative_to(roots[0]).parts, *parts]
        if all(_identifier(part) for part in spaced):  # else keep the classic answer
            parts, folder = spaced, roots[0]
    name = ".".join(parts)
    if not parts or not all(_identifier(part) for part in parts):
        raise TestgenError(f"{path.name} is not importable as a Python module ({name!r})")
    return name, folder


def _identifier(part: str) -> bool:
    return part.isidentifier() and not keyword.iskeyword(part)


def import_roots(path: Path, project: Path) -> list[Path]:
    """The project's import roots that hold `path`, nearest first."""
    found = [project]
    for folder in path.parents:
        if not folder.is_relative_to(project):
            break
        found += _configured(folder)
    holding = {root for root in found if path.is_relative_to(root)}
    return sorted(holding, key=lambda root: (-len(root.parts), str(root)))


def _configured(folder: Path) -> list[Path]:
    """Import roots named by the project configuration in `folder`."""
    entries: list[str] = []
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            tool = {}
        entries += _listed(_dig(tool, "pytest", "ini_options", "pythonpath"))
        entries += _listed(_dig(tool, "setuptools", "packages", "find", "where"))
        entries += _listed(_dig(tool, "setuptools", "package-dir", ""))
    for name, section in INI_PYTHONPATH:
        entries += _listed(_ini(folder / name, section, "pythonpath"))
    entries += _listed(_ini(folder / "setup.cfg", "options.packages.find", "where"))
    if pyproject.is_file() or (folder / "setup.cfg").is_file():
        entries += [".", "src"]
    found = (Path(os.path.normpath(folder / entry)) for entry in entries)
    return [root for root in found if root.is_dir()]


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _listed(value: Any) -> list[str]:
    """A path list from configuration: a list, or a whitespace-separated string."""
    if isinstance(value, str):
        return value.split()
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _ini(path: Path, section: str, option: str) -> str | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return parser.get(section, option, fallback=None)


def project_root(path: Path, hint: Path | None = None) -> Path:
    """The workspace folder when it holds `path`, else the nearest folder above `path`
    with a project marker (pyproject.toml, setup.py, .git), else the folder above the file's
    top package (the file's own folder when it is in no package)."""
    if hint is not None and path.is_relative_to(hint):
        return hint
    for folder in path.parents:
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def destination(path: Path, module: str, root: Path) -> Path:
    """Where the tests of `module` (file `path`) go: see the module docstring."""
    short = module.rsplit(".", 1)[-1]
    name = f"test_{short}.py"
    bases = [root / folder for folder in TEST_FOLDERS if (root / folder).is_dir()]
    for base in bases:
        ranked = [(_rank(found, base, module, root), found) for found in base.rglob(name)]
        fitting = sorted((rank, str(found), found) for rank, found in ranked if rank is not None)
        if fitting:
            return fitting[0][2]
    beside = path.parent / name
    if beside.is_file():
        return beside
    if bases:
        return _new_file(bases[0], module)
    if path.parent != root and any(path.parent.glob("test_*.py")):
        return beside
    return root / "tests" / name


def fallback(destination: Path) -> Path:
    """A separate file beside `destination`, for tests that do not fit into it."""
    return destination.with_name(f"{destination.stem}_linewright.py")


def _rank(found: Path, base: Path, module: str, root: Path) -> tuple[int, int] | None:
    """Sort key of an existing test file that is about `module`; None when it is not."""
    short, package = module.rsplit(".", 1)[-1], module.split(".")[:-1]
    imported = imported_modules(found)
    folders = found.relative_to(base).parent.parts
    if module in imported:
        return (0, len(folders))
    if any(m != module and m.rsplit(".", 1)[-1] == short for m in imported):
        return None  # the tests of another module with the same name
    if folders and tuple(package[-len(folders) :]) == folders:
        return (1, -len(folders))
    if not folders and modules_named(short, root) <= 1:
        return (2, 0)
    return None


def _new_file(base: Path, module: str) -> Path:
    """A new test file under `base`: in the folder mirroring the package (with the top
    package when `base` has a folder for it, else without) when the project's tests live in
    sub-folders, else flat. The name is `test_<name>.py` unless another file of that name,
    outside a package, would clash with it under pytest's default import mode; then
    `test_<parent>_<name>.py` (longer as needed)."""
    parts = module.split(".")
    package = parts[:-1]
    folder = base
    if package and any(found.parent != base for found in base.rglob("test_*.py")):
        folder = base.joinpath(*(package if (base / package[0]).is_dir() else package[1:]))
    stems = [".".join(parts[i:]).replace(".", "_") for i in range(len(parts) - 1, -1, -1)]
    for stem in stems:
        name = f"test_{stem}.py"
        others = [f for f in base.rglob(name) if not (f.parent / "__init__.py").is_file()]
        if not (folder / name).exists() and ((folder / "__init__.py").is_file() or not others):
            return folder / name
    return folder / f"test_{'_'.join(parts)}_linewright.py"


def imported_modules(path: Path) -> set[str]:
    """Dotted names a Python file imports (`from a import b` counts `a` and `a.b`)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def modules_named(short: str, root: Path) -> int:
    """How many modules or packages called `short` the project has (tests, virtualenvs and
    hidden folders left out)."""
    count = 0
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = [
            s
            for s in subfolders
            if not s.startswith(".")
            and s not in NOT_SOURCE
            and not (here / s / "pyvenv.cfg").exists()
        ]
        count += f"{short}.py" in files
        count += short in subfolders and (here / short / "__init__.py").is_file()
    return count


def style_example(root: Path, preferred: Path | None) -> str | None:
    """The opening of an existing test file (the preferred one if it exists)."""
    files = [preferred] if preferred is not None and preferred.is_file() else []
    for folder in TEST_FOLDERS:
        if (root / folder).is_dir():
            files += sorted((root / folder).rglob("test_*.py"), key=lambda p: (len(p.parts), p))
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "def test" in text:
            cut = text[:STYLE_CHARS]
            return cut if len(text) <= STYLE_CHARS else cut.rsplit("\n", 1)[0] + "\n"
    return None
