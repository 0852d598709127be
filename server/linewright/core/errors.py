"""The one exception hierarchy of Linewright.

`core` and `features` raise these; only `lsp/` and `cli.py` translate them for the user.
"""

from __future__ import annotations


class LinewrightError(Exception):
    """Base of every error Linewright raises on purpose."""


class ConfigError(LinewrightError):
    """A configuration value is invalid (the caller falls back to the default)."""


class BackendError(LinewrightError):
    """A model backend failed; `url` names the endpoint (never a key)."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class BackendUnavailable(BackendError):
    """The backend cannot be reached (connection refused, DNS, child process down)."""


class BackendTimeout(BackendError):
    """The backend did not answer within the configured timeout."""


class BackendHTTPError(BackendError):
    """The backend answered with a 4xx/5xx status."""

    def __init__(self, message: str, *, url: str = "", status: int = 0) -> None:
        super().__init__(message, url=url)
        self.status = status


class BackendProtocolError(BackendError):
    """The backend answered, but not in the shape we expect (malformed JSON, missing fields)."""


class UnsupportedOperation(BackendError):
    """The backend cannot do what was asked (e.g. chat on a completion-only server)."""


class ModelError(LinewrightError):
    """The model file is missing, corrupted or cannot be fetched."""


class DocumentError(LinewrightError):
    """A document operation names a document we do not hold (e.g. didChange before didOpen)."""


class GrammarError(LinewrightError):
    """A tree-sitter grammar or query file cannot be loaded (broken wheel, ABI mismatch)."""
