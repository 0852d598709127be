"""Content exclusion: secret-looking names, git-ignored files, the `context.exclude` globs."""

from __future__ import annotations

import pathlib

import pytest

from linewright.features.exclusion import ContextExclusion, looks_secret, parse_patterns


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        pytest.param("/w/.env", True, id="dotenv"),
        pytest.param("/w/.env.production", True, id="dotenv-variant"),
        pytest.param("/w/prod.env", True, id="named-env"),
        pytest.param("/w/certs/server.PEM", True, id="pem-upper-case"),
        pytest.param("/w/tls.key", True, id="key"),
        pytest.param("/home/u/.ssh/id_rsa", True, id="ssh-key"),
        pytest.param("/w/id_ed25519.pub", True, id="ssh-public-key"),
        pytest.param("/w/credentials.json", True, id="credentials"),
        pytest.param("/w/config/client_secret.json", True, id="secret-in-name"),
        pytest.param("/home/u/.npmrc", True, id="npmrc"),
        pytest.param("/home/u/.pypirc", True, id="pypirc"),
        pytest.param("/home/u/.netrc", True, id="netrc"),
        pytest.param("/home/u/.aws/config", True, id="aws-folder"),
        pytest.param("/w/src/environment.py", False, id="env-in-word"),
        pytest.param("/w/src/keyboard.py", False, id="key-in-word"),
        pytest.param("/w/README.md", False, id="readme"),
    ],
)
def test_looks_secret(path: str, secret: bool) -> None:
    assert looks_secret(pathlib.PurePosixPath(path)) is secret


def test_parse_patterns() -> None:
    assert parse_patterns(" secrets/ ,*.sql,, config/prod.* ") == (
        "secrets/",
        "*.sql",
        "config/prod.*",
    )
    assert parse_patterns("") == ()


@pytest.fixture
def repo(tmp_path: pathlib.Path) -> pathlib.Path:
    """A git repository with nested `.gitignore`s."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n*.log\n!keep.log\n/local.py\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / ".gitignore").write_text("generated_*.py\n")
    return tmp_path


@pytest.mark.parametrize(
    ("relative", "excluded"),
    [
        pytest.param("build/out.py", True, id="ignored-folder"),
        pytest.param("build/deep/er/x.py", True, id="below-ignored-folder"),
        pytest.param("app.log", True, id="glob"),
        pytest.param("keep.log", False, id="re-included"),
        pytest.param("local.py", True, id="anchored"),
        pytest.param("pkg/local.py", False, id="anchored-elsewhere"),
        pytest.param("pkg/generated_api.py", True, id="nested-gitignore"),
        pytest.param("generated_api.py", False, id="nested-gitignore-only-below"),
        pytest.param("pkg/main.py", False, id="normal"),
    ],
)
def test_gitignored_files_are_excluded(repo: pathlib.Path, relative: str, excluded: bool) -> None:
    # the repository is found from the file itself: no workspace root needed
    assert ContextExclusion().excludes((repo / relative).as_uri()) is excluded


def test_workspace_root_stands_for_the_repository_without_git(tmp_path: pathlib.Path) -> None:
    (tmp_path / ".gitignore").write_text("out/\n")
    uri = (tmp_path / "out" / "x.py").as_uri()
    assert ContextExclusion(tmp_path).excludes(uri)
    assert not ContextExclusion(tmp_path).excludes((tmp_path / "x.py").as_uri())


@pytest.mark.parametrize(
    ("relative", "excluded"),
    [
        pytest.param("secrets/db.py", True, id="folder"),
        pytest.param("a/secrets/db.py", True, id="folder-anywhere"),
        pytest.param("schema.sql", True, id="glob"),
        pytest.param("config/prod.yaml", True, id="anchored"),
        pytest.param("other/config/prod.yaml", False, id="anchored-elsewhere"),
        pytest.param("config/dev.yaml", False, id="normal"),
        pytest.param("keep.sql", False, id="negated"),
    ],
)
def test_context_exclude_globs(tmp_path: pathlib.Path, relative: str, excluded: bool) -> None:
    patterns = parse_patterns("secrets/, *.sql, config/prod.*, !keep.sql")
    exclusion = ContextExclusion(tmp_path, patterns)
    assert exclusion.excludes((tmp_path / relative).as_uri()) is excluded


def test_non_file_uris_are_judged_by_name() -> None:
    exclusion = ContextExclusion()
    assert exclusion.excludes("untitled:.env")
    assert not exclusion.excludes("untitled:Untitled-1")
