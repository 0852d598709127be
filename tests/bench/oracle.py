"""Scripted backends for the FIM evaluation: the oracle that over-generates, and a recorder.

`OracleBackend` answers with the true middle followed by the real text that follows it in
the file, as over-generating models do: post-processing must find where the middle ends.
`RecordingBackend` wraps any backend and keeps the raw answers, so one backend call can be
scored both through the feature's post-processing and as raw text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from linewright.core.llm.types import (
    Backend,
    BackendInfo,
    ChatRequest,
    Choice,
    CompletionRequest,
    Generation,
)

HEAL_SEARCH = 16
"""Longest healed tail (characters the prompt leaves for the model to rewrite) looked for."""


def healed_length(document_prefix: str, request_prefix: str) -> int:
    """How many characters before the cursor the request's prefix stops short (healing).

    The request's prefix ends with the document's prefix less the healed tail (a few
    whitespace characters). Only its last 200 characters are compared, because the prompt
    stage may put imports or headers in front of the window.
    """
    tail = request_prefix[-200:]
    for length in range(min(HEAL_SEARCH, len(document_prefix)) + 1):
        if document_prefix[: len(document_prefix) - length].endswith(tail):
            return length
    return 0


@dataclass
class OracleBackend:
    """Answers `document[cursor - healed : middle_end + overshoot]` to every request.

    `document` is the true file (prefix + middle + suffix), `cursor` where the middle
    starts and `middle_end` where it ends. Stop strings are ignored unless `honour_stops`,
    like a model that runs on to its token limit.
    """

    document: str
    cursor: int
    middle_end: int
    overshoot: int = 400
    fim: bool = True
    honour_stops: bool = False
    name: str = "oracle"

    async def info(self) -> BackendInfo:
        return BackendInfo(name=self.name, url="oracle://", supports_fim=self.fim)

    async def complete(self, request: CompletionRequest) -> Generation:
        start = self.cursor - healed_length(self.document[: self.cursor], request.prefix)
        text = self.document[start : self.middle_end + self.overshoot]
        if self.honour_stops:
            for stop in request.stop:
                text = text.split(stop, 1)[0] if stop else text
        return Generation((Choice(text, finish_reason="length"),), model="oracle")

    async def chat(self, request: ChatRequest) -> Generation:
        raise NotImplementedError("the oracle only completes")

    async def tokenize(self, text: str) -> list[int] | None:
        return None

    async def aclose(self) -> None:
        return None


@dataclass
class RecordingBackend:
    """Forwards to `inner`, keeping each request and raw answer (optionally without stops).

    With `drop_stops`, requests go out without stop strings, so the raw answer runs to the
    token limit: that is the "raw output cut at the token limit" baseline, and the feature's
    post-processing then has to find the end itself.
    """

    inner: Backend
    drop_stops: bool = True
    requests: list[CompletionRequest] = field(default_factory=list)
    answers: list[Generation] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.inner.name

    async def info(self) -> BackendInfo:
        return await self.inner.info()

    async def complete(self, request: CompletionRequest) -> Generation:
        if self.drop_stops:
            request = replace(request, stop=())
        self.requests.append(request)
        answer = await self.inner.complete(request)
        self.answers.append(answer)
        return answer

    async def chat(self, request: ChatRequest) -> Generation:
        return await self.inner.chat(request)

    async def tokenize(self, text: str) -> list[int] | None:
        return await self.inner.tokenize(text)

    async def aclose(self) -> None:
        await self.inner.aclose()
