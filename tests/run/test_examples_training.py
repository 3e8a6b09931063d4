"""Every example's training section parses, and those on built-in datasets fit their graph."""
from __future__ import annotations

import pytest

import graphlab
from graphlab.core import analyze
from graphlab.run.config import parse_training
from graphlab.run.datasets import build_dataset
from graphlab.run.setup import check_fit, check_graph

from ..conftest import EXAMPLES

BUILT_IN = ("spiral", "digits", "adding", "sine")
FILES = sorted(p.name for p in EXAMPLES.glob("*.graphlab.json"))


@pytest.mark.parametrize("name", FILES)
def test_training_section_parses_and_fits(name):
    g = graphlab.load(EXAMPLES / name)
    if not g.training:  # building blocks without a loss (nothing to train) have none, and the ImageNet-sized
        a = analyze(g)  # nets, whose images do not ship (they are for shapes, costs and stepping)
        imagenet = [a.nodes[i].shape for i in a.inputs] == [(3, 224, 224)]
        assert a.loss is None or imagenet, f"{name} has a loss but no training section"
        return
    cfg = parse_training(g.training)
    if cfg.dataset.name in BUILT_IN:
        a = analyze(g)
        check_graph(g, a)
        check_fit(g, a, build_dataset(cfg), cfg)


def test_the_new_example_families_exist():
    for n in ("spiral_linear", "spiral_two_layer", "adding_rnn", "adding_lstm", "adding_gru", "sine_gru",
              *(f"optimizer_{o}" for o in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"))):
        assert f"{n}.graphlab.json" in FILES
    opts = {parse_training(graphlab.load(EXAMPLES / f"optimizer_{o}.graphlab.json").training).optimizer.name
            for o in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")}
    assert len(opts) == 6
