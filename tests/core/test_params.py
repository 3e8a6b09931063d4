import pytest

from graphlab.core import REGISTRY, ParamError
from graphlab.core.spec import Param


@pytest.mark.parametrize("kind,value,ok", [
    ("int", 3, 3), ("int", 3.0, 3), ("int", True, None), ("int", "3", None), ("int", 0, None),
    ("float", 1, 1.0), ("float", float("nan"), None), ("float", "x", None),
    ("bool", False, False), ("bool", 0, None),
    ("pair", 3, (3, 3)), ("pair", [2, 5], (2, 5)), ("pair", [2], None), ("pair", [2, 0], None), ("pair", "3", None),
    ("shape", [1, 28, 28], (1, 28, 28)), ("shape", [], None), ("shape", [1, -2], None), ("shape", 5, None),
])
def test_coerce(kind, value, ok):
    p = Param("x", kind, min=1 if kind in ("int", "pair") else None)
    if ok is None:
        with pytest.raises(ParamError):
            p.coerce(value)
    else:
        assert p.coerce(value) == ok


def test_every_spec_has_help_and_valid_defaults():
    for t in REGISTRY.types():
        spec = REGISTRY.get(t)
        assert spec.help, t
        resolved, errors = spec.resolve({})
        assert errors == [], t
        for p in spec.params:
            assert p.help, f"{t}.{p.name} has no help"


def test_inferred_sizes_are_never_asked():
    asked = {p.name for t in REGISTRY.types() for p in REGISTRY.get(t).params}
    assert not asked & {"in_channels", "in_features", "num_features", "input_size"}
