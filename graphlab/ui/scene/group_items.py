"""Groups on the canvas: a collapsed group is one card, an expanded one a labelled frame around its nodes.

* :class:`GroupCard` is a :class:`~.node_item.NodeItem` (so it moves, selects, routes edges and reads
  zoomed out like a layer's card) named ``group:<id>`` among the scene's node items. It shows the
  group's name, how many layers it holds, its parameters, its input → output shapes and its forward
  FLOPs (:mod:`graphlab.core.cost`, at full detail); a frozen
  group says so. Double-click expands it in place. Its input ports are the group's incoming edges.
* :class:`GroupFrame` is drawn behind an expanded group's cards, with its name on a header strip;
  clicking the header's ▸ collapses the group.
* :class:`GroupLayer` keeps both in step with the model: :meth:`GroupLayer.sync` after a group edit (or
  a new graph) hides the members of collapsed groups, makes their cards and re-aims the edges that
  cross a card's border at it (edges inside one card are hidden); :meth:`GroupLayer.refresh` writes
  the analysis into the cards. All of it is view state derived from the document: nothing here
  edits the model (the scene emits ``group_toggled``; the controller makes the undo command).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem, QWidget

from ...core.analysis import Analysis
from ...core.cost import si
from ...core.groups import descendants, folded_in, members
from ...core.layers._common import fmt
from ...core.text import fmt_count
from . import style as st
from .node_item import NodeItem

if TYPE_CHECKING:
    from .graph_scene import GraphScene

GROUP_CARD = "group:"
FRAME_PAD = 12.0
HEADER = 22.0


def card_key(group_id: str) -> str:
    return GROUP_CARD + group_id


class GroupCard(NodeItem):
    """A collapsed group's card."""

    def __init__(self, group_id: str, style: st.CanvasStyle) -> None:
        super().__init__(card_key(group_id), style)
        self.group_id = group_id

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if scene is not None:
            scene.group_toggled.emit(self.group_id, False)  # type: ignore[attr-defined]
        event.accept()


class GroupFrame(QGraphicsItem):
    """The outline of an expanded group, behind its cards; its header's ▸ collapses it."""

    def __init__(self, group_id: str, name: str, rect: QRectF, depth: int, style: st.CanvasStyle,
                 bottom: bool = False) -> None:
        super().__init__()
        self.group_id, self.name, self.rect, self.style = group_id, name, rect, style
        self.bottom = bottom  # a group holding groups has its name under it (inner frames' are on top)
        self.setZValue(-1 - 0.01 * depth)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setToolTip(f"group {name}: click ▸ to collapse it to one card (Ctrl+E)")

    def header(self) -> QRectF:
        top = self.rect.bottom() - HEADER if self.bottom else self.rect.top()
        return QRectF(self.rect.left(), top, self.rect.width(), HEADER)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s = self.style
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(s.dim_text, 1.2)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(self.rect, 10, 10)
        painter.setPen(s.dim_text)
        painter.setFont(s.small_font)
        painter.drawText(self.header().adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter
                         | Qt.AlignmentFlag.AlignLeft, f"▸ {self.name}")

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.header().contains(event.pos()):
            scene = self.scene()
            if scene is not None:
                scene.group_toggled.emit(self.group_id, True)  # type: ignore[attr-defined]
            event.accept()
            return
        event.ignore()


class GroupLayer:
    """The scene's groups: cards for collapsed ones, frames for expanded ones (see the module docstring)."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.cards: dict[str, GroupCard] = {}
        self.frames: dict[str, GroupFrame] = {}

    def clear(self) -> None:
        self.cards.clear()
        self.frames.clear()

    def visible_item(self, node_id: str) -> NodeItem | None:
        """The card a node shows as: its own, or its outermost collapsed group's."""
        g = self.scene.graph
        gid = folded_in(g, node_id) if g is not None and g.groups else None
        if gid is not None and gid in self.cards:
            return self.cards[gid]
        return self.scene.node_items.get(node_id)

    def sync(self) -> None:
        sc, g = self.scene, self.scene.graph
        if g is None:
            return
        folded = {nid: folded_in(g, nid) for nid in g.nodes} if g.groups else {}
        wanted = {gid for gid in folded.values() if gid is not None}
        for gid in [k for k in self.cards if k not in wanted]:
            card = self.cards.pop(gid)
            sc.forget_card(card)
        for gid in wanted:
            if gid not in self.cards:
                self.cards[gid] = sc.add_card(GroupCard(gid, sc.style))
            self.cards[gid].setPos(QPointF(*_card_pos(g, gid)))
        for nid, item in sc.node_items.items():
            if not isinstance(item, GroupCard):
                item.setVisible(folded.get(nid) is None)
        self._aim_edges(folded)
        self.layout_frames()
        if sc.analysis is not None:
            self.refresh(sc.analysis)

    def _aim_edges(self, folded: dict[str, Any]) -> None:
        sc, g = self.scene, self.scene.graph
        assert g is not None
        ports: dict[str, int] = {}
        for e in g.edges:
            item = sc.edge_items.get(e)
            src, dst = self.visible_item(e.src), self.visible_item(e.dst)
            if src is None or dst is None:
                continue
            if src is dst:  # inside one card
                if item is not None:
                    sc.drop_edge_item(e)
                continue
            port = e.port
            if isinstance(dst, GroupCard):
                port = ports.get(dst.group_id, 0)
                ports[dst.group_id] = port + 1
            if item is not None and (item.src is not src or item.dst is not dst or item.port != port):
                sc.drop_edge_item(e)
                item = None
            if item is None:
                sc.make_edge_item(e, src, dst, port)
        for gid, card in self.cards.items():
            card.n_inputs = max(1, ports.get(gid, 0))

    def layout_frames(self) -> None:
        """Frames around the expanded groups whose cards show (after moves and edits)."""
        sc, g = self.scene, self.scene.graph
        if g is None:
            return
        keep: set[str] = set()
        for gid, group in g.groups.items():
            if group.collapsed or folded_in_group(g, gid):
                continue
            items = [sc.node_items[n] for n in members(g, gid) if n in sc.node_items and sc.node_items[n].isVisible()]
            items += [self.cards[k] for k in descendants(g, gid) if k in self.cards]
            if not items:
                continue
            rect = QRectF()
            for it in items:
                rect = rect.united(it.mapRectToScene(it.card_rect()))
            depth, height = len(_ancestry(g, gid)), _height(g, gid)
            # nested frames grow by a few units a level; the row gaps (ROW − card height ≈ 37) hold them
            side, extra = FRAME_PAD * (1 + (height - 1) * 0.6), 5.0 * (height - 1)
            bottom = height > 1
            rect = rect.adjusted(-side, -(HEADER + 4 + extra), side, 8 + extra + (HEADER if bottom else 0))
            frame = self.frames.get(gid)
            if frame is None:
                frame = self.frames[gid] = GroupFrame(gid, group.name, rect, depth, sc.style, bottom)
                sc.addItem(frame)
            else:
                frame.prepareGeometryChange()
                frame.rect, frame.name, frame.bottom = rect, group.name, bottom
                frame.update()
            keep.add(gid)
        for gid in [k for k in self.frames if k not in keep]:
            sc.removeItem(self.frames.pop(gid))

    def refresh(self, a: Analysis) -> None:
        """Each card's text: name, layer count, parameters, forward FLOPs, input and output shapes."""
        g = self.scene.graph
        if g is None:
            return
        for gid, card in self.cards.items():
            inside = set(members(g, gid))
            params = sum(a.nodes[n].params for n in inside if n in a.nodes)
            flops = sum(a.nodes[n].flops for n in inside if n in a.nodes)
            ins = [e for e in g.edges if e.dst in inside and e.src not in inside]
            outs = [e for e in g.edges if e.src in inside and e.dst not in inside]
            shapes_in = ", ".join(dict.fromkeys(_shape(a, e.src) for e in ins)) or "—"
            shapes_out = ", ".join(dict.fromkeys(_shape(a, e.src) for e in outs)) or "—"
            frozen = all(not g.nodes[n].trainable for n in inside) and inside
            # the card's lines: the name; layers and parameters (where a layer shows its id); the input
            # shape and the FLOPs (where a layer shows its parameters); the output shape
            card.shown_id = f"{len(inside)} layers · {_short(params)}" + (" ❄" if frozen else "")
            errors = [p.message for n in inside if n in a.nodes for p in a.nodes[n].problems if p.severity == "error"]
            cost = f" · {si(flops, 'FLOPs')}" if flops else ""  # forward, a sample (full detail only)
            card.set_state(g.groups[gid].name, "Group", f"in {shapes_in}{cost}", f"→ {shapes_out}", card.n_inputs,
                           "\n".join(errors[:3]), "error" if errors else "")
            card.setToolTip(f"group {g.groups[gid].name}: {len(inside)} layers, {fmt_count(params)} parameters, "
                            f"{si(flops, 'FLOPs')} a sample (forward); "
                            f"{shapes_in} → {shapes_out}"
                            + (" (frozen)" if frozen else "") + "\ndouble-click to expand it")


def folded_in_group(g: Any, gid: str) -> bool:
    """True when one of the group's ancestors is collapsed (its frame is hidden in that card)."""
    p = g.groups[gid].parent
    while p is not None and p in g.groups:
        if g.groups[p].collapsed:
            return True
        p = g.groups[p].parent
    return False


def _ancestry(g: Any, gid: str) -> list[str]:
    out, p = [], g.groups[gid].parent
    while p is not None and p in g.groups and p not in out:
        out.append(p)
        p = g.groups[p].parent
    return out


def _height(g: Any, gid: str) -> int:
    """How many levels of groups sit inside ``gid`` (its frame leaves room around theirs)."""
    kids = [k for k, grp in g.groups.items() if grp.parent == gid and not grp.collapsed]
    return 1 + max((_height(g, k) for k in kids), default=0)


def _card_pos(g: Any, gid: str) -> tuple[float, float]:
    from ...core.groups import card_pos

    return card_pos(g, gid)


def _short(n: int) -> str:
    """A parameter count that fits a zoomed-out card: 950 p, 33k p, 1.2M p."""
    if n < 1000:
        return f"{n} p"
    if n < 1_000_000:
        return f"{n / 1000:.3g}k p"
    return f"{n / 1e6:.3g}M p"


def _shape(a: Analysis, nid: str) -> str:
    info = a.nodes.get(nid)
    return fmt(info.shape) if info is not None and info.shape is not None else "?"
