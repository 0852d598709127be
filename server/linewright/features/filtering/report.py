"""The filter's status for people: what `linewright filter` and `linewright stats` print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linewright.config import FilterSettings
from linewright.features.filtering import store
from linewright.features.filtering.cascade import hide_threshold, skip_threshold
from linewright.features.filtering.store import FilterState

FEW_SAMPLES = 20
"""Fewer explored outcomes than this make the precision estimate rough (said so)."""


def status(state: FilterState, settings: FilterSettings, file: Path | None) -> dict[str, Any]:
    """Settings in effect, what the filter did, and how precise its hiding looks."""
    c = state.counters
    return {
        "enabled": settings.enabled,
        "aggressiveness": settings.aggressiveness,
        "hide_below": round(hide_threshold(settings.aggressiveness), 4),
        "skip_below": round(skip_threshold(settings.aggressiveness), 4)
        if settings.skip_requests
        else None,
        "max_hide_share": settings.max_hide_share,
        "exploration_rate": settings.exploration_rate,
        "learning": settings.learn,
        "learned_outcomes": c.learned,
        "prior": state.source,
        "requests": c.requests,
        "skipped": c.skipped,
        "hidden": c.hidden,
        "hide_rate": None if c.hide_rate is None else round(c.hide_rate, 4),
        "explored": c.explored,
        "explored_rejected": c.explored_rejected,
        "explored_accepted": c.explored_accepted,
        "estimated_precision": None
        if c.estimated_precision is None
        else round(c.estimated_precision, 4),
        "file": None if file is None else str(file),
    }


def read_status(folder: Path, settings: FilterSettings) -> dict[str, Any]:
    """`status` of the state saved in `folder` (the prior when there is none)."""
    return status(store.load(folder), settings, folder / store.STATE_FILE)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def format_status(data: dict[str, Any]) -> str:
    """A few plain-text lines of `status`."""
    if not data["enabled"]:
        head = "Suggestion filter: off (filter.enabled = false)"
    else:
        skip = data["skip_below"]
        head = (
            f"Suggestion filter: on, aggressiveness {data['aggressiveness']}: hides below"
            f" {_percent(data['hide_below'])} predicted acceptance"
            + ("" if skip is None else f", skips requests below {_percent(skip)}")
            + f"; at most {_percent(data['max_hide_share'])} hidden"
        )
    learned = data["learned_outcomes"]
    model = f"prior + {learned} outcomes learned" if learned else "prior (nothing learned yet)"
    decided = data["explored_rejected"] + data["explored_accepted"]
    precision = _percent(data["estimated_precision"])
    if decided and decided < FEW_SAMPLES:
        precision += " (few samples)"
    return "\n".join(
        [
            head,
            f"  model: {model}{'' if data['learning'] else ', learning off'}",
            f"  automatic requests: {data['requests']}, skipped {data['skipped']},"
            f" hidden {data['hidden']} (hide rate {_percent(data['hide_rate'])})",
            f"  shown anyway to check ({_percent(data['exploration_rate'])} exploration):"
            f" {data['explored']}, of which {data['explored_rejected']} rejected,"
            f" {data['explored_accepted']} accepted: estimated precision {precision}",
            f"  file: {data['file'] or '-'}",
        ]
    )
