"""The canvas: a QGraphicsScene that mirrors the graph model, its items and the view."""
