"""config: layering of every source, both key spellings, coercion, problems, describe()."""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import typing
from typing import Any

import pytest

from linewright import config
from linewright.config import Layer, Problem, Settings
from linewright.core.llm import fim

DEFAULTS = Settings()


def replace(settings: Settings, **changes: dict[str, Any] | Any) -> Settings:
    """`Settings` with nested changes: replace(s, backend={"url": "x"}, log_level="debug")."""
    updates: dict[str, Any] = {}
    for name, value in changes.items():
        if isinstance(value, dict):
            updates[name] = dataclasses.replace(getattr(settings, name), **value)
        else:
            updates[name] = value
    return dataclasses.replace(settings, **updates)


def write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(**kwargs: Any) -> tuple[Settings, list[Problem], list[str]]:
    """`config.load` with no user file, no workspace and an empty environment by default."""
    kwargs.setdefault("user_file", None)
    kwargs.setdefault("workspace_root", None)
    kwargs.setdefault("environ", {})
    return config.load(**kwargs)


def leaf_paths(cls: type = Settings, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf field as a tuple of snake_case names."""
    out: list[tuple[str, ...]] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            out += leaf_paths(hints[f.name], (*prefix, f.name))
        else:
            out.append((*prefix, f.name))
    return out


def value_at(settings: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        settings = getattr(settings, name)
    return settings


def nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for name in reversed(path):
        value = {name: value}
    return value


# ---- key spellings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("nCtx", "n_ctx", id="short-camel"),
        pytest.param("apiKeyEnv", "api_key_env", id="camel"),
        pytest.param("startupTimeoutS", "startup_timeout_s", id="trailing-capital"),
        pytest.param("api_key_env", "api_key_env", id="already-snake"),
        pytest.param("api-key-env", "api_key_env", id="kebab"),
        pytest.param("Backend", "backend", id="leading-capital"),
        pytest.param("url", "url", id="one-word"),
    ],
)
def test_snake(name: str, expected: str) -> None:
    assert config.snake(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("n_ctx", "nCtx", id="short"),
        pytest.param("api_key_env", "apiKeyEnv", id="three-words"),
        pytest.param("startup_timeout_s", "startupTimeoutS", id="trailing-letter"),
        pytest.param("url", "url", id="one-word"),
    ],
)
def test_camel(name: str, expected: str) -> None:
    assert config.camel(name) == expected


@pytest.mark.parametrize("path", [pytest.param(p, id=".".join(p)) for p in leaf_paths()])
def test_every_field_round_trips_between_spellings(path: tuple[str, ...]) -> None:
    assert [config.snake(config.camel(name)) for name in path] == list(path)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"backend": {"apiKeyEnv": "K"}}, {"backend": {"api_key_env": "K"}}, id="camel-apiKeyEnv"
        ),
        pytest.param(
            {"backend": {"api_key_env": "K"}},
            {"backend": {"api_key_env": "K"}},
            id="snake-api_key_env",
        ),
        pytest.param(
            {"backend": {"api-key-env": "K"}},
            {"backend": {"api_key_env": "K"}},
            id="kebab-api-key-env",
        ),
        pytest.param({"embedded": {"nCtx": 8192}}, {"embedded": {"n_ctx": 8192}}, id="camel-nCtx"),
        pytest.param(
            {"embedded": {"n_ctx": 8192}}, {"embedded": {"n_ctx": 8192}}, id="snake-n_ctx"
        ),
        pytest.param(
            {"embedded": {"startupTimeoutS": 5}},
            {"embedded": {"startup_timeout_s": 5.0}},
            id="camel-startupTimeoutS",
        ),
        pytest.param(
            {"backend": {"fimTemplate": "qwen"}},
            {"backend": {"fim_template": "qwen"}},
            id="camel-fimTemplate",
        ),
        pytest.param(
            {"backend": {"nativeSuffix": True}},
            {"backend": {"native_suffix": True}},
            id="camel-nativeSuffix",
        ),
        pytest.param(
            {"completion": {"maxTokens": 16, "max_tokens": 8}},
            {"completion": {"max_tokens": 8}},
            id="both-spellings-last-wins",
        ),
        pytest.param({"logLevel": "debug"}, {"log_level": "debug"}, id="camel-top-level"),
        pytest.param({"log_level": "debug"}, {"log_level": "debug"}, id="snake-top-level"),
    ],
)
def test_both_spellings_are_accepted(values: dict[str, Any], expected: dict[str, Any]) -> None:
    assert config.build([Layer("test", values)]) == (replace(DEFAULTS, **expected), [])


# ---- valid values and coercion ---------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"embedded": {"nCtx": 8192.0}},
            {"embedded": {"n_ctx": 8192}},
            id="integral-float-for-int",
        ),
        pytest.param(
            {"backend": {"timeoutS": 5}}, {"backend": {"timeout_s": 5.0}}, id="int-for-float"
        ),
        pytest.param({"embedded": {"nCtx": 512}}, {"embedded": {"n_ctx": 512}}, id="at-minimum"),
        pytest.param(
            {"embedded": {"nCtx": 131072}}, {"embedded": {"n_ctx": 131072}}, id="at-maximum"
        ),
        pytest.param(
            {"backend": {"timeoutS": 0.1}}, {"backend": {"timeout_s": 0.1}}, id="float-at-minimum"
        ),
        pytest.param(
            {"completion": {"prefixChars": 2**53 + 1}},
            {"completion": {"prefix_chars": 2**53 + 1}},
            id="big-int-exact",
        ),
        pytest.param(
            {"backend": {"kind": "ollama", "url": "http://h:1"}},
            {"backend": {"kind": "ollama", "url": "http://h:1"}},
            id="literal-and-string",
        ),
        pytest.param(
            {"backend": {"fimTemplate": "none"}},
            {"backend": {"fim_template": "none"}},
            id="literal-none-string",
        ),
        pytest.param(
            {"completion": {"enabled": False}}, {"completion": {"enabled": False}}, id="bool"
        ),
        pytest.param({"backend": {}}, {}, id="empty-section"),
        pytest.param({}, {}, id="empty-layer"),
    ],
)
def test_valid_values(values: dict[str, Any], expected: dict[str, Any]) -> None:
    settings, problems = config.build([Layer("test", values)])
    assert problems == []
    assert settings == replace(DEFAULTS, **expected)
    assert type(settings.embedded.n_ctx) is int
    assert type(settings.backend.timeout_s) is float


def test_build_without_layers_is_the_defaults() -> None:
    assert config.build([]) == (Settings(), [])


def test_layers_merge_key_by_key() -> None:
    layers = [
        Layer("low", {"backend": {"kind": "openai", "url": "http://low"}, "logLevel": "debug"}),
        Layer("high", {"backend": {"url": "http://high"}, "completion": {"maxTokens": 9}}),
    ]
    expected = replace(
        DEFAULTS,
        backend={"kind": "openai", "url": "http://high"},
        completion={"max_tokens": 9},
        log_level="debug",
    )
    assert config.build(layers) == (expected, [])


# ---- invalid values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "key", "reason"),
    [
        pytest.param(
            {"backend": {"url": 5}}, "backend.url", "must be a string, got 5", id="int-for-string"
        ),
        pytest.param(
            {"backend": {"url": None}},
            "backend.url",
            "must be a string, got None",
            id="null-for-string",
        ),
        pytest.param(
            {"backend": {"url": {"a": 1}}},
            "backend.url",
            "must be a string, got {'a': 1}",
            id="table-for-string",
        ),
        pytest.param(
            {"completion": {"enabled": "maybe"}},
            "completion.enabled",
            "must be true or false, got 'maybe'",
            id="bad-bool-string",
        ),
        pytest.param(
            {"completion": {"enabled": 1}},
            "completion.enabled",
            "must be true or false, got 1",
            id="int-for-bool",
        ),
        pytest.param(
            {"embedded": {"nCtx": "big"}},
            "embedded.nCtx",
            "must be a number, got 'big'",
            id="word-for-int",
        ),
        pytest.param(
            {"embedded": {"threads": True}},
            "embedded.threads",
            "must be a number, got True",
            id="bool-for-int",
        ),
        pytest.param(
            {"backend": {"timeoutS": False}},
            "backend.timeoutS",
            "must be a number, got False",
            id="bool-for-float",
        ),
        pytest.param(
            {"embedded": {"n_ctx": [4096]}},
            "embedded.nCtx",
            "must be a number, got [4096]",
            id="list-for-int",
        ),
        pytest.param(
            {"completion": {"max_tokens": 1.5}},
            "completion.maxTokens",
            "must be a whole number, got 1.5",
            id="fraction-for-int",
        ),
        pytest.param(
            {"embedded": {"nCtx": 256}},
            "embedded.nCtx",
            "must be >= 512, got 256",
            id="below-minimum",
        ),
        pytest.param(
            {"embedded": {"threads": -1}},
            "embedded.threads",
            "must be >= 0, got -1",
            id="negative-threads",
        ),
        pytest.param(
            {"completion": {"maxTokens": 4096}},
            "completion.maxTokens",
            "must be <= 2048, got 4096",
            id="above-maximum",
        ),
        pytest.param(
            {"backend": {"timeoutS": 0.05}},
            "backend.timeoutS",
            "must be >= 0.1, got 0.05",
            id="float-below-minimum",
        ),
        pytest.param(
            {"backend": {"connect_timeout_s": 0}},
            "backend.connectTimeoutS",
            "must be >= 0.1, got 0.0",
            id="zero-timeout",
        ),
        pytest.param(
            {"embedded": {"nCtx": math.inf}},
            "embedded.nCtx",
            "must be a finite number, got inf",
            id="inf-for-int",
        ),
        pytest.param(
            {"backend": {"timeoutS": math.nan}},
            "backend.timeoutS",
            "must be a finite number, got nan",
            id="nan-for-float",
        ),
        pytest.param(
            {"completion": {"temperature": math.inf}},
            "completion.temperature",
            "must be a finite number, got inf",
            id="inf-for-float",
        ),
        pytest.param(
            {"backend": {"timeoutS": 10**400}},
            "backend.timeoutS",
            f"must be a finite number, got {10**400}",
            id="huge-int-for-float",
        ),
        pytest.param(
            {"backend": {"kind": "gpt"}},
            "backend.kind",
            "must be one of embedded, llamacpp, openai, ollama, got 'gpt'",
            id="not-in-literal",
        ),
        pytest.param(
            {"logLevel": "INFO"},
            "logLevel",
            "must be one of error, warning, info, debug, got 'INFO'",
            id="literal-is-case-sensitive",
        ),
        pytest.param(
            {"backend": {"fimTemplate": 3}},
            "backend.fimTemplate",
            "must be one of auto, none, qwen, starcoder, codellama, deepseek, codestral, "
            "codegemma, got 3",
            id="int-for-literal",
        ),
        pytest.param(
            {"backend": {"colour": "red"}}, "backend.colour", "unknown setting", id="unknown-key"
        ),
        pytest.param(
            {"backend": {"max_retries": 3}},
            "backend.maxRetries",
            "unknown setting",
            id="unknown-snake-key-reported-camel",
        ),
        pytest.param(
            {"plugins": {"enabled": True}}, "plugins", "unknown setting", id="unknown-section"
        ),
        pytest.param(
            {"backend": "openai"}, "backend", "expected a table/object", id="string-for-section"
        ),
        pytest.param(
            {"embedded": ["a"]}, "embedded", "expected a table/object", id="list-for-section"
        ),
    ],
)
def test_invalid_value_keeps_default_and_names_key(
    values: dict[str, Any], key: str, reason: str
) -> None:
    assert config.build([Layer("somewhere", values)]) == (
        DEFAULTS,
        [Problem("somewhere", key, reason)],
    )


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([1, 2], id="list"),
        pytest.param("backend.kind=openai", id="string"),
        pytest.param(7, id="number"),
    ],
)
def test_layer_that_is_not_a_table(values: Any) -> None:
    assert config.build([Layer("initializationOptions", values)]) == (
        DEFAULTS,
        [Problem("initializationOptions", "<root>", "expected a table/object")],
    )


def test_invalid_value_does_not_spoil_its_neighbours() -> None:
    values = {
        "backend": {"kind": "bogus", "url": "http://ok", "timeoutS": -1},
        "completion": {"maxTokens": 32},
    }
    settings, problems = config.build([Layer("src", values)])
    assert settings == replace(
        DEFAULTS, backend={"url": "http://ok"}, completion={"max_tokens": 32}
    )
    assert [(p.source, p.key) for p in problems] == [
        ("src", "backend.kind"),
        ("src", "backend.timeoutS"),
    ]


def test_invalid_value_in_a_higher_layer_keeps_the_lower_layers_value() -> None:
    layers = [
        Layer("user config", {"embedded": {"nCtx": 8192}}),
        Layer("initializationOptions", {"embedded": {"nCtx": 100}}),
    ]
    assert config.build(layers) == (
        replace(DEFAULTS, embedded={"n_ctx": 8192}),
        [Problem("initializationOptions", "embedded.nCtx", "must be >= 512, got 100")],
    )


def test_problem_str() -> None:
    problem = Problem("linewright.toml", "backend.kind", "unknown setting")
    assert str(problem) == "linewright.toml: backend.kind: unknown setting"


# ---- environment -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {"LINEWRIGHT_BACKEND_URL": "http://x"},
            {"backend": {"url": "http://x"}},
            id="section-key",
        ),
        pytest.param(
            {"LINEWRIGHT_EMBEDDED_MODEL_PATH": "/m.gguf"},
            {"embedded": {"model_path": "/m.gguf"}},
            id="multi-word-key",
        ),
        pytest.param(
            {"LINEWRIGHT_BACKEND_API_KEY_ENV": "MY_KEY"},
            {"backend": {"api_key_env": "MY_KEY"}},
            id="key-ending-like-reserved",
        ),
        pytest.param({"LINEWRIGHT_LOG_LEVEL": "debug"}, {"log_level": "debug"}, id="top-level"),
        pytest.param({"LINEWRIGHT_BACKEND": "openai"}, {"backend": "openai"}, id="bare-section"),
        pytest.param(
            {"LINEWRIGHT_SOMETHING_ELSE": "1"},
            {"something_else": "1"},
            id="unknown-kept-for-reporting",
        ),
        pytest.param(
            {
                "LINEWRIGHT_BACKEND_KIND": "openai",
                "LINEWRIGHT_BACKEND_MODEL": "m",
                "LINEWRIGHT_COMPLETION_ENABLED": "0",
            },
            {"backend": {"kind": "openai", "model": "m"}, "completion": {"enabled": "0"}},
            id="several",
        ),
    ],
)
def test_env_layer(environ: dict[str, str], expected: dict[str, Any]) -> None:
    assert config.env_layer(environ) == Layer("environment", expected)


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="empty"),
        pytest.param(
            {"PATH": "/bin", "BACKEND_URL": "x", "linewright_backend_url": "x"}, id="no-prefix"
        ),
        pytest.param(
            {
                "LINEWRIGHT_CACHE_DIR": "/c",
                "LINEWRIGHT_STATE_DIR": "/s",
                "LINEWRIGHT_CONFIG_DIR": "/d",
            },
            id="directories",
        ),
        pytest.param({"LINEWRIGHT_API_KEY": "sk-secret"}, id="api-key"),
        pytest.param({"LINEWRIGHT_MODEL_WHEEL": "/w.whl"}, id="model-wheel"),
    ],
)
def test_env_layer_skips_other_variables(environ: dict[str, str]) -> None:
    assert config.env_layer(environ) is None
    assert load(environ=environ) == (DEFAULTS, [], [])


@pytest.mark.parametrize(
    ("name", "value", "path", "expected"),
    [
        *[
            pytest.param(
                "LINEWRIGHT_COMPLETION_ENABLED",
                text,
                ("completion", "enabled"),
                True,
                id=f"bool-{text}",
            )
            for text in ("1", "true", "True", "YES", "on")
        ],
        *[
            pytest.param(
                "LINEWRIGHT_BACKEND_NATIVE_SUFFIX",
                text,
                ("backend", "native_suffix"),
                False,
                id=f"bool-{text}",
            )
            for text in ("0", "false", "FALSE", "no", "Off")
        ],
        pytest.param("LINEWRIGHT_EMBEDDED_N_CTX", "8192", ("embedded", "n_ctx"), 8192, id="int"),
        pytest.param(
            "LINEWRIGHT_EMBEDDED_THREADS", " 2 ", ("embedded", "threads"), 2, id="int-with-spaces"
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_TIMEOUT_S", "2.5", ("backend", "timeout_s"), 2.5, id="float"
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_TIMEOUT_S",
            "10",
            ("backend", "timeout_s"),
            10.0,
            id="float-from-int-text",
        ),
        pytest.param(
            "LINEWRIGHT_COMPLETION_TEMPERATURE",
            "1e-1",
            ("completion", "temperature"),
            0.1,
            id="float-exponent",
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_KIND", "ollama", ("backend", "kind"), "ollama", id="literal"
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_URL",
            "http://h:8080",
            ("backend", "url"),
            "http://h:8080",
            id="string",
        ),
        pytest.param("LINEWRIGHT_LOG_LEVEL", "warning", ("log_level",), "warning", id="top-level"),
    ],
)
def test_env_strings_are_coerced(
    name: str, value: str, path: tuple[str, ...], expected: Any
) -> None:
    settings, problems, sources = load(environ={name: value})
    assert (problems, sources) == ([], ["environment"])
    assert value_at(settings, path) == expected
    assert type(value_at(settings, path)) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "key", "reason"),
    [
        pytest.param(
            "LINEWRIGHT_COMPLETION_ENABLED",
            "maybe",
            "completion.enabled",
            "must be true or false, got 'maybe'",
            id="bool",
        ),
        pytest.param(
            "LINEWRIGHT_COMPLETION_ENABLED",
            "",
            "completion.enabled",
            "must be true or false, got ''",
            id="empty-bool",
        ),
        pytest.param(
            "LINEWRIGHT_EMBEDDED_N_CTX",
            "2.5",
            "embedded.nCtx",
            "must be a number, got '2.5'",
            id="fraction-for-int",
        ),
        pytest.param(
            "LINEWRIGHT_EMBEDDED_N_CTX",
            "lots",
            "embedded.nCtx",
            "must be a number, got 'lots'",
            id="word-for-int",
        ),
        pytest.param(
            "LINEWRIGHT_EMBEDDED_N_CTX",
            "100",
            "embedded.nCtx",
            "must be >= 512, got 100",
            id="below-minimum",
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_TIMEOUT_S",
            "soon",
            "backend.timeoutS",
            "must be a number, got 'soon'",
            id="word-for-float",
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_TIMEOUT_S",
            "nan",
            "backend.timeoutS",
            "must be a finite number, got nan",
            id="nan",
        ),
        pytest.param(
            "LINEWRIGHT_COMPLETION_TEMPERATURE",
            "inf",
            "completion.temperature",
            "must be a finite number, got inf",
            id="inf",
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_KIND",
            "OpenAI",
            "backend.kind",
            "must be one of embedded, llamacpp, openai, ollama, got 'OpenAI'",
            id="literal",
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND_COLOUR",
            "red",
            "backend.colour",
            "unknown setting",
            id="unknown-key",
        ),
        pytest.param(
            "LINEWRIGHT_VERBOSE", "1", "verbose", "unknown setting", id="unknown-top-level"
        ),
        pytest.param(
            "LINEWRIGHT_BACKEND", "openai", "backend", "expected a table/object", id="bare-section"
        ),
    ],
)
def test_invalid_env_values(name: str, value: str, key: str, reason: str) -> None:
    assert load(environ={name: value}) == (
        DEFAULTS,
        [Problem("environment", key, reason)],
        ["environment"],
    )


def test_environ_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEWRIGHT_BACKEND_MODEL", "from-os-environ")
    settings, _, sources = config.load(user_file=None, workspace_root=None)
    assert settings.backend.model == "from-os-environ"
    assert "environment" in sources


# ---- files -----------------------------------------------------------------------------


def test_user_file_is_read(tmp_path: pathlib.Path) -> None:
    user = write(tmp_path / "config.toml", '[backend]\nkind = "openai"\napiKeyEnv = "K"\n')
    assert load(user_file=user) == (
        replace(DEFAULTS, backend={"kind": "openai", "api_key_env": "K"}),
        [],
        [f"user config ({user})"],
    )


@pytest.mark.parametrize(
    "is_directory", [pytest.param(False, id="missing"), pytest.param(True, id="directory")]
)
def test_user_file_absent_is_silent(is_directory: bool, tmp_path: pathlib.Path) -> None:
    user = tmp_path / "config.toml"
    if is_directory:
        user.mkdir()
    assert load(user_file=user) == (DEFAULTS, [], [])


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[backend\nkind = 'openai'\n", id="unclosed-table"),
        pytest.param(b"backend = [\n", id="unclosed-array"),
        pytest.param(b"[backend]\nkind = openai\n", id="bare-string"),
        pytest.param(b"\xff\xfe[backend]\n", id="not-utf8"),
    ],
)
def test_bad_toml_file_is_a_problem_not_a_crash(content: bytes, tmp_path: pathlib.Path) -> None:
    user = tmp_path / "config.toml"
    user.write_bytes(content)
    settings, problems, sources = load(
        user_file=user, init_options={"backend": {"model": "still-applied"}}
    )
    assert settings == replace(DEFAULTS, backend={"model": "still-applied"})
    assert sources == ["initializationOptions"]
    assert [(p.source, p.key) for p in problems] == [(f"user config ({user})", "<file>")]
    assert problems[0].reason.startswith(f"cannot read {user}: ")


@pytest.mark.parametrize(
    ("line", "key", "reason"),
    [
        pytest.param(
            "[embedded]\nnCtx = inf",
            "embedded.nCtx",
            "must be a finite number, got inf",
            id="inf-int",
        ),
        pytest.param(
            "[embedded]\nthreads = -inf",
            "embedded.threads",
            "must be a finite number, got -inf",
            id="minus-inf-int",
        ),
        pytest.param(
            "[backend]\ntimeoutS = nan",
            "backend.timeoutS",
            "must be a finite number, got nan",
            id="nan-float",
        ),
        pytest.param(
            "[backend]\ntimeoutS = 1979-05-27",
            "backend.timeoutS",
            "must be a number, got datetime.date(1979, 5, 27)",
            id="date",
        ),
    ],
)
def test_toml_values_json_cannot_express(
    line: str, key: str, reason: str, tmp_path: pathlib.Path
) -> None:
    user = write(tmp_path / "config.toml", line + "\n")
    assert load(user_file=user) == (
        DEFAULTS,
        [Problem(f"user config ({user})", key, reason)],
        [f"user config ({user})"],
    )


def test_missing_config_file_from_command_line_is_a_problem(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nope.toml"
    assert load(extra_file=missing) == (
        DEFAULTS,
        [Problem("--config", str(missing), "file not found")],
        [],
    )


@pytest.mark.parametrize(
    ("files", "expected", "source"),
    [
        pytest.param(
            {"linewright.toml": '[backend]\nkind = "ollama"\n'},
            {"backend": {"kind": "ollama"}},
            "linewright.toml",
            id="linewright-toml",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "x"\n'
                '[tool.linewright.backend]\nkind = "ollama"\n'
            },
            {"backend": {"kind": "ollama"}},
            "pyproject.toml",
            id="pyproject-tool-table",
        ),
        pytest.param(
            {
                "pyproject.toml": '[tool.linewright]\nlog_level = "debug"\n'
                "[tool.linewright.embedded]\nnCtx = 2048\n"
            },
            {"log_level": "debug", "embedded": {"n_ctx": 2048}},
            "pyproject.toml",
            id="pyproject-mixed",
        ),
        pytest.param(
            {
                "linewright.toml": '[backend]\nkind = "ollama"\n',
                "pyproject.toml": '[tool.linewright]\nlogLevel = "debug"\n',
            },
            {"backend": {"kind": "ollama"}},
            "linewright.toml",
            id="linewright-toml-shadows-pyproject",
        ),
        pytest.param({"linewright.toml": ""}, {}, "linewright.toml", id="empty-linewright-toml"),
    ],
)
def test_workspace_files(
    files: dict[str, str], expected: dict[str, Any], source: str, tmp_path: pathlib.Path
) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    assert load(workspace_root=tmp_path) == (replace(DEFAULTS, **expected), [], [source])


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({}, id="no-files"),
        pytest.param({"pyproject.toml": '[project]\nname = "x"\n'}, id="pyproject-without-tool"),
        pytest.param({"pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, id="other-tool-only"),
        pytest.param({"pyproject.toml": 'tool = "x"\n'}, id="tool-not-a-table"),
    ],
)
def test_workspace_without_settings(files: dict[str, str], tmp_path: pathlib.Path) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    assert load(workspace_root=tmp_path) == (DEFAULTS, [], [])


def test_tool_linewright_that_is_not_a_table(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool]\nlinewright = 5\n")
    assert load(workspace_root=tmp_path) == (
        DEFAULTS,
        [Problem("pyproject.toml", "<root>", "expected a table/object")],
        ["pyproject.toml"],
    )


MACHINE_KEYS = [
    "backend.url", "backend.apiKey", "backend.apiKeyEnv", "embedded.modelPath", "testgen.python"
]  # fmt: skip


def test_machine_settings_are_exactly_these() -> None:
    marked = [key for key, entry in config.describe().items() if entry.get("scope") == "machine"]
    assert marked == MACHINE_KEYS


@pytest.mark.parametrize("key", [pytest.param(k, id=k) for k in MACHINE_KEYS])
@pytest.mark.parametrize("file", ["linewright.toml", "pyproject.toml"])
def test_workspace_files_cannot_set_machine_settings(
    key: str, file: str, tmp_path: pathlib.Path
) -> None:
    section, name = key.split(".")
    table = f"tool.linewright.{section}" if file == "pyproject.toml" else section
    write(tmp_path / file, f'[{table}]\n{name} = "/tmp/evil"\n')
    settings, problems, _ = load(workspace_root=tmp_path)
    assert settings == DEFAULTS
    assert problems == [Problem(file, key, config.MACHINE_NOTE)]


@pytest.mark.parametrize("key", [pytest.param(k, id=k) for k in MACHINE_KEYS])
def test_user_sources_still_set_machine_settings(key: str, tmp_path: pathlib.Path) -> None:
    section, name = key.split(".")
    user = write(tmp_path / "user.toml", f'[{section}]\n{name} = "/opt/x"\n')
    settings, problems, _ = load(user_file=user, init_options={section: {name: "/opt/y"}})
    assert problems == []
    assert getattr(getattr(settings, section), config.snake(name)) == "/opt/y"
    settings, _, _ = load(user_file=user)
    assert getattr(getattr(settings, section), config.snake(name)) == "/opt/x"


def test_workspace_machine_setting_leaves_the_rest_of_the_file(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "linewright.toml", '[testgen]\npython = "./x"\nmaxTests = 3\n')
    settings, problems, _ = load(workspace_root=tmp_path)
    assert settings == replace(DEFAULTS, testgen={"max_tests": 3})
    assert [p.key for p in problems] == ["testgen.python"]


def test_bad_linewright_toml_is_reported(tmp_path: pathlib.Path) -> None:
    write(tmp_path / "linewright.toml", "[backend\n")
    write(tmp_path / "pyproject.toml", '[tool.linewright]\nlogLevel = "debug"\n')
    settings, problems, sources = load(workspace_root=tmp_path)
    assert (settings, sources) == (DEFAULTS, [])
    assert [(p.source, p.key) for p in problems] == [("linewright.toml", "<file>")]


# ---- priority of all sources -----------------------------------------------------------

SOURCE_ORDER = [
    "user config",
    "--config file",
    "workspace",
    "environment",
    "command line",
    "initializationOptions",
    "workspace/didChangeConfiguration",
]


def all_sources(
    tmp_path: pathlib.Path, present: list[str], key: str = "model", value: Any = None
) -> dict[str, Any]:
    """`load` arguments where each present source sets backend.<key> (default: its name)."""
    args: dict[str, Any] = {"environ": {}}
    for name in present:
        this = f"from {name}" if value is None else value
        toml = f"[backend]\n{key} = {json.dumps(this)}\n"
        if name == "user config":
            args["user_file"] = write(tmp_path / "user.toml", toml)
        elif name == "--config file":
            args["extra_file"] = write(tmp_path / "extra.toml", toml)
        elif name == "workspace":
            write(tmp_path / "ws" / "linewright.toml", toml)
            args["workspace_root"] = tmp_path / "ws"
        elif name == "environment":
            args["environ"] = {f"LINEWRIGHT_BACKEND_{key.upper()}": str(this)}
        elif name == "command line":
            args["overrides"] = {"backend": {key: this}}
        elif name == "initializationOptions":
            args["init_options"] = {"backend": {key: this}}
        else:
            args["client_settings"] = {"backend": {key: this}}
    return args


@pytest.mark.parametrize(
    "top",
    [pytest.param(i, id=f"up-to-{name}") for i, name in enumerate(SOURCE_ORDER)],
)
def test_priority_highest_source_wins(top: int, tmp_path: pathlib.Path) -> None:
    present = SOURCE_ORDER[: top + 1]
    settings, problems, _ = load(**all_sources(tmp_path, present))
    assert problems == []
    assert settings.backend.model == f"from {SOURCE_ORDER[top]}"


@pytest.mark.parametrize(
    "alone",
    [pytest.param(name, id=name) for name in SOURCE_ORDER],
)
def test_each_source_alone_applies(alone: str, tmp_path: pathlib.Path) -> None:
    settings, problems, sources = load(**all_sources(tmp_path, [alone]))
    assert (settings.backend.model, problems, len(sources)) == (f"from {alone}", [], 1)


def test_sources_are_listed_lowest_first(tmp_path: pathlib.Path) -> None:
    args = all_sources(tmp_path, SOURCE_ORDER)
    _, _, sources = load(**args)
    assert sources == [
        f"user config ({args['user_file']})",
        f"--config file ({args['extra_file']})",
        "linewright.toml",
        "environment",
        "command line",
        "initializationOptions",
        "workspace/didChangeConfiguration",
    ]


def test_every_source_contributes_its_own_keys(tmp_path: pathlib.Path) -> None:
    user = write(tmp_path / "user.toml", "[embedded]\nthreads = 3\n")
    extra = write(tmp_path / "extra.toml", "[embedded]\nnCtx = 2048\n")
    write(tmp_path / "ws" / "linewright.toml", "[completion]\nmaxTokens = 32\n")
    settings, problems, _ = load(
        user_file=user,
        extra_file=extra,
        workspace_root=tmp_path / "ws",
        environ={"LINEWRIGHT_COMPLETION_DEBOUNCE_MS": "50"},
        overrides={"backend": {"kind": "openai"}},
        init_options={"backend": {"model": "m"}},
        client_settings={"logLevel": "debug"},
    )
    assert problems == []
    assert settings == replace(
        DEFAULTS,
        embedded={"threads": 3, "n_ctx": 2048},
        completion={"max_tokens": 32, "debounce_ms": 50},
        backend={"kind": "openai", "model": "m"},
        log_level="debug",
    )


@pytest.mark.parametrize(
    ("source", "problem_source"),
    [
        pytest.param("user config", "user config ({user_file})", id="user-config"),
        pytest.param("--config file", "--config file ({extra_file})", id="config-file"),
        pytest.param("workspace", "linewright.toml", id="workspace"),
        pytest.param("environment", "environment", id="environment"),
        pytest.param("command line", "command line", id="command-line"),
        pytest.param("initializationOptions", "initializationOptions", id="init-options"),
        pytest.param(
            "workspace/didChangeConfiguration", "workspace/didChangeConfiguration", id="did-change"
        ),
    ],
)
def test_problem_names_key_and_source(
    source: str, problem_source: str, tmp_path: pathlib.Path
) -> None:
    # snake_case in the input, camelCase in the report
    args = all_sources(tmp_path, [source], key="connect_timeout_s", value=0)
    settings, problems, _ = load(**args)
    assert settings == DEFAULTS
    assert problems == [
        Problem(problem_source.format(**args), "backend.connectTimeoutS", "must be >= 0.1, got 0.0")
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"init_options": None}, id="no-init-options"),
        pytest.param({"init_options": {}}, id="empty-init-options"),
        pytest.param({"client_settings": {}}, id="empty-client-settings"),
        pytest.param({"overrides": {}}, id="empty-overrides"),
    ],
)
def test_empty_sources_are_not_layers(kwargs: dict[str, Any]) -> None:
    assert load(**kwargs) == (DEFAULTS, [], [])


# ---- describe --------------------------------------------------------------------------

CORE_KEYS = [
    "backend.kind", "backend.url", "backend.model", "backend.apiKey", "backend.apiKeyEnv",
    "backend.fimTemplate", "backend.nativeSuffix", "backend.timeoutS", "backend.connectTimeoutS",
    "embedded.modelPath", "embedded.threads", "embedded.nCtx", "embedded.nBatch",
    "embedded.startupTimeoutS",
    "completion.enabled", "completion.maxTokens", "completion.temperature",
    "completion.prefixChars", "completion.suffixChars", "completion.debounceMs",
    "logLevel",
]  # fmt: skip
"""Settings other code and the editor extension rely on (new ones may be added)."""

DESCRIBED = config.describe()


def test_describe_lists_every_leaf_in_order() -> None:
    assert [key for key in DESCRIBED if key in CORE_KEYS] == CORE_KEYS
    assert list(DESCRIBED) == [
        ".".join(config.camel(name) for name in path) for path in leaf_paths()
    ]


@pytest.mark.parametrize("path", [pytest.param(p, id=".".join(p)) for p in leaf_paths()])
def test_describe_entry_matches_field(path: tuple[str, ...]) -> None:
    key = ".".join(config.camel(name) for name in path)
    entry = DESCRIBED[key]
    default = value_at(DEFAULTS, path)
    assert entry["default"] == default
    doc = entry["doc"]
    assert isinstance(doc, str)
    assert doc.strip() != ""
    assert "\n" not in doc
    json_type = {bool: "boolean", int: "integer", float: "number", str: "string"}[type(default)]
    assert entry["type"] == json_type
    assert set(entry) <= {"default", "doc", "type", "enum", "minimum", "maximum", "scope"}
    # the default passes its own validation (type, enum, limits)
    assert config.build([Layer("defaults", nested(path, default))]) == (DEFAULTS, [])


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param(
            "embedded.nCtx",
            {
                "default": 4096,
                "doc": "Context window in tokens.",
                "type": "integer",
                "minimum": 512,
                "maximum": 131072,
            },
            id="int-with-limits",
        ),
        pytest.param(
            "backend.timeoutS",
            {
                "default": 30.0,
                "doc": "Seconds to wait for one model answer.",
                "type": "number",
                "minimum": 0.1,
            },
            id="float-with-minimum",
        ),
        pytest.param(
            "backend.kind",
            {
                "default": "embedded",
                "doc": "Model backend: embedded (local llama.cpp child), llamacpp, openai "
                "or ollama.",
                "type": "string",
                "enum": ["embedded", "llamacpp", "openai", "ollama"],
            },
            id="literal",
        ),
        pytest.param(
            "logLevel",
            {
                "default": "info",
                "doc": "How much the server logs.",
                "type": "string",
                "enum": ["error", "warning", "info", "debug"],
            },
            id="top-level-literal",
        ),
        pytest.param(
            "completion.enabled",
            {"default": True, "doc": "Offer model completions.", "type": "boolean"},
            id="bool",
        ),
        pytest.param(
            "backend.url",
            {
                "default": "",
                "doc": "Base URL of the model server (ignored by the embedded backend).",
                "type": "string",
                "scope": "machine",
            },
            id="string-machine-scoped",
        ),
    ],
)
def test_describe_entries(key: str, expected: dict[str, Any]) -> None:
    assert DESCRIBED[key] == expected


def test_describe_enums_reject_everything_else() -> None:
    enums = {key: entry["enum"] for key, entry in DESCRIBED.items() if "enum" in entry}
    assert {"backend.fimTemplate", "backend.kind", "logLevel"} <= set(enums)
    for key, allowed in enums.items():
        path = tuple(config.snake(part) for part in key.split("."))
        assert [config.build([Layer("t", nested(path, v))])[1] for v in allowed] == [
            [] for _ in allowed
        ]
        _, problems = config.build([Layer("t", nested(path, "not-" + allowed[0]))])
        assert [p.key for p in problems] == [key]


def test_fim_template_names_mirror_fim_templates() -> None:
    assert set(typing.get_args(config.FimTemplateName)) == {"auto"} | set(fim.TEMPLATES)
    assert DESCRIBED["backend.fimTemplate"]["enum"] == list(typing.get_args(config.FimTemplateName))
