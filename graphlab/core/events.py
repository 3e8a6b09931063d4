"""A minimal observer: the model emits, views subscribe. No Qt, no threads."""
from __future__ import annotations

from typing import Any, Callable


class Event:
    """A list of callbacks called in subscription order with the emitted arguments."""

    __slots__ = ("_subs",)

    def __init__(self) -> None:
        self._subs: list[Callable[..., Any]] = []

    def connect(self, fn: Callable[..., Any]) -> None:
        if fn not in self._subs:
            self._subs.append(fn)

    def disconnect(self, fn: Callable[..., Any]) -> None:
        if fn in self._subs:
            self._subs.remove(fn)

    def emit(self, *args: Any) -> None:
        for fn in list(self._subs):
            fn(*args)

    def __len__(self) -> int:
        return len(self._subs)
