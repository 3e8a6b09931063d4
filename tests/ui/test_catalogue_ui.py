"""The editor handles every layer of the catalogue from its spec alone: palette entry, card, inspector form."""
from __future__ import annotations

from graphlab.core import REGISTRY
from graphlab.ui.palette import PaletteWidget


def test_every_layer_gets_a_palette_entry_a_card_and_a_form(make_window):
    w = make_window()
    palette = w.findChild(PaletteWidget, "palette")
    assert set(palette.visible_types()) == set(REGISTRY.types())
    for i, type_name in enumerate(REGISTRY.types()):
        spec = REGISTRY.get(type_name)
        nid = w.controller.add_node(type_name, (i * 40.0, 0.0))
        w.live.flush()
        card = w.scene.node_items[nid]
        assert card.title == spec.display and card.category == spec.category
        w.scene.select_nodes([nid])
        assert set(w.inspector.editors) == {p.name for p in spec.params}, type_name
