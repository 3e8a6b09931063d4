"""Weights from elsewhere into the matching nodes: by node id and shape, with a report of why.

Transfer learning loads a trained network's weights into a graph that differs from it (a new head,
a node added): :func:`match_weights` takes the compiled module's state_dict and a source state_dict
(a checkpoint, a run folder's, a torch state_dict, read by :func:`read_source`) and, node by node,
keeps the source's tensors when every tensor of the node is there with the node's shape. The
:class:`MatchReport` says which nodes matched, which did not and why (not in the source, a shape that
differs), and what in the source the graph has no node for. Used by ``training.weights`` (the
trainer starts from the matched weights) and the editor's *Load weights…*.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch


@dataclass
class MatchReport:
    matched: list[str] = field(default_factory=list)  # node ids whose every tensor was loaded
    unmatched: dict[str, str] = field(default_factory=dict)  # node id -> why not
    unused: list[str] = field(default_factory=list)  # source prefixes (nodes) the graph has no node for

    def lines(self) -> list[str]:
        out = [f"loaded {len(self.matched)} node(s): {', '.join(self.matched) or 'none'}"]
        out += [f"kept its own weights: {nid}: {why}" for nid, why in self.unmatched.items()]
        if self.unused:
            out.append(f"not in this graph: {', '.join(self.unused[:8])}{' …' if len(self.unused) > 8 else ''}")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def read_source(path: str | Path) -> dict[str, torch.Tensor]:
    """A checkpoint file, a run folder (its last.safetensors) or a torch state_dict (weights_only=True);
    raises ValueError with one line naming the file."""
    from ..export.model_source import ExportError
    from ..export.weights import read_state as read_checkpoint

    try:
        return read_checkpoint(path)
    except ExportError as e:
        raise ValueError(str(e).replace("--weights: ", "", 1)) from None


def match_weights(own: dict[str, torch.Tensor], source: dict[str, torch.Tensor],
                  names: dict[str, str]) -> tuple[dict[str, torch.Tensor], MatchReport]:
    """(the tensors to load, the report). ``names``: node id → its submodule's name in ``own``'s keys."""
    report = MatchReport()
    load: dict[str, torch.Tensor] = {}
    for nid, name in names.items():
        keys = [k for k in own if k.startswith(name + ".")]
        if not keys:
            continue
        missing = [k for k in keys if k not in source]
        wrong = [k for k in keys if k in source and tuple(source[k].shape) != tuple(own[k].shape)]
        if missing and len(missing) == len(keys):
            report.unmatched[nid] = "not in the weights"
        elif missing:
            report.unmatched[nid] = f"{missing[0]} is not in the weights"
        elif wrong:
            k = wrong[0]
            report.unmatched[nid] = f"{k} is {list(source[k].shape)} there, {list(own[k].shape)} here"
        else:
            report.matched.append(nid)
            load.update({k: source[k] for k in keys})
    prefixes = {k.split(".", 1)[0] for k in source}
    report.unused = sorted(prefixes - set(names.values()))
    return load, report


def start_from(module: torch.nn.Module, names: dict[str, str], weights: str,
               base_dir: str | os.PathLike[str] | None) -> MatchReport:
    """Copy the matching weights of ``weights`` (relative to ``base_dir``) into ``module``; ValueError
    (one line) when they cannot be read or no node matches."""
    import os

    path = Path(os.path.expanduser(weights))
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    load, report = match_weights(module.state_dict(), read_source(path), names)
    if not report.matched:
        raise ValueError(f"{path}: no node of this graph matches it by id and shape")
    with torch.no_grad():
        own = module.state_dict()
        for k, v in load.items():
            own[k].copy_(v)
    return report
