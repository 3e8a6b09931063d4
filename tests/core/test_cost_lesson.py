"""The receptive-field lesson: three stacked 3×3 convolutions see what one 7×7 sees, for less (issue 17).
Its note quotes figures; they must be the analysis's, and the fields must be the same."""
from __future__ import annotations

import graphlab
from graphlab.core import analyze

from ..conftest import EXAMPLES


def test_stacked_small_filters_see_as_far_as_one_big_filter_for_less() -> None:
    stacked = graphlab.load(EXAMPLES / "lesson_receptive_field_stacked.graphlab.json")
    large = graphlab.load(EXAMPLES / "lesson_receptive_field_large.graphlab.json")
    a, b = analyze(stacked), analyze(large)
    assert a.ok and b.ok
    assert a.nodes["relu3"].rf == b.nodes["big_relu"].rf
    assert (a.nodes["relu3"].rf.size_h, a.nodes["relu3"].rf.stride_h) == (9, 1)  # 3×3 stem + a 7×7 window
    sp = sum(a.nodes[n].params for n in ("conv1", "conv2", "conv3"))
    sf = sum(a.nodes[n].flops for n in ("conv1", "conv2", "conv3"))
    lp, lf = b.nodes["big"].params, b.nodes["big"].flops
    assert sp < lp and sf < lf
    assert a.total_flops < b.total_flops and a.total_params < b.total_params
    for g in (stacked, large):
        text = g.extra["example"]["note"] + g.extra["example"]["look_for"]
        assert f"{sp:,}" in text and f"{lp:,}" in text
    assert f"{100 * (1 - sf / lf):.0f}% fewer FLOPs" in stacked.extra["example"]["note"]
    assert f"{100 * (lf / sf - 1):.0f}% more FLOPs" in large.extra["example"]["note"]
