"""The review server's background retrain: one quick retrain at a time, in a thread, watched by the page.

A retrain takes minutes, longer than a request should: the page starts it, then polls the job's snapshot
(`/retrain/status`) while the analysts go on reviewing. Errors are kept in the snapshot, for the page to show,
and never stop the server.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from lccode.errors import LccodeError


class RetrainJob:
    """One quick retrain at a time, in a background thread; the page polls its snapshot."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state = {"state": "idle"}

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._state)

    def _set(self, **kw):
        with self._lock:
            self._state = self._state | kw

    def start(self, workspace: Path) -> bool:
        """Start a retrain of `workspace` unless one is running; False when one was."""
        with self._lock:
            if self._state.get("state") == "running":
                return False
            self._state = {"state": "running", "stage": "starting", "done": 0, "total": 0, "started": time.time()}

        def run():
            from lccode.review.retrain import retrain_workspace

            try:
                out = retrain_workspace(workspace, progress=lambda stage, done, total: self._set(
                    stage=stage, done=done, total=total, seconds=round(time.time() - self._state["started"])))
                self._set(state="done", result=out, seconds=out["seconds"])
            except LccodeError as exc:
                self._set(state="failed", error=exc.render())
            except Exception as exc:  # shown on the page; the server keeps running
                self._set(state="failed", error=f"{type(exc).__name__}: {exc}")

        threading.Thread(target=run, name="lccode-retrain", daemon=True).start()
        return True
