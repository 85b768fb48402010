"""Rate-limit windows counted in the shared database, so every server process enforces one limit."""

from __future__ import annotations

import time

from agent.store import Database


class RateStore:
    """Fixed windows per key (a hashed token or a client address)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def hit(self, key: str, window_s: int = 60) -> tuple[int, float]:
        """Count one request for `key`; returns (hits in this window, seconds until it ends)."""
        now = time.time()
        start = int(now // window_s) * window_s
        rows = self.db.query(
            "INSERT INTO rate_windows (key, window_start, hits) VALUES (?, ?, 1) "
            "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_windows.hits + 1 "
            "RETURNING hits",
            (key, start),
        )
        hits = int(rows[0][0])
        if hits == 1:  # the first hit of a window: forget windows long past
            self.db.execute("DELETE FROM rate_windows WHERE window_start < ?", (start - window_s,))
        return hits, start + window_s - now

    def peek(self, key: str, window_s: int = 60) -> tuple[int, float]:
        """Hits for `key` in this window so far, without counting one; and seconds left."""
        now = time.time()
        start = int(now // window_s) * window_s
        rows = self.db.query(
            "SELECT hits FROM rate_windows WHERE key = ? AND window_start = ?", (key, start)
        )
        return (int(rows[0][0]) if rows else 0), start + window_s - now
