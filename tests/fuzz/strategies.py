"""Hypothesis strategies for hostile input, the settings of the fuzz suite, and an AST normaliser.

``GRAPHLAB_FUZZ=long`` selects the long profile (many more examples, random seeds); the default is
the quick, derandomized profile the README's test command runs.
"""
from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LONG = os.environ.get("GRAPHLAB_FUZZ", "quick") == "long"


def fuzz_settings(quick: int, long: int | None = None) -> settings:
    """``quick`` examples (derandomized, so a run is repeatable) or, with GRAPHLAB_FUZZ=long, ``long``."""
    return settings(max_examples=(long or quick * 25) if LONG else quick, deadline=None, derandomize=not LONG,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
                    print_blob=True)


def _template_markers() -> list[str]:
    """Every @@SLOT@@ marker the exporters' templates use, and some they do not."""
    root = Path(__file__).resolve().parents[2] / "graphlab" / "export"
    found = set()
    for path in root.glob("*.py"):
        found |= set(re.findall(r"@@[A-Z][A-Z0-9_]*@@", path.read_text(encoding="utf-8")))
    return sorted(found | {"@@CLASSIFICATION@@", "@@INIT_WEIGHTS@@", "@@NAME@@", "@@X@@", "@@"})


#: pieces that break naive code generation: quotes of every kind, escapes, line and paragraph
#: separators, NUL and control characters, template markers, format placeholders, comment starts
HOSTILE_PIECES = ['"', "'", '"""', "'''", "\\", "\\n", "\\x00", "\x00", "\n", "\r", "\r\n", "\t", "\x0b", "\x0c",
                  "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\u202e", "#", ";", ":", "(", ")", "{", "}",
                  "{0}", "{name}", "%s", "%(x)s", "%", "$", "`", "f'{x}'", "\\N{BULLET}", "é", "中", "😀",
                  "import os; os.system('echo pwned')", "__import__('os')", "'); exit(1) #", '"""; x = 1; """',
                  "\ndef f():\n    pass\n", " ", "a", "_", "0"] + _template_markers()


def hostile_text(min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    """Strings made of hostile pieces and arbitrary characters (including surrogates' neighbours)."""
    piece = st.one_of(st.sampled_from(HOSTILE_PIECES), st.characters(blacklist_categories=("Cs",)))
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


def file_text(min_size: int = 1) -> st.SearchStrategy[str]:
    """Hostile text that can be a file name: no NUL, no '/', not '.' or '..', not too long."""
    return hostile_text(min_size, 8).map(lambda s: s.replace("\x00", "").replace("/", "_")).filter(
        lambda s: s not in ("", ".", "..") and len(s.encode("utf-8", "surrogateescape")) < 120)


class _Normalise(ast.NodeTransformer):
    """Blank every constant; rename every identifier by order of first appearance (or, with
    ``blank_names``, to one name: then only the tree's shape and node kinds are compared)."""

    def __init__(self, blank_names: bool = False) -> None:
        self.names: dict[str, str] = {}
        self.blank_names = blank_names

    def _n(self, name: str | None) -> str | None:
        if name is None:
            return None
        if self.blank_names:
            return "N"
        return self.names.setdefault(name, f"n{len(self.names)}")

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.copy_location(ast.Constant(value="C"), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._n(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        node.attr = self._n(node.attr)
        return node

    def _named(self, node: ast.AST) -> ast.AST:
        node.name = self._n(node.name)  # type: ignore[attr-defined]
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_ClassDef = _named

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._n(node.arg)
        self.generic_visit(node)
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        node.arg = self._n(node.arg)
        self.generic_visit(node)
        return node


def normalised(source: str, *, blank_names: bool = False) -> str:
    """The syntax tree of ``source`` with constants blanked and identifiers renamed consistently, dumped:
    two sources give the same text iff they differ only in constants (and a renaming of names).
    ``blank_names``: every identifier becomes one name (for node ids, which name attributes and locals)."""
    tree = _Normalise(blank_names).visit(ast.parse(source))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def assigned_literal(source: str, name: str) -> object:
    """The value of the module-level ``name = <literal>`` in ``source``."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return ast.literal_eval(node.value)
    raise KeyError(name)


def module_bindings(source: str) -> list[str]:
    """Every name the module binds at top level, in order (a name bound twice shadows the first)."""
    names: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [a.asname or a.name.split(".")[0] for a in node.names]
    return names


# ---- graph files ------------------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: small examples to mutate (the ImageNet-size ones are analysed but never trained)
SMALL_EXAMPLES = ["spiral_linear", "two_layer_net", "spiral_two_layer", "linear_classifier", "backprop_gates",
                  "digits_cnn", "lenet5", "adding_lstm", "sine_gru", "resnet_block", "inception_block",
                  "optimizer_adam"]
#: numbers at and past the edges: huge ints (beyond float range), tiny and huge floats, negative zero
EXTREME_NUMBERS = [0, -1, 1, 2 ** 31, 2 ** 63, -(2 ** 63), 10 ** 30, 10 ** 400, -(10 ** 400), 1e308, -1e308, 1e-320,
                   5e-324, -0.0, 0.5, 1e9, 1e30, 3.0]


def numbers() -> st.SearchStrategy[int | float]:
    return st.one_of(st.sampled_from(EXTREME_NUMBERS), st.integers(-3, 40),
                     st.floats(allow_nan=False, allow_infinity=False, width=64))


def json_scalars() -> st.SearchStrategy[object]:
    return st.one_of(st.none(), st.booleans(), numbers(), hostile_text(0, 6))


def json_values(max_leaves: int = 8) -> st.SearchStrategy[object]:
    return st.recursive(json_scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text(0, 4), inner, max_size=4)), max_leaves=max_leaves)


def example_doc(name: str) -> dict:
    import json

    return json.loads((EXAMPLES / f"{name}.graphlab.json").read_text(encoding="utf-8"))


def _paths(doc: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) into a JSON document."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


#: values that are plausible in a graph file (layer types, param names, ids) mixed into mutations
PLAUSIBLE = ["Input", "Linear", "Conv2d", "ReLU", "LSTM", "CrossEntropyLoss", "MSELoss", "Add", "Concat", "Softmax",
             "out_features", "kernel_size", "shape", "hidden_size", "dim", "x", "fc1", "loss", "params", "pos", "init",
             "kaiming", "port", "from", "to", [1, 28, 28], [2], [3, 4, 4], {"shape": [2]}, {"out_features": 3}]


@st.composite
def mutated_docs(draw, names: list[str] | None = None) -> dict:
    """An example's document with 1–3 of its values replaced, deleted or added."""
    import copy

    doc = copy.deepcopy(example_doc(draw(st.sampled_from(names or SMALL_EXAMPLES))))
    # Hypothesis's simplest draws (its first examples, and where it shrinks to) are the first of each
    # choice: here they mean a small change deep inside a real graph, not a replaced document.
    if draw(st.integers(0, 19)) == 19:
        return draw(json_values())
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths[::-1]))  # deepest first
        value = copy.deepcopy(draw(st.one_of(st.sampled_from(PLAUSIBLE), numbers(), json_values())))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        last = path[-1]
        if action == "replace":
            parent[last] = value
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.one_of(hostile_text(0, 4), st.sampled_from(PLAUSIBLE[:24])))] = value
        else:
            parent.insert(last, value)
    return doc


@st.composite
def broken_texts(draw) -> bytes:
    """A graph file's bytes, broken: truncated, with a byte changed, with NaN / huge number tokens, deep
    nesting, another encoding, or random bytes."""
    import json

    text = json.dumps(draw(mutated_docs()), ensure_ascii=draw(st.booleans()))
    kind = draw(st.sampled_from(["truncate", "byte", "token", "nest", "encoding", "random", "bom"]))
    if kind == "truncate":
        return text.encode()[: draw(st.integers(0, len(text)))]
    if kind == "byte":
        raw = bytearray(text.encode())
        i = draw(st.integers(0, len(raw) - 1))
        raw[i] = draw(st.integers(0, 255))
        return bytes(raw)
    if kind == "token":
        token = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1" + "0" * 400, "1e999", "-1e999",
                                      "1" + "0" * 5000, '"\\ud800"', '"\\u0000"', "1.5e-400", "[]", "{}", "null"]))
        m = draw(st.sampled_from(list(re.finditer(r"\d+(\.\d+)?|null|true|false", text)) or [None]))
        if m is None:
            return text.encode()
        return (text[: m.start()] + token + text[m.end():]).encode()
    if kind == "nest":
        depth = draw(st.sampled_from([50, 70, 1000, 100_000]))
        return ('{"graphlab": 1, "name": ' + "[" * depth + "]" * depth + "}").encode()
    if kind == "encoding":
        return text.encode(draw(st.sampled_from(["utf-16", "utf-32", "latin-1"])), "replace")
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    return draw(st.binary(max_size=200))


# ---- training sections and data -----------------------------------------------------------------------

TINY_DATASETS = [{"name": "spiral", "classes": 3, "points": 10}, {"name": "spiral", "classes": 2, "points": 5},
                 {"name": "adding", "samples": 20, "length": 4}, {"name": "sine", "samples": 20, "length": 4},
                 {"name": "digits"}]


#: tiny data that fits each trainable example
TINY_FOR = {"spiral_linear": {"name": "spiral", "points": 10}, "two_layer_net": {"name": "spiral", "points": 10},
            "spiral_two_layer": {"name": "spiral", "points": 10},
            "linear_classifier": {"name": "spiral", "points": 10},
            "adding_lstm": {"name": "adding", "samples": 20, "length": 50},
            "sine_gru": {"name": "sine", "samples": 20, "length": 20}, "optimizer_adam": {"name": "digits"}}


@st.composite
def training_sections(draw, dataset: dict | None = None) -> object:
    """A training section on tiny data (``dataset``, else one drawn) with 0–3 fields fuzzed (hostile,
    extreme or plausible values)."""
    t: dict = {"dataset": dict(dataset or draw(st.sampled_from(TINY_DATASETS))), "epochs": 1, "batch_size": 16}
    keys = ["dataset", "val_fraction", "preprocess", "augment", "optimizer", "schedule", "regularization",
            "clip_grad_norm", "init", "epochs", "batch_size", "seed", "device", "threads", "stats", "bogus"]
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(keys))
        if key == "dataset" and isinstance(t.get("dataset"), dict) and draw(st.booleans()):
            field = draw(st.sampled_from(["classes", "points", "noise", "seed", "samples", "length", "size", "path",
                                          "name", "x"]))
            t["dataset"][field] = draw(st.one_of(numbers(), hostile_text(0, 4), json_values(4)))
        elif key in ("optimizer", "schedule", "augment", "regularization", "stats") and draw(st.booleans()):
            sub = {"optimizer": ["name", "lr", "momentum", "beta1", "eps"], "schedule": ["name", "gamma", "step_size",
                   "t_max"], "augment": ["hflip", "crop_padding", "color_jitter"], "regularization": ["l1", "l2"],
                   "stats": ["budget"]}[key]
            section = {"optimizer": {"name": "adam"}, "schedule": {"name": "step"}}.get(key, {})
            section[draw(st.sampled_from(sub))] = draw(st.one_of(numbers(), hostile_text(0, 4),
                                                                 st.sampled_from(["sgd", "adam", "cosine", "step"])))
            t[key] = section
        elif key in ("epochs",):
            t[key] = draw(st.one_of(st.sampled_from([0, 1, 2, -1, 10 ** 9, 10 ** 400, 1.5, "1"]), json_values(2)))
        else:
            t[key] = draw(st.one_of(numbers(), hostile_text(0, 4), json_values(4),
                                    st.sampled_from(["full", "auto", "cpu", "xavier", "standardize", None])))
    return t if draw(st.integers(0, 19)) < 19 else draw(json_values(4))
