"""Times as lccode writes them: UTC timestamps in records and names, h:m:s offsets into recordings."""

from __future__ import annotations

import datetime as dt


def utc_now() -> str:
    """Now in UTC, to the second, ISO 8601: what every stored record and output carries (2026-05-14T09:30:00+00:00)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def utc_stamp() -> str:
    """Now in UTC for a file or folder name: sorts in time order and holds no ':' (20260514-093000)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")


def hms(seconds: float | None) -> str:
    """An offset into a recording as hh:mm:ss (whole seconds, as transcripts show them); '' when there is none."""
    if seconds is None:
        return ""
    t = int(seconds)
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"
