"""The one exception the importer raises: a refusal the user reads as one line."""
from __future__ import annotations

from ..core.text import one_line


class ImportRefused(Exception):
    """The model cannot be imported. ``str(e)`` is one line that says what and where (file:line)."""

    def __init__(self, message: str, where: str | None = None) -> None:
        text = f"{where}: {message}" if where else message
        super().__init__(one_line(text, 600))
        self.where = where
