"""Logging policy: no secret in any log line, and libraries quiet unless asked.

`redact_secrets(logger)` puts a `Redactor` on each of the logger's handlers: it masks the
values of keys that look secret (`apiKey`, `api_key`, `token`, `password`, `secret`,
`authorization`) in any rendering (JSON, Python reprs, `key=value`), bearer tokens, and
every value registered with `add_secret` (the configured API key and the value of its
environment variable), wherever it appears. pygls logs whole `initialize` params at INFO,
`initializationOptions` included, so its loggers stay at WARNING below `-vvv`.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_KEYED = re.compile(
    r"""(?P<key>['"]?(?:api[_-]?key|apikey|token|password|passwd|secret|authorization)['"]?"""
    r"""\s*[:=]\s*)(?P<quote>['"]?)(?P<value>[^'",}\s)]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
MIN_SECRET = 4
"""Shorter registered values are not masked (they would mask ordinary words)."""


class Redactor(logging.Filter):
    """Masks secrets in a record's rendered message (the record is rewritten in place)."""

    def __init__(self) -> None:
        super().__init__()
        self.known: set[str] = set()

    def scrub(self, text: str) -> str:
        """`text` with every secret masked."""
        for secret in sorted(self.known, key=len, reverse=True):
            text = text.replace(secret, MASK)
        text = _KEYED.sub(lambda m: f"{m['key']}{m['quote']}{MASK}", text)
        return _BEARER.sub(rf"\g<1>{MASK}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def redactors(logger: logging.Logger) -> list[Redactor]:
    """The redactors on `logger`'s handlers."""
    return [f for h in logger.handlers for f in h.filters if isinstance(f, Redactor)]


def redact_secrets(logger: logging.Logger, handler: logging.Handler | None = None) -> None:
    """Put a redactor on `handler` (else on each of `logger`'s handlers), once each."""
    for target in [handler] if handler is not None else logger.handlers:
        if not any(isinstance(f, Redactor) for f in target.filters):
            target.addFilter(Redactor())


def add_secret(value: str | None, logger: logging.Logger | None = None) -> None:
    """Mask `value` wherever it appears in later log lines of `logger` (default: root)."""
    if value and len(value) >= MIN_SECRET:
        for redactor in redactors(logger or logging.getLogger()):
            redactor.known.add(value)


def quiet_libraries(verbosity: int) -> None:
    """pygls and httpx log requests whole (settings, prompts): WARNING unless `-vvv`."""
    level = logging.DEBUG if verbosity >= 3 else logging.WARNING
    for name in ("pygls", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(level)
