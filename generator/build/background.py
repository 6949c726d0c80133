"""Build: a function run on a thread, its result or exception collected later.

The search index is updated on one (`Builder._start_index`) while this thread
saves the state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Background:
    """Runs ``func`` on a thread; `result` waits for it and returns its value or raises its exception."""

    def __init__(self, func: Callable[[], Any]) -> None:
        self._func = func
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="liangshai-search", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._func()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    @property
    def error(self) -> BaseException | None:
        """The exception ``func`` raised (after `join`), or None."""
        return self._error

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
