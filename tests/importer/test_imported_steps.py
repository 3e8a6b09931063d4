"""An imported graph is a graph like any other: the stepper's node-by-node backward equals one
autograd backward of the compiled module, and every node passes the numerical gradient check."""
from __future__ import annotations

import torch

from graphlab.importer import import_model
from graphlab.step import Stepper
from graphlab.step.gradcheck import gradcheck
from tests.importer import zoo
from tests.step.helpers import assert_matches_autograd


def _resnet():
    return import_model(f"{zoo.__file__}:resnet_basic", (3, 32, 32)).graph


def test_an_imported_resnet_steps_like_autograd() -> None:
    torch.set_num_threads(1)
    graph = _resnet()
    assert len(graph.groups) >= 12  # layer1..4 and their blocks, downsample shortcuts
    st = Stepper(graph, batch=2, dtype=torch.float64)
    changes = st.run()
    assert st.done and st.first_nonfinite is None and len(changes) == 2 * len(st.order)
    assert_matches_autograd(st, 1e-10)


def test_an_imported_resnet_passes_the_gradient_check() -> None:
    torch.set_num_threads(1)
    report = gradcheck(_resnet(), batch=2, coords=6)
    assert report.ok, report.failed
    assert len(report.nodes) > 60 and all(c.coords > 0 for c in report.nodes.values())
    assert max(c.max_rel_error for c in report.nodes.values()) < 1e-5
