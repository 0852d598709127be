"""Fill-in-the-middle completion: gate, window, one backend call, post-process.

`CompletionFeature.suggest` is the single entry point used by the LSP handlers and the CLI.
It degrades silently: a backend failure yields no suggestion (the caller logs and warns).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from linewright.config import CompletionSettings
from linewright.core.llm.types import Backend, CompletionRequest
from linewright.features.completion.context import CompletionContext, Mode, Trigger, decide_mode
from linewright.features.completion.postprocess import finish

__all__ = ["CompletionContext", "CompletionFeature", "Suggestion", "Trigger"]

STOP_MULTI = ("\n\n\n",)
"""Multi-line answers stop at two blank lines (the block cut usually stops earlier)."""


def healing_text(line_prefix: str) -> str:
    """The tail of the prompt to leave for the model to regenerate (token healing).

    A prompt that ends in indentation makes models whose tokenizer merges "spaces + word"
    (the default SmolLM2 among them) answer an empty line: the spaces are already spent and
    the merged token cannot follow. Ending the prompt one whitespace character short lets
    the model write that character together with the next word, as it was trained to
    (measured on SmolLM2: the full indentation gives an empty first line, the line start
    gives a new definition, one space short gives the statement).
    """
    return line_prefix[-1] if line_prefix and not line_prefix.strip() else ""


def unheal(text: str, heal: str) -> str:
    """Remove from the model's text what the document already has (the healed part)."""
    if not heal:
        return text
    if text.startswith(heal):
        return text[len(heal) :]
    first, nl, rest = text.partition("\n")
    return first.lstrip(" \t") + nl + rest if first.strip() else text


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

    def request_for(
        self, ctx: CompletionContext, mode: Mode, fim: bool, heal: str = ""
    ) -> CompletionRequest:
        """The backend request for `ctx`: windows cut by character budget.

        `heal` is the tail of the prefix left out of the prompt so the model writes it itself
        (see `healing_text`).
        """
        s = self._settings()
        prefix = ctx.prefix[: len(ctx.prefix) - len(heal)]
        prefix = prefix[-s.prefix_chars :] if s.prefix_chars else ""
        return CompletionRequest(
            prefix=prefix,
            suffix=ctx.suffix[: s.suffix_chars] if fim else None,
            stop=STOP_MULTI if mode is Mode.MULTI else ("\n",),
            max_tokens=s.max_tokens if mode is Mode.MULTI else min(s.max_tokens, 48),
            temperature=s.temperature,
            top_logprobs=1,
        )

    async def suggest(self, ctx: CompletionContext) -> list[Suggestion]:
        """Suggestions for the cursor in `ctx` (empty when the gate says no)."""
        if not self._settings().enabled:
            return []
        mode = decide_mode(ctx)
        if mode is Mode.NONE:
            return []
        backend = self._backend()
        info = await backend.info()
        heal = "" if info.supports_fim else healing_text(ctx.line_prefix)
        request = self.request_for(ctx, mode, info.supports_fim, heal)
        generation = await backend.complete(request)
        out: list[Suggestion] = []
        for choice in generation.choices:
            text = finish(
                unheal(choice.text, heal),
                multiline=mode is Mode.MULTI,
                line_prefix=ctx.line_prefix,
                suffix=ctx.suffix,
                block_indent=ctx.block_indent,
            )
            if text and all(s.text != text for s in out):
                out.append(Suggestion(f"lw-{next(self._ids)}", text, choice.mean_logprob))
        return out
