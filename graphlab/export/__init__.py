"""Export a graph: a standalone PyTorch script, an ONNX file, or a torchrun training script.

Torch, never Qt. Each exporter writes its files atomically and raises :class:`ExportError` with one
message naming what and where when the graph, the checkpoint or the output cannot be used.
"""
from .model_source import ExportError

__all__ = ["ExportError"]
