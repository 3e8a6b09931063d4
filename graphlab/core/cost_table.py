"""The cost table: one row per node with its figures, the totals, and CSV / Markdown text of them.

What the Cost dock shows and exports (the torchinfo view, exact: FLOPs as FlopCounterMode counts
them). Per sample (batch 1); ``saved`` is what autograd keeps for the node's backward pass, and the
total counts each kept tensor once (:meth:`~graphlab.core.analysis.Analysis.saved_bytes`), so it can
be less than the column's sum. Pure Python: the editor, the command line and tests read the same rows.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from .cost import Field, si
from .layers._common import fmt
from .memory import fmt_bytes
from .registry import REGISTRY


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str  # text | count | bytes | field
    help: str


COLUMNS = (  # the most read first: a narrow dock shows them without scrolling
    Column("node", "Node", "text", "the node's id"),
    Column("output", "Output", "text", "the output shape of one sample"),
    Column("params", "Params", "count", "learnable parameters"),
    Column("flops", "FLOPs", "count", "forward FLOPs, one sample: 2 × MACs (as torch's FlopCounterMode counts)"),
    Column("saved_bytes", "Saved", "bytes", "what autograd keeps for this node's backward pass, one sample"),
    Column("rf", "Receptive field", "field", "the input pixels one output unit sees: size, stride (jump) and "
                                             "where unit (0, 0)'s field starts"),
    Column("flops_backward", "Backward FLOPs", "count", "FLOPs of the backward pass in training, one sample"),
    Column("macs", "MACs", "count", "multiply-accumulates of the forward pass, one sample"),
    Column("other_ops", "Other ops", "count", "element-wise operations (activations, normalisation, pooling, "
                                              "bias adds): not in the FLOPs; an estimate"),
    Column("param_bytes", "Weights", "bytes", "the parameters' bytes (float32)"),
    Column("activation_bytes", "Output bytes", "bytes", "the output of one sample (float32)"),
    Column("type", "Type", "text", "the layer"),
)
NUMERIC = tuple(c.key for c in COLUMNS if c.kind in ("count", "bytes"))


def field_text(rf: Field | None) -> str:
    """``5×5 stride 1×1 from −2,−2`` (empty without a field)."""
    if rf is None:
        return ""
    return (f"{fmt((rf.size_h, rf.size_w))} stride {fmt((rf.stride_h, rf.stride_w))} "
            f"from {rf.start_h},{rf.start_w}")


def rows(graph: Any, analysis: Any) -> list[dict[str, Any]]:
    """One dict per node in forward order (nodes in a cycle last): raw numbers, the field a Field or None."""
    order = list(analysis.order) + [n for n in graph.nodes if n not in set(analysis.order)]
    out = []
    for nid in order:
        info = analysis.nodes.get(nid)
        node = graph.nodes.get(nid)
        if info is None or node is None:
            continue
        spec = REGISTRY.get(node.type)
        out.append({"node": nid, "type": spec.display if spec else node.type,
                    "output": fmt(info.shape) if info.shape is not None else "?", "params": info.params,
                    "macs": info.macs, "flops": info.flops, "flops_backward": info.flops_backward,
                    "other_ops": info.other_ops, "param_bytes": info.param_bytes,
                    "activation_bytes": info.activation_bytes, "saved_bytes": info.saved_bytes, "rf": info.rf})
    return out


def totals(analysis: Any) -> dict[str, int]:
    """The columns' totals; ``saved_bytes`` counts each kept tensor once (per sample, plus the per-batch
    statistics as ``saved_fixed``)."""
    t = {k: sum(getattr(i, k) for i in analysis.nodes.values()) for k in NUMERIC if k != "saved_bytes"}
    t["saved_bytes"], t["saved_fixed"] = analysis.saved_bytes()
    return t


def to_csv(table: list[dict[str, Any]], total: dict[str, int]) -> str:
    """CSV with raw numbers (bytes, counts) and the field as six integer columns; a last ``total`` row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = [c.key for c in COLUMNS if c.key != "rf"]
    w.writerow(head + ["rf_h", "rf_w", "stride_h", "stride_w", "start_h", "start_w"])
    for r in table:
        f = r["rf"]
        w.writerow([r[k] for k in head] + (list(f) if f is not None else [""] * 6))
    w.writerow(["total" if k == "node" else total.get(k, "") for k in head] + [""] * 6)
    return buf.getvalue()


def _cell(c: Column, v: Any) -> str:
    if c.kind == "count":
        return f"{v:,}"
    if c.kind == "bytes":
        return fmt_bytes(v)
    if c.kind == "field":
        return field_text(v)
    return str(v).replace("|", "\\|")


def to_markdown(table: list[dict[str, Any]], total: dict[str, int], title: str = "") -> str:
    """A Markdown table (numbers with thousands separators, bytes in KB/MB) with a bold total row."""
    lines = [f"# {title}", ""] if title else []
    lines.append("| " + " | ".join(c.title for c in COLUMNS) + " |")
    lines.append("|" + "|".join("---:" if c.kind in ("count", "bytes") else "---" for c in COLUMNS) + "|")
    for r in table:
        lines.append("| " + " | ".join(_cell(c, r[c.key]) for c in COLUMNS) + " |")
    cells = ["**total**" if c.key == "node" else f"**{_cell(c, total[c.key])}**" if c.key in total else ""
             for c in COLUMNS]
    lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Per sample. FLOPs = 2 × MACs. The saved total counts each kept tensor once "
                  f"({fmt_bytes(total['saved_bytes'])} per sample, {fmt_bytes(total['saved_fixed'])} per batch)."]
    return "\n".join(lines) + "\n"


def node_lines(info: Any) -> list[str]:
    """A node's figures in words, per sample (the inspector shows them)."""
    lines = [f"MACs {si(info.macs)} · FLOPs {si(info.flops)} (backward {si(info.flops_backward)}) · "
             f"other ops {si(info.other_ops)}",
             f"weights {fmt_bytes(info.param_bytes)} · output {fmt_bytes(info.activation_bytes)} · "
             f"kept for backward {fmt_bytes(info.saved_bytes)} (a sample)"]
    rf = info.rf
    if rf is not None:
        lines.append(f"receptive field {fmt((rf.size_h, rf.size_w))}, stride {fmt((rf.stride_h, rf.stride_w))}, "
                     f"unit (0, 0) from ({rf.start_h}, {rf.start_w})")
    return lines


def summary(total: dict[str, int]) -> str:
    """One line: "618 kFLOPs a sample (1.22 M backward) · 9,962 params (39.8 KB) · saved 24.9 KB"."""
    return (f"{si(total['flops'], 'FLOPs')} a sample ({si(total['flops_backward'])} backward) · "
            f"{total['params']:,} params ({fmt_bytes(total['param_bytes'])}) · "
            f"saved for backward {fmt_bytes(total['saved_bytes'])} a sample")


__all__ = ["COLUMNS", "Column", "NUMERIC", "field_text", "node_lines", "rows", "summary", "to_csv", "to_markdown",
           "totals"]
