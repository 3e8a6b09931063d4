"""Python source for a compiled graph: an ``nn.Module`` class that needs only torch.

Shared by the Python and torchrun exporters. The source is generated from the *compiled* module
(``graphlab.compile``): each layer's constructor call is written from the attributes of the
``nn.Module`` the compiler built, so the exported class has exactly the same submodules, names and
parameter shapes, and a state_dict of the compiled module loads into it with ``strict=True``.

Semantics of the generated class:

* ``__init__(seed=0)`` builds the layers in the compiler's (topological) order under
  ``torch.manual_seed(seed)`` (inside ``fork_rng``, so the caller's RNG is untouched) and applies
  the graph's init schemes with a generator seeded the same way, so ``Model(seed=s)`` starts from
  the very weights ``graphlab.compile(graph, seed=s)`` gives.
* Attribute names are the compiler's submodule names (the node id, or ``id_`` where the id clashes
  with an ``nn.Module`` attribute). ``forward`` takes one tensor per Input node (file order) and
  returns the prediction, each line commented with the layer's output shape from
  ``graphlab.core.analyze``. The loss is not part of the model.
* GraphLab's own layers (Add, Multiply, Concat, Maxout and the batch-first RNN/LSTM/GRU wrappers)
  are written as small class definitions into the script, only those the model uses.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Callable

from torch import fx, nn

from ..compiler import info as compile_info
from ..compiler import modules as gl_modules
from ..compiler.fx_builder import _nonlinearity_after
from ..compiler.init import SCHEMES, apply_init
from ..core.graph import Graph
from ..core.registry import REGISTRY


class ExportError(Exception):
    """The graph or an argument cannot be exported; the message says what and where."""


# ---- GraphLab's own layers, as standalone source ---------------------------------------------------
# The script gets the very definitions the compiler uses (graphlab/compiler/modules.py and init.py),
# copied with inspect.getsource, so the two can never drift apart.

_HELPER_OBJECTS = {"_final_state": gl_modules._final_state, "Add": gl_modules.Add, "Multiply": gl_modules.Multiply,
                   "Concat": gl_modules.Concat, "Maxout": gl_modules.Maxout, "RNN": gl_modules.RNN,
                   "LSTM": gl_modules.LSTM, "GRU": gl_modules.GRU}
_HELPERS: dict[str, str] = {name: inspect.getsource(obj) for name, obj in _HELPER_OBJECTS.items()}

INIT_SOURCE = f"SCHEMES = {SCHEMES!r}\n\n\n" + inspect.getsource(apply_init)

LOAD_WEIGHTS_SOURCE = '''
def load_weights(model: nn.Module, path: str) -> None:
    """Load a weights file saved by GraphLab: a .safetensors file (a `graphlab train` checkpoint or a
    state_dict; needs the safetensors package) or a torch state_dict, read with weights_only=True
    (tensors only, nothing is unpickled)."""
    if str(path).endswith(".safetensors"):
        from safetensors.torch import load_file

        state = load_file(str(path), device="cpu")
        if any(k.startswith("model.") for k in state):  # a checkpoint: weights beside optimizer state
            state = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
        for key in ("state_dict", "model"):  # a state_dict wrapped in a dict
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    model.load_state_dict(state, strict=True)
'''


# ---- constructor calls from module instances -------------------------------------------------------

def _v(value: object) -> str:
    """A literal; square pairs collapse to one int, as users write them."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1] and all(
            isinstance(v, int) for v in value):
        return repr(value[0])
    if isinstance(value, float):
        return repr(value)
    return repr(value)


def _kw(module: nn.Module, name: str, default: object) -> str | None:
    value = getattr(module, name)
    same = value == default or (isinstance(value, tuple) and len(value) == 2 and value[0] == value[1] == default)
    return None if same else f"{name}={_v(value)}"


def _call(cls: str, *args: str | None) -> str:
    return f"{cls}({', '.join(a for a in args if a is not None)})"


def _rnn(m: nn.RNNBase, cls: str) -> str:
    args = [repr(m.input_size), repr(m.hidden_size), _kw(m, "num_layers", 1)]
    if cls == "RNN":
        args.append(_kw(m, "nonlinearity", "tanh"))
    args += [_kw(m, "bias", True), _kw(m, "dropout", 0.0), _kw(m, "bidirectional", False),
             f"output={m.output!r}"]
    return _call(cls, *args)


def _conv(m: nn.Conv2d) -> str:
    return _call("nn.Conv2d", repr(m.in_channels), repr(m.out_channels), f"kernel_size={_v(m.kernel_size)}",
                 _kw(m, "stride", 1), _kw(m, "padding", 0), _kw(m, "dilation", 1), _kw(m, "groups", 1),
                 None if m.bias is not None else "bias=False", _kw(m, "padding_mode", "zeros"))


def _pool(m: nn.Module, cls: str) -> str:
    extra = [_kw(m, "dilation", 1)] if cls == "nn.MaxPool2d" else [_kw(m, "count_include_pad", True)]
    return _call(cls, f"kernel_size={_v(m.kernel_size)}", f"stride={_v(m.stride)}", _kw(m, "padding", 0),
                 *extra, _kw(m, "ceil_mode", False))


def _bn(m: nn.Module, cls: str) -> str:
    return _call(cls, repr(m.num_features), _kw(m, "eps", 1e-5), _kw(m, "momentum", 0.1), _kw(m, "affine", True),
                 _kw(m, "track_running_stats", True))


# Checked in order with isinstance: GraphLab's subclasses of nn.RNN etc. come before torch's.
_CONSTRUCTORS: list[tuple[type, Callable[[nn.Module], str], tuple[str, ...]]] = [
    (gl_modules.RNN, lambda m: _rnn(m, "RNN"), ("_final_state", "RNN")),
    (gl_modules.LSTM, lambda m: _rnn(m, "LSTM"), ("_final_state", "LSTM")),
    (gl_modules.GRU, lambda m: _rnn(m, "GRU"), ("_final_state", "GRU")),
    (gl_modules.Add, lambda m: "Add()", ("Add",)),
    (gl_modules.Multiply, lambda m: "Multiply()", ("Multiply",)),
    (gl_modules.Concat, lambda m: f"Concat(dim={m.dim})", ("Concat",)),
    (gl_modules.Maxout, lambda m: f"Maxout({m.linear.in_features}, {m.out_features}, {m.pieces})", ("Maxout",)),
    (nn.Linear, lambda m: _call("nn.Linear", repr(m.in_features), repr(m.out_features),
                                None if m.bias is not None else "bias=False"), ()),
    (nn.Conv2d, _conv, ()),
    (nn.MaxPool2d, lambda m: _pool(m, "nn.MaxPool2d"), ()),
    (nn.AvgPool2d, lambda m: _pool(m, "nn.AvgPool2d"), ()),
    (nn.AdaptiveAvgPool2d, lambda m: f"nn.AdaptiveAvgPool2d({_v(tuple(m.output_size))})", ()),
    (nn.Flatten, lambda m: _call("nn.Flatten", _kw(m, "start_dim", 1), _kw(m, "end_dim", -1)), ()),
    (nn.Dropout, lambda m: f"nn.Dropout(p={m.p!r})", ()),
    (nn.ReLU, lambda m: "nn.ReLU()", ()),
    (nn.LeakyReLU, lambda m: f"nn.LeakyReLU(negative_slope={m.negative_slope!r})", ()),
    (nn.PReLU, lambda m: f"nn.PReLU(num_parameters={m.num_parameters})", ()),
    (nn.ELU, lambda m: f"nn.ELU(alpha={m.alpha!r})", ()),
    (nn.Sigmoid, lambda m: "nn.Sigmoid()", ()),
    (nn.Tanh, lambda m: "nn.Tanh()", ()),
    (nn.Softmax, lambda m: f"nn.Softmax(dim={m.dim})", ()),
    (nn.BatchNorm1d, lambda m: _bn(m, "nn.BatchNorm1d"), ()),
    (nn.BatchNorm2d, lambda m: _bn(m, "nn.BatchNorm2d"), ()),
]


def constructor(module: nn.Module, node_id: str = "?") -> tuple[str, tuple[str, ...]]:
    """``(source of the constructor call, helper definitions it needs)`` for one compiled layer."""
    for cls, make, helpers in _CONSTRUCTORS:
        if type(module) is cls:
            return make(module), helpers
    raise ExportError(f"{node_id}: cannot export a {type(module).__name__} module yet")


# ---- the model class --------------------------------------------------------------------------------

_RESERVED_LOCALS = {"self", "torch", "nn"}


@dataclass
class ModelSource:
    """Source pieces of one exported model; ``text()`` joins them into module-level code."""

    class_name: str
    helpers: list[str] = field(default_factory=list)  # helper definitions, in order
    class_source: str = ""
    input_names: list[str] = field(default_factory=list)  # forward() argument names, Input order
    input_shapes: list[tuple[int, ...]] = field(default_factory=list)
    output_shape: tuple[int, ...] | None = None
    uses_init: bool = False

    def text(self) -> str:
        parts = [_HELPERS[h].strip("\n") for h in self.helpers]
        if self.uses_init:
            parts.append(INIT_SOURCE.strip("\n"))
        parts.append(self.class_source.strip("\n"))
        return "\n\n\n".join(parts) + "\n"


def training_seed(graph: Graph) -> int:
    """The experiment's seed (``training.seed``), which ``graphlab train`` compiles with; 0 if unset or bad."""
    seed = graph.training.get("seed", 0) if isinstance(graph.training, dict) else 0
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else 0


def class_name_for(graph: Graph) -> str:
    words = re.findall(r"[A-Za-z0-9]+", graph.name or "")
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Net"
    if not name[0].isalpha():
        name = "Net" + name
    if name in _HELPERS or name in {"torch", "nn", "Model", "SCHEMES", "apply_init", "load_weights", "main"}:
        name += "Net"
    return name


def _shape_text(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "?"
    return "[B" + "".join(f", {d}" for d in shape) + "]"


def model_source(graph: Graph, gm: fx.GraphModule, seed: int = 0) -> ModelSource:
    """The model class source for ``gm = graphlab.compile(graph, seed=seed)``; ``seed`` is the default."""
    ci = compile_info(gm)
    a = ci.analysis
    scheme = graph.training.get("init") or "default"
    src = ModelSource(class_name_for(graph))
    local: dict[str, str] = {}

    def local_name(nid: str) -> str:
        if nid not in local:
            name = nid
            while name in _RESERVED_LOCALS or name in local.values():
                name += "_"
            local[nid] = name
        return local[nid]

    init_lines: list[str] = []
    fwd_lines: list[str] = []
    helpers: list[str] = []
    for nid in ci.input_ids:
        src.input_names.append(local_name(nid))
        src.input_shapes.append(tuple(a.nodes[nid].shape or ()))
    for nid in a.order:
        if nid not in ci.module_names:
            continue
        attr = ci.module_names[nid]
        module = gm.get_submodule(attr)
        call, needs = constructor(module, nid)
        helpers += [h for h in needs if h not in helpers]
        ni = a.nodes[nid]
        spec = REGISTRY.get(graph.nodes[nid].type)
        summary = spec.summary(ni.resolved) if spec and spec.summary and ni.resolved is not None else None
        if summary and " dim " in summary:
            summary += " (per sample; batch excluded)"
        note = ", ".join(x for x in (summary, f"{ni.params:,} params" if ni.params else None) if x)
        init_lines.append(f"self.{attr} = {call}" + (f"  # {note}" if note else ""))
        node_scheme = graph.nodes[nid].init or scheme
        if node_scheme != "default" and any(True for _ in module.parameters()):
            src.uses_init = True
            init_lines.append(f"apply_init(self.{attr}, {node_scheme!r}, gen, "
                              f"{_nonlinearity_after(graph, nid)!r})")
        args = ", ".join(local_name(src) for src in ni.sources)
        fwd_lines.append(f"{local_name(nid)} = self.{attr}({args})  # {_shape_text(ni.shape)}")
    src.helpers = [h for h in ("_final_state", "Add", "Multiply", "Concat", "Maxout", "RNN", "LSTM", "GRU")
                   if h in helpers]

    if ci.output_id is not None:
        ret = local_name(ci.output_id)
        src.output_shape = a.nodes[ci.output_id].shape
        ret_type = "torch.Tensor"
    else:
        sinks = [n for n in a.order if graph.nodes[n].type != "Input" and not graph.outputs_of(n)]
        ret = "(" + ", ".join(local_name(s) for s in sinks) + ("," if len(sinks) == 1 else "") + ")"
        ret_type = "tuple[torch.Tensor, ...]"
    params = ", ".join(f"{n}: torch.Tensor" for n in src.input_names)
    in_doc = "; ".join(f"{n}: {_shape_text(s)}" for n, s in zip(src.input_names, src.input_shapes, strict=True))
    out_doc = _shape_text(src.output_shape) if ci.output_id is not None else "a tuple of the graph's outputs"
    loss_doc = ""
    if ci.loss_id is not None:
        loss_doc = (f"\n    Trained with {graph.nodes[ci.loss_id].type} (node '{ci.loss_id}'), which is not part of "
                    f"the model.")
    body_init = "\n".join("            " + line for line in init_lines) or "            pass"
    body_fwd = "\n".join("        " + line for line in fwd_lines)
    gen_line = "            gen = torch.Generator().manual_seed(seed)\n" if src.uses_init else ""
    title = (graph.name or "Net").replace('"""', "'''").replace("\\", "/")
    src.class_source = f'''
class {src.class_name}(nn.Module):
    """{title}: {a.total_params:,} parameters.

    Inputs: {in_doc}. Output: {out_doc}.{loss_doc}
    With the same seed it starts from the same weights as graphlab.compile(graph, seed=seed).
    """

    def __init__(self, seed: int = {seed}) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # seeded here; the caller's RNG is left as it was
            torch.manual_seed(seed)
{gen_line}{body_init}

    def forward(self, {params}) -> {ret_type}:
{body_fwd}
        return {ret}
'''
    return src
