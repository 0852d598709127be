"""Protocol problems (bad framing, bad messages, failing notification handlers) -> log + popup.

Every problem is logged. The user sees at most one `window/showMessage` per kind of problem
a minute: a client that sends thousands of bad messages must not bury the editor under
"Error in server" windows (pygls's default shows one per error).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from pygls.exceptions import FeatureRequestError

from linewright.core.ratelimit import RateLimiter

log = logging.getLogger(__name__)

POPUP_INTERVAL_S = 60.0
"""At most one popup per kind of problem in this many seconds."""


class ProtocolProblems:
    """Counts, logs and (rate-limited) shows protocol problems; one per protocol object."""

    def __init__(
        self,
        show: Callable[[str], None],
        interval_s: float = POPUP_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._show = show
        self._popups = RateLimiter(interval_s, clock)
        self.counts: Counter[str] = Counter()
        """Problems seen so far, by kind (what the fuzz test and the log summary read)."""

    def note(self, kind: str, message: str) -> None:
        """Count and log a problem the client already learnt about (an error answer)."""
        self.counts[kind] += 1
        log.warning("protocol problem (%s): %s", kind, message)

    def report(self, kind: str, message: str) -> None:
        """Log `message`; show it too unless a `kind` problem was shown within the interval."""
        self.note(kind, message)
        if self._popups.allow(kind):
            self._show(
                f"Linewright: {message}. (Further problems of this kind in the next minute "
                "go to the log only.)"
            )

    def server_error(self, error: Exception, source: object) -> None:
        """pygls's `report_server_error` hook.

        A failed request was already answered with an error the client shows as it likes,
        so it is only logged; anything else (a notification handler that raised, a message
        that could not be sent) is a rate-limited problem.
        """
        if source is FeatureRequestError:
            self.note("request-failed", str(error))
            return
        kind = getattr(source, "__name__", str(source))
        self.report(kind, f"internal error ({type(error).__name__}: {error})")
