"""What a search key sets, which values it takes, and a graph with a trial's values applied.

* ``training.<field>``: a field of the training section's table (:mod:`graphlab.run.schema`) — a plain
  field (``optimizer.lr``, ``regularization.l2``, ``batch_size``), a variant's name
  (``optimizer.name``) or a knob of the active variant (``optimizer.momentum`` while the optimizer
  is momentum, or of every optimizer a searched ``optimizer.name`` can pick). The fields that define
  the experiment's data (the dataset, the split, the seed) and the ones the search sets itself
  (``epochs``, ``seed``) cannot be searched: the trials would not be comparable.
* ``<node id>.<param>``: a parameter of that node's layer spec (``fc1.out_features``, ``drop.p``).

Each key's target is a field of the shared field language (:mod:`graphlab.core.fields`: the schema
row's or the layer parameter's ``field``), and :func:`check_range` checks a range on it: numbers take
``uniform``/``log_uniform`` (real) or ``int``/``int_log`` (whole); every kind takes ``choice``; both ends
of a range, and every choice, go through the target's own ``coerce``. No torch.
"""
from __future__ import annotations

import copy
from typing import Any

from ..core import fields
from ..core.graph import Graph
from ..core.registry import REGISTRY
from ..core.text import quote
from ..run.schema import FIELDS, VARIANT_NAMES, VARIANTS, ConfigError, Field, variant_of, with_value, with_variant
from .space import Dist, SearchError, SearchSpec, range_field, space_key

#: training fields a search may not set, and why
NOT_SEARCHED = {
    "seed": "each trial's seed is set by the search (and recorded)",
    "epochs": "set search.epochs instead",
    "val_fraction": "every trial must be validated on the same samples; set search.val_fraction to change the split",
    "test_fraction": "the test split is never read by a search",
    "device": "the device is not a hyperparameter",
    "threads": "each worker trains with one thread",
    "stats.budget": "statistics are not a hyperparameter",
}
_TRAINING = "training."


def _field(key: str, graph: Graph, space: dict[str, Dist]) -> Field:
    """The schema field a ``training.`` key names; SearchError when there is none."""
    where = space_key(key)
    sub = key[len(_TRAINING):]
    for bad, why in NOT_SEARCHED.items():
        if sub == bad:
            raise SearchError(where, f"cannot be searched: {why}")
    if sub.startswith("dataset."):
        raise SearchError(where, "cannot be searched: every trial must see the same data")
    if sub in FIELDS:
        return FIELDS[sub]
    section, _, knob = sub.partition(".")
    if section in VARIANTS:
        if knob == "name":
            return VARIANT_NAMES[section]
        named = space.get(f"{_TRAINING}{section}.name")
        variants = [c for c in named.choices] if named is not None else [variant_of(graph.training, section)]
        found = [f for v in variants if isinstance(v, str) and v in VARIANTS[section]
                 for f in VARIANTS[section][v] if f.name == knob]
        if found and len(found) == len(variants):
            return found[0]
        if found or any(f.name == knob for fs in VARIANTS[section].values() for f in fs):
            which = ", ".join(str(v) for v in variants)
            raise SearchError(where, f"{quote(knob)} is not a setting of every {section} searched ({which})")
    raise SearchError(where, f"the training section has no field {quote(sub)}")


def check_range(target: fields.Field, dist: Dist, where: str, path: str, node: str | None = None) -> None:
    """A range or choice on a target field, in the field language (:class:`graphlab.core.fields.RangeField`):
    whole-number fields take ``int``/``int_log``, real ones ``uniform``/``log_uniform``, every kind ``choice``;
    each end of a range and each choice goes through the target's own ``coerce`` (so its bounds and its
    words apply)."""
    try:
        range_field(where, target, path).coerce(dist.to_json())
    except SearchError as e:
        raise SearchError(where, e.reason, node) from None


def target_of(graph: Graph, key: str, space: dict[str, Dist] | None = None) -> tuple[fields.Field, str, str | None]:
    """What a space key sets: its field (the schema row's or the layer parameter's), how messages name it
    (``training.optimizer.lr``, ``fc1.out_features``) and its node (None for a training key).
    SearchError naming the key when it sets nothing searchable. ``space``: the other keys searched
    (a searched optimizer name decides which knobs exist)."""
    space = space or {}
    if not isinstance(key, str) or not key:
        raise SearchError(space_key(str(key)), "a key is training.<field> or <node id>.<param>")
    if key.startswith(_TRAINING) and "training" not in graph.nodes:
        f = _field(key, graph, space)
        return f.field, f.path, None
    where = space_key(key)
    nid, dot, pname = key.partition(".")
    if not dot or not pname:
        raise SearchError(where, "a key is training.<field> or <node id>.<param>")
    node = graph.nodes.get(nid)
    if node is None:
        raise SearchError(where, f"the graph has no node {quote(nid)} (keys are training.<field> or <node id>.<param>)")
    spec = REGISTRY.get(node.type)
    if spec is None:
        raise SearchError(where, f"node {quote(nid)} has the unknown layer type {quote(node.type)}", nid)
    param = next((p for p in spec.params if p.name == pname), None)
    if param is None:
        names = ", ".join(p.name for p in spec.params) or "(none)"
        raise SearchError(where, f"{spec.type} has no parameter {quote(pname)}; its parameters: {names}", nid)
    return param.field, f"{nid}.{pname}", nid


def check_target(graph: Graph, key: str, dist: Dist, space: dict[str, Dist]) -> None:
    """SearchError unless ``key`` names a searchable field that takes every value of ``dist``."""
    target, path, node = target_of(graph, key, space)
    check_range(target, dist, space_key(key), path, node)


def searchable_keys(graph: Graph, space: dict[str, Dist] | None = None) -> list[str]:
    """Every key a search section of ``graph`` could add (an editor's list): the training fields a search
    may set (the active variants' knobs and the variants' names) and the nodes' numeric, true/false and
    choice parameters, in schema and file order."""
    space = space or {}
    keys: list[str] = []
    candidates = [f.key for f in FIELDS.values()] + [f"{sec}.name" for sec in VARIANTS]
    candidates += [f"{sec}.{f.name}" for sec in VARIANTS for f in VARIANTS[sec].get(variant_of(graph.training, sec), ())]
    if "training" not in graph.nodes:
        for sub in candidates:
            key = _TRAINING + sub
            try:
                target, _, _ = target_of(graph, key, space)
            except SearchError:
                continue
            if fields.range_kinds(target) and key not in keys:
                keys.append(key)
    for nid, node in graph.nodes.items():
        spec = REGISTRY.get(node.type)
        for p in spec.params if spec is not None else ():
            if fields.range_kinds(p.field) and not isinstance(p.field, fields.PairField):
                keys.append(f"{nid}.{p.name}")
    return keys


def current_value(graph: Graph, key: str) -> Any:
    """The value a key has in the graph now (a node parameter's default when it is not set; None when
    the training section does not give one)."""
    if key.startswith(_TRAINING) and "training" not in graph.nodes:
        from ..run.schema import form_values

        values, _ = form_values(graph.training)
        sub = key[len(_TRAINING):]
        section, _, knob = sub.partition(".")
        return values.get("@" + section) if section in VARIANTS and knob == "name" else values.get(sub)
    nid, _, pname = key.partition(".")
    node = graph.nodes.get(nid)
    spec = REGISTRY.get(node.type) if node is not None else None
    param = next((p for p in spec.params if p.name == pname), None) if spec is not None else None
    if node is None or param is None:
        return None
    return node.params.get(pname, param.default)


def trial_val_fraction(graph: Graph, spec: SearchSpec) -> float:
    """The validation share the trials use: the search's, else the training section's (0.2 by default)."""
    if spec.val_fraction is not None:
        return spec.val_fraction
    t = graph.training if isinstance(graph.training, dict) else {}
    v = t.get("val_fraction", FIELDS["val_fraction"].default)
    try:
        return float(FIELDS["val_fraction"].check(v))
    except ConfigError:
        return 0.0  # the training section's own error is reported by whoever parses it


def check_split(graph: Graph, spec: SearchSpec) -> None:
    """The trials need a validation split; a classification metric needs a classification loss."""
    if trial_val_fraction(graph, spec) <= 0:
        raise SearchError("search.val_fraction", "the trials need a validation split, and training.val_fraction is 0: "
                                                 "set search.val_fraction (e.g. 0.2)")
    if spec.metric == "val_acc":
        tasks = {s.task for n in graph.nodes.values() if (s := REGISTRY.get(n.type)) is not None and s.is_loss}
        if tasks == {"regression"}:
            raise SearchError("search.metric", "val_acc needs a classification loss; this graph's loss is a "
                                               "regression one: use val_loss")


# -- applying a trial's values ---------------------------------------------------------------------------

def trial_changes(graph: Graph, values: dict[str, Any], **training: Any) -> tuple[dict[str, Any],
                                                                                  dict[str, dict[str, Any]]]:
    """What a trial's ``values`` change: the new training section, and ``{node id: {param: value}}`` —
    for an editor's "apply the best trial" (one undo step) and :func:`apply_values`. ``training``: plain
    training fields to set too (``seed=3, epochs=10``; None leaves one as it is). Variant names are set
    before their knobs."""
    t: dict[str, Any] = copy.deepcopy(graph.training) if isinstance(graph.training, dict) else {}
    params: dict[str, dict[str, Any]] = {}
    for key, v in sorted(values.items(), key=lambda kv: not kv[0].endswith(".name")):
        if key.startswith(_TRAINING) and "training" not in graph.nodes:
            sub = key[len(_TRAINING):]
            section, _, knob = sub.partition(".")
            if section in VARIANTS and knob == "name":
                t = with_variant(t, section, v) if variant_of(t, section) != v else t
            else:
                t = with_value(t, sub, v)
        else:
            nid, _, pname = key.partition(".")
            params.setdefault(nid, {})[pname] = v
    for k, v in training.items():
        if v is not None:
            t[k] = v
    return t, params


def apply_values(graph: Graph, values: dict[str, Any], **training: Any) -> Graph:
    """A copy of ``graph`` with a trial's ``values`` set (keys as in the search section) and the given
    plain training fields (:func:`trial_changes`)."""
    from ..io import dumps, loads

    t, params = trial_changes(graph, values, **training)
    g = loads(dumps(graph))
    for nid, changes in params.items():
        g.nodes[nid].params.update(changes)
    g.training = t
    return g
