"""A minimal observer: the model emits, views subscribe. No Qt, no threads.

A listener that raises does not stop the others: :meth:`Event.emit` catches the exception, hands
it to the event's ``on_error`` callback (the graph turns it into its ``listener_failed`` event)
and logs it with its traceback on the ``graphlab.core`` logger, then calls the next listener.
``KeyboardInterrupt`` and other non-``Exception`` errors still propagate.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger("graphlab.core")

#: ``on_error(event_name, listener, exception)``
ErrorHandler = Callable[[str, Callable[..., Any], Exception], None]


class Event:
    """A list of callbacks called in subscription order with the emitted arguments."""

    __slots__ = ("_subs", "name", "on_error")

    def __init__(self, name: str = "", on_error: ErrorHandler | None = None) -> None:
        self._subs: list[Callable[..., Any]] = []
        self.name = name
        self.on_error = on_error

    def connect(self, fn: Callable[..., Any]) -> None:
        if fn not in self._subs:
            self._subs.append(fn)

    def disconnect(self, fn: Callable[..., Any]) -> None:
        if fn in self._subs:
            self._subs.remove(fn)

    def emit(self, *args: Any) -> None:
        if not self._subs:
            return
        for fn in list(self._subs):
            try:
                fn(*args)
            except Exception as exc:  # one broken view must not break the model or the other views
                self._failed(fn, exc)

    def _failed(self, fn: Callable[..., Any], exc: Exception) -> None:
        log.error("listener %r of event %r raised %s: %s", fn, self.name, type(exc).__name__, exc, exc_info=exc)
        if self.on_error is not None:
            try:
                self.on_error(self.name, fn, exc)
            except Exception:  # the error channel itself failed: logging is all that is left
                log.exception("the error handler of event %r raised", self.name)

    def __len__(self) -> int:
        return len(self._subs)
