"""The graph's entry point: one Input node per batch tensor the model takes."""
from __future__ import annotations

from ..cost import INPUT_COST
from ..spec import LayerSpec, Param
from ._common import fmt


SPECS = [
    LayerSpec(
        type="Input", display="Input", category="Input",
        params=(Param("shape", "shape", default=[1, 28, 28],
                      help="per-sample shape, batch excluded: [C, H, W], [T, F] or [F]"),),
        inputs=0, shape=lambda p, ins: tuple(p["shape"]), cost=lambda p, ins, out: INPUT_COST, torch=None,  # a forward() argument, not a module
        summary=lambda p: fmt(p["shape"]),
        backward="the gradient with respect to the data (no parameters)",
        help="A batch of samples enters the network here.",
    )
]
