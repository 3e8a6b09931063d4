"""The scene: a live mirror of one :class:`~graphlab.core.Graph`.

It subscribes to the model's events and keeps two maps, node id -> :class:`NodeItem` and
:class:`Edge` -> :class:`EdgeItem`; each event touches only the items it concerns, so an edit never
rebuilds the scene. Shapes, summaries and errors come from an :class:`~graphlab.core.Analysis`
handed to :meth:`GraphScene.apply_analysis`, which repaints only the items whose text changed.

The scene never edits the model. User gestures are turned into commands by the controller.

View state that is not part of the document (badges, highlight, heat, edge captions) goes through
``scene.overlay`` (:class:`~.overlay.CanvasOverlay`): no undo entries, no modified mark.

The scene rectangle is kept explicitly (the default is the items' bounding box): the BSP index
splits it into about as many cells as there are items, so when the rectangle is only as big as a
pile of stacked items (a file without positions: 10,000 nodes took 1.9 GB), every item lands in
every cell, quadratic in memory. The rectangle is the cards' extent plus a margin, grown to at
least :data:`ROOM_PER_ITEM` per item: a pile then spans a few cells, while a laid-out graph keeps
cells as fine as its own extent gives (a much larger fixed rectangle would make each cell hold more
items and every repaint's index query slower).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QIcon, QPainter, QPalette, QPen
from PySide6.QtWidgets import QGraphicsScene

from ...core import REGISTRY, Analysis, Edge, Graph, Node
from ...core.layers._common import fmt
from ...core.spec import VARIADIC
from . import style as st
from .card_index import CardIndex
from .edge_item import EdgeItem
from .group_items import GroupCard, GroupLayer
from .node_item import NodeItem
from .overlay import CanvasOverlay

GRID = 20.0  # the snapping step; lines are drawn every GRID_LINE
GRID_LINE = GRID * 5
BASE_RECT = QRectF(-2000, -2000, 4000, 4000)  # an empty scene
RECT_MARGIN = 1000.0  # room around the cards to pan and drop into
ROOM_PER_ITEM = 2 * 230.0 * 112.0  # scene area per item (card or edge): twice a layout cell


def n_ports(type_name: str, max_port: int) -> int:
    """How many input ports a node shows: fixed count, or connected + one free for variadic nodes."""
    spec = REGISTRY.get(type_name)
    if spec is None:
        return max_port + 1 if max_port >= 0 else 1
    if spec.inputs == VARIADIC:
        return max(2, max_port + 2)
    return max(spec.inputs, max_port + 1)


class GraphScene(QGraphicsScene):
    #: emitted with the selected node ids whenever the selection changes
    node_selection_changed = Signal(list)
    #: nodes were added, removed or moved (through the model), or a new graph was set
    geometry_changed = Signal()
    #: what the overview draws changed without moving a card: an edge came or went, a card's category or
    #: error state changed, the colours changed (emitted per change; listeners coalesce)
    look_changed = Signal()
    #: (group id, collapse?) the user asked to collapse (True) or expand (False) a group
    group_toggled = Signal(str, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.graph: Graph | None = None
        self.style = st.make_style()
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self._state: dict[str, tuple] = {}
        self._labels: dict[Edge, tuple[str, bool]] = {}
        #: category -> icon for the cards' titles (None: no icon); set it before set_graph
        self.category_icon: Callable[[str | None], QIcon | None] = lambda category: None
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setSceneRect(BASE_RECT)
        self.view_scale = 1.0  # the zoom of the view showing this scene (captions are placed for it)
        self._caption_timer = QTimer(self)
        self._caption_timer.setSingleShot(True)
        self._caption_timer.setInterval(0)
        self._caption_timer.timeout.connect(self._layout_captions)
        self.overlay = CanvasOverlay(self)
        self.sceneRectChanged.connect(self._rect_changed)
        self._nodes_rect: QRectF | None = None
        self.cards = CardIndex()  # which cards are where (edge routing, the overlay)
        self.analysis: Analysis | None = None  # the last one applied (group cards show its figures)
        self.groups = GroupLayer(self)  # collapsed groups' cards, expanded groups' frames
        self._groups_timer = QTimer(self)
        self._groups_timer.setSingleShot(True)
        self._groups_timer.setInterval(0)
        self._groups_timer.timeout.connect(self.sync_groups)
        self.selectionChanged.connect(self._emit_selection)

    # ---- model binding -------------------------------------------------------------------------
    def set_graph(self, graph: Graph) -> None:
        if self.graph is not None:
            self._subscribe(self.graph, False)
        self.overlay.reset()
        self.clear()
        self.groups.clear()
        self.analysis = None
        self.cards.clear()
        self.node_items.clear()
        self.edge_items.clear()
        self._state.clear()
        self._labels.clear()
        self.graph = graph
        max_port: dict[str, int] = {}
        for e in graph.edges:
            max_port[e.dst] = max(max_port.get(e.dst, -1), e.port)
        for node in graph.nodes.values():
            self._add_node_item(node, max_port.get(node.id, -1))
        self.fit_rect(len(graph.nodes) + len(graph.edges))  # before the edges: they query the index
        for e in graph.edges:
            self._add_edge_item(e)
        self._subscribe(graph, True)
        if graph.groups:
            self.groups.sync()
        self._moved()

    def set_view_scale(self, scale: float) -> None:
        """The view zoomed: fixed-size labels take a different room in the scene; place them again."""
        if scale != self.view_scale:
            self.view_scale = scale
            self.overlay.schedule_captions()

    def schedule_captions(self) -> None:
        if not self._caption_timer.isActive():
            self._caption_timer.start()

    def _layout_captions(self) -> None:
        self.overlay.layout_captions()

    def _moved(self) -> None:
        self._nodes_rect = None
        self.geometry_changed.emit()

    def nodes_rect(self) -> QRectF:
        """The cards' bounding rectangle in scene coordinates (cached until the model moves a node)."""
        if self._nodes_rect is None:
            r = QRectF()
            for item in self.node_items.values():
                if item.isVisible():  # not the members folded into a group's card
                    r = r.united(item.mapRectToScene(item.card_rect()))
            self._nodes_rect = r
        return QRectF(self._nodes_rect)

    def fit_rect(self, n_items: int | None = None) -> None:
        """Set the scene rectangle: the cards' extent plus a margin, with room for every item."""
        self._nodes_rect = None
        r = self.nodes_rect()
        r = BASE_RECT if r.isEmpty() else r.adjusted(-RECT_MARGIN, -RECT_MARGIN, RECT_MARGIN, RECT_MARGIN)
        n = n_items if n_items is not None else len(self.node_items) + len(self.edge_items)
        self.setSceneRect(self._roomy(r, n))

    @staticmethod
    def _roomy(r: QRectF, n: int) -> QRectF:
        need = n * ROOM_PER_ITEM
        area = r.width() * r.height()
        if area >= need:
            return r
        k = math.sqrt(need / max(area, 1.0))
        dw, dh = r.width() * (k - 1) / 2, r.height() * (k - 1) / 2
        return r.adjusted(-dw, -dh, dw, dh)

    def _keep_inside(self, item: NodeItem) -> None:
        rect = self.sceneRect()
        if not rect.contains(item.sceneBoundingRect()):
            rect = rect.united(item.sceneBoundingRect().adjusted(-RECT_MARGIN, -RECT_MARGIN, RECT_MARGIN,
                                                                 RECT_MARGIN))
        n = len(self.node_items) + len(self.edge_items)
        if rect.width() * rect.height() < n * ROOM_PER_ITEM:
            rect = self._roomy(rect, 2 * n)  # grow ahead, so adding nodes one by one rarely re-indexes
        if rect != self.sceneRect():
            self.setSceneRect(rect)

    def _rect_changed(self, rect: QRectF) -> None:
        self.overlay.sync()

    def _subscribe(self, g: Graph, on: bool) -> None:
        for ev, fn in ((g.node_added, self._on_node_added), (g.node_removed, self._on_node_removed),
                       (g.edge_added, self._add_edge_item), (g.edge_removed, self._on_edge_removed),
                       (g.node_moved, self._on_node_moved), (g.group_changed, self._on_group_changed)):
            (ev.connect if on else ev.disconnect)(fn)

    def _add_node_item(self, node: Node, max_port: int | None = None) -> NodeItem:
        item = NodeItem(node.id, self.style)
        spec = REGISTRY.get(node.type)
        if max_port is None:
            max_port = max((e.port for e in self.graph.edges if e.dst == node.id), default=-1) if self.graph else -1
        item.set_state(spec.display if spec else node.type, spec.category if spec else None, "", "",
                       n_ports(node.type, max_port), "", "")
        icon = self.category_icon(spec.category if spec else None)
        if icon is not None:
            item.set_icon(icon)
        item.setPos(QPointF(*node.pos))
        self.addItem(item)
        self.node_items[node.id] = item
        item.index = self.cards
        self.cards.put(item)
        return item

    def _on_node_added(self, node: Node) -> None:
        item = self._add_node_item(node)
        self._keep_inside(item)
        for e in self.graph.edges if self.graph else ():  # edges that waited for this node
            if node.id in (e.src, e.dst) and e not in self.edge_items:
                self._add_edge_item(e)
        item.setSelected(False)
        if node.group is not None:
            self.sync_groups()
        self._moved()

    def _on_node_removed(self, node: Node) -> None:
        item = self.node_items.pop(node.id, None)
        self._state.pop(node.id, None)
        self.overlay.forget_node(node.id)
        if item is None:
            return
        for e in list(item.edges):
            self._on_edge_removed(e.edge)
        self.cards.remove(item)
        item.index = None
        self.removeItem(item)
        self._moved()

    def _add_edge_item(self, edge: Edge) -> None:
        if self.groups.cards:  # an end may be folded into a group's card
            src, dst = self.groups.visible_item(edge.src), self.groups.visible_item(edge.dst)
            if isinstance(src, GroupCard) or isinstance(dst, GroupCard):
                self.sync_groups()
                return
        src, dst = self.node_items.get(edge.src), self.node_items.get(edge.dst)
        if src is None or dst is None or edge in self.edge_items:
            return
        if edge.port >= dst.n_inputs:
            self._refresh_ports(dst)
        item = EdgeItem(edge, src, dst, self.style)
        self.addItem(item)
        item.adjust()  # again, now that it can see the cards in its way
        self.edge_items[edge] = item
        self.look_changed.emit()

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        self._labels.pop(edge, None)
        self.overlay.forget_edge(edge)
        if item is not None:
            item.detach()
            self.removeItem(item)
            self.look_changed.emit()

    def _on_node_moved(self, node_id: str, pos: tuple[float, float]) -> None:
        item = self.node_items.get(node_id)
        if item is not None and (item.pos().x(), item.pos().y()) != pos:
            item.setPos(QPointF(*pos))
        if item is not None:
            self._keep_inside(item)
            self._moved()
        if self.graph is not None and self.graph.groups and not self._groups_timer.isActive():
            self._groups_timer.start()  # frames follow their nodes, cards their (hidden) members

    # ---- groups ---------------------------------------------------------------------------------------
    def _on_group_changed(self, group_id: str) -> None:
        self.sync_groups()
        self._moved()

    def sync_groups(self) -> None:
        """Cards, frames and edges as the groups now are (see graphlab.ui.scene.group_items)."""
        self._groups_timer.stop()
        self.groups.sync()
        for item in self.node_items.values():
            if isinstance(item, GroupCard):
                continue
            if item.isVisible() and item.index is None:
                item.index = self.cards
                self.cards.put(item)
            elif not item.isVisible() and item.index is not None:
                self.cards.remove(item)
                item.index = None

    def add_card(self, card: GroupCard) -> GroupCard:
        card.set_state(card.node_id, "Group", "", "", 1, "", "")
        self.addItem(card)
        self.node_items[card.node_id] = card
        card.index = self.cards
        self.cards.put(card)
        return card

    def forget_card(self, card: GroupCard) -> None:
        for e in list(card.edges):
            self.drop_edge_item(e.edge)
        self.node_items.pop(card.node_id, None)
        self.cards.remove(card)
        card.index = None
        self.removeItem(card)

    def drop_edge_item(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        self._labels.pop(edge, None)
        if item is not None:
            item.detach()
            self.removeItem(item)

    def make_edge_item(self, edge: Edge, src: NodeItem, dst: NodeItem, port: int) -> None:
        if port >= dst.n_inputs and not isinstance(dst, GroupCard):
            self._refresh_ports(dst)
        item = EdgeItem(edge, src, dst, self.style)
        item.port = port
        self.addItem(item)
        item.adjust()
        self.edge_items[edge] = item
        if self.analysis is not None:
            info = self.analysis.nodes.get(edge.src)
            if info is not None and info.shape is not None:
                self._labels[edge] = (fmt(info.shape), False)
                item.set_label(fmt(info.shape), False)

    def selected_group_ids(self) -> list[str]:
        """The collapsed groups whose cards are selected."""
        return [i.group_id for i in self.selectedItems() if isinstance(i, GroupCard)]

    def _refresh_ports(self, item: NodeItem) -> None:
        if self.graph is None or item.node_id not in self.graph.nodes:
            return
        node = self.graph.nodes[item.node_id]
        max_port = max((e.port for e in self.graph.edges if e.dst == node.id), default=-1)
        item.set_state(item.title, item.category, item.summary, item.shape_text, n_ports(node.type, max_port),
                       item.message, item.severity)

    # ---- analysis -------------------------------------------------------------------------------
    def apply_analysis(self, analysis: Analysis) -> int:
        """Update items whose text, ports or error state changed. Returns how many changed."""
        g = self.graph
        if g is None:
            return 0
        self.analysis = analysis
        max_port: dict[str, int] = {}
        for e in g.edges:
            if e.port > max_port.get(e.dst, -1):
                max_port[e.dst] = e.port
        changed = 0
        look = False
        for nid, item in self.node_items.items():
            node = g.nodes.get(nid)
            info = analysis.nodes.get(nid)
            if node is None or info is None:
                continue
            spec = REGISTRY.get(node.type)
            summary = ""
            if spec is not None and info.resolved is not None and spec.summary is not None:
                try:
                    summary = spec.summary(info.resolved) or ""
                except Exception:  # a summary must never break the canvas
                    summary = ""
            if not node.trainable:  # frozen (transfer learning): a snowflake on the card, in words in the tooltip
                summary = f"❄ {summary}" if summary else "❄ frozen"
            errors = [p for p in info.problems if p.severity == "error"]
            warnings = [p for p in info.problems if p.severity != "error"]
            if info.shape is not None:
                shape_text = "→ " + fmt(info.shape)
            elif errors:
                shape_text = "⚠ " + errors[0].message
            else:
                shape_text = "→ ?"
            message = "\n".join(p.message for p in errors + warnings)
            severity = "error" if errors else ("warning" if warnings else "")
            state = (spec.display if spec else node.type, spec.category if spec else None, summary, shape_text,
                     n_ports(node.type, max_port.get(nid, -1)), message, severity)
            old = self._state.get(nid)
            if old != state:
                look = look or old is None or (old[1], old[6]) != (state[1], state[6])  # category, severity
                self._state[nid] = state
                item.set_state(*state)
                changed += 1
        for edge, item in self.edge_items.items():
            info = analysis.nodes.get(edge.src)
            label = (fmt(info.shape), False) if info is not None and info.shape is not None else ("", False)
            if self._labels.get(edge) != label:
                self._labels[edge] = label
                item.set_label(*label)
                changed += 1
        if self.groups.cards:
            self.groups.refresh(analysis)
        if look:
            self.look_changed.emit()
        return changed

    # ---- look ------------------------------------------------------------------------------------
    def restyle(self, palette: QPalette | None = None) -> None:
        self.style = st.make_style(palette)
        for item in self.node_items.values():
            item.set_style(self.style)
        for e in self.edge_items.values():
            e.set_style(self.style)
        self.update()
        self.look_changed.emit()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        """Fill and grid lines every GRID_LINE units, at the same scene positions whatever ``rect``
        is (a partial repaint after a move must draw the lines exactly where a full repaint does)."""
        painter.fillRect(rect, self.style.background)
        scale = painter.worldTransform().m11()
        if scale < 0.45:
            return
        painter.setPen(QPen(self.style.grid, 0))
        x = math.floor(rect.left() / GRID_LINE) * GRID_LINE
        while x <= rect.right():
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += GRID_LINE
        y = math.floor(rect.top() / GRID_LINE) * GRID_LINE
        while y <= rect.bottom():
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += GRID_LINE

    # ---- selection -------------------------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        """The selected nodes; a collapsed group's card stands for all its members."""
        out: list[str] = []
        for i in self.selectedItems():
            if isinstance(i, GroupCard):
                if self.graph is not None and i.group_id in self.graph.groups:
                    from ...core.groups import members

                    out += members(self.graph, i.group_id)
            elif isinstance(i, NodeItem):
                out.append(i.node_id)
        return out

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, ids: list[str]) -> None:
        self.blockSignals(True)
        self.clearSelection()
        for nid in ids:
            item = self.node_items.get(nid)
            if item is not None:
                item.setSelected(True)
        self.blockSignals(False)
        self._emit_selection()

    def _emit_selection(self) -> None:
        self.node_selection_changed.emit(self.selected_node_ids())

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None
