"""The one typed settings tree, and how it is read from every source.

Sources, in rising priority: defaults, the user file (`<config dir>/config.toml`), the
workspace (`linewright.toml`, or `[tool.linewright]` in `pyproject.toml`), `LINEWRIGHT_*`
environment variables, LSP `initializationOptions`, then `workspace/didChangeConfiguration`.
Keys are snake_case in Python and camelCase on the wire; both spellings are accepted
everywhere. An invalid value never stops anything: the default is kept and a `Problem`
naming the exact key is returned for the caller to show once.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import re
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def setting(default: Any, doc: str, **limits: Any) -> Any:
    """A settings field with its one-line description, optional `minimum`/`maximum`, and
    `machine=True` for settings a repository's own files may not set (see `MACHINE_NOTE`)."""
    return field(default=default, metadata={"doc": doc, **limits})


MACHINE_NOTE = (
    "a workspace file cannot set this (it picks a program to run or where code and keys are"
    " sent); set it in your user config, the environment or the editor's user settings"
)
"""Why a `machine` setting from `linewright.toml`/`pyproject.toml` is ignored: opening a
cloned repository must not let it run its own interpreter, load its own model file, or send
the code and the user's API key to a server it names. The VS Code extension marks the same
settings `"scope": "machine"`, so workspace settings cannot set them there either."""


BackendKind = Literal["embedded", "llamacpp", "openai", "ollama"]
FimTemplateName = Literal[
    "auto", "none", "qwen", "starcoder", "codellama", "deepseek", "codestral", "codegemma"
]
"""Mirrors `core.llm.fim.TEMPLATES` plus "auto" (a unit test keeps the two in step)."""


@dataclass(frozen=True)
class BackendSettings:
    """Which model server to talk to."""

    kind: BackendKind = setting(
        "embedded", "Model backend: embedded (local llama.cpp child), llamacpp, openai or ollama."
    )
    url: str = setting(
        "", "Base URL of the model server (ignored by the embedded backend).", machine=True
    )
    model: str = setting("", "Model name sent to OpenAI-compatible and Ollama servers.")
    api_key: str = setting(
        "", "API key for the server; prefer the apiKeyEnv setting.", machine=True
    )
    api_key_env: str = setting(
        "LINEWRIGHT_API_KEY",
        "Environment variable that holds the API key, read at start-up.",
        machine=True,
    )
    fim_template: FimTemplateName = setting(
        "auto", "FIM prompt template: auto, none (prefix only), or a family name (qwen, ...)."
    )
    native_suffix: bool = setting(
        False, "The OpenAI-compatible server accepts `suffix` in /v1/completions."
    )
    timeout_s: float = setting(30.0, "Seconds to wait for one model answer.", minimum=0.1)
    connect_timeout_s: float = setting(3.0, "Seconds to wait for a connection.", minimum=0.1)


@dataclass(frozen=True)
class EmbeddedSettings:
    """The llama.cpp server Linewright runs itself (the default backend)."""

    model_path: str = setting(
        "", "GGUF model to serve; empty means SmolLM2-135M-Instruct.", machine=True
    )
    threads: int = setting(0, "CPU threads for llama.cpp; 0 picks 1-2 from the cores.", minimum=0)
    n_ctx: int = setting(4096, "Context window in tokens.", minimum=512, maximum=131072)
    n_batch: int = setting(512, "Prompt batch size in tokens (kept below nCtx).", minimum=16)
    startup_timeout_s: float = setting(
        180.0, "Seconds to wait for the model server to start.", minimum=1.0
    )


@dataclass(frozen=True)
class CompletionSettings:
    """Fill-in-the-middle completion."""

    enabled: bool = setting(True, "Offer model completions.")
    max_tokens: int = setting(64, "Most tokens in one suggestion.", minimum=1, maximum=2048)
    temperature: float = setting(0.0, "Sampling temperature (0 is greedy).", minimum=0.0)
    prefix_chars: int = setting(
        4000, "Most characters of text before the cursor sent to the model.", minimum=0
    )
    suffix_chars: int = setting(
        1000, "Most characters of text after the cursor sent to the model.", minimum=0
    )
    prefix_tokens: int = setting(
        1024, "Token budget for the text before the cursor (whole lines, imports kept).", minimum=0
    )
    suffix_tokens: int = setting(
        256, "Token budget for the text after the cursor (whole lines).", minimum=0
    )
    extra_context: bool = setting(
        True, "Send snippets of other open and recently edited files as extra context."
    )
    extra_tokens: int = setting(512, "Token budget for the snippets of other files.", minimum=0)
    candidates: int = setting(
        1, "Suggestions asked for per request (needs temperature > 0).", minimum=1, maximum=8
    )
    debounce_ms: int = setting(
        200, "Wait this long after typing before asking the model.", minimum=0
    )
    debounce_min_ms: int = setting(
        75,
        "Shortest wait: a model answering faster than debounceMs is waited for about as long as"
        " it takes, not less than this (set it to debounceMs for a fixed wait).",
        minimum=0,
    )
    cache_entries: int = setting(
        256, "Model answers kept in memory, for instant repeats (0: none).", minimum=0
    )
    cache_disk_mb: int = setting(
        64,
        "Megabytes of model answers kept on disk, shared by running servers (0: memory only).",
        minimum=0,
        maximum=65536,
    )


@dataclass(frozen=True)
class ContextSettings:
    """What may be sent to the model as context (secrets and git-ignored files never are)."""

    exclude: str = setting(
        "",
        "Comma-separated .gitignore-style globs of files never sent to the model (e.g."
        " `secrets/, *.sql`); secret-looking and git-ignored files are always left out.",
    )


@dataclass(frozen=True)
class TelemetrySettings:
    """What happens to each suggestion, kept in a local store that never leaves the machine."""

    enabled: bool = setting(
        True, "Record shown/accepted/rejected suggestions in the local state folder."
    )
    include_code: bool = setting(
        False, "Also store the code around the cursor and the suggestion text (off: none)."
    )
    max_events: int = setting(
        100000, "Keep at most this many telemetry events; the oldest are pruned.", minimum=100
    )


@dataclass(frozen=True)
class FilterSettings:
    """The suggestion filter: hide suggestions this user would likely reject (learned locally)."""

    enabled: bool = setting(True, "Filter automatic suggestions by their predicted acceptance.")
    aggressiveness: float = setting(
        0.5,
        "0 hides nothing; 0.5 hides when under 1 in 10 would be accepted; 1 under 1 in 4.",
        minimum=0.0,
        maximum=1.0,
    )
    max_hide_share: float = setting(
        0.3,
        "Never hide more than this share of the recent automatic requests.",
        minimum=0.0,
        maximum=1.0,
    )
    hide_window: int = setting(
        100, "How many recent automatic requests maxHideShare is measured over.", minimum=1
    )
    exploration_rate: float = setting(
        0.05,
        "Share of would-be-hidden suggestions shown anyway, so the filter keeps learning.",
        minimum=0.0,
        maximum=0.5,
    )
    skip_requests: bool = setting(
        True, "Do not ask the model when the context alone says the answer would be rejected."
    )
    learn: bool = setting(
        True, "Learn from this user's accepts and rejects (off: keep the shipped prior)."
    )


@dataclass(frozen=True)
class FlagSettings:
    """Line-anomaly flags (FLAG): regenerate each line, flag what the model would not write."""

    enabled: bool = setting(True, "Show line-anomaly flags as diagnostics in the editor.")
    idle_ms: int = setting(
        1500,
        "Rescan a document this long after the last edit (it is also scanned on open/save).",
        minimum=0,
    )
    min_score: float = setting(
        0.8,
        "Flag lines whose anomaly score (0..1) is at least this (0.8: about 15% of lines).",
        minimum=0.0,
        maximum=1.0,
    )
    warning_score: float = setting(
        0.9,
        "Flags scoring at least this are Warnings, the others Information.",
        minimum=0.0,
        maximum=1.0,
    )
    top_logprobs: int = setting(
        50,
        "Alternatives per token asked of the model (backends that cannot score lines use them).",
        minimum=1,
        maximum=200,
    )
    max_line_tokens: int = setting(
        48, "Most tokens generated when the model rewrites one line.", minimum=4, maximum=256
    )
    max_line_chars: int = setting(
        240, "Longer lines are not scanned (generated or minified code).", minimum=16
    )
    prefix_lines: int = setting(
        60, "Most lines above a line (inside its definition) sent as context.", minimum=1
    )
    suffix_lines: int = setting(
        20,
        "Most lines below a line sent as context to models that fill in the middle.",
        minimum=0,
    )
    window_lines: int = setting(
        100, "Lines scanned between two progress reports and partial results.", minimum=1
    )
    duplicate_similarity: float = setting(
        0.9,
        "A line at least this similar to another line of the file is a near-duplicate.",
        minimum=0.0,
        maximum=1.0,
    )


@dataclass(frozen=True)
class TestgenSettings:
    """Unit-test generation (tests are offered only after they ran in the sandbox)."""

    __test__ = False  # a settings section, not a pytest test class

    use_model: bool = setting(
        True, "Ask the model for tests; tests derived from executions are always made."
    )
    model_requests: int = setting(
        4, "Model answers to ask for, one per prompt variant.", minimum=0, maximum=16
    )
    max_tokens: int = setting(512, "Most tokens in one model answer.", minimum=64, maximum=8192)
    temperature: float = setting(
        0.7, "Sampling temperature when a prompt variant is asked again.", minimum=0.0
    )
    max_tests: int = setting(12, "Most tests offered at once.", minimum=1, maximum=100)
    derived_cases: int = setting(
        64, "Most inputs tried when deriving tests from executions.", minimum=0, maximum=1000
    )
    test_timeout_s: float = setting(
        5.0, "Wall-clock seconds one generated test may run.", minimum=0.1, maximum=600.0
    )
    test_cpu_s: float = setting(
        5.0, "CPU seconds one generated test may use.", minimum=0.1, maximum=600.0
    )
    memory_mb: int = setting(
        1024, "Address-space limit of the sandbox process, in MiB.", minimum=128, maximum=16384
    )
    file_size_mb: int = setting(
        16, "Largest file a test may write, in MiB.", minimum=1, maximum=1024
    )
    python: str = setting(
        "",
        "Interpreter that runs tests; empty: the workspace's .venv, else Linewright's.",
        machine=True,
    )


@dataclass(frozen=True)
class Settings:
    """Everything a user can set."""

    backend: BackendSettings = field(default_factory=BackendSettings)
    embedded: EmbeddedSettings = field(default_factory=EmbeddedSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    testgen: TestgenSettings = field(default_factory=TestgenSettings)
    flag: FlagSettings = field(default_factory=FlagSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    filter: FilterSettings = field(default_factory=FilterSettings)
    log_level: Literal["error", "warning", "info", "debug"] = setting(
        "info", "How much the server logs."
    )


@dataclass(frozen=True)
class Problem:
    """One invalid key from one source, with the reason it was rejected."""

    source: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.reason}"


@dataclass(frozen=True)
class Layer:
    """Raw settings from one source, as a nested mapping."""

    source: str
    values: Mapping[str, Any]
    trusted: bool = True
    """False for files that come with the workspace: they cannot set `machine` settings."""


def snake(name: str) -> str:
    """camelCase or kebab-case -> snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).replace("-", "_").lower()


def camel(name: str) -> str:
    """snake_case -> camelCase (the wire spelling)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def build(layers: list[Layer]) -> tuple[Settings, list[Problem]]:
    """Merge `layers` (lowest priority first) over the defaults, validating every value."""
    problems: list[Problem] = []
    settings = Settings()
    for layer in layers:
        settings = _apply(settings, layer.values, layer, "", problems)
    return settings, problems


def _apply(obj: Any, values: Any, layer: Layer, path: str, problems: list[Problem]) -> Any:
    """Return a copy of dataclass `obj` with valid `values` applied; record invalid ones."""
    source = layer.source
    if not isinstance(values, Mapping):
        problems.append(Problem(source, path or "<root>", "expected a table/object"))
        return obj
    hints = typing.get_type_hints(type(obj))
    fields = {f.name: f for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for raw_key, raw_value in values.items():
        name = snake(str(raw_key))
        key = f"{path}.{camel(name)}" if path else camel(name)
        if name not in fields:
            problems.append(Problem(source, key, "unknown setting"))
            continue
        current = getattr(obj, name)
        if dataclasses.is_dataclass(current):
            changes[name] = _apply(current, raw_value, layer, key, problems)
            continue
        if fields[name].metadata.get("machine") and not layer.trusted:
            problems.append(Problem(source, key, MACHINE_NOTE))
            continue
        try:
            changes[name] = _coerce(raw_value, hints[name], fields[name].metadata)
        except ValueError as exc:
            problems.append(Problem(source, key, str(exc)))
    return dataclasses.replace(obj, **changes)


def _coerce(value: Any, hint: Any, meta: Mapping[str, Any]) -> Any:
    """Check `value` against a field's type and limits; strings from env are converted."""
    if typing.get_origin(hint) is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(map(str, allowed))}, got {value!r}")
        return value
    if hint is bool:
        if isinstance(value, str) and value.lower() in {
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        }:
            return value.lower() in {"1", "true", "yes", "on"}
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value
    if hint in (int, float):
        number = _number(value, hint)
        if "minimum" in meta and number < meta["minimum"]:
            raise ValueError(f"must be >= {meta['minimum']}, got {number}")
        if "maximum" in meta and number > meta["maximum"]:
            raise ValueError(f"must be <= {meta['maximum']}, got {number}")
        return number
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {value!r}")
        return value
    raise ValueError(f"unsupported type {hint!r}")  # pragma: no cover - a programming error


def _number(value: Any, hint: type) -> int | float:
    """Parse an int/float setting; bools, NaN and infinities are not numbers, integral
    floats are fine for ints."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value) if hint is float else int(value)
        except ValueError:
            raise ValueError(f"must be a number, got {value!r}") from None
    if not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {value!r}")
    # TOML and env strings can spell nan/inf; NaN would pass every limit check
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    if hint is int:
        # exact for big ints (a float round-trip is not)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"must be a whole number, got {value!r}")
        return int(value)
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"must be a finite number, got {value!r}") from None


# ---- sources ---------------------------------------------------------------------------


def file_layer(
    path: pathlib.Path, source: str, table: str | None = None, *, trusted: bool = True
) -> tuple[Layer | None, list[Problem]]:
    """Read a TOML file (optionally one `[tool.x]` table of it); missing file -> no layer."""
    if not path.is_file():
        return None, []
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, [Problem(source, "<file>", f"cannot read {path}: {exc}")]
    if table:
        for part in table.split("."):
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            return None, []
    return Layer(source, data, trusted), []


def env_layer(environ: Mapping[str, str]) -> Layer | None:
    """`LINEWRIGHT_BACKEND_URL=...` -> {"backend": {"url": ...}}; `LINEWRIGHT_LOG_LEVEL` too.

    The section is the first word after the prefix when it names a section, so
    `LINEWRIGHT_EMBEDDED_MODEL_PATH` sets `embedded.model_path`. Variables Linewright uses
    for other purposes (directories, the API key itself, the model wheel) are skipped.
    """
    sections = {f.name for f in dataclasses.fields(Settings) if f.name != "log_level"}
    reserved = {"CACHE_DIR", "STATE_DIR", "CONFIG_DIR", "API_KEY", "MODEL_WHEEL"}
    values: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith("LINEWRIGHT_") or name[11:] in reserved:
            continue
        rest = name[11:].lower()
        section, _, key = rest.partition("_")
        if section in sections and key:
            values.setdefault(section, {})[key] = value
        else:
            values[rest] = value
    return Layer("environment", values) if values else None


def workspace_layers(root: pathlib.Path | None) -> tuple[list[Layer], list[Problem]]:
    """`linewright.toml` at the workspace root, else `[tool.linewright]` in pyproject.toml."""
    if root is None:
        return [], []
    layer, problems = file_layer(root / "linewright.toml", "linewright.toml", trusted=False)
    if layer is None and not problems:
        layer, problems = file_layer(
            root / "pyproject.toml", "pyproject.toml", "tool.linewright", trusted=False
        )
    return ([layer] if layer else []), problems


def load(
    *,
    user_file: pathlib.Path | None,
    workspace_root: pathlib.Path | None,
    environ: Mapping[str, str] | None = None,
    init_options: Any = None,
    client_settings: Any = None,
    extra_file: pathlib.Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Settings, list[Problem], list[str]]:
    """All sources merged: returns settings, problems, and the names of the sources used.

    `extra_file` is `--config FILE` (above the user file); `overrides` are command-line
    flags such as `--backend` (above the environment, below what the editor sends).
    """
    layers: list[Layer] = []
    problems: list[Problem] = []
    if extra_file is not None and not extra_file.is_file():
        problems.append(Problem("--config", str(extra_file), "file not found"))
    for path, name in ((user_file, "user config"), (extra_file, "--config file")):
        if path is not None:
            layer, found = file_layer(path, f"{name} ({path})")
            problems += found
            if layer:
                layers.append(layer)
    found_layers, found = workspace_layers(workspace_root)
    layers += found_layers
    problems += found
    env = env_layer(os.environ if environ is None else environ)
    if env:
        layers.append(env)
    if overrides:
        layers.append(Layer("command line", overrides))
    if init_options:
        layers.append(Layer("initializationOptions", init_options))
    if client_settings:
        layers.append(Layer("workspace/didChangeConfiguration", client_settings))
    settings, invalid = build(layers)
    return settings, problems + invalid, [layer.source for layer in layers]


def describe(cls: type = Settings, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every leaf setting as `{"backend.url": {"default": ..., "doc": ..., "type": ...}}`.

    The VS Code extension's `contributes.configuration` is checked against this.
    """
    out: dict[str, dict[str, Any]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{camel(f.name)}"
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            out.update(describe(hint, key + "."))  # type: ignore[arg-type]
            continue
        entry: dict[str, Any] = {"default": f.default, "doc": f.metadata.get("doc", "")}
        if typing.get_origin(hint) is Literal:
            entry["type"], entry["enum"] = "string", list(typing.get_args(hint))
        else:
            entry["type"] = {bool: "boolean", int: "integer", float: "number", str: "string"}[hint]
        for limit in ("minimum", "maximum"):
            if limit in f.metadata:
                entry[limit] = f.metadata[limit]
        if f.metadata.get("machine"):
            entry["scope"] = "machine"
        out[key] = entry
    return out
