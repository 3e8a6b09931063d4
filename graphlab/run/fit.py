"""Does the dataset fit the graph? The checks a run makes before its first step, without torch.

* :func:`check_graph` — the graph has no errors, one Input and a loss node (else a message with the fix).
* :func:`check_fit` — the dataset fits the graph: the Input's shape equals the dataset's sample shape;
  the loss's ``task`` (declared by its spec: classification or regression) is the dataset's; the
  prediction's width equals the number of classes or the target width. ``data`` is anything with the
  dataset's ``name``, ``task``, ``sample_shape``, ``num_classes`` and ``target_shape``: the built
  :class:`~graphlab.run.datasets.Data`, or its :class:`~graphlab.run.signature.DataSignature` read
  without building it.

Problems raise :class:`SetupError` naming the node (and field) to fix. The trainer, ``graphlab check``
and the editor's fit check all call these, so they agree on what a run would refuse.
"""
from __future__ import annotations

from typing import Any

from ..core.analysis import Analysis
from ..core.graph import Graph
from ..core.layers._common import fmt
from ..core.registry import REGISTRY
from ..core.spec import Task


def _losses_for(task: Task) -> str:
    """The display names of the catalogue's losses for a task: "Softmax cross-entropy or …"."""
    names = [s.display for s in REGISTRY.by_category().get("Loss", []) if s.is_loss and s.task == task]
    return " or ".join(names) or "a loss for that task"


class SetupError(Exception):
    def __init__(self, kind: str, message: str, node: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.node, self.field = kind, node, field


def check_graph(graph: Graph, a: Analysis) -> None:
    if not a.ok:
        p = a.errors[0]
        more = f" (and {len(a.errors) - 1} more error(s); `graphlab check` lists them)" if len(a.errors) > 1 else ""
        raise SetupError("graph", p.text() + more, p.node, p.field)
    if a.loss is None:
        where = f" after {a.output}" if a.output else ""
        raise SetupError("graph", "the graph has no loss node, so there is nothing to train: add a loss "
                         f"(Softmax cross-entropy, Multiclass SVM or Mean squared error){where} and connect "
                         "the prediction to it", a.output)
    if len(a.inputs) != 1:
        raise SetupError("graph", f"training needs exactly one Input node (the dataset gives one tensor per "
                         f"sample); this graph has {len(a.inputs)}: {', '.join(a.inputs) or 'none'}",
                         a.inputs[1] if len(a.inputs) > 1 else None)


def check_fit(graph: Graph, a: Analysis, data: Any, cfg: Any) -> None:
    inp = a.inputs[0]
    shape = a.nodes[inp].shape
    if tuple(shape or ()) != tuple(data.sample_shape):
        raise SetupError("fit", f"Input shape {fmt(shape) if shape else '?'} does not fit dataset "
                         f"{data.name}, whose samples are {fmt(data.sample_shape)}: set its shape to "
                         f"{list(data.sample_shape)}", inp, "shape")
    assert a.loss is not None  # check_graph came first
    loss_type = graph.nodes[a.loss].type
    spec = REGISTRY.get(loss_type)
    assert spec is not None  # analysis found the loss, so its spec exists
    loss_task = spec.task
    out = a.output
    oshape = tuple(a.nodes[out].shape or ()) if out else ()
    if data.task == "classification":
        if loss_task != "classification":
            raise SetupError("fit", f"{loss_type} is a {loss_task} loss but dataset {data.name} has class labels: "
                             f"use {_losses_for('classification')}", a.loss)
        if oshape != (data.num_classes,):
            raise SetupError("fit", f"the prediction is {fmt(oshape)} but dataset {data.name} has "
                             f"{data.num_classes} classes: it must be a vector of {data.num_classes} scores "
                             f"(set out_features to {data.num_classes})", out, "out_features")
    else:
        if loss_task != "regression":
            raise SetupError("fit", f"{loss_type} needs class labels but dataset {data.name} has real-valued "
                             f"targets: use {_losses_for('regression')}", a.loss)
        if oshape != tuple(data.target_shape):
            raise SetupError("fit", f"the prediction is {fmt(oshape)} but dataset {data.name}'s targets are "
                             f"{fmt(data.target_shape)}", out)
    if cfg.augment.active and len(data.sample_shape) != 3:
        raise SetupError("config", f"augment works on images [C, H, W]; dataset {data.name}'s samples are "
                         f"{fmt(data.sample_shape)}", None, "training.augment")


