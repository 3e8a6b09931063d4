"""The canvas overlay: per-node and per-edge view state that is not part of the document.

Training and stepping draw on the canvas through ``scene.overlay`` and nothing else. The overlay
never touches the model: no undo entries, no revision change, no modified mark, nothing saved.

Per node: ``badge`` (short text in a pill right of the card's title, e.g. a gradient norm),
``badge_color`` (the pill's colour), ``heat`` (a value in [0, 1] shown as the card's fill on the
heat scale, :func:`.style.heat_color`; or ``heat_color`` for a colour of your own), ``highlight``
(an outline around the card: ``True`` for the highlight colour, or a colour, e.g. the current
step, or red for the node where a NaN appeared) and ``marks`` (warnings: a ⚠ beside the badge whose
tooltip lists the reasons). Per edge: ``value`` and ``grad`` captions (the course's circuit
diagrams: the value on one side of the edge, the gradient on the other in a second colour), with
optional ``value_color`` / ``grad_color``; while an edge has captions its shape label is hidden.

Owners: every call names its owner (``"training"``, ``"stepper"``, …), and each owner's state is
kept apart, so one owner's :meth:`CanvasOverlay.clear` never erases another's. Where two owners set
the same field of the same node, the owner with the higher priority (:meth:`set_priority`; equal
priorities: the one that started drawing later) is shown.

Rules: a keyword left out keeps its current value, ``None`` removes it. A node removed from the
graph drops its overlay state (an undo that brings it back brings it back plain); an edge likewise.
Opening another document clears everything. Unknown node ids and edges are ignored (the caller
may be a step behind the editor).

Cost: state changes only touch the small child items of :mod:`.overlay_items` (made on first use,
then reused), never the cards' own cached drawing; 1,000 badge updates take a few milliseconds
(``benchmarks/bench_editor.py``).

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
from .overlay_items import BadgeItem, CaptionItem, TintItem
from .style import heat_color

if TYPE_CHECKING:
    from .graph_scene import GraphScene

NODE_FIELDS = ("badge", "badge_color", "heat", "heat_color", "highlight", "marks")
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
        self._tint: dict[str, TintItem] = {}
        self._badge: dict[str, BadgeItem] = {}
        self._caption: dict[Edge, CaptionItem] = {}

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
                 heat_color: Any = KEEP, highlight: Any = KEEP, marks: Any = KEEP) -> None:
        """Set some of ``owner``'s fields on one node (see the module docstring)."""
        self._update_node(node_id, owner, {"badge": badge, "badge_color": badge_color, "heat": heat,
                                           "heat_color": heat_color, "highlight": highlight, "marks": marks})

    def set_nodes(self, owner: str, updates: Mapping[str, Mapping[str, Any]]) -> None:
        """Many nodes at once: ``{node_id: {field: value}}`` with the fields of :meth:`set_node`."""
        for nid, fields in updates.items():
            bad = set(fields) - set(NODE_FIELDS)
            if bad:
                raise TypeError(f"overlay: unknown node field(s) {sorted(bad)} for '{nid}'")
            self._update_node(nid, owner, fields)

    def _update_node(self, node_id: str, owner: str, fields: Mapping[str, Any]) -> None:
        if node_id not in self._scene.node_items:
            return
        mine = self._nodes.setdefault(node_id, {}).setdefault(owner, {})
        for k, v in fields.items():
            if v is KEEP:
                continue
            if v is None:
                mine.pop(k, None)
            elif k in ("badge_color", "heat_color") or (k == "highlight" and v is not True):
                mine[k] = _color(v)
            elif k == "marks":
                mine[k] = tuple(str(m) for m in v)
            elif k == "heat":
                mine[k] = float(v)
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
        by = self._nodes.get(node_id)
        if not by:
            return {}
        if len(by) == 1:
            return dict(next(iter(by.values())))
        view: dict[str, Any] = {}
        for owner in self._ranked(by):
            view.update(by[owner])
        return view

    def _apply_node(self, node_id: str) -> None:
        item = self._scene.node_items.get(node_id)
        if item is None:
            return
        view = self.node_view(node_id)
        fill = view.get("heat_color")
        if fill is None and "heat" in view:
            fill = heat_color(view["heat"])
        hl = view.get("highlight")
        outline = self._scene.style.highlight if hl is True else hl
        tint = self._tint.get(node_id)
        if fill is not None or outline is not None:
            if tint is None:
                tint = self._tint[node_id] = TintItem(item)
            tint.set_look(fill, outline)
        elif tint is not None:
            self._drop(self._tint.pop(node_id))
        item.set_tinted(fill is not None)
        badge = self._badge.get(node_id)
        text, marks = view.get("badge", ""), view.get("marks", ())
        if text or marks:
            if badge is None:
                badge = self._badge[node_id] = BadgeItem(item)
            badge.set_content(text, view.get("badge_color"), marks)
        elif badge is not None:
            self._drop(self._badge.pop(node_id))

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
            if cap is None:
                cap = self._caption[edge] = CaptionItem(item)
                item.captions = cap
                item.adjust()
            cap.set_content(view.get("value", ""), view.get("grad", ""), view.get("value_color"),
                            view.get("grad_color"))
            item.update()
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
        """The node left the graph: its state goes (its items go with the card)."""
        self._nodes.pop(node_id, None)
        self._tint.pop(node_id, None)
        self._badge.pop(node_id, None)

    def forget_edge(self, edge: Edge) -> None:
        self._edges.pop(edge, None)
        self._caption.pop(edge, None)

    def reset(self) -> None:
        """A new document: drop everything (the scene is about to delete the items)."""
        self._nodes.clear()
        self._edges.clear()
        self._tint.clear()
        self._badge.clear()
        self._caption.clear()

    def node_sized(self, node_id: str) -> None:
        """A card changed size: keep its overlay items around it."""
        for d in (self._tint.get(node_id), self._badge.get(node_id)):
            if d is not None:
                d.sync()

    def items_for(self, node_id: str) -> tuple[TintItem | None, BadgeItem | None]:
        """The overlay's items on a node (for tests and the benchmark)."""
        return self._tint.get(node_id), self._badge.get(node_id)

    def caption_for(self, edge: Edge) -> CaptionItem | None:
        return self._caption.get(edge)

    def _drop(self, item: Any) -> None:
        scene = item.scene()
        if scene is not None:
            scene.removeItem(item)
