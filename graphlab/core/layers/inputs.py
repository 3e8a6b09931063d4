"""The graph's entry point: one Input node per batch tensor the model takes."""
from __future__ import annotations

from ..cost import INPUT_COST
from ..spec import LayerSpec, Param, Params, Shape, ShapeError, Shapes
from ._common import fmt

#: per-sample dimensions an Input may have: the layers know 1 to 3; torch refuses tensors of more
#: than 64 (with the batch), and a shape of 65 dims reached the stepper as a traceback
MAX_RANK = 8


def _input_shape(p: Params, ins: Shapes) -> Shape:
    shape = tuple(p["shape"])
    if len(shape) > MAX_RANK:
        raise ShapeError(f"Input: a sample has {len(shape)} dimensions; at most {MAX_RANK} are supported "
                         f"([C, H, W] images, [T, F] sequences and [F] vectors are what the layers take)")
    return shape


SPECS = [
    LayerSpec(
        type="Input", display="Input", category="Input",
        params=(Param("shape", "shape", default=[1, 28, 28],
                      help="per-sample shape, batch excluded: [C, H, W], [T, F] or [F]"),),
        inputs=0, shape=_input_shape, cost=lambda p, ins, out: INPUT_COST, torch=None,  # a forward() argument
        summary=lambda p: fmt(p["shape"]),
        backward="the gradient with respect to the data (no parameters)",
        help="A batch of samples enters the network here.",
    )
]
