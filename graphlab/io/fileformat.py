"""The graph file format, version 3: JSON that diffs well.

::

    {"graphlab": 3, "name": "...",
     "nodes": [{"id": "conv1", "type": "Conv2d", "params": {...}, "pos": [x, y], "init": "kaiming",
                "group": "layer1_0", "trainable": false}],
     "edges": [{"from": "a", "to": "b", "port": 0}],
     "groups": [{"id": "layer1_0", "name": "layer1.0", "parent": "layer1", "collapsed": true}],
     "training": {...},
     "step": {"source": "typed", "inputs": {"x": [-2], "y": [5]}},
     "search": {"space": {...}, "trials": 20, ...}}

* ``params``, ``pos``, ``init`` and ``port`` may be left out (defaults: {}, [0, 0], graph-wide, 0).
* ``group`` (a node's innermost group) and ``"trainable": false`` (a frozen node) are written only when
  set; ``groups`` (sub-graphs, :mod:`graphlab.core.groups`) in file order, parents before children, only
  when there are any. A group's ``parent`` and ``collapsed`` are left out when null / false.
* Version 2 made ``training.regularization.l2`` the course's ½·λ·ΣW² (``migrations.v1_to_v2`` doubles
  a version-1 file's value). Version 3 added groups and ``trainable``. A file that uses neither is
  still written as version 2, byte for byte as before, so files and examples without them do not
  change; a file that uses them is version 3, which an older GraphLab refuses ("update GraphLab")
  instead of silently training a frozen node or dropping the groups (``migrations.v2_to_v3``).
* ``training`` is the experiment (dataset, optimizer…); this module keeps it as plain data.
* ``step`` (optional) is the stepper's configuration (:mod:`graphlab.step.config`: where the inputs
  come from, typed values per Input node, seed, batch, weights, mode), kept as plain data like
  ``training`` and written only when not empty, with its keys in the order
  :data:`graphlab.step.config.KEYS` (unknown keys last), so it diffs line by line. Its values and
  unknown keys are reported by ``parse_step`` (``graphlab check``, the editor's stepper panel).
* ``search`` (optional) is the hyperparameter search (:mod:`graphlab.search.space` checks it); kept as
  plain data, written after ``step`` with its keys in a fixed order, one space key per line.
* Unknown top-level and per-node keys are kept and written back.
* Loading parses JSON only: nothing in a file is ever executed, evaluated or unpickled. Files from
  newer versions are refused; older ones go through :mod:`graphlab.io.migrations` (version 2:
  ``training.regularization.l2`` means ½·λ·ΣW²; a version-1 file's λ is doubled; version 3 added the
  groups and ``trainable``).
* Saving is atomic (temporary file in the same folder, fsync, rename) with a stable key order and
  one item per line, so two versions of a graph diff line by line. Temporary files carry their
  owner's pid; ones left by a crashed writer are removed by the next save (:mod:`graphlab.io.tempfiles`).
  The saved file keeps the original file's permission bits; a new file gets the umask default.

Structural problems (not JSON, wrong types, a missing id) raise :class:`FileFormatError` naming the
field; problems of the *graph* (unknown types, bad params, cycles, duplicate ids) load fine and are
reported by :func:`graphlab.core.analyze`, so the editor can open and fix such a file.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ..core.gc_pause import gc_paused
from ..core.graph import MAX_PORT, Edge, Graph, LoadProblem, Node, fresh_id, valid_id
from ..core.text import finite_number, quote, show_value
from .groups_format import read_groups, write_groups
from .migrations import migrate
from .readfile import NotRegularFile, TooLarge, read_limited
from .values import clamp_coord, value_problem
from .tempfiles import clean_stale, create_temp

FORMAT_VERSION = 3
#: the version a file without groups or frozen nodes is written as (what it was before version 3)
PLAIN_VERSION = 2
MAX_BYTES = 64 * 1024 * 1024
_NODE_KEYS = ("id", "type", "params", "pos", "init", "group", "trainable")
_TOP_KEYS = ("graphlab", "name", "nodes", "edges", "groups", "training", "step", "search")
#: the keys of the ``step`` section in the order files write them (graphlab.step.config.KEYS says the same)
STEP_KEYS = ("source", "seed", "batch", "inputs", "weights", "train_mode")
#: the search section's keys in the order a save writes them (graphlab.search.space.KEYS says the same)
_SEARCH_KEYS = ("space", "trials", "sampler", "epochs", "metric", "pruning", "val_fraction", "seed")


class FileFormatError(Exception):
    """A file that cannot be read as a GraphLab graph. The message names the field."""


def load(path: str | os.PathLike[str]) -> Graph:
    p = Path(path)
    try:
        raw = read_limited(p, MAX_BYTES)  # a regular file only (not a FIFO, not /dev/zero), 64 MB at most
    except TooLarge:
        raise FileFormatError(f"{p}: more than {MAX_BYTES // 2 ** 20} MB is too large for a graph file") from None
    except NotRegularFile as e:
        raise FileFormatError(f"{p}: {e.strerror}; a graph file is a regular file") from None
    except FileNotFoundError:
        raise FileFormatError(f"{p}: no such file") from None
    except OSError as e:
        raise FileFormatError(f"{p}: cannot read: {e.strerror or e}") from None
    try:
        return loads(raw)
    except FileFormatError as e:
        raise FileFormatError(f"{p}: {e}") from None


def loads(raw: bytes | str) -> Graph:
    """A graph from a file's text (see the module docstring for what is checked)."""
    with gc_paused():  # millions of small objects, no cycles: see graphlab.core.gc_pause
        return _loads(raw)


def _loads(raw: bytes | str) -> Graph:
    if isinstance(raw, bytes):
        if not raw.strip():
            raise FileFormatError("the file is empty")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise FileFormatError(f"not a text file (byte {e.start} is not UTF-8); is it a graph file?") from None
    else:
        text = raw
    if not text.strip():
        raise FileFormatError("the file is empty")
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise FileFormatError(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise FileFormatError("not a graph file: the JSON nests too deeply") from None
    except ValueError as e:
        raise FileFormatError(f"not valid JSON: {e}") from None
    _check_values(doc)
    return from_dict(doc)


def _check_values(doc: Any) -> None:
    """Refuse what loads but could not be used or saved again (:func:`graphlab.io.values.value_problem`:
    numbers beyond float range, text that is not valid Unicode — keys too —, nesting deeper than
    MAX_DEPTH). The message names the field, and the node when the field is in one."""
    problem = value_problem(doc, name="" if isinstance(doc, (dict, list)) else "the document")
    if problem:
        raise FileFormatError(_with_node(doc, problem))


def _with_node(doc: Any, problem: str) -> str:
    """``nodes[3].params.p: …`` → ``nodes[3].params.p (node 'fc'): …`` when that node has an id."""
    if not problem.startswith("nodes[") or not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        return problem
    head, _, rest = problem.partition(": ")
    try:
        node = doc["nodes"][int(head[len("nodes["):head.index("]")])]
    except (ValueError, IndexError):
        return problem
    nid = node.get("id") if isinstance(node, dict) else None
    if not isinstance(nid, str) or value_problem(nid):
        return problem
    return f"{head} (node {quote(nid)}): {rest}"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a graph file")


def _type_name(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def from_dict(doc: Any) -> Graph:
    if not isinstance(doc, dict):
        raise FileFormatError(f"a graph file holds a JSON object, not {_type_name(doc)}")
    if "graphlab" not in doc:
        raise FileFormatError('not a GraphLab graph: the "graphlab" version key is missing')
    version = doc["graphlab"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise FileFormatError(f'"graphlab" must be the format version number, got {_type_name(version)}')
    if version > FORMAT_VERSION:
        raise FileFormatError(f"format version {version} is newer than this GraphLab understands "
                              f"(up to {FORMAT_VERSION}); update GraphLab")
    if version < 1:
        raise FileFormatError(f"format version {version} does not exist (versions start at 1)")
    doc = migrate(dict(doc), version, FORMAT_VERSION)

    g = Graph(_expect(doc.get("name", "untitled"), str, "name"))
    nodes = _expect(doc.get("nodes", []), list, "nodes")
    edges = _expect(doc.get("edges", []), list, "edges")
    training = _expect(doc.get("training", {}), dict, "training")
    g.training = training
    g.step = _expect(doc.get("step", {}), dict, "step")
    g.search = _expect(doc.get("search", {}), dict, "search")
    g.extra = {k: v for k, v in doc.items() if k not in _TOP_KEYS}
    g.groups = read_groups(_expect(doc.get("groups", []), list, "groups"), g.load_problems)
    loaded: dict[str, Node] = {}
    first_at: dict[str, int] = {}
    for i, raw in enumerate(nodes):
        node = _read_node_fast(raw) or _read_node(i, raw)
        nid = node.id
        if nid in loaded:  # renamed now, so the file's edges can refer to the new name
            node.id = fresh_id(nid + "_dup", loaded)
            g.load_problems.append(LoadProblem(node.id, f"duplicate id {quote(nid)} (nodes[{first_at[nid]}] and "
                                                        f"nodes[{i}]); this one was renamed {quote(node.id)}", "id"))
        first_at.setdefault(node.id, i)
        loaded[node.id] = node
    seen_edges: dict[Edge, None] = {}
    for i, raw in enumerate(edges):
        edge = _read_edge_fast(raw) or _read_edge(i, raw)
        if edge in seen_edges:
            g.load_problems.append(LoadProblem(edge.dst if edge.dst in loaded else None,
                                               f"edges[{i}] repeats the edge {quote(edge.src)} -> {quote(edge.dst)} "
                                               f"port {edge.port}; it was dropped", "edges"))
            continue
        seen_edges[edge] = None
    for node in loaded.values():
        if node.group is not None and node.group not in g.groups:
            g.load_problems.append(LoadProblem(node.id, f"group {quote(node.group)} is not in groups; "
                                                        "the node was taken out of it", "group"))
            node.group = None
    g.load_items(loaded.values(), seen_edges)
    return g


_NODE_KEYSET = frozenset(_NODE_KEYS)
_NUMBER = (int, float)


def _read_node_fast(raw: Any) -> Node | None:
    """The node of a well-formed entry, or None (then :func:`_read_node` says what is wrong)."""
    if type(raw) is not dict:
        return None
    nid, type_name, init = raw.get("id"), raw.get("type"), raw.get("init")
    params = raw["params"] if "params" in raw else {}
    pos = raw.get("pos", _ORIGIN)
    group, trainable = raw.get("group"), raw.get("trainable", True)
    if not (type(nid) is str and type(type_name) is str and type(params) is dict
            and (init is None or type(init) is str) and type(pos) is list and len(pos) == 2 and valid_id(nid)
            and (group is None or type(group) is str) and type(trainable) is bool):
        return None
    x, y = pos
    if not (type(x) in _NUMBER and type(y) in _NUMBER and finite_number(x) and finite_number(y)):
        return None
    extra_keys = raw.keys() - _NODE_KEYSET
    extra = {k: v for k, v in raw.items() if k in extra_keys} if extra_keys else {}
    return Node(nid, type_name, params, (clamp_coord(float(x)), clamp_coord(float(y))), init, extra, group, trainable)


_ORIGIN = [0, 0]


def _read_node(i: int, raw: Any) -> Node:
    """A node entry, checked field by field; raises FileFormatError naming the field."""
    where = f"nodes[{i}]"
    raw = _expect(raw, dict, where)
    if "id" not in raw:
        raise FileFormatError(f'{where}: the "id" key is missing')
    nid = _expect(raw["id"], str, f"{where}.id")
    if not valid_id(nid):
        raise FileFormatError(f"{where}.id: {quote(nid)} is not a valid id; use letters, digits and _ "
                              f"(not starting with a digit)")
    if "type" not in raw:
        raise FileFormatError(f'{where} ({quote(nid)}): the "type" key is missing')
    type_name = _expect(raw["type"], str, f"{where}.type")
    params = _expect(raw.get("params", {}), dict, f"{where}.params")
    pos = raw.get("pos", [0, 0])
    if (not isinstance(pos, list) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and finite_number(v) for v in pos)):
        raise FileFormatError(f"{where}.pos ({quote(nid)}): must be [x, y] numbers")
    init = raw.get("init")
    if init is not None and not isinstance(init, str):
        raise FileFormatError(f"{where}.init ({quote(nid)}): must be a string, got {_type_name(init)}")
    group = raw.get("group")
    if group is not None and not isinstance(group, str):
        raise FileFormatError(f"{where}.group ({quote(nid)}): must be a group id, got {_type_name(group)}")
    trainable = raw.get("trainable", True)
    if not isinstance(trainable, bool):
        raise FileFormatError(f"{where}.trainable ({quote(nid)}): must be true or false, got {_type_name(trainable)}")
    return Node(nid, type_name, params, (clamp_coord(float(pos[0])), clamp_coord(float(pos[1]))), init,
                {k: v for k, v in raw.items() if k not in _NODE_KEYS}, group, trainable)


def _read_edge_fast(raw: Any) -> Edge | None:
    if type(raw) is not dict:
        return None
    src, dst, port = raw.get("from"), raw.get("to"), raw.get("port", 0)
    if type(src) is str and type(dst) is str and type(port) is int and 0 <= port <= MAX_PORT:
        return Edge(src, dst, port)
    return None


def _read_edge(i: int, raw: Any) -> Edge:
    where = f"edges[{i}]"
    raw = _expect(raw, dict, where)
    for key in ("from", "to"):
        if key not in raw:
            raise FileFormatError(f'{where}: the "{key}" key is missing')
        _expect(raw[key], str, f"{where}.{key}")
    port = raw.get("port", 0)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT:
        raise FileFormatError(f"{where}.port: must be a whole number from 0 to {MAX_PORT}, got {show_value(port)}")
    return Edge(raw["from"], raw["to"], port)


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FileFormatError(f"{where}: must be {_type_name(kind())}, got {_type_name(value)}")
    return value


def to_dict(graph: Graph) -> dict[str, Any]:
    nodes = []
    for n in graph.nodes.values():
        d: dict[str, Any] = {"id": n.id, "type": n.type, "params": dict(n.params), "pos": _pos(n.pos)}
        if n.init is not None:
            d["init"] = n.init
        if n.group is not None:
            d["group"] = n.group
        if not n.trainable:
            d["trainable"] = False
        d.update(sorted(n.extra.items()))
        nodes.append(d)
    edges = []
    for e in graph.edges:
        d = {"from": e.src, "to": e.dst}
        if e.port:
            d["port"] = e.port
        edges.append(d)
    groups = write_groups(graph.groups)
    v3 = bool(groups) or any(n.group is not None or not n.trainable for n in graph.nodes.values())
    doc: dict[str, Any] = {"graphlab": FORMAT_VERSION if v3 else PLAIN_VERSION, "name": graph.name,
                           "nodes": nodes, "edges": edges}
    if groups:
        doc["groups"] = groups
    doc["training"] = graph.training
    if graph.step:
        doc["step"] = _ordered(graph.step, STEP_KEYS)
    if graph.search:
        doc["search"] = _ordered(graph.search, _SEARCH_KEYS)
    doc.update(sorted(graph.extra.items()))
    return doc


def _ordered(section: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """``section`` with ``keys`` first, in that order, and any other keys after them as they were."""
    out = {k: section[k] for k in keys if k in section}
    out.update((k, v) for k, v in section.items() if k not in out)
    return out


def _pos(p: tuple[float, float]) -> list[float | int]:
    """Positions to 2 decimals; whole numbers as ints, so saving twice writes the same text."""
    out: list[float | int] = []
    for v in p:
        r = round(float(v), 2)
        out.append(int(r) if r.is_integer() else r)
    return out


def dumps(graph: Graph) -> str:
    return _format(to_dict(graph), 0) + "\n"


def _format(v: Any, depth: int) -> str:
    """JSON with objects one key per line, and lists of scalars or small objects kept on one line."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(v, dict):
        if not v:
            return "{}"
        flat = json.dumps(v, ensure_ascii=False, allow_nan=False)
        if depth >= 2 and len(flat) <= 100 and not any(isinstance(x, dict) and x for x in v.values()):
            return flat
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_format(x, depth + 1)}" for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        flat = json.dumps(v, ensure_ascii=False, allow_nan=False)
        if all(not isinstance(x, (dict, list)) for x in v) and len(flat) <= 100:
            return flat
        return "[\n" + ",\n".join(inner + _format(x, depth + 1) for x in v) + "\n" + pad + "]"
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def save(graph: Graph, path: str | os.PathLike[str]) -> None:
    """Write the graph atomically. A graph holding a value that :func:`load` would refuse (see
    :mod:`graphlab.io.values`) is refused with FileFormatError naming the node and field, and the
    file on disk stays as it was: nothing saved is unopenable."""
    try:
        doc = to_dict(graph)
    except (TypeError, ValueError, AttributeError, OverflowError) as e:  # a model edited past its API
        raise FileFormatError(f"{path}: cannot save: the graph holds a value no graph file can ({e})") from None
    problem = value_problem(doc)
    if problem:
        raise FileFormatError(f"{path}: cannot save: {_with_node(doc, problem)}")
    try:
        from_dict(doc)  # and the structure load checks (an init that is no string, an id load refuses, ...)
    except FileFormatError as e:
        raise FileFormatError(f"{path}: cannot save: {e}") from None
    atomic_write(Path(path), (_format(doc, 0) + "\n").encode("utf-8"))


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def target_mode(path: Path) -> int:
    """The permission bits the saved file should have: the original file's, or what a newly
    created file gets under the umask (mkstemp itself creates 0600)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    The temporary file is named by its owner (:mod:`graphlab.io.tempfiles`), and stale ones that a
    crashed writer left in the folder are removed first. The file keeps the original's permission
    bits (or gets the umask default when it is new)."""
    path = Path(path).resolve()
    clean_stale(path.parent)
    mode = target_mode(path)
    fd, tmp = create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        if not hasattr(os, "fchmod"):  # pragma: no cover - Windows: only the read-only bit exists
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
