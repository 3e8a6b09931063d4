"""GraphLab: build neural networks as node graphs, train them, and watch what happens inside.

``graphlab.load(path)`` reads a graph file; ``graphlab.analyze(graph)`` checks it and infers every
shape; ``graphlab.compile(graph)`` builds a torch.fx GraphModule (torch is imported only then).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core import Graph, analyze
from .io import FileFormatError, load, save

if TYPE_CHECKING:
    from torch.fx import GraphModule

__version__ = "0.1.0"
__all__ = ["Graph", "analyze", "load", "save", "compile", "FileFormatError", "__version__"]


def compile(graph: Graph, *, seed: int = 0, init: str | None = None, **kwargs: Any) -> "GraphModule":
    """Compile a graph to a torch.fx GraphModule (see :mod:`graphlab.compile.fx_builder`)."""
    from .compiler import compile_graph

    return compile_graph(graph, seed=seed, init=init, **kwargs)
