"""The plain-data report ``graphlab step --json`` prints (gradcheck's is GradcheckReport.to_json()).

Schema::

    {"order": [node ids in forward order],
     "forward": {id: {"shape", "mean", "std", "min", "max"}},
     "backward": {id: {"grad_output_norm", "grad_inputs_norm": [per port], "grad_params_norm": {name: norm}}},
     "first_nonfinite": null | {"node", "phase", "what"},
     "notes": [where the inputs and weights came from]}

Tensors of at most :data:`SMALL` elements also get their values: ``forward[id]["values"]`` and
``backward[id]["grad_output"]`` (flattened), so the course's small circuits read in full.

Non-finite numbers are written as null (JSON has no NaN), as ``gradcheck --json`` writes them;
``first_nonfinite`` says where the first one arose.
"""
from __future__ import annotations

from typing import Any

import torch

from .stepper import Stepper
from .summary import json_float, preview, summarize

#: tensors with at most this many elements are written out in full
SMALL = 8


def _norm(t: torch.Tensor) -> float | None:
    return json_float(float(torch.linalg.vector_norm(t.detach().double())))


def step_report(stepper: Stepper) -> dict[str, Any]:
    """Summaries of every record the stepper has shown so far."""
    forward: dict[str, Any] = {}
    backward: dict[str, Any] = {}
    for nid in stepper.order:
        r = stepper.records[nid]
        if r.output is not None:
            s = summarize(r.output).to_json()
            forward[nid] = {k: s[k] for k in ("shape", "mean", "std", "min", "max")}
            if r.output.numel() <= SMALL:
                forward[nid]["values"] = preview(r.output).to_json()["values"]
        if r.grad_output is not None:
            backward[nid] = {"grad_output_norm": _norm(r.grad_output),
                             "grad_inputs_norm": [_norm(g) for g in r.grad_inputs or []],
                             "grad_params_norm": {k: _norm(g) for k, g in (r.grad_params or {}).items()}}
            if r.grad_output.numel() <= SMALL:
                backward[nid]["grad_output"] = preview(r.grad_output).to_json()["values"]
            if r.time_grad_norms is not None:
                backward[nid]["time_grad_norms"] = [json_float(v) for v in r.time_grad_norms]
    return {"order": list(stepper.order), "forward": forward, "backward": backward,
            "first_nonfinite": stepper.first_nonfinite, "notes": list(stepper.notes)}
