"""The canvas overlay: per-node and per-edge view state that is not part of the document.

Training and stepping draw on the canvas through ``scene.overlay`` and nothing else. The overlay
never touches the model: no undo entries, no revision change, no modified mark, nothing saved.

Per node: ``badge`` (short text in a pill right of the card's title, e.g. a gradient norm),
``badge_color`` (the pill's colour), ``heat`` (a value in [0, 1] shown as the card's fill on the
heat scale, :func:`.style.heat_color`; or ``heat_color`` for a colour of your own), ``highlight``
(an outline around the card: ``True`` for the highlight colour, or a colour, e.g. the current
step, or red for the node where a NaN appeared), ``marks`` (warnings: a ⚠ beside the badge whose
tooltip lists the reasons) and ``bar`` (a value in [0, 1] drawn as a bar filling that share of the card
from its left edge, behind its text, in ``bar_color``; ``bar_text`` goes to the card's tooltip: the
Cost dock's FLOPs, memory or parameters relative to the largest node). Per edge: ``value`` and ``grad`` captions (the course's circuit
diagrams: the value over the gradient, in a second colour, beside the wire), with optional
``value_color`` / ``grad_color``; while an edge has captions its shape label is hidden.

Placement (:mod:`.labels`): a badge goes above its card's top-right corner, never over another card,
shortened to fit the card's width (the whole text is in the card's tooltip). Captions are placed
beside their wires where they meet no card, badge or other caption — re-placed, once per event-loop
turn, when captions or badges change, cards move or the view zooms — and hidden where no such place
exists, or below :data:`~.labels.CAPTION_MIN_SCALE`.

Owners: every call names its owner (``"training"``, ``"stepper"``, …), and each owner's state is
kept apart, so one owner's :meth:`CanvasOverlay.clear` never erases another's. Where two owners set
the same field of the same node, the owner with the higher priority (:meth:`set_priority`; equal
priorities: the one that started drawing later) is shown.

Rules: a keyword left out keeps its current value, ``None`` removes it. A node removed from the
graph drops its overlay state (an undo that brings it back brings it back plain); an edge likewise.
Opening another document clears everything. Unknown node ids and edges are ignored (the caller
may be a step behind the editor).

Cost: node state lives in a dictionary drawn by two layer items (:mod:`.overlay_items`), one under
the cards and one over them; a change is a dictionary update and a repaint request for the area
around the node, never a new item and never a redraw of a card's own cached drawing
(``benchmarks/bench_editor.py`` measures 1,000 badges updated at once). Marks' reasons are added
to the card's tooltip.

Example (what the trainer and the stepper call)::

    ov = window.scene.overlay
    ov.set_nodes("training", {nid: {"badge": f"{g:.1e}", "badge_color": color_for(g)} for nid, g in norms.items()})
    ov.set_node("relu3", "training", marks=["62% of units dead (zero for every sample)"])
    ov.set_node(current, "stepper", highlight=True)
    ov.set_edge(edge, "stepper", value="q = 3.00", grad="∂f/∂q = -4.00")
    ov.clear("stepper")        # the stepper's state only; the trainer's badges stay
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QColor

from ...core.graph import Edge
from .labels import FAN_OUT_FRACTIONS, PLAIN_FRACTIONS, caption_sizes, place_captions
from .overlay_items import BADGE_MIN_SCALE, CaptionItem, Look, OverlayLayer
from .style import PORT_R, heat_color

if TYPE_CHECKING:
    from .graph_scene import GraphScene

NODE_FIELDS = ("badge", "badge_color", "heat", "heat_color", "highlight", "marks", "bar", "bar_color", "bar_text")
EDGE_FIELDS = ("value", "grad", "value_color", "grad_color")


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # "leave this field as it is"


def _color(value: Any) -> QColor | None:
    if value is None:
        return None
    c = QColor(value)
    if not c.isValid():
        raise ValueError(f"overlay: {value!r} is not a colour")
    return c


class CanvasOverlay:
    def __init__(self, scene: GraphScene) -> None:
        self._scene = scene
        self._nodes: dict[str, dict[str, dict[str, Any]]] = {}  # node id -> owner -> fields
        self._edges: dict[Edge, dict[str, dict[str, Any]]] = {}
        self._rank: dict[str, tuple[int, int]] = {}  # owner -> (priority, first use)
        self.looks: dict[str, Look] = {}  # what is drawn, per node
        self._caption: dict[Edge, CaptionItem] = {}
        self.below = OverlayLayer(scene, self.looks, below=True)
        self.above = OverlayLayer(scene, self.looks, below=False)
        self._dirty: list[str] = []
        self._batch = 0

    def attach(self) -> None:
        """Add the two layers to the scene: on first use (a plain canvas carries no overlay items)."""
        for layer in (self.below, self.above):
            if layer.scene() is None:
                self._scene.addItem(layer)
        self.sync()

    def sync(self) -> None:
        """The layers cover the scene rectangle (which holds every card, see the scene)."""
        r = self._scene.sceneRect()
        self.below.sync(r)
        self.above.sync(r)

    def _touch(self, node_id: str) -> None:
        if self._batch:
            self._dirty.append(node_id)
        else:
            self.below.update(self.below.around(node_id))
            self.above.update(self.above.around(node_id))

    def _flush(self) -> None:
        ids, self._dirty = self._dirty, []
        if len(ids) > 64:  # a big batch: one request for everything (the view clips it to the screen)
            self.below.update()
            self.above.update()
            return
        for nid in ids:
            self.below.update(self.below.around(nid))
            self.above.update(self.above.around(nid))

    # ---- owners ------------------------------------------------------------------------------------
    def set_priority(self, owner: str, priority: int) -> None:
        """Higher priority wins where owners set the same field (default 0)."""
        first = self._rank.get(owner, (0, len(self._rank)))[1]
        self._rank[owner] = (priority, first)
        for nid in [n for n, by in self._nodes.items() if owner in by]:
            self._apply_node(nid)
        for e in [e for e, by in self._edges.items() if owner in by]:
            self._apply_edge(e)

    def _ranked(self, by: Mapping[str, Any]) -> list[str]:
        for owner in by:
            if owner not in self._rank:
                self._rank[owner] = (0, len(self._rank))
        return sorted(by, key=self._rank.__getitem__)

    def owners(self) -> set[str]:
        return {o for by in self._nodes.values() for o in by} | {o for by in self._edges.values() for o in by}

    # ---- nodes ---------------------------------------------------------------------------------------
    def set_node(self, node_id: str, owner: str, *, badge: Any = KEEP, badge_color: Any = KEEP, heat: Any = KEEP,
                 heat_color: Any = KEEP, highlight: Any = KEEP, marks: Any = KEEP, bar: Any = KEEP,
                 bar_color: Any = KEEP, bar_text: Any = KEEP) -> None:
        """Set some of ``owner``'s fields on one node (see the module docstring)."""
        self._update_node(node_id, owner, {"badge": badge, "badge_color": badge_color, "heat": heat,
                                           "heat_color": heat_color, "highlight": highlight, "marks": marks,
                                           "bar": bar, "bar_color": bar_color, "bar_text": bar_text})

    def set_nodes(self, owner: str, updates: Mapping[str, Mapping[str, Any]]) -> None:
        """Many nodes at once: ``{node_id: {field: value}}`` with the fields of :meth:`set_node`."""
        self._batch += 1
        try:
            for nid, fields in updates.items():
                bad = set(fields) - set(NODE_FIELDS)
                if bad:
                    raise TypeError(f"overlay: unknown node field(s) {sorted(bad)} for '{nid}'")
                self._update_node(nid, owner, fields)
        finally:
            self._batch -= 1
            if not self._batch and self._dirty:
                self._flush()

    def _update_node(self, node_id: str, owner: str, fields: Mapping[str, Any]) -> None:
        if node_id not in self._scene.node_items:
            return
        mine = self._nodes.setdefault(node_id, {}).setdefault(owner, {})
        for k, v in fields.items():
            if v is KEEP:
                continue
            if v is None:
                mine.pop(k, None)
            elif k in ("badge_color", "heat_color", "bar_color") or (k == "highlight" and v is not True):
                mine[k] = _color(v)
            elif k == "marks":
                mine[k] = tuple(str(m) for m in v)
            elif k == "heat":
                mine[k] = float(v)
            elif k == "bar":
                mine[k] = min(max(float(v), 0.0), 1.0)
            elif k == "highlight":
                mine[k] = True
            else:
                mine[k] = str(v)
        if not mine:
            del self._nodes[node_id][owner]
        if not self._nodes[node_id]:
            del self._nodes[node_id]
        self._apply_node(node_id)

    def node_view(self, node_id: str) -> dict[str, Any]:
        """The fields shown on a node (merged over owners); empty when it looks plain."""
        return dict(self._view(node_id))

    def _view(self, node_id: str) -> dict[str, Any]:
        by = self._nodes.get(node_id)
        if not by:
            return {}
        if len(by) == 1:
            return next(iter(by.values()))
        view: dict[str, Any] = {}
        for owner in self._ranked(by):
            view.update(by[owner])
        return view

    def _apply_node(self, node_id: str) -> None:
        item = self._scene.node_items.get(node_id)
        if item is None:
            return
        view = self._view(node_id)
        old = self.looks.get(node_id)
        if not view:
            if old is not None:
                del self.looks[node_id]
                item.set_tinted(False)
                item.set_extra_tip("")
                item.decorated = False
                self._touch(node_id)
                if self._caption:
                    self.schedule_captions()
            return
        fill = view.get("heat_color")
        if fill is None and "heat" in view:
            fill = heat_color(view["heat"])
        hl = view.get("highlight")
        badge = view.get("badge", "")
        look = Look(fill, hl, badge, view.get("badge_color"), self.above.badge_width(badge), view.get("marks", ()),
                    view.get("bar"), view.get("bar_color"), view.get("bar_text", ""))
        if look == old:
            return
        if not self.looks:
            self.attach()
        self.looks[node_id] = look
        item.decorated = True
        item.set_tinted(fill is not None or look.bar is not None)  # the layer below paints its fill then
        if old is None or (old.marks, old.badge, old.bar_text) != (look.marks, look.badge, look.bar_text):
            tip = ([look.badge] if look.badge else []) + [f"⚠ {m}" for m in look.marks] + (
                [look.bar_text] if look.bar_text else [])
            item.set_extra_tip("\n".join(tip))  # the whole badge, which may be drawn shortened
        self._touch(node_id)
        if self._caption and (old is None or (old.badge, old.marks) != (look.badge, look.marks)):
            self.schedule_captions()  # the captions keep clear of the badges

    def look(self, node_id: str) -> Look | None:
        """What is drawn on a node (None: it looks plain)."""
        return self.looks.get(node_id)

    # ---- edges ---------------------------------------------------------------------------------------
    def set_edge(self, edge: Edge | tuple[str, str, int], owner: str, *, value: Any = KEEP, grad: Any = KEEP,
                 value_color: Any = KEEP, grad_color: Any = KEEP) -> None:
        """Set ``owner``'s captions on one edge (an :class:`Edge` or ``(src, dst, port)``)."""
        e = edge if isinstance(edge, Edge) else Edge(*edge)
        if e not in self._scene.edge_items:
            return
        mine = self._edges.setdefault(e, {}).setdefault(owner, {})
        for k, v in (("value", value), ("grad", grad), ("value_color", value_color), ("grad_color", grad_color)):
            if v is KEEP:
                continue
            if v is None:
                mine.pop(k, None)
            else:
                mine[k] = _color(v) if k.endswith("_color") else str(v)
        if not mine:
            del self._edges[e][owner]
        if not self._edges[e]:
            del self._edges[e]
        self._apply_edge(e)

    def edge_view(self, edge: Edge) -> dict[str, Any]:
        by = self._edges.get(edge)
        if not by:
            return {}
        view: dict[str, Any] = {}
        for owner in self._ranked(by):
            view.update(by[owner])
        return view

    def _apply_edge(self, edge: Edge) -> None:
        item = self._scene.edge_items.get(edge)
        if item is None:
            return
        view = self.edge_view(edge)
        cap = self._caption.get(edge)
        if view.get("value") or view.get("grad"):
            new = cap is None
            if cap is None:
                cap = self._caption[edge] = CaptionItem(item)
                cap.setVisible(False)  # until placed
                self._scene.addItem(cap)
                item.captions = cap
                item.update()  # its shape label gives way
            if cap.set_content(view.get("value", ""), view.get("grad", ""), view.get("value_color"),
                               view.get("grad_color")) or new:
                self.schedule_captions()
        elif cap is not None:
            self._drop(self._caption.pop(edge))
            item.captions = None
            item.update()

    # ---- clearing ------------------------------------------------------------------------------------
    def clear(self, owner: str, node_ids: Iterable[str] | None = None) -> None:
        """Remove ``owner``'s state: everywhere, or on the given nodes only (their edges keep theirs)."""
        targets = list(self._nodes) if node_ids is None else list(node_ids)
        for nid in targets:
            by = self._nodes.get(nid)
            if by and owner in by:
                del by[owner]
                if not by:
                    del self._nodes[nid]
                self._apply_node(nid)
        if node_ids is None:
            for e in list(self._edges):
                by = self._edges[e]
                if owner in by:
                    del by[owner]
                    if not by:
                        del self._edges[e]
                    self._apply_edge(e)

    def clear_all(self) -> None:
        for owner in self.owners():
            self.clear(owner)

    # ---- the scene tells the overlay ----------------------------------------------------------------
    def forget_node(self, node_id: str) -> None:
        """The node left the graph: its state goes."""
        self._nodes.pop(node_id, None)
        if self.looks.pop(node_id, None) is not None:
            self.below.update()
            self.above.update()

    def forget_edge(self, edge: Edge) -> None:
        self._edges.pop(edge, None)
        cap = self._caption.pop(edge, None)
        if cap is not None:
            self._drop(cap)

    def reset(self) -> None:
        """A new document: drop everything (the scene is about to delete the items and re-attach)."""
        self._nodes.clear()
        self._edges.clear()
        self.looks.clear()
        self._caption.clear()
        for layer in (self.below, self.above):  # keep the layers: take them out before the scene clears
            if layer.scene() is not None:
                layer.scene().removeItem(layer)

    def node_moved(self, node_id: str) -> None:
        """A decorated card moves or changes size: repaint around where it is (called before and after)."""
        if node_id in self.looks:
            self._touch(node_id)

    def caption_for(self, edge: Edge) -> CaptionItem | None:
        return self._caption.get(edge)

    # ---- caption placement -------------------------------------------------------------------------
    def schedule_captions(self) -> None:
        """Place the captions again on the next event-loop turn (coalesced)."""
        if self._caption:
            self._scene.schedule_captions()

    def layout_captions(self) -> None:
        """Place every caption beside its wire at the view's zoom (see :mod:`.labels`); hide those
        that find no free place."""
        if not self._caption:
            return
        scene = self._scene
        scale = scene.view_scale
        badges = self.above.badge_rects(scale).values() if self.looks and scale >= BADGE_MIN_SCALE else ()
        entries = []
        for edge in sorted(self._caption, key=self._caption_order):
            item = scene.edge_items.get(edge)
            if item is None:
                continue
            cap = self._caption[edge]
            fan_out = sum(1 for e in item.src.edges if e.src is item.src) > 1
            stacked, row = caption_sizes(cap.value, cap.grad)
            sizes = [stacked, row] if cap.value and cap.grad else [stacked]
            entries.append((edge, item.points_at(FAN_OUT_FRACTIONS if fan_out else PLAIN_FRACTIONS), sizes))

        def on_card(r: Any) -> bool:
            return bool(scene.cards.near(r.adjusted(0, -PORT_R, 0, PORT_R)))

        placed = place_captions(entries, scale, on_card, badges)
        for edge, cap in self._caption.items():
            got = placed.get(edge)
            if got is None:
                cap.setVisible(False)
                continue
            rect, which = got
            cap.set_stacked(which == 0)
            cap.setPos(rect.topLeft())
            cap.setVisible(True)

    def _caption_order(self, edge: Edge) -> tuple[float, float, float]:
        """Top to bottom, then left to right: the walk's early edges get the first pick."""
        item = self._scene.edge_items.get(edge)
        if item is None:
            return (0.0, 0.0, 0.0)
        p, q = item.src.pos(), item.dst.pos()
        return (p.y(), q.y(), q.x())

    def caption_rects(self) -> dict[Edge, Any]:
        """Edge -> its caption's scene rectangle at the view's zoom, for the captions shown."""
        s = self._scene.view_scale
        return {e: c.scene_rect(s) for e, c in self._caption.items() if c.isVisible()}

    def _drop(self, item: Any) -> None:
        scene = item.scene()
        if scene is not None:
            scene.removeItem(item)
