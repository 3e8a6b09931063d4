"""The layer catalogue: type name -> LayerSpec, with palette grouping and legacy names."""
from __future__ import annotations

from .layers import builtin_specs
from .spec import LayerSpec

CATEGORY_ORDER = ("Input", "Dense", "Convolution", "Pooling", "Activation", "Normalization",
                  "Regularization", "Shape", "Recurrent", "Merge", "Loss")


class Registry:
    def __init__(self, specs: list[LayerSpec] | None = None) -> None:
        self._specs: dict[str, LayerSpec] = {}
        self._legacy: dict[str, str] = {}
        for spec in specs or []:
            self.register(spec)

    def register(self, spec: LayerSpec) -> None:
        if spec.type in self._specs:
            raise ValueError(f"layer type {spec.type} registered twice")
        self._specs[spec.type] = spec
        for old in spec.legacy_names:
            self._legacy[old] = spec.type

    def get(self, type_name: str) -> LayerSpec | None:
        spec = self._specs.get(type_name)
        if spec is None and type_name in self._legacy:
            spec = self._specs[self._legacy[type_name]]
        return spec

    def __contains__(self, type_name: object) -> bool:
        return isinstance(type_name, str) and self.get(type_name) is not None

    def types(self) -> list[str]:
        return list(self._specs)

    def by_category(self) -> dict[str, list[LayerSpec]]:
        groups: dict[str, list[LayerSpec]] = {c: [] for c in CATEGORY_ORDER}
        for spec in self._specs.values():
            groups.setdefault(spec.category, []).append(spec)
        return {c: specs for c, specs in groups.items() if specs}


REGISTRY = Registry(builtin_specs())
