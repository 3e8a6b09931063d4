"""The torch side of the layer catalogue: a spec's :class:`~graphlab.core.spec.TorchModule` -> nn.Module.

Specs in :mod:`graphlab.core.layers` name the module that implements them and give its keyword
arguments as plain values; this module owns the step that needs torch. A name resolves in
``torch.nn`` or, for ``own=True``, in :mod:`graphlab.compiler.modules` (GraphLab's own classes),
and nothing else: a name is looked up as an attribute of one of those two modules, never imported
or evaluated, so a spec cannot reach any other code.

Why names rather than factories in the specs: graphlab.core must import neither torch nor the
compiler (an import-linter contract checks it), and a declared ``(class name, kwargs)`` pair is
also what an exporter needs to write the same constructor call as source.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from torch import nn

from ..core.spec import LayerSpec, Shape, TorchModule
from . import modules as own_modules


class LayerBuildError(Exception):
    """A spec names a module that does not exist (a catalogue bug, caught by the catalogue tests)."""


def module_class(ref: TorchModule) -> type[nn.Module]:
    """The class a spec names: ``torch.nn.<name>``, or ``graphlab.compiler.modules.<name>`` if own."""
    where = own_modules if ref.own else nn
    cls = getattr(where, ref.name, None) if ref.name.isidentifier() and not ref.name.startswith("_") else None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise LayerBuildError(f"{ref.qualname} is not an nn.Module in {where.__name__}")
    return cls


def build_module(spec: LayerSpec, params: Mapping[str, Any], input_shapes: Sequence[Shape],
                 shape: Shape) -> nn.Module | None:
    """The nn.Module for one node (params resolved, shapes from analysis); None for an Input."""
    if spec.torch is None:
        return None
    return module_class(spec.torch)(**spec.torch.kwargs(params, input_shapes, shape))
