"""Which files `linewright flag DIR` scans: source files, .gitignore honoured as git does."""

from __future__ import annotations

import pathlib

import pytest

from linewright.features.anomalies.walk import compile_pattern, iter_files


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        pytest.param("*.log", "a.log", False, True, id="glob-top"),
        pytest.param("*.log", "deep/er/a.log", False, True, id="glob-any-depth"),
        pytest.param("/build", "build", True, True, id="anchored"),
        pytest.param("/build", "src/build", True, False, id="anchored-not-deeper"),
        pytest.param("doc/*.txt", "doc/a.txt", False, True, id="slash-anchors"),
        pytest.param("doc/*.txt", "x/doc/a.txt", False, False, id="slash-anchors-no-depth"),
        pytest.param("doc/*.txt", "doc/sub/a.txt", False, False, id="star-stays-in-segment"),
        pytest.param("**/cache", "a/b/cache", True, True, id="leading-double-star"),
        pytest.param("out/**", "out/a/b.py", False, True, id="trailing-double-star"),
        pytest.param("a/**/z", "a/z", True, True, id="middle-double-star-zero"),
        pytest.param("a/**/z", "a/b/c/z", True, True, id="middle-double-star-many"),
        pytest.param("tmp/", "tmp", True, True, id="dir-only-dir"),
        pytest.param("tmp/", "tmp", False, False, id="dir-only-file"),
        pytest.param("file?.py", "file1.py", False, True, id="question-mark"),
        pytest.param("[ab].py", "b.py", False, True, id="class"),
        pytest.param("[!ab].py", "b.py", False, False, id="negated-class"),
        pytest.param("\\#x", "#x", False, True, id="escaped-hash"),
        pytest.param("# comment", "# comment", False, None, id="comment"),
        pytest.param("   ", "x", False, None, id="blank"),
    ],
)
def test_gitignore_patterns(pattern: str, path: str, is_dir: bool, expected: bool | None) -> None:
    compiled = compile_pattern(pattern)
    if expected is None and compiled is None:
        return  # comment and blank lines are no patterns at all
    assert compiled is not None
    matches = bool(compiled.regex.match(path)) and (is_dir or not compiled.directory_only)
    assert matches is bool(expected)


def test_negation_is_parsed() -> None:
    pattern = compile_pattern("!keep.py")
    assert pattern is not None and pattern.negate and pattern.regex.match("keep.py")


def make(root: pathlib.Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def walked(root: pathlib.Path, *names: str) -> list[str]:
    paths = [root / n for n in names] if names else [root]
    return [p.relative_to(root).as_posix() for p in iter_files(paths)]


def test_directory_walk_honours_gitignore_files(tmp_path: pathlib.Path) -> None:
    make(
        tmp_path,
        {
            ".gitignore": "*.gen.py\nbuild/\n!keep.gen.py\n/top.c\n",
            "a.py": "",
            "b.gen.py": "",
            "keep.gen.py": "",
            "top.c": "",
            "notes.md": "",
            "build/x.py": "",
            "src/top.c": "",
            "src/.gitignore": "local.py\n",
            "src/local.py": "",
            "src/m.py": "",
            ".git/config.py": "",
            "deep/a/b/c.rs": "",
        },
    )
    assert walked(tmp_path) == ["a.py", "deep/a/b/c.rs", "keep.gen.py", "src/m.py", "src/top.c"]


def test_gitignore_above_the_walked_directory_applies(tmp_path: pathlib.Path) -> None:
    make(
        tmp_path, {".git/HEAD": "", ".gitignore": "*.tmp.py\n", "sub/a.py": "", "sub/b.tmp.py": ""}
    )
    assert [p.name for p in iter_files([tmp_path / "sub"])] == ["a.py"]


def test_named_files_are_always_scanned(tmp_path: pathlib.Path) -> None:
    make(tmp_path, {".gitignore": "*.py\n", "x.py": "", "README": ""})
    assert walked(tmp_path, "x.py", "README") == ["x.py", "README"]
    assert walked(tmp_path) == []
