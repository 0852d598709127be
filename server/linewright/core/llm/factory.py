"""Build the configured `Backend` from settings: the one place that knows every kind."""

from __future__ import annotations

import os

from linewright.config import BackendSettings, EmbeddedSettings
from linewright.core import paths
from linewright.core.llm.client import HttpClient, Timeouts
from linewright.core.llm.llamacpp import LlamaCppBackend
from linewright.core.llm.local import EmbeddedBackend, EmbeddedOptions, EmbeddedServer, Progress
from linewright.core.llm.ollama import OllamaBackend
from linewright.core.llm.openai import OpenAIBackend
from linewright.core.llm.types import Backend

DEFAULT_URLS = {
    "llamacpp": "http://127.0.0.1:8080",
    "openai": "http://127.0.0.1:8000",
    "ollama": "http://127.0.0.1:11434",
}


def timeouts(settings: BackendSettings) -> Timeouts:
    """HTTP timeouts from settings."""
    return Timeouts(connect=settings.connect_timeout_s, read=settings.timeout_s)


def api_key(settings: BackendSettings) -> str | None:
    """The API key: the environment variable named in settings wins over the literal value."""
    from_env = os.environ.get(settings.api_key_env) if settings.api_key_env else None
    return from_env or settings.api_key or None


def embedded_options(settings: EmbeddedSettings) -> EmbeddedOptions:
    """Child-process options from settings and the platform folders."""
    return EmbeddedOptions(
        model_path=settings.model_path,
        cache_dir=paths.cache_dir(),
        log_file=paths.state_dir() / "logs" / "embedded-llama.log",
        threads=settings.threads,
        n_ctx=settings.n_ctx,
        n_batch=settings.n_batch,
        startup_timeout_s=settings.startup_timeout_s,
    )


def template(settings: BackendSettings) -> str | None:
    """The FIM template name, or None to pick it from the model (auto)."""
    return None if settings.fim_template == "auto" else settings.fim_template


def create_backend(
    backend: BackendSettings,
    embedded: EmbeddedSettings,
    http: HttpClient,
    progress: Progress | None = None,
) -> Backend:
    """The backend `backend.kind` names; the embedded one starts its child lazily."""
    url = backend.url or DEFAULT_URLS.get(backend.kind, "")
    if backend.kind == "llamacpp":
        return LlamaCppBackend(url, http, api_key=api_key(backend), template=template(backend))
    if backend.kind == "openai":
        return OpenAIBackend(
            url,
            http,
            model=backend.model,
            api_key=api_key(backend),
            template=template(backend),
            native_suffix=backend.native_suffix,
        )
    if backend.kind == "ollama":
        return OllamaBackend(url, http, model=backend.model, template=template(backend))
    return EmbeddedBackend(EmbeddedServer(embedded_options(embedded), progress), http)
