"""The parts every scripted `Backend` of the unit tests shares: completion-only, no
tokenizer, nothing to close. A test backend subclasses `CompletionOnly` and adds `info` and
`complete` (feature unit tests; the protocol tests talk to a real llama.cpp server)."""

from __future__ import annotations

from linewright.core.llm.types import ChatRequest, Generation


class CompletionOnly:
    """No chat endpoint, no /tokenize, no connection to close."""

    async def chat(self, request: ChatRequest) -> Generation:
        raise NotImplementedError

    async def tokenize(self, text: str) -> list[int] | None:
        return None

    async def aclose(self) -> None:
        return None
