"""Export a graph to ONNX through ``torch.onnx`` (an optional extra: ``pip install graphlab[onnx]``).

The compiled module (with ``--weights`` loaded, else its seeded initial weights; built only after a check
that it fits in memory) is exported in eval
mode, so Dropout is the identity and BatchNorm uses its running statistics. Inputs are named by the
Input node ids and have a dynamic batch dimension; the output is named by the prediction node's id.
The loss is not part of the model. The file is checked with ``onnx.checker.check_model`` before it
replaces anything on disk.

torch 2.13's exporter is the dynamo-based one (it needs ``onnxscript``); if it fails on a graph,
the TorchScript-based exporter is tried before giving up.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from pathlib import Path
from types import ModuleType

import torch

from ..compiler import example_inputs
from ..compiler import info as compile_info
from ..core.analysis import analyze
from ..core.graph import Graph
from ..io import atomic_write
from ..io.tempfiles import create_temp
from .model_source import ExportError, training_seed
from .weights import build, compile_with_weights, fits_in_memory

INSTALL_HINT = "ONNX export needs the onnx extra: pip install graphlab[onnx]"


def _require_onnx() -> ModuleType:
    """The onnx module (onnxscript must be there too: torch's exporter uses it)."""
    try:
        import onnx
        import onnxscript  # noqa: F401
    except ImportError:
        raise ExportError(INSTALL_HINT) from None
    return onnx


def _export(gm: torch.nn.Module, args: tuple[torch.Tensor, ...], path: str, input_names: list[str],
            output_names: list[str], dynamo: bool) -> None:
    kwargs: dict = {}
    if dynamo:
        batch = torch.export.Dim("batch")
        kwargs["dynamic_shapes"] = tuple({0: batch} for _ in args)
    else:
        kwargs["dynamic_axes"] = {n: {0: "batch"} for n in input_names + output_names}
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)  # torch.onnx logs notes (e.g. about torchvision) to stderr
        try:
            torch.onnx.export(gm, args, path, input_names=input_names, output_names=output_names, dynamo=dynamo,
                              external_data=False, **kwargs)
        finally:
            logging.disable(logging.NOTSET)


def export_onnx(graph: Graph, out: Path, *, weights: str | Path | None = None, seed: int | None = None) -> list[Path]:
    """Write ``out`` (an .onnx file); return the paths written. Without weights, the initial weights
    of ``seed`` (default: the graph's ``training.seed``)."""
    onnx = _require_onnx()
    seed = training_seed(graph) if seed is None else seed
    analysis = analyze(graph)
    fits_in_memory(analysis, copies=3 if weights is not None else 2, batch=2,
                   what="ONNX export (the model, the file it writes and a batch of 2)")
    gm = compile_with_weights(graph, analysis, weights, seed=seed) if weights is not None else build(
        graph, analysis, seed=seed)
    gm.eval()
    ci = compile_info(gm)
    args = tuple(example_inputs(graph, ci.analysis, batch=2, generator=torch.Generator().manual_seed(0)))
    if ci.output_id is not None:
        output_names = [ci.output_id]
    else:
        output_names = list(ci.analysis.sinks)
    output_names = [n if n not in ci.input_ids else n + "_out" for n in output_names]
    fd, tmp = create_temp(out.resolve())  # named by its owner: a crash's leftover is cleaned later
    os.close(fd)
    try:
        errors = []
        for dynamo in (True, False):
            try:
                _export(gm, args, str(tmp), list(ci.input_ids), output_names, dynamo)
                model = onnx.load(tmp)
                onnx.checker.check_model(model, full_check=True)
                break
            except Exception as e:  # try the other exporter, then report both
                msg = str(e).strip().splitlines()
                errors.append(f"{'dynamo' if dynamo else 'torchscript'} exporter: "
                              f"{msg[0][:300] if msg else type(e).__name__}")
        else:
            raise ExportError("torch.onnx could not export this graph; " + "; ".join(errors), code=1)
        atomic_write(out, Path(tmp).read_bytes())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return [out]
