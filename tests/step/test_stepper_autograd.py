"""The node-by-node backward equals one full loss.backward() of the module, on every example."""
import pytest
import torch

import graphlab
from graphlab.step import Stepper
from tests.conftest import EXAMPLES
from tests.step.helpers import assert_matches_autograd

NAMES = sorted(p.name.split(".")[0] for p in EXAMPLES.glob("*.graphlab.json"))
HUGE = {"alexnet", "vgg11", "resnet18"}  # ImageNet-size: batch 1, marked slow
#: their Input for this test: the same layers at a smaller image (each ends in an adaptive average pool,
#: so every layer, the 25,088-wide classifiers included, keeps its shape and weights); 224² cost 12× the time
HUGE_INPUT = [3, 64, 64]


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in HUGE else n for n in names]


def test_every_example_is_covered():
    assert len(NAMES) >= 20 and "backprop_gates" in NAMES and "resnet18" in NAMES


@pytest.mark.parametrize("name", _params(NAMES))
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)], ids=["f32", "f64"])
def test_stepper_gradients_equal_autograd(name, dtype, tol):
    torch.set_num_threads(1)
    g = graphlab.load(EXAMPLES / f"{name}.graphlab.json")
    if name in HUGE:
        (inp,) = [n for n in g.nodes.values() if n.type == "Input"]
        g.set_param(inp.id, "shape", HUGE_INPUT)
        assert graphlab.analyze(g).ok
    st = Stepper(g, batch=1 if name in HUGE else 4, dtype=dtype, base_dir=EXAMPLES)
    changes = st.run()
    assert st.done and st.first_nonfinite is None
    assert len(changes) == 2 * len(st.order)
    assert_matches_autograd(st, tol)
