"""The built-in layer catalogue, one module per family. Each module exposes ``SPECS``."""
from __future__ import annotations

from ..spec import LayerSpec
from . import activation, conv, dense, inputs, loss, merge, norm, recurrent

FAMILIES = (inputs, dense, conv, activation, norm, recurrent, merge, loss)


def builtin_specs() -> list[LayerSpec]:
    return [spec for family in FAMILIES for spec in family.SPECS]
