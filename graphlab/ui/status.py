"""The status bar's summary of the document: errors and warnings (the problems list's own count),
parameters, nodes, FLOPs of a sample and the memory a training step needs at the file's batch size
(graphlab.run.step_cost). It reads the document's :class:`~.problem_sink.ProblemSink`, so it says "✗ 1
error" exactly when the problems list shows one — the fit check's and a failed run's included.
"""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar

from ..core.cost import si
from ..core.memory import fmt_bytes
from .document import Document


def summary_text(document: Document) -> str:
    g, sink = document.graph, document.problems
    n_err, n_warn = len(sink.errors), len(sink.warnings)
    if not g.nodes:
        text = "empty graph: drag a layer in from the palette"
    elif n_err:
        text = f"✗ {n_err} error{'s' * (n_err != 1)}"
    else:
        text = "✓ valid"
    if n_warn:
        text += f" · {n_warn} warning{'s' * (n_warn != 1)}"
    a = document.live.analysis
    params = a.total_params if a is not None else 0
    text += f" · {params:,} parameters · {len(g.nodes)} nodes"
    if a is not None and g.nodes:
        from ..run.step_cost import file_step_cost

        c = file_step_cost(g, a).cost
        text += f" · {si(a.total_flops, 'FLOPs')} a sample · {fmt_bytes(c.total)} to train (batch {c.batch:,})"
    return text


class StatusSummary(QObject):
    def __init__(self, document: Document, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.document = document
        self.label = QLabel()
        self.label.setObjectName("status")
        bar.addPermanentWidget(self.label)
        document.problems.changed.connect(self.update)
        document.analysed.connect(self.update)
        self.update()

    def update(self, *_: object) -> None:
        self.label.setText(summary_text(self.document))
