"""The document's problems: the analysis' own, and those other parts of the editor add.

:class:`ProblemSink` is the one list every view of problems reads — the problems list, the status
bar's count, the Train button's reason — so they cannot disagree. Owners ("training-check",
"training", "stepper", "gradcheck", ...) add problems with ``set_extra(owner, problems)`` and clear
them with ``set_extra(owner, [])``; a document that is replaced starts with none. A problem that
two owners report (the fit check, and the run that then failed on it) is listed once.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..core import Analysis
from ..core.analysis import Problem


def _key(p: Problem) -> tuple[str | None, str, str]:
    return p.node, p.message, p.severity


class ProblemSink(QObject):
    #: the list changed
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._analysis: list[Problem] = []
        self._extra: dict[str, list[Problem]] = {}
        self._shown: list[Problem] = []

    def set_analysis(self, analysis: Analysis) -> None:
        self._analysis = list(analysis.problems)
        self._update()

    def set_extra(self, owner: str, problems: list[Problem]) -> None:
        """Problems that do not come from the analysis (e.g. owner "stepper"); [] removes them."""
        if problems:
            self._extra[owner] = list(problems)
        elif owner not in self._extra:
            return
        else:
            del self._extra[owner]
        self._update()

    def extra(self, owner: str) -> list[Problem]:
        return list(self._extra.get(owner, []))

    def clear_extra(self) -> None:
        """Every owner's problems go (another document was opened)."""
        if self._extra:
            self._extra.clear()
            self._update()

    def _update(self) -> None:
        shown: list[Problem] = []
        seen: set[tuple[str | None, str, str]] = set()
        ranked = sorted(self._analysis, key=lambda p: p.severity != "error")
        for p in ranked + [p for owner in sorted(self._extra) for p in self._extra[owner]]:
            if _key(p) not in seen:
                seen.add(_key(p))
                shown.append(p)
        if [_key(p) for p in shown] != [_key(p) for p in self._shown]:
            self._shown = shown
            self.changed.emit()

    # -- reading -----------------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """Every problem once: the analysis' errors, its warnings, then the other owners' (by owner)."""
        return list(self._shown)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self._shown if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self._shown if p.severity != "error"]
