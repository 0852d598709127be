"""Fill-in-the-middle completion: gate, window, one backend call, post-process.

`CompletionFeature.suggest` is the single entry point used by the LSP handlers and the CLI.
It degrades silently: a backend failure yields no suggestion (the caller logs and warns).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from linewright.config import CompletionSettings
from linewright.core.llm.types import Backend
from linewright.features.completion.context import CompletionContext, Mode, Trigger, decide_mode
from linewright.features.completion.postprocess import process
from linewright.features.completion.prompt import build_prompt, build_request

__all__ = ["CompletionContext", "CompletionFeature", "Suggestion", "Trigger"]


@dataclass(frozen=True)
class Suggestion:
    """Text to insert at the cursor; `replace_suffix` chars after the cursor are replaced."""

    id: str
    text: str
    mean_logprob: float | None = None
    replace_suffix: int = 0


class CompletionFeature:
    """Asks the backend for the text at the cursor and shapes it into suggestions."""

    def __init__(
        self, backend: Callable[[], Backend], settings: Callable[[], CompletionSettings]
    ) -> None:
        self._backend = backend
        self._settings = settings
        self._ids = itertools.count(1)

    async def suggest(self, ctx: CompletionContext) -> list[Suggestion]:
        """Suggestions for the cursor in `ctx` (empty when the gate says no)."""
        if not self._settings().enabled:
            return []
        mode = decide_mode(ctx)
        if mode is Mode.NONE:
            return []
        settings = self._settings()
        backend = self._backend()
        info = await backend.info()
        prompt = build_prompt(ctx, settings, fim=info.supports_fim)
        generation = await backend.complete(build_request(prompt, mode, settings))
        out: list[Suggestion] = []
        for choice in generation.choices:
            text = process(choice.text, ctx, mode, prompt.heal)
            if text and all(s.text != text for s in out):
                out.append(Suggestion(f"lw-{next(self._ids)}", text, choice.mean_logprob))
        return out
