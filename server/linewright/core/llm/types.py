"""Backend-neutral request and result types, and the `Backend` protocol.

Every feature talks to a model through these plain dataclasses only; each backend module
turns them into its own wire format (a pure `build_*_request`) and back (a pure
`parse_*_response`). Designed for all features: FIM completion (prefix + suffix + `n`),
line-anomaly flags (top-k log-probabilities per token), test generation (chat) and the
suggestion filter (log-probabilities and timings for telemetry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

FinishReason = Literal["stop", "length", "eos", "unknown"]


@dataclass(frozen=True)
class ExtraChunk:
    """A snippet of another file sent as extra context (llama.cpp `input_extra`)."""

    filename: str
    text: str


@dataclass(frozen=True)
class CompletionRequest:
    """One text-completion request: continue `prefix`, optionally filling up to `suffix`."""

    prefix: str
    suffix: str | None = None
    stop: tuple[str, ...] = ()
    max_tokens: int = 64
    temperature: float = 0.0
    n: int = 1
    top_logprobs: int = 0
    """How many alternatives per generated token to return (0: no log-probabilities)."""
    extra: tuple[ExtraChunk, ...] = ()
    cache_prompt: bool = True
    """Let the server reuse its KV cache for a shared prompt prefix (llama.cpp)."""
    seed: int | None = None


@dataclass(frozen=True)
class ChatMessage:
    """One chat turn: `role` is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """An instruction request (test generation, explanations)."""

    messages: tuple[ChatMessage, ...]
    max_tokens: int = 512
    temperature: float = 0.0
    n: int = 1
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token, its log-probability and the top alternatives at its position."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Choice:
    """One candidate continuation."""

    text: str
    finish_reason: FinishReason = "unknown"
    tokens: tuple[TokenLogprob, ...] | None = None

    @property
    def mean_logprob(self) -> float | None:
        """Mean per-token log-probability, or None when the backend gave none."""
        if not self.tokens:
            return None
        return sum(t.logprob for t in self.tokens) / len(self.tokens)

    @property
    def min_logprob(self) -> float | None:
        """Lowest per-token log-probability, or None when the backend gave none."""
        if not self.tokens:
            return None
        return min(t.logprob for t in self.tokens)

    @property
    def probability(self) -> float | None:
        """exp(mean log-probability): a 0..1 confidence, or None."""
        mean = self.mean_logprob
        return None if mean is None else math.exp(mean)


@dataclass(frozen=True)
class Usage:
    """What the backend reports about the cost of a request."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    backend_ms: float | None = None


@dataclass(frozen=True)
class Generation:
    """The result of one request: one or more choices plus the model that produced them."""

    choices: tuple[Choice, ...]
    model: str = ""
    usage: Usage = field(default_factory=Usage)

    @property
    def text(self) -> str:
        """The first choice's text (empty when there is none)."""
        return self.choices[0].text if self.choices else ""


@dataclass(frozen=True)
class BackendInfo:
    """What a backend can do, learned once (llama.cpp `/props`, Ollama `/api/show`, config)."""

    name: str
    url: str
    model: str = ""
    supports_fim: bool = False
    """Native fill-in-the-middle (llama.cpp `/infill`, OpenAI `suffix`, Ollama `suffix`)."""
    fim_template: str | None = None
    """Name of a template in `fim.TEMPLATES` used to build FIM prompts by hand, if any."""
    supports_chat: bool = False
    supports_n: bool = False
    supports_logprobs: bool = False
    supports_tokenize: bool = False
    n_ctx: int | None = None
    n_batch: int | None = None
    """Largest prompt batch; llama.cpp's `/infill` silently drops prefix beyond ~3/4 of it."""


@runtime_checkable
class Backend(Protocol):
    """A model server. Implementations never raise anything but `BackendError`s."""

    name: str

    async def info(self) -> BackendInfo:
        """Capabilities (cached after the first successful probe)."""
        ...

    async def complete(self, request: CompletionRequest) -> Generation:
        """Continue `request.prefix` (filling up to `request.suffix` when supported)."""
        ...

    async def chat(self, request: ChatRequest) -> Generation:
        """Answer a chat conversation; raises `UnsupportedOperation` where there is none."""
        ...

    async def tokenize(self, text: str) -> list[int] | None:
        """Token ids of `text`, or None when the backend has no tokenizer endpoint."""
        ...

    async def aclose(self) -> None:
        """Release connections (and child processes)."""
        ...


# --- Teacher-forced scoring (optional capability; line-anomaly flags use it) -------------


@dataclass(frozen=True)
class ScoreRequest:
    """How likely the model finds `target` right after `prefix` (and before `suffix`)."""

    prefix: str
    target: str
    suffix: str | None = None
    top_logprobs: int = 50
    """Alternatives per position; the model's own top choices next to the target's tokens."""
    cache_prompt: bool = True


@dataclass(frozen=True)
class Scored:
    """`target` as the model tokenized it, each token with the model's unconstrained
    log-probability and top alternatives at that position."""

    tokens: tuple[TokenLogprob, ...]
    end: tuple[tuple[str, float], ...] = ()
    """The model's top choices right after the target (where a newline should come)."""
    model: str = ""
    usage: Usage = field(default_factory=Usage)


@runtime_checkable
class ScoringBackend(Protocol):
    """A backend that can score a given text (llama.cpp, the embedded server)."""

    async def score(self, request: ScoreRequest) -> Scored:
        """Teacher-forced log-probabilities of `request.target`."""
        ...
