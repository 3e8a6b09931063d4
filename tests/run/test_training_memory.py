"""The four-part training memory estimate against the peak a training process measures.

:func:`graphlab.run.memory_probe.measure_in_child` runs steps of the real network in a spawned
process and measures the third: the bytes of every parameter, gradient and optimizer-state tensor at
its start, plus the highest the CPU allocator rose above that during the step (torch.profiler's
memory events). The estimate (:func:`graphlab.core.training_cost.training_cost`: weights, gradients,
optimizer state, saved activations) must be within ±15 % of it for the digits CNN and LeNet-5 at
batch 64, with the examples' optimizer and with plain SGD (no state) and momentum.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from graphlab.core import analyze
from graphlab.core.training_cost import training_cost
from graphlab.io import load
from graphlab.run.config import parse_training
from graphlab.run.memory_probe import measure_in_child

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["digits_cnn", "lenet5"])
@pytest.mark.parametrize("optimizer", [None, "sgd", "momentum"])
def test_estimate_within_15_percent_of_the_measured_peak(name: str, optimizer: str | None) -> None:
    g = load(EXAMPLES / f"{name}.graphlab.json")
    opt = optimizer or parse_training(g.training).optimizer.name
    est = training_cost(analyze(g), 64, opt)
    got = measure_in_child(g, 64, optimizer)
    assert abs(est.total - got["peak"]) <= 0.15 * got["peak"], (est, got)
    # the persistent part is weights + gradients + optimizer state (and Adam's step counters, 4 bytes each)
    assert abs(got["persistent"] - (est.weights + est.gradients + est.optimizer_state)) <= 64


def test_predicted_time_is_flops_over_the_peak_and_none_past_floats() -> None:
    g = load(Path(__file__).resolve().parents[2] / "examples" / "spiral_two_layer.graphlab.json")
    cost = training_cost(analyze(g), 100, "sgd")
    assert cost.ms_per_step(50.0) == pytest.approx(cost.flops / 50e9 * 1e3) and cost.ms_per_step(None) is None
    huge = cost.__class__(**{**cost.__dict__, "flops_forward": 10 ** 400})  # a hostile file's layer sizes
    assert huge.ms_per_step(50.0) is None
