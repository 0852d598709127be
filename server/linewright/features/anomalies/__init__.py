"""Line-anomaly flags (FLAG): regenerate every line, flag what the model would not have written.

`AnomalyFeature.scan` is the one entry point of the LSP diagnostics and `linewright flag`.
Steps: pick the lines that carry logic (`select`), build each line's bounded context
(`window`), ask the model about each line not in the cache (`regenerate`), judge it
(`score`). Model requests go one at a time (the embedded server has one slot) and wait
while the editor has a completion in flight; results come back window by window so a
huge file shows flags early, and a stop request, a new document version or a backend
failure ends the scan keeping what was computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from tree_sitter import Tree

from linewright.config import FlagSettings
from linewright.core.documents import Document
from linewright.core.errors import BackendError
from linewright.core.llm.types import Backend
from linewright.core.syntax.languages import LanguageSpec
from linewright.features.anomalies.regenerate import Observation, observe, rewrite
from linewright.features.anomalies.replacement import ReplacementCheck, single_line
from linewright.features.anomalies.score import Features, decide, features
from linewright.features.anomalies.select import SourceLine, select_lines, split_lines
from linewright.features.anomalies.store import IgnoreList, LineCache
from linewright.features.anomalies.window import LineContext, build_contexts

__all__ = ["AnomalyFeature", "Flag", "ScanResult", "Snapshot"]

REPLACEMENTS_KEPT = 4096
"""Replacement checks remembered (all are forgotten at once past this)."""


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of one document (safe to hand to worker threads)."""

    uri: str
    version: int
    text: str
    tree: Tree | None = None
    spec: LanguageSpec | None = None

    @classmethod
    def of(cls, doc: Document) -> Snapshot:
        """The current state of an open document."""
        return cls(doc.uri, doc.version, doc.text, doc.tree, doc.language)

    @property
    def path(self) -> pathlib.Path:
        """The file system path behind the URI (the URI itself when it has no scheme)."""
        parsed = urlparse(self.uri)
        return pathlib.Path(unquote(parsed.path) if parsed.scheme else self.uri)


@dataclass(frozen=True)
class Flag:
    """One flagged line; columns are `str` indices into the line."""

    line: int
    start: int
    end: int
    original: str
    alternative: str | None
    """The model's line, when it can replace the flagged code: one line that adds no syntax
    error to the file (see `replacement`); None otherwise, or when it was not asked yet."""
    score: float
    severity: str
    features: Features


@dataclass(frozen=True)
class ScanResult:
    """Flags found, how many lines were judged out of how many, and why it stopped early."""

    flags: list[Flag]
    judged: int
    total: int
    error: str | None = None
    stopped: bool = False
    observed: list[tuple[LineContext, Observation]] = field(default_factory=list)
    """Every judged line with what the model said (for reports and tuning)."""


@dataclass(frozen=True)
class _Plan:
    model: str
    contexts: list[LineContext]
    keys: list[str]


Progress = Callable[[int, int], None]
FlagsSoFar = Callable[[list[Flag]], None]


class AnomalyFeature:
    """Scans documents for anomalous lines with the current backend and settings."""

    def __init__(
        self,
        backend: Callable[[], Backend],
        settings: Callable[[], FlagSettings],
        cache: LineCache,
        ignores: IgnoreList | None = None,
        idle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._backend = backend
        self._settings = settings
        self._cache = cache
        self._ignores = ignores
        self._idle = idle
        self._lock = asyncio.Lock()
        self._usable: dict[tuple[str, int, int, int, str, str], bool] = {}

    async def _plan(self, snap: Snapshot, lines: range | None = None) -> _Plan:
        """Lines, contexts and cache keys (tree-sitter work runs in a worker thread)."""
        info = await self._backend().info()
        model = f"{info.name}:{info.model}:{info.fim_template}:{info.supports_fim}"
        s = self._settings()

        def plan() -> _Plan:
            scanned = select_lines(
                snap.text,
                snap.tree,
                snap.spec,
                max_line_chars=s.max_line_chars,
                duplicate_similarity=s.duplicate_similarity,
            )
            if lines is not None:
                scanned = [line for line in scanned if line.number in lines]
            contexts = build_contexts(
                split_lines(snap.text), snap.tree, snap.spec, scanned,
                fim=info.supports_fim, prefix_lines=s.prefix_lines, suffix_lines=s.suffix_lines,
            )  # fmt: skip
            request = (s.top_logprobs, s.max_line_tokens)
            return _Plan(model, contexts, [LineCache.key(model, c, *request) for c in contexts])

        return await asyncio.to_thread(plan)

    async def cached(self, snap: Snapshot) -> list[Flag]:
        """The flags known from the cache alone (no model call beyond `info`)."""
        plan = await self._plan(snap)
        observations = await asyncio.to_thread(lambda: [self._cache.get(k) for k in plan.keys])
        return self._judge(snap, plan.contexts, observations)

    async def scan(
        self,
        snap: Snapshot,
        *,
        progress: Progress | None = None,
        flags_so_far: FlagsSoFar | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        lines: range | None = None,
    ) -> ScanResult:
        """Judge every line of `snap` (or those numbered in `lines`); see the module
        docstring for ordering and stopping."""
        try:
            plan = await self._plan(snap, lines)
        except BackendError as exc:  # the backend is down before the first line
            return ScanResult([], 0, 0, _describe(exc))
        total = len(plan.contexts)
        observations = await asyncio.to_thread(lambda: [self._cache.get(k) for k in plan.keys])
        window = self._settings().window_lines
        comment = snap.spec.line_comment if snap.spec is not None else None
        error, stopped = None, False
        for index, ctx in enumerate(plan.contexts):
            cached = observations[index]
            if cached is None or self._needs_rewrite(cached, ctx):
                try:
                    observations[index] = await self._ask(ctx, plan.keys[index], comment, cached)
                except BackendError as exc:
                    error = _describe(exc)
                    break
                if should_stop():
                    stopped = True
                    break
            if (index + 1) % window == 0 and index + 1 < total:
                self._window_done(
                    index + 1, total, progress, flags_so_far, snap, plan, observations
                )
        if progress and error is None and not stopped:
            progress(total, total)
        flags = self._judge(snap, plan.contexts, observations)
        observed = [(c, o) for c, o in zip(plan.contexts, observations, strict=True) if o]
        return ScanResult(flags, len(observed), total, error, stopped, observed)

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """This scan's turn at the model: after the editor's completions, one at a time."""
        if self._idle is not None:
            await self._idle()
        async with self._lock:
            yield

    def _window_done(
        self,
        done: int,
        total: int,
        progress: Progress | None,
        flags_so_far: FlagsSoFar | None,
        snap: Snapshot,
        plan: _Plan,
        observations: list[Observation | None],
    ) -> None:
        """Progress and the flags so far, after each window of lines."""
        if progress:
            progress(done, total)
        if flags_so_far:
            flags_so_far(self._judge(snap, plan.contexts, observations))

    def _needs_rewrite(self, observation: Observation, ctx: LineContext) -> bool:
        """A flagged line whose model line was never asked (it was not flagged before)."""
        if observation.alternative is not None:
            return False
        return decide(features(observation, ctx), self._settings()).flagged

    async def _ask(
        self, ctx: LineContext, key: str, comment: str | None, known: Observation | None
    ) -> Observation:
        """One line's observation from the model (one request, two for a flagged line);
        each request waits for the editor's completions and goes alone; stored in the cache."""
        s = self._settings()
        backend = self._backend()
        observation = known
        if observation is None:
            async with self._turn():
                observation = await observe(
                    backend,
                    ctx,
                    top_logprobs=s.top_logprobs,
                    max_tokens=s.max_line_tokens,
                    line_comment=comment,
                )
        if self._needs_rewrite(observation, ctx):
            async with self._turn():
                observation = await rewrite(
                    backend, ctx, observation, max_tokens=s.max_line_tokens, line_comment=comment
                )
        await asyncio.to_thread(self._cache.set, key, observation)
        return observation

    def _judge(
        self,
        snap: Snapshot,
        contexts: list[LineContext],
        observations: list[Observation | None],
    ) -> list[Flag]:
        settings = self._settings()
        check = ReplacementCheck(snap.text, snap.tree, snap.spec)
        flags = []
        for ctx, observation in zip(contexts, observations, strict=True):
            if observation is None:
                continue
            line = ctx.line
            f = features(observation, ctx)
            verdict = decide(f, settings)
            if not verdict.flagged:
                continue
            if self._ignores is not None and self._ignores.contains(snap.path, line.code):
                continue
            start = len(line.indent)
            alternative = self._replacement(snap, check, line, observation.alternative)
            flags.append(
                Flag(
                    line.number, start, start + len(line.code), line.code, alternative,
                    verdict.score, verdict.severity, f,
                )
            )  # fmt: skip
        return flags

    def _replacement(
        self, snap: Snapshot, check: ReplacementCheck, line: SourceLine, written: str | None
    ) -> str | None:
        """The model's line `written` if it can replace the code of `line`, else None.

        Remembered per document text: the flags of one text are judged after every window
        of a scan and at every diagnostics pull, and each check is a reparse."""
        alternative = single_line(written)
        if alternative is None or alternative == line.code:
            return None
        start = len(line.indent)
        key = (snap.uri, hash(snap.text), line.number, start, line.code, alternative)
        usable = self._usable.get(key)
        if usable is None:
            usable = check.keeps_parse(line.number, start, start + len(line.code), alternative)
            if len(self._usable) >= REPLACEMENTS_KEPT:
                self._usable.clear()
            self._usable[key] = usable
        return alternative if usable else None


def _describe(exc: BackendError) -> str:
    return f"{exc} ({exc.url})" if exc.url else str(exc)
