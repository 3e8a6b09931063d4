"""GraphLab's engine core: the graph model, the layer catalogue, validation and shape inference.

Pure Python + networkx. Importing this package never imports torch or Qt (a test enforces it).
"""
from .analysis import Analysis, NodeInfo, Problem, analyze
from .graph import Edge, Graph, GraphError, LoadProblem, Node
from .registry import REGISTRY, Registry
from .spec import VARIADIC, LayerSpec, Param, ParamError, ShapeError

__all__ = ["Analysis", "NodeInfo", "Problem", "analyze", "Edge", "Graph", "GraphError", "LoadProblem", "Node",
           "REGISTRY", "Registry", "VARIADIC", "LayerSpec", "Param", "ParamError", "ShapeError"]
