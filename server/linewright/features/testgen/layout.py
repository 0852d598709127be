"""Where things are in a Python project: a file's import path, the test file its tests go
to, and an existing test file to show the model as a style example.
"""

from __future__ import annotations

from pathlib import Path

from linewright.features.testgen.records import TestgenError

TEST_FOLDERS = ("tests", "test")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
STYLE_CHARS = 1500


def module_name(path: Path) -> tuple[str, Path]:
    """Dotted import name of `path` and the `sys.path` entry it is importable from.

    Walks up through folders holding `__init__.py`, so `src/pkg/mod.py` is `pkg.mod`
    from `src/`. Raises `TestgenError` when a part is not a valid identifier.
    """
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    name = ".".join(parts)
    if not parts or not all(part.isidentifier() for part in parts):
        raise TestgenError(f"{path.name} is not importable as a Python module ({name!r})")
    return name, folder


def project_root(path: Path, hint: Path | None = None) -> Path:
    """The workspace folder when it holds `path`, else the nearest folder above `path`
    with a project marker (pyproject.toml, setup.py, .git), else the file's folder."""
    if hint is not None and path.is_relative_to(hint):
        return hint
    for folder in path.parents:
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return path.parent


def destination(path: Path, module: str, root: Path) -> Path:
    """Where the tests of `module` (file `path`) go, following the project's layout.

    An existing `test_<name>.py` is extended (under tests/ or test/, preferring the one that
    mirrors the package path, or beside the module); otherwise the file goes to the test
    folder the project has, beside the module when its tests live there, else `tests/`.
    """
    short = module.rsplit(".", 1)[-1]
    name = f"test_{short}.py"
    package = module.split(".")[:-1]
    for folder in TEST_FOLDERS:
        base = root / folder
        if base.is_dir():
            found = sorted(base.rglob(name), key=lambda p: _mirror_score(p, base, package))
            if found:
                return found[0]
    beside = path.parent / name
    if beside.is_file():
        return beside
    for folder in TEST_FOLDERS:
        if (root / folder).is_dir():
            return root / folder / name
    if path.parent != root and any(path.parent.glob("test_*.py")):
        return beside
    return root / "tests" / name


def _mirror_score(candidate: Path, base: Path, package: list[str]) -> tuple[int, int, str]:
    """Sort key: the path under the test folder that matches the package path best first."""
    folders = list(candidate.relative_to(base).parent.parts)
    matched = sum(1 for a, b in zip(folders, package, strict=False) if a == b)
    return (-matched, len(folders), str(candidate))


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
