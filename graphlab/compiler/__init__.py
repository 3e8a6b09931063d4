"""Graph -> PyTorch: fx compilation, GraphLab's own modules and weight init. Imports torch; never Qt."""
from .fx_builder import BuildError, CompileError, CompileInfo, compile_graph, count_parameters, example_inputs, info

__all__ = ["BuildError", "CompileError", "CompileInfo", "compile_graph", "count_parameters", "example_inputs", "info"]
