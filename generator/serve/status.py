"""Entry (serve): what the preview's threads share — the pending changes and the published status.

Stage: entry, like the rest of `generator.serve`. Two small monitors and the
frozen values that pass through them:

- `Changes`: filled by the watchdog observer thread (`watch.Watcher`), emptied
  by the build thread one debounced `Batch` at a time;
- `Hub`: holds the current `Status`; the build thread publishes a new one after
  every build, and the event-stream request threads wait here for it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from generator.core.privacy import redact


class Log(Protocol):
    """Where the preview's terminal lines go (`server.Printer`, or a list in tests)."""

    def __call__(self, message: str, *, error: bool = False) -> None: ...


@dataclass(frozen=True)
class ErrorLine:
    """One build error as the overlay shows it."""

    path: str
    line: int
    text: str  # Problem.format(): "path:line: 错误：…"


@dataclass(frozen=True)
class Status:
    """What browsers are told; a new value is published after every build."""

    server: str  # random per server run: a restarted server makes open pages reload
    epoch: int  # builds finished, good or failed
    version: int  # good builds that changed the output; a page knows the version it was served at
    ok: bool
    building: bool = False
    errors: tuple[ErrorLine, ...] = ()

    def payload(self, *, pending: bool) -> dict[str, object]:
        return {
            "server": self.server,
            "epoch": self.epoch,
            "version": self.version,
            "ok": self.ok,
            "building": self.building,
            "pending": pending,
            # text is Problem.format(), masked already; a path can hold a number too (13912345678.md)
            "errors": [{"path": redact(e.path), "line": e.line, "text": e.text} for e in self.errors],
        }


@dataclass(frozen=True)
class Batch:
    """Changes collected during one quiet period, taken by the build thread at once."""

    paths: tuple[str, ...]  # site-relative, sorted
    rescan: str | None  # why every watch must be renewed (events were lost), else None


class Changes:
    """The set of changed paths, filled by the observer thread, emptied by the build thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paths: set[str] = set()
        self._rescan: str | None = None
        self._last = 0.0
        self._closed = False
        # Set by any change (or close) since the last batch was taken: the search update after
        # a build gives way to the next build (Builder.update_search's stop).
        self.arrived = threading.Event()

    def add(self, path: str) -> None:
        with self._cond:
            self._paths.add(path)
            self._last = time.monotonic()
            self.arrived.set()
            self._cond.notify_all()

    def rescan(self, reason: str) -> None:
        """Events were lost: the next build must not trust the watches."""
        with self._cond:
            self._rescan = self._rescan or reason
            self._last = time.monotonic()
            self.arrived.set()
            self._cond.notify_all()

    @property
    def pending(self) -> bool:
        with self._cond:
            return bool(self._paths) or self._rescan is not None

    def wait_batch(self, quiet: float) -> Batch | None:
        """Block until something changed and then ``quiet`` seconds passed with no event.

        Debouncing is what turns a `git checkout` of hundreds of files, or an
        editor's write-rename-chmod, into one rebuild. None means closed.
        """
        with self._cond:
            while not self._closed and not self._paths and self._rescan is None:
                self._cond.wait()
            while not self._closed:
                remaining = self._last + quiet - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._closed:
                return None
            batch = Batch(tuple(sorted(self._paths)), self._rescan)
            self._paths.clear()
            self._rescan = None
            self.arrived.clear()
            return batch

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self.arrived.set()  # a search update in progress stops: the preview is ending
            self._cond.notify_all()


class Hub:
    """The current `Status`; server-sent-event threads wait here for the next one."""

    def __init__(self, status: Status) -> None:
        self._cond = threading.Condition()
        self._status = status
        self._closed = False

    @property
    def status(self) -> Status:
        with self._cond:
            return self._status

    def publish(self, status: Status) -> None:
        with self._cond:
            self._status = status
            self._cond.notify_all()

    def wait_change(self, seen: Status, timeout: float) -> Status | None:
        """The next status after ``seen`` (or ``seen`` again on timeout); None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._status is not seen, timeout)
            return None if self._closed else self._status

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
