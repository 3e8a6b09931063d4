"""The stepper's numbers on the canvas stay readable: badges sit above (or in) their own card and never
over another; edge captions never overlap each other or a card, fan-out captions each find a place of
their own along their own wire, and further out than the captions can fit they are hidden."""
from __future__ import annotations

import itertools
from typing import Any

import pytest

from graphlab.ui.scene.labels import BADGE_SPILL_PX

from tests.conftest import ROOT
from tests.ui.stepper.helpers import press, wait_idle


def _window(make_window: Any, qtbot: Any, name: str) -> Any:
    w = make_window(ROOT / "examples" / f"{name}.graphlab.json")
    w.resize(1280, 800)
    qtbot.wait(20)
    w.view.show_initial()
    w.stepper_ui.settings.set_source("random")
    w.stepper_ui.settings.batch.setValue(1)
    return w


def _labels(w: Any, qtbot: Any) -> tuple[dict, dict]:
    qtbot.wait(1)  # the captions are placed once per event-loop turn
    ov = w.scene.overlay
    return ov.caption_rects(), ov.above.badge_rects(w.view.scale_now())


def _check(w: Any, qtbot: Any) -> tuple[dict, dict]:
    caps, badges = _labels(w, qtbot)
    cards = {nid: it.mapRectToScene(it.card_rect()) for nid, it in w.scene.node_items.items()}
    for (e1, r1), (e2, r2) in itertools.combinations(caps.items(), 2):
        assert not r1.intersects(r2), (e1, e2)
    for e, r in caps.items():
        hit = [nid for nid, c in cards.items() if c.intersects(r)]
        assert not hit, (e, hit)
        for nid, b in badges.items():
            assert not b.intersects(r), (e, nid)
    for nid, b in badges.items():
        hit = [other for other, c in cards.items() if other != nid and c.intersects(b)]
        assert not hit, (nid, hit)
        own = cards[nid]
        assert b.left() < own.right() and b.right() > own.left(), nid  # at its own card (past its edge: free space)
    return caps, badges


@pytest.mark.parametrize("name, target", [("inception_block", "b3_relu2"), ("resnet18", "layer1_1_add")])
def test_badges_and_captions_never_cover_cards_or_each_other(make_window, qtbot, name, target):
    w = _window(make_window, qtbot, name)
    w.scene.select_nodes([target])
    press(qtbot, w, "run_to")  # the forward pass up to a merge: fan-outs and skip connections
    assert w.stepper.position >= 8
    opening = w.view.scale_now()
    for scale in (opening, 1.0, 0.74):
        w.view.set_scale(scale)
        w.view.center_on_node(target)
        caps, badges = _check(w, qtbot)
        assert badges, scale
    w.view.set_scale(1.0)
    caps, _ = _check(w, qtbot)
    assert len(caps) >= 6
    press(qtbot, w, "run_to")  # the backward pass back to it: values and gradients on the same wires
    assert w.stepper.phase == "backward"
    for scale in (opening, 1.0):
        w.view.set_scale(scale)
        _check(w, qtbot)
    # fan-out: the wires leaving the input each show their caption, apart, at 100%
    w.view.set_scale(1.2)
    caps, _ = _check(w, qtbot)
    src = w.stepper.order[0]
    fan = [e for e in w.document.graph.edges if e.src == src]
    if len(fan) > 1:
        shown = [e for e in fan if e in caps]
        assert len(shown) == len(fan), (fan, shown)
        assert len({round(caps[e].center().x()) for e in shown}) == len(shown)  # each by its own wire


def test_captions_hide_when_zoomed_out_and_come_back(make_window, qtbot):
    w = _window(make_window, qtbot, "resnet18")
    w.scene.select_nodes(["layer1_0_add"])
    press(qtbot, w, "run_to")
    w.view.fit_all()
    caps, badges = _labels(w, qtbot)
    assert w.view.scale_now() < 0.2 and not caps and not badges
    assert all(not c.isVisible() for c in (w.scene.overlay.caption_for(e) for e in w.document.graph.edges) if c)
    w.view.set_scale(1.0)
    w.view.center_on_node("layer1_0_add")
    caps, _ = _check(w, qtbot)
    assert caps


def test_a_shortened_badge_keeps_its_whole_text_in_the_tooltip(make_window, qtbot):
    w = _window(make_window, qtbot, "resnet18")
    ov = w.scene.overlay
    long = "0.000123456 ± 0.987654 · min −12.3456789 · max 45.6789012 · 0.123456789 dead"
    ov.set_node("conv1", "training", badge=long)
    w.view.set_scale(0.6)
    rect, text, px = ov.above.badge_rect(w.scene.node_items["conv1"], 0.6)
    card = w.scene.node_items["conv1"].card_rect()
    assert text != long and px >= 9 and rect.width() * 0.6 <= (0.5 * card.width() + BADGE_SPILL_PX / 0.6) * 0.6 + 1
    assert long in w.scene.node_items["conv1"].toolTip()


def test_a_training_badge_runs_on_past_its_card_whole(make_window, qtbot, examples_dir):
    """On a top-to-bottom graph the space beside a card is free: a gradient badge with its dead share
    reads whole at the zoom the digits CNN opens at, beside the card, over no other card."""
    w = make_window(examples_dir / "digits_cnn.graphlab.json")
    w.resize(1280, 800)
    qtbot.wait(20)
    ov = w.scene.overlay
    text = "∇ 1.9e-03 · 12% dead"
    ov.set_nodes("training", {n: {"badge": text} for n in w.document.graph.nodes})
    scale = w.view.scale_now()
    rects = ov.above.badge_rects(scale)
    cards = {n: it.mapRectToScene(it.card_rect()) for n, it in w.scene.node_items.items()}
    for n in w.document.graph.nodes:
        rect, shown, px = ov.above.badge_rect(w.scene.node_items[n], scale)
        assert shown == text, (n, shown, scale)
        assert not [o for o, c in cards.items() if o != n and c.intersects(rects[n])], n
    wait_idle(qtbot, w) if not w.stepper_ui.idle else None
