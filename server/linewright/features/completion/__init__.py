"""Fill-in-the-middle completion: gate, window, one backend call, post-process.

`CompletionFeature.suggest` is the single entry point used by the LSP handlers and the CLI.
It degrades silently: a backend failure yields no suggestion (the caller logs and warns).

Speed, by named decision:

- **Typing along.** The last suggestions offered per document are kept with the text they
  were computed for. A request whose text after the cursor is unchanged and whose text
  before it is the old one plus what was typed since, where that typed text starts a
  suggestion, is answered with the rest of that suggestion (same id): no prompt, no cache
  lookup, no model. `typing_along` is that check alone, so the LSP layer can run it before
  the debounce.
- **Cache the model's answer, not our verdict.** The cache (memory, then disk, see
  `core.cache`) is keyed by the backend's identity, the gate's mode and the exact request
  (prompt windows, stops, token limit, temperature, `n`, extra context ...) and stores the
  model's raw answer. Post-processing runs again on a hit: it reads the document beyond
  the prompt windows (the suffix, the syntax tree, repeats of the prefix), and a stored
  verdict would outlive changes to it.
- **Adaptive debounce.** Automatic triggers wait `debounceMs` while the model's speed is
  unknown or slow; when it typically answers faster, about as long as it takes (not below
  `debounceMinMs`): abandoning a request then costs little, and the wait stays at most
  about half of what the user waits for a suggestion.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from linewright.config import CompletionSettings
from linewright.core.cache import Cache, key_of
from linewright.core.llm.types import (
    Backend,
    BackendInfo,
    Choice,
    CompletionRequest,
    Generation,
    TokenLogprob,
)
from linewright.features.completion.context import CompletionContext, Mode, Trigger, decide_mode
from linewright.features.completion.endings import document_line_ending, lf_view, to_document
from linewright.features.completion.postprocess import process, rank
from linewright.features.completion.prompt import Prompt, TokenRatio, build_prompt, build_request
from linewright.features.filtering import SuggestionFilter

__all__ = ["CompletionContext", "CompletionFeature", "Suggestion", "Trigger"]

SHOWN_DOCUMENTS = 64
"""Documents whose last suggestions are kept for typing along."""
LATENCY_SAMPLES = 9
"""Recent backend answer times the adaptive debounce takes the median of."""


@dataclass(frozen=True)
class Suggestion:
    """Text to insert at the cursor; `replace_suffix` chars after the cursor are replaced."""

    id: str
    text: str
    mean_logprob: float | None = None
    replace_suffix: int = 0


@dataclass(frozen=True)
class Shown:
    """Suggestions offered for a cursor, with the document text around that cursor."""

    prefix: str
    suffix: str
    suggestions: tuple[Suggestion, ...]


def follow(shown: Shown, prefix: str, suffix: str) -> list[Suggestion] | None:
    """What is left of `shown` once the user typed on to `prefix`; None when nothing is.

    Only when the text after the cursor is unchanged and the text before it is the old text
    plus the typed text; a suggestion is kept when it starts with the typed text and has
    more than whitespace after it.
    """
    if suffix != shown.suffix or not prefix.startswith(shown.prefix):
        return None
    typed = prefix[len(shown.prefix) :]
    rest = [
        replace(s, text=s.text[len(typed) :])
        for s in shown.suggestions
        if s.text.startswith(typed) and s.text[len(typed) :].strip()
    ]
    return rest or None


class ShownSuggestions:
    """The last suggestions offered in each of the most recently used documents."""

    def __init__(self, documents: int = SHOWN_DOCUMENTS) -> None:
        self._documents = documents
        self._by_uri: OrderedDict[str, Shown] = OrderedDict()

    def remember(self, ctx: CompletionContext, suggestions: Sequence[Suggestion]) -> None:
        """`suggestions` were offered at the cursor of `ctx`."""
        self._by_uri[ctx.uri] = Shown(ctx.prefix, ctx.suffix, tuple(suggestions))
        self._by_uri.move_to_end(ctx.uri)
        while len(self._by_uri) > self._documents:
            self._by_uri.popitem(last=False)

    def follow(self, ctx: CompletionContext) -> list[Suggestion] | None:
        """The typing-along answer for `ctx`, or None."""
        shown = self._by_uri.get(ctx.uri)
        return None if shown is None else follow(shown, ctx.prefix, ctx.suffix)

    def forget(self, uri: str) -> None:
        """Drop what was offered in `uri` (the document was closed)."""
        self._by_uri.pop(uri, None)


def debounce_seconds(settings: CompletionSettings, recent_ms: Sequence[float]) -> float:
    """How long an automatic trigger waits (see "Adaptive debounce")."""
    wait_ms = float(settings.debounce_ms)
    if recent_ms:
        typical = statistics.median(recent_ms)
        wait_ms = min(wait_ms, max(float(settings.debounce_min_ms), typical))
    return wait_ms / 1000


def backend_identity(info: BackendInfo) -> BackendInfo:
    """What names the model behind `info` in cache keys.

    The embedded server listens on a new port at every start; its model file names it.
    """
    return replace(info, url="") if info.name == "embedded" else info


def cache_key(info: BackendInfo, mode: Mode, request: CompletionRequest) -> str:
    """The cache key of one backend request (see "Cache the model's answer")."""
    return key_of(backend_identity(info), mode, request)


def generation_to_json(generation: Generation) -> dict[str, Any]:
    """What the cache stores of a model answer: texts, finish reasons, token log-probs."""
    return {
        "model": generation.model,
        "choices": [
            {
                "text": choice.text,
                "finish": choice.finish_reason,
                "logprobs": None
                if choice.tokens is None
                else [[t.token, t.logprob] for t in choice.tokens],
            }
            for choice in generation.choices
        ],
    }


def generation_from_json(data: Any) -> Generation | None:
    """The answer `generation_to_json` stored, or None for anything else (a damaged entry).

    Token alternatives are not stored; usage is empty, which marks a cached answer.
    """
    try:
        choices = tuple(
            Choice(
                str(c["text"]),
                c["finish"] if c["finish"] in ("stop", "length", "eos") else "unknown",
                None
                if c["logprobs"] is None
                else tuple(TokenLogprob(str(t), float(p)) for t, p in c["logprobs"]),
            )
            for c in data["choices"]
        )
        return Generation(choices, str(data["model"]))
    except (KeyError, TypeError, ValueError):
        return None


class CompletionFeature:
    """Asks the backend for the text at the cursor and shapes it into suggestions.

    `cache_dir` is where the model's answers are kept on disk (shared by running servers);
    None keeps them in memory only.
    """

    def __init__(
        self,
        backend: Callable[[], Backend],
        settings: Callable[[], CompletionSettings],
        cache_dir: Path | None = None,
        suggestion_filter: SuggestionFilter | None = None,
    ) -> None:
        # stage 1 runs before the model call, stage 2 after post-processing (features.filtering)
        self.suggestion_filter = suggestion_filter
        self._backend = backend
        self._settings = settings
        self._ids = itertools.count(1)
        self._ratio = TokenRatio()
        self.shown = ShownSuggestions()
        self._latencies_ms: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self._cache_sizes = _cache_sizes(settings())
        self.cache = Cache(cache_dir, *self._cache_sizes)

    def typing_along(self, ctx: CompletionContext) -> list[Suggestion] | None:
        """The rest of a suggestion the user is typing along, or None (see the docstring)."""
        return self.shown.follow(ctx) if self._settings().enabled else None

    def debounce_s(self, trigger: Trigger) -> float:
        """Seconds to wait before asking the model for `trigger` (0 when invoked)."""
        if trigger is Trigger.INVOKED:
            return 0.0
        return debounce_seconds(self._settings(), self._latencies_ms)

    def forget(self, uri: str) -> None:
        """The document at `uri` was closed."""
        self.shown.forget(uri)

    async def suggest(self, ctx: CompletionContext) -> list[Suggestion]:
        """Suggestions for the cursor in `ctx` (empty when the gate says no).

        `ctx` is the document's own view; the stages see its LF view and the suggestions
        come back with the document's line break (see `endings`).
        """
        settings = self._settings()
        if not settings.enabled:
            return []
        along = self.shown.follow(ctx)
        if along is not None:
            return along
        lf = lf_view(ctx)
        mode = decide_mode(lf)
        if mode is Mode.NONE:
            return []
        gate = self.suggestion_filter
        check = None if gate is None else gate.check(lf, ctx.trigger is Trigger.INVOKED)
        if check is not None and check.skip:
            return []
        backend = self._backend()
        info = await backend.info()
        prompt, request = await self._request(ctx, mode, settings, backend, info)
        generation = await self._generate(
            backend, cache_key(info, mode, request), request, settings
        )
        suggestions = self._ranked(
            [(process(c.text, lf, mode, prompt.heal), c.mean_logprob) for c in generation.choices]
        )
        if gate is not None and check is not None:
            suggestions = gate.hide(check, suggestions)
        eol = document_line_ending(ctx)
        suggestions = [replace(s, text=to_document(s.text, eol)) for s in suggestions]
        if suggestions:
            self.shown.remember(ctx, suggestions)
        return suggestions

    async def _request(
        self,
        ctx: CompletionContext,
        mode: Mode,
        settings: CompletionSettings,
        backend: Backend,
        info: BackendInfo,
    ) -> tuple[Prompt, CompletionRequest]:
        """The prompt for `ctx` (the document's own view) and the request that sends it."""
        ratio = await self._ratio.bytes_per_token(backend, info)
        prompt = build_prompt(
            ctx,
            settings,
            fim=info.supports_fim,
            bytes_per_token=ratio,
            n_ctx=info.n_ctx,
            n_batch=info.n_batch,
        )
        return prompt, build_request(prompt, mode, settings, supports_n=info.supports_n)

    async def _generate(
        self, backend: Backend, key: str, request: CompletionRequest, settings: CompletionSettings
    ) -> Generation:
        """The model's answer to `request`: cached, or asked for (and then cached)."""
        sizes = _cache_sizes(settings)
        if sizes != self._cache_sizes:
            self._cache_sizes = sizes
            self.cache.configure(*sizes)
        stored = self.cache.get(key)
        cached = None if stored is None else generation_from_json(stored)
        if cached is not None:
            return cached
        start = time.perf_counter()
        generation = await backend.complete(request)
        self._latencies_ms.append((time.perf_counter() - start) * 1000)
        self.cache.put(key, generation_to_json(generation))
        return generation

    def _ranked(self, scored: list[tuple[str, float | None]]) -> list[Suggestion]:
        """Suggestions from (text, mean log-probability) pairs, best first, deduplicated."""
        best: dict[str, float | None] = {}
        for text, logprob in scored:
            known = best.get(text)
            if text not in best or (logprob is not None and (known is None or logprob > known)):
                best[text] = logprob
        return [Suggestion(f"lw-{next(self._ids)}", text, best[text]) for text in rank(scored)]

    async def aclose(self) -> None:
        """Write the cache's queued answers to disk and close it."""
        await asyncio.to_thread(self.cache.close)


def _cache_sizes(settings: CompletionSettings) -> tuple[int, int]:
    """(memory entries, disk bytes) from settings."""
    return settings.cache_entries, settings.cache_disk_mb << 20
