"""Python source for a graph's model: an ``nn.Module`` class that needs only torch.

Shared by the Python and torchrun exporters. The source is written from the analysis alone — each
layer's constructor call comes from its layer spec's ``export`` rule (:mod:`graphlab.core.spec`),
with every value a literal — so exporting never builds a module or allocates a weight: a Linear with
10⁹ outputs exports as text at once. A test checks that every rule describes the very module the
compiler builds, so a state_dict of ``graphlab.compile(graph)`` loads into the class with ``strict=True``.

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

All text goes through :mod:`graphlab.export.codegen`: node ids appear only as checked identifiers,
values only as literals, and no user data reaches a docstring or comment.
"""
from __future__ import annotations

import ast
import functools
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..compiler import modules as gl_modules
from ..compiler.fx_builder import _nonlinearity_after, submodule_names
from ..compiler.init import SCHEMES, apply_init
from ..core.analysis import Analysis, analyze
from ..core.graph import Graph
from ..core.registry import REGISTRY
from ..core.text import fmt_count
from ..run import weights as run_weights
from .codegen import Code, CodegenError, Lit, Name, Template, call, comment, identifiers, join, literal


class ExportError(Exception):
    """The graph or an argument cannot be exported; the message says what and where. ``code`` is the
    command line's exit code: 2 (the default) for a file, checkpoint or argument that cannot be used,
    1 when the graph itself cannot be done — it does not fit in memory, a layer cannot be built, the
    ONNX exporter refuses it — as `train` and `step` exit 1 for the same graphs; ``node``, when one
    node is the reason."""

    def __init__(self, message: str, *, node: str | None = None, code: int = 2) -> None:
        super().__init__(message)
        self.node = node
        self.code = code


# ---- GraphLab's own layers, as standalone source ---------------------------------------------------
# The script gets the very definitions the compiler uses (graphlab/compiler/modules.py and init.py),
# copied with inspect.getsource, so the two can never drift apart.

def _own_objects() -> dict[str, Any]:
    return {n: o for n, o in vars(gl_modules).items()
            if (inspect.isclass(o) or inspect.isfunction(o)) and getattr(o, "__module__", None) == gl_modules.__name__}


def helper_names(used: list[str]) -> list[str]:
    """The GraphLab helper definitions ``used`` needs, each after the helpers it refers to."""
    own = _own_objects()
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        refs = {n.id for n in ast.walk(ast.parse(inspect.getsource(own[name]))) if isinstance(n, ast.Name)}
        for dep in sorted(refs & own.keys() - {name}):
            visit(dep)
        ordered.append(name)

    for name in used:
        visit(name)
    return ordered


def helper_source(name: str) -> Code:
    return Code(inspect.getsource(_own_objects()[name]).strip("\n"))


INIT_SOURCE = Code(f"SCHEMES = {literal(SCHEMES)}\n\n\n" + inspect.getsource(apply_init).strip("\n"))

def _load_weights_source() -> Code:
    """``load_weights(model, path)`` and what it needs, copied from :mod:`graphlab.run.weights` (the
    one place GraphLab reads a weights file and checks it fits) with inspect.getsource. The script
    imports ``os`` and ``torch`` itself."""
    parts = [f"CHECKPOINT_FORMAT = {literal(run_weights.CHECKPOINT_FORMAT)}"]
    parts += [inspect.getsource(obj).strip("\n") for obj in run_weights.SCRIPT_OBJECTS]
    return Code("\n\n\n".join(parts))


LOAD_WEIGHTS_SOURCE = _load_weights_source()


# ---- the model class --------------------------------------------------------------------------------

_RESERVED_LOCALS = {"self", "torch", "nn"}

CLASS = Template('''class @@CLASS@@(nn.Module):
    """The exported graph (its name is GRAPH_NAME) as a module: @@PARAMS@@ parameters.

    Inputs: @@IN_DOC@@. Output: @@OUT_DOC@@.@@LOSS_DOC@@
    With the same seed it starts from the same weights as graphlab.compile(graph, seed=seed).
    """

    def __init__(self, seed: int = @@SEED@@) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # seeded here; the caller's RNG is left as it was
            torch.manual_seed(seed)
@@INIT@@

    def forward(self, @@PARAMS_SIG@@) -> @@RET_TYPE@@:
@@FORWARD@@
        return @@RET@@
''')
GEN_LINE = Code("            gen = torch.Generator().manual_seed(seed)")
INIT_LINE = Template("            self.@@ATTR@@ = @@CALL@@@@NOTE@@")
APPLY_INIT_LINE = Template("            apply_init(self.@@ATTR@@, @@SCHEME@@, gen, @@NONLIN@@)")
FORWARD_LINE = Template("        @@OUT@@ = self.@@ATTR@@(@@ARGS@@)@@NOTE@@")


@dataclass
class ModelSource:
    """Source pieces of one exported model; ``code()`` joins them into module-level code."""

    class_name: str
    helpers: list[str] = field(default_factory=list)  # GraphLab helper definitions, in order
    class_source: Code = Code("")
    input_names: list[str] = field(default_factory=list)  # forward() argument names, Input order
    input_shapes: list[tuple[int, ...]] = field(default_factory=list)
    output_shape: tuple[int, ...] | None = None
    uses_init: bool = False

    def code(self) -> Code:
        parts = [helper_source(h) for h in self.helpers]
        if self.uses_init:
            parts.append(INIT_SOURCE)
        parts.append(Code(self.class_source.text.strip("\n")))
        return join(parts, "\n\n\n")


def training_seed(graph: Graph) -> int:
    """The experiment's seed (``training.seed``), which ``graphlab train`` compiles with; 0 if unset or bad."""
    seed = graph.training.get("seed", 0) if isinstance(graph.training, dict) else 0
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else 0


def class_name_for(graph: Graph, taken: Iterable[str] = ()) -> str:
    """A class name from the graph's name: its ASCII letters and digits in CamelCase, else ``Net``;
    ``Net`` is appended while it would be one of the script's other names (``taken``: every word of
    the trusted text around it, see :func:`script_words`)."""
    words = re.findall(r"[A-Za-z0-9]+", graph.name or "")
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Net"
    if not name[0].isalpha():
        name = "Net" + name
    avoid = set(taken) | _model_words()
    while name in avoid:
        name += "Net"
    return name


@functools.cache
def _model_words() -> frozenset[str]:
    """The words of everything model_source writes around the class: helpers, init, load_weights."""
    sources = [helper_source(n) for n in _own_objects()] + [INIT_SOURCE, LOAD_WEIGHTS_SOURCE]
    return script_words(CLASS, *sources) | set(_own_objects()) | {"Model"}


def script_words(*parts: Template | Code | str) -> frozenset[str]:
    """Every identifier-like word of the given trusted templates and fragments."""
    out: set[str] = set()
    for p in parts:
        out |= p.identifiers if isinstance(p, Template) else identifiers(p.text if isinstance(p, Code) else p)
    return frozenset(out)


def _shape_text(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "?"
    return "[B" + "".join(f", {d}" for d in shape) + "]"


def _spec(graph: Graph, nid: str) -> Any:
    spec = REGISTRY.get(graph.nodes[nid].type)
    assert spec is not None  # analysis reported unknown types
    return spec


def _name(text: str, what: str) -> Name:
    try:
        return Name(text)
    except CodegenError:
        raise ExportError(f"{text!r}: the {what} is not a plain identifier (letters, digits and _), so it "
                          f"cannot name an attribute of the exported module; rename it") from None


def layer_call(spec: Any, resolved: Any, input_shapes: Any, shape: Any) -> tuple[str, tuple, dict, bool]:
    """What the layer catalogue says builds a layer: (callee — ``nn.<Class>`` or one of GraphLab's own
    modules —, positional args, keyword args, whether the callee is GraphLab's own). The one place the
    exporters read the catalogue's constructor knowledge (the spec's :class:`TorchModule`, the same
    one the compiler builds from)."""
    t = spec.torch
    if t is None:
        raise ExportError(f"cannot export a {spec.type} layer yet")
    return t.qualname, (), dict(t.kwargs(resolved, input_shapes, shape)), t.own


def _constructor(nid: str, spec: Any, ni: Any) -> tuple[Code, str | None]:
    """The constructor call of one layer, and the GraphLab helper it needs (None for torch.nn)."""
    try:
        callee, args, kwargs, own = layer_call(spec, ni.resolved, ni.input_shapes, ni.shape)
    except ExportError as e:
        raise ExportError(f"{nid}: {e}") from None
    helper = None
    if own:
        if callee not in _own_objects():
            raise ExportError(f"{nid}: {spec.type} names {callee!r}, which is not one of GraphLab's modules")
        helper = callee
    try:
        return call(callee, args, kwargs), helper
    except CodegenError as e:
        raise ExportError(f"{nid}: {spec.type} cannot be written as code ({e})") from None


def _init_scheme(graph: Graph) -> str:
    """The graph's init scheme (``training.init``, default "default"); every node's own one checked too."""
    scheme = (graph.training.get("init") or "default") if isinstance(graph.training, dict) else "default"
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ExportError(f"training.init: unknown init scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    for nid, node in graph.nodes.items():
        if node.init is not None and node.init not in SCHEMES:
            raise ExportError(f"{nid}.init: unknown init scheme {node.init!r}; use one of {', '.join(SCHEMES)}")
    return scheme


class _Locals:
    """forward()'s local variable names: the node id, with ``_`` appended while it clashes."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, nid: str) -> Name:
        if nid not in self.names:
            name = nid
            while name in _RESERVED_LOCALS or name in self.names.values():
                name += "_"
            self.names[nid] = name
        return _name(self.names[nid], f"node id {nid!r}")


def _layer_note(spec: Any, ni: Any) -> str:
    """The comment beside a layer's constructor: its summary and parameter count."""
    summary = spec.summary(ni.resolved) if spec.summary and ni.resolved is not None else None
    if summary and " dim " in summary:
        summary += " (per sample; batch excluded)"
    return ", ".join(x for x in (summary, f"{fmt_count(ni.params)} params" if ni.params else None) if x)


def _layer_lines(graph: Graph, a: Analysis, scheme: str, src: ModelSource,
                 local: _Locals) -> tuple[list[Code], list[Code]]:
    """``__init__``'s and ``forward``'s lines, layer by layer in the compiler's order; sets ``src.helpers``
    and ``src.uses_init``."""
    names = submodule_names(graph, a)
    init_lines: list[Code] = []
    fwd_lines: list[Code] = []
    used: list[str] = []
    for nid in a.order:
        if nid not in names:
            continue
        attr = _name(names[nid], f"node id {nid!r}")
        ni = a.nodes[nid]
        spec = _spec(graph, nid)
        ctor, helper = _constructor(nid, spec, ni)
        if helper is not None and helper not in used:
            used.append(helper)
        init_lines.append(INIT_LINE.fill(ATTR=attr, CALL=ctor, NOTE=Code(comment(_layer_note(spec, ni)))))
        node_scheme = graph.nodes[nid].init or scheme
        if node_scheme != "default" and spec.initialisable and ni.params > 0:
            src.uses_init = True
            init_lines.append(APPLY_INIT_LINE.fill(ATTR=attr, SCHEME=Lit(node_scheme),
                                                   NONLIN=Lit(_nonlinearity_after(graph, nid))))
        args = join([local(s) for s in ni.sources], ", ")
        fwd_lines.append(FORWARD_LINE.fill(OUT=local(nid), ATTR=attr, ARGS=args,
                                           NOTE=Code(comment(_shape_text(ni.shape)))))
    src.helpers = helper_names(used)
    if src.uses_init:
        init_lines.insert(0, GEN_LINE)
    return init_lines, fwd_lines


def _returned(a: Analysis, src: ModelSource, local: _Locals) -> tuple[Code, Code, str]:
    """forward()'s return expression, its type and the docstring's output text; sets ``src.output_shape``."""
    if a.output is not None:
        src.output_shape = a.nodes[a.output].shape
        return Code(local(a.output).text), Code("torch.Tensor"), _shape_text(src.output_shape)
    sinks = a.sinks
    ret = Code("(" + ", ".join(local(s).text for s in sinks) + ("," if len(sinks) == 1 else "") + ")")
    return ret, Code("tuple[torch.Tensor, ...]"), "a tuple of the graph's outputs"


def model_source(graph: Graph, seed: int = 0, analysis: Analysis | None = None,
                 taken: Iterable[str] = ()) -> ModelSource:
    """The model class for ``graph``; ``graphlab.compile(graph, seed=seed)`` is what it builds by default.
    ``taken``: the names the rest of the script uses, which the class name must not shadow.

    Raises :class:`ExportError` when the graph has errors or an id cannot name an attribute."""
    a = analysis or analyze(graph)
    if not a.ok:
        raise ExportError(f"the graph has {len(a.errors)} error(s), the first: {a.errors[0].text()}")
    scheme = _init_scheme(graph)
    src = ModelSource(class_name_for(graph, taken))
    local = _Locals()
    for nid in a.inputs:
        src.input_names.append(local(nid).text)
        src.input_shapes.append(tuple(a.nodes[nid].shape or ()))
    init_lines, fwd_lines = _layer_lines(graph, a, scheme, src, local)
    ret, ret_type, out_doc = _returned(a, src, local)
    in_doc = "; ".join(f"{n}: {_shape_text(s)}" for n, s in zip(src.input_names, src.input_shapes, strict=True))
    loss_doc = ""
    if a.loss is not None:
        loss_doc = (f"\n    Trained with {_spec(graph, a.loss).display} ({graph.nodes[a.loss].type}), "
                    f"which is not part of the model.")
    src.class_source = CLASS.fill(
        CLASS=_name(src.class_name, "class name"), PARAMS=Code(f"{a.total_params:,}"),
        IN_DOC=Code(in_doc), OUT_DOC=Code(out_doc), LOSS_DOC=Code(loss_doc), SEED=Lit(seed),
        INIT=join(init_lines) if init_lines else Code("            pass"),
        PARAMS_SIG=Code(", ".join(f"{n}: torch.Tensor" for n in src.input_names)), RET_TYPE=ret_type,
        FORWARD=join(fwd_lines), RET=ret)
    return src


def loss_call(graph: Graph, a: Analysis) -> Code:
    """The loss module's constructor call, from its spec's export rule."""
    assert a.loss is not None
    return _constructor(a.loss, _spec(graph, a.loss), a.nodes[a.loss])[0]


__all__ = ["ExportError", "ModelSource", "class_name_for", "layer_call", "loss_call", "model_source", "script_words",
           "training_seed"]
